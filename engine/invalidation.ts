// infra's one invalidation model: which changes reach which dependencies. Cache verification
// (run/scheduler.ts), `affected` (affected.ts) and `watch` (watch.ts) all ask these functions, so
// they cannot disagree. Pure.
//
// A dependency observed something (its fingerprint, engine/repo/snapshot.ts); a change reaches
// it when the change can alter that observation. The table test in
// test/unit/engine/invalidation.test.ts holds every kind against every kind of change, and checks
// that a fingerprint never changes without the change reaching it.
import type { DepKind } from "../cache/records.js";
import { isInside, normalizePath } from "../graph/paths.js";

/** A path that changed: its content (`modified`), or whether it exists (`added`, `removed`). */
export interface PathChange {
  path: string;
  change: "modified" | "added" | "removed";
}

/**
 * One change, in the same frame as the dependency paths it is compared with (relative to the
 * repository top in the engine, to the repo folder in `affected`'s graph input):
 * - `path`: a file or folder was edited, created or deleted (a rename is a delete and a create);
 * - `head`: HEAD moved, or the tree went from clean to dirty or back (`cause: "dirtiness"`: only
 *   that, as a consequence of path changes; `affected` then names the path changes as the reason
 *   wherever they reach the target themselves);
 * - `index`: git's index changed (`git add`, `git rm`, a checkout): which paths are tracked, and
 *   so which exist for the flake, may differ anywhere;
 * - `input`: the entry of one locked input changed (key `<lock file>#<node>`).
 */
export type Change =
  | ({ kind: "path" } & PathChange)
  | { kind: "head"; cause?: "dirtiness" }
  | { kind: "index" }
  | { kind: "input"; key: string };

/** The pseudo-path a path-change list uses for a `head` change (`affected --since`, tests). */
export const HEAD_CHANGE = "HEAD";

/** How `affected` names a dependency that matched. */
export const AFFECTED_REASONS = {
  tree: ". (self: every tracked file)",
  git: "HEAD (self: git revision)",
  unknown: "never evaluated",
  listing: (folder: string): string => `${folder} (listing)`,
} as const;

const isGitPath = (path: string) => path === ".git" || path.startsWith(".git/");

/** The change created or deleted a folder holding `path` (so `path` appeared or went with it). */
const existenceOfAncestor = (path: string, change: PathChange & { path: string }) =>
  change.change !== "modified" && isInside(path, change.path);

interface KindRule {
  /** Could `change` alter what a dependency of this kind on `path` observed? */
  reachedBy(path: string, change: Change): boolean;
  /** How `affected` names the dependency. */
  reason(path: string): string;
  /**
   * What a watcher must see for every reaching change to arrive as an event: `parent` (the
   * folder holding the path), `self` (the folder itself and the folder holding it), `tree`
   * (every tracked folder), or nothing beyond git's own files and the flake folders.
   */
  watch: "parent" | "self" | "tree" | "none";
}

/** file, link: the content (or link target) at the path, which also goes when the path goes. */
const content: KindRule = {
  reachedBy: (path, change) =>
    change.kind === "index" ||
    (change.kind === "path" &&
      !isGitPath(change.path) &&
      (change.path === path || existenceOfAncestor(path, change))),
  reason: (path) => path,
  watch: "parent",
};

const RULES: Record<DepKind, KindRule> = {
  file: content,
  link: content,
  // Only whether (and as what) something is there: an edit in place cannot change that.
  type: {
    reachedBy: (path, change) =>
      change.kind === "index" ||
      (change.kind === "path" &&
        !isGitPath(change.path) &&
        change.change !== "modified" &&
        (change.path === path || isInside(path, change.path))),
    reason: (path) => path,
    watch: "parent",
  },
  // A listing changes when an entry below appears or goes (a new folder shows up in every folder
  // above it that did not hold it before: which ones did is unknown here, so every ancestor
  // counts), when the folder itself changes, or when a folder holding it appears or goes.
  dir: {
    reachedBy: (path, change) =>
      change.kind === "index" ||
      (change.kind === "path" &&
        !isGitPath(change.path) &&
        (change.path === path ||
          (change.change !== "modified" && (isInside(change.path, path) || isInside(path, change.path))))),
    reason: (path) => AFFECTED_REASONS.listing(path),
    watch: "self",
  },
  // `self.outPath`: every tracked file, and which files are tracked.
  tree: {
    reachedBy: (_path, change) =>
      change.kind === "index" || (change.kind === "path" && !isGitPath(change.path)),
    reason: () => AFFECTED_REASONS.tree,
    watch: "tree",
  },
  // `self.rev` and friends: HEAD, and whether the tree is dirty (which a `git add` can change).
  git: {
    reachedBy: (_path, change) => change.kind === "head" || change.kind === "index",
    reason: () => AFFECTED_REASONS.git,
    watch: "none",
  },
  // A locked input: its own entry in flake.lock. Callers turn a changed lock file into the
  // input changes it holds (repo/changes.ts diffs it; without the old text, every input counts).
  input: {
    reachedBy: (path, change) =>
      change.kind === "index" || (change.kind === "input" && normalizePath(change.key) === path),
    reason: (path) => path,
    watch: "none",
  },
};

/**
 * The rule: could `change` alter what a dependency of `kind` on `path` observed? Paths of both
 * are normalised first ("" and "." both name the top).
 */
export function reaches(kind: DepKind, path: string, change: Change): boolean {
  const normal =
    change.kind === "path" ? { ...change, path: normalizePath(change.path) } : (change as Change);
  return RULES[kind].reachedBy(normalizePath(path), normal);
}

/** How `affected` names a dependency of `kind` on `path`. */
export function reasonFor(kind: DepKind, path: string): string {
  return RULES[kind].reason(normalizePath(path));
}

/** What a watcher must cover for a dependency of `kind` (see KindRule.watch). */
export function watchNeed(kind: DepKind): KindRule["watch"] {
  return RULES[kind].watch;
}

/** Kinds that observe one path of the working tree (the others observe git or a lock file). */
export function isPathKind(kind: DepKind): boolean {
  return kind === "file" || kind === "dir" || kind === "type" || kind === "link";
}

/**
 * What `affected` derived (path changes, changed lock inputs, a flipped dirty flag) as the
 * changes the rule is asked about.
 */
export function toChanges(
  paths: readonly PathChange[],
  inputs: readonly string[],
  dirtiness: boolean,
): Change[] {
  const changes: Change[] = paths.map(fromPathChange);
  for (const key of inputs) changes.push({ kind: "input", key });
  if (dirtiness) changes.push({ kind: "head", cause: "dirtiness" });
  return changes;
}

/** A path change as a Change (the HEAD pseudo-path becomes a `head` change). */
export function fromPathChange(change: PathChange): Change {
  return normalizePath(change.path) === HEAD_CHANGE ? { kind: "head" } : { kind: "path", ...change };
}

/**
 * Cache verification: the first recorded dependency whose fingerprint is no longer the one
 * recorded, or undefined when every one still holds (a hit). Dependencies that `hints` (changes
 * a watcher saw) reach are checked first, so a stale trace is usually rejected after one
 * fingerprint; every dependency is still checked before a hit is declared, so a missed event
 * costs time, never correctness.
 */
export function firstStale<D extends { kind: DepKind; key: string; fp: string }>(
  deps: readonly D[],
  fingerprint: (dep: D) => string,
  hints: readonly Change[] = [],
): D | undefined {
  if (hints.length > 0) {
    for (const dep of deps) {
      if (hints.some((h) => reaches(dep.kind, dep.key, h)) && fingerprint(dep) !== dep.fp) return dep;
    }
  }
  return deps.find((dep) => fingerprint(dep) !== dep.fp);
}
