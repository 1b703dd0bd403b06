// The cache in LMDB: one environment per repository, one sub-database per kind of record.
// LMDB's copy-on-write transactions make a kill -9 lose at most writes not yet committed, and
// let several infra processes share one environment.
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { type Database, open, type RootDatabase } from "lmdb";
import type { CacheStats, DeployRecord, FileStat, HistoryRecord, StoredTrace } from "./records.js";
import type { CacheStore, FileStatTable } from "./store.js";

/** Traces kept per target unless pruned otherwise: enough for a few branches. */
export const DEFAULT_TRACES_PER_TARGET = 8;
const MAX = "\uffff";

class LmdbFileTable implements FileStatTable {
  constructor(private readonly db: Database<FileStat, string>) {}
  get(path: string): FileStat | undefined {
    return this.db.get(path);
  }
  set(path: string, stat: FileStat): void {
    void this.db.put(path, stat);
  }
}

export class LmdbStore implements CacheStore {
  readonly path: string;
  readonly files: FileStatTable;
  private readonly root: RootDatabase;
  private readonly traceDb: Database<StoredTrace, [string, string]>;
  /** When each trace was last used, apart from the trace: a cache hit writes one number. */
  private readonly usedDb: Database<number, [string, string]>;
  private readonly fileDb: Database<FileStat, string>;
  private readonly historyDb: Database<HistoryRecord, [string, number]>;
  private readonly metaDb: Database<unknown, string>;
  /**
   * Deployments by `[target key, time]`, opened on first use: a repository that never deploys
   * keeps its environment as it was. Undefined in a read-only environment that has none.
   */
  private deployDb: Database<DeployRecord, [string, number]> | undefined;
  private readonly openedReadOnly: boolean;
  private deploysMissing = false;
  private pending: Promise<unknown>[] = [];

  /**
   * Opens the environment at `path` (cache/open.ts checks it first: the binding can crash the
   * process on a damaged file). `readOnly` opens it without writing anything, not even the lock
   * file on a read-only file system; every sub-database must then exist already.
   */
  constructor(path: string, options: { readOnly?: boolean } = {}) {
    const readOnly = options.readOnly === true;
    if (!readOnly) mkdirSync(path, { recursive: true });
    this.path = path;
    this.root = open({ path, maxDbs: 8, compression: false, mapSize: 2 * 1024 ** 3, readOnly });
    const db = <V, K extends string | [string, string] | [string, number]>(name: string) => {
      // Read-only, openDB answers undefined for a sub-database that is not there.
      const opened = this.root.openDB<V, K>({ name }) as Database<V, K> | undefined;
      if (opened === undefined) {
        void this.root.close();
        throw new Error(`the cache at ${path} has no "${name}" database`);
      }
      return opened;
    };
    this.traceDb = db("traces");
    this.usedDb = db("used");
    this.fileDb = db("files");
    this.historyDb = db("history");
    this.metaDb = db("meta");
    this.openedReadOnly = readOnly;
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

  /** The deployments' database; created by the first write, never by a read. */
  private deploysDb(create: boolean): Database<DeployRecord, [string, number]> | undefined {
    // Looked for once per store when reading: a graph of many hosts asks for each.
    if (this.deployDb === undefined && (create || !this.deploysMissing)) {
      // lmdb throws "Database not found" for a missing one it may not create (or answers
      // undefined, read-only).
      const options = { name: "deploys", create: create && !this.openedReadOnly };
      try {
        this.deployDb = this.root.openDB<DeployRecord, [string, number]>(options) as
          | Database<DeployRecord, [string, number]>
          | undefined;
      } catch {}
      this.deploysMissing = this.deployDb === undefined;
    }
    return this.deployDb;
  }

  appendDeploy(targetKey: string, record: DeployRecord): void {
    const db = this.openedReadOnly ? undefined : this.deploysDb(true);
    if (db) this.track(db.put([targetKey, record.at], record));
  }

  deploys(targetKey: string, limit: number): DeployRecord[] {
    const out: DeployRecord[] = [];
    const db = this.deploysDb(false);
    if (db === undefined) return out;
    for (const { value } of db.getRange({
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
    const deploys = this.deploysDb(false);
    this.root.transactionSync(() => {
      this.traceDb.clearSync();
      this.usedDb.clearSync();
      this.fileDb.clearSync();
      this.historyDb.clearSync();
      this.metaDb.clearSync();
      deploys?.clearSync();
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
