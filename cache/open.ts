// Opening the cache. The native binding maps the data file and trusts it: a truncated or
// scribbled-on file crashes the process (SIGBUS, SIGSEGV) instead of failing, and so does a lock
// file it cannot write. So nothing reaches the binding in this process before it is known good:
//
// 1. The header (both meta pages, the file's length against the newest one) is checked on every
//    open, with plain reads (cache/lmdb-file.ts): a fraction of a millisecond.
// 2. A clean close leaves a stamp (size, inode, mtime, ctime of data.mdb) beside the environment.
//    When it still matches, nothing else is checked: the cached no-op path pays only (1).
// 3. Otherwise (another process wrote, a kill -9, someone scribbled on it) every tree is walked
//    with plain reads, then a child process opens the environment read-only and reads every
//    sub-database through the binding: if that exits non-zero or dies on a signal, it is damaged.
//
// A damaged environment is moved aside (`v1.damaged-<time>`, the newest two kept) and rebuilt,
// with one warning. A read-only one (read-only file system, no write permission) is read without
// writing; a lock file that cannot be written means evaluating without the cache. Neither is
// called damaged.
import { spawnSync } from "node:child_process";
import {
  accessSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { CacheError } from "../errors/index.js";
import { SCHEMA_VERSION } from "./key.js";
import { checkDataFile, checkHeader } from "./lmdb-file.js";
import { LmdbStore } from "./lmdb-store.js";
import { ReadOnlyStore } from "./read-only-store.js";
import type { CacheStore } from "./store.js";

export interface OpenStoreOptions {
  /** Called once per problem: a damaged cache set aside, a read-only or unusable one. */
  onWarning?: (message: string) => void;
  /** Replaces the child-process probe (tests); returns what is wrong, or undefined. */
  probe?: (path: string) => string | undefined;
}

/** How many set-aside environments are kept (the newest); older ones are removed at open. */
export const DAMAGED_KEPT = 2;
/** The stamp a clean close leaves beside data.mdb. */
export const STAMP_FILE = "infra-clean-close.json";
export const PROBE_TIMEOUT_MS = 30_000;
/** The sub-databases LmdbStore opens. */
export const SUB_DATABASES = ["traces", "used", "files", "history", "meta"] as const;

const hint = "Pass a writable folder with --cache-dir or INFRA_CACHE_DIR.";

/**
 * The cache root a user gave (`--cache-dir`, `INFRA_CACHE_DIR`), made absolute; an empty value
 * would put the cache in whatever the current folder is (the repository, typically), so it is a
 * usage error naming where it came from. The CLI calls this on the flag before creating the engine.
 */
export function checkCacheRoot(value: string, source = "--cache-dir"): string {
  if (value.trim() === "" || value.includes("\0")) {
    throw new CacheError(`${source} is empty: it must name the folder that holds the cache`, {
      hints: [
        `Pass a folder (${source === "INFRA_CACHE_DIR" ? "INFRA_CACHE_DIR=DIR" : "--cache-dir DIR"}), or leave it out for ~/.cache/infra.`,
      ],
    });
  }
  return resolve(value);
}

/** `dir` as openLmdbStore and clearCacheDir accept it: not empty, not relative to nothing. */
function checkDir(dir: string): void {
  // join("", name) and join(".", name) are both just `name`: the root was empty.
  if (dir.trim() === "" || (!isAbsolute(dir) && dirname(dir) === ".")) {
    throw new CacheError(
      `the cache folder is empty (--cache-dir "" or INFRA_CACHE_DIR=""), so the cache would be created in the current folder as ${JSON.stringify(dir)}`,
      {
        hints: [
          "Pass a folder with --cache-dir DIR or INFRA_CACHE_DIR=DIR, or leave both out for ~/.cache/infra.",
        ],
      },
    );
  }
}

/** Why `file` (or, when it does not exist, its folder) cannot be written; undefined if it can. */
export function writeProblem(file: string): { code: string; phrase: string } | undefined {
  try {
    accessSync(file, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "EIO";
    if (code === "ENOENT") return writeProblem(dirname(file));
    const phrase =
      code === "EROFS"
        ? "is on a read-only file system"
        : code === "EACCES"
          ? "is not writable (no write permission)"
          : code === "EPERM"
            ? "cannot be written (EPERM: operation not permitted; an immutable file?)"
            : `cannot be written (${code})`;
    return { code, phrase };
  }
}

// --- damaged environments --------------------------------------------------------------------

const DAMAGED = /^v\d+\.damaged-(\d+)(?:-(\d+))?$/;

/** The set-aside environments in `dir`, newest first. */
export function damagedFolders(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const order = (name: string) => {
    const m = DAMAGED.exec(name)!;
    return Number(m[1]) * 1000 + Number(m[2] ?? 0);
  };
  return names.filter((n) => DAMAGED.test(n)).sort((a, b) => order(b) - order(a));
}

/** Removes all but the newest `keep` set-aside environments; best effort. Returns what it removed. */
export function rotateDamaged(dir: string, keep = DAMAGED_KEPT): string[] {
  const removed: string[] = [];
  for (const name of damagedFolders(dir).slice(keep)) {
    try {
      rmSync(join(dir, name), { recursive: true, force: true });
      removed.push(join(dir, name));
    } catch {}
  }
  return removed;
}

/** Moves the environment at `path` aside; returns where to, or the reason it could not. */
function moveAside(path: string): { to: string } | { error: string } {
  const base = `${path}.damaged-${Date.now()}`;
  let to = base;
  for (let n = 1; existsSync(to); n++) to = `${base}-${n}`;
  try {
    renameSync(path, to);
    return { to };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/**
 * Removes the whole cache of one repository (`dir`: every `v<N>` environment and every set-aside
 * `v<N>.damaged-*` one) without opening it, so it works on a damaged cache. Returns what it removed.
 */
export function clearCacheDir(dir: string): string[] {
  checkDir(dir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new CacheError(`cannot read the cache folder ${dir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const removed: string[] = [];
  for (const name of names.filter((n) => /^v\d+$/.test(n) || DAMAGED.test(n))) {
    const path = join(dir, name);
    try {
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch (error) {
      const problem = writeProblem(dir);
      throw new CacheError(
        `cannot clear the cache at ${path}: ${problem ? `${dir} ${problem.phrase}` : (error as Error).message}`,
        {
          hints: [`Remove ${path} where it is writable (it only holds results infra can compute again).`],
          cause: error,
        },
      );
    }
  }
  return removed;
}

// --- the clean-close stamp -------------------------------------------------------------------

interface Stamp {
  dev: string;
  ino: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
}

function currentStamp(path: string): Stamp | undefined {
  try {
    const s = statSync(join(path, "data.mdb"), { bigint: true });
    return {
      dev: String(s.dev),
      ino: String(s.ino),
      size: String(s.size),
      mtimeNs: String(s.mtimeNs),
      ctimeNs: String(s.ctimeNs),
    };
  } catch {
    return undefined;
  }
}

/**
 * Records data.mdb as it is now as known good (after a clean close). Best effort. With `ino`, only
 * when data.mdb is still that file (not one another process created after a `cache clear`).
 */
export function writeStamp(path: string, ino?: string): void {
  const stamp = currentStamp(path);
  if (!stamp || (ino !== undefined && stamp.ino !== ino)) return;
  const file = join(path, STAMP_FILE);
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify(stamp)}\n`);
    renameSync(temporary, file);
  } catch {
    rmSync(temporary, { force: true });
  }
}

/** Whether data.mdb is exactly as the last clean close left it. */
export function stampMatches(path: string): boolean {
  const now = currentStamp(path);
  if (!now) return false;
  try {
    const saved = JSON.parse(readFileSync(join(path, STAMP_FILE), "utf8")) as Partial<Stamp>;
    return (Object.keys(now) as (keyof Stamp)[]).every((k) => saved[k] === now[k]);
  } catch {
    return false;
  }
}

// --- the child-process probe -----------------------------------------------------------------

// Plain CommonJS for `node -e`: opens the environment read-only as LmdbStore does and reads every
// key and value (decoded) of every sub-database. A crash here only ends the child.
const PROBE_SCRIPT = `
const [lmdb, path, names] = process.argv.slice(1);
try {
  const { open } = require(lmdb);
  const root = open({ path, readOnly: true, maxDbs: 8, compression: false, mapSize: 2 * 1024 ** 3 });
  let entries = 0;
  for (const name of JSON.parse(names)) {
    const db = root.openDB({ name });
    if (db === undefined) continue;
    for (const { key, value } of db.getRange()) if (key !== undefined || value !== undefined) entries++;
  }
  process.stdout.write(String(entries));
  process.exit(0);
} catch (error) {
  process.stderr.write(String((error && error.message) || error));
  process.exit(1);
}
`;

/**
 * Opens the environment at `path` read-only in a child process and reads every entry of every
 * sub-database through the binding. Returns what went wrong, or undefined when it exited 0.
 */
export function probeEnvironment(
  path: string,
  databases: readonly string[] = SUB_DATABASES,
): string | undefined {
  const lmdb = createRequire(import.meta.url).resolve("lmdb");
  const names = JSON.stringify([...new Set([...SUB_DATABASES, ...databases])]);
  const child = spawnSync(process.execPath, ["-e", PROBE_SCRIPT, lmdb, path, names], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: PROBE_TIMEOUT_MS,
    killSignal: "SIGKILL",
  });
  if (child.error && (child.error as NodeJS.ErrnoException).code === "ETIMEDOUT")
    return `reading it did not finish within ${PROBE_TIMEOUT_MS / 1000} s (checked in a separate process)`;
  if (child.error) return undefined; // could not start a child: no verdict, LMDB's own checks remain
  if (child.signal)
    return `reading it crashed the LMDB library with ${child.signal} (checked in a separate process)`;
  if (child.status !== 0) {
    const first = child.stderr.trim().split("\n")[0] ?? "";
    // msgpackr appends what it decoded so far: the reason is enough.
    const said = first.length > 120 ? `${first.slice(0, 120)}…` : first;
    return `reading it failed${said ? `: ${said}` : ` (exit code ${child.status})`}`;
  }
  return undefined;
}

/**
 * What is wrong with the environment at `path` (which has a data.mdb), or undefined when it is
 * safe to hand to the binding. `checked` says how far it went: "stamp" when the clean-close
 * stamp matched (header only), "probe" when the trees were walked and the child probe ran.
 */
export function inspectEnvironment(
  path: string,
  probe: (path: string, databases: readonly string[]) => string | undefined = probeEnvironment,
): { problem?: string; checked: "header" | "stamp" | "probe" } {
  const data = join(path, "data.mdb");
  const header = checkHeader(data);
  if (!header.ok) {
    // Checked again (a header read racing a commit can mix two meta pages).
    const again = checkDataFile(data);
    if (again.problem) return { problem: again.problem, checked: "header" };
  } else if (stampMatches(path)) return { checked: "stamp" };
  const trees = checkDataFile(data);
  if (trees.problem) return { problem: trees.problem, checked: "probe" };
  const probed = probe(path, trees.databases ?? []);
  return probed ? { problem: `data.mdb: ${probed}`, checked: "probe" } : { checked: "probe" };
}

// --- opening ---------------------------------------------------------------------------------

/** LmdbStore plus what open.ts adds: the stamp at a clean close, and `clear` taking the set-aside copies. */
class CheckedLmdbStore extends LmdbStore {
  readonly readOnly = false;
  /** The data file this store opened: the stamp is for it only. */
  private readonly ino: string | undefined;

  constructor(
    path: string,
    private readonly dir: string,
  ) {
    super(path);
    this.ino = currentStamp(path)?.ino;
  }

  override clear(): void {
    super.clear();
    for (const name of damagedFolders(this.dir))
      rmSync(join(this.dir, name), { recursive: true, force: true });
  }

  override async close(): Promise<void> {
    await super.close();
    writeStamp(this.path, this.ino);
  }
}

function isPermission(error: unknown): boolean {
  const text = `${(error as NodeJS.ErrnoException)?.code ?? ""} ${(error as Error)?.message ?? String(error)}`;
  return /EACCES|EROFS|EPERM|Permission denied|Read-only file system|Operation not permitted/i.test(text);
}

/**
 * Opens (creating if needed) the cache of one repository at `dir`. Never fatal for a damaged or
 * read-only cache (see the top of this file); a CacheError (exit code 2) only when `dir` is empty
 * or the folder cannot be created.
 */
export function openLmdbStore(dir: string, options: OpenStoreOptions = {}): CacheStore {
  checkDir(dir);
  const warn = options.onWarning ?? (() => {});
  const probe = options.probe ?? probeEnvironment;
  const path = join(dir, `v${SCHEMA_VERSION}`);
  rotateDamaged(dir);

  const create = (): CacheStore => {
    try {
      mkdirSync(path, { recursive: true });
    } catch (error) {
      throw new CacheError(`cannot create the cache folder ${path}: ${(error as Error).message}`, {
        hints: [hint],
        cause: error,
      });
    }
    return new CheckedLmdbStore(path, dir);
  };
  const withoutCache = (message: string, reason: string): CacheStore => {
    warn(
      `${message}; infra evaluates without the cache this time (nothing is read from it or written to it)`,
    );
    return new ReadOnlyStore(path, reason, undefined);
  };

  let exists = false;
  try {
    exists = lstatSync(path).isDirectory();
  } catch {}
  if (!exists) return create();

  const data = join(path, "data.mdb");
  const lock = join(path, "lock.mdb");
  const hasData = existsSync(data);
  const dataProblem = writeProblem(hasData ? data : path);
  const lockProblem = writeProblem(existsSync(lock) ? lock : path);
  // Read-only, LMDB does without a lock file it may not write for EROFS or EACCES only; on
  // anything else (EPERM) the binding crashes. With data.mdb writable, another process may be
  // writing it: reading it without a reader slot in the lock file would not be safe.
  if (lockProblem && (!dataProblem || !["EROFS", "EACCES"].includes(lockProblem.code))) {
    const reason = `its lock file ${lock} ${lockProblem.phrase}`;
    return withoutCache(`the cache at ${path} cannot be used: ${reason}`, reason);
  }
  if (!hasData && dataProblem) {
    const reason = `it ${dataProblem.phrase}`;
    return withoutCache(`the cache at ${path} holds nothing yet and ${dataProblem.phrase}`, reason);
  }

  if (hasData) {
    let problem: string | undefined;
    try {
      problem = inspectEnvironment(path, probe).problem;
    } catch (error) {
      problem = `data.mdb cannot be read: ${(error as Error).message}`;
    }
    if (problem) {
      const aside = moveAside(path);
      if ("error" in aside) {
        const why = writeProblem(dir);
        const reason = `it is damaged (${problem}) and cannot be moved aside (${why ? `${dir} ${why.phrase}` : aside.error})`;
        return withoutCache(
          `the cache at ${path} is damaged (${problem}) and cannot be moved aside: ${why ? `${dir} ${why.phrase}` : aside.error}`,
          reason,
        );
      }
      warn(`the cache at ${path} was damaged (${problem}); it was moved to ${aside.to} and will be rebuilt`);
      rotateDamaged(dir);
      return create();
    }
  }

  if (dataProblem) {
    const reason = `it ${dataProblem.phrase}`;
    let base: LmdbStore;
    try {
      base = new LmdbStore(path, { readOnly: true });
    } catch (error) {
      return withoutCache(
        `the cache at ${path} ${dataProblem.phrase} and cannot be opened read-only (${(error as Error).message})`,
        reason,
      );
    }
    warn(
      `the cache at ${path} ${dataProblem.phrase}: infra uses the results it holds but writes none (this run's results are not kept)`,
    );
    return new ReadOnlyStore(path, reason, base);
  }

  try {
    return new CheckedLmdbStore(path, dir);
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    if (isPermission(error)) {
      const reason = `opening it failed: ${message}`;
      return withoutCache(`the cache at ${path} cannot be opened for writing (${message})`, reason);
    }
    // LMDB's own checks failed (the file passed ours): set aside and rebuild, as for damage.
    const aside = moveAside(path);
    if ("error" in aside) {
      const reason = `it is damaged (${message}) and cannot be moved aside (${aside.error})`;
      return withoutCache(
        `the cache at ${path} is damaged (${message}) and cannot be moved aside: ${aside.error}`,
        reason,
      );
    }
    warn(`the cache at ${path} was damaged (${message}); it was moved to ${aside.to} and will be rebuilt`);
    rotateDamaged(dir);
    return create();
  }
}
