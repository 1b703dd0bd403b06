// Content hashes behind a stat fast path, as git's index does it: a file whose size, mtime,
// ctime, inode and mode are unchanged is not read again.
import { type BigIntStats, lstatSync, readFileSync, readlinkSync } from "node:fs";
import { sha256 } from "../../cache/key.js";
import type { FileStat } from "../../cache/records.js";
import type { FileStatTable } from "../../cache/store.js";

/** The stat table a worker keeps for its lifetime (the main thread's lives in LMDB). */
export class MemoryFileStatTable implements FileStatTable {
  readonly entries = new Map<string, FileStat>();
  get(path: string): FileStat | undefined {
    return this.entries.get(path);
  }
  set(path: string, stat: FileStat): void {
    this.entries.set(path, stat);
  }
}

/** A change younger than this may share its timestamp with a later one. */
const SETTLE_NS = 1_000_000_000n;

export function lstatOrUndefined(path: string): BigIntStats | undefined {
  try {
    return lstatSync(path, { bigint: true });
  } catch {
    return undefined;
  }
}

function sameStat(entry: FileStat, st: BigIntStats): boolean {
  return (
    entry.settled &&
    entry.size === Number(st.size) &&
    entry.mtimeNs === String(st.mtimeNs) &&
    entry.ctimeNs === String(st.ctimeNs) &&
    entry.ino === String(st.ino) &&
    entry.mode === Number(st.mode)
  );
}

/**
 * Hashes regular files and symlinks through `table`. Entries it had to (re)compute are collected
 * in `fresh` so the owner can persist them.
 */
export class FileHasher {
  readonly fresh = new Map<string, FileStat>();
  private readonly memo = new Map<string, FileStat | undefined>();

  constructor(private readonly table: FileStatTable) {}

  /**
   * Hash of the file at `path` (not following a final symlink), or undefined if it is missing.
   * Pass the path's lstat when the caller has it already.
   */
  stat(path: string, known?: BigIntStats): FileStat | undefined {
    if (this.memo.has(path)) return this.memo.get(path);
    const result = this.compute(path, known ?? lstatOrUndefined(path));
    this.memo.set(path, result);
    return result;
  }

  /**
   * A folder's listing hash through the same fast path: the folder's own stat changes when an
   * entry is added, removed or renamed; `tracked` names which entries count.
   */
  listing(path: string, st: BigIntStats, tracked: string, compute: () => string): string {
    const key = `${path}/`;
    const known = this.table.get(key);
    if (known !== undefined && known.tracked === tracked && sameStat(known, st)) return known.hash;
    const entry = statEntry(st, compute());
    entry.tracked = tracked;
    this.table.set(key, entry);
    this.fresh.set(key, entry);
    return entry.hash;
  }

  private compute(path: string, st: BigIntStats | undefined): FileStat | undefined {
    if (st === undefined || st.isDirectory()) return undefined;
    const known = this.table.get(path);
    if (known !== undefined && sameStat(known, st)) return known;
    let hash: string;
    try {
      hash = st.isSymbolicLink() ? sha256(`link:${readlinkSync(path)}`) : sha256(readFileSync(path));
    } catch {
      return undefined;
    }
    const entry = statEntry(st, hash);
    this.table.set(path, entry);
    this.fresh.set(path, entry);
    return entry;
  }
}

function statEntry(st: BigIntStats, hash: string): FileStat {
  // biome-ignore lint/complexity/useMathMinMax: Math.max does not take bigints
  const newest = st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs;
  return {
    size: Number(st.size),
    mtimeNs: String(st.mtimeNs),
    ctimeNs: String(st.ctimeNs),
    ino: String(st.ino),
    mode: Number(st.mode),
    hash,
    settled: nowNs() - newest > SETTLE_NS,
  };
}

export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
