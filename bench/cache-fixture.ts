// A filled LMDB cache for the lookup benchmarks: N targets with ~50 dependencies each (file
// reads, listings, type-only stats, an absent path, as real traces have), over a git repository
// whose files are unchanged, so every lookup is a verified hit.
import { execFileSync } from "node:child_process";
import { lstatSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evaluatorKey, traceId } from "../cache/key.js";
import { openLmdbStore } from "../cache/open.js";
import type { Dependency, DepRef } from "../cache/records.js";
import type { CacheStore } from "../cache/store.js";
import type { NixInfo } from "../engine/nix/detect.js";
import { Workspace } from "../engine/repo/workspace.js";
import type { Job } from "../engine/run/job.js";
import { EvalPool } from "../engine/run/pool.js";
import { Scheduler } from "../engine/run/scheduler.js";
import { settle, writeTree } from "./files.js";
import { median } from "./stats.js";

const SHARED_LIB = 15;
const SHARED_MODULES = 23;
const OWN_FILES = ["default", "hardware", "disks", "network", "users", "services", "extra"];

/** Dependencies of target `t` (50 with the defaults: 38 shared files, 7 own, 2 listings, 3 stats). */
export function targetDeps(t: number): DepRef[] {
  const host = `hosts/t${String(t).padStart(3, "0")}`;
  const deps: DepRef[] = [
    { kind: "type", key: "" },
    { kind: "file", key: "flake.nix" },
    { kind: "dir", key: "hosts" },
    { kind: "dir", key: host },
    { kind: "type", key: "lib" },
    { kind: "type", key: `${host}/hardware.nix/default.nix` },
  ];
  for (const name of OWN_FILES) deps.push({ kind: "file", key: `${host}/${name}.nix` });
  for (let i = 0; i < SHARED_LIB; i++) deps.push({ kind: "file", key: `lib/l${i}.nix` });
  for (let i = 0; i < SHARED_MODULES - 1; i++) deps.push({ kind: "file", key: `modules/m${i}.nix` });
  return deps;
}

export interface CacheFixture {
  top: string;
  store: CacheStore;
  scheduler: Scheduler;
  jobs: Job[];
  /** Every path some trace depends on, once, absolute (what "stat the recorded inputs" stats). */
  inputs: string[];
  /** Dependencies per target (all targets have the same count). */
  depsPerTarget: number;
  openWorkspace(): Promise<Workspace>;
  cleanup(): Promise<void>;
}

/** Never started: lookups never evaluate. Only the fields a Scheduler keeps are read. */
const NO_NIX: NixInfo = {
  version: "2.8.0",
  system: "x86_64-linux",
  instantiate: "nix-instantiate",
  nix: undefined,
  strace: undefined,
  time: undefined,
};

export async function makeCacheFixture(targets = 200): Promise<CacheFixture> {
  const top = mkdtempSync(join(tmpdir(), "infra-bench-cache-"));
  const cacheDir = mkdtempSync(join(tmpdir(), "infra-bench-cache-store-"));
  const all = Array.from({ length: targets }, (_, t) => targetDeps(t));
  const files = [
    ...new Set(
      all
        .flat()
        .filter((d) => d.kind === "file")
        .map((d) => d.key),
    ),
  ];
  writeTree(top, files);
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: "infra bench",
    GIT_AUTHOR_EMAIL: "bench@infra.invalid",
    GIT_COMMITTER_NAME: "infra bench",
    GIT_COMMITTER_EMAIL: "bench@infra.invalid",
    GIT_CONFIG_NOSYSTEM: "1",
  };
  for (const args of [
    ["init", "-q", "-b", "main"],
    ["add", "-A"],
    ["commit", "-q", "-m", "fixture"],
  ])
    execFileSync("git", ["-C", top, "-c", "commit.gpgsign=false", ...args], { env, stdio: "ignore" });
  await settle();

  const store = openLmdbStore(cacheDir);
  const evaluator = evaluatorKey({
    nixVersion: NO_NIX.version,
    system: NO_NIX.system,
    loaderHash: "bench",
    infraVersion: "bench",
    options: ["restrict-eval"],
  });
  const pool = new EvalPool(1);
  const scheduler = new Scheduler({
    store,
    pool,
    evaluator,
    nix: NO_NIX,
    loader: "",
    limits: { timeoutMs: 1000, memoryMB: 64 },
  });
  const openWorkspace = () => Workspace.open(top, store.files);

  // Fingerprint every dependency as an evaluation would have, and store one trace per target.
  const ws = await openWorkspace();
  const jobs: Job[] = [];
  const now = Date.now();
  all.forEach((keys, t) => {
    const deps: Dependency[] = keys.map((d) => ({ ...d, fp: ws.snapshot.fingerprint(d) }));
    const id = `bench-target-${t}`;
    const name = `t${String(t).padStart(3, "0")}`;
    jobs.push({
      id,
      label: name,
      want: "value",
      flakeDir: top,
      flakeRel: "",
      attrPath: [],
      configPath: [],
      meta: {},
    });
    store.putTrace(id, {
      id: traceId(evaluator, deps),
      evaluator,
      deps,
      evaluation: {
        drvPath: `/nix/store/${"0".repeat(32)}-nixos-system-${name}.drv`,
        outPath: null,
        meta: {},
        error: null,
        mode: "traced",
        evaluationMs: 300,
        maxRssKb: 200_000,
      },
      createdAt: now,
      usedAt: now,
    });
  });
  store.putFileStats(ws.snapshot.hasher.fresh);
  await store.flush();

  const inputs = [...new Set(all.flat().map((d) => d.key))].map((key) => (key === "" ? top : join(top, key)));
  return {
    top,
    store,
    scheduler,
    jobs,
    inputs,
    depsPerTarget: all[0]?.length ?? 0,
    openWorkspace,
    async cleanup() {
      await pool.destroy();
      await store.close();
      rmSync(top, { recursive: true, force: true });
      rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}

/** Scheduler.lookup for every target; a miss means the fixture (or the engine) is broken. */
export async function lookupAll(fixture: CacheFixture, ws: Workspace): Promise<void> {
  for (const job of fixture.jobs) {
    const hit = await fixture.scheduler.lookup(ws, job.id);
    if (hit === undefined) throw new Error(`cache fixture: ${job.label} missed on an unchanged tree`);
  }
}

/** The floor a lookup is measured against: one lstat of every recorded input. */
export function statInputs(fixture: CacheFixture): number {
  let present = 0;
  for (const path of fixture.inputs) {
    try {
      lstatSync(path, { bigint: true });
      present++;
    } catch {}
  }
  return present;
}

export interface LookupTiming {
  /** Median over iterations of the lookup of all targets, divided by the target count (ms). */
  lookupPerTargetMs: number;
  /** Median of statInputs, divided by the target count (ms). */
  statPerTargetMs: number;
  /** The fastest iteration of each, per target (ms): what the gate compares, see CaseStats.minMs. */
  lookupMinPerTargetMs: number;
  statMinPerTargetMs: number;
  /** Median of opening a workspace (git rev-parse + ls-files), ms. */
  openMs: number;
  iterations: number;
}

/**
 * Times the phases separately, each iteration on a fresh workspace (its fingerprints are
 * memoised per run, as in the engine), interleaving lookups and stats.
 */
export async function timeLookups(fixture: CacheFixture, iterations: number): Promise<LookupTiming> {
  const lookups: number[] = [];
  const stats: number[] = [];
  const opens: number[] = [];
  const clock = () => process.hrtime.bigint();
  for (let i = 0; i <= iterations; i++) {
    const t0 = clock();
    const ws = await fixture.openWorkspace();
    const t1 = clock();
    await lookupAll(fixture, ws);
    const t2 = clock();
    statInputs(fixture);
    const t3 = clock();
    if (i === 0) continue; // warm-up
    opens.push(Number(t1 - t0) / 1e6);
    lookups.push(Number(t2 - t1) / 1e6);
    stats.push(Number(t3 - t2) / 1e6);
  }
  const n = fixture.jobs.length;
  return {
    lookupPerTargetMs: median(lookups) / n,
    statPerTargetMs: median(stats) / n,
    lookupMinPerTargetMs: Math.min(...lookups) / n,
    statMinPerTargetMs: Math.min(...stats) / n,
    openMs: median(opens),
    iterations,
  };
}
