// The benchmark gate's judgement: ratios measured in one run compared with a committed baseline.
// Pure (no I/O, no timing), so it is unit-tested; gate.ts measures and prints.
//
// Why ratios: CI machines differ and are noisy, but infra and its baseline (plain `nix eval`, a
// plain stat, a minimal line parser) measured side by side on the same machine slow down together.
// A ratio fails when it is worse than the baseline's by more than MARGIN× *and* by more than the
// metric's absolute floor: the floor absorbs the noise of ratios that are small or of short runs.
// Against load from other processes: e2e ratios are medians of back-to-back pairs, and the micro
// ratios compare fastest runs (load only ever adds time to deterministic CPU-bound work).

import type { Check } from "./results.js";

/** Allowed slowdown relative to the baseline ratio. */
export const MARGIN = 1.5;

export interface MetricSpec {
  id: string;
  label: string;
  /** Smallest increase (in the ratio's own units) that counts as a regression. */
  floor: number;
  /** What the two sides of the ratio are. */
  definition: string;
}

/** Every ratio the gate watches. All are "lower is better". */
export const METRICS: readonly MetricSpec[] = [
  {
    id: "cached_vs_cold",
    label: "fully cached / cold (wall)",
    floor: 0.1,
    definition: "median infra wall of a fully cached run ÷ median infra wall of a cold run",
  },
  {
    id: "host_edit_vs_nix",
    label: "one-host edit / its nix eval",
    floor: 3,
    definition: "infra wall after editing one host's file ÷ plain nix eval of that host (median of pairs)",
  },
  {
    id: "cold_vs_nix",
    label: "cold / nix eval ×jobs (wall)",
    floor: 0.3,
    definition: "infra cold wall ÷ plain nix eval of every host, jobs at a time (median of pairs)",
  },
  {
    id: "lookup_vs_stat",
    label: "cache lookup / stat (per target)",
    floor: 1,
    definition:
      "Scheduler.lookup per target (200 × 50 deps, LMDB) ÷ lstat of the recorded inputs per target (fastest runs)",
  },
  {
    id: "served_cached_vs_local",
    label: "fully cached, served / in-process (wall)",
    floor: 0.3,
    definition: "median wall of a fully cached infra eval through infra serve ÷ the same in its own process",
  },
  {
    id: "served_edit_vs_nix",
    label: "one-host edit, served / its nix eval",
    floor: 1,
    definition:
      "infra wall through infra serve after editing one host's file ÷ plain nix eval of that host (median of pairs)",
  },
  {
    id: "trace_parse_vs_floor",
    label: "trace parse / minimal parser",
    floor: 2,
    definition:
      "parseStrace + classify of the recorded Nix 2.8 trace ÷ split, one regex and path.resolve per line (fastest runs)",
  },
];

export interface Baseline {
  version: 1;
  updatedAt: string;
  /** Where and how the baseline was measured (for people; not compared). */
  machine?: Record<string, unknown>;
  settings?: Record<string, unknown>;
  metrics: Record<string, number>;
}

export type Status = "ok" | "worse" | "new";

export interface Comparison {
  id: string;
  label: string;
  current: number;
  baseline?: number | undefined;
  limit?: number | undefined;
  status: Status;
}

export function limitFor(spec: Pick<MetricSpec, "floor">, baseline: number): number {
  return Math.max(baseline * MARGIN, baseline + spec.floor);
}

export function compare(current: Record<string, number>, baseline: Baseline | undefined): Comparison[] {
  return METRICS.filter((spec) => spec.id in current).map((spec) => {
    const value = current[spec.id]!;
    const base = baseline?.metrics[spec.id];
    if (base === undefined) return { id: spec.id, label: spec.label, current: value, status: "new" };
    const limit = limitFor(spec, base);
    // NaN (nothing measured) is a failure, not a pass.
    const status: Status = value <= limit ? "ok" : "worse";
    return { id: spec.id, label: spec.label, current: value, baseline: base, limit, status };
  });
}

export interface Verdict {
  pass: boolean;
  line: string;
}

export function gateVerdict(comparisons: readonly Comparison[], checks: readonly Check[]): Verdict {
  const worse = comparisons.filter((c) => c.status === "worse");
  const failedChecks = checks.filter((c) => !c.pass);
  const missing = METRICS.filter((m) => !comparisons.some((c) => c.id === m.id));
  if (worse.length === 0 && failedChecks.length === 0 && missing.length === 0) {
    const fresh = comparisons.filter((c) => c.status === "new").length;
    return {
      pass: true,
      line: `gate: PASS — ${comparisons.length} ratios within ${MARGIN}× of the baseline (or its floor)${fresh ? `, ${fresh} without a baseline yet` : ""}; ${checks.length} checks pass`,
    };
  }
  const reasons = [
    ...worse.map((c) => `${c.id} ${fmt(c.current)} > limit ${fmt(c.limit!)} (baseline ${fmt(c.baseline!)})`),
    ...failedChecks.map((c) => `check failed: ${c.name} (${c.detail})`),
    ...missing.map((m) => `${m.id} was not measured`),
  ];
  return { pass: false, line: `gate: FAIL — ${reasons.join("; ")}` };
}

export function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toFixed(4);
}

/** A fixed-width table for a CI log. */
export function renderGateTable(comparisons: readonly Comparison[], checks: readonly Check[]): string {
  const header = ["metric", "baseline", "limit", "current", "status"];
  const rows = comparisons.map((c) => [
    `${c.label} [${c.id}]`,
    c.baseline === undefined ? "—" : fmt(c.baseline),
    c.limit === undefined ? "—" : fmt(c.limit),
    fmt(c.current),
    c.status === "worse" ? "WORSE" : c.status,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ");
  const out = [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
  if (checks.length > 0) {
    out.push("");
    for (const c of checks) out.push(`${c.pass ? "ok  " : "FAIL"}  ${c.name}: ${c.detail}`);
  }
  return out.join("\n");
}

/** Reads a baseline file's text; throws with a sentence that says what is wrong. */
export function parseBaseline(text: string): Baseline {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`bench/baseline.json is not JSON (${(error as Error).message})`);
  }
  const b = value as Partial<Baseline>;
  if (b.version !== 1 || typeof b.metrics !== "object" || b.metrics === null) {
    throw new Error("bench/baseline.json: expected { version: 1, metrics: { … } }");
  }
  for (const [id, v] of Object.entries(b.metrics)) {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new Error(`bench/baseline.json: metrics.${id}: expected a non-negative number`);
    }
  }
  return b as Baseline;
}

export function makeBaseline(
  metrics: Record<string, number>,
  context: { updatedAt: string; machine?: Record<string, unknown>; settings?: Record<string, unknown> },
): Baseline {
  const rounded = Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, Number(v.toPrecision(4))]));
  return { version: 1, ...context, metrics: rounded };
}

/** One line per check: it passes when it passed in every run (else the first failure's detail). */
export function mergeChecks(checks: Check[]): Check[] {
  const byName = new Map<string, Check>();
  for (const c of checks) {
    const seen = byName.get(c.name);
    if (seen === undefined || (seen.pass && !c.pass)) byName.set(c.name, c);
  }
  return [...byName.values()];
}
