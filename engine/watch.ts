// `infra watch`: keep every target's evaluation current while files change. chokidar watches the
// folders holding what the traces recorded (not the whole tree); each debounced batch of changes
// becomes one cache-aware round, and a change that reaches a target being evaluated cancels that
// evaluation so the round after it evaluates the new content.
import { existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import type { FSWatcher } from "chokidar";
import type { Dependency } from "../cache/fingerprint.js";
import type { EngineCore } from "./core.js";
import type { EventBus } from "./events.js";
import type { HostResult } from "./report.js";
import { selectTargets, type Target } from "./targets.js";
import type { Workspace } from "./workspace.js";

export interface WatchOptions {
  names?: string[];
  /** Quiet time after the last change before a batch is evaluated (default 80 ms). */
  debounceMs?: number;
  /** Stops watching (Ctrl-C): nix processes are killed, the cache stays consistent. */
  signal?: AbortSignal;
}

export interface RoundOptions {
  /** Report cached targets too (the first round), or only what was evaluated. */
  emitCached: boolean;
  signalFor: (target: Target) => AbortSignal | undefined;
  onResult: (result: HostResult) => void;
  onStart: (target: Target) => void;
}

export interface WatchHost {
  events: EventBus;
  signal: AbortSignal;
  debounceMs: number;
  openWorkspace(): Promise<Workspace>;
  /** Targets to keep current in this workspace (discovery is itself cached). */
  targets(ws: Workspace): Promise<Target[]>;
  round(ws: Workspace, targets: Target[], options: RoundOptions): Promise<void>;
  /** Dependencies of a target's most recent trace, if any. */
  lastDeps(target: Target): Dependency[] | undefined;
  flush(): Promise<void>;
}

/** Only these files of .git change what a flake sees: the index (tracked files) and HEAD. */
const GIT_FILES = new Set([".git/index", ".git/HEAD", ".git/logs/HEAD", ".git/packed-refs"]);

/** Folders to watch (depth 0) so every change to a recorded dependency is seen. */
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
    dirs.add(target.flakeDir);
    const recorded = deps(target);
    if (recorded === undefined) continue;
    for (const dep of recorded) {
      if (dep.kind === "tree") wholeTree = true;
      else if (dep.kind === "dir") {
        dirs.add(nearestExisting(dep.key));
        dirs.add(nearestExisting(dirname(dep.key) === "." ? "" : dirname(dep.key)));
      } else if (dep.kind === "file" || dep.kind === "type" || dep.kind === "link") {
        dirs.add(nearestExisting(dirname(dep.key) === "." ? "" : dirname(dep.key)));
      }
    }
  }
  // A value built from self.outPath depends on every tracked file.
  if (wholeTree) for (const dir of ws.tracked?.children.keys() ?? []) dirs.add(ws.snapshot.abs(dir));
  return [...dirs].filter((d) => existsSync(d)).sort();
}

/** Could a change at `rel` (relative to the top) alter what this trace read? Unknown deps: yes. */
export function touches(deps: Dependency[] | undefined, rel: string): boolean {
  if (deps === undefined) return true;
  const parent = dirname(rel) === "." ? "" : dirname(rel);
  return deps.some((dep) => {
    switch (dep.kind) {
      case "tree":
        return !rel.startsWith(".git/");
      case "git":
        return rel.startsWith(".git/");
      case "input":
        return rel.endsWith("flake.lock");
      case "dir":
        return dep.key === rel || dep.key === parent || rel === ".git/index";
      default:
        return dep.key === rel || rel === ".git/index";
    }
  });
}

export async function runWatch(host: WatchHost): Promise<void> {
  const { events, signal } = host;
  const { watch } = await import("chokidar");
  let ws = await host.openWorkspace();
  let targets = await host.targets(ws);
  const inFlight = new Map<string, { target: Target; controller: AbortController }>();
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;

  const onChange = (abs: string) => {
    const rel = relative(ws.top, abs).split("\\").join("/");
    if (rel.startsWith(".git/") && !GIT_FILES.has(rel)) return;
    pending.add(rel);
    // Cancel now (not after the debounce): the evaluation is already out of date.
    for (const { target, controller } of inFlight.values()) {
      if (touches(host.lastDeps(target), rel)) controller.abort();
    }
    clearTimeout(timer);
    timer = setTimeout(() => wake?.(), host.debounceMs);
  };

  let watched = new Set(watchFolders(ws, targets, host.lastDeps));
  const watcher: FSWatcher = watch([...watched], {
    depth: 0,
    ignoreInitial: true,
    persistent: true,
    ignored: (path: string) =>
      /\/node_modules(\/|$)/.test(path) || /\/\.git\/(objects|refs|hooks|info)(\/|$)/.test(path),
  });
  const ready = new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  watcher.on("all", (_event, path) => onChange(path));
  watcher.on("error", (error) =>
    events.emit({ type: "warning", message: `watcher: ${(error as Error).message}` }),
  );

  const refreshWatchSet = () => {
    const next = new Set(watchFolders(ws, targets, host.lastDeps));
    const added = [...next].filter((d) => !watched.has(d));
    const removed = [...watched].filter((d) => !next.has(d));
    if (added.length > 0) watcher.add(added);
    if (removed.length > 0) watcher.unwatch(removed);
    watched = next;
  };

  const round = async (emitCached: boolean) => {
    await host.round(ws, targets, {
      emitCached,
      signalFor: (target) => {
        const controller = new AbortController();
        inFlight.set(target.id, { target, controller });
        return controller.signal;
      },
      onStart: () => {},
      onResult: (result) => {
        const entry = [...inFlight.values()].find((f) => f.target.name === result.name);
        if (entry) inFlight.delete(entry.target.id);
        // A cancelled evaluation is not a result: the next round evaluates the new content.
        if (result.error?.code === "E_CANCELLED") return;
        events.emit({ type: "result", result });
      },
    });
    inFlight.clear();
    await host.flush();
  };

  const stop = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  try {
    await ready;
    await round(true);
    refreshWatchSet();
    events.emit({ type: "ready" });
    while (!signal.aborted) {
      if (pending.size === 0) {
        const woke = new Promise<void>((resolve) => {
          wake = resolve;
        });
        await Promise.race([woke, stop]);
        if (signal.aborted) break;
        if (pending.size === 0) continue;
      }
      // The debounce: wait until no new change arrived for debounceMs.
      const paths = [...pending].sort();
      pending.clear();
      events.emit({ type: "change", paths: paths.map((p) => ws.display(p)) });
      ws = await host.openWorkspace();
      targets = await host.targets(ws);
      await round(false);
      refreshWatchSet();
      if (pending.size === 0) events.emit({ type: "idle" });
      else {
        // More changes arrived while evaluating: take them after their own debounce.
        await new Promise<void>((resolve) => {
          wake = resolve;
          clearTimeout(timer);
          timer = setTimeout(resolve, host.debounceMs);
        });
      }
    }
  } finally {
    clearTimeout(timer);
    for (const { controller } of inFlight.values()) controller.abort();
    await watcher.close();
  }
}

/** The engine's watch: keeps the named targets (or all) current until the signal aborts. */
export async function watchFleet(core: EngineCore, watchOptions: WatchOptions): Promise<void> {
  const signal = watchOptions.signal ?? core.signal ?? new AbortController().signal;
  const names = watchOptions.names ?? [];
  const reported = new Map<string, string>();
  // Names are checked once up front, so a typo fails fast instead of watching nothing.
  selectTargets((await core.discover(await core.openWorkspace())).hosts, names, core.config.groups);
  await runWatch({
    events: core.events,
    signal,
    debounceMs: watchOptions.debounceMs ?? 80,
    openWorkspace: core.openWorkspace,
    async targets(ws) {
      const { hosts, errors } = await core.discover(ws);
      for (const failure of errors) {
        core.warn(
          `flake ${failure.flake}: ${failure.error.file ? `${failure.error.file}:${failure.error.line}: ` : ""}${failure.error.message}`,
        );
      }
      if (names.length === 0) return hosts;
      // A named target that disappeared is simply no longer watched.
      return names.flatMap((name) => {
        try {
          return selectTargets(hosts, [name], core.config.groups);
        } catch {
          return [];
        }
      });
    },
    async round(ws, selected, round) {
      const byId = new Map(selected.map((t) => [t.id, t]));
      await core.runRound(ws, selected, {
        signal,
        signalFor: (job) => round.signalFor(byId.get(job.id)!),
        onResult: (result) => {
          // Report what was evaluated, and any target whose answer changed even though it came
          // from the cache (switching back to a branch hits older traces).
          const answer = `${result.status === "failed"}:${result.drvPath}:${result.error?.message}`;
          const changed = reported.get(result.name) !== answer;
          if (result.error?.code !== "E_CANCELLED") reported.set(result.name, answer);
          if (round.emitCached || !result.fromCache || changed) round.onResult(result);
        },
      });
    },
    lastDeps: (target) => core.store.traces(target.id)[0]?.deps,
    flush: () => core.store.flush(),
  });
}
