// Opening the cache on real LMDB files written by lmdb-js: the header and tree checks (valid,
// truncated, garbage, wrong magic, page sizes), the clean-close stamp, the child-process probe,
// set-aside rotation, clearing without opening, read-only stores and the cache root check.
import { createHash } from "node:crypto";
import {
  appendFileSync,
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open } from "lmdb";
import { afterAll, describe, expect, it, vi } from "vitest";
import { checkDataFile, checkHeader, checkTrees, MDB_MAGIC, parseMeta } from "../../../cache/lmdb-file.js";
import { LmdbStore } from "../../../cache/lmdb-store.js";
import {
  checkCacheRoot,
  clearCacheDir,
  DAMAGED_KEPT,
  damagedFolders,
  inspectEnvironment,
  openLmdbStore,
  probeEnvironment,
  rotateDamaged,
  STAMP_FILE,
  stampMatches,
} from "../../../cache/open.js";
import { ReadOnlyStore } from "../../../cache/read-only-store.js";
import type { StoredTrace } from "../../../cache/records.js";
import { CacheError, ExitCode } from "../../../errors/index.js";

const work = mkdtempSync(join(tmpdir(), "infra-open-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let counter = 0;
const fresh = (name = "case") => {
  const dir = join(work, `${name}-${counter++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

function trace(id: string, usedAt: number, big = 0): StoredTrace {
  return {
    id,
    evaluator: "e",
    deps: [{ kind: "file", key: `f-${id}`, fp: "x".repeat(big) }],
    evaluation: {
      drvPath: `/nix/store/${id}.drv`,
      outPath: null,
      meta: {},
      error: null,
      mode: "traced",
      evaluationMs: 1,
      maxRssKb: null,
    },
    createdAt: usedAt,
    usedAt,
  } as StoredTrace;
}

/** A cache as infra writes it (through openLmdbStore, closed cleanly): returns the repository's cache folder. */
async function writtenCache(targets = 40): Promise<string> {
  const dir = fresh("cache");
  const store = openLmdbStore(dir);
  for (let t = 0; t < targets; t++) {
    // Every fifth trace is big enough for overflow pages.
    store.putTrace(`target-${t}`, trace(`t${t}`, 1000 + t, t % 5 === 0 ? 9000 : 10));
    store.appendHistory(`target-${t}`, { at: t, durationMs: 5, maxRssKb: null, status: "ok" });
  }
  store.putFileStats(
    Array.from({ length: 200 }, (_, i): [string, never] => [
      `file-${i}`,
      { size: i, mtimeNs: "1", ctimeNs: "1", ino: "1", mode: 0, hash: "h", settled: true } as never,
    ]),
  );
  store.putMeta("nix:stamp", { version: "2.8.0", system: "x86_64-linux" });
  await store.close();
  return dir;
}

const env = (dir: string) => join(dir, "v1");
const dataOf = (dir: string) => join(env(dir), "data.mdb");

/** Deterministic garbage. */
function garbage(length: number, seed: string): Buffer {
  const parts: Buffer[] = [];
  let block = Buffer.from(seed);
  for (let n = 0; n < length; n += 32) {
    block = createHash("sha256").update(block).digest();
    parts.push(block);
  }
  return Buffer.concat(parts).subarray(0, length);
}

function scribble(file: string, offset: number, bytes: Buffer): void {
  const fd = openSync(file, "r+");
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

/** A copy of a cache folder to damage (the original stays good). */
function copyOf(dir: string): string {
  const copy = fresh("copy");
  cpSync(dir, copy, { recursive: true });
  return copy;
}

function headerOk(file: string) {
  const header = checkHeader(file);
  if (!header.ok) throw new Error(header.problem);
  return header;
}

describe("the header check", () => {
  it("reads lmdb-js's meta pages at the offsets of mdb.c (verified against the raw bytes)", async () => {
    const dir = await writtenCache();
    const raw = readFileSync(dataOf(dir));
    // Page 0: MDB_page_header (24 bytes, mh_flags = P_META at 18), then MDB_meta.
    expect(raw.readUInt16LE(18)).toBe(0x08);
    expect(raw.readUInt32LE(24)).toBe(MDB_MAGIC); // mm_magic
    expect(raw.readUInt32LE(28)).toBe(2); // mm_version
    expect(raw.readUInt32LE(48)).toBe(4096); // mm_psize = mm_dbs[FREE_DBI].md_pad
    expect(raw.readBigUInt64LE(40)).toBe(2n * 1024n ** 3n); // mm_mapsize: LmdbStore's 2 GiB
    const header = headerOk(dataOf(dir));
    expect(header.psize).toBe(4096);
    // The newest meta page's mm_last_pg bounds the file exactly.
    expect(header.size).toBe((header.newest.lastPg + 1) * header.psize);
    // The main database lists the five sub-databases (md_entries at 72 + 32 of the meta).
    expect(header.newest.main.entries).toBe(5);
    expect(header.metas.map((m) => m.which)).toContain(0);
    const meta1 = parseMeta(raw, 4096 + 24, 1);
    expect(meta1.magic).toBe(MDB_MAGIC);
    expect(Math.abs(meta1.txnid - parseMeta(raw, 24, 0).txnid)).toBe(1);
  });

  it("follows each commit: the txnid grows by one and the other meta page is written", async () => {
    const dir = await writtenCache(2);
    const before = headerOk(dataOf(dir)).newest;
    const root = open({ path: env(dir), maxDbs: 8, compression: false, mapSize: 2 * 1024 ** 3 });
    const db = root.openDB({ name: "meta" });
    await db.put("another", "value");
    await root.close();
    const after = headerOk(dataOf(dir)).newest;
    expect(after.txnid).toBe(before.txnid + 1);
    expect(after.which).not.toBe(before.which);
  });

  it("finds every truncation", async () => {
    const dir = await writtenCache();
    const full = statSync(dataOf(dir)).size;
    const cases: [number, RegExp][] = [
      [0, /empty \(0 bytes\)/],
      [100, /truncated to 100 bytes, shorter than LMDB's header/],
      [167, /shorter than LMDB's header/],
      [4095, /shorter than its two meta pages/],
      [4096, /shorter than its two meta pages/],
      [8192, /truncated: 8192 bytes, but its last transaction/],
      [
        Math.floor(full / 2),
        /truncated: \d+ bytes, but its last transaction \(\d+\) uses \d+ pages of 4096 bytes/,
      ],
      [full - 4096, /truncated/],
      [full - 1, /truncated/],
    ];
    for (const [size, expected] of cases) {
      const copy = copyOf(dir);
      truncateSync(dataOf(copy), size);
      const header = checkHeader(dataOf(copy));
      expect(header.ok, `size ${size}`).toBe(false);
      expect(header.ok ? "" : header.problem).toMatch(expected);
      expect(checkDataFile(dataOf(copy)).problem).toMatch(expected);
    }
  });

  it("finds garbage over either meta page, a wrong magic and a wrong version", async () => {
    const dir = await writtenCache();
    const cases: [number, Buffer, RegExp][] = [
      [0, garbage(4096, "meta0"), /no LMDB header|not a meta page/],
      [4096, garbage(4096, "meta1"), /page 1 is not a meta page|meta page 1/],
      [4096 + 24, garbage(144, "meta1 fields"), /meta page 1/],
      [24, Buffer.from([0x78, 0x56, 0x34, 0x12]), /magic 0x12345678, not 0xbeefc0de/],
      [4096 + 24, Buffer.from([0x78, 0x56, 0x34, 0x12]), /meta page 1 has no LMDB header/],
      [28, Buffer.from([1, 0, 0, 0]), /LMDB data version 1, not 2/],
      // mm_psize: not a power of two, then different in the two meta pages.
      [48, Buffer.from([0xb8, 0x0b, 0, 0]), /invalid page size \(3000\)/],
      [4096 + 48, Buffer.from([0, 0x20, 0, 0]), /meta page 1 has page size 8192, not 4096/],
      // mm_last_pg of meta page 0 far past the file; the main database's root past the last page.
      [24 + 120, Buffer.from([0xff, 0xff, 0xff, 0, 0, 0, 0, 0]), /root page|truncated|claims/],
      [
        24 + 72 + 40,
        Buffer.from([0xff, 0xff, 0, 0, 0, 0, 0, 0]),
        /main database's root page 65535 is outside/,
      ],
    ];
    for (const [offset, bytes, expected] of cases) {
      const copy = copyOf(dir);
      scribble(dataOf(copy), offset, bytes);
      const found = checkDataFile(dataOf(copy)).problem;
      expect(found, `offset ${offset}`).toMatch(expected);
    }
  });

  it("checks the synced copy of the meta page in the second half of page 0", async () => {
    const dir = await writtenCache();
    const header = headerOk(dataOf(dir));
    // lmdb-js's overlapping sync wrote it: its txnid is one of the meta pages'.
    const sync = header.metas.find((m) => m.which === "sync");
    expect(sync).toBeDefined();
    expect(sync!.txnid).toBeLessThanOrEqual(header.newest.txnid);
    const copy = copyOf(dir);
    const newer = Buffer.alloc(8);
    newer.writeBigUInt64LE(BigInt(header.newest.txnid + 10));
    scribble(dataOf(copy), 2048 + 24 + 128, newer);
    expect(checkDataFile(dataOf(copy)).problem).toMatch(/synced copy of the meta page is newer/);
  });

  it("accepts lmdb-js files of every page size, and finds their truncation", async () => {
    for (const pageSize of [1024, 4096, 8192, 16384, 65536]) {
      const path = fresh(`psize-${pageSize}`);
      const root = open({ path, pageSize, maxDbs: 8, compression: false });
      const db = root.openDB({ name: "x" });
      await root.transaction(() => {
        for (let i = 0; i < 300; i++) void db.put(["k", i], "v".repeat(i * 10));
      });
      await root.close();
      const file = join(path, "data.mdb");
      const header = headerOk(file);
      expect(header.psize).toBe(pageSize);
      expect(header.size).toBe((header.newest.lastPg + 1) * pageSize);
      expect(checkTrees(file, header).problem).toBeUndefined();
      truncateSync(file, header.size - pageSize);
      expect(checkDataFile(file).problem).toMatch(new RegExp(`pages of ${pageSize} bytes`));
    }
  });
});

describe("the tree walk", () => {
  it("passes a good file and lists the sub-databases", async () => {
    const dir = await writtenCache();
    const trees = checkTrees(dataOf(dir), headerOk(dataOf(dir)));
    expect(trees.problem).toBeUndefined();
    expect(trees.databases.sort()).toEqual(["files", "history", "meta", "traces", "used"]);
    expect(Object.keys(trees.roots)).toEqual(expect.arrayContaining(["free-space", "main", "traces"]));
  });

  it("finds garbage in the free-space, main and sub-database pages (which crash the binding)", async () => {
    const dir = await writtenCache();
    const header = headerOk(dataOf(dir));
    const { roots } = checkTrees(dataOf(dir), header);
    for (const name of ["free-space", "main", "traces", "files", "history", "used", "meta"]) {
      const copy = copyOf(dir);
      scribble(dataOf(copy), roots[name]! * 4096, garbage(4096, name));
      expect(checkDataFile(dataOf(copy)).problem, name).toMatch(/^data\.mdb: /);
    }
  });

  it("finds a free list naming pages past the file (the next write would fault on them)", async () => {
    const dir = await writtenCache();
    const header = headerOk(dataOf(dir));
    const { roots } = checkTrees(dataOf(dir), header);
    const copy = copyOf(dir);
    const page = readFileSync(dataOf(copy)).subarray(
      roots["free-space"]! * 4096,
      (roots["free-space"]! + 1) * 4096,
    );
    // The first node's IDL: its count, then page numbers; make the first one huge.
    const node = 24 + page.readUInt16LE(24);
    const data = node + 8 + page.readUInt16LE(node + 6);
    const huge = Buffer.alloc(8);
    huge.writeBigUInt64LE(1_000_000n);
    scribble(dataOf(copy), roots["free-space"]! * 4096 + data + 8, huge);
    expect(checkDataFile(dataOf(copy)).problem).toMatch(/free-space list names pages 1000000/);
  });
});

describe("the child-process probe", () => {
  it("passes a good environment", async () => {
    const dir = await writtenCache();
    expect(probeEnvironment(env(dir))).toBeUndefined();
  });

  it("reports a crash of the binding as damage, and this process lives on", async () => {
    const dir = await writtenCache();
    const copy = copyOf(dir);
    truncateSync(dataOf(copy), 8192);
    expect(probeEnvironment(env(copy))).toMatch(/crashed the LMDB library with SIG(BUS|SEGV)/);
  });

  it("reports values that no longer decode", async () => {
    const dir = await writtenCache();
    const header = headerOk(dataOf(dir));
    const { roots } = checkTrees(dataOf(dir), header);
    const copy = copyOf(dir);
    // The end of the traces database's root page holds values: garbage there passes the walk.
    const at = roots.traces! * 4096 + 4096 - 200;
    scribble(dataOf(copy), at, garbage(200, "values"));
    const found = checkDataFile(dataOf(copy)).problem ?? probeEnvironment(env(copy));
    expect(found).toBeDefined();
  });
});

describe("the clean-close stamp", () => {
  it("is written at close and matches until data.mdb changes in any way", async () => {
    const dir = await writtenCache();
    expect(existsSync(join(env(dir), STAMP_FILE))).toBe(true);
    expect(stampMatches(env(dir))).toBe(true);
    // New times (touch), the same bytes rewritten (ctime), a copy in its place (inode), appended bytes.
    const changes: ((file: string) => void)[] = [
      (file) => utimesSync(file, new Date(2000, 1, 1), new Date(2000, 1, 1)),
      (file) => writeFileSync(file, readFileSync(file)),
      (file) => {
        copyFileSync(file, `${file}.copy`);
        rmSync(file);
        copyFileSync(`${file}.copy`, file);
        rmSync(`${file}.copy`);
      },
      (file) => appendFileSync(file, "x"),
    ];
    for (const change of changes) {
      const copy = fresh("stamp");
      cpSync(dir, copy, { recursive: true, preserveTimestamps: true });
      // cpSync makes new inodes: the copy's stamp does not match its data.mdb.
      expect(stampMatches(env(copy))).toBe(false);
      const store = openLmdbStore(copy);
      await store.close();
      expect(stampMatches(env(copy))).toBe(true);
      change(dataOf(copy));
      expect(stampMatches(env(copy))).toBe(false);
    }
  });

  it("is only written for the data file the store opened", async () => {
    const dir = await writtenCache(2);
    const first = openLmdbStore(dir);
    clearCacheDir(dir);
    // Another process creates a new environment in its place and has not closed it yet.
    const second = openLmdbStore(dir);
    await first.close();
    expect(stampMatches(env(dir))).toBe(false);
    await second.close();
    expect(stampMatches(env(dir))).toBe(true);
  });

  it("keeps the probe off the path when it matches, and runs it when it does not", async () => {
    const dir = await writtenCache();
    const probe = vi.fn(() => undefined);
    expect(inspectEnvironment(env(dir), probe)).toEqual({ checked: "stamp" });
    expect(probe).not.toHaveBeenCalled();
    utimesSync(dataOf(dir), new Date(), new Date());
    expect(inspectEnvironment(env(dir), probe)).toEqual({ checked: "probe" });
    expect(probe).toHaveBeenCalledTimes(1);
    // A header problem is found without the probe, stamp or not.
    truncateSync(dataOf(dir), 100);
    expect(inspectEnvironment(env(dir), probe).problem).toMatch(/truncated/);
    expect(probe).toHaveBeenCalledTimes(1);
  });
});

describe("opening a damaged cache", () => {
  it("moves it aside with one warning naming what happened, and rebuilds", async () => {
    const dir = await writtenCache();
    truncateSync(dataOf(dir), 90000);
    const warnings: string[] = [];
    const store = openLmdbStore(dir, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^the cache at .*v1 was damaged \(data\.mdb is truncated: 90000 bytes.*\); it was moved to .*v1\.damaged-\d+ and will be rebuilt$/,
    );
    expect(store.traces("target-1")).toEqual([]);
    store.putMeta("k", 1);
    await store.close();
    expect(damagedFolders(dir)).toHaveLength(1);
    expect(stampMatches(env(dir))).toBe(true);
  });

  it("trusts the probe's verdict when header and trees look fine", async () => {
    const dir = await writtenCache();
    utimesSync(dataOf(dir), new Date(), new Date());
    const warnings: string[] = [];
    const store = openLmdbStore(dir, {
      onWarning: (m) => warnings.push(m),
      probe: () => "it crashed (test)",
    });
    await store.close();
    expect(warnings[0]).toMatch(/was damaged \(data\.mdb: it crashed \(test\)\)/);
  });

  it("keeps only the newest set-aside copies, at open and after moving one aside", async () => {
    const dir = await writtenCache();
    for (const t of [1000, 2000, 3000, 4000]) mkdirSync(join(dir, `v1.damaged-${t}`));
    mkdirSync(join(dir, "v1.damaged-3000-1"));
    writeFileSync(join(dir, "unrelated"), "");
    expect(damagedFolders(dir)).toEqual([
      "v1.damaged-4000",
      "v1.damaged-3000-1",
      "v1.damaged-3000",
      "v1.damaged-2000",
      "v1.damaged-1000",
    ]);
    let store = openLmdbStore(dir);
    await store.close();
    expect(damagedFolders(dir)).toEqual(["v1.damaged-4000", "v1.damaged-3000-1"].slice(0, DAMAGED_KEPT));
    truncateSync(dataOf(dir), 4096);
    store = openLmdbStore(dir);
    await store.close();
    const left = damagedFolders(dir);
    expect(left).toHaveLength(DAMAGED_KEPT);
    expect(Number(/damaged-(\d+)/.exec(left[0]!)![1])).toBeGreaterThan(4000);
    expect(existsSync(join(dir, "unrelated"))).toBe(true);
    expect(rotateDamaged(dir, 0)).toHaveLength(DAMAGED_KEPT);
  });
});

describe("clearing", () => {
  it("clearCacheDir removes the environment and every set-aside copy without opening them", async () => {
    const dir = await writtenCache();
    mkdirSync(join(dir, "v1.damaged-1"));
    mkdirSync(join(dir, "v0"));
    writeFileSync(join(dir, "unrelated"), "");
    // Garbage the binding would crash on: it is never opened.
    writeFileSync(dataOf(dir), garbage(100_000, "clear"));
    expect(
      clearCacheDir(dir)
        .map((p) => p.slice(dir.length + 1))
        .sort(),
    ).toEqual(["v0", "v1", "v1.damaged-1"]);
    expect(readdirSync(dir)).toEqual(["unrelated"]);
    expect(clearCacheDir(join(dir, "missing"))).toEqual([]);
  });

  it("the store's clear() empties it and removes the set-aside copies", async () => {
    const dir = await writtenCache();
    mkdirSync(join(dir, "v1.damaged-1"));
    const store = openLmdbStore(dir);
    expect(store.traces("target-1")).toHaveLength(1);
    store.clear();
    expect(store.traces("target-1")).toEqual([]);
    expect(damagedFolders(dir)).toEqual([]);
    await store.close();
  });
});

describe("read-only stores", () => {
  it("read through to the environment opened read-only and keep writes in memory", async () => {
    const dir = await writtenCache();
    const before = statSync(dataOf(dir));
    const base = new LmdbStore(env(dir), { readOnly: true });
    const store = new ReadOnlyStore(env(dir), "it is on a read-only file system", base);
    expect(store.readOnly).toBe(true);
    expect(store.traces("target-1").map((t) => t.id)).toEqual(["t1"]);
    store.putTrace("target-1", trace("new", 5000));
    store.touch("target-1", "t1", 9000);
    expect(store.traces("target-1").map((t) => t.id)).toEqual(["t1", "new"]);
    expect(store.files.get("file-3")?.size).toBe(3);
    store.files.set("file-3", { ...store.files.get("file-3")!, size: 33 });
    expect(store.files.get("file-3")?.size).toBe(33);
    store.putMeta("nix:stamp", "mine");
    expect(store.getMeta("nix:stamp")).toBe("mine");
    store.appendHistory("target-1", { at: 99, durationMs: 1, maxRssKb: null, status: "ok" });
    expect(store.history("target-1", 10).map((h) => h.at)).toEqual([99, 1]);
    expect(() => store.clear()).toThrow(/cannot be cleared: it is on a read-only file system/);
    expect(() => store.prune()).toThrow(CacheError);
    await store.flush();
    await store.close();
    const after = statSync(dataOf(dir));
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
  });

  it("LmdbStore refuses read-only an environment without infra's sub-databases", async () => {
    const path = fresh("foreign");
    const root = open({ path, maxDbs: 8 });
    root.openDB({ name: "traces" });
    await root.close();
    expect(() => new LmdbStore(path, { readOnly: true })).toThrow(/has no "used" database/);
  });
});

describe("the cache folder", () => {
  it("must not be empty", () => {
    for (const value of ["", "  "]) {
      const error = (() => {
        try {
          checkCacheRoot(value);
        } catch (e) {
          return e as CacheError;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(CacheError);
      expect(error?.exitCode).toBe(ExitCode.usage);
      expect(error?.message).toMatch(/^--cache-dir is empty/);
    }
    expect(() => checkCacheRoot("", "INFRA_CACHE_DIR")).toThrow(/^INFRA_CACHE_DIR is empty/);
    expect(checkCacheRoot("relative/dir")).toBe(join(process.cwd(), "relative/dir"));
  });

  it("openLmdbStore rejects a path relative to nothing (an empty --cache-dir joined with the repo's name)", () => {
    for (const dir of ["", "fleet-0123456789ab", join("", "fleet-0123456789ab")]) {
      expect(() => openLmdbStore(dir)).toThrow(CacheError);
      expect(() => openLmdbStore(dir)).toThrow(/--cache-dir ""/);
    }
    expect(existsSync("fleet-0123456789ab")).toBe(false);
  });
});
