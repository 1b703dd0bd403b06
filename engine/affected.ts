// `infra affected` and the graph's input: answered from the recorded traces, nothing evaluated.
import type { GraphInput, PathChange } from "../graph/types.js";
import type { EngineCore } from "./core.js";
import { changesFromGit, changesFromPaths, collectTraces, toGraphInput } from "./graph-input.js";

export interface AffectedOptions {
  /** Changed paths, absolute (the CLI resolves them against the current folder). */
  paths?: string[];
  /** Or: what changed between this git ref and the working tree. */
  since?: string;
  /** Evaluate never-evaluated targets first, instead of reporting them as unknown. */
  evaluate?: boolean;
}

export interface AffectedReport {
  /** Targets to re-evaluate, sorted (never-evaluated ones included). */
  hosts: string[];
  /** Per target, the recorded dependencies that matched. */
  reasons: Record<string, string[]>;
  /** Targets never evaluated: their dependencies are unknown, so they count as affected. */
  unknown: string[];
  changes: PathChange[];
  /** Paths given that are not part of any flake, with why. */
  ignored: { path: string; why: string }[];
}

export async function runAffected(
  core: EngineCore,
  affectedOptions: AffectedOptions,
): Promise<AffectedReport> {
  let ws = await core.openWorkspace();
  let { hosts: targets } = await core.discover(ws);
  if (affectedOptions.evaluate) {
    const unknown = targets.filter((t) => core.store.traces(t.id).length === 0);
    if (unknown.length > 0) {
      await core.runRound(ws, unknown, {
        onResult: (result) => core.events.emit({ type: "result", result }),
      });
      core.checkSignal();
      ws = await core.openWorkspace();
      targets = (await core.discover(ws)).hosts;
    }
  }
  const traces = await collectTraces(ws, targets, core.scheduler, core.store);
  const input = toGraphInput(ws, traces);
  const changes =
    affectedOptions.since !== undefined
      ? await changesFromGit(ws, affectedOptions.since)
      : await changesFromPaths(ws, affectedOptions.paths ?? [], traces);
  const { affectedTargets } = await import("../graph/affected.js");
  const result = affectedTargets(input, changes.changes, changes.changedInputs);
  await core.store.flush();
  return { ...result, changes: changes.changes, ignored: changes.ignored };
}

export async function graphData(core: EngineCore): Promise<GraphInput> {
  const ws = await core.openWorkspace();
  const { hosts: targets } = await core.discover(ws);
  const input = toGraphInput(ws, await collectTraces(ws, targets, core.scheduler, core.store));
  await core.store.flush();
  return input;
}
