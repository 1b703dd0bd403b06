// GraphML (yEd, Gephi, Cytoscape, networkx), written with fast-xml-parser's XMLBuilder.
import { XMLBuilder } from "fast-xml-parser";
import type { GraphNode, InfraGraph } from "../infra-graph.js";
import { xmlText } from "./escape.js";

export interface GraphmlOptions {
  /** Indent the XML; on by default. */
  pretty?: boolean;
}

type AttributeType = "string" | "boolean";

/** Node attributes declared as GraphML keys: the fields of GraphNode except `id`. */
const NODE_KEYS = {
  kind: "string",
  label: "string",
  path: "string",
  exists: "boolean",
  name: "string",
  targetKind: "string",
  flake: "string",
  status: "string",
  drvPath: "string",
  deployedPath: "string",
  deployedAt: "string",
  deployedCurrent: "boolean",
  lockNode: "string",
  backend: "string",
  secretKey: "string",
  secretStatus: "string",
  checks: "string",
} as const satisfies Record<Exclude<keyof GraphNode, "id">, AttributeType>;

// Key ids are per domain (a node's kind and an edge's kind are different keys).
const nodeKeyId = (name: string): string => `n_${name}`;
const EDGE_KIND_KEY = "e_kind";

/** A GraphML document with a `<key>` per node attribute and one for the edge kind. */
export function toGraphml(graph: InfraGraph, options: GraphmlOptions = {}): string {
  const keys = [
    ...Object.entries(NODE_KEYS).map(([name, type]) => ({
      "@_id": nodeKeyId(name),
      "@_for": "node",
      "@_attr.name": name,
      "@_attr.type": type,
    })),
    { "@_id": EDGE_KIND_KEY, "@_for": "edge", "@_attr.name": "kind", "@_attr.type": "string" },
  ];
  const nodes = graph.nodes().map((node) => ({
    "@_id": xmlText(node.id),
    data: Object.keys(NODE_KEYS).flatMap((name) => {
      const value = node[name as keyof typeof NODE_KEYS];
      return value === undefined ? [] : [{ "@_key": nodeKeyId(name), "#text": xmlText(String(value)) }];
    }),
  }));
  const edges = graph.edges().map((edge) => ({
    "@_id": xmlText(edge.id),
    "@_source": xmlText(edge.source),
    "@_target": xmlText(edge.target),
    data: [{ "@_key": EDGE_KIND_KEY, "#text": edge.kind }],
  }));
  const document = {
    "?xml": { "@_version": "1.0", "@_encoding": "UTF-8" },
    graphml: {
      "@_xmlns": "http://graphml.graphdrawing.org/xmlns",
      "@_xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
      "@_xsi:schemaLocation":
        "http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd",
      key: keys,
      graph: { "@_id": "infra", "@_edgedefault": "directed", node: nodes, edge: edges },
    },
  };
  const builder = new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: "@_",
    format: options.pretty ?? true,
    suppressEmptyNode: true,
  });
  return builder.build(document);
}
