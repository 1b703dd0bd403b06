// The secrets gate of `infra deploy`: a target whose secrets check fails is refused before
// anything happens to it (no build, no ssh). One check serves the whole deployment: it runs on
// the first target that asks, for every target being deployed, from the cache where it can.
import type { Preflight } from "../deploy/types.js";
import type { EngineContext } from "../run/context.js";
import { isSecretFailure, runSecrets, type SecretsReport } from "./report.js";

/** How many failing secrets a refusal names before "and N more". */
const NAMED = 3;

export function secretsGate(ctx: EngineContext, names: string[] | undefined): Preflight {
  let report: Promise<SecretsReport> | undefined;
  return async (target) => {
    // The deployment's own selection: `names` may hold `@group`s and tags only deploy expands.
    report ??= runSecrets(ctx, {
      names: names === undefined ? undefined : [...target.selection],
      quiet: true,
    });
    const r = await report;
    const failed = r.results.filter((x) => x.host === target.name && isSecretFailure(x));
    if (failed.length === 0) return {};
    const named = failed
      .slice(0, NAMED)
      .map((x) => `${x.name} (${x.file}): ${x.status}`)
      .join("; ");
    const more = failed.length > NAMED ? `, and ${failed.length - NAMED} more` : "";
    return {
      refuse: `its secrets would fail at activation: ${named}${more}. ${failed[0]!.detail} (\`infra secrets ${target.name}\` lists them all.)`,
    };
  };
}
