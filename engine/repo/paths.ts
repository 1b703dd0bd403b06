// Paths relative to the repository top: `/`-separated, "" for the top itself.
import { join, relative, sep } from "node:path";

/** The folder holding `rel` ("" for a path at the top). */
export function parentOf(rel: string): string {
  const slash = rel.lastIndexOf("/");
  return slash < 0 ? "" : rel.slice(0, slash);
}

/** The absolute path of `rel` below `top`. */
export function absolute(top: string, rel: string): string {
  return rel === "" ? top : join(top, rel);
}

/** `abs` relative to `top`, `/`-separated ("" for the top; starts with ".." outside it). */
export function relativeTo(top: string, abs: string): string {
  const rel = relative(top, abs);
  return sep === "/" ? rel : rel.split(sep).join("/");
}

/** Whether a top-relative path lies in git's own folder (never part of a flake). */
export function isGitInternal(rel: string): boolean {
  return rel === ".git" || rel.startsWith(".git/") || rel.includes("/.git/") || rel.endsWith("/.git");
}
