// `infra ci`'s judgement: evaluation time and memory per target against a committed baseline,
// within budgets from infra.json. Pure: measuring is the caller's business.

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
