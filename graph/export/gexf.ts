// GEXF (Gephi), written by graphology-gexf with colours and sizes Gephi shows as they are.
import { write } from "graphology-gexf";
import { graphologyOf, type InfraGraph, type NodeAttributes } from "../infra-graph.js";
import { NODE_STYLE } from "../kinds.js";
import { xmlText } from "./graphml.js";

export interface GexfOptions {
  /** Indent the XML; on by default. */
  pretty?: boolean;
}

/** GEXF 1.3 with the node attributes of GraphNode, `viz:color` per kind, and the edge kind. */
export function toGexf(graph: InfraGraph, options: GexfOptions = {}): string {
  const inner = graphologyOf(graph);
  return write(inner, {
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
