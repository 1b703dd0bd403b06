import type { CliContext } from "../context.js";
import { numberOption, openEngine, printWarnings, writeJson } from "../context.js";

export async function cacheCommand(
  ctx: CliContext,
  action: "stats" | "prune" | "clear",
  flags: { keep?: string; olderThan?: string },
): Promise<number> {
  const engine = await openEngine(ctx);
  const offWarnings = printWarnings(ctx, engine);
  try {
    if (action === "stats") {
      const stats = engine.cacheStats();
      if (ctx.options.json) writeJson(ctx, stats);
      else {
        ctx.stdout.write(
          `cache      ${stats.path}\ntargets    ${stats.targets}\ntraces     ${stats.traces}\nfiles      ${stats.files}\nhistory    ${stats.historyRecords}\nsize       ${(stats.sizeBytes / 1024 / 1024).toFixed(1)} MB\n`,
        );
      }
    } else if (action === "prune") {
      const keep = (await numberOption("--keep", flags.keep, { integer: true, min: 1 })) ?? 4;
      const olderThanDays = await numberOption("--older-than", flags.olderThan);
      const removed = engine.cachePrune({ keepTraces: keep, keepHistory: 100, olderThanDays });
      if (ctx.options.json) writeJson(ctx, { removed });
      else ctx.stdout.write(`removed ${removed.traces} traces and ${removed.history} history records\n`);
    } else {
      engine.cacheClear();
      if (ctx.options.json) writeJson(ctx, { cleared: engine.cachePath });
      else ctx.stdout.write(`cleared ${engine.cachePath}\n`);
    }
    return 0;
  } finally {
    offWarnings();
    await engine.close();
  }
}
