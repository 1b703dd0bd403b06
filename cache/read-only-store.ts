// A cache infra may read but not write: a read-only file system, no write permission, a lock file
// it cannot write, or a damaged environment that could not be set aside. Reads come from the
// environment opened read-only (or from nothing), writes stay in memory for the rest of the run,
// so a run (and `infra watch`) behaves as with a writable cache, and nothing reaches the disk.
import { CacheError } from "../errors/index.js";
import type { CacheStats, DeployRecord, FileStat, HistoryRecord, StoredTrace } from "./records.js";
import type { CacheStore, FileStatTable } from "./store.js";

const usedKey = (targetKey: string, traceId: string) => `${targetKey}\0${traceId}`;

export class ReadOnlyStore implements CacheStore {
  /** Always true: what the engine (or a test) may look at to know that nothing is written. */
  readonly readOnly = true;
  readonly files: FileStatTable;
  private readonly traceMap = new Map<string, Map<string, StoredTrace>>();
  private readonly used = new Map<string, number>();
  private readonly fileMap = new Map<string, FileStat>();
  private readonly historyMap = new Map<string, HistoryRecord[]>();
  private readonly metaMap = new Map<string, unknown>();
  private readonly deployMap = new Map<string, DeployRecord[]>();

  /**
   * @param path the environment's folder (what `cache stats` and `cache clear` name)
   * @param reason why it is read-only, as a phrase: "it is on a read-only file system"
   * @param base the environment opened read-only, or undefined when nothing can be read from it
   */
  constructor(
    readonly path: string,
    readonly reason: string,
    private readonly base: CacheStore | undefined,
  ) {
    const fileMap = this.fileMap;
    const baseFiles = base?.files;
    this.files = {
      get: (file) => fileMap.get(file) ?? baseFiles?.get(file),
      set: (file, stat) => void fileMap.set(file, stat),
    };
  }

  traces(targetKey: string): StoredTrace[] {
    const byId = new Map<string, StoredTrace>();
    for (const trace of this.base?.traces(targetKey) ?? []) byId.set(trace.id, trace);
    for (const [id, trace] of this.traceMap.get(targetKey) ?? []) byId.set(id, trace);
    const out: StoredTrace[] = [];
    for (const trace of byId.values()) {
      const used = this.used.get(usedKey(targetKey, trace.id));
      out.push(used !== undefined && used > trace.usedAt ? { ...trace, usedAt: used } : trace);
    }
    return out.sort((a, b) => b.usedAt - a.usedAt);
  }

  putTrace(targetKey: string, trace: StoredTrace): void {
    const map = this.traceMap.get(targetKey) ?? new Map<string, StoredTrace>();
    map.set(trace.id, trace);
    this.traceMap.set(targetKey, map);
  }

  touch(targetKey: string, traceId: string, at: number): void {
    const key = usedKey(targetKey, traceId);
    if ((this.used.get(key) ?? 0) < at) this.used.set(key, at);
  }

  putFileStats(entries: Iterable<[string, FileStat]>): void {
    for (const [file, stat] of entries) this.fileMap.set(file, stat);
  }

  appendHistory(targetKey: string, record: HistoryRecord): void {
    const list = this.historyMap.get(targetKey) ?? [];
    list.push(record);
    this.historyMap.set(targetKey, list);
  }

  history(targetKey: string, limit: number): HistoryRecord[] {
    const mine = this.historyMap.get(targetKey) ?? [];
    const all = [...mine, ...(this.base?.history(targetKey, limit) ?? [])];
    return all.sort((a, b) => b.at - a.at).slice(0, limit);
  }

  appendDeploy(targetKey: string, record: DeployRecord): void {
    const list = this.deployMap.get(targetKey) ?? [];
    list.push(record);
    this.deployMap.set(targetKey, list);
  }

  deploys(targetKey: string, limit: number): DeployRecord[] {
    const mine = this.deployMap.get(targetKey) ?? [];
    const all = [...mine, ...(this.base?.deploys(targetKey, limit) ?? [])];
    return all.sort((a, b) => b.at - a.at).slice(0, limit);
  }

  getMeta<T>(key: string): T | undefined {
    return (this.metaMap.has(key) ? this.metaMap.get(key) : this.base?.getMeta(key)) as T | undefined;
  }

  putMeta(key: string, value: unknown): void {
    this.metaMap.set(key, value);
  }

  stats(): CacheStats {
    return (
      this.base?.stats() ?? {
        path: this.path,
        targets: 0,
        traces: 0,
        files: 0,
        historyRecords: 0,
        sizeBytes: 0,
      }
    );
  }

  prune(): { traces: number; history: number } {
    throw this.cannot("pruned");
  }

  clear(): void {
    throw this.cannot("cleared");
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    await this.base?.close();
  }

  private cannot(what: string): CacheError {
    return new CacheError(`the cache at ${this.path} cannot be ${what}: ${this.reason}`, {
      hints: [
        "Run it where the cache is writable, or pass another folder with --cache-dir or INFRA_CACHE_DIR.",
      ],
    });
  }
}
