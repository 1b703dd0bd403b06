import { describe, expect, it } from "vitest";
import {
  formatRatio,
  formatValue,
  markdownReport,
  markdownTable,
  type Row,
  ratioOf,
  verdict,
} from "../../../bench/results.js";

const row = (extra: Partial<Row>): Row => ({ suite: "e2e", scenario: "s", unit: "ms", samples: 3, ...extra });

describe("verdict", () => {
  it("judges the ratio, infra's value or the difference, as the target says", () => {
    const ratio = { on: "ratio", op: "<=", value: 0.02, text: "" } as const;
    expect(verdict(row({ ratio: 0.01, target: ratio }))).toBe(true);
    expect(verdict(row({ ratio: 0.03, target: ratio }))).toBe(false);
    const abs = { on: "infra", op: "<=", value: 300, text: "" } as const;
    expect(verdict(row({ infra: 301, target: abs }))).toBe(false);
    const diff = { on: "difference", op: "<=", value: 100, text: "" } as const;
    expect(verdict(row({ infra: 400, baseline: 310, target: diff }))).toBe(true);
    expect(verdict(row({ infra: 420, baseline: 310, target: diff }))).toBe(false);
    const min = { on: "ratio", op: ">=", value: 0.85, text: "" } as const;
    expect(verdict(row({ ratio: 0.9, target: min }))).toBe(true);
  });

  it("has no verdict without a target or without the measured value", () => {
    expect(verdict(row({ ratio: 1 }))).toBeUndefined();
    expect(verdict(row({ target: { on: "ratio", op: "<=", value: 1, text: "" } }))).toBeUndefined();
  });
});

describe("formatting", () => {
  it("shows small ratios as percentages and others as multiples", () => {
    expect(formatRatio(0.0123)).toBe("1.23%");
    expect(formatRatio(1.5)).toBe("1.50×");
    expect(formatRatio(undefined)).toBe("—");
    expect(ratioOf(1, 0)).toBeUndefined();
    expect(ratioOf(3, 2)).toBe(1.5);
  });

  it("keeps fewer digits for larger values", () => {
    expect(formatValue(1234.5, "ms")).toBe("1235 ms");
    expect(formatValue(12.345, "ms")).toBe("12.3 ms");
    expect(formatValue(1.2345, "µs")).toBe("1.23 µs");
    expect(formatValue(0.0042, "ms")).toBe("0.0042 ms");
    expect(formatValue(0, "ms")).toBe("0.00 ms");
    expect(formatValue(Number.NaN, "ms")).toBe("—");
  });
});

describe("markdownTable", () => {
  const rows: Row[] = [
    row({
      scenario: "fully cached vs cold",
      infra: 150,
      baseline: 30_000,
      baselineLabel: "infra cold",
      ratio: 0.005,
      target: { on: "ratio", op: "<=", value: 0.02, text: "< 2% of cold" },
      samples: 5,
    }),
    row({ scenario: "a | b", infra: 10, note: "why" }),
    row({ scenario: "slow", ratio: 2, target: { on: "ratio", op: "<=", value: 1, text: "≤ 1×" } }),
  ];
  const lines = markdownTable(rows).split("\n");

  it("has a header, a separator and one line per row with the same number of cells", () => {
    expect(lines).toHaveLength(5);
    const cells = (line: string) => line.replace(/\\\|/g, "").split("|").length;
    expect(new Set(lines.map(cells)).size).toBe(1);
  });

  it("shows medians, the baseline's label, the ratio, the target and the result", () => {
    expect(lines[2]).toBe(
      "| e2e | fully cached vs cold | 150 ms | 30000 ms (infra cold) | 0.50% | < 2% of cold | pass | 5 |",
    );
    expect(lines[3]).toContain("a \\| b — why");
    expect(lines[3]).toContain("| info |");
    expect(lines[4]).toContain("**FAIL**");
  });
});

describe("markdownReport", () => {
  it("names the machine, the settings, failed checks and the suites kept as they were", () => {
    const text = markdownReport({
      title: "infra benchmarks",
      machine: {
        cpu: "AMD EPYC",
        cores: 2,
        memoryGB: 23,
        os: "Linux",
        node: "v20",
        nix: "nix (Nix) 2.8.0",
        strace: "strace 6.1",
      },
      settings: { hosts: 200, quick: false },
      suites: [
        {
          suite: "e2e",
          rows: [row({ infra: 1 })],
          checks: [{ name: "equal", pass: false, detail: "h1" }],
          notes: ["n"],
        },
      ],
      opaque: ["graph"],
      startedAt: "2024-01-01T00:00:00Z",
      durationS: 12,
    });
    expect(text).toContain("AMD EPYC, 2 cores");
    expect(text).toContain("nix (Nix) 2.8.0");
    expect(text).toContain("hosts=200, quick=false");
    expect(text).toContain("1 target(s) or check(s) FAIL");
    expect(text).toContain("**FAIL** — e2e: equal: h1");
    expect(text).toContain("- e2e: n");
    expect(text).toContain("results.json): graph.");
  });
});
