import { realpathSync } from "node:fs";
import { defaultCacheRoot } from "../../cache/location.js";
import type { CliContext } from "../context.js";
import { pathArg, writeJson } from "../context.js";
import { socketFor } from "../serve/protocol.js";
import { ask, serve } from "../serve/server.js";

export interface ServeFlags {
  status?: boolean;
  stop?: boolean;
  jobs?: string;
}

export async function serveCommand(ctx: CliContext, flags: ServeFlags): Promise<number> {
  const { UsageError } = await import("../../errors/index.js");
  let repo: string;
  try {
    repo = realpathSync(pathArg(ctx, ctx.options.repo ?? "."));
  } catch {
    throw new UsageError(`'${ctx.options.repo ?? "."}' is not a directory`, {
      hints: ["Pass the folder of your fleet with --repo DIR."],
    });
  }
  const cacheRoot = ctx.options.cacheDir ? pathArg(ctx, ctx.options.cacheDir) : defaultCacheRoot(ctx.env);
  const socket = socketFor(cacheRoot, repo);

  if (flags.status || flags.stop) {
    const answer = await ask(socket, flags.stop ? { type: "stop" } : { type: "status" });
    if (answer === undefined) {
      if (ctx.options.json) writeJson(ctx, { serving: false, socket });
      else ctx.human.write(`no server runs for ${repo}\n`);
      return flags.stop ? 0 : 1;
    }
    if (ctx.options.json) {
      const { type: _type, ...facts } = answer;
      writeJson(ctx, { serving: !flags.stop, socket, ...facts });
    } else if (answer.type === "status")
      ctx.human.write(
        `server pid ${answer.pid} for ${answer.repo} (infra ${answer.version}), up ${Math.round((Date.now() - answer.since) / 1000)} s, ${answer.served} command(s) served, ${answer.running} running\n`,
      );
    else ctx.human.write(`server for ${repo} stopped\n`);
    return 0;
  }

  const { openCore } = await import("../../engine/index.js");
  const { numberOption, OPTION_RULES } = await import("../context.js");
  const core = await openCore({
    repo,
    cacheDir: cacheRoot,
    env: ctx.env,
    jobs: await numberOption("--jobs", flags.jobs, await OPTION_RULES.jobs()),
    warm: true,
  });
  try {
    const server = await serve({ core, socket, repo, cacheRoot, env: ctx.env, run: ctx.run });
    if (ctx.options.json) ctx.stdout.json({ type: "ready", socket, pid: process.pid });
    else
      ctx.human.write(
        `serving ${repo} on ${socket} (pid ${process.pid}); Ctrl-C or infra serve --stop ends it\n`,
      );
    const interrupted = new Promise<"signal">((resolve) =>
      ctx.signal.addEventListener("abort", () => resolve("signal"), { once: true }),
    );
    const how = await Promise.race([server.stopped.then(() => "stopped" as const), interrupted]);
    if (how === "signal") await server.close();
    return how === "signal" ? 130 : 0;
  } finally {
    await core.close();
  }
}
