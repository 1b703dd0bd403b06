// `infra watch`: keep every target's evaluation current while files change. chokidar watches the
// folders the recorded dependencies need (invalidation.ts `watchNeed`), not the whole tree; each
// debounced batch of changes becomes one cache-aware round, and a change that reaches a target
// being evaluated (invalidation.ts `reaches`) cancels that evaluation so the round after it sees
// the new content.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import type { FSWatcher } from "chokidar";
import { type Dependency, isCancelled } from "../cache/records.js";
import { selectTargets } from "./fleet/select.js";
import type { Target } from "./fleet/targets.js";
import { type Change, reaches, watchNeed } from "./invalidation.js";
import { isLockPath, splitInputKey } from "./repo/lock.js";
import { parentOf } from "./repo/paths.js";
import type { Workspace } from "./repo/workspace.js";
import type { EngineContext } from "./run/context.js";
import { removedResult } from "./run/result.js";

export interface WatchOptions {
  names?: string[];
  /** Quiet time after the last change before a batch is evaluated (default 80 ms). */
  debounceMs?: number | undefined;
  /** Stops watching (Ctrl-C): nix processes are killed, the cache stays consistent. */
  signal?: AbortSignal;
}

/** git's own files that change what a flake sees: the index (tracked files) and HEAD. */
const GIT_FILES: Record<string, Change> = {
  ".git/index": { kind: "index" },
  ".git/HEAD": { kind: "head" },
  ".git/logs/HEAD": { kind: "head" },
  ".git/packed-refs": { kind: "head" },
};

/** Folders to watch (depth 0) so every change that reaches a recorded dependency is seen. */
export function watchFolders(
  ws: Workspace,
  targets: Target[],
  deps: (t: Target) => Dependency[] | undefined,
): string[] {
  const dirs = new Set<string>([ws.top, ws.repoDir, join(ws.top, ".git"), join(ws.top, ".git", "logs")]);
  const nearestExisting = (rel: string) => {
    let abs = ws.snapshot.abs(rel);
    while (!existsSync(abs) && abs !== ws.top && abs !== dirname(abs)) abs = dirname(abs);
    return abs;
  };
  let wholeTree = false;
  for (const target of targets) {
    // The flake folder holds flake.nix and flake.lock (input dependencies).
    dirs.add(target.flakeDir);
    for (const dep of deps(target) ?? []) {
      const need = watchNeed(dep.kind);
      if (need === "tree") wholeTree = true;
      else if (need === "self") {
        dirs.add(nearestExisting(dep.key));
        dirs.add(nearestExisting(parentOf(dep.key)));
      } else if (need === "parent") dirs.add(nearestExisting(parentOf(dep.key)));
    }
  }
  if (wholeTree) for (const dir of ws.tracked?.children.keys() ?? []) dirs.add(ws.snapshot.abs(dir));
  return [...dirs].filter((d) => existsSync(d)).sort();
}

/** What a watcher event at `rel` (relative to the top) stands for; undefined when nothing. */
export function changeOf(event: string, rel: string): Change | undefined {
  if (rel === ".git" || rel.startsWith(".git/")) return GIT_FILES[rel];
  const change =
    event === "add" || event === "addDir" ? "added" : event.startsWith("unlink") ? "removed" : "modified";
  return { kind: "path", path: rel, change };
}

/**
 * Could `change` alter what `deps` recorded? Unknown dependencies (never evaluated): yes. A lock
 * file's edit reaches every input recorded from it (which nodes changed is for the round to see).
 */
export function touches(deps: Dependency[] | undefined, change: Change): boolean {
  if (deps === undefined) return true;
  const lock = change.kind === "path" && isLockPath(change.path) ? change.path : undefined;
  return deps.some(
    (dep) =>
      reaches(dep.kind, dep.key, change) ||
      (lock !== undefined && dep.kind === "input" && splitInputKey(dep.key).lockPath === lock),
  );
}

interface WatchRound {
  /** Report cached targets too (the first round), or only what was evaluated or changed. */
  emitCached: boolean;
  hints: Change[];
}

/** The engine's watch: keeps the named targets (or all) current until the signal aborts. */
export async function watchFleet(ctx: EngineContext, options: WatchOptions): Promise<void> {
  const signal = options.signal ?? ctx.signal ?? new AbortController().signal;
  const names = options.names ?? [];
  const debounceMs = options.debounceMs ?? 80;
  const { watch } = await import("chokidar");
  // Names are checked once up front, so a typo fails fast instead of watching nothing.
  const first = await ctx.discover(await ctx.openWorkspace());
  selectTargets(first.hosts, names, ctx.config.groups, first.errors);

  const lastDeps = (target: Target) => ctx.store.traces(target.id)[0]?.deps;
  const reported = new Map<string, string>();
  const inFlight = new Map<string, { target: Target; controller: AbortController }>();
  /** Changes since the last batch, by the path they were seen at (git's own files included). */
  const pending = new Map<string, Change>();
  let ws = await ctx.openWorkspace();
  let targets = await watchedTargets(ctx, ws, names);
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;

  const onEvent = (event: string, abs: string) => {
    const rel = ws.rel(abs);
    const change = changeOf(event, rel);
    if (change === undefined) return;
    pending.set(rel, change);
    // Cancel now (not after the debounce): the evaluation is already out of date.
    for (const { target, controller } of inFlight.values()) {
      if (touches(lastDeps(target), change)) controller.abort();
    }
    clearTimeout(timer);
    timer = setTimeout(() => wake?.(), debounceMs);
  };

  // Watchers are only ever added, each awaited until chokidar is ready: a folder is watched
  // before anything that depends on it is reported, so there is no window in which a save goes
  // unseen. When too many watched folders are no longer needed, all are replaced at once.
  const watchers: FSWatcher[] = [];
  const watched = new Set<string>();
  const startWatcher = async (dirs: string[]): Promise<FSWatcher> => {
    const watcher = watch(dirs, {
      depth: 0,
      ignoreInitial: true,
      persistent: true,
      ignored: (path: string) =>
        /\/node_modules(\/|$)/.test(path) || /\/\.git\/(objects|refs|hooks|info)(\/|$)/.test(path),
    });
    watcher.on("all", (event, path) => onEvent(event, path));
    watcher.on("error", (error) => ctx.warn(`watcher: ${(error as Error).message}`));
    await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
    return watcher;
  };
  /** Watches what the targets now need; true when folders were added. */
  const refreshWatchSet = async (): Promise<boolean> => {
    const next = new Set(watchFolders(ws, targets, lastDeps));
    const added = [...next].filter((d) => !watched.has(d));
    const stale = [...watched].filter((d) => !next.has(d)).length;
    if (stale > Math.max(64, next.size)) {
      const fresh = await startWatcher([...next]);
      await Promise.all(watchers.splice(0).map((w) => w.close()));
      watchers.push(fresh);
      watched.clear();
      for (const d of next) watched.add(d);
      return added.length > 0;
    }
    if (added.length === 0) return false;
    watchers.push(await startWatcher(added));
    for (const d of added) watched.add(d);
    return true;
  };

  const round = async ({ emitCached, hints }: WatchRound) => {
    await ctx.runRound(ws, targets, {
      signal,
      hints,
      signalFor: (target) => {
        const controller = new AbortController();
        inFlight.set(target.id, { target, controller });
        return controller.signal;
      },
      onResult: (result) => {
        const entry = [...inFlight.values()].find((f) => f.target.name === result.name);
        if (entry) inFlight.delete(entry.target.id);
        // A cancelled evaluation is not a result: the next round evaluates the new content.
        if (isCancelled(result.error)) return;
        // Report what was evaluated, and any target whose answer changed even though it came
        // from the cache (switching back to a branch hits older traces).
        const answer = `${result.status === "failed"}:${result.drvPath}:${result.error?.message}`;
        const changed = reported.get(result.name) !== answer;
        reported.set(result.name, answer);
        if (emitCached || !result.fromCache || changed) ctx.events.emit({ type: "result", result });
      },
    });
    inFlight.clear();
    await ctx.store.flush();
  };

  /** Evaluates the batch, then watches what the results need; again if that let a change by. */
  const settle = async (first: WatchRound) => {
    await round(first);
    // Folders just added were not watched while this round ran: a save there since the trace's
    // fingerprints were taken would go unseen. Verify once more now that they are watched.
    while ((await refreshWatchSet()) && !signal.aborted) {
      ws = await ctx.openWorkspace();
      targets = await watchedTargets(ctx, ws, names);
      await round({ emitCached: false, hints: [] });
    }
  };

  const stop = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  try {
    watchers.push(await startWatcher(watchFolders(ws, targets, lastDeps)));
    for (const d of watchFolders(ws, targets, lastDeps)) watched.add(d);
    await settle({ emitCached: true, hints: [] });
    ctx.events.emit({ type: "ready" });
    while (!signal.aborted) {
      if (pending.size === 0) {
        const woke = new Promise<void>((resolve) => {
          wake = resolve;
        });
        await Promise.race([woke, stop]);
        if (signal.aborted) break;
        if (pending.size === 0) continue;
      }
      const paths = [...pending.keys()].sort();
      const batch = [...pending.values()];
      pending.clear();
      ctx.events.emit({ type: "change", paths: paths.map((p) => ws.display(p)) });
      ws = await ctx.openWorkspace();
      const before = targets;
      targets = await watchedTargets(ctx, ws, names);
      // A target that is gone (git rm, a branch without it) is reported once, as removed.
      const now = new Set(targets.map((t) => t.id));
      for (const gone of before.filter((t) => !now.has(t.id))) {
        reported.delete(gone.name);
        ctx.events.emit({ type: "result", result: removedResult(gone) });
      }
      await settle({ emitCached: false, hints: batch });
      if (pending.size === 0) ctx.events.emit({ type: "idle" });
      else {
        // More changes arrived while evaluating: take them after their own debounce.
        await new Promise<void>((resolve) => {
          wake = resolve;
          clearTimeout(timer);
          timer = setTimeout(resolve, debounceMs);
        });
      }
    }
  } finally {
    clearTimeout(timer);
    for (const { controller } of inFlight.values()) controller.abort();
    await Promise.all(watchers.map((w) => w.close()));
  }
}

/** Targets to keep current in this workspace (discovery is itself cached). */
async function watchedTargets(ctx: EngineContext, ws: Workspace, names: string[]): Promise<Target[]> {
  const { hosts, errors } = await ctx.discover(ws);
  for (const failure of errors) {
    ctx.warn(
      `flake ${failure.flake}: ${failure.error.file ? `${failure.error.file}:${failure.error.line}: ` : ""}${failure.error.message}`,
    );
  }
  if (names.length === 0) return hosts;
  // A named target that disappeared is simply no longer watched.
  return names.flatMap((name) => {
    try {
      return selectTargets(hosts, [name], ctx.config.groups);
    } catch {
      return [];
    }
  });
}
