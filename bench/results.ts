// What a benchmark suite reports, how a row is judged against its target, and the markdown table
// of bench/results/results.md. Pure: run.ts does the I/O.

export type Unit = "ms" | "µs" | "hosts/s" | "MB" | "%";

/** A performance target (docs/performance.md), as a check on one row. */
export interface Target {
  /** What is constrained: the ratio infra/baseline, infra's own value, or infra − baseline. */
  on: "ratio" | "infra" | "difference";
  op: "<=" | ">=";
  value: number;
  /** How people read it, e.g. "≤ 2% of cold". */
  text: string;
}

export interface Row {
  suite: string;
  scenario: string;
  unit: Unit;
  /** Median of infra's samples. */
  infra?: number | undefined;
  /** Median of the baseline's samples (plain `nix eval` unless `baselineLabel` says otherwise). */
  baseline?: number | undefined;
  baselineLabel?: string | undefined;
  /** infra / baseline, unless the scenario defines it otherwise (then `note` says how). */
  ratio?: number | undefined;
  target?: Target | undefined;
  /** Samples behind each median. */
  samples: number;
  note?: string | undefined;
}

/** A yes/no property a suite verified while measuring (equal drvPaths, exactly the right hosts). */
export interface Check {
  name: string;
  pass: boolean;
  detail: string;
}

export interface SuiteResult {
  suite: string;
  rows: Row[];
  checks: Check[];
  notes: string[];
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGB: number;
  os: string;
  node: string;
  nix: string;
  strace: string;
}

/** True or false for a row with a target; undefined for information only (or nothing measured). */
export function verdict(row: Row): boolean | undefined {
  const t = row.target;
  if (t === undefined) return undefined;
  const value =
    t.on === "ratio"
      ? row.ratio
      : t.on === "infra"
        ? row.infra
        : row.infra !== undefined && row.baseline !== undefined
          ? row.infra - row.baseline
          : undefined;
  if (value === undefined || !Number.isFinite(value)) return undefined;
  return t.op === "<=" ? value <= t.value : value >= t.value;
}

export function ratioOf(infra: number | undefined, baseline: number | undefined): number | undefined {
  if (infra === undefined || baseline === undefined || baseline === 0) return undefined;
  return infra / baseline;
}

export function formatValue(value: number | undefined, unit: Unit): string {
  if (value === undefined || !Number.isFinite(value)) return "—";
  const abs = Math.abs(value);
  if (abs > 0 && abs < 1) return `${value.toPrecision(2)} ${unit}`;
  return `${value.toFixed(abs >= 100 ? 0 : abs >= 10 ? 1 : 2)} ${unit}`;
}

export function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return "—";
  if (ratio < 0.1) return `${(ratio * 100).toFixed(2)}%`;
  return `${ratio.toFixed(2)}×`;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function resultCell(row: Row): string {
  const v = verdict(row);
  return v === undefined ? "info" : v ? "pass" : "**FAIL**";
}

/** The results table: one line per row, every suite together. */
export function markdownTable(rows: readonly Row[]): string {
  const head = [
    "| suite | scenario | infra (median) | baseline (median) | ratio | target | result | samples |",
    "|---|---|---:|---:|---:|---|---|---:|",
  ];
  const lines = rows.map((r) => {
    const baseline =
      r.baseline === undefined
        ? "—"
        : `${formatValue(r.baseline, r.unit)}${r.baselineLabel ? ` (${r.baselineLabel})` : ""}`;
    return `| ${[
      r.suite,
      r.scenario + (r.note ? ` — ${r.note}` : ""),
      formatValue(r.infra, r.unit),
      baseline,
      formatRatio(r.ratio),
      r.target?.text ?? "",
      resultCell(r),
      String(r.samples),
    ]
      .map(cell)
      .join(" | ")} |`;
  });
  return [...head, ...lines].join("\n");
}

export interface ReportInput {
  title: string;
  machine: Machine;
  settings: Record<string, string | number | boolean>;
  suites: readonly SuiteResult[];
  /** Suites that ran but report in their own shape (only in results.json). */
  opaque: readonly string[];
  startedAt: string;
  durationS: number;
}

export function markdownReport(input: ReportInput): string {
  const m = input.machine;
  const rows = input.suites.flatMap((s) => s.rows);
  const checks = input.suites.flatMap((s) => s.checks.map((c) => ({ ...c, suite: s.suite })));
  const notes = input.suites.flatMap((s) => s.notes.map((n) => `${s.suite}: ${n}`));
  const failed = rows.filter((r) => verdict(r) === false).length + checks.filter((c) => !c.pass).length;
  const out = [
    `# ${input.title}`,
    "",
    `Run ${input.startedAt}, ${input.durationS.toFixed(0)} s. ${failed === 0 ? "All targets and checks pass." : `${failed} target(s) or check(s) FAIL.`}`,
    "",
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGB} GB, ${m.os}`,
    `- Node ${m.node}; ${m.nix}; ${m.strace}`,
    `- Settings: ${Object.entries(input.settings)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ")}`,
    "- Medians; `samples` is how many runs each median is over. Wall times of the e2e suite are whole",
    "  processes (the compiled `infra` CLI, or plain `nix eval --option eval-cache false`) timed with",
    "  process.hrtime; micro suites are benny (benchmark.js) cases.",
    "",
    markdownTable(rows),
  ];
  if (checks.length > 0) {
    out.push("", "## Checks", "");
    for (const c of checks)
      out.push(`- ${c.pass ? "pass" : "**FAIL**"} — ${c.suite}: ${c.name}: ${c.detail}`);
  }
  if (notes.length > 0) {
    out.push("", "## Notes", "");
    for (const n of notes) out.push(`- ${n}`);
  }
  if (input.opaque.length > 0) {
    out.push("", `Also ran (own result shape, see results.json): ${input.opaque.join(", ")}.`);
  }
  return `${out.join("\n")}\n`;
}
