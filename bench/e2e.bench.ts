// End to end on a generated fleet: cold, fully cached, one host edited, one shared module edited.
// Every figure is infra (the compiled CLI, a whole process, wall time) against plain `nix eval`
// of the same hosts in the same run, the baseline the targets in docs/performance.md are stated against.
// Multi-second runs get a small fixed number of samples (medians), not benny's adaptive loop.
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import {
  type CachedSample,
  type ColdSample,
  type Context,
  cachedScenario,
  calibrateWeight,
  coldScenario,
  type EditSample,
  hostEditScenario,
  type SharedSample,
  sharedEditScenario,
} from "./e2e-scenarios.js";
import { generateFleet } from "./fleet.js";
import { DEFAULT_FLEET, type FleetOptions } from "./fleet-layout.js";
import { type Row, ratioOf, type SuiteResult } from "./results.js";
import { mean, median, sum } from "./stats.js";

export interface E2eOptions {
  hosts?: number;
  /** Plain `nix eval` time of one host to calibrate the fleet's weight for. */
  hostMs?: number;
  /** Fixed weight (ms per host): skips the calibration. */
  weight?: number;
  jobs?: number;
  /** Samples of the cold scenario (each: infra traced, infra untraced, nix eval ×1 and ×jobs). */
  coldSamples?: number;
  cachedSamples?: number;
  editSamples?: number;
  sharedSamples?: number;
  /** Also run infra untraced (INFRA_NO_STRACE=1) to measure the tracing overhead. */
  untraced?: boolean;
  /** Also run plain nix eval one host at a time (the single-process rate). */
  sequential?: boolean;
  selfHost?: boolean;
  quick?: boolean;
  keep?: boolean;
  log?: (line: string) => void;
}

export interface E2eSettings {
  fleet: FleetOptions;
  jobs: number;
  coldSamples: number;
  cachedSamples: number;
  editSamples: number;
  sharedSamples: number;
  untraced: boolean;
  sequential: boolean;
}

export interface E2eMeasurements {
  settings: E2eSettings;
  cold: ColdSample[];
  cached: CachedSample[];
  edit: EditSample[];
  shared: SharedSample[];
}

/** The performance targets (docs/performance.md), as rows. Pure. */
export function e2eRows(m: E2eMeasurements): Row[] {
  const { settings: s } = m;
  const hosts = s.fleet.hosts;
  const rows: Row[] = [];
  const coldWall = median(m.cold.map((c) => c.infraWallMs));
  const plainPar = median(m.cold.map((c) => c.plainParallelMs));
  const sequential = m.cold.map((c) => c.plainSequentialMs).filter((v) => v !== undefined);
  const suite = "e2e";
  rows.push({
    suite,
    scenario: `cold, ${hosts} hosts, --jobs ${s.jobs}`,
    unit: "ms",
    infra: coldWall,
    baseline: plainPar,
    baselineLabel: `nix eval, ${s.jobs} at a time`,
    ratio: ratioOf(coldWall, plainPar),
    samples: m.cold.length,
  });
  const throughput = hosts / (coldWall / 1000);
  const ideal = s.jobs * (hosts / (median(sequential) / 1000));
  if (sequential.length > 0)
    rows.push({
      suite,
      scenario: "cold throughput (tracing included)",
      unit: "hosts/s",
      infra: throughput,
      baseline: ideal,
      baselineLabel: `${s.jobs} × nix eval single-process rate`,
      ratio: ratioOf(throughput, ideal),
      target: { on: "ratio", op: ">=", value: 0.85, text: "≥ 0.85 × jobs × single rate" },
      samples: sequential.length,
    });
  if (s.untraced && m.cold.every((c) => c.untracedEvalMs.length > 0)) {
    const traced = mean(m.cold.flatMap((c) => c.tracedEvalMs));
    const plain = mean(m.cold.flatMap((c) => c.untracedEvalMs));
    rows.push({
      suite,
      scenario: "cold per-target evaluation, traced",
      unit: "ms",
      infra: traced,
      baseline: plain,
      baselineLabel: "same nix-instantiate without strace",
      ratio: ratioOf(traced, plain),
      target: { on: "ratio", op: "<=", value: 1.25, text: "tracing overhead ≤ 25%" },
      samples: m.cold.length,
      note: `mean of ${hosts} targets per sample`,
    });
  }
  const cachedWall = median(m.cached.map((c) => c.wallMs));
  rows.push({
    suite,
    scenario: "fully cached vs cold",
    unit: "ms",
    infra: cachedWall,
    baseline: coldWall,
    baselineLabel: "infra cold",
    ratio: ratioOf(cachedWall, coldWall),
    target: { on: "ratio", op: "<=", value: 0.02, text: "< 2% of cold" },
    samples: m.cached.length,
  });
  rows.push({
    suite,
    scenario: "fully cached, wall",
    unit: "ms",
    infra: cachedWall,
    baseline: plainPar,
    baselineLabel: `nix eval of all, ${s.jobs} at a time`,
    ratio: ratioOf(cachedWall, plainPar),
    target: { on: "infra", op: "<=", value: 300, text: "< 300 ms" },
    samples: m.cached.length,
    note: `engine's own time ${Math.round(median(m.cached.map((c) => c.engineMs)))} ms`,
  });
  if (m.edit.length > 0) {
    const infra = median(m.edit.map((e) => e.infraWallMs));
    const plain = median(m.edit.map((e) => e.plainMs));
    rows.push({
      suite,
      scenario: "one host's file edited",
      unit: "ms",
      infra,
      baseline: plain,
      baselineLabel: "nix eval of that host",
      ratio: ratioOf(infra, plain),
      target: { on: "difference", op: "<=", value: 100, text: "≤ its nix eval + 100 ms" },
      samples: m.edit.length,
    });
  }
  if (m.shared.length > 0) {
    const infra = median(m.shared.map((e) => e.infraWallMs));
    const plain = median(m.shared.map((e) => e.plainParallelMs));
    rows.push({
      suite,
      scenario: `shared module edited (${m.shared[0]!.affected} hosts affected)`,
      unit: "ms",
      infra,
      baseline: plain,
      baselineLabel: `nix eval of those, ${s.jobs} at a time`,
      ratio: ratioOf(infra, plain),
      samples: m.shared.length,
    });
  }
  return rows;
}

function settingsFrom(options: E2eOptions): { settings: E2eSettings; hostMs: number } {
  const quick = options.quick === true;
  const fleet: FleetOptions = {
    ...DEFAULT_FLEET,
    hosts: options.hosts ?? (quick ? 40 : DEFAULT_FLEET.hosts),
    weight: options.weight ?? 0,
    selfHost: options.selfHost ?? false,
  };
  return {
    hostMs: options.hostMs ?? 300,
    settings: {
      fleet,
      jobs: options.jobs ?? availableParallelism(),
      // The last cold run's cache is the warm one the other scenarios start from.
      coldSamples: Math.max(1, options.coldSamples ?? (quick ? 2 : 3)),
      cachedSamples: options.cachedSamples ?? 5,
      editSamples: options.editSamples ?? (quick ? 3 : 5),
      sharedSamples: options.sharedSamples ?? (quick ? 2 : 3),
      untraced: options.untraced ?? true,
      sequential: options.sequential ?? true,
    },
  };
}

/** Runs every scenario and returns the raw samples (the gate computes its own ratios from them). */
export async function measureE2e(
  options: E2eOptions = {},
): Promise<E2eMeasurements & { notes: string[]; checks: SuiteResult["checks"] }> {
  const { settings, hostMs } = settingsFrom(options);
  const log = options.log ?? (() => {});
  const work = mkdtempSync(join(tmpdir(), "infra-bench-e2e-"));
  const notes: string[] = [];
  try {
    if (options.weight === undefined) {
      const { weight, baseMs } = await calibrateWeight(work, settings.fleet, hostMs, log);
      settings.fleet.weight = weight;
      notes.push(
        `weight calibrated to ${weight} ms of fold per host (host without it: ${Math.round(baseMs)} ms of nix eval) for a ${hostMs} ms target`,
      );
    }
    const fleetDir = join(work, "fleet");
    const fleet = generateFleet(fleetDir, settings.fleet);
    log(
      `fleet: ${fleet.hosts.length} hosts, weight ${settings.fleet.weight} ms, jobs ${settings.jobs}, in ${fleetDir}`,
    );
    const ctx: Context = {
      work,
      fleetDir,
      fleet: settings.fleet,
      hosts: fleet.hosts,
      jobs: settings.jobs,
      log,
      checks: [],
    };
    const cold = await coldScenario(ctx, settings.coldSamples, settings);
    const warm = cold[cold.length - 1]!.cacheDir;
    const cached = await cachedScenario(ctx, warm, settings.cachedSamples);
    const edit = await hostEditScenario(ctx, warm, settings.editSamples);
    const shared = await sharedEditScenario(ctx, warm, settings.sharedSamples);
    const perHost = median(cold.flatMap((c) => c.plainPerHostMs));
    const seq = cold.map((c) => c.plainSequentialMs).filter((v) => v !== undefined);
    if (seq.length > 0) {
      const speedup = median(seq) / median(cold.map((c) => c.plainParallelMs));
      notes.push(
        `for scale: plain nix eval ${settings.jobs} at a time is ${speedup.toFixed(2)}× as fast as one at a time on this machine`,
      );
    }
    notes.push(
      `plain nix eval of one host (${seq.length > 0 ? "one at a time" : `${settings.jobs} at a time`}): median ${Math.round(perHost)} ms over ${sum(cold.map((c) => c.plainPerHostMs.length))} runs`,
    );
    notes.push(
      "infra wall times include Node start-up, discovery (a cached listing) and cache lookups of every host",
    );
    if (options.keep) notes.push(`kept ${work}`);
    return { settings, cold, cached, edit, shared, notes, checks: ctx.checks };
  } finally {
    if (!options.keep) rmSync(work, { recursive: true, force: true });
  }
}

export default async function run(options: E2eOptions = {}): Promise<SuiteResult> {
  const m = await measureE2e(options);
  return { suite: "e2e", rows: e2eRows(m), checks: m.checks, notes: m.notes };
}
