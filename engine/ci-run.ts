// `infra ci`'s measuring: each target evaluated without the cache, sampled again where the
// verdict is close, then judged against the baseline (engine/ci.ts).
import {
  type Baseline,
  budgetFor,
  type Comparison,
  compare,
  type Measurement,
  median,
  needsMoreSamples,
} from "./ci.js";
import type { EngineCore } from "./core.js";
import type { HostResult } from "./report.js";
import { selectTargets, type Target } from "./targets.js";

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

export async function runCi(core: EngineCore, ciOptions: CiOptions): Promise<CiReport> {
  const ws = await core.openWorkspace();
  const { hosts: targets } = await core.discover(ws);
  const selected = selectTargets(targets, ciOptions.names ?? [], core.config.groups);
  const samples = new Map<string, { times: number[]; rss: number[] }>();
  const last = new Map<string, HostResult>();
  const sample = async (chosen: Target[]) => {
    const results = await core.runRound(await core.openWorkspace(), chosen, {
      noCache: true,
      onResult: (result) => core.events.emit({ type: "result", result }),
    });
    core.checkSignal();
    for (const r of results) {
      last.set(r.name, r);
      const s = samples.get(r.name) ?? { times: [], rss: [] };
      if (!r.error) {
        s.times.push(r.evaluationMs);
        if (r.maxRssKb !== undefined) s.rss.push(r.maxRssKb / 1024);
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
  const budget = (name: string) => budgetFor(name, core.config.ci.budget, core.config.ci.hosts);
  await sample(selected);
  // Noise decides nothing: where a verdict is close, take more samples and use the median.
  for (let round = 1; round < core.config.ci.samples; round++) {
    const close = selected.filter((t) => {
      const m = measurement(t.name);
      return m !== undefined && needsMoreSamples(ciOptions.baseline?.hosts[t.name], m, budget(t.name));
    });
    if (close.length === 0) break;
    await sample(close);
  }
  await core.store.flush();
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
    nix: { version: core.nix.version, system: core.nix.system },
  };
}
