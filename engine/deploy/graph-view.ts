// What the graph shows of deployments: per host, what its last recorded deployment left running
// and whether that is the toplevel of its recorded evaluation. Plain data for graph/. Main thread.
import type { StoredTrace } from "../../cache/records.js";
import type { CacheStore } from "../../cache/store.js";
import type { GraphInput } from "../../graph/types.js";
import type { Target } from "../fleet/targets.js";

export function addDeployments(
  input: GraphInput,
  traces: { target: Target; trace: StoredTrace | undefined }[],
  store: CacheStore,
): void {
  const byId = new Map(traces.map((t) => [t.target.id, t.trace]));
  for (const target of input.targets) {
    // The newest deployment that says what runs (a lost connection leaves it unknown).
    const record =
      store.deploys(target.id, 8).find((r) => r.running !== null) ?? store.deploys(target.id, 1)[0];
    if (record === undefined) continue;
    const outPath = byId.get(target.id)?.evaluation.outPath ?? null;
    target.deployed = {
      path: record.running,
      at: record.at,
      current: record.running !== null && record.running === outPath,
    };
  }
}
