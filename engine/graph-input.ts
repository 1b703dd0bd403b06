// From the cache to graph/'s plain input, and from paths or a git range to changes: what
// `infra graph` and `infra affected` work on. Nothing here evaluates.
import { existsSync, statSync } from "node:fs";
import { dirname, relative } from "node:path";
import { type LockFile, lockNodeFingerprint, stableJson } from "../cache/fingerprint.js";
import type { CacheStore, StoredTrace } from "../cache/store.js";
import type { GraphInput, PathChange } from "../graph/types.js";
import type { EvalValue } from "./eval-types.js";
import { changesSince, headDiffers, inHead, isDirty, showAt } from "./git.js";
import { dependencyView } from "./report.js";
import type { Scheduler } from "./scheduler.js";
import type { Target } from "./targets.js";
import type { Workspace } from "./workspace.js";

export interface TargetTrace {
  target: Target;
  /** The trace that describes the target: the one valid now, else the most recently used. */
  trace: StoredTrace | undefined;
  /** The trace still holds for the working tree (a cached answer exists). */
  current: boolean;
}

export async function collectTraces(
  ws: Workspace,
  targets: Target[],
  scheduler: Scheduler,
  store: CacheStore,
): Promise<TargetTrace[]> {
  const out: TargetTrace[] = [];
  for (const target of targets) {
    const valid = await scheduler.lookup(ws, target.id);
    out.push({ target, trace: valid ?? store.traces(target.id)[0], current: valid !== undefined });
  }
  return out;
}

export function toGraphInput(ws: Workspace, traces: TargetTrace[]): GraphInput {
  const display = (rel: string) => ws.display(rel);
  return {
    repoDir: ws.repoDir,
    targets: traces.map(({ target, trace }) => ({
      id: target.id,
      name: target.name,
      kind: target.kind,
      flake: target.flake,
      status: trace === undefined ? "unknown" : trace.outcome.error ? "failed" : "ok",
      drvPath: (trace?.outcome.value as EvalValue | undefined)?.drvPath,
      deps: (trace?.deps ?? []).map((dep) => dependencyView(dep, display, display)),
    })),
    trackedFiles: [...(ws.tracked?.files ?? [])]
      .map(display)
      .filter((p) => !p.startsWith(".."))
      .sort(),
  };
}

export interface Changes {
  changes: PathChange[];
  /** Lock nodes that changed, as graph input ids (`<flake>/flake.lock#<node>`). */
  changedInputs: string[];
  /** Paths given that are not part of any flake (untracked, outside the repository), with why. */
  ignored: { path: string; why: string }[];
}

const isLock = (rel: string) => rel === "flake.lock" || rel.endsWith("/flake.lock");

function lockId(ws: Workspace, lockRel: string, node: string): string {
  const flake = ws.display(dirname(lockRel) === "." ? "" : dirname(lockRel));
  return `${flake === "." ? "" : `${flake}/`}flake.lock#${node}`;
}

function parseLock(text: string | undefined): LockFile | undefined {
  try {
    return text === undefined ? undefined : (JSON.parse(text) as LockFile);
  } catch {
    return undefined;
  }
}

/** Nodes whose locked source or inputs differ between two lock files (the root included). */
function diffLocks(before: LockFile | undefined, after: LockFile | undefined): string[] {
  const keys = new Set([...Object.keys(before?.nodes ?? {}), ...Object.keys(after?.nodes ?? {})]);
  return [...keys].filter((k) => stableJson(before?.nodes[k]) !== stableJson(after?.nodes[k])).sort();
}

/**
 * Lock nodes a changed lock file changed, judged against what each target recorded; when nothing
 * recorded differs (the lock was not edited yet), every input of that lock counts: the question
 * is then "which targets could a change to this file affect".
 */
function changedNodesSinceRecorded(ws: Workspace, lockRel: string, traces: TargetTrace[]): string[] {
  const flakeRel = dirname(lockRel) === "." ? "" : dirname(lockRel);
  const lock = ws.snapshot.lock(flakeRel);
  const changed = new Set<string>();
  for (const { trace } of traces) {
    for (const dep of trace?.deps ?? []) {
      if (dep.kind !== "input" || !dep.key.startsWith(`${flakeRel}#`)) continue;
      const node = dep.key.slice(flakeRel.length + 1);
      if (lockNodeFingerprint(lock, node) !== dep.fp) changed.add(node);
    }
  }
  if (changed.size > 0) return [...changed].sort();
  return Object.keys(lock.nodes).filter((n) => n !== lock.root);
}

/** Paths named on the command line (absolute), as flake changes. */
export async function changesFromPaths(
  ws: Workspace,
  paths: string[],
  traces: TargetTrace[],
): Promise<Changes> {
  const out: Changes = { changes: [], changedInputs: [], ignored: [] };
  for (const abs of paths) {
    const rel = relative(ws.top, abs).split("\\").join("/");
    if (rel.startsWith("..")) {
      out.ignored.push({ path: abs, why: "outside the repository" });
      continue;
    }
    const exists = existsSync(abs);
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
    if (exists && statSync(abs).isDirectory() && ws.tracked) {
      for (const file of ws.tracked.files) {
        if (rel === "" || file.startsWith(`${rel}/`))
          out.changes.push({ path: ws.display(file), change: "modified" });
      }
    }
    if (isLock(rel)) {
      for (const node of changedNodesSinceRecorded(ws, rel, traces))
        out.changedInputs.push(lockId(ws, rel, node));
    }
  }
  return out;
}

/** What changed between `ref` and the working tree, per git (committed and uncommitted). */
export async function changesFromGit(ws: Workspace, ref: string): Promise<Changes> {
  const out: Changes = { changes: [], changedInputs: [], ignored: [] };
  for (const { path, change } of await changesSince(ws.top, ref)) {
    out.changes.push({ path: ws.display(path), change });
    if (isLock(path)) {
      const before = parseLock(await showAt(ws.top, ref, path));
      const after = existsSync(ws.snapshot.abs(path))
        ? ws.snapshot.lock(dirname(path) === "." ? "" : dirname(path))
        : undefined;
      for (const node of diffLocks(before, after)) out.changedInputs.push(lockId(ws, path, node));
    }
  }
  // Values that used self.rev, lastModified or revCount follow HEAD, and lose rev on a dirty tree.
  if ((await headDiffers(ws.top, ref)) || (await isDirty(ws.top)))
    out.changes.push({ path: "HEAD", change: "modified" });
  return out;
}
