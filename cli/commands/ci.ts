import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { Baseline } from "../../engine/ci.js";
import { isSecretFailure } from "../../engine/index.js";
import type { CliContext } from "../context.js";
import { openEngine, pathArg, writeJson } from "../context.js";
import { ciJunit, ciMarkdown, ciTable } from "../render/ci.js";
import { formatHostError } from "../render/error.js";
import { createProgress } from "../render/progress.js";
import { makeStyle } from "../render/style.js";

export interface CiFlags {
  since?: string;
  baseline?: string;
  updateBaseline?: boolean;
  junit?: string;
  summary?: string;
}

async function readBaseline(file: string): Promise<Baseline | undefined> {
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as Baseline;
    if (parsed.version !== 1 || typeof parsed.hosts !== "object")
      throw new Error("not an infra baseline (version 1)");
    return parsed;
  } catch (error) {
    const { ConfigError } = await import("../../errors/index.js");
    throw new ConfigError(`${file}: ${(error as Error).message}`, {
      hints: ["Rewrite it with `infra ci --update-baseline`."],
    });
  }
}

export async function ciCommand(ctx: CliContext, names: string[], flags: CiFlags): Promise<number> {
  const engine = await openEngine(ctx);
  const progress = createProgress(ctx.stderr, { quietCached: true });
  const off = engine.on((e) => progress.handle(e));
  try {
    const baselineFile = flags.baseline
      ? pathArg(ctx, flags.baseline)
      : `${engine.repoDir}/infra-baseline.json`;
    const baseline = await readBaseline(baselineFile);
    let chosen = names;
    let skipped: string[] = [];
    if (flags.since !== undefined) {
      const affected = await engine.affected({ since: flags.since });
      const all = (await engine.hosts()).hosts.map((h) => h.name);
      chosen = [...affected.hosts];
      skipped = all.filter((n) => !chosen.includes(n));
      if (chosen.length === 0) {
        progress.stop();
        if (ctx.options.json)
          writeJson(ctx, { hosts: [], skipped, summary: { measured: 0, failed: 0, regressions: 0 } });
        else ctx.stdout.write(`nothing to measure: no target is affected by changes since ${flags.since}\n`);
        return 0;
      }
    }
    const report = await engine.ci({ names: chosen, baseline });
    // The secret contract is part of what CI checks (infra.json secrets.gateCi, on by default).
    const secrets = engine.config.secrets.gateCi ? await engine.secrets({ names: chosen }) : undefined;
    const secretResults = secrets?.results ?? [];
    const secretFailures = secretResults.filter(isSecretFailure).length + (secrets?.problems.length ?? 0);
    progress.stop();
    const { comparisons } = report;
    const failed = comparisons.filter((c) => c.verdict === "failed").length;
    const regressions = comparisons.filter((c) =>
      ["time", "memory", "time+memory"].includes(c.verdict),
    ).length;
    const budget = engine.config.ci.budget;
    const note = `Budget: +${budget.timePercent ?? "∞"}% and +${budget.timeMs ?? "∞"} ms time, +${budget.memoryPercent ?? "∞"}% and +${budget.memoryMB ?? "∞"} MB memory (both must be exceeded). Each target was sampled once, and up to ${engine.config.ci.samples} times where the verdict was close; figures are medians. Nix ${report.nix.version} on ${report.nix.system}.${baseline || flags.updateBaseline ? "" : " No baseline yet: run with --update-baseline to create one."}`;

    if (flags.updateBaseline) {
      const { updatedBaseline } = await import("../../engine/ci.js");
      const measured = comparisons.filter((c) => c.now !== undefined).map((c) => c.now!);
      const who = { nix: report.nix.version, system: report.nix.system };
      writeFileSync(baselineFile, `${JSON.stringify(updatedBaseline(baseline, measured, who), null, 2)}\n`);
      ctx.human.write(`baseline written to ${baselineFile} (${measured.length} targets)\n`);
    }
    if (flags.junit)
      writeFileSync(pathArg(ctx, flags.junit), ciJunit(comparisons, report.hosts, secretResults));
    if (flags.summary)
      writeFileSync(pathArg(ctx, flags.summary), ciMarkdown(comparisons, note, secretResults));

    if (ctx.options.json) {
      writeJson(ctx, {
        hosts: comparisons.map((c) => ({
          name: c.name,
          verdict: c.verdict,
          timeMs: { baseline: c.before?.timeMs ?? null, now: c.now?.timeMs ?? null },
          memoryMB: { baseline: c.before?.memoryMB ?? null, now: c.now?.memoryMB ?? null },
          samples: c.now?.samples ?? 0,
          reasons: c.reasons,
        })),
        skipped,
        summary: { measured: comparisons.length, failed, regressions, secretFailures },
        baseline: baselineFile,
        ...(secrets ? { secrets: { results: secrets.results, problems: secrets.problems } } : {}),
      });
    } else {
      const style = makeStyle(ctx.stdout);
      ctx.stdout.write(`${ciTable(comparisons)}\n\n`);
      for (const c of comparisons.filter((x) => x.reasons.length > 0 && x.verdict !== "failed")) {
        ctx.stdout.write(`${style.red("✗")} ${style.bold(c.name)}: ${c.reasons.join("; ")}\n`);
      }
      for (const h of report.hosts.filter((x) => x.error))
        ctx.stdout.write(`${style.red("✗")} ${style.bold(h.name)}\n${formatHostError(h.error!, style)}\n`);
      for (const r of secretResults.filter(isSecretFailure))
        ctx.stdout.write(`${style.red("✗")} secret ${style.bold(r.host)} / ${r.name}: ${r.detail}\n`);
      for (const p of secrets?.problems ?? [])
        ctx.stdout.write(`${style.red("✗")} ${p.where}: ${p.message}\n`);
      ctx.stdout.write(`${style.gray(note)}\n`);
    }
    if (secretFailures > 0) return 1;
    return failed + regressions > 0 && !flags.updateBaseline ? 1 : failed > 0 ? 1 : 0;
  } finally {
    off();
    progress.stop();
    await engine.close();
  }
}
