// Opening the cache: a damaged environment is set aside and rebuilt, never fatal, and never
// handed to the native binding (which can crash the process on a damaged file instead of failing).
import { closeSync, mkdirSync, openSync, readSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { CacheError } from "../errors/index.js";
import { SCHEMA_VERSION } from "./key.js";
import { LmdbStore } from "./lmdb-store.js";
import type { CacheStore } from "./store.js";

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
