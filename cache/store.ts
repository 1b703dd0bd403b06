// What the engine needs from a cache; lmdb-store.ts is the implementation.
import type { FileStat, FileStatTable } from "./file-hashes.js";
import type { Dependency } from "./fingerprint.js";

/** Why an evaluation failed: what Nix said, where, and what to do. */
export interface EvalFailure {
  code: string;
  message: string;
  file?: string | undefined;
  line?: number | undefined;
  column?: number | undefined;
  trace: string[];
  hints: string[];
}

/** A finished evaluation, as remembered. */
export interface StoredOutcome {
  value?: unknown;
  error?: EvalFailure | undefined;
  mode: string;
  exactReason?: string | undefined;
  durationMs: number;
  maxRssKb?: number | undefined;
}

export interface StoredTrace {
  id: string;
  evaluator: string;
  deps: Dependency[];
  outcome: StoredOutcome;
  createdAt: number;
  usedAt: number;
}

export interface HistoryRecord {
  at: number;
  durationMs: number;
  maxRssKb?: number | undefined;
  status: "ok" | "failed";
}

export interface CacheStats {
  path: string;
  targets: number;
  traces: number;
  files: number;
  historyRecords: number;
  sizeBytes: number;
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
