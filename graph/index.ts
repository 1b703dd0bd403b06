// The graph library's public API. graphology types never appear here: callers get plain data.
export {
  checkLayering,
  type LayeringRule,
  type LayeringViolation,
  type ModuleRank,
  orphans,
  topModules,
} from "./analyze.js";
export { type BuildGraphOptions, buildGraph } from "./build.js";
export { type DotOptions, toDot } from "./export/dot.js";
export { type GexfOptions, toGexf } from "./export/gexf.js";
export { type GraphmlOptions, toGraphml } from "./export/graphml.js";
export { type HtmlOptions, loadHtmlClient, toHtml } from "./export/html.js";
export type { PageHooks } from "./export/html-payload.js";
export { JSON_FORMAT, type JsonOptions, toJson } from "./export/json.js";
export { type MermaidOptions, toMermaid } from "./export/mermaid.js";
export { focusSubgraph, resolveNode } from "./focus.js";
export { type GraphEdge, type GraphNode, InfraGraph, nodeId } from "./infra-graph.js";
export { EDGE_KINDS, type EdgeKind, NODE_KINDS, type NodeKind } from "./kinds.js";
export { scanImports } from "./scan-imports.js";
export type { GraphDep, GraphDepKind, GraphInput, GraphTarget } from "./types.js";
