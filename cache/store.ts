// What the engine needs from a cache; lmdb-store.ts is the implementation, open.ts opens it.
import type { CacheStats, DeployRecord, FileStat, HistoryRecord, StoredTrace } from "./records.js";

/** Where stat entries are kept between runs (LMDB on the main thread, a Map in workers). */
export interface FileStatTable {
  get(path: string): FileStat | undefined;
  set(path: string, stat: FileStat): void;
}

export interface CacheStore {
  readonly path: string;
  /** Traces of a target, most recently used first. */
  traces(targetKey: string): StoredTrace[];
  putTrace(targetKey: string, trace: StoredTrace): void;
  /** Marks a trace as just used (so switching branches back and forth keeps it). */
  touch(targetKey: string, traceId: string, at: number): void;
  readonly files: FileStatTable;
  putFileStats(entries: Iterable<[string, FileStat]>): void;
  appendHistory(targetKey: string, record: HistoryRecord): void;
  history(targetKey: string, limit: number): HistoryRecord[];
  /** Records one deployment of a target (infra deploy). */
  appendDeploy(targetKey: string, record: DeployRecord): void;
  /** A target's deployments, newest first. */
  deploys(targetKey: string, limit: number): DeployRecord[];
  getMeta<T>(key: string): T | undefined;
  putMeta(key: string, value: unknown): void;
  stats(): CacheStats;
  /** Keeps the newest `keepTraces` traces per target and `keepHistory` history records. */
  prune(options: { keepTraces: number; keepHistory: number; olderThanMs?: number }): {
    traces: number;
    history: number;
  };
  clear(): void;
  /** Waits until every write so far is durable. */
  flush(): Promise<void>;
  close(): Promise<void>;
}
