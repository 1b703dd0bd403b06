// `infra deploy`: per target, in parallel, one failure never stopping the others — its valid
// evaluation (a failed one is skipped), where it is, the preflight (the secrets gate), one ssh
// round trip to ask what it runs (the same toplevel: up to date, nothing else happens), then
// build, copy and activate through its backend. colmena and deploy-rs get the changed targets
// of a flake in one call each. Main thread.
import type { EngineContext } from "../run/context.js";
import { applyNixosRebuild } from "./backends/nixos-rebuild.js";
import { applySsh } from "./backends/ssh.js";
import { runBatches } from "./batch.js";
import { buildLocal, buildRemote } from "./build.js";
import { ensureDerivation } from "./derivation.js";
import {
  ASK_PARALLEL,
  type Asked,
  askTarget,
  type Batched,
  type DeployEnv,
  type DeployHooks,
} from "./env.js";
import { limiter } from "./limit.js";
import {
  evaluationError,
  type PendingTarget,
  type PreparedTarget,
  prepareTargets,
  ready,
} from "./prepare.js";
import { currentOf, isUpToDate } from "./remote.js";
import { deployRecord, deployResult, type ResultFields, summarizeDeploy } from "./result.js";
import { DeploySession } from "./session.js";
import { deployError, goalProblem, type TargetRun } from "./target-run.js";
import type {
  DeployBackend,
  DeployError,
  DeployHostResult,
  DeployOptions,
  DeployReport,
  DeployStatus,
} from "./types.js";

async function deployOne(
  env: DeployEnv,
  pending: PendingTarget,
  hooks: DeployHooks,
  options: DeployOptions,
  deploySlot: <T>(task: () => Promise<T>) => Promise<T>,
): Promise<DeployHostResult | Batched> {
  // Nothing happens to a target before its own evaluation is in (others may be further along).
  const prepared = await ready(pending);
  const started = performance.now();
  const { ctx, session, goal } = env;
  const { target, evaluation, address } = prepared;
  const fail = (status: DeployStatus, fields: ResultFields) => env.finish(prepared, status, started, fields);
  if (evaluation.error || evaluation.outPath === null || evaluation.drvPath === null)
    return fail("skipped", { next: null, error: evaluation.error ? evaluationError(evaluation) : null });
  if (address.error) return fail("failed", { error: address.error });
  const where = address.address;
  const goalIssue = goalProblem(target.kind, goal);
  if (goalIssue) return fail("failed", { error: deployError("goal", goalIssue) });
  if (where.backend !== "ssh" && target.kind !== "nixos")
    return fail("failed", {
      error: deployError(
        "backend",
        `the ${where.backend} backend deploys NixOS hosts only; ${target.name} is ${target.kind}`,
        {
          hints: ['Use the ssh backend for it (deploy.targets.<name>.backend = "ssh" in infra.json).'],
        },
      ),
    });
  if (!options.skipPreflight) {
    let verdict: { refuse?: string | undefined };
    try {
      verdict = await hooks.preflight({
        name: target.name,
        kind: target.kind,
        flake: target.flake,
        attr: target.attr,
        evaluation,
        address: where,
        selection: env.selection,
      });
    } catch (error) {
      verdict = { refuse: `the pre-deployment check failed: ${(error as Error).message}` };
    }
    if (verdict.refuse !== undefined)
      return fail("skipped", {
        error: deployError("preflight", verdict.refuse, {
          hints: ["Fix what it names, or pass --skip-secrets-check to deploy anyway (it says so loudly)."],
        }),
      });
  }

  const base = { target, address: where, goal, drvPath: evaluation.drvPath, next: evaluation.outPath };
  const decide = (asked: Asked): DeployHostResult | TargetRun => {
    if (asked.error) return fail("failed", { error: asked.error });
    const { state } = asked;
    if (isUpToDate(target.kind, goal, state, base.next)) {
      env.running.set(target.name, target.kind === "home" ? state.profile : state.running);
      return fail("up-to-date", { current: currentOf(target.kind, goal, state) });
    }
    env.running.set(target.name, state.running);
    return { ...base, state };
  };
  const isRun = (r: DeployHostResult | TargetRun): r is TargetRun => "state" in r;
  const batched = where.backend === "colmena" || where.backend === "deploy-rs";
  const interrupted = () => fail("skipped", { error: deployError("build", "interrupted") });

  // A target Nix evaluated afresh has most likely changed: in its deployment slot, its build
  // starts while it is asked, and the ask opens the connection the copy and activation reuse.
  // One answered from the cache is most likely up to date: asked first, built only if not.
  if (!evaluation.fromCache && !batched && where.buildOn === "local")
    return deploySlot(async () => {
      if (ctx.signal?.aborted) return interrupted();
      session.step(target.name, "building");
      const building = buildStep(env, prepared, base);
      const decided = decide(await askTarget(session, env.ask, base, { share: true }));
      const built = await building;
      if (!isRun(decided)) return decided;
      if (built)
        return fail("failed", { current: currentOf(target.kind, goal, decided.state), error: built });
      return apply(env, prepared, decided, started);
    });

  const decided = decide(await askTarget(session, env.ask, base));
  if (!isRun(decided)) return decided;
  if (batched) return { prepared, run: decided, started };
  return deploySlot(async () => {
    // Interrupted while waiting for a slot: nothing of it has started.
    if (ctx.signal?.aborted) return interrupted();
    session.step(target.name, "building");
    const built = await buildStep(env, prepared, decided);
    if (built) return fail("failed", { current: currentOf(target.kind, goal, decided.state), error: built });
    return apply(env, prepared, decided, started);
  });
}

/** Builds the toplevel (here or on the target); a DeployError when it could not. */
async function buildStep(
  env: DeployEnv,
  prepared: PreparedTarget,
  run: Pick<TargetRun, "address" | "drvPath" | "next">,
): Promise<DeployError | undefined> {
  const missing = await ensureDerivation(env.ctx, env.ws, prepared);
  if (missing) return missing;
  const built =
    run.address.buildOn === "remote"
      ? await buildRemote(env.session, run.address, run.drvPath, run.next)
      : await buildLocal(env.session, run.drvPath, run.next);
  return built.ok ? undefined : deployError("build", built.message, { output: built.output });
}

/** Copies and activates through the target's backend. */
async function apply(
  env: DeployEnv,
  prepared: PreparedTarget,
  run: TargetRun,
  started: number,
): Promise<DeployHostResult> {
  // Built on the target, the closure is there already.
  const outcome =
    run.address.backend === "nixos-rebuild"
      ? await applyNixosRebuild(env.session, run)
      : await applySsh(env.session, run, run.address.buildOn !== "remote");
  env.running.set(run.target.name, outcome.running);
  return env.finish(prepared, outcome.ok ? "deployed" : "failed", started, {
    current: currentOf(run.target.kind, run.goal, run.state),
    error: outcome.error,
    rolledBack: outcome.rolledBack,
  });
}

export async function runDeploy(
  ctx: EngineContext,
  options: DeployOptions,
  hooks: DeployHooks,
): Promise<DeployReport> {
  const started = performance.now();
  const goal = options.goal ?? ctx.config.deploy.goal;
  const jobs = Math.max(1, options.jobs ?? ctx.config.deploy.jobs);
  const { ws, targets, round } = await prepareTargets(ctx, options.names ?? [], options.backend);
  if (options.skipPreflight && targets.length > 0)
    ctx.warn(
      `--skip-secrets-check: the secrets check did not run for ${targets.map((t) => t.target.name).join(", ")}`,
    );
  const session = new DeploySession(ctx.nix, ws.top, ctx.signal, (event) => ctx.events.emit(event), true);
  const backendOf = (p: Pick<PreparedTarget, "address">): DeployBackend =>
    p.address.error ? (options.backend ?? ctx.config.deploy.backend) : p.address.address.backend;
  const env: DeployEnv = {
    ctx,
    ws,
    selection: targets.map((t) => t.target.name),
    session,
    goal,
    ask: limiter(Math.max(jobs, ASK_PARALLEL)),
    running: new Map(),
    finish(prepared, status, since, fields = {}) {
      const result = deployResult(
        prepared,
        status,
        goal,
        backendOf(prepared),
        performance.now() - since,
        fields,
      );
      ctx.events.emit({ type: "deploy-result", result });
      return result;
    },
  };
  const deploySlot = limiter(jobs);
  let hosts: DeployHostResult[];
  try {
    const [first] = await Promise.all([
      Promise.all(targets.map((p) => deployOne(env, p, hooks, options, deploySlot))),
      round,
    ]);
    const batched = first.filter((r): r is Batched => "run" in r);
    const fromBatches = await runBatches(env, batched);
    hosts = first.map((r) => ("run" in r ? fromBatches.get(r.prepared.target.name)! : r));
  } finally {
    await session.close();
  }
  const at = Date.now();
  hosts.forEach((result, i) => {
    const record = deployRecord(result, env.running.get(result.name) ?? null, at);
    if (record) ctx.store.appendDeploy(targets[i]!.target.id, record);
  });
  await ctx.store.flush();
  ctx.checkSignal();
  return { hosts, summary: summarizeDeploy(hosts, performance.now() - started) };
}
