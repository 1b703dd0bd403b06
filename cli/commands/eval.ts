import type { EvalReport } from "../../engine/index.js";
import type { CliContext } from "../context.js";
import { numberOption, OPTION_RULES, openEngine, writeJson } from "../context.js";
import { formatHostError } from "../render/error.js";
import { createProgress } from "../render/progress.js";
import { formatMs, makeStyle, type Style, statusMark } from "../render/style.js";
import { type Out, oneLine } from "../render/terminal.js";

export interface EvalFlags {
  jobs?: string;
  cache?: boolean;
  timeout?: string;
  maxMemory?: string;
  exact?: boolean;
}

function renderTable(report: EvalReport, stream: Out, style: Style): void {
  const width = Math.max(4, ...report.hosts.map((h) => oneLine(h.name).length));
  for (const h of report.hosts) {
    const mark = statusMark(h.status, style);
    const status = h.status === "failed" && h.fromCache ? "failed (cached)" : h.status;
    const time =
      h.status === "evaluated" || (h.status === "failed" && !h.fromCache) ? formatMs(h.evaluationMs) : "";
    const detail = h.status === "failed" ? "" : style.gray(h.drvPath ?? "");
    stream.write(
      `${mark} ${oneLine(h.name).padEnd(width)}  ${status.padEnd(15)} ${time.padStart(8)}  ${detail}\n`,
    );
  }
  const failed = report.hosts.filter((h) => h.error);
  if (failed.length > 0) stream.write("\n");
  for (const h of failed)
    stream.write(`${style.bold(oneLine(h.name))}\n${formatHostError(h.error!, style)}\n`);
  const errors = report.errors ?? [];
  for (const f of errors)
    stream.write(`${style.bold(`flake ${oneLine(f.flake)}`)}\n${formatHostError(f.error, style)}\n`);
  const s = report.summary;
  stream.write(
    `\n${s.evaluated} evaluated, ${s.cached} cached, ${s.failed} failed${errors.length ? `, ${errors.length} flake(s) not listed` : ""} in ${formatMs(s.durationMs)}\n`,
  );
}

export async function evalCommand(ctx: CliContext, names: string[], flags: EvalFlags): Promise<number> {
  const engine = await openEngine(ctx, {
    jobs: await numberOption("--jobs", flags.jobs, await OPTION_RULES.jobs()),
    timeoutSeconds: await numberOption("--timeout", flags.timeout, await OPTION_RULES.timeout()),
    memoryMB: await numberOption("--max-memory", flags.maxMemory, await OPTION_RULES.maxMemory()),
  });
  const progress = createProgress(ctx.stderr, { quietCached: true });
  const off = engine.on((e) => progress.handle(e));
  try {
    const report = await engine.evaluate({
      names,
      noCache: flags.cache === false,
      exact: flags.exact === true,
    });
    progress.stop();
    if (ctx.options.json) writeJson(ctx, report);
    else renderTable(report, ctx.stdout, makeStyle(ctx.stdout));
    return report.summary.failed > 0 || (report.errors ?? []).length > 0 ? 1 : 0;
  } finally {
    off();
    progress.stop();
    await engine.close();
  }
}
