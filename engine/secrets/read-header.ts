// The only I/O of the secrets check: open a repo-relative file safely and summarize it.
//
//   * `..` and absolute paths are refused before touching the disk;
//   * symlinks (the file itself or a folder on the way) are resolved with realpath and refused
//     when they lead outside the repository; the target is never opened then;
//   * only regular files are opened (lstat/stat first: opening a FIFO would block, a device
//     could have side effects), with O_NOFOLLOW | O_NONBLOCK;
//   * one read of at most 64 KiB, size from fstat, so a 2 GB file costs what a small one does;
//   * the buffer is parsed into a summary (no content) and zeroed before returning.
import { createHash } from "node:crypto";
import { constants, type Stats } from "node:fs";
import { lstat, open, readlink, realpath, stat } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { AGE_HEADER_LIMIT, parseAgeHeader } from "./age.js";
import { normalizeRepoPath } from "./paths.js";
import { parseSopsFile, type SopsFormat } from "./sops.js";
import type { SecretDeclaration, SecretFileFacts } from "./types.js";

/**
 * Summaries kept between runs, by a digest of the bytes read and how they were read. A summary
 * holds no content (types.ts), so it may be cached like any other record.
 */
export interface SummaryMemo {
  get(key: string): Pick<SecretFileFacts & { state: "read" }, "age" | "sops"> | undefined;
  set(key: string, summary: Pick<SecretFileFacts & { state: "read" }, "age" | "sops">): void;
}

export interface ReadSecretOptions {
  /** Where summaries of bytes seen before are found (and new ones kept). */
  memo?: SummaryMemo;
  /** Summarize it as an age file (agenix). */
  age?: boolean;
  /** Summarize it as a sops file of this format. */
  sopsFormat?: SopsFormat;
  /** Whether git tracks it, passed through to the facts (undefined: unknown). */
  tracked?: boolean;
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root + sep);
}

/** Where a dangling symlink would lead, lexically (realpath cannot resolve it). */
async function danglingTarget(link: string): Promise<string | undefined> {
  try {
    return resolve(dirname(link), await readlink(link));
  } catch {
    return undefined;
  }
}

/**
 * Reads the facts for one repo-relative `path` under `repoRoot`. Never throws for a missing,
 * refused or unreadable-as-secret file; only unexpected I/O errors (EACCES, EIO) propagate.
 */
export async function readSecretFile(
  repoRoot: string,
  path: string,
  options: ReadSecretOptions = {},
): Promise<SecretFileFacts> {
  const tracked = options.tracked === undefined ? {} : { tracked: options.tracked };
  const rel = normalizeRepoPath(path);
  if (!rel) return { path, state: "refused", problem: "outside-repo", ...tracked };
  const root = await realpath(repoRoot);
  const full = join(root, rel);

  let link: Stats;
  try {
    link = await lstat(full);
  } catch (error) {
    if (!isMissing(error)) throw error;
    // A folder on the way may be a dangling or outside symlink; realpath of the parent tells.
    const parent = await realpath(dirname(full)).catch(() => undefined);
    if (parent && !inside(root, parent))
      return { path: rel, state: "refused", problem: "symlink-outside-repo", ...tracked };
    return { path: rel, state: "missing", ...tracked };
  }

  let real: string;
  try {
    real = await realpath(full);
  } catch (error) {
    if (!isMissing(error)) throw error;
    const target = link.isSymbolicLink() ? await danglingTarget(full) : undefined;
    if (target && !inside(root, target))
      return { path: rel, state: "refused", problem: "symlink-outside-repo", ...tracked };
    return { path: rel, state: "missing", danglingSymlink: link.isSymbolicLink(), ...tracked };
  }
  if (!inside(root, real))
    return { path: rel, state: "refused", problem: "symlink-outside-repo", ...tracked };
  const resolvedTo = real === full ? {} : { resolvedTo: relative(root, real).split(sep).join("/") };

  // stat of the resolved path (inside the repo): only regular files are ever opened.
  if (!(await stat(real)).isFile())
    return { path: rel, state: "refused", problem: "not-a-regular-file", ...tracked };

  const handle = await open(
    real,
    constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY,
  );
  let buffer: Buffer | undefined;
  try {
    const info = await handle.stat();
    if (!info.isFile()) return { path: rel, state: "refused", problem: "not-a-regular-file", ...tracked };
    buffer = Buffer.alloc(Math.min(AGE_HEADER_LIMIT, info.size));
    // One bounded read: the header is at the start, the rest is never needed.
    const { bytesRead } =
      buffer.length === 0 ? { bytesRead: 0 } : await handle.read(buffer, 0, buffer.length, 0);
    const bytes = buffer.subarray(0, bytesRead);
    const truncated = info.size > bytesRead;
    const memoKey = options.memo
      ? `${createHash("sha256").update(bytes).digest("base64url")}:${truncated ? "t" : ""}:${options.age ? "age" : ""}:${options.sopsFormat ?? ""}`
      : undefined;
    const known = memoKey === undefined ? undefined : options.memo!.get(memoKey);
    const age = known
      ? known.age
        ? { age: known.age }
        : {}
      : options.age
        ? { age: parseAgeHeader(bytes, { truncated }) }
        : {};
    const sops = known
      ? known.sops
        ? { sops: known.sops }
        : {}
      : options.sopsFormat === undefined
        ? {}
        : {
            sops: truncated
              ? {
                  kind: "damaged" as const,
                  format: options.sopsFormat,
                  reason: `it is larger than ${AGE_HEADER_LIMIT} bytes, and sops files are read whole`,
                }
              : parseSopsFile(bytes, options.sopsFormat),
          };
    if (memoKey !== undefined && known === undefined) options.memo!.set(memoKey, { ...age, ...sops });
    return {
      path: rel,
      state: "read",
      size: info.size,
      truncated,
      ...resolvedTo,
      ...tracked,
      ...age,
      ...sops,
    };
  } finally {
    // The bytes may be plaintext: do not leave them for the garbage collector to find.
    buffer?.fill(0);
    await handle.close();
  }
}

const READ_CONCURRENCY = 8;

export interface ReadDeclaredOptions {
  /** Summaries of bytes seen before (see `SummaryMemo`). */
  memo?: SummaryMemo;
  /** Whether git tracks a repo-relative path (e.g. from `git ls-files`). */
  isTracked?: (path: string) => boolean;
  /** More files to summarize (agenix rule files nobody declares, files .sops.yaml matches). */
  extra?: readonly { path: string; age?: boolean; sopsFormat?: SopsFormat }[];
}

/**
 * Reads every declared file once (a file used by several hosts is read once), summarized the
 * way its declarations need: as age for agenix, as sops in the declared format (sops-nix's
 * default is yaml).
 */
export async function readDeclaredFiles(
  repoRoot: string,
  declarations: readonly SecretDeclaration[],
  options: ReadDeclaredOptions = {},
): Promise<Map<string, SecretFileFacts>> {
  const wanted = new Map<string, { age: boolean; sopsFormat?: SopsFormat }>();
  const want = (path: string, age: boolean, sopsFormat?: SopsFormat) => {
    const rel = normalizeRepoPath(path);
    if (!rel) return;
    const entry = wanted.get(rel) ?? { age: false };
    entry.age ||= age;
    if (sopsFormat && !entry.sopsFormat) entry.sopsFormat = sopsFormat;
    wanted.set(rel, entry);
  };
  for (const d of declarations)
    want(d.file, d.backend === "agenix", d.backend === "sops" ? (d.format ?? "yaml") : undefined);
  for (const e of options.extra ?? []) want(e.path, e.age ?? false, e.sopsFormat);
  // A few reads at a time: each is a handful of small syscalls, mostly waiting on the thread pool.
  const order = [...wanted].sort(([a], [b]) => a.localeCompare(b));
  const read = new Array<SecretFileFacts>(order.length);
  let next = 0;
  const worker = async () => {
    while (next < order.length) {
      const i = next++;
      const [path, how] = order[i]!;
      const tracked = options.isTracked?.(path);
      read[i] = await readSecretFile(repoRoot, path, {
        age: how.age,
        ...(how.sopsFormat ? { sopsFormat: how.sopsFormat } : {}),
        ...(tracked === undefined ? {} : { tracked }),
        ...(options.memo ? { memo: options.memo } : {}),
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, order.length) }, worker));
  const facts = new Map<string, SecretFileFacts>();
  for (const [i, [path]] of order.entries()) facts.set(path, read[i]!);
  return facts;
}
