// Repo-relative paths, the only kind of path the secrets check deals in. Shared by the pure
// check (to refuse a declaration pointing outside the repo) and by read-header.ts.
import { posix } from "node:path";

/**
 * The normalized `/`-separated form of a repo-relative path, or undefined when it is absolute,
 * empty, contains NUL, or climbs out of the repository with `..`.
 */
export function normalizeRepoPath(path: string): string | undefined {
  if (path === "" || path.includes("\0") || path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path))
    return undefined;
  const normalized = posix.normalize(path);
  if (normalized === "." || normalized === ".." || normalized.startsWith("../")) return undefined;
  return normalized.replace(/\/$/, "");
}

/** The folder of a repo-relative path ("" for the root). */
export function repoDirname(path: string): string {
  const dir = posix.dirname(path);
  return dir === "." ? "" : dir;
}

/** `path` relative to the repo folder `dir` (as a command run in `dir` would name it). */
export function relativeTo(dir: string, path: string): string {
  return dir === "" ? path : posix.relative(dir, path);
}
