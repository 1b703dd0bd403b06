import type { CliContext } from "../context.js";
import { numberOption, OPTION_RULES, openEngine, writeJson } from "../context.js";
import { renderPlan } from "../render/deploy.js";
import { createDeployProgress } from "../render/deploy-progress.js";
import { makeStyle } from "../render/style.js";
import { deploySettings } from "./deploy.js";

export interface PlanFlags {
  goal?: string;
  jobs?: string;
}

export async function planCommand(ctx: CliContext, names: string[], flags: PlanFlags): Promise<number> {
  const { goal } = await deploySettings({ goal: flags.goal });
  const jobs = await numberOption("--jobs", flags.jobs, await OPTION_RULES.jobs());
  const engine = await openEngine(ctx);
  const progress = createDeployProgress(ctx.stderr);
  const off = engine.on((e) => progress.handle(e));
  try {
    const report = await engine.plan({ names, goal, jobs });
    progress.stop();
    if (ctx.options.json) writeJson(ctx, report);
    else renderPlan(report, ctx.stdout, makeStyle(ctx.stdout));
    return report.summary.unreachable + report.summary.skipped > 0 ? 1 : 0;
  } finally {
    off();
    progress.stop();
    await engine.close();
  }
}
