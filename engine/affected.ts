// `infra affected` and the graph's input, answered from the recorded traces (nothing evaluated
// unless asked). The index below finds the recorded dependencies a change could reach by what
// they name; whether it does reach them is the invalidation rule's answer (invalidation.ts).
import type { DepKind, StoredTrace } from "../cache/records.js";
import { ancestorsOf, normalizePath } from "../graph/paths.js";
import type { GraphInput, GraphTarget } from "../graph/types.js";
import { addDeployments } from "./deploy/graph-view.js";
import type { Target } from "./fleet/targets.js";
import {
  AFFECTED_REASONS,
  type Change,
  isPathKind,
  type PathChange,
  reaches,
  reasonFor,
  toChanges,
} from "./invalidation.js";
import { changesFromGit, changesFromPaths } from "./repo/changes.js";
import { isLockPath, splitInputKey } from "./repo/lock.js";
import type { Workspace } from "./repo/workspace.js";
import type { EngineContext } from "./run/context.js";
import { dependencyView } from "./run/result.js";
import { addSecretChecks } from "./secrets/graph-view.js";

export { AFFECTED_REASONS, HEAD_CHANGE } from "./invalidation.js";

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

/** One recorded dependency, with the targets that recorded it. */
interface Entry {
  kind: DepKind;
  path: string;
  targets: number[];
}

/** Recorded dependencies indexed by what they name; build once per set of traces, query many times. */
export class AffectedIndex {
  /** Path kinds: path → entries naming it. */
  readonly #byPath = new Map<string, Entry[]>();
  /** Folder → recorded paths strictly inside it, for changes that create or delete a folder. */
  readonly #inside = new Map<string, string[]>();
  /** Input entries by key, and each lock file's keys (for a lock change without a node list). */
  readonly #inputs = new Map<string, Entry>();
  readonly #locks = new Map<string, string[]>();
  /** tree and git entries: they name no path. */
  readonly #global: Entry[] = [];
  readonly #all: Entry[] = [];
  readonly #unknown: number[] = [];
  readonly #names: string[];

  constructor(source: TargetSource) {
    this.#names = source.targets.map((t) => t.name);
    const entries = new Map<string, Entry>();
    source.targets.forEach((target, index) => {
      if (target.status === "unknown") this.#unknown.push(index);
      for (const dep of target.deps) {
        const path = normalizePath(dep.path);
        const id = `${dep.kind}\0${path}`;
        let entry = entries.get(id);
        if (entry === undefined) {
          entry = { kind: dep.kind, path, targets: [] };
          entries.set(id, entry);
          this.#register(entry);
        }
        if (entry.targets[entry.targets.length - 1] !== index) entry.targets.push(index);
      }
    });
  }

  #register(entry: Entry): void {
    this.#all.push(entry);
    if (isPathKind(entry.kind)) {
      const list = this.#byPath.get(entry.path);
      if (list === undefined) {
        this.#byPath.set(entry.path, [entry]);
        for (const folder of ancestorsOf(entry.path)) push(this.#inside, folder, entry.path);
      } else list.push(entry);
    } else if (entry.kind === "input") {
      this.#inputs.set(entry.path, entry);
      push(this.#locks, splitInputKey(entry.path).lockPath, entry.path);
    } else this.#global.push(entry);
  }

  /** The entries a change could reach, by what they name (a superset: the rule decides). */
  #candidates(change: Change): Entry[] {
    switch (change.kind) {
      case "path": {
        const path = normalizePath(change.path);
        const out = [...(this.#byPath.get(path) ?? [])];
        for (const folder of ancestorsOf(path)) out.push(...(this.#byPath.get(folder) ?? []));
        for (const inner of this.#inside.get(path) ?? []) out.push(...this.#byPath.get(inner)!);
        out.push(...this.#global);
        return out;
      }
      case "input": {
        const entry = this.#inputs.get(normalizePath(change.key));
        return entry === undefined ? [] : [entry];
      }
      case "head":
        return this.#global;
      case "index":
        return this.#all;
    }
  }

  /**
   * The targets `changes` can affect. `changedInputs` are the flake inputs whose locked entry
   * changed (`<flake folder>/flake.lock#<node>`, or `flake.lock#<node>` at the repo folder). When
   * it is omitted, a changed `flake.lock` counts as a change of every input locked in it.
   */
  query(changes: readonly PathChange[], changedInputs?: readonly string[]): AffectedResult {
    const inputs =
      changedInputs ??
      changes.flatMap((c) => {
        const path = normalizePath(c.path);
        return isLockPath(path) ? (this.#locks.get(path) ?? []) : [];
      });
    return this.queryChanges(toChanges(changes, inputs, false));
  }

  /** The targets any of `changes` reaches, with every reason that matched. */
  queryChanges(changes: readonly Change[]): AffectedResult {
    const reasons = new Map<number, Set<string>>();
    const dirtied = new Set<number>();
    for (const change of changes) {
      for (const entry of this.#candidates(change)) {
        if (!reaches(entry.kind, entry.path, change)) continue;
        for (const t of entry.targets) {
          // A flipped dirty flag follows from the path changes: where they reach the whole tree,
          // that is the reason to name.
          if (change.kind === "head" && change.cause === "dirtiness") dirtied.add(t);
          else add(reasons, t, reasonFor(entry.kind, entry.path));
        }
      }
    }
    for (const t of dirtied) {
      if (!reasons.get(t)?.has(AFFECTED_REASONS.tree)) add(reasons, t, AFFECTED_REASONS.git);
    }
    for (const t of this.#unknown) add(reasons, t, AFFECTED_REASONS.unknown);

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
}

/** Builds the index behind `affectedTargets`; keep it to answer several change sets. */
export function buildAffectedIndex(source: TargetSource): AffectedIndex {
  return new AffectedIndex(source);
}

/** The targets whose recorded dependencies `changes` (and `changedInputs`) reach. */
export function affectedTargets(
  source: TargetSource | AffectedIndex,
  changes: readonly PathChange[],
  changedInputs?: readonly string[],
): AffectedResult {
  const index = source instanceof AffectedIndex ? source : new AffectedIndex(source);
  return index.query(changes, changedInputs);
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function add(reasons: Map<number, Set<string>>, target: number, reason: string): void {
  const set = reasons.get(target);
  if (set === undefined) reasons.set(target, new Set([reason]));
  else set.add(reason);
}

export interface AffectedOptions {
  /** Changed paths, absolute (the CLI resolves them against the current folder). */
  paths?: string[];
  /** Or: what changed between this git ref and the working tree. */
  since?: string;
  /** Evaluate never-evaluated targets first, instead of reporting them as unknown. */
  evaluate?: boolean;
}

export interface AffectedReport extends AffectedResult {
  changes: PathChange[];
  /** Paths given that are not part of any flake, with why. */
  ignored: { path: string; why: string }[];
}

export interface TargetTrace {
  target: Target;
  /** The trace that describes the target: the one valid now, else the most recently used. */
  trace: StoredTrace | undefined;
}

async function collectTraces(ctx: EngineContext, ws: Workspace, targets: Target[]): Promise<TargetTrace[]> {
  const out: TargetTrace[] = [];
  for (const target of targets) {
    const valid = await ctx.scheduler.lookup(ws, target.id);
    out.push({ target, trace: valid ?? ctx.store.traces(target.id)[0] });
  }
  return out;
}

function toGraphInput(ws: Workspace, traces: TargetTrace[]): GraphInput {
  const display = (rel: string) => ws.display(rel);
  return {
    repoDir: ws.repoDir,
    targets: traces.map(({ target, trace }) => ({
      id: target.id,
      name: target.name,
      kind: target.kind,
      flake: target.flake,
      status: trace === undefined ? "unknown" : trace.evaluation.error ? "failed" : "ok",
      drvPath: trace?.evaluation.drvPath ?? undefined,
      deps: (trace?.deps ?? []).map((dep) => dependencyView(dep, display)),
    })),
    trackedFiles: [...(ws.tracked?.files ?? [])]
      .map(display)
      .filter((p) => !p.startsWith(".."))
      .sort(),
  };
}

export async function runAffected(ctx: EngineContext, options: AffectedOptions): Promise<AffectedReport> {
  let ws = await ctx.openWorkspace();
  let { hosts: targets } = await ctx.discover(ws, { lastKnown: true });
  if (options.evaluate) {
    const unknown = targets.filter((t) => ctx.store.traces(t.id).length === 0);
    if (unknown.length > 0) {
      await ctx.runRound(ws, unknown, {
        onResult: (result) => ctx.events.emit({ type: "result", result }),
      });
      ctx.checkSignal();
      ws = await ctx.openWorkspace();
      targets = (await ctx.discover(ws, { lastKnown: true })).hosts;
    }
  }
  const traces = await collectTraces(ctx, ws, targets);
  const recorded = traces.map((t) => t.trace?.deps ?? []);
  const found =
    options.since !== undefined
      ? await changesFromGit(ws, options.since)
      : await changesFromPaths(ws, options.paths ?? [], recorded);
  const index = buildAffectedIndex(toGraphInput(ws, traces));
  const result = index.queryChanges(toChanges(found.changes, found.changedInputs, found.dirtiness));
  await ctx.store.flush();
  return { ...result, changes: found.changes, ignored: found.ignored };
}

export async function graphData(ctx: EngineContext): Promise<GraphInput> {
  const ws = await ctx.openWorkspace();
  const { hosts: targets } = await ctx.discover(ws);
  const traces = await collectTraces(ctx, ws, targets);
  const input = toGraphInput(ws, traces);
  addDeployments(input, traces, ctx.store);
  await addSecretChecks(ctx, ws, input, traces);
  await ctx.store.flush();
  return input;
}
