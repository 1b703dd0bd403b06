// Finding nodes by what people type: a host name, a file name, part of a path.
import type Graph from "graphology";
import type { PageNodeAttributes } from "../html-payload.js";

const MAX_RESULTS = 30;

/**
 * Ids of the nodes whose label contains `query` (case-insensitive), best first: exact matches,
 * then labels or file names starting with it, then the rest; hosts before other kinds; then by
 * label.
 */
export function searchNodes(graph: Graph<PageNodeAttributes>, query: string): string[] {
  const needle = query.trim().toLowerCase();
  if (needle === "") return [];
  const scored: { id: string; score: number; label: string }[] = [];
  graph.forEachNode((id, attributes) => {
    const label = attributes.label.toLowerCase();
    const at = label.indexOf(needle);
    if (at < 0) return;
    const fileNameStart = label.lastIndexOf("/") + 1;
    const closeness = label === needle ? 0 : at === 0 ? 1 : at === fileNameStart ? 2 : 3;
    scored.push({ id, score: closeness * 2 + (attributes.kind === "host" ? 0 : 1), label });
  });
  scored.sort((a, b) => a.score - b.score || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  return scored.slice(0, MAX_RESULTS).map((s) => s.id);
}
