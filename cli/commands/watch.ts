import { defaultCacheRoot } from "../../cache/location.js";
import type { Engine } from "../../engine/index.js";
import type { CliContext } from "../context.js";
import { numberOption, OPTION_RULES, openEngine, pathArg } from "../context.js";
import { jsonLines, liveTable, plainLines } from "../render/watch.js";
import type { ServerHandle } from "../serve/server.js";

export async function watchCommand(
  ctx: CliContext,
  names: string[],
  flags: { debounce?: string; jobs?: string; serve?: boolean },
): Promise<number> {
  const jobs = await numberOption("--jobs", flags.jobs, await OPTION_RULES.jobs());
  const debounceMs = await numberOption("--debounce", flags.debounce, await OPTION_RULES.debounce());
  let engine: Engine;
  let server: ServerHandle | undefined;
  let closeCore: (() => Promise<void>) | undefined;
  if (flags.serve === false) engine = await openEngine(ctx, { jobs });
  else {
    // watch serves too: its warm engine answers this repository's other commands meanwhile.
    const { openCore } = await import("../../engine/index.js");
    const cacheRoot = ctx.options.cacheDir ? pathArg(ctx, ctx.options.cacheDir) : defaultCacheRoot(ctx.env);
    const core = await openCore({
      repo: pathArg(ctx, ctx.options.repo ?? "."),
      cacheDir: ctx.options.cacheDir === "" ? "" : cacheRoot,
      env: ctx.env,
      jobs,
      warm: true,
    });
    const repo = core.repoDir;
    closeCore = () => core.close();
    engine = await core.session({ jobs, signal: ctx.signal });
    const { serve } = await import("../serve/server.js");
    const { socketFor } = await import("../serve/protocol.js");
    try {
      server = await serve({
        core,
        socket: socketFor(cacheRoot, repo),
        repo,
        cacheRoot,
        env: ctx.env,
        run: ctx.run,
      });
    } catch (error) {
      // A server already runs (or the socket cannot be made): watch on, without serving.
      ctx.stderr.write(`note: not serving other commands: ${(error as Error).message}\n`);
    }
  }
  const render = ctx.options.json
    ? jsonLines(ctx.stdout, ctx.stderr)
    : ctx.stdout.isTTY
      ? liveTable(ctx.stdout)
      : plainLines(ctx.stdout);
  const off = engine.on(render);
  try {
    await engine.watch({ names, debounceMs, signal: ctx.signal });
    return 130;
  } finally {
    off();
    await server?.close();
    await engine.close();
    await closeCore?.();
  }
}
