// Graphviz DOT: `infra graph --format dot | dot -Tsvg > graph.svg`.
import type { GraphNode, InfraGraph } from "../infra-graph.js";
import { EDGE_STYLE, NODE_STYLE } from "../kinds.js";
import { dotString } from "./escape.js";

export interface DotOptions {
  /** Graph direction; left to right (hosts on the left) by default. */
  rankdir?: "LR" | "TB";
}

/** A DOT digraph: one node per line, shaped and coloured by kind; edges styled by kind. */
export function toDot(graph: InfraGraph, options: DotOptions = {}): string {
  const lines = [
    "digraph infra {",
    `  rankdir=${options.rankdir ?? "LR"};`,
    '  node [style=filled, fontname="Helvetica", fontsize=10];',
    '  edge [arrowsize=0.6, fontname="Helvetica"];',
  ];
  for (const node of graph.nodes()) {
    const style = NODE_STYLE[node.kind];
    const attributes = [
      `label=${quote(nodeLabel(node))}`,
      `shape=${style.shape}`,
      `fillcolor=${quote(style.colour)}`,
      `tooltip=${quote(`${node.kind}: ${node.path ?? node.label}`)}`,
    ];
    // Paths found absent are drawn dashed: they matter because they might appear.
    if (node.exists === false) attributes.push('style="filled,dashed"');
    if (node.status === "failed" || (node.secretStatus !== undefined && node.secretStatus !== "ok"))
      attributes.push('color="#c1121f"', "penwidth=2");
    lines.push(`  ${quote(node.id)} [${attributes.join(", ")}];`);
  }
  for (const edge of graph.edges()) {
    const style = EDGE_STYLE[edge.kind];
    lines.push(
      `  ${quote(edge.source)} -> ${quote(edge.target)} [color=${quote(style.colour)}, style=${style.dot}, tooltip=${quote(edge.kind)}];`,
    );
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

function nodeLabel(node: GraphNode): string {
  if (node.kind === "host") return node.status === "ok" ? node.label : `${node.label} (${node.status})`;
  if (node.kind === "secret" && node.secretStatus !== "ok") return `${node.label} (${node.secretStatus})`;
  return node.label;
}

/** A DOT quoted string (escape.ts `dotString`). */
export const quote = dotString;
