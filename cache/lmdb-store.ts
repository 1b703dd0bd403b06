// The cache in LMDB: one environment per repository, one sub-database per kind of record.
// LMDB's copy-on-write transactions make a kill -9 lose at most writes not yet committed, and
// let several infra processes share one environment.
import { closeSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { type Database, open, type RootDatabase } from "lmdb";
import { CacheError } from "../errors/index.js";
import type { FileStat, FileStatTable } from "./file-hashes.js";
import { SCHEMA_VERSION } from "./key.js";
import type { CacheStats, CacheStore, HistoryRecord, StoredTrace } from "./store.js";

/** Traces kept per target unless pruned otherwise: enough for a few branches. */
export const DEFAULT_TRACES_PER_TARGET = 8;
const MAX = "\uffff";

export interface OpenStoreOptions {
  /** Called when a damaged cache had to be set aside. */
  onWarning?: (message: string) => void;
}

const LMDB_MAGIC = 0xbeefc0de;

/**
 * Why the files at `path` are not an LMDB environment, if they are not. The native binding can
 * crash the process on a damaged file instead of failing, so the headers are checked first: the
 * data file's two meta pages (page 0 and 1) carry the magic number after a 24-byte header; the
 * lock file starts with it.
 */
export function damage(path: string): { data?: string; lock?: string } {
  const found: { data?: string; lock?: string } = {};
  const read = (file: string, length: number): Buffer | undefined => {
    try {
      const fd = openSync(join(path, file), "r");
      try {
        const buffer = Buffer.alloc(length);
        const n = readSync(fd, buffer, 0, length, 0);
        return buffer.subarray(0, n);
      } finally {
        closeSync(fd);
      }
    } catch {
      return undefined;
    }
  };
  const data = read("data.mdb", 8192);
  if (data !== undefined && data.length > 0) {
    const magicAt = (offset: number) => data.length >= offset + 4 && data.readUInt32LE(offset) === LMDB_MAGIC;
    // Any page size: the second meta page starts one page in; 4 KiB is LMDB's usual size.
    if (!magicAt(24) && !magicAt(4096 + 24)) found.data = "data.mdb has no LMDB header";
  }
  const lock = read("lock.mdb", 4);
  if (lock !== undefined && lock.length > 0 && (lock.length < 4 || lock.readUInt32LE(0) !== LMDB_MAGIC)) {
    found.lock = "lock.mdb has no LMDB header";
  }
  return found;
}

/** Opens (creating if needed) the cache at `dir`. A damaged environment is moved aside, not fatal. */
export function openLmdbStore(dir: string, options: OpenStoreOptions = {}): CacheStore {
  const path = join(dir, `v${SCHEMA_VERSION}`);
  const damaged = damage(path);
  // A lock file holds no data, only reader slots: a garbage one is simply recreated.
  if (damaged.lock && !damaged.data) rmSync(join(path, "lock.mdb"), { force: true });
  if (damaged.data) {
    const aside = `${path}.damaged-${Date.now()}`;
    renameSync(path, aside);
    options.onWarning?.(
      `the cache at ${path} was damaged (${damaged.data}); it was moved to ${aside} and will be rebuilt`,
    );
  }
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    throw new CacheError(`cannot create the cache folder ${path}: ${(error as Error).message}`, {
      hints: ["Pass a writable folder with --cache-dir or INFRA_CACHE_DIR."],
      cause: error,
    });
  }
  try {
    return new LmdbStore(path);
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    if (/EACCES|EROFS|EPERM/.test(message)) {
      throw new CacheError(`cannot open the cache at ${path}: ${message}`, {
        hints: ["Pass a writable folder with --cache-dir or INFRA_CACHE_DIR."],
        cause: error,
      });
    }
    const aside = `${path}.damaged-${Date.now()}`;
    try {
      renameSync(path, aside);
    } catch {
      throw new CacheError(`the cache at ${path} is damaged and could not be moved aside: ${message}`, {
        hints: [`Delete ${path} (it only holds results infra can compute again).`],
        cause: error,
      });
    }
    options.onWarning?.(
      `the cache at ${path} was damaged (${message}); it was moved to ${aside} and rebuilt`,
    );
    return new LmdbStore(path);
  }
}

class LmdbFileTable implements FileStatTable {
  constructor(private readonly db: Database<FileStat, string>) {}
  get(path: string): FileStat | undefined {
    return this.db.get(path);
  }
  set(path: string, stat: FileStat): void {
    void this.db.put(path, stat);
  }
}

class LmdbStore implements CacheStore {
  readonly path: string;
  readonly files: FileStatTable;
  private readonly root: RootDatabase;
  private readonly traceDb: Database<StoredTrace, [string, string]>;
  /** When each trace was last used, apart from the trace: a cache hit writes one number. */
  private readonly usedDb: Database<number, [string, string]>;
  private readonly fileDb: Database<FileStat, string>;
  private readonly historyDb: Database<HistoryRecord, [string, number]>;
  private readonly metaDb: Database<unknown, string>;
  private pending: Promise<unknown>[] = [];

  constructor(path: string) {
    mkdirSync(path, { recursive: true });
    this.path = path;
    this.root = open({ path, maxDbs: 8, compression: false, mapSize: 2 * 1024 ** 3 });
    this.traceDb = this.root.openDB({ name: "traces" });
    this.usedDb = this.root.openDB({ name: "used" });
    this.fileDb = this.root.openDB({ name: "files" });
    this.historyDb = this.root.openDB({ name: "history" });
    this.metaDb = this.root.openDB({ name: "meta" });
    this.files = new LmdbFileTable(this.fileDb);
  }

  private track(write: Promise<unknown>): void {
    this.pending.push(write);
    if (this.pending.length > 1000) this.pending = [Promise.all(this.pending)];
  }

  traces(targetKey: string): StoredTrace[] {
    const out: StoredTrace[] = [];
    for (const { value } of this.traceDb.getRange({ start: [targetKey], end: [targetKey, MAX] })) {
      const used = this.usedDb.get([targetKey, value.id]);
      out.push(used !== undefined && used > value.usedAt ? { ...value, usedAt: used } : value);
    }
    return out.sort((a, b) => b.usedAt - a.usedAt);
  }

  putTrace(targetKey: string, trace: StoredTrace): void {
    // One transaction: insert, then drop the least recently used beyond the limit.
    this.track(
      this.root.transaction(() => {
        void this.traceDb.put([targetKey, trace.id], trace);
        void this.usedDb.put([targetKey, trace.id], trace.usedAt);
        const others = this.traces(targetKey).filter((t) => t.id !== trace.id);
        for (const old of others.slice(DEFAULT_TRACES_PER_TARGET - 1)) {
          void this.traceDb.remove([targetKey, old.id]);
          void this.usedDb.remove([targetKey, old.id]);
        }
      }),
    );
  }

  touch(targetKey: string, traceId: string, at: number): void {
    // Exact order of use decides which traces are kept; one number per hit keeps it cheap.
    if ((this.usedDb.get([targetKey, traceId]) ?? 0) < at)
      this.track(this.usedDb.put([targetKey, traceId], at));
  }

  putFileStats(entries: Iterable<[string, FileStat]>): void {
    const list = [...entries];
    if (list.length === 0) return;
    this.track(
      this.root.transaction(() => {
        for (const [path, stat] of list) void this.fileDb.put(path, stat);
      }),
    );
  }

  appendHistory(targetKey: string, record: HistoryRecord): void {
    this.track(this.historyDb.put([targetKey, record.at], record));
  }

  history(targetKey: string, limit: number): HistoryRecord[] {
    const out: HistoryRecord[] = [];
    for (const { value } of this.historyDb.getRange({
      start: [targetKey, Number.MAX_SAFE_INTEGER],
      end: [targetKey, 0],
      reverse: true,
      limit,
    }))
      out.push(value);
    return out;
  }

  getMeta<T>(key: string): T | undefined {
    return this.metaDb.get(key) as T | undefined;
  }

  putMeta(key: string, value: unknown): void {
    this.track(this.metaDb.put(key, value));
  }

  stats(): CacheStats {
    const targets = new Set<string>();
    let traces = 0;
    for (const key of this.traceDb.getKeys()) {
      traces++;
      targets.add(key[0]);
    }
    let sizeBytes = 0;
    try {
      sizeBytes = statSync(join(this.path, "data.mdb")).size;
    } catch {}
    return {
      path: this.path,
      targets: targets.size,
      traces,
      files: this.fileDb.getCount(),
      historyRecords: this.historyDb.getCount(),
      sizeBytes,
    };
  }

  prune(options: { keepTraces: number; keepHistory: number; olderThanMs?: number }) {
    let traces = 0;
    let history = 0;
    const cutoff = options.olderThanMs === undefined ? undefined : Date.now() - options.olderThanMs;
    this.root.transactionSync(() => {
      const byTarget = new Map<string, StoredTrace[]>();
      for (const key of this.traceDb.getKeys({})) {
        if (!byTarget.has(key[0])) byTarget.set(key[0], this.traces(key[0]));
      }
      for (const [target, list] of byTarget) {
        list.sort((a, b) => b.usedAt - a.usedAt);
        list.forEach((trace, i) => {
          if (i >= options.keepTraces || (cutoff !== undefined && trace.usedAt < cutoff)) {
            this.traceDb.removeSync([target, trace.id]);
            this.usedDb.removeSync([target, trace.id]);
            traces++;
          }
        });
      }
      const byHistory = new Map<string, number[]>();
      for (const key of this.historyDb.getKeys({})) {
        const list = byHistory.get(key[0]) ?? [];
        list.push(key[1]);
        byHistory.set(key[0], list);
      }
      for (const [target, list] of byHistory) {
        list.sort((a, b) => b - a);
        for (const at of list.slice(options.keepHistory)) {
          this.historyDb.removeSync([target, at]);
          history++;
        }
      }
    });
    return { traces, history };
  }

  clear(): void {
    this.root.transactionSync(() => {
      this.traceDb.clearSync();
      this.usedDb.clearSync();
      this.fileDb.clearSync();
      this.historyDb.clearSync();
      this.metaDb.clearSync();
    });
  }

  async flush(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    await Promise.all(pending);
    await this.root.flushed;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.root.close();
  }
}
