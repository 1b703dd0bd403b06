import type { CliContext } from "../context.js";
import { numberOption, OPTION_RULES, openEngine } from "../context.js";
import { jsonLines, liveTable, plainLines } from "../render/watch.js";

export async function watchCommand(
  ctx: CliContext,
  names: string[],
  flags: { debounce?: string; jobs?: string },
): Promise<number> {
  const engine = await openEngine(ctx, {
    jobs: await numberOption("--jobs", flags.jobs, await OPTION_RULES.jobs()),
  });
  const render = ctx.options.json
    ? jsonLines(ctx.stdout, ctx.stderr)
    : ctx.stdout.isTTY
      ? liveTable(ctx.stdout)
      : plainLines(ctx.stdout);
  const off = engine.on(render);
  try {
    await engine.watch({
      names,
      debounceMs: await numberOption("--debounce", flags.debounce, await OPTION_RULES.debounce()),
      signal: ctx.signal,
    });
    return 130;
  } finally {
    off();
    await engine.close();
  }
}
