import type { CliContext } from "../context.js";
import { openEngine, pathArg, printWarnings, writeJson } from "../context.js";
import { makeStyle } from "../render/style.js";
import { oneLine } from "../render/terminal.js";

export async function affectedCommand(
  ctx: CliContext,
  paths: string[],
  flags: { since?: string; eval?: boolean },
): Promise<number> {
  if (paths.length === 0 && flags.since === undefined) {
    const { UsageError } = await import("../../errors/index.js");
    throw new UsageError("name the changed paths, or --since REF", {
      hints: ["e.g. infra affected modules/base.nix, or infra affected --since origin/main"],
    });
  }
  const engine = await openEngine(ctx);
  const offWarnings = printWarnings(ctx, engine);
  try {
    // Paths are relative to where the command runs, like any command-line tool's.
    const report = await engine.affected({
      paths: paths.map((p) => pathArg(ctx, p)),
      since: flags.since,
      evaluate: flags.eval === true,
    });
    if (ctx.options.json) {
      writeJson(ctx, {
        hosts: report.hosts,
        reasons: report.reasons,
        unknown: report.unknown,
        changes: report.changes,
        ignored: report.ignored,
      });
    } else {
      const style = makeStyle(ctx.stdout);
      const width = Math.max(4, ...report.hosts.map((h) => oneLine(h).length));
      for (const host of report.hosts) {
        const why = report.unknown.includes(host)
          ? style.yellow("never evaluated: run infra eval (or pass --eval)")
          : report.reasons[host]!.map(oneLine).join(", ");
        ctx.stdout.write(`${oneLine(host).padEnd(width)}  ${style.gray(why)}\n`);
      }
      for (const { path, why } of report.ignored)
        ctx.stderr.write(`${style.yellow("ignored:")} ${oneLine(path)}: ${why}\n`);
      ctx.stdout.write(
        `${report.hosts.length} target(s) affected by ${report.changes.length} change(s)${report.unknown.length ? `, ${report.unknown.length} never evaluated` : ""}\n`,
      );
    }
    return 0;
  } finally {
    offWarnings();
    await engine.close();
  }
}
