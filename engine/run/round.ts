// One round: targets in, results out, cache first. Every capability (eval, watch, ci, affected
// --eval) evaluates through this, so they all report the same HostResult shapes.
import type { Evaluation } from "../../cache/records.js";
import type { Target } from "../fleet/targets.js";
import type { Change } from "../invalidation.js";
import type { Workspace } from "../repo/workspace.js";
import type { EventBus } from "./events.js";
import { valueJob } from "./job.js";
import { type HostResult, hostResult } from "./result.js";
import type { JobResult, Scheduler } from "./scheduler.js";

export interface RoundOptions {
  /** Evaluate even where a cached answer holds (the results are still recorded). */
  noCache?: boolean | undefined;
  /** Evaluate as `nix eval` does, from a store copy of the tree. */
  exact?: boolean | undefined;
  /** Stops the round (defaults to the engine's signal). */
  signal?: AbortSignal | undefined;
  /** A target's own signal: watch cancels one evaluation when a change reaches it. */
  signalFor?: ((target: Target) => AbortSignal | undefined) | undefined;
  /** Changes seen since the last round (watch): checked first when verifying the cache. */
  hints?: readonly Change[] | undefined;
  onResult(result: HostResult): void;
  /** Each target's evaluation as recorded (what the contract's result leaves out: declarations). */
  onEvaluation?: ((target: Target, evaluation: Evaluation) => void) | undefined;
}

export type RunRound = (ws: Workspace, targets: Target[], round: RoundOptions) => Promise<HostResult[]>;

export interface RoundRunnerOptions {
  scheduler: Scheduler;
  events: EventBus;
  meta: Record<string, string[]>;
  signal: AbortSignal | undefined;
  /** Called once, on the first round, when evaluations cannot be traced. */
  untraced: (() => void) | undefined;
}

/** The engine's round runner: results come back in the order the targets were given. */
export function roundRunner(options: RoundRunnerOptions): RunRound {
  let warned = false;
  return async (ws, selected, round) => {
    if (options.untraced && !warned) {
      warned = true;
      options.untraced();
    }
    const byJob = new Map(selected.map((t) => [t.id, t]));
    const toResult = (r: JobResult) => {
      round.onEvaluation?.(byJob.get(r.job.id)!, r.evaluation);
      return hostResult(byJob.get(r.job.id)!, r, ws);
    };
    const results = await options.scheduler.run(
      ws,
      selected.map((t) => valueJob(t, options.meta)),
      {
        noCache: round.noCache,
        exact: round.exact,
        signal: round.signal ?? options.signal,
        signalFor: round.signalFor && ((job) => round.signalFor!(byJob.get(job.id)!)),
        hints: round.hints,
        onStart: (job) =>
          options.events.emit({ type: "start", name: job.label, kind: byJob.get(job.id)!.kind }),
        onResult: (r) => round.onResult(toResult(r)),
      },
    );
    const order = new Map(selected.map((t, i) => [t.id, i]));
    return results
      .sort((a, b) => order.get(a.job.id)! - order.get(b.job.id)!)
      .map((r) => hostResult(byJob.get(r.job.id)!, r, ws));
  };
}
