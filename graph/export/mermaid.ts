// Mermaid flowchart, for Markdown that renders it (GitHub, GitLab). Best for focused subgraphs:
// Mermaid gets slow and unreadable beyond a few hundred nodes.
import type { InfraGraph } from "../infra-graph.js";
import { EDGE_STYLE, NODE_KINDS, NODE_STYLE } from "../kinds.js";
import { mermaidLabel } from "./escape.js";

export interface MermaidOptions {
  /** Label edges with their kind (reads, lists, …); on by default. */
  edgeLabels?: boolean;
}

/**
 * `graph LR` with one line per node (`n1["web1"]:::host`) and one per edge (`n1 -->|reads| n2`),
 * after one `classDef` per node kind. Node ids are generated (n1, n2, …) because Mermaid ids
 * cannot hold most path characters; the real id is the label.
 */
export function toMermaid(graph: InfraGraph, options: MermaidOptions = {}): string {
  const lines = ["graph LR"];
  for (const kind of Object.values(NODE_KINDS)) {
    lines.push(`  classDef ${className(kind)} fill:${NODE_STYLE[kind].colour},color:#fff,stroke:#333`);
  }
  const ids = new Map<string, string>();
  for (const node of graph.nodes()) {
    const id = `n${ids.size + 1}`;
    ids.set(node.id, id);
    lines.push(`  ${id}["${escapeLabel(node.label)}"]:::${className(node.kind)}`);
  }
  const labels = options.edgeLabels ?? true;
  for (const edge of graph.edges()) {
    const arrow = EDGE_STYLE[edge.kind].mermaid;
    const label = labels ? `|${edge.kind}|` : "";
    lines.push(`  ${ids.get(edge.source)} ${arrow}${label} ${ids.get(edge.target)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Mermaid class names are plain words: `secret-file` becomes `secret_file`. */
const className = (kind: string): string => kind.replaceAll("-", "_");

/** A quoted Mermaid label's text (escape.ts `mermaidLabel`). */
export const escapeLabel = mermaidLabel;
