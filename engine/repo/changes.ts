// What changed, as `affected` asks it: paths named on the command line, or a git range, turned
// into path changes and the lock-file inputs they changed. Nothing here evaluates.
import { existsSync } from "node:fs";
import type { Dependency } from "../../cache/records.js";
import type { PathChange } from "../invalidation.js";
import { lstatOrUndefined } from "./file-hasher.js";
import { changesSince, headDiffers, inHead, isDirty, showAt } from "./git.js";
import {
  diffLocks,
  inputKey,
  isLockPath,
  type LockFile,
  LockFileError,
  parseLock,
  splitInputKey,
} from "./lock.js";
import { parentOf } from "./paths.js";
import type { Workspace } from "./workspace.js";

export interface Changes {
  /** Relative to the repo folder. */
  changes: PathChange[];
  /** Lock nodes that changed, as `<lock file>#<node>` relative to the repo folder. */
  changedInputs: string[];
  /** Paths given that are not part of any flake (untracked, outside the repository), with why. */
  ignored: { path: string; why: string }[];
  /**
   * The tree went from clean to dirty (or back) since some recorded trace used `self`'s git
   * attributes: those values change with it.
   */
  dirtiness: boolean;
}

/** An input key as `affected` shows it (relative to the repo folder). */
function shownInput(ws: Workspace, lockPath: string, node: string): string {
  return inputKey(ws.display(lockPath), node);
}

/**
 * Lock nodes a changed lock file changed: those whose recorded fingerprint no longer holds, and
 * those that differ from the committed lock. When neither finds one (the lock was not edited
 * yet), every input of that lock counts: the question is then "which targets could a change to
 * this file affect".
 */
async function changedLockNodes(
  ws: Workspace,
  lockPath: string,
  recorded: readonly (readonly Dependency[])[],
): Promise<string[]> {
  const changed = new Set<string>();
  const seen = new Set<string>();
  for (const deps of recorded) {
    for (const dep of deps) {
      if (dep.kind !== "input") continue;
      const { lockPath: lock, node } = splitInputKey(dep.key);
      if (lock !== lockPath) continue;
      seen.add(node);
      if (ws.snapshot.fingerprint(dep) !== dep.fp) changed.add(node);
    }
  }
  const current = ws.snapshot.lock(parentOf(lockPath)).lock;
  if (ws.isGit) {
    const committed = lockAt(await showAt(ws.top, "HEAD", lockPath));
    if (committed !== undefined) for (const node of diffLocks(committed, current)) changed.add(node);
  }
  if (changed.size > 0) return [...changed].sort();
  if (current === undefined) return [...seen].sort();
  return Object.keys(current.nodes).filter((n) => n !== current.root);
}

/** Whether a recorded `git` dependency no longer holds (HEAD moved or dirtiness flipped). */
async function gitChanged(ws: Workspace, recorded: readonly (readonly Dependency[])[]): Promise<boolean> {
  const gitDeps = recorded.flatMap((deps) => deps.filter((d) => d.kind === "git"));
  if (gitDeps.length === 0) return false;
  await ws.gitState();
  return gitDeps.some((dep) => ws.snapshot.fingerprint(dep) !== dep.fp);
}

/** Paths named on the command line (absolute), as flake changes. */
export async function changesFromPaths(
  ws: Workspace,
  paths: string[],
  recorded: readonly (readonly Dependency[])[],
): Promise<Changes> {
  const out: Changes = { changes: [], changedInputs: [], ignored: [], dirtiness: false };
  for (const abs of paths) {
    const rel = ws.rel(abs);
    if (rel.startsWith("..")) {
      out.ignored.push({ path: abs, why: "outside the repository" });
      continue;
    }
    // lstat, not stat: a symlink is there even when it points nowhere (or at itself).
    const st = lstatOrUndefined(abs);
    const exists = st !== undefined;
    const tracked = ws.snapshot.isTrackedPath(rel);
    let change: PathChange["change"];
    if (tracked && exists) change = (await inHead(ws.top, rel)) || !ws.isGit ? "modified" : "added";
    else if (tracked || (ws.isGit && (await inHead(ws.top, rel)))) change = "removed";
    else {
      out.ignored.push({
        path: ws.display(rel),
        why: exists ? "not tracked by git, so not part of the flake" : "does not exist",
      });
      continue;
    }
    out.changes.push({ path: ws.display(rel), change });
    // A folder stands for everything tracked below it.
    if (st?.isDirectory() && ws.tracked) {
      for (const file of ws.tracked.files) {
        if (rel === "" || file.startsWith(`${rel}/`))
          out.changes.push({ path: ws.display(file), change: "modified" });
      }
    }
    if (isLockPath(rel)) {
      for (const node of await changedLockNodes(ws, rel, recorded))
        out.changedInputs.push(shownInput(ws, rel, node));
    }
  }
  if (out.changes.length > 0) out.dirtiness = await gitChanged(ws, recorded);
  return out;
}

function lockAt(text: string | undefined): LockFile | undefined {
  if (text === undefined) return undefined;
  try {
    return parseLock(text);
  } catch (error) {
    if (error instanceof LockFileError) return undefined;
    throw error;
  }
}

/** What changed between `ref` and the working tree, per git (committed and uncommitted). */
export async function changesFromGit(ws: Workspace, ref: string): Promise<Changes> {
  const out: Changes = { changes: [], changedInputs: [], ignored: [], dirtiness: false };
  for (const { path, change } of await changesSince(ws.top, ref)) {
    out.changes.push({ path: ws.display(path), change });
    if (isLockPath(path)) {
      const before = lockAt(await showAt(ws.top, ref, path));
      const after = existsSync(ws.snapshot.abs(path)) ? ws.snapshot.lock(parentOf(path)).lock : undefined;
      for (const node of diffLocks(before, after)) out.changedInputs.push(shownInput(ws, path, node));
    }
  }
  // Values that used self.rev, lastModified or revCount follow HEAD, and lose rev on a dirty tree.
  if ((await headDiffers(ws.top, ref)) || (await isDirty(ws.top)))
    out.changes.push({ path: "HEAD", change: "modified" });
  return out;
}
