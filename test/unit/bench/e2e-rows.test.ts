import { describe, expect, it } from "vitest";
import { type E2eMeasurements, e2eRows } from "../../../bench/e2e.bench.js";
import { DEFAULT_FLEET } from "../../../bench/fleet-layout.js";
import { verdict } from "../../../bench/results.js";

const cold = (infra: number, seq: number, par: number) => ({
  infraWallMs: infra,
  tracedEvalMs: [330, 330],
  untracedEvalMs: [300, 300],
  untracedWallMs: infra * 0.9,
  plainSequentialMs: seq,
  plainParallelMs: par,
  plainPerHostMs: [300, 300],
  cacheDir: "/tmp/x",
});

const m: E2eMeasurements = {
  settings: {
    fleet: { ...DEFAULT_FLEET, hosts: 200 },
    jobs: 2,
    coldSamples: 3,
    cachedSamples: 5,
    editSamples: 5,
    sharedSamples: 3,
    untraced: true,
    sequential: true,
  },
  cold: [cold(40_000, 60_000, 31_000), cold(36_000, 60_000, 30_000), cold(38_000, 60_000, 32_000)],
  cached: [250, 200, 210, 190, 230].map((wallMs) => ({ wallMs, engineMs: 100 })),
  edit: [500, 450, 480].map((infraWallMs) => ({ infraWallMs, plainMs: 400, evaluated: 1 })),
  shared: [{ infraWallMs: 9000, plainParallelMs: 8000, affected: 50 }],
};

const byScenario = (scenario: string) => {
  const row = e2eRows(m).find((r) => r.scenario.startsWith(scenario));
  if (row === undefined) throw new Error(`no row ${scenario}`);
  return row;
};

describe("e2eRows", () => {
  it("computes cold throughput against jobs × the single-process rate", () => {
    const row = byScenario("cold throughput");
    // 200 hosts in a 38 s median vs 2 × 200 hosts / 60 s.
    expect(row.infra).toBeCloseTo(200 / 38, 6);
    expect(row.baseline).toBeCloseTo((2 * 200) / 60, 6);
    expect(row.ratio).toBeCloseTo(60 / 76, 6);
    expect(verdict(row)).toBe(false);
  });

  it("compares traced and untraced per-target evaluation", () => {
    const row = byScenario("cold per-target evaluation");
    expect(row.ratio).toBeCloseTo(1.1, 6);
    expect(verdict(row)).toBe(true);
  });

  it("judges the fully cached run against cold and against 300 ms", () => {
    expect(byScenario("fully cached vs cold").ratio).toBeCloseTo(210 / 38_000, 9);
    expect(verdict(byScenario("fully cached vs cold"))).toBe(true);
    expect(byScenario("fully cached, wall").infra).toBe(210);
    expect(verdict(byScenario("fully cached, wall"))).toBe(true);
  });

  it("allows a one-host edit its nix eval time plus 100 ms", () => {
    const row = byScenario("one host's file edited");
    expect(row.infra).toBe(480);
    expect(verdict(row)).toBe(true);
  });

  it("reports the shared-module edit for information, with the number of hosts it affected", () => {
    const row = byScenario("shared module edited");
    expect(row.scenario).toContain("50 hosts");
    expect(verdict(row)).toBeUndefined();
  });

  it("leaves out what was not measured", () => {
    const rows = e2eRows({
      ...m,
      cold: m.cold.map((c) => ({ ...c, plainSequentialMs: undefined, untracedEvalMs: [] })),
      edit: [],
      shared: [],
    });
    expect(rows.map((r) => r.scenario)).toEqual([
      "cold, 200 hosts, --jobs 2",
      "fully cached vs cold",
      "fully cached, wall",
    ]);
  });
});
