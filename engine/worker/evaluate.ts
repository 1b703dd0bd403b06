// Evaluates one target (or lists a flake's targets) and reports what it read. Runs inside a pool
// worker: takes and returns plain data only, never touches the cache.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import type { Dependency } from "../../cache/records.js";
import { isPathKind } from "../invalidation.js";
import { INLINE_REQUEST_MAX, loaderArgv, lockedInputUrls, parseMarkers } from "../nix/loader.js";
import type { RunNixResult } from "../nix/process.js";
import { classify, type PathDep, parseStrace } from "../nix/strace.js";
import { FileHasher, lstatOrUndefined, MemoryFileStatTable } from "../repo/file-hasher.js";
import { formatLastModifiedDate, trackedFiles } from "../repo/git.js";
import { inputKey, type LockFile, lockNodeFingerprint, lockPathOf } from "../repo/lock.js";
import { gitFingerprint, Snapshot } from "../repo/snapshot.js";
import { buildTrackedTree, type TrackedTree } from "../repo/tracked.js";
import { drvClosureMentions } from "./drv-scan.js";
import { conservativeDeps, evaluateExact, STALE_RELATIVE_LOCK, staleRelativeInputs } from "./exact.js";
import {
  failureFrom,
  fingerprintPaths,
  limitFailure,
  parseRules,
  parseValue,
  setValue,
  startReply,
} from "./outcome.js";
import type { EvalTask, WorkerReply } from "./protocol.js";
import { runForTask } from "./run-nix.js";

/** Files whose ctime is this close to the start may have changed while Nix read them. */
const RACE_MARGIN_NS = 50_000_000n;
const IMPURE_BUILTIN = /\b(?:currentSystem|currentTime|nixPath|storePath)\b/;
/** The reason an evaluation is run again (and not cached) when its inputs moved under it. */
const RACY = "inputs changed during the evaluation";

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

export async function evaluateTarget(task: EvalTask, signal?: AbortSignal): Promise<WorkerReply> {
  let attempts = 0;
  let current = task;
  while (true) {
    attempts++;
    const reply = await evaluateOnce(current, signal);
    reply.attempts = attempts;
    // Something it read changed while Nix ran: the trace may not match the value. Run again,
    // listing the tracked files afresh (the main thread's list may be what went stale).
    if (reply.evaluation.reason !== RACY || attempts >= 3 || signal?.aborted) return reply;
    current = { ...task, tracked: undefined };
  }
}

async function evaluateOnce(task: EvalTask, signal: AbortSignal | undefined): Promise<WorkerReply> {
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

  let reply: WorkerReply | undefined;
  let exactReason = task.exact ? "requested" : undefined;
  // A lock file Nix would rewrite before evaluating: only `nix eval` itself knows the result.
  const stale = staleRelativeInputs(task);
  if (exactReason === undefined && stale.length > 0)
    exactReason = `${STALE_RELATIVE_LOCK} (${stale.join(", ")})`;
  if (exactReason === undefined) {
    const run = await runLoader(task, signal, tracked.tree);
    const loaded = interpretLoader(task, run, snapshot);
    if ("exactReason" in loaded) exactReason = loaded.exactReason;
    else reply = loaded;
  }
  if (reply === undefined) {
    reply = await evaluateExact(task, snapshot, signal);
    reply.evaluation.reason = exactReason;
  }

  if (reply.cacheable && changedSince(reply.deps, snapshot, startNs, indexBefore)) {
    reply.cacheable = false;
    reply.evaluation.reason = RACY;
  }
  reply.fileStats = [...hasher.fresh];
  return reply;
}

/** Did anything the trace depends on change after `startNs` (so Nix may have seen older content)? */
function changedSince(
  deps: Dependency[],
  snapshot: Snapshot,
  startNs: bigint,
  indexBefore: bigint | undefined,
) {
  const recent = (ctimeNs: bigint | string | undefined) =>
    ctimeNs !== undefined && BigInt(ctimeNs) >= startNs - RACE_MARGIN_NS;
  if (lstatOrUndefined(join(snapshot.top, ".git", "index"))?.ctimeNs !== indexBefore) return true;
  return deps.some((dep) => {
    if (dep.kind === "tree") {
      // The tree's fingerprint, taken after the run, stat'ed every tracked file already.
      for (const file of snapshot.tracked?.files ?? []) {
        if (recent(snapshot.hasher.stat(snapshot.abs(file))?.ctimeNs)) return true;
      }
      return false;
    }
    // Inputs and git state were fixed before the run began.
    return isPathKind(dep.kind) && recent(lstatOrUndefined(snapshot.abs(dep.key))?.ctimeNs);
  });
}

/** Folders of absolute `path:` inputs: the loader copies them, so restricted evaluation must allow them. */
function absolutePathInputs(lock: LockFile): string[] {
  const dirs: string[] = [];
  for (const node of Object.values(lock.nodes)) {
    const locked = node.locked as Record<string, unknown> | undefined;
    if (locked?.type === "path" && typeof locked.path === "string" && isAbsolute(locked.path))
      dirs.push(locked.path);
  }
  return dirs;
}

/** `lastModifiedDate` of every lock node that records a `lastModified` (formatted as Nix does). */
function lastModifiedDates(lock: LockFile): Record<string, string> {
  const dates: Record<string, string> = {};
  for (const [key, node] of Object.entries(lock.nodes)) {
    const seconds = (node.locked as Record<string, unknown> | undefined)?.lastModified;
    if (typeof seconds === "number") dates[key] = formatLastModifiedDate(seconds);
  }
  return dates;
}

// The tracked files as the loader reads them (files, and the folders holding them), written
// once per tracked list into the marker folder, whose reads are not dependencies.
const trackedListFiles = new WeakMap<TrackedTree, string>();
function trackedFileFor(task: EvalTask, tree: TrackedTree | undefined): string | null {
  if (tree === undefined) return null;
  let file = trackedListFiles.get(tree);
  if (file === undefined || !existsSync(file)) {
    const json = JSON.stringify({
      files: [...tree.files],
      dirs: [...tree.children.keys()].filter((dir) => dir !== ""),
    });
    file = join(
      task.markerDir,
      `tracked-${createHash("sha256").update(json).digest("hex").slice(0, 32)}.json`,
    );
    if (!existsSync(file)) {
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
      writeFileSync(tmp, json);
      renameSync(tmp, file);
    }
    trackedListFiles.set(tree, file);
  }
  return file;
}

/**
 * What the loader fetches with builtins.fetchTree: every locked input but `path:` ones (those it
 * copies itself), with the attributes fetchTree is given (loader.nix `allNodes`).
 */
function fetchedInputs(lock: LockFile): Record<string, unknown>[] {
  const inputs: Record<string, unknown>[] = [];
  for (const [key, node] of Object.entries(lock.nodes)) {
    const locked = node.locked as Record<string, unknown> | undefined;
    if (key === lock.root || locked === undefined || locked.type === "path") continue;
    const { dir: _dir, ...attrs } = {
      ...((node.info as Record<string, unknown> | undefined) ?? {}),
      ...locked,
    };
    inputs.push(attrs);
  }
  return inputs;
}

/** Local folders the locked inputs are fetched from (`file://` URLs): restricted evaluation must allow them. */
function localInputDirs(lock: LockFile): string[] {
  const dirs: string[] = [];
  for (const attrs of fetchedInputs(lock)) {
    const url = attrs.url;
    if (typeof url === "string" && url.startsWith("file:///"))
      dirs.push(decodeURIComponent(url.slice(7).split("?")[0]!));
  }
  return dirs;
}

const nixAtLeast = (version: string, want: [number, number]) => {
  const [major = 0, minor = 0] = version.split(".").map((n) => Number.parseInt(n, 10));
  return major > want[0] || (major === want[0] && minor >= want[1]);
};

// Locked inputs' URLs by lock file (one Nix call per lock file and worker).
const urisByLock = new Map<string, Promise<string[]>>();

/**
 * The URLs Nix >= 2.19 checks fetchTree calls against in restricted evaluation, for exactly the
 * flake's locked inputs (see lockedInputUrls). Older Nix checks none.
 */
function lockedInputUris(task: EvalTask): Promise<string[]> {
  const inputs = fetchedInputs(task.lock);
  if (inputs.length === 0 || !nixAtLeast(task.nix.version, [2, 19])) return Promise.resolve([]);
  const key = JSON.stringify(inputs);
  let uris = urisByLock.get(key);
  if (uris === undefined) {
    uris = lockedInputUrls(task.nix.instantiate, inputs);
    if (urisByLock.size > 64) urisByLock.clear();
    urisByLock.set(key, uris);
  }
  return uris;
}

function requestJSON(task: EvalTask, tree: TrackedTree | undefined): string {
  return JSON.stringify({
    top: task.top,
    flakeDir: task.flakeDir,
    subdir: task.flakeRel,
    markerDir: task.markerDir,
    // As written: Nix >= 2.26 joins relative `path:` inputs to their parent's source as spelled.
    lock: task.lock,
    lastModifiedDates: lastModifiedDates(task.lock),
    trackedFile: trackedFileFor(task, tree),
    git: task.git,
    want: task.want,
    // A rules job names its file (relative to the top) as its attribute path.
    file: task.want === "rules" ? join(task.top, task.attrPath[0] ?? "") : null,
    attrPath: task.attrPath,
    configPath: task.configPath,
    meta: task.meta,
  });
}

async function runLoader(
  task: EvalTask,
  signal: AbortSignal | undefined,
  tree: TrackedTree | undefined,
): Promise<RunNixResult> {
  const json = requestJSON(task, tree);
  let request: { json: string } | { file: string } = { json };
  if (json.length > INLINE_REQUEST_MAX) {
    const file = join(task.markerDir, `request-${process.pid}-${Date.now()}-${Math.random()}.json`);
    await writeFile(file, json);
    request = { file };
  }
  const loaderDir = resolve(task.loader, "..");
  const allowed = [
    task.top,
    loaderDir,
    task.markerDir,
    ...absolutePathInputs(task.lock),
    ...localInputDirs(task.lock),
  ];
  const argv = loaderArgv(task.nix.instantiate, task.loader, allowed, request, await lockedInputUris(task));
  return runForTask(task, argv, signal);
}

/**
 * The working-tree loader's run as a reply, or the reason its value may differ from `nix eval`'s
 * (an untracked file seen, a working-tree path leaked into a derivation, an impure builtin).
 */
function interpretLoader(
  task: EvalTask,
  run: RunNixResult,
  snapshot: Snapshot,
): WorkerReply | { exactReason: string } {
  const reply = startReply(run, run.trace === undefined ? "untraced" : "traced");
  const { evaluation } = reply;
  const limit = limitFailure(task, run);
  if (limit) {
    evaluation.error = limit;
    return { ...reply, cacheable: false };
  }
  if (run.trace === undefined) return untracedReply(task, run, snapshot, reply);

  const accesses = parseStrace(run.trace, { initialCwd: task.top });
  const classified = classify(accesses, { top: task.top, markerDir: task.markerDir });
  if (task.want === "rules") return rulesReply(task, run, snapshot, reply, classified.deps);
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
    if ("drv" in value) {
      const clean = cleanDrvs.get(task.top) ?? new Set<string>();
      cleanDrvs.set(task.top, clean);
      if (
        drvClosureMentions(value.drv, task.top, clean) ||
        JSON.stringify(value.meta ?? {}).includes(task.top)
      ) {
        return { exactReason: "a working-tree path reached the derivation (e.g. `toString ./.`)" };
      }
    }
    setValue(evaluation, value, { top: task.top });
  } else evaluation.error = failureFrom(task, run.stderr);

  const markers = parseMarkers(run.stderr);
  const deps: Dependency[] = fingerprintPaths(classified.deps, snapshot);
  const lockPath = lockPathOf(task.flakeRel);
  // The lock's root node stands for the lock file itself: every target depends on it, so a lock
  // file Nix would refuse re-evaluates (and fails) every target of its flake.
  const nodes = new Set([task.lock.root, ...markers.inputs]);
  for (const node of [...nodes].sort()) {
    deps.push({ kind: "input", key: inputKey(lockPath, node), fp: lockNodeFingerprint(task.lock, node) });
  }
  if (markers.tree) deps.push({ kind: "tree", key: "", fp: snapshot.fingerprint({ kind: "tree", key: "" }) });
  if (markers.self) deps.push({ kind: "git", key: "", fp: gitFingerprint(task.git) });
  reply.deps = deps;
  if (classified.racy) {
    reply.cacheable = false;
    evaluation.reason = RACY;
  }
  return reply;
}

/**
 * agenix's rules, read from the working tree as the agenix CLI reads them. They are only cached
 * while every file read is tracked: an untracked one's edits would change no fingerprint.
 */
function rulesReply(
  task: EvalTask,
  run: RunNixResult,
  snapshot: Snapshot,
  reply: WorkerReply,
  paths: PathDep[],
): WorkerReply {
  if (run.exitCode === 0) reply.evaluation.rules = parseRules(run.stdout);
  else reply.evaluation.error = failureFrom(task, run.stderr);
  if (paths.some((dep) => snapshot.untrackedReason({ kind: dep.kind, key: dep.path }) !== undefined)) {
    reply.cacheable = false;
  }
  reply.deps = fingerprintPaths(paths, snapshot);
  return reply;
}

/**
 * Without strace we cannot see what was read, so the result depends on everything: the whole
 * tracked tree, HEAD and every locked input. Correct, never minimal; the CLI says so.
 */
function untracedReply(
  task: EvalTask,
  run: RunNixResult,
  snapshot: Snapshot,
  reply: WorkerReply,
): WorkerReply {
  if (run.exitCode === 0) setValue(reply.evaluation, parseValue(run.stdout), { top: task.top });
  else reply.evaluation.error = failureFrom(task, run.stderr);
  reply.deps = conservativeDeps(task, snapshot);
  return reply;
}
