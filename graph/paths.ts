// Repo-relative path helpers. Paths are POSIX, relative to the repo folder: "." is the folder
// itself and "../x" lies outside it (a `path:../vendor` input, say).
import { posix } from "node:path";

// Anything posix.normalize would change: an empty, "." or ".." segment, or a trailing slash.
// Most recorded paths have none, and skipping normalize for them keeps indexing 40k deps cheap.
const MAY_CHANGE = /\/\/|\/$|(^|\/)\.\.?(\/|$)/;

/** "./a//b/" → "a/b"; "" → ".". */
export function normalizePath(path: string): string {
  if (path !== "" && !MAY_CHANGE.test(path)) return path;
  let out = posix.normalize(path === "" ? "." : path);
  while (out.length > 1 && out.endsWith("/")) out = out.slice(0, -1);
  return out;
}

/**
 * The folders holding `path`, nearest first: "a/b/c" → ["a/b", "a", "."]. Paths outside the repo
 * stop at their last ".." segment ("../v/x" → ["../v", ".."]), since the folder above ".." is
 * not a folder that holds it.
 */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  let current = path;
  while (true) {
    const slash = current.lastIndexOf("/");
    if (slash < 0) {
      if (current !== "." && current !== "..") out.push(".");
      return out;
    }
    const parent = current.slice(0, slash);
    out.push(parent);
    if (parent === ".." || parent.endsWith("/..")) return out;
    current = parent;
  }
}

/** Whether `path` lies strictly inside `folder`. */
export function isInside(path: string, folder: string): boolean {
  if (folder === ".") return path !== "." && path !== ".." && !path.startsWith("../");
  return path.startsWith(`${folder}/`);
}

/** agenix files (`*.age`) and anything under a `secrets/` folder (sops-nix yaml/json included). */
export function isSecretPath(path: string): boolean {
  return path.endsWith(".age") || path.startsWith("secrets/") || path.includes("/secrets/");
}

export function isNixFile(path: string): boolean {
  return path.endsWith(".nix");
}

/** The last segment of a path ("." for the repo folder). */
export function baseName(path: string): string {
  return posix.basename(path) || path;
}
