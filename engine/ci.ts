// `infra ci`: each target evaluated without the cache, sampled again where the verdict is close,
// then judged against a committed baseline within infra.json's budgets. The judgement is pure;
// runCi does the measuring.
import { selectTargets } from "./fleet/select.js";
import type { Target } from "./fleet/targets.js";
import type { EngineContext } from "./run/context.js";
import type { HostResult } from "./run/result.js";

export interface Budget {
  timePercent?: number | undefined;
  timeMs?: number | undefined;
  memoryPercent?: number | undefined;
  memoryMB?: number | undefined;
}

export interface Measurement {
  name: string;
  /** Median evaluation time of the samples, in ms. */
  timeMs: number;
  /** Median peak resident memory of the nix process, in MB (undefined if it cannot be measured). */
  memoryMB?: number | undefined;
  samples: number;
}

export interface BaselineEntry {
  timeMs: number;
  memoryMB?: number | undefined;
  samples: number;
}

export interface Baseline {
  version: 1;
  /** Who measured it: figures from another Nix or machine compare less well. */
  nix?: string;
  system?: string;
  hosts: Record<string, BaselineEntry>;
}

export type Verdict = "pass" | "time" | "memory" | "time+memory" | "new" | "failed";

export interface Comparison {
  name: string;
  verdict: Verdict;
  now: Measurement | undefined;
  before: BaselineEntry | undefined;
  /** Sentences naming the figures that broke the budget. */
  reasons: string[];
}

/** Budget for one target: the global one with the target's own settings on top. */
export function budgetFor(name: string, global: Budget, perHost: Record<string, Budget>): Budget {
  return { ...global, ...(perHost[name] ?? {}) };
}

/**
 * Over budget only when the growth exceeds BOTH the relative and the absolute allowance (where
 * set): percentages alone fail fast hosts on noise, absolute figures alone miss slow ones.
 */
export function exceeds(
  before: number,
  now: number,
  percent: number | undefined,
  absolute: number | undefined,
): boolean {
  if (percent === undefined && absolute === undefined) return false;
  const overPercent = percent === undefined || now > before * (1 + percent / 100);
  const overAbsolute = absolute === undefined || now - before > absolute;
  return overPercent && overAbsolute;
}

/** Is this measurement close enough to a limit that more samples should decide? */
export function needsMoreSamples(
  before: BaselineEntry | undefined,
  now: Measurement,
  budget: Budget,
): boolean {
  if (before === undefined) return false;
  // Within 70% of the allowance counts as "close".
  const near = (b: number, n: number, pct?: number, abs?: number) =>
    exceeds(b, n, pct === undefined ? undefined : pct * 0.7, abs === undefined ? undefined : abs * 0.7);
  return (
    near(before.timeMs, now.timeMs, budget.timePercent, budget.timeMs) ||
    (before.memoryMB !== undefined &&
      now.memoryMB !== undefined &&
      near(before.memoryMB, now.memoryMB, budget.memoryPercent, budget.memoryMB))
  );
}

export function compare(
  name: string,
  now: Measurement | undefined,
  before: BaselineEntry | undefined,
  budget: Budget,
  failed: boolean,
): Comparison {
  if (failed) return { name, verdict: "failed", now, before, reasons: ["the evaluation failed"] };
  if (now === undefined) return { name, verdict: "pass", now, before, reasons: [] };
  if (before === undefined) return { name, verdict: "new", now, before, reasons: [] };
  const reasons: string[] = [];
  const time = exceeds(before.timeMs, now.timeMs, budget.timePercent, budget.timeMs);
  if (time) {
    reasons.push(
      `evaluation time ${Math.round(before.timeMs)} ms → ${Math.round(now.timeMs)} ms (+${Math.round(((now.timeMs - before.timeMs) / before.timeMs) * 100)}%; budget +${budget.timePercent ?? "∞"}% and +${budget.timeMs ?? "∞"} ms)`,
    );
  }
  const memory =
    before.memoryMB !== undefined &&
    now.memoryMB !== undefined &&
    exceeds(before.memoryMB, now.memoryMB, budget.memoryPercent, budget.memoryMB);
  if (memory) {
    reasons.push(
      `peak memory ${Math.round(before.memoryMB!)} MB → ${Math.round(now.memoryMB!)} MB (+${Math.round(((now.memoryMB! - before.memoryMB!) / before.memoryMB!) * 100)}%; budget +${budget.memoryPercent ?? "∞"}% and +${budget.memoryMB ?? "∞"} MB)`,
    );
  }
  const verdict: Verdict = time && memory ? "time+memory" : time ? "time" : memory ? "memory" : "pass";
  return { name, verdict, now, before, reasons };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function updatedBaseline(
  previous: Baseline | undefined,
  measured: Measurement[],
  who: { nix: string; system: string },
): Baseline {
  const hosts: Record<string, BaselineEntry> = { ...(previous?.hosts ?? {}) };
  for (const m of measured)
    hosts[m.name] = {
      timeMs: Math.round(m.timeMs),
      memoryMB: m.memoryMB === undefined ? undefined : Math.round(m.memoryMB),
      samples: m.samples,
    };
  const sorted = Object.fromEntries(Object.entries(hosts).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { version: 1, nix: who.nix, system: who.system, hosts: sorted };
}

export function isFailure(verdict: Verdict): boolean {
  return verdict !== "pass" && verdict !== "new";
}

export interface CiOptions {
  /** Targets to measure (names as on the command line); default: all. */
  names?: string[];
  baseline?: Baseline | undefined;
}

export interface CiReport {
  comparisons: Comparison[];
  hosts: HostResult[];
  /** Samples taken per target (more where a verdict was close). */
  samples: Record<string, number>;
  nix: { version: string; system: string };
}

export async function runCi(ctx: EngineContext, ciOptions: CiOptions): Promise<CiReport> {
  const ws = await ctx.openWorkspace();
  const { hosts: targets, errors } = await ctx.discover(ws);
  const selected = selectTargets(targets, ciOptions.names ?? [], ctx.config.groups, errors);
  const samples = new Map<string, { times: number[]; rss: number[] }>();
  const last = new Map<string, HostResult>();
  const sample = async (chosen: Target[]) => {
    const results = await ctx.runRound(await ctx.openWorkspace(), chosen, {
      noCache: true,
      onResult: (result) => ctx.events.emit({ type: "result", result }),
    });
    ctx.checkSignal();
    for (const r of results) {
      last.set(r.name, r);
      const s = samples.get(r.name) ?? { times: [], rss: [] };
      if (!r.error) {
        s.times.push(r.evaluationMs);
        if (r.maxRssKb !== null) s.rss.push(r.maxRssKb / 1024);
      }
      samples.set(r.name, s);
    }
  };
  const measurement = (name: string): Measurement | undefined => {
    const s = samples.get(name);
    if (!s || s.times.length === 0) return undefined;
    return {
      name,
      timeMs: median(s.times),
      memoryMB: s.rss.length > 0 ? median(s.rss) : undefined,
      samples: s.times.length,
    };
  };
  const budget = (name: string) => budgetFor(name, ctx.config.ci.budget, ctx.config.ci.hosts);
  await sample(selected);
  // Noise decides nothing: where a verdict is close, take more samples and use the median.
  for (let round = 1; round < ctx.config.ci.samples; round++) {
    const close = selected.filter((t) => {
      const m = measurement(t.name);
      return m !== undefined && needsMoreSamples(ciOptions.baseline?.hosts[t.name], m, budget(t.name));
    });
    if (close.length === 0) break;
    await sample(close);
  }
  await ctx.store.flush();
  const hosts = selected.map((t) => last.get(t.name)!).filter(Boolean);
  return {
    hosts,
    comparisons: hosts.map((h) =>
      compare(
        h.name,
        measurement(h.name),
        ciOptions.baseline?.hosts[h.name],
        budget(h.name),
        h.status === "failed",
      ),
    ),
    samples: Object.fromEntries([...samples].map(([n, s]) => [n, Math.max(1, s.times.length)])),
    nix: { version: ctx.nix.version, system: ctx.nix.system },
  };
}
