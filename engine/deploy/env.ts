// What the deployment of every target shares (engine/deploy/deploy.ts, batch.ts): the session,
// the goal, the slots for ssh round trips, how a result is reported; and the one round trip
// that asks a target what it runs. Main thread.
import type { Workspace } from "../repo/workspace.js";
import type { EngineContext } from "../run/context.js";
import type { PreparedTarget } from "./prepare.js";
import { ASK_SCRIPT, parseAsk, type TargetState } from "./remote.js";
import type { ResultFields } from "./result.js";
import type { DeploySession } from "./session.js";
import { deployError, type TargetRun } from "./target-run.js";
import type { DeployError, DeployGoal, DeployHostResult, DeployStatus, Preflight } from "./types.js";

/** ssh round trips that only ask (cheap, read-only) may run wider than deployments. */
export const ASK_PARALLEL = 16;

export interface DeployHooks {
  preflight: Preflight;
}

/** A target whose toplevel changed, waiting for its flake's colmena or deploy-rs call. */
export interface Batched {
  prepared: PreparedTarget;
  run: TargetRun;
  started: number;
}

export interface DeployEnv {
  ctx: EngineContext;
  ws: Workspace;
  /** Every selected target's name (what a preflight may check at once). */
  selection: readonly string[];
  session: DeploySession;
  goal: DeployGoal;
  ask: <T>(task: () => Promise<T>) => Promise<T>;
  /** Reports a target's result (event) and remembers what it runs afterwards (the record). */
  finish(
    prepared: PreparedTarget,
    status: DeployStatus,
    started: number,
    fields?: ResultFields,
  ): DeployHostResult;
  running: Map<string, string | null>;
}

export type Asked = { state: TargetState; error?: undefined } | { error: DeployError; state?: undefined };

/**
 * Asks what the target runs and keeps: the one round trip an up-to-date target costs. With
 * `closure` (plan), a target that runs something else also sends that closure with its sizes;
 * with `share`, the connection stays open for the copy and the activation that will follow.
 */
export async function askTarget(
  session: DeploySession,
  slot: <T>(task: () => Promise<T>) => Promise<T>,
  run: Omit<TargetRun, "state" | "drvPath">,
  options: { closure?: boolean; share?: boolean } = {},
): Promise<Asked> {
  const closure = options.closure === true;
  session.step(run.target.name, "asking");
  const base = run.target.kind === "home" || run.goal === "boot" ? "profile" : "running";
  const asked = await slot(() =>
    session.remote(run.address, ASK_SCRIPT, [run.address.profile, run.next, closure ? "closure" : "", base], {
      signal: session.signal,
      share: options.share === true,
    }),
  );
  if (!asked.ran) return { error: deployError("connect", asked.message, { hints: asked.hints }) };
  const state = asked.exitCode === 0 ? parseAsk(asked.stdout) : undefined;
  if (state === undefined)
    return {
      error: deployError("connect", `${run.address.host} gave an answer infra does not understand`, {
        output: `${asked.stdout}${asked.stderr}`.trim() || null,
        hints: ["The target needs a POSIX shell, readlink and (for plan) nix-store on PATH."],
      }),
    };
  return { state };
}
