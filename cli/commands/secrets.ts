import { writeFileSync } from "node:fs";
import { isSecretFailure } from "../../engine/index.js";
import type { CliContext } from "../context.js";
import { openEngine, pathArg, writeJson } from "../context.js";
import { createProgress } from "../render/progress.js";
import { secretsHtml, secretsJson, secretsTable } from "../render/secrets.js";
import { makeStyle } from "../render/style.js";

export async function secretsCommand(
  ctx: CliContext,
  names: string[],
  flags: { out?: string },
): Promise<number> {
  const engine = await openEngine(ctx);
  const progress = createProgress(ctx.stderr, { quietCached: true });
  const off = engine.on((e) => progress.handle(e));
  try {
    const report = await engine.secrets({ names });
    progress.stop();
    if (flags.out) {
      const file = pathArg(ctx, flags.out);
      writeFileSync(file, secretsHtml(report, `infra secrets: ${engine.repoDir.split("/").pop()}`));
      ctx.human.write(`wrote ${flags.out} (the secret browser: ${report.results.length} secret(s))\n`);
    }
    if (ctx.options.json) writeJson(ctx, secretsJson(report));
    else ctx.stdout.write(secretsTable(report, makeStyle(ctx.stdout)));
    const failed = report.results.some(isSecretFailure) || report.problems.length > 0;
    return failed ? 1 : 0;
  } finally {
    off();
    progress.stop();
    await engine.close();
  }
}
