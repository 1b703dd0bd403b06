// `infra graph --focus NAME|PATH --depth N`: the part of the graph around one node.
import { UsageError } from "../errors/index.js";
import { type InfraGraph, nodeId } from "./infra-graph.js";
import { normalizePath } from "./paths.js";

const MAX_CANDIDATES_SHOWN = 10;

/**
 * The id of the node `query` names: a node id, a host name, a repo-relative path, an input id
 * (`flake.lock#nixpkgs`), or a unique path suffix (`roles/web.nix`). Throws a UsageError naming
 * the candidates when it is ambiguous or matches nothing.
 */
export function resolveNode(graph: InfraGraph, query: string): string {
  const exact = [query, nodeId.host(query), nodeId.path(normalizePath(query)), nodeId.input(query)];
  for (const id of exact) if (graph.hasNode(id)) return id;

  const suffix = `/${normalizePath(query)}`;
  const candidates = graph
    .nodes()
    .filter((node) => node.path?.endsWith(suffix) || node.label.endsWith(suffix))
    .map((node) => node.id);
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) {
    throw new UsageError(`no host, path or input in the graph is named "${query}"`, {
      hints: ["Give a host name, a path relative to the repo folder, or an input like flake.lock#nixpkgs."],
    });
  }
  const shown = candidates.slice(0, MAX_CANDIDATES_SHOWN).join(", ");
  const more = candidates.length > MAX_CANDIDATES_SHOWN ? `, … (${candidates.length} in all)` : "";
  throw new UsageError(`"${query}" matches several nodes: ${shown}${more}`, {
    hints: ["Give a longer path to pick one."],
  });
}

/**
 * The subgraph of the nodes within `depth` edges of the node `query` names, following edges both
 * ways (what it depends on and what depends on it), with every edge among them.
 */
export function focusSubgraph(graph: InfraGraph, query: string, depth: number): InfraGraph {
  const start = resolveNode(graph, query);
  const reached = new Set([start]);
  let frontier = [start];
  for (let level = 0; level < depth && frontier.length > 0; level++) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const neighbour of graph.neighbours(id)) {
        if (!reached.has(neighbour)) {
          reached.add(neighbour);
          next.push(neighbour);
        }
      }
    }
    frontier = next;
  }
  return graph.subgraph(reached);
}
