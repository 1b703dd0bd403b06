// A cached evaluation can outlive its `.drv` file (a garbage collection, another store): before
// building, the derivation must be in the local store. When it is not, the target is evaluated
// once more (which writes it), and must give the same derivation. Main thread.
import { existsSync } from "node:fs";
import type { Workspace } from "../repo/workspace.js";
import type { EngineContext } from "../run/context.js";
import type { PreparedTarget } from "./prepare.js";
import { deployError } from "./target-run.js";
import type { DeployError } from "./types.js";

export async function ensureDerivation(
  ctx: EngineContext,
  ws: Workspace,
  prepared: PreparedTarget,
): Promise<DeployError | undefined> {
  const drvPath = prepared.evaluation.drvPath!;
  if (existsSync(drvPath)) return undefined;
  const [again] = await ctx.runRound(ws, [prepared.target], { noCache: true, onResult: () => {} });
  if (again?.drvPath === drvPath && existsSync(drvPath)) return undefined;
  return deployError(
    "build",
    again?.error
      ? `its derivation ${drvPath} is not in the store, and evaluating it again failed: ${again.error.message}`
      : `its derivation ${drvPath} is not in the store, and evaluating it again gave ${again?.drvPath ?? "nothing"}`,
    { hints: ["Run infra eval --no-cache for it, then deploy again."] },
  );
}
