// Questions people ask of the graph: which modules matter most, which are dead, which imports
// break the repo's layering.
import picomatch from "picomatch";
import type { InfraGraph } from "./infra-graph.js";
import { EDGE_KINDS, NODE_KINDS } from "./kinds.js";
import { baseName, isNixFile, normalizePath } from "./paths.js";
import type { GraphInput } from "./types.js";

export interface ModuleRank {
  /** Node id (`path:<path>`). */
  id: string;
  path: string;
  /** Distinct hosts whose evaluation read the module: its blast radius. */
  hosts: number;
}

/**
 * The `n` modules read by the most hosts, most first (ties by path). A trace records every file
 * an evaluation read, modules imported indirectly included, so counting the hosts with a `reads`
 * edge to a module already counts the hosts that reach it through other modules' imports; the
 * static `imports` edges are not followed (they would add hosts that never read it).
 */
export function topModules(graph: InfraGraph, n: number): ModuleRank[] {
  const ranks: ModuleRank[] = [];
  for (const node of graph.nodes(NODE_KINDS.module)) {
    const hosts = graph.dependents(node.id, EDGE_KINDS.reads).length;
    ranks.push({ id: node.id, path: node.path!, hosts });
  }
  ranks.sort((a, b) => b.hosts - a.hosts || compare(a.path, b.path));
  return ranks.slice(0, Math.max(0, n));
}

/**
 * Tracked `.nix` files that no target's evaluation read, sorted. `flake.nix` files are left out
 * (they are read by the loader before any target runs). Targets never evaluated read nothing
 * yet, so the answer is only as complete as the traces.
 */
export function orphans(input: GraphInput): string[] {
  const read = new Set<string>();
  for (const target of input.targets) {
    for (const dep of target.deps) if (dep.kind === "file") read.add(normalizePath(dep.path));
  }
  return input.trackedFiles
    .map(normalizePath)
    .filter((path) => isNixFile(path) && baseName(path) !== "flake.nix" && !read.has(path))
    .sort(compare);
}

export interface LayeringRule {
  /** Glob of importing files, matched against repo-relative paths (e.g. `modules/**`). */
  from: string;
  /** Glob of files they must not import (e.g. `hosts/**`). */
  mustNotImport: string;
  /** Why the rule exists, for messages. */
  description?: string;
}

export interface LayeringViolation {
  rule: LayeringRule;
  /** The importing module's path. */
  from: string;
  /** The imported module's path. */
  to: string;
}

/** `imports` edges that break a rule, in rule order then by path. */
export function checkLayering(graph: InfraGraph, rules: readonly LayeringRule[]): LayeringViolation[] {
  const imports = graph.edges(EDGE_KINDS.imports).map((edge) => ({
    from: graph.node(edge.source)?.path ?? edge.source,
    to: graph.node(edge.target)?.path ?? edge.target,
  }));
  imports.sort((a, b) => compare(a.from, b.from) || compare(a.to, b.to));
  const violations: LayeringViolation[] = [];
  for (const rule of rules) {
    // dot: a rule about `modules/**` covers `modules/.hidden.nix` too.
    const isFrom = picomatch(rule.from, { dot: true });
    const isForbidden = picomatch(rule.mustNotImport, { dot: true });
    for (const edge of imports) {
      if (isFrom(edge.from) && isForbidden(edge.to)) violations.push({ rule, from: edge.from, to: edge.to });
    }
  }
  return violations;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
