import { describe, expect, it } from "vitest";
import { isSuiteResult, rowsFromCases, suiteOrder } from "../../../bench/suites.js";

describe("suiteOrder", () => {
  it("keeps compiled suites only, cheap ones first and e2e last", () => {
    const files = [
      "e2e.bench.js",
      "run.js",
      "zeta.bench.js",
      "cache.bench.js",
      "trace.bench.js",
      "x.bench.d.ts",
    ];
    expect(suiteOrder(files)).toEqual(["trace", "cache", "zeta", "e2e"]);
  });
});

describe("suite answers", () => {
  it("recognises the report shape", () => {
    expect(isSuiteResult({ suite: "e2e", rows: [], checks: [], notes: [] })).toBe(true);
    expect(isSuiteResult([{ name: "x" }])).toBe(false);
    expect(isSuiteResult(undefined)).toBe(false);
  });

  it("turns a list of medians into information rows", () => {
    const rows = rowsFromCases("graph", [
      { suite: "graph-export", name: "build + DOT", medianMs: 80, samples: 12 },
    ]);
    expect(rows).toEqual([
      { suite: "graph", scenario: "graph-export: build + DOT", unit: "ms", infra: 80, samples: 12 },
    ]);
    expect(rowsFromCases("graph", [{ name: "x" }])).toBeUndefined();
    expect(rowsFromCases("graph", { rows: 1 })).toBeUndefined();
  });
});
