#!/usr/bin/env node
// The benchmark gate infra's CI runs (`node dist/bench/gate.js`, see .ci/run): a short set of
// measurements (a light generated fleet of ~40 hosts: cold, fully cached, one host edited; the
// cache-lookup and trace-parse micro suites), turned into ratios measured in this same run and
// compared with bench/baseline.json (margins in gate-core.ts). Exit 0 pass, 1 a ratio regressed or
// a correctness check failed, 2 usage error.
//
//   node dist/bench/gate.js [--update-baseline] [--runs N] [--hosts N] [--jobs N] [--baseline FILE]
//
// --update-baseline measures 3 runs (or --runs N) and writes each ratio's median as the baseline.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { makeCacheFixture, timeLookups } from "./cache-fixture.js";
import { measureE2e } from "./e2e.bench.js";
import {
  compare,
  gateVerdict,
  MARGIN,
  METRICS,
  makeBaseline,
  mergeChecks,
  parseBaseline,
  renderGateTable,
} from "./gate-core.js";
import { describeMachine } from "./machine.js";
import { runLoop, statsOf } from "./micro.js";
import { repoRoot } from "./paths.js";
import type { Check } from "./results.js";
import { measureServed, servedSummary } from "./served.bench.js";
import { median } from "./stats.js";
import { FLOOR, loadTrace, PARSE, traceCases } from "./trace.bench.js";

/** The gate's fleet: light hosts, so the whole gate takes about a minute on 2 cores. */
const GATE_HOSTS = 40;
const GATE_WEIGHT_MS = 40;

const log = (line: string) => process.stderr.write(`${line}\n`);

interface Measured {
  metrics: Record<string, number>;
  checks: Check[];
  details: string[];
  settings: Record<string, unknown>;
}

/** Median of per-sample ratios: each pair ran back to back, so slow drifts in load cancel out. */
function pairedRatio(pairs: [number, number][]): number {
  return median(pairs.map(([infra, plain]) => infra / plain));
}

async function measure(hosts: number, jobs: number): Promise<Measured> {
  const details: string[] = [];
  log(
    `gate: e2e on a generated fleet of ${hosts} hosts (~${GATE_WEIGHT_MS} ms of extra work each), --jobs ${jobs}`,
  );
  const e2e = await measureE2e({
    hosts,
    weight: GATE_WEIGHT_MS,
    jobs,
    coldSamples: 3,
    cachedSamples: 5,
    editSamples: 5,
    sharedSamples: 0,
    untraced: false,
    sequential: false,
    log: (line) => log(`  ${line}`),
  });
  const cold = median(e2e.cold.map((c) => c.infraWallMs));
  const coldNix = median(e2e.cold.map((c) => c.plainParallelMs));
  const cached = median(e2e.cached.map((c) => c.wallMs));
  const edit = median(e2e.edit.map((c) => c.infraWallMs));
  const editNix = median(e2e.edit.map((c) => c.plainMs));
  details.push(
    `e2e medians: cold ${cold.toFixed(0)} ms (nix eval ×${jobs} ${coldNix.toFixed(0)} ms, ${e2e.cold.length} samples), ` +
      `cached ${cached.toFixed(0)} ms (${e2e.cached.length}), one-host edit ${edit.toFixed(0)} ms (nix eval ${editNix.toFixed(0)} ms, ${e2e.edit.length})`,
  );

  log("gate: the warm server");
  const served = await measureServed({
    hosts,
    weight: GATE_WEIGHT_MS,
    jobs,
    samples: 5,
    log: (line) => log(`  ${line}`),
  });
  details.push(servedSummary(served));
  if (!served.exact)
    e2e.checks.push({
      name: "served edits re-evaluate exactly that host",
      pass: false,
      detail: "more or other hosts",
    });

  log("gate: cache lookups (200 targets × 50 deps in LMDB)");
  const fixture = await makeCacheFixture(200);
  let lookup: Awaited<ReturnType<typeof timeLookups>>;
  try {
    lookup = await timeLookups(fixture, 20);
  } finally {
    await fixture.cleanup();
  }
  const us = (msValue: number) => `${(msValue * 1000).toFixed(1)} µs`;
  details.push(
    `lookup ${us(lookup.lookupMinPerTargetMs)}/target (median ${us(lookup.lookupPerTargetMs)}), ` +
      `stat ${us(lookup.statMinPerTargetMs)}/target (median ${us(lookup.statPerTargetMs)}), fastest of ${lookup.iterations}`,
  );

  log("gate: trace parsing");
  const trace = await runLoop(traceCases(loadTrace()), { iterations: 40, warmup: 5 });
  const parse = statsOf(trace, PARSE);
  const floor = statsOf(trace, FLOOR);
  details.push(
    `trace parse ${parse.minMs.toFixed(2)} ms, minimal parser ${floor.minMs.toFixed(2)} ms, fastest of ${parse.samples}`,
  );

  return {
    metrics: {
      cached_vs_cold: cached / cold,
      host_edit_vs_nix: pairedRatio(e2e.edit.map((e) => [e.infraWallMs, e.plainMs])),
      cold_vs_nix: pairedRatio(e2e.cold.map((c) => [c.infraWallMs, c.plainParallelMs])),
      lookup_vs_stat: lookup.lookupMinPerTargetMs / lookup.statMinPerTargetMs,
      trace_parse_vs_floor: parse.minMs / floor.minMs,
      served_cached_vs_local: median(served.cachedServed) / median(served.cachedLocal),
      served_edit_vs_nix: pairedRatio(served.editServed.map((w, i) => [w, served.editNix[i]!])),
    },
    checks: e2e.checks,
    details,
    settings: { hosts, weightMs: GATE_WEIGHT_MS, jobs },
  };
}

/** Several runs: each metric's median, every check of every run. */
async function measureRuns(runs: number, hosts: number, jobs: number): Promise<Measured> {
  const all: Measured[] = [];
  for (let r = 0; r < runs; r++) {
    if (runs > 1) log(`gate: run ${r + 1} of ${runs}`);
    all.push(await measure(hosts, jobs));
  }
  if (all.length === 1) return all[0]!;
  const ids = Object.keys(all[0]!.metrics);
  return {
    metrics: Object.fromEntries(ids.map((id) => [id, median(all.map((m) => m.metrics[id]!))])),
    checks: mergeChecks(all.flatMap((m) => m.checks)),
    details: all.flatMap((m, r) => m.details.map((d) => `run ${r + 1}: ${d}`)),
    settings: { ...all[0]!.settings, runs },
  };
}

const parse = () =>
  parseArgs({
    options: {
      "update-baseline": { type: "boolean", default: false },
      hosts: { type: "string" },
      jobs: { type: "string" },
      runs: { type: "string" },
      baseline: { type: "string" },
    },
  });

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (error) {
    log(`gate: ${(error as Error).message}`);
    return 2;
  }
  const hosts = Number(args.values.hosts ?? GATE_HOSTS);
  const jobs = Number(args.values.jobs ?? availableParallelism());
  // A baseline is what every later run is judged by: take it from the median of a few runs.
  const runs = Number(args.values.runs ?? (args.values["update-baseline"] ? 3 : 1));
  if (![hosts, jobs, runs].every(Number.isInteger) || hosts < 2 || jobs < 1 || runs < 1) {
    log("gate: --hosts must be an integer ≥ 2, --jobs and --runs ≥ 1");
    return 2;
  }
  const file = args.values.baseline ?? join(repoRoot(), "bench", "baseline.json");
  const baseline = existsSync(file) ? parseBaseline(readFileSync(file, "utf8")) : undefined;
  if (baseline === undefined && !args.values["update-baseline"])
    log(`gate: no baseline at ${file}; every ratio is new`);

  const started = Date.now();
  const measured = await measureRuns(runs, hosts, jobs);
  const comparisons = compare(measured.metrics, baseline);
  const verdict = gateVerdict(comparisons, measured.checks);

  const out = process.stdout;
  out.write(`\ninfra benchmark gate (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  out.write(`A ratio fails when above max(baseline × ${MARGIN}, baseline + floor). Floors: `);
  out.write(`${METRICS.map((m) => `${m.id} +${m.floor}`).join(", ")}.\n\n`);
  out.write(`${renderGateTable(comparisons, measured.checks)}\n\n`);
  for (const line of measured.details) out.write(`${line}\n`);
  out.write("\nRatios:\n");
  for (const m of METRICS) out.write(`  ${m.id}: ${m.definition}\n`);
  if (args.values["update-baseline"]) {
    const m = describeMachine();
    const next = makeBaseline(measured.metrics, {
      updatedAt: new Date().toISOString(),
      machine: { cpu: m.cpu, cores: m.cores, node: m.node, nix: m.nix },
      settings: measured.settings,
    });
    writeFileSync(file, `${JSON.stringify(next, null, 2)}\n`);
    out.write(`\ngate: baseline written to ${file}\n`);
    return measured.checks.every((c) => c.pass) ? 0 : 1;
  }
  out.write(`\n${verdict.line}\n`);
  return verdict.pass ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log(`gate: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  },
);
