// Evaluates one target and reports what it read. Runs inside a pool worker: takes and returns
// plain data only, never touches the cache.
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { FileHasher, lstatOrUndefined, MemoryFileStatTable } from "../cache/file-hashes.js";
import {
  buildTrackedTree,
  type Dependency,
  gitFingerprint,
  type LockFile,
  lockNodeFingerprint,
  Snapshot,
  type TrackedTree,
} from "../cache/fingerprint.js";
import { drvClosureMentions } from "./drv-scan.js";
import type { EvalOutcome, EvalTask } from "./eval-types.js";
import { conservativeDeps, evaluateExact } from "./exact.js";
import { trackedFiles } from "./git.js";
import { INLINE_REQUEST_MAX, loaderArgv, type RunNixResult } from "./nix.js";
import {
  baseOutcome,
  failureFrom,
  fingerprintPaths,
  limitFailure,
  parseValue,
  runForTask,
} from "./outcome.js";
import { classify, parseMarkers, parseStrace } from "./trace.js";

const RACE_MARGIN_NS = 50_000_000n;
const IMPURE_BUILTIN = /\b(?:currentSystem|currentTime|nixPath|storePath)\b/;

// Worker-lifetime state: the tracked tree (keyed by the git index's stat), stat table and the
// derivations known not to mention the working tree.
const trackedByIndex = new Map<string, TrackedTree>();
const statTable = new MemoryFileStatTable();
const cleanDrvs = new Map<string, Set<string>>();

/**
 * The tracked files: as the main thread listed them when the task carries them, else from git.
 * Either way with the index ctime they belong to (the race check compares against it).
 */
async function trackedTree(
  task: EvalTask,
): Promise<{ tree: TrackedTree | undefined; indexCtimeNs: bigint | undefined }> {
  if (!task.git.isRepo) return { tree: undefined, indexCtimeNs: undefined };
  if (task.tracked !== undefined) {
    const key = `${task.top}:given:${task.tracked.indexCtimeNs}:${task.tracked.files.length}`;
    let tree = trackedByIndex.get(key);
    if (tree === undefined) {
      tree = buildTrackedTree(task.tracked.files);
      trackedByIndex.clear();
      trackedByIndex.set(key, tree);
    }
    return {
      tree,
      indexCtimeNs: task.tracked.indexCtimeNs === "" ? undefined : BigInt(task.tracked.indexCtimeNs),
    };
  }
  const index = lstatOrUndefined(join(task.top, ".git", "index"));
  const key = `${task.top}:${index?.ino}:${index?.size}:${index?.mtimeNs}:${index?.ctimeNs}`;
  let tree = trackedByIndex.get(key);
  if (tree === undefined) {
    tree = buildTrackedTree(await trackedFiles(task.top));
    trackedByIndex.clear();
    trackedByIndex.set(key, tree);
  }
  return { tree, indexCtimeNs: index?.ctimeNs };
}

/** Lock with relative `path:` inputs made absolute (they are relative to the flake's folder). */
export function resolveLockPaths(lock: LockFile, flakeDir: string): LockFile {
  const nodes: LockFile["nodes"] = {};
  for (const [key, node] of Object.entries(lock.nodes)) {
    const locked = node.locked as Record<string, unknown> | undefined;
    if (locked?.type === "path" && typeof locked.path === "string" && !isAbsolute(locked.path)) {
      nodes[key] = { ...node, locked: { ...locked, path: resolve(flakeDir, locked.path) } };
    } else nodes[key] = node;
  }
  return { ...lock, nodes };
}

export async function evaluate(task: EvalTask, signal?: AbortSignal): Promise<EvalOutcome> {
  let attempts = 0;
  let current = task;
  while (true) {
    attempts++;
    const outcome = await evaluateOnce(current, signal);
    outcome.attempts = attempts;
    // Something it read changed while Nix ran: the trace may not match the value. Run again,
    // listing the tracked files afresh (the main thread's list may be what went stale).
    if (outcome.exactReason !== RACY || attempts >= 3 || signal?.aborted) return outcome;
    current = { ...task, tracked: undefined };
  }
}

const RACY = "inputs changed during the evaluation";

async function evaluateOnce(task: EvalTask, signal: AbortSignal | undefined): Promise<EvalOutcome> {
  const startNs = BigInt(Date.now()) * 1_000_000n;
  const tracked = await trackedTree(task);
  // The index as of the tracked list (or now): a later change means the list may be stale.
  const indexBefore = tracked.indexCtimeNs ?? lstatOrUndefined(join(task.top, ".git", "index"))?.ctimeNs;
  const hasher = new FileHasher(statTable);
  const snapshot = new Snapshot({
    top: task.top,
    tracked: tracked.tree,
    hasher,
    git: gitFingerprint(task.git),
  });

  let outcome: EvalOutcome | undefined;
  let exactReason = task.exact ? "requested" : undefined;
  if (exactReason === undefined) {
    const run = await runLoader(task, signal);
    const loaded = interpretLoader(task, run, snapshot);
    if ("exactReason" in loaded) exactReason = loaded.exactReason;
    else outcome = loaded;
  }
  if (outcome === undefined) {
    outcome = await evaluateExact(task, snapshot, signal);
    outcome.exactReason = exactReason;
  }

  if (outcome.cacheable && changedSince(outcome.deps, snapshot, startNs, indexBefore)) {
    outcome.cacheable = false;
    outcome.exactReason = RACY;
  }
  outcome.fileStats = [...hasher.fresh];
  return outcome;
}

/** Did anything the trace depends on change after `startNs` (so Nix may have seen older content)? */
function changedSince(
  deps: Dependency[],
  snapshot: Snapshot,
  startNs: bigint,
  indexBefore: bigint | undefined,
) {
  const recent = (rel: string) => {
    const st = lstatOrUndefined(snapshot.abs(rel));
    return st !== undefined && st.ctimeNs >= startNs - RACE_MARGIN_NS;
  };
  if (lstatOrUndefined(join(snapshot.top, ".git", "index"))?.ctimeNs !== indexBefore) return true;
  return deps.some((dep) => {
    if (dep.kind === "input" || dep.kind === "git") return false; // fixed before the run
    if (dep.kind === "tree") {
      // The tree's fingerprint, taken after the run, stat'ed every tracked file already.
      for (const file of snapshot.tracked?.files ?? []) {
        const ctime = snapshot.hasher.stat(snapshot.abs(file))?.ctimeNs;
        if (ctime !== undefined && BigInt(ctime) >= startNs - RACE_MARGIN_NS) return true;
      }
      return false;
    }
    return recent(dep.key);
  });
}

function requestJSON(task: EvalTask): string {
  return JSON.stringify({
    top: task.top,
    flakeDir: task.flakeDir,
    subdir: task.flakeRel,
    markerDir: task.markerDir,
    lock: resolveLockPaths(task.lock, task.flakeDir),
    git: task.git,
    mode: task.mode,
    attrPath: task.attrPath,
    configPath: task.configPath,
    meta: task.meta,
  });
}

async function runLoader(task: EvalTask, signal: AbortSignal | undefined): Promise<RunNixResult> {
  const json = requestJSON(task);
  let request: { json: string } | { file: string } = { json };
  if (json.length > INLINE_REQUEST_MAX) {
    const file = join(task.markerDir, `request-${process.pid}-${Date.now()}-${Math.random()}.json`);
    await writeFile(file, json);
    request = { file };
  }
  const loaderDir = resolve(task.loader, "..");
  const argv = loaderArgv(task.nix.instantiate, task.loader, [task.top, loaderDir, task.markerDir], request);
  return runForTask(task, argv, signal);
}

function interpretLoader(
  task: EvalTask,
  run: RunNixResult,
  snapshot: Snapshot,
): EvalOutcome | { exactReason: string } {
  const outcome = baseOutcome(run, run.trace === undefined ? "untraced" : "traced");
  const limit = limitFailure(task, run);
  if (limit) return { ...outcome, error: limit, cacheable: false };
  if (run.trace === undefined) return untracedOutcome(task, run, snapshot, outcome);

  const accesses = parseStrace(run.trace, { initialCwd: task.top });
  const classified = classify(accesses, { top: task.top, markerDir: task.markerDir });
  for (const dep of classified.deps) {
    const reason = snapshot.untrackedReason({ kind: dep.kind, key: dep.path });
    if (reason !== undefined) return { exactReason: reason };
  }
  for (const dep of classified.deps) {
    if (dep.kind !== "file" || !dep.path.endsWith(".nix")) continue;
    let text = "";
    try {
      text = readFileSync(snapshot.abs(dep.path), "utf8");
    } catch {}
    const impure = IMPURE_BUILTIN.exec(text);
    if (impure)
      return { exactReason: `${dep.path} uses builtins.${impure[0]}, which pure flake evaluation lacks` };
  }

  if (run.exitCode === 0) {
    const value = parseValue(run.stdout);
    if ("drvPath" in value) {
      const clean = cleanDrvs.get(task.top) ?? new Set<string>();
      cleanDrvs.set(task.top, clean);
      if (
        drvClosureMentions(value.drvPath, task.top, clean) ||
        JSON.stringify(value.meta).includes(task.top)
      ) {
        return { exactReason: "a working-tree path reached the derivation (e.g. `toString ./.`)" };
      }
    }
    outcome.value = value;
  } else outcome.error = failureFrom(task, run.stderr);

  const markers = parseMarkers(run.stderr);
  const deps = fingerprintPaths(classified.deps, snapshot);
  const nodes = new Set([task.lock.root, ...markers.inputs]);
  for (const node of [...nodes].sort()) {
    deps.push({ kind: "input", key: `${task.flakeRel}#${node}`, fp: lockNodeFingerprint(task.lock, node) });
  }
  if (markers.tree) deps.push({ kind: "tree", key: "", fp: snapshot.fingerprint({ kind: "tree", key: "" }) });
  if (markers.self) deps.push({ kind: "git", key: "", fp: gitFingerprint(task.git) });
  outcome.deps = deps;
  if (classified.racy) {
    outcome.cacheable = false;
    outcome.exactReason = RACY;
  }
  return outcome;
}

/**
 * Without strace we cannot see what was read, so the result depends on everything: the whole
 * tracked tree, HEAD and every locked input. Correct, never minimal; the CLI says so.
 */
function untracedOutcome(
  task: EvalTask,
  run: RunNixResult,
  snapshot: Snapshot,
  outcome: EvalOutcome,
): EvalOutcome {
  if (run.exitCode === 0) outcome.value = parseValue(run.stdout);
  else outcome.error = failureFrom(task, run.stderr);
  outcome.deps = conservativeDeps(task, snapshot);
  return outcome;
}
