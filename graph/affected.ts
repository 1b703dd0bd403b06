// Which targets a change can affect, from what their last evaluations read. Pure: an index over
// the recorded dependencies, built once, then queried per change set.
import { ancestorsOf, normalizePath } from "./paths.js";
import type { GraphTarget, PathChange } from "./types.js";

/** Anything that holds targets with their recorded dependencies (a GraphInput, an InfraGraph). */
export interface TargetSource {
  readonly targets: readonly GraphTarget[];
}

export interface AffectedResult {
  /** Names of the targets to re-evaluate, sorted; includes the never-evaluated ones. */
  hosts: string[];
  /** Per target, what matched, sorted: a path, `<folder> (listing)`, an input id, … */
  reasons: Record<string, string[]>;
  /** Targets never evaluated (no dependencies known): always affected, reason "never evaluated". */
  unknown: string[];
}

/** The reasons used for dependencies that are not a plain path. */
export const AFFECTED_REASONS = {
  tree: ". (self: every tracked file)",
  git: "HEAD (self: git revision)",
  unknown: "never evaluated",
  listing: (folder: string): string => `${folder} (listing)`,
} as const;

/** The pseudo-path a change set includes when HEAD moved or the tree's dirtiness changed. */
export const HEAD_CHANGE = "HEAD";

const LOCK_FILE = "flake.lock";

/** Dependencies indexed by what they name; build once per set of traces, query many times. */
export class AffectedIndex {
  /** file/link dependencies: path → targets. */
  readonly #paths = new Map<string, number[]>();
  /** type dependencies (existence and kind only): path → targets. */
  readonly #types = new Map<string, number[]>();
  /** dir dependencies: folder → targets. */
  readonly #listings = new Map<string, number[]>();
  /** input dependencies: `<lock file>#<node>` → targets. */
  readonly #inputs = new Map<string, number[]>();
  /** lock file → its input ids with dependents, for a lock change without a list of inputs. */
  readonly #locks = new Map<string, string[]>();
  /** folder → path and listing keys strictly inside it, for changes naming a whole folder. */
  readonly #inside = new Map<string, string[]>();
  readonly #tree: number[] = [];
  readonly #git: number[] = [];
  readonly #unknown: number[] = [];
  readonly #names: string[];

  constructor(source: TargetSource) {
    this.#names = source.targets.map((t) => t.name);
    source.targets.forEach((target, index) => {
      if (target.status === "unknown") this.#unknown.push(index);
      for (const dep of target.deps) {
        switch (dep.kind) {
          case "file":
          case "link":
            this.#addPath(this.#paths, normalizePath(dep.path), index);
            break;
          case "type":
            // Only whether (and as what) the path exists: an edit of its content cannot change that.
            this.#addPath(this.#types, normalizePath(dep.path), index);
            break;
          case "dir":
            this.#addPath(this.#listings, normalizePath(dep.path), index);
            break;
          case "input":
            if (push(this.#inputs, dep.path, index)) {
              const lockFile = dep.path.slice(0, dep.path.lastIndexOf("#"));
              push(this.#locks, lockFile, dep.path);
            }
            break;
          case "tree":
            if (last(this.#tree) !== index) this.#tree.push(index);
            break;
          case "git":
            if (last(this.#git) !== index) this.#git.push(index);
            break;
        }
      }
    });
  }

  /**
   * The targets `changes` can affect. `changedInputs` are the flake inputs whose locked entry
   * changed (`<flake folder>/flake.lock#<node>`, or `flake.lock#<node>` at the repo folder). When
   * it is omitted, a changed `flake.lock` counts as a change of every input locked in it.
   */
  query(changes: readonly PathChange[], changedInputs?: readonly string[]): AffectedResult {
    const reasons = new Map<number, Set<string>>();
    const hit = (targets: readonly number[] | undefined, reason: string): void => {
      if (targets === undefined) return;
      for (const t of targets) {
        const set = reasons.get(t);
        if (set === undefined) reasons.set(t, new Set([reason]));
        else set.add(reason);
      }
    };

    let treeChanged = false;
    for (const change of changes) {
      const path = normalizePath(change.path);
      if (path === HEAD_CHANGE) {
        hit(this.#git, AFFECTED_REASONS.git);
        continue;
      }
      if (path !== ".git" && !path.startsWith(".git/")) treeChanged = true;
      hit(this.#paths.get(path), path);
      hit(this.#listings.get(path), AFFECTED_REASONS.listing(path));
      if (change.change !== "modified") {
        hit(this.#types.get(path), path);
        // An entry appeared or disappeared: its folder's listing changed. Its ancestors' listings
        // may have changed too (adding hosts/web9/default.nix adds web9 to hosts/ when web9/ is
        // new); which folders existed before is unknown here, so every ancestor counts: an
        // over-approximation that only costs re-evaluations, never a stale result.
        for (const folder of ancestorsOf(path))
          hit(this.#listings.get(folder), AFFECTED_REASONS.listing(folder));
        // A whole folder appeared or went: so did everything recorded inside it (files read,
        // absent paths checked, listings).
        for (const inner of this.#inside.get(path) ?? []) {
          hit(this.#paths.get(inner), inner);
          hit(this.#types.get(inner), inner);
          hit(this.#listings.get(inner), AFFECTED_REASONS.listing(inner));
        }
      }
      if (changedInputs === undefined && (path === LOCK_FILE || path.endsWith(`/${LOCK_FILE}`))) {
        for (const id of this.#locks.get(path) ?? []) hit(this.#inputs.get(id), id);
      }
    }
    if (treeChanged) hit(this.#tree, AFFECTED_REASONS.tree);
    for (const id of changedInputs ?? []) hit(this.#inputs.get(id), id);
    hit(this.#unknown, AFFECTED_REASONS.unknown);

    const result: AffectedResult = { hosts: [], reasons: {}, unknown: [] };
    for (const [index, set] of reasons) {
      const name = this.#names[index]!;
      result.hosts.push(name);
      result.reasons[name] = [...set].sort();
    }
    result.hosts.sort();
    result.unknown = this.#unknown.map((i) => this.#names[i]!).sort();
    return result;
  }

  #addPath(map: Map<string, number[]>, path: string, index: number): void {
    if (!this.#paths.has(path) && !this.#listings.has(path) && !this.#types.has(path)) {
      // First time this path is recorded: register it with the folders holding it.
      for (const folder of ancestorsOf(path)) push(this.#inside, folder, path);
    }
    push(map, path, index);
  }
}

/** Builds the index behind `affectedTargets`; keep it to answer several change sets. */
export function buildAffectedIndex(source: TargetSource): AffectedIndex {
  return new AffectedIndex(source);
}

/**
 * The targets whose recorded dependencies `changes` (and `changedInputs`) touch. A target is
 * affected by:
 * - a file or link dependency on a changed path; a type dependency (existence only) on an
 *   added or removed one;
 * - a listing of a changed folder, or — for an added or removed path — of any folder holding it;
 * - any dependency inside an added or removed folder;
 * - a `tree` dependency (it used `self.outPath`) when anything outside `.git/` changed;
 * - a `git` dependency when the changes include the pseudo-path "HEAD";
 * - an input dependency on a changed input (see `AffectedIndex.query`).
 * Targets never evaluated are always affected.
 */
export function affectedTargets(
  source: TargetSource | AffectedIndex,
  changes: readonly PathChange[],
  changedInputs?: readonly string[],
): AffectedResult {
  const index = source instanceof AffectedIndex ? source : new AffectedIndex(source);
  return index.query(changes, changedInputs);
}

/** Appends `value` to the list under `key`; true when the key was new. */
function push<T>(map: Map<string, T[]>, key: string, value: T): boolean {
  const list = map.get(key);
  if (list === undefined) {
    map.set(key, [value]);
    return true;
  }
  if (list[list.length - 1] !== value) list.push(value);
  return false;
}

function last<T>(list: readonly T[]): T | undefined {
  return list[list.length - 1];
}
