// Micro-benchmark cases, run either by benny (the full suites: adaptive sample counts, margins of
// error) or by a short fixed loop (the CI gate: a few seconds, medians only).
import b from "benny";
import { median } from "./stats.js";

export interface MicroCase {
  name: string;
  /** The measured operation; may be async. */
  fn: () => unknown;
}

export interface CaseStats {
  name: string;
  /** Median time of one call, in milliseconds. */
  medianMs: number;
  /**
   * Fastest call: for deterministic CPU-bound work the best estimate of its own cost, since load
   * from other processes only ever adds time (the gate compares these).
   */
  minMs: number;
  samples: number;
}

export interface MicroOptions {
  /** Fewer, shorter samples (benny: at least 5 samples within ~0.5 s per case). */
  quick?: boolean;
  log?: (line: string) => void;
}

/** benny's cases and their medians (benchmark.js reports seconds per call). */
export async function runBenny(
  suite: string,
  cases: MicroCase[],
  options: MicroOptions = {},
): Promise<CaseStats[]> {
  const config = options.quick ? { minSamples: 5, maxTime: 0.5 } : { minSamples: 20, maxTime: 3 };
  // No b.cycle(): its live progress line garbles logs that are not a terminal.
  const summary = await b.suite(
    suite,
    b.configure({ cases: config }),
    ...cases.map((c) => b.add(c.name, c.fn)),
    b.complete(),
  );
  const stats = summary.results.map((r) => ({
    name: r.name,
    medianMs: r.details.median * 1000,
    minMs: r.details.min * 1000,
    samples: r.samples,
  }));
  for (const s of stats)
    options.log?.(`  ${suite}: ${s.name}: ${s.medianMs.toFixed(3)} ms (${s.samples} samples)`);
  return stats;
}

export interface LoopOptions {
  iterations: number;
  warmup?: number;
}

/** A fixed number of timed calls per case, interleaved so a burst of load hits every case alike. */
export async function runLoop(cases: MicroCase[], options: LoopOptions): Promise<CaseStats[]> {
  for (let i = 0; i < (options.warmup ?? 1); i++) for (const c of cases) await c.fn();
  const times = cases.map(() => [] as number[]);
  for (let i = 0; i < options.iterations; i++) {
    for (const [k, c] of cases.entries()) {
      const started = process.hrtime.bigint();
      await c.fn();
      times[k]!.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  return cases.map((c, k) => ({
    name: c.name,
    medianMs: median(times[k]!),
    minMs: Math.min(...times[k]!),
    samples: options.iterations,
  }));
}

export function statsOf(stats: CaseStats[], name: string): CaseStats {
  const found = stats.find((s) => s.name === name);
  if (found === undefined) throw new Error(`no benchmark case named ${name}`);
  return found;
}
