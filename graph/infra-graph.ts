// The dependency graph of a fleet. It wraps a graphology graph so that the rest of infra sees
// plain data only: graphology types stay inside graph/ (the exporters reach the wrapped graph
// through `graphologyOf`, which index.ts does not re-export).
import { DirectedGraph } from "graphology";
import type { EdgeKind, NodeKind } from "./kinds.js";
import type { GraphSecret, GraphTarget } from "./types.js";

/** One node, as plain data. Optional fields are present only for the kinds named. */
export interface GraphNode {
  /**
   * Stable id: `host:<name>`, `path:<repo-relative path>`, `input:<lock file>#<lock node>` or
   * `secret:<file>[#<sops key>]`.
   */
  id: string;
  kind: NodeKind;
  /** Short human text: a host's name, a path, an input's `<lock file>#<node>`. */
  label: string;
  /** Path nodes (module, file, dir, secret-file): the path relative to the repo folder; secrets: their file. */
  path?: string;
  /** Path nodes: false when the path is neither tracked nor seen by a read (an absent-path check). */
  exists?: boolean;
  /** Hosts: the target's name as on the command line. */
  name?: string;
  /** Hosts: nixos, darwin or home (`kind` is the node kind, so the target's kind lives here). */
  targetKind?: GraphTarget["kind"];
  /** Hosts: the flake folder; inputs: the folder of the flake whose lock holds the input. */
  flake?: string;
  /** Hosts: the last recorded evaluation's outcome. */
  status?: GraphTarget["status"];
  /** Hosts: the derivation of the last successful evaluation. */
  drvPath?: string;
  /** Hosts: what the last recorded deployment left running. */
  deployedPath?: string;
  /** Hosts: when that deployment was (ISO 8601). */
  deployedAt?: string;
  /** Hosts: whether the deployed toplevel is the recorded evaluation's (nothing left to deploy). */
  deployedCurrent?: boolean;
  /** Inputs: the node's name in `flake.lock`. */
  lockNode?: string;
  /** Secrets: sops or agenix. */
  backend?: GraphSecret["backend"];
  /** Secrets: the sops key inside the file. */
  secretKey?: string;
  /** Secrets: "ok" when the check passes for every host declaring it, else the first failing status. */
  secretStatus?: string;
  /** Secrets: each declaring host with its status, e.g. `db1 ok, db2 not-for-host`. */
  checks?: string;
}

/** One edge, from the dependent to its dependency. */
export interface GraphEdge {
  /** `e<n>`, numbered in insertion order (there is at most one edge per ordered pair). */
  id: string;
  source: string;
  target: string;
  kind: EdgeKind;
}

/** The attributes stored in graphology: a node without its id. */
export type NodeAttributes = Omit<GraphNode, "id">;
export interface EdgeAttributes {
  kind: EdgeKind;
}
export interface GraphAttributes {
  name: string;
}

export type InnerGraph = DirectedGraph<NodeAttributes, EdgeAttributes, GraphAttributes>;

/** Builders of node ids, so every module spells them the same way. */
export const nodeId = {
  host: (name: string): string => `host:${name}`,
  path: (path: string): string => `path:${path}`,
  input: (id: string): string => `input:${id}`,
  /** A declared secret: its file, and for sops the key inside it. */
  secret: (file: string, key?: string): string => `secret:${file}${key === undefined ? "" : `#${key}`}`,
} as const;

let unwrap: (graph: InfraGraph) => InnerGraph;

/** A directed graph of hosts and what their evaluations depended on. */
export class InfraGraph {
  readonly #graph: InnerGraph;
  /**
   * The targets the graph was built from, with their recorded dependencies: `affected` works
   * from these (traces), never from the edges, which merge dependency kinds.
   */
  readonly targets: readonly GraphTarget[];

  static {
    unwrap = (graph) => graph.#graph;
  }

  /** An empty graph; `buildGraph` fills one from the recorded reads. */
  constructor(targets: readonly GraphTarget[] = []) {
    this.targets = targets;
    this.#graph = new DirectedGraph<NodeAttributes, EdgeAttributes, GraphAttributes>({
      allowSelfLoops: false,
    });
    this.#graph.replaceAttributes({ name: "infra" });
  }

  /** Number of nodes. */
  get order(): number {
    return this.#graph.order;
  }

  /** Number of edges. */
  get size(): number {
    return this.#graph.size;
  }

  hasNode(id: string): boolean {
    return this.#graph.hasNode(id);
  }

  node(id: string): GraphNode | undefined {
    if (!this.#graph.hasNode(id)) return undefined;
    return { id, ...this.#graph.getNodeAttributes(id) };
  }

  /** All nodes (of one kind), in insertion order. */
  nodes(kind?: NodeKind): GraphNode[] {
    const out: GraphNode[] = [];
    this.#graph.forEachNode((id, attributes) => {
      if (kind === undefined || attributes.kind === kind) out.push({ id, ...attributes });
    });
    return out;
  }

  /** All edges (of one kind), in insertion order. */
  edges(kind?: EdgeKind): GraphEdge[] {
    const out: GraphEdge[] = [];
    this.#graph.forEachEdge((id, attributes, source, target) => {
      if (kind === undefined || attributes.kind === kind)
        out.push({ id, source, target, kind: attributes.kind });
    });
    return out;
  }

  /** The edge from `source` to `target`, if any. */
  edge(source: string, target: string): GraphEdge | undefined {
    if (!this.#graph.hasNode(source) || !this.#graph.hasNode(target)) return undefined;
    const id = this.#graph.edge(source, target);
    if (id === undefined) return undefined;
    return { id, source, target, kind: this.#graph.getEdgeAttribute(id, "kind") };
  }

  /** Adds a node, or replaces the attributes of the node with that id. */
  setNode(node: GraphNode): void {
    const { id, ...attributes } = node;
    if (this.#graph.hasNode(id)) this.#graph.replaceNodeAttributes(id, attributes);
    else this.#graph.addNode(id, attributes);
  }

  /** Adds an edge, or changes the kind of the existing edge between the two nodes. */
  setEdge(source: string, target: string, kind: EdgeKind): void {
    const id = this.#graph.edge(source, target);
    if (id !== undefined) this.#graph.setEdgeAttribute(id, "kind", kind);
    // Short sequential keys: stable across runs (exports diff cleanly) and cheap to hash.
    else this.#graph.addDirectedEdgeWithKey(`e${this.#graph.size}`, source, target, { kind });
  }

  /** What `id` depends on (out-neighbours), optionally through edges of one kind. */
  dependencies(id: string, kind?: EdgeKind): string[] {
    const out: string[] = [];
    this.#graph.forEachOutEdge(id, (_edge, attributes, _source, target) => {
      if (kind === undefined || attributes.kind === kind) out.push(target);
    });
    return out;
  }

  /** What depends on `id` (in-neighbours), optionally through edges of one kind. */
  dependents(id: string, kind?: EdgeKind): string[] {
    const out: string[] = [];
    this.#graph.forEachInEdge(id, (_edge, attributes, source) => {
      if (kind === undefined || attributes.kind === kind) out.push(source);
    });
    return out;
  }

  /** Dependencies and dependents together, each once. */
  neighbours(id: string): string[] {
    return this.#graph.neighbors(id);
  }

  /** The subgraph induced by `ids` (unknown ids are ignored), with the targets of its hosts. */
  subgraph(ids: Iterable<string>): InfraGraph {
    const keep = new Set<string>();
    for (const id of ids) if (this.#graph.hasNode(id)) keep.add(id);
    const hostIds = new Set([...keep].filter((id) => this.#graph.getNodeAttribute(id, "kind") === "host"));
    const sub = new InfraGraph(this.targets.filter((t) => hostIds.has(nodeId.host(t.name))));
    // Insertion order follows the original graph, so exports of a subgraph are stable too.
    this.#graph.forEachNode((id, attributes) => {
      if (keep.has(id)) sub.setNode({ id, ...attributes });
    });
    this.#graph.forEachEdge((_id, attributes, source, target) => {
      if (keep.has(source) && keep.has(target)) sub.setEdge(source, target, attributes.kind);
    });
    return sub;
  }
}

/** The wrapped graphology graph, for the exporters in graph/ only (not part of the public API). */
export function graphologyOf(graph: InfraGraph): InnerGraph {
  return unwrap(graph);
}
