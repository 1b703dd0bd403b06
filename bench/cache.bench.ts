// Cache lookups on a fully cached run: 200 targets with 50 recorded dependencies each, stored in
// LMDB, verified by the engine's own Scheduler.lookup against an unchanged workspace. The floor
// is what a cached run should cost about as much as (docs/performance.md): one stat per recorded input.
import { type CacheFixture, lookupAll, makeCacheFixture, statInputs, timeLookups } from "./cache-fixture.js";
import { type MicroCase, type MicroOptions, runBenny, statsOf } from "./micro.js";
import { ratioOf, type SuiteResult } from "./results.js";

export const TARGETS = 200;
const OPEN = "open workspace (git rev-parse + ls-files)";
const LOOKUP = "open workspace + Scheduler.lookup × 200";
const RUN = "open workspace + Scheduler.run (200 hits, touch writes)";
const STAT = "lstat every recorded input";

function cases(f: CacheFixture): MicroCase[] {
  return [
    { name: OPEN, fn: () => f.openWorkspace() },
    { name: LOOKUP, fn: async () => lookupAll(f, await f.openWorkspace()) },
    { name: RUN, fn: async () => f.scheduler.run(await f.openWorkspace(), f.jobs) },
    { name: STAT, fn: () => statInputs(f) },
  ];
}

export default async function run(options: MicroOptions = {}): Promise<SuiteResult> {
  const fixture = await makeCacheFixture(TARGETS);
  try {
    const stats = await runBenny("cache", cases(fixture), options);
    const open = statsOf(stats, OPEN);
    const lookup = statsOf(stats, LOOKUP);
    const runAll = statsOf(stats, RUN);
    const stat = statsOf(stats, STAT);
    // The same figure the gate uses, with each phase timed on its own.
    const phases = await timeLookups(fixture, options.quick ? 10 : 30);
    const n = fixture.jobs.length;
    const inputs = `${fixture.inputs.length} recorded inputs`;
    return {
      suite: "cache",
      rows: [
        {
          suite: "cache",
          scenario: `lookup per target (${fixture.depsPerTarget} deps), phases timed alone`,
          unit: "µs",
          infra: phases.lookupPerTargetMs * 1000,
          baseline: phases.statPerTargetMs * 1000,
          baselineLabel: `lstat of the ${inputs} ÷ ${n}`,
          ratio: ratioOf(phases.lookupPerTargetMs, phases.statPerTargetMs),
          samples: phases.iterations,
        },
        {
          suite: "cache",
          scenario: `${n} lookups incl. opening the workspace`,
          unit: "ms",
          infra: lookup.medianMs,
          baseline: stat.medianMs,
          baselineLabel: `lstat of the ${inputs}`,
          ratio: ratioOf(lookup.medianMs, stat.medianMs),
          samples: Math.min(lookup.samples, stat.samples),
          note: `opening alone ${open.medianMs.toFixed(1)} ms`,
        },
        {
          suite: "cache",
          scenario: `Scheduler.run, ${n} hits (lookups, touch and file-stat writes)`,
          unit: "ms",
          infra: runAll.medianMs,
          baseline: lookup.medianMs,
          baselineLabel: "lookups alone",
          ratio: ratioOf(runAll.medianMs, lookup.medianMs),
          samples: Math.min(runAll.samples, lookup.samples),
        },
      ],
      checks: [],
      notes: [
        `${n} targets × ${fixture.depsPerTarget} deps over ${fixture.inputs.length} distinct paths, one trace per target`,
      ],
    };
  } finally {
    await fixture.cleanup();
  }
}
