// The end-to-end scenarios, each measuring infra (the compiled CLI) and plain `nix eval` in the
// same run, interleaved sample by sample so a burst of load on the machine hits both alike.
import { join } from "node:path";
import type { EvalReport } from "../engine/index.js";
import { editHostHardware, editSharedModule, generateFleet } from "./fleet.js";
import {
  type FleetOptions,
  hostName,
  hostsUsingHost,
  hostsUsingShared,
  selfHostIndex,
} from "./fleet-layout.js";
import { infraEval, nixEval, nixEvalMany } from "./proc.js";
import type { Check } from "./results.js";
import { median } from "./stats.js";

export interface Context {
  work: string;
  fleetDir: string;
  fleet: FleetOptions;
  hosts: string[];
  jobs: number;
  log: (line: string) => void;
  checks: Check[];
}

function evaluatedNames(report: EvalReport): string[] {
  return report.hosts
    .filter((h) => h.status === "evaluated")
    .map((h) => h.name)
    .sort();
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Records a check; the first failure of a kind keeps its detail. */
function check(ctx: Context, name: string, pass: boolean, detail: string): void {
  const existing = ctx.checks.find((c) => c.name === name);
  if (existing === undefined) ctx.checks.push({ name, pass, detail });
  else if (existing.pass && !pass) Object.assign(existing, { pass, detail });
}

function compareDrvPaths(ctx: Context, name: string, report: EvalReport, plain: Map<string, string>) {
  const wrong = report.hosts.filter((h) => plain.has(h.name) && plain.get(h.name) !== h.drvPath);
  const compared = report.hosts.filter((h) => plain.has(h.name)).length;
  check(
    ctx,
    name,
    wrong.length === 0 && compared === plain.size,
    wrong.length === 0
      ? `${compared} of ${plain.size} hosts compared, all equal`
      : `${wrong.length} differ, e.g. ${wrong[0]!.name}: infra ${wrong[0]!.drvPath} vs nix eval ${plain.get(wrong[0]!.name)}`,
  );
}

/** Median plain `nix eval` of a few hosts of a fleet generated with `weight` (ms). */
async function probeHostMs(dir: string, fleet: FleetOptions, weight: number): Promise<number> {
  const probe = generateFleet(dir, { ...fleet, weight });
  const sample = probe.hosts.slice(0, 3);
  await nixEvalMany(dir, sample.slice(0, 1), 1); // the first one copies the tree to the store
  const runs = await nixEvalMany(dir, [...sample, ...sample], 1);
  return median(runs.runs.map((r) => r.wallMs));
}

/**
 * The weight (ms) that makes plain `nix eval` of one host take `hostMs`: two probe fleets, one
 * without extra work and one with the nominal weight, since what a fold step costs depends on the
 * machine and its load.
 */
export async function calibrateWeight(
  work: string,
  fleet: FleetOptions,
  hostMs: number,
  log: (line: string) => void,
): Promise<{ weight: number; baseMs: number }> {
  const baseMs = await probeHostMs(join(work, "calibration-0"), fleet, 0);
  const nominal = Math.max(1, Math.round(hostMs - baseMs));
  const loadedMs = await probeHostMs(join(work, "calibration-1"), fleet, nominal);
  // Measured ms of nix eval per nominal ms of weight (1 when FOLD_ELEMENTS_PER_MS is exact).
  const slope = Math.max(0.2, (loadedMs - baseMs) / nominal);
  const weight = Math.max(0, Math.round((hostMs - baseMs) / slope));
  log(
    `calibration: nix eval of a host ${baseMs.toFixed(0)} ms without extra work, ${loadedMs.toFixed(0)} ms with weight ${nominal} → weight ${weight} ms`,
  );
  return { weight, baseMs };
}

export interface ColdSample {
  infraWallMs: number;
  /** Per-target nix time, traced (strace), from the report's evaluationMs. */
  tracedEvalMs: number[];
  /** Same, with INFRA_NO_STRACE=1: infra's loader in plain nix-instantiate. */
  untracedEvalMs: number[];
  untracedWallMs: number | undefined;
  /** Plain nix eval of every host, one at a time (undefined when not measured). */
  plainSequentialMs: number | undefined;
  plainParallelMs: number;
  /** Per-host plain nix eval walls (from the sequential pass when there is one). */
  plainPerHostMs: number[];
  cacheDir: string;
}

/** Cold: a fresh cache directory per sample. Returns the samples; the last cache stays warm. */
export async function coldScenario(
  ctx: Context,
  samples: number,
  options: { untraced: boolean; sequential: boolean },
): Promise<ColdSample[]> {
  const out: ColdSample[] = [];
  for (let s = 0; s < samples; s++) {
    const cacheDir = join(ctx.work, `cache-cold-${s}`);
    const infra = await infraEval({ repo: ctx.fleetDir, cacheDir, jobs: ctx.jobs });
    const everything = infra.report.summary.evaluated === ctx.hosts.length;
    check(
      ctx,
      "cold runs evaluate every host",
      everything,
      `${infra.report.summary.evaluated} of ${ctx.hosts.length}`,
    );
    const traced = infra.report.hosts.filter((h) => h.mode === "traced").length;
    check(
      ctx,
      "cold runs trace every host (no exact fallback)",
      traced === ctx.hosts.length,
      `${traced} traced`,
    );
    let untracedRun: Awaited<ReturnType<typeof infraEval>> | undefined;
    if (options.untraced) {
      untracedRun = await infraEval({
        repo: ctx.fleetDir,
        cacheDir: join(ctx.work, `cache-untraced-${s}`),
        jobs: ctx.jobs,
        env: { INFRA_NO_STRACE: "1" },
      });
    }
    const sequential = options.sequential ? await nixEvalMany(ctx.fleetDir, ctx.hosts, 1) : undefined;
    const parallel = await nixEvalMany(ctx.fleetDir, ctx.hosts, ctx.jobs);
    if (s === 0) {
      const plain = new Map(parallel.runs.map((r) => [r.host, r.drvPath]));
      compareDrvPaths(ctx, "cold drvPaths equal plain nix eval", infra.report, plain);
    }
    const sample: ColdSample = {
      infraWallMs: infra.wallMs,
      tracedEvalMs: infra.report.hosts.map((h) => h.evaluationMs),
      untracedEvalMs: untracedRun?.report.hosts.map((h) => h.evaluationMs) ?? [],
      untracedWallMs: untracedRun?.wallMs,
      plainSequentialMs: sequential?.wallMs,
      plainParallelMs: parallel.wallMs,
      plainPerHostMs: (sequential ?? parallel).runs.map((r) => r.wallMs),
      cacheDir,
    };
    ctx.log(
      `cold ${s + 1}/${samples}: infra ${ms(sample.infraWallMs)}${sample.untracedWallMs ? ` (untraced ${ms(sample.untracedWallMs)})` : ""}, nix eval ×1 ${sample.plainSequentialMs === undefined ? "—" : ms(sample.plainSequentialMs)}, ×${ctx.jobs} ${ms(sample.plainParallelMs)}`,
    );
    out.push(sample);
  }
  return out;
}

export interface CachedSample {
  wallMs: number;
  engineMs: number;
}

/** Fully cached: one unmeasured run first (settles young stat entries), then `samples` runs. */
export async function cachedScenario(
  ctx: Context,
  cacheDir: string,
  samples: number,
): Promise<CachedSample[]> {
  await infraEval({ repo: ctx.fleetDir, cacheDir, jobs: ctx.jobs });
  const out: CachedSample[] = [];
  for (let s = 0; s < samples; s++) {
    const run = await infraEval({ repo: ctx.fleetDir, cacheDir, jobs: ctx.jobs });
    const cached = run.report.summary.cached;
    check(
      ctx,
      "fully cached runs evaluate nothing",
      cached === ctx.hosts.length,
      `${cached} of ${ctx.hosts.length} cached`,
    );
    out.push({ wallMs: run.wallMs, engineMs: run.report.summary.durationMs });
  }
  ctx.log(`fully cached: ${out.map((s) => ms(s.wallMs)).join(", ")}`);
  return out;
}

export interface EditSample {
  infraWallMs: number;
  plainMs: number;
  evaluated: number;
}

/** One host's hardware file edited, a different host each sample. */
export async function hostEditScenario(
  ctx: Context,
  cacheDir: string,
  samples: number,
): Promise<EditSample[]> {
  const out: EditSample[] = [];
  const self = selfHostIndex(ctx.fleet);
  for (let s = 0; s < samples; s++) {
    let index = (s * 37 + 5) % ctx.hosts.length;
    if (index === self) index = (index + 1) % ctx.hosts.length;
    const host = hostName(index);
    editHostHardware(ctx.fleetDir, index, s + 1);
    const infra = await infraEval({ repo: ctx.fleetDir, cacheDir, jobs: ctx.jobs });
    const expected = hostsUsingHost(index, ctx.fleet);
    const got = evaluatedNames(infra.report);
    check(
      ctx,
      "a host edit re-evaluates exactly that host",
      sameList(got, expected),
      `expected ${expected.join(" ")}, got ${got.join(" ") || "none"}`,
    );
    const plain = await nixEval(ctx.fleetDir, host);
    compareDrvPaths(
      ctx,
      "edited hosts' drvPaths equal plain nix eval",
      infra.report,
      new Map([[host, plain.drvPath]]),
    );
    out.push({ infraWallMs: infra.wallMs, plainMs: plain.wallMs, evaluated: got.length });
    ctx.log(
      `one-host edit ${s + 1}/${samples} (${host}): infra ${ms(infra.wallMs)}, nix eval ${ms(plain.wallMs)}`,
    );
  }
  return out;
}

export interface SharedSample {
  infraWallMs: number;
  plainParallelMs: number;
  affected: number;
}

/** Shared module 0 edited (a new revision each sample); its importers re-evaluate. */
export async function sharedEditScenario(
  ctx: Context,
  cacheDir: string,
  samples: number,
): Promise<SharedSample[]> {
  const out: SharedSample[] = [];
  const affected = hostsUsingShared(0, ctx.fleet);
  if (ctx.fleet.sharedModules === 0) return out;
  for (let s = 0; s < samples; s++) {
    editSharedModule(ctx.fleetDir, 0, s + 1);
    const infra = await infraEval({ repo: ctx.fleetDir, cacheDir, jobs: ctx.jobs });
    const got = evaluatedNames(infra.report);
    check(
      ctx,
      "a shared-module edit re-evaluates exactly its importers",
      sameList(got, affected),
      `expected ${affected.length} hosts, got ${got.length}`,
    );
    const plain = await nixEvalMany(ctx.fleetDir, affected, ctx.jobs);
    compareDrvPaths(
      ctx,
      "shared-edit drvPaths equal plain nix eval",
      infra.report,
      new Map(plain.runs.map((r) => [r.host, r.drvPath])),
    );
    out.push({ infraWallMs: infra.wallMs, plainParallelMs: plain.wallMs, affected: affected.length });
    ctx.log(
      `shared-module edit ${s + 1}/${samples} (${affected.length} hosts): infra ${ms(infra.wallMs)}, nix eval ×${ctx.jobs} ${ms(plain.wallMs)}`,
    );
  }
  return out;
}

export function ms(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}
