// `infra plan`: what `infra deploy` would do, touching nothing on the targets. Per target one
// ssh round trip asks what it runs and, when that is not the next toplevel, its closure with
// sizes (remote.ts ASK_SCRIPT); the next toplevel is built here and its closure read from the
// local store; closure-diff.ts compares the two. Nothing is copied to a target: both closures'
// package lists meet here. Main thread.
import type { Workspace } from "../repo/workspace.js";
import type { EngineContext } from "../run/context.js";
import { describeAddress } from "./address.js";
import { buildLocal } from "./build.js";
import { localClosure } from "./closure.js";
import { diffClosures } from "./closure-diff.js";
import { ensureDerivation } from "./derivation.js";
import { ASK_PARALLEL, askTarget } from "./env.js";
import { limiter } from "./limit.js";
import {
  evaluationError,
  type PendingTarget,
  type PreparedTarget,
  prepareTargets,
  ready,
} from "./prepare.js";
import { currentOf, isUpToDate } from "./remote.js";
import { summarizePlan } from "./result.js";
import { DeploySession } from "./session.js";
import { deployError, goalProblem } from "./target-run.js";
import type { DeployGoal, PlanHostResult, PlanOptions, PlanReport } from "./types.js";

function planResult(
  prepared: PreparedTarget,
  fields: Partial<PlanHostResult> & Pick<PlanHostResult, "status">,
): PlanHostResult {
  return {
    name: prepared.target.name,
    host: prepared.address.error ? null : describeAddress(prepared.address.address),
    status: fields.status,
    current: fields.current ?? null,
    next: fields.next === undefined ? prepared.evaluation.outPath : fields.next,
    sizeDelta: fields.sizeDelta ?? null,
    packages: fields.packages ?? [],
    closureSize: fields.closureSize ?? { before: null, after: null },
    error: fields.error ?? null,
  };
}

async function planOne(
  ctx: EngineContext,
  ws: Workspace,
  session: DeploySession,
  slots: { ask: <T>(task: () => Promise<T>) => Promise<T>; build: <T>(task: () => Promise<T>) => Promise<T> },
  prepared: PreparedTarget,
  goal: DeployGoal,
): Promise<PlanHostResult> {
  const { target, evaluation, address } = prepared;
  if (evaluation.error || evaluation.outPath === null || evaluation.drvPath === null)
    return planResult(prepared, {
      status: "skipped",
      next: null,
      error: evaluation.error ? evaluationError(evaluation) : null,
    });
  if (address.error) return planResult(prepared, { status: "skipped", error: address.error });
  const goalIssue = goalProblem(target.kind, goal);
  if (goalIssue) return planResult(prepared, { status: "skipped", error: deployError("goal", goalIssue) });
  const next = evaluation.outPath;
  const asked = await askTarget(
    session,
    slots.ask,
    { target, address: address.address, goal, next },
    { closure: true },
  );
  if (asked.error) return planResult(prepared, { status: "unreachable", error: asked.error });
  const { state } = asked;
  const current = currentOf(target.kind, goal, state);
  if (isUpToDate(target.kind, goal, state, next))
    return planResult(prepared, { status: "up-to-date", current });
  const status = current === null ? "new" : "changed";
  if (current === next)
    // Runs it, but the profile (or the goal) asks for more: no closure changes.
    return planResult(prepared, { status, current, sizeDelta: 0 });
  if (address.address.buildOn === "remote")
    return planResult(prepared, {
      status,
      current,
      error: deployError("build", "it is built on the target, so its closure is not known before deploying"),
    });
  return slots.build(async () => {
    session.step(target.name, "building");
    const missing = await ensureDerivation(ctx, ws, prepared);
    if (missing) return planResult(prepared, { status, current, error: missing });
    const built = await buildLocal(session, evaluation.drvPath!, next);
    if (!built.ok)
      return planResult(prepared, {
        status,
        current,
        error: deployError("build", built.message, { output: built.output }),
      });
    const after = await localClosure(session, next);
    if ("error" in after)
      return planResult(prepared, { status, current, error: deployError("build", after.error) });
    const before = current === null ? [] : state.closure;
    if (before === undefined)
      return planResult(prepared, {
        status,
        current,
        closureSize: { before: null, after: after.reduce((n, p) => n + p.size, 0) },
        error: deployError("connect", `${address.address.host} did not send the closure of ${current}`),
      });
    const diff = diffClosures(before, after);
    return planResult(prepared, {
      status,
      current,
      sizeDelta: diff.sizeDelta,
      packages: diff.packages,
      closureSize: { before: current === null ? null : diff.sizeBefore, after: diff.sizeAfter },
    });
  });
}

export async function runPlan(ctx: EngineContext, options: PlanOptions): Promise<PlanReport> {
  const goal = options.goal ?? ctx.config.deploy.goal;
  const jobs = Math.max(1, options.jobs ?? ctx.config.deploy.jobs);
  const { ws, targets, round } = await prepareTargets(ctx, options.names ?? [], undefined);
  const session = new DeploySession(ctx.nix, ws.top, ctx.signal, (event) => ctx.events.emit(event));
  const slots = { ask: limiter(Math.max(jobs, ASK_PARALLEL)), build: limiter(jobs) };
  let hosts: PlanHostResult[];
  try {
    [hosts] = await Promise.all([
      Promise.all(
        targets.map(async (pending: PendingTarget) => {
          const result = await planOne(ctx, ws, session, slots, await ready(pending), goal);
          ctx.events.emit({ type: "plan-result", result });
          return result;
        }),
      ),
      round,
    ]);
  } finally {
    await session.close();
  }
  ctx.checkSignal();
  return { hosts, summary: summarizePlan(hosts) };
}
