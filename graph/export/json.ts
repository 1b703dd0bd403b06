// JSON: graphology's serialisation, so `Graph.from(JSON.parse(text))` rebuilds the graph.
import { graphologyOf, type InfraGraph } from "../infra-graph.js";
import { jsonText } from "./escape.js";

/** The format tag at the top of the JSON export; bump when the shape changes. */
export const JSON_FORMAT = "infra-graph/1";

export interface JsonOptions {
  /** Indentation (spaces); compact when 0 or absent. */
  indent?: number;
}

/**
 * `{ "format": "infra-graph/1", "options": {type, multi, allowSelfLoops}, "attributes": {name},
 * "nodes": [{key, attributes}], "edges": [{key, source, target, attributes}] }`: graphology's
 * serialised graph plus the format tag, which graphology's `import`/`Graph.from` ignore. Node
 * attributes are those of `GraphNode` without `id` (the key); edge attributes are `{kind}`.
 */
export function toJson(graph: InfraGraph, options: JsonOptions = {}): string {
  const serialised = graphologyOf(graph).export();
  return jsonText({ format: JSON_FORMAT, ...serialised }, options.indent || undefined);
}
