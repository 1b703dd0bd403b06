// Fingerprinting ~2,000 tracked files with a Snapshot: cold (nothing known, every file read and
// hashed) against the stat fast path (a warm stat table, as on a fully cached run), and both
// against the floor, one lstat per file. Files are in the OS page cache in every case.
import { lstatSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileHasher, MemoryFileStatTable } from "../engine/repo/file-hasher.js";
import { Snapshot } from "../engine/repo/snapshot.js";
import { buildTrackedTree, type TrackedTree } from "../engine/repo/tracked.js";
import { settle, writeTree } from "./files.js";
import { type MicroCase, type MicroOptions, runBenny, statsOf } from "./micro.js";
import { ratioOf, type SuiteResult } from "./results.js";

export const FILES = 2000;
const COLD = "cold: read + hash every file";
const WARM = "warm: stat fast path";
const LSTAT = "lstat every file";

interface Fixture {
  top: string;
  rels: string[];
  tracked: TrackedTree;
  warm: MemoryFileStatTable;
}

async function makeFixture(): Promise<Fixture> {
  const top = mkdtempSync(join(tmpdir(), "infra-bench-fp-"));
  const rels = Array.from({ length: FILES }, (_, i) => `dir${String(i % 40).padStart(2, "0")}/file-${i}.nix`);
  writeTree(top, rels);
  await settle();
  const tracked = buildTrackedTree(rels);
  const warm = new MemoryFileStatTable();
  fingerprintAll({ top, rels, tracked, warm }, warm);
  return { top, rels, tracked, warm };
}

function fingerprintAll(f: Fixture, table: MemoryFileStatTable): number {
  const snapshot = new Snapshot({ top: f.top, tracked: f.tracked, hasher: new FileHasher(table) });
  let n = 0;
  for (const rel of f.rels) if (snapshot.fingerprint({ kind: "file", key: rel }).length > 0) n++;
  return n;
}

function cases(f: Fixture): MicroCase[] {
  return [
    { name: COLD, fn: () => fingerprintAll(f, new MemoryFileStatTable()) },
    { name: WARM, fn: () => fingerprintAll(f, f.warm) },
    {
      name: LSTAT,
      fn: () => {
        for (const rel of f.rels) lstatSync(join(f.top, rel), { bigint: true });
      },
    },
  ];
}

export default async function run(options: MicroOptions = {}): Promise<SuiteResult> {
  const fixture = await makeFixture();
  try {
    const stats = await runBenny("fingerprint", cases(fixture), options);
    const cold = statsOf(stats, COLD);
    const warm = statsOf(stats, WARM);
    const lstat = statsOf(stats, LSTAT);
    return {
      suite: "fingerprint",
      rows: [
        {
          suite: "fingerprint",
          scenario: `Snapshot of ${FILES} files, stat fast path vs cold hashing`,
          unit: "ms",
          infra: warm.medianMs,
          baseline: cold.medianMs,
          baselineLabel: "cold: read + sha256 every file",
          ratio: ratioOf(warm.medianMs, cold.medianMs),
          samples: Math.min(warm.samples, cold.samples),
        },
        {
          suite: "fingerprint",
          scenario: `Snapshot of ${FILES} files, stat fast path vs lstat alone`,
          unit: "ms",
          infra: warm.medianMs,
          baseline: lstat.medianMs,
          baselineLabel: "one lstat per file",
          ratio: ratioOf(warm.medianMs, lstat.medianMs),
          samples: Math.min(warm.samples, lstat.samples),
        },
      ],
      checks: [],
      notes: [`files of ~2 KB, already in the page cache; the warm table holds settled entries`],
    };
  } finally {
    rmSync(fixture.top, { recursive: true, force: true });
  }
}
