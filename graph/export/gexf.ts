// GEXF (Gephi), written by graphology-gexf with colours and sizes Gephi shows as they are.
import { DirectedGraph } from "graphology";
import { write } from "graphology-gexf";
import { type EdgeAttributes, graphologyOf, type InfraGraph, type NodeAttributes } from "../infra-graph.js";
import { NODE_STYLE } from "../kinds.js";
import { xmlText } from "./escape.js";

export interface GexfOptions {
  /** Indent the XML; on by default. */
  pretty?: boolean;
}

/** GEXF 1.3 with the node attributes of GraphNode, `viz:color` per kind, and the edge kind. */
export function toGexf(graph: InfraGraph, options: GexfOptions = {}): string {
  // graphology-gexf writes node and edge keys as they are: give it keys XML can hold.
  const inner = graphologyOf(graph);
  const safe = new DirectedGraph<NodeAttributes, EdgeAttributes>();
  inner.forEachNode((key, attributes) => safe.addNode(xmlText(key), attributes));
  inner.forEachEdge((key, attributes, source, target) =>
    safe.addEdgeWithKey(xmlText(key), xmlText(source), xmlText(target), attributes),
  );
  return write(safe, {
    pretty: options.pretty ?? true,
    formatNode: (_key, attributes: NodeAttributes) => {
      const { label, ...rest } = attributes;
      const clean: Record<string, string | boolean> = {};
      for (const [name, value] of Object.entries(rest)) {
        if (value !== undefined) clean[name] = typeof value === "string" ? xmlText(value) : value;
      }
      // Hosts larger: they are what people look for first.
      const size = attributes.kind === "host" ? 10 : 4;
      return {
        label: xmlText(label),
        attributes: clean,
        viz: { color: NODE_STYLE[attributes.kind].colour, size },
      };
    },
    formatEdge: (_key, attributes) => ({ attributes: { kind: attributes.kind } }),
  });
}
