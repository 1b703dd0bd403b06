// Builds the graph from what each target's evaluation read.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type GraphNode, InfraGraph, nodeId } from "./infra-graph.js";
import { EDGE_KINDS, type EdgeKind, NODE_KINDS } from "./kinds.js";
import { ancestorsOf, isNixFile, isSecretPath, normalizePath } from "./paths.js";
import { scanImports } from "./scan-imports.js";
import type { GraphDep, GraphInput, GraphTarget } from "./types.js";

export interface BuildGraphOptions {
  /**
   * Reads a repo-relative file for the static scan of `imports` (undefined when it cannot be
   * read); defaults to reading under `input.repoDir`. `false` skips the scan (no `imports` edges).
   */
  readFile?: ((path: string) => string | undefined) | false;
}

/** A lock file's root node is the flake itself: `affected` uses it, the picture leaves it out. */
const ROOT_INPUT_SUFFIX = "#root";

// When one host reaches a node in several ways, the edge keeps the strongest: content read or
// listed beats input use beats an existence check.
const EDGE_RANK: Record<EdgeKind, number> = {
  reads: 3,
  lists: 3,
  "uses-input": 2,
  stats: 1,
  imports: 0,
  declares: 0,
  "stored-in": 0,
};

/** Builds the dependency graph of `input`'s targets. */
export function buildGraph(input: GraphInput, options: BuildGraphOptions = {}): InfraGraph {
  const graph = new InfraGraph(input.targets);
  const existing = existingPaths(input.trackedFiles);
  // Path nodes are collected first so a path seen only as an existence check by one host and
  // read by another ends up as what was read.
  const pathNodes = new Map<string, { node: GraphNode; rank: number }>();
  const inputNodes = new Map<string, GraphNode>();
  const edges: { host: string; deps: Map<string, EdgeKind> }[] = [];

  for (const target of input.targets) {
    const host = nodeId.host(target.name);
    graph.setNode(hostNode(target));
    const deps = new Map<string, EdgeKind>();
    for (const dep of target.deps) {
      const kind = EDGE_KIND_OF[dep.kind];
      if (kind === undefined || (dep.kind === "input" && dep.path.endsWith(ROOT_INPUT_SUFFIX))) continue;
      let id: string;
      if (kind === EDGE_KINDS.usesInput) {
        id = nodeId.input(dep.path);
        if (!inputNodes.has(id)) inputNodes.set(id, inputNode(dep.path));
      } else {
        const path = normalizePath(dep.path);
        id = nodeId.path(path);
        const rank = kind === EDGE_KINDS.stats ? 0 : 1;
        const known = pathNodes.get(id);
        if (known === undefined || rank > known.rank)
          pathNodes.set(id, { node: pathNode(dep.kind, path, existing), rank });
      }
      const previous = deps.get(id);
      if (previous === undefined || EDGE_RANK[kind] > EDGE_RANK[previous]) deps.set(id, kind);
    }
    edges.push({ host, deps });
  }

  for (const { node } of pathNodes.values()) graph.setNode(node);
  for (const node of inputNodes.values()) graph.setNode(node);
  for (const { host, deps } of edges) for (const [id, kind] of deps) graph.setEdge(host, id, kind);
  addSecrets(graph, input.targets, existing);

  const readFile = options.readFile ?? defaultReader(input.repoDir);
  if (readFile !== false) addImportEdges(graph, readFile);
  return graph;
}

function hostNode(target: GraphTarget): GraphNode {
  const node: GraphNode = {
    id: nodeId.host(target.name),
    kind: NODE_KINDS.host,
    label: target.name,
    name: target.name,
    targetKind: target.kind,
    flake: target.flake,
    status: target.status,
  };
  if (target.drvPath !== undefined) node.drvPath = target.drvPath;
  if (target.deployed !== undefined) {
    if (target.deployed.path !== null) node.deployedPath = target.deployed.path;
    node.deployedAt = new Date(target.deployed.at).toISOString();
    node.deployedCurrent = target.deployed.current;
  }
  return node;
}

/** The edge each dependency kind becomes; tree and git deps have no node (see `GraphNode`). */
const EDGE_KIND_OF: Record<GraphDep["kind"], EdgeKind | undefined> = {
  file: EDGE_KINDS.reads,
  dir: EDGE_KINDS.lists,
  type: EDGE_KINDS.stats,
  link: EDGE_KINDS.stats,
  input: EDGE_KINDS.usesInput,
  tree: undefined,
  git: undefined,
};

function pathNode(kind: GraphDep["kind"], path: string, existing: Set<string>): GraphNode {
  const id = nodeId.path(path);
  if (kind === "file") {
    const nodeKind = isSecretPath(path) ? "secret-file" : isNixFile(path) ? "module" : "file";
    return { id, kind: nodeKind, label: path, path, exists: true };
  }
  if (kind === "dir")
    return { id, kind: isSecretPath(path) ? "secret-file" : "dir", label: path, path, exists: true };
  // Only checked for existence: a tracked file or a folder holding one exists (flake semantics).
  return { id, kind: "file", label: path, path, exists: existing.has(path) };
}

/**
 * host → secret → file for each secret a recorded evaluation declares. Hosts sharing a file (and
 * sops key) share the secret node, which carries each host's verdict.
 */
function addSecrets(graph: InfraGraph, targets: readonly GraphTarget[], existing: Set<string>): void {
  const secrets = new Map<string, { node: GraphNode; checks: string[]; failing?: string }>();
  const declared: [host: string, secret: string][] = [];
  for (const target of targets) {
    for (const secret of target.secrets ?? []) {
      const file = normalizePath(secret.file);
      const key = secret.backend === "sops" ? secret.key : undefined;
      const id = nodeId.secret(file, key);
      let entry = secrets.get(id);
      if (entry === undefined) {
        const node: GraphNode = {
          id,
          kind: NODE_KINDS.secret,
          label: key === undefined ? secret.name : `${secret.name} (${key})`,
          name: secret.name,
          path: file,
          backend: secret.backend,
        };
        if (key !== undefined) node.secretKey = key;
        entry = { node, checks: [] };
        secrets.set(id, entry);
      }
      entry.checks.push(`${target.name} ${secret.status}`);
      if (secret.status !== "ok") entry.failing ??= secret.status;
      declared.push([nodeId.host(target.name), id]);
      // The file may be outside the repository or absent: the node says so, the secret still points at it.
      const fileId = nodeId.path(file);
      if (graph.node(fileId) === undefined)
        graph.setNode({
          id: fileId,
          kind: NODE_KINDS.secretFile,
          label: file,
          path: file,
          exists: existing.has(file),
        });
    }
  }
  for (const [id, { node, checks, failing }] of secrets) {
    graph.setNode({ ...node, secretStatus: failing ?? "ok", checks: checks.join(", ") });
    graph.setEdge(id, nodeId.path(node.path!), EDGE_KINDS.storedIn);
  }
  for (const [host, secret] of declared) graph.setEdge(host, secret, EDGE_KINDS.declares);
}

/** `<lock file>#<node>`, e.g. `flake-b/flake.lock#nixpkgs`. */
function inputNode(dep: string): GraphNode {
  const hash = dep.lastIndexOf("#");
  const lockFile = dep.slice(0, hash);
  const slash = lockFile.lastIndexOf("/");
  return {
    id: nodeId.input(dep),
    kind: "input",
    label: dep,
    flake: slash < 0 ? "." : lockFile.slice(0, slash),
    lockNode: dep.slice(hash + 1),
  };
}

/**
 * Tracked files and the folders holding them: in a flake only tracked files exist, so these are
 * the paths an existence check finds.
 */
function existingPaths(trackedFiles: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const file of trackedFiles) {
    const path = normalizePath(file);
    out.add(path);
    for (const folder of ancestorsOf(path)) {
      if (out.has(folder)) break;
      out.add(folder);
    }
  }
  return out;
}

function defaultReader(repoDir: string): (path: string) => string | undefined {
  return (path) => {
    try {
      return readFileSync(join(repoDir, path), "utf8");
    } catch {
      return undefined; // gone since the trace, or a folder: no edges for the picture
    }
  };
}

/**
 * Adds module → module `imports` edges from a static scan of the modules hosts read, following
 * imported modules no host read (a conditional import, say) so they show up too.
 */
function addImportEdges(graph: InfraGraph, readFile: (path: string) => string | undefined): void {
  const queue = graph.nodes(NODE_KINDS.module).map((node) => node.path!);
  const queued = new Set(queue);
  const texts = new Map<string, string | undefined>();
  const read = (path: string): string | undefined => {
    if (!texts.has(path)) texts.set(path, readFile(path));
    return texts.get(path);
  };
  for (let i = 0; i < queue.length; i++) {
    const from = queue[i]!;
    const text = read(from);
    if (text === undefined) continue;
    for (const to of scanImports(text, from)) {
      const id = nodeId.path(to);
      const known = graph.node(id);
      // A path some host only checked for existence is a module once something imports it.
      if (known === undefined || known.kind === NODE_KINDS.file) {
        if (read(to) === undefined) continue; // a literal naming nothing: evaluation would fail
        graph.setNode({
          id,
          kind: isSecretPath(to) ? "secret-file" : "module",
          label: to,
          path: to,
          exists: true,
        });
      }
      graph.setEdge(nodeId.path(from), id, EDGE_KINDS.imports);
      if (!queued.has(to) && graph.node(id)?.kind === NODE_KINDS.module) {
        queued.add(to);
        queue.push(to);
      }
    }
  }
}
