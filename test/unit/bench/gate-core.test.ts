import { describe, expect, it } from "vitest";
import {
  type Baseline,
  compare,
  gateVerdict,
  limitFor,
  MARGIN,
  METRICS,
  makeBaseline,
  mergeChecks,
  parseBaseline,
  renderGateTable,
} from "../../../bench/gate-core.js";

const ids = METRICS.map((m) => m.id);
const baseline = (metrics: Record<string, number>): Baseline => ({ version: 1, updatedAt: "then", metrics });
const all = (value: number) => Object.fromEntries(ids.map((id) => [id, value]));

describe("limitFor", () => {
  it("allows MARGIN× the baseline, or the floor above it when that is larger", () => {
    expect(limitFor({ floor: 1 }, 10)).toBe(10 * MARGIN);
    expect(limitFor({ floor: 1 }, 0.5)).toBe(1.5);
    expect(limitFor({ floor: 0 }, 0)).toBe(0);
  });
});

describe("compare", () => {
  it("marks ratios within the limit ok and above it worse", () => {
    const spec = METRICS.find((m) => m.id === "lookup_vs_stat")!;
    const limit = limitFor(spec, 4);
    const [ok] = compare({ lookup_vs_stat: limit }, baseline({ lookup_vs_stat: 4 }));
    const [worse] = compare({ lookup_vs_stat: limit * 1.01 }, baseline({ lookup_vs_stat: 4 }));
    expect(ok).toMatchObject({ status: "ok", baseline: 4, limit });
    expect(worse).toMatchObject({ status: "worse" });
  });

  it("treats a better ratio as ok, a missing baseline as new, and NaN as worse", () => {
    expect(compare({ cold_vs_nix: 0.1 }, baseline({ cold_vs_nix: 2 }))[0]!.status).toBe("ok");
    expect(compare({ cold_vs_nix: 1 }, undefined)[0]!.status).toBe("new");
    expect(compare({ cold_vs_nix: Number.NaN }, baseline({ cold_vs_nix: 1 }))[0]!.status).toBe("worse");
  });

  it("reports metrics in the gate's order and ignores unknown ones", () => {
    const result = compare({ ...all(1), unknown: 5 }, baseline(all(1)));
    expect(result.map((c) => c.id)).toEqual(ids);
  });
});

describe("gateVerdict", () => {
  const checks = [{ name: "drvPaths equal", pass: true, detail: "40 of 40" }];

  it("passes when every ratio is within its limit and every check passes", () => {
    const v = gateVerdict(compare(all(1), baseline(all(1))), checks);
    expect(v.pass).toBe(true);
    expect(v.line).toMatch(/^gate: PASS/);
  });

  it("fails naming the regressed ratio, its limit and its baseline", () => {
    const v = gateVerdict(compare({ ...all(1), lookup_vs_stat: 40 }, baseline(all(4))), checks);
    expect(v.pass).toBe(false);
    expect(v.line).toContain("lookup_vs_stat 40.00 > limit 6.00 (baseline 4.00)");
  });

  it("fails on a failed correctness check even when every ratio is fine", () => {
    const v = gateVerdict(compare(all(1), baseline(all(1))), [
      { name: "x", pass: false, detail: "h001 differs" },
    ]);
    expect(v.pass).toBe(false);
    expect(v.line).toContain("check failed: x (h001 differs)");
  });

  it("fails when a metric was not measured at all", () => {
    const { cold_vs_nix: _, ...rest } = all(1);
    const v = gateVerdict(compare(rest, baseline(all(1))), []);
    expect(v.pass).toBe(false);
    expect(v.line).toContain("cold_vs_nix was not measured");
  });
});

describe("renderGateTable", () => {
  it("lines up one row per metric and lists the checks", () => {
    const text = renderGateTable(compare({ ...all(1), trace_parse_vs_floor: 9 }, baseline(all(1))), [
      { name: "cold runs evaluate every host", pass: true, detail: "40 of 40" },
    ]);
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^metric\s+baseline\s+limit\s+current\s+status$/);
    expect(lines.filter((l) => l.includes("WORSE"))).toHaveLength(1);
    expect(text).toContain("ok    cold runs evaluate every host: 40 of 40");
    const widths = new Set(lines.slice(0, ids.length + 2).map((l) => l.length));
    expect(widths.size).toBe(1);
  });
});

describe("baseline files", () => {
  it("round-trip through makeBaseline and parseBaseline, rounded to 4 significant digits", () => {
    const b = makeBaseline({ cold_vs_nix: 1.234567 }, { updatedAt: "now" });
    expect(parseBaseline(JSON.stringify(b)).metrics.cold_vs_nix).toBe(1.235);
  });

  it("say what is wrong with a broken file", () => {
    expect(() => parseBaseline("{")).toThrow(/not JSON/);
    expect(() => parseBaseline('{"version":2,"metrics":{}}')).toThrow(/version: 1/);
    expect(() => parseBaseline('{"version":1,"metrics":{"a":"x"}}')).toThrow(/metrics.a/);
  });
});

describe("mergeChecks", () => {
  it("keeps one line per check, failing when any run failed, with that run's detail", () => {
    const merged = mergeChecks([
      { name: "a", pass: true, detail: "run 1" },
      { name: "b", pass: true, detail: "run 1" },
      { name: "a", pass: false, detail: "run 2: h003 differs" },
      { name: "a", pass: true, detail: "run 3" },
    ]);
    expect(merged).toEqual([
      { name: "a", pass: false, detail: "run 2: h003 differs" },
      { name: "b", pass: true, detail: "run 1" },
    ]);
  });
});
