import type { EvalReport, HostResult } from "../../engine/index.js";
import type { CliContext } from "../context.js";
import { openEngine, positive, writeJson } from "../context.js";
import { formatHostError } from "../render/error.js";
import { createProgress } from "../render/progress.js";
import { formatMs, makeStyle, type Style, statusMark } from "../render/style.js";

export interface EvalFlags {
  jobs?: string;
  cache?: boolean;
  timeout?: string;
  maxMemory?: string;
  exact?: boolean;
}

/** The contract's JSON shape for one host. */
export function hostJson(h: HostResult): Record<string, unknown> {
  return {
    name: h.name,
    kind: h.kind,
    attr: h.attr,
    flake: h.flake,
    status: h.status,
    drvPath: h.drvPath ?? null,
    outPath: h.outPath ?? null,
    durationMs: h.durationMs,
    evaluationMs: h.evaluationMs,
    maxRssKb: h.maxRssKb ?? null,
    fromCache: h.fromCache,
    mode: h.mode,
    ...(h.reason ? { reason: h.reason } : {}),
    ...(h.meta ? { meta: h.meta } : {}),
    dependencies: h.dependencies,
    error: h.error
      ? {
          message: h.error.message,
          file: h.error.file ?? null,
          line: h.error.line ?? null,
          column: h.error.column ?? null,
          code: h.error.code,
          hints: h.error.hints,
          trace: h.error.trace,
        }
      : null,
  };
}

export function evalJson(report: EvalReport): Record<string, unknown> {
  const out: Record<string, unknown> = { hosts: report.hosts.map(hostJson), summary: report.summary };
  if (report.errors.length > 0) out.errors = report.errors;
  return out;
}

function renderTable(report: EvalReport, stream: NodeJS.WriteStream, style: Style): void {
  const width = Math.max(4, ...report.hosts.map((h) => h.name.length));
  for (const h of report.hosts) {
    const mark = statusMark(h.status, style);
    const status = h.status === "failed" && h.fromCache ? "failed (cached)" : h.status;
    const time =
      h.status === "evaluated" || (h.status === "failed" && !h.fromCache) ? formatMs(h.evaluationMs) : "";
    const detail = h.status === "failed" ? "" : style.gray(h.drvPath ?? "");
    stream.write(`${mark} ${h.name.padEnd(width)}  ${status.padEnd(15)} ${time.padStart(8)}  ${detail}\n`);
  }
  const failed = report.hosts.filter((h) => h.error);
  if (failed.length > 0) stream.write("\n");
  for (const h of failed) stream.write(`${style.bold(h.name)}\n${formatHostError(h.error!, style)}\n`);
  for (const f of report.errors)
    stream.write(`${style.bold(`flake ${f.flake}`)}\n${formatHostError(f.error, style)}\n`);
  const s = report.summary;
  stream.write(
    `\n${s.evaluated} evaluated, ${s.cached} cached, ${s.failed} failed${report.errors.length ? `, ${report.errors.length} flake(s) not listed` : ""} in ${formatMs(s.durationMs)}\n`,
  );
}

export async function evalCommand(ctx: CliContext, names: string[], flags: EvalFlags): Promise<number> {
  const engine = await openEngine(ctx, {
    jobs: await positive("--jobs", flags.jobs),
    timeoutSeconds: await positive("--timeout", flags.timeout),
    memoryMB: await positive("--max-memory", flags.maxMemory),
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
    if (ctx.options.json) writeJson(ctx, evalJson(report));
    else renderTable(report, ctx.stdout, makeStyle(ctx.stdout));
    return report.summary.failed > 0 || report.errors.length > 0 ? 1 : 0;
  } finally {
    off();
    progress.stop();
    await engine.close();
  }
}
