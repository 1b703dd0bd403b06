import type { DeployBackend, DeployGoal } from "../../engine/index.js";
import type { CliContext } from "../context.js";
import { numberOption, OPTION_RULES, openEngine, writeJson } from "../context.js";
import { renderDeploy, renderPlan } from "../render/deploy.js";
import { createDeployProgress } from "../render/deploy-progress.js";
import { makeStyle } from "../render/style.js";

export interface DeployFlags {
  goal?: string;
  backend?: string;
  dryRun?: boolean;
  jobs?: string;
  skipSecretsCheck?: boolean;
}

/** `--goal` and `--backend`, checked against what the engine knows. */
export async function deploySettings(flags: {
  goal?: string | undefined;
  backend?: string | undefined;
}): Promise<{ goal: DeployGoal | undefined; backend: DeployBackend | undefined }> {
  const { DEPLOY_GOALS, DEPLOY_BACKENDS } = await import("../../engine/index.js");
  const { UsageError } = await import("../../errors/index.js");
  const pick = <T extends string>(flag: string, value: string | undefined, allowed: readonly T[]) => {
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value))
      throw new UsageError(`${flag} expects one of ${allowed.join(", ")}, got '${value}'`);
    return value as T;
  };
  return {
    goal: pick("--goal", flags.goal, DEPLOY_GOALS),
    backend: pick("--backend", flags.backend, DEPLOY_BACKENDS),
  };
}

export async function deployCommand(ctx: CliContext, names: string[], flags: DeployFlags): Promise<number> {
  const { goal, backend } = await deploySettings(flags);
  const jobs = await numberOption("--jobs", flags.jobs, await OPTION_RULES.jobs());
  const engine = await openEngine(ctx);
  const progress = createDeployProgress(ctx.stderr);
  const off = engine.on((e) => progress.handle(e));
  try {
    if (flags.dryRun) {
      const plan = await engine.plan({ names, goal, jobs });
      progress.stop();
      if (ctx.options.json) writeJson(ctx, plan);
      else renderPlan(plan, ctx.stdout, makeStyle(ctx.stdout));
      return plan.summary.unreachable + plan.summary.skipped > 0 ? 1 : 0;
    }
    const report = await engine.deploy({
      names,
      goal,
      backend,
      jobs,
      skipPreflight: flags.skipSecretsCheck === true,
    });
    progress.stop();
    if (ctx.options.json) writeJson(ctx, report);
    else renderDeploy(report, ctx.stdout, makeStyle(ctx.stdout));
    return report.summary.failed + report.summary.skipped > 0 ? 1 : 0;
  } finally {
    off();
    progress.stop();
    await engine.close();
  }
}
