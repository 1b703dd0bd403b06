// The graph's two budgets on a generated 1,000-target / 5,000-file fleet: an `affected` query
// (< 50 ms; the watch loop runs one per change) and building the graph plus exporting it
// (< 1 s for graph export of 1,000 hosts and 5,000 files).
import { pathToFileURL } from "node:url";
import b from "benny";
import { buildAffectedIndex } from "../engine/affected.js";
import type { PathChange } from "../engine/invalidation.js";
import { buildGraph } from "../graph/build.js";
import { toDot } from "../graph/export/dot.js";
import { toHtml } from "../graph/export/html.js";
import { toJson } from "../graph/export/json.js";
import { generateGraphInput } from "./graph-input.js";

export interface GraphBenchCase {
  suite: string;
  name: string;
  /** Median time of one call, in milliseconds. */
  medianMs: number;
  samples: number;
}

type Summary = Awaited<ReturnType<typeof b.suite>>;

function medians(summary: Summary): GraphBenchCase[] {
  // benchmark.js reports seconds per call.
  return summary.results.map((r) => ({
    suite: summary.name,
    name: r.name,
    medianMs: r.details.median * 1000,
    samples: r.samples,
  }));
}

function save(name: string) {
  return b.save({ file: name, folder: "bench/results", format: "json" });
}

export default async function run(): Promise<GraphBenchCase[]> {
  const fleet = generateGraphInput({ targets: 1000, files: 5000 });
  const { input, probes } = fleet;
  const readFile = (path: string): string | undefined => fleet.files.get(path);
  const one: PathChange[] = [{ path: probes.hostFile, change: "modified" }];
  const listing: PathChange[] = [{ path: probes.addedToListedFolder, change: "added" }];
  const shared: PathChange[] = [{ path: probes.sharedModule, change: "modified" }];
  const index = buildAffectedIndex(input);

  const affected = await b.suite(
    "graph-affected",
    b.add("index: build the dependency index (1,000 targets)", () => {
      buildAffectedIndex(input);
    }),
    b.add("affected: one host's file modified", () => {
      index.query(one);
    }),
    b.add("affected: file added to a listed folder", () => {
      index.query(listing);
    }),
    b.add("affected: shared module modified (every host)", () => {
      index.query(shared);
    }),
    b.add("affected: index + query, one file", () => {
      buildAffectedIndex(input).query(one);
    }),
    b.cycle(),
    b.complete(),
    save("graph-affected"),
  );

  const exported = await b.suite(
    "graph-export",
    b.add("build graph (with import scan)", () => {
      buildGraph(input, { readFile });
    }),
    b.add("build + DOT", () => {
      toDot(buildGraph(input, { readFile }));
    }),
    b.add("build + JSON", () => {
      toJson(buildGraph(input, { readFile }));
    }),
    b.add("build + HTML", () => {
      toHtml(buildGraph(input, { readFile }));
    }),
    b.cycle(),
    b.complete(),
    save("graph-export"),
  );

  const cases = [...medians(affected), ...medians(exported)];
  for (const c of cases) {
    console.log(`${c.suite}: ${c.name}: median ${c.medianMs.toFixed(3)} ms (${c.samples} samples)`);
  }
  return cases;
}

// `node dist/bench/graph.bench.js` runs it alone.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
