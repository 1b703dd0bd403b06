// The contract's result shapes (docs/commands/eval.md): one HostResult per target, in the JSON
// field order, built from a job's result. What a `--json` run prints is these objects as they
// are. Pure.
import { isAbsolute, relative } from "node:path";
import type { Dependency, DepKind, Evaluation, Failure } from "../../cache/records.js";
import type { Target } from "../fleet/targets.js";
import { inputKey, splitInputKey } from "../repo/lock.js";
import type { Workspace } from "../repo/workspace.js";
import type { JobResult } from "./scheduler.js";

export interface DependencyView {
  kind: DepKind;
  /**
   * Relative to the repo folder; `<flake folder>/flake.lock#<node>` for inputs (`flake.lock#…`
   * for a flake at the repo folder), the repository top for `tree`, `HEAD` for `git`.
   */
  path: string;
}

/** `removed` only in watch: the target is gone (`git rm`, a branch switch). */
export type HostStatus = "evaluated" | "cached" | "failed" | "removed";

export interface HostResult {
  name: string;
  kind: string;
  attr: string;
  flake: string;
  status: HostStatus;
  drvPath: string | null;
  outPath: string | null;
  /** Wall time this run spent on the target (a cache lookup when cached). */
  durationMs: number;
  /** How long Nix took when the recorded evaluation ran. */
  evaluationMs: number;
  maxRssKb: number | null;
  /** The answer (value or failure) came from the cache; nix did not run. */
  fromCache: boolean;
  mode: Evaluation["mode"];
  /** Why it was evaluated exactly as `nix eval` would (untracked file, leaked path, ...). */
  reason?: string;
  meta?: Record<string, unknown>;
  dependencies: DependencyView[];
  error: Failure | null;
}

export interface EvalSummary {
  evaluated: number;
  cached: number;
  failed: number;
  durationMs: number;
}

export interface FlakeFailure {
  flake: string;
  error: Failure;
}

export interface EvalReport {
  hosts: HostResult[];
  summary: EvalSummary;
  /** Flakes whose targets could not be listed (present only when there are some). */
  errors?: FlakeFailure[];
}

/** A recorded dependency as people see it: paths relative to the repo folder. */
export function dependencyView(dep: Dependency, display: (relToTop: string) => string): DependencyView {
  switch (dep.kind) {
    case "input": {
      const { lockPath, node } = splitInputKey(dep.key);
      return { kind: dep.kind, path: inputKey(display(lockPath), node) };
    }
    case "tree":
      return { kind: dep.kind, path: display("") };
    case "git":
      return { kind: dep.kind, path: "HEAD" };
    default:
      return { kind: dep.kind, path: display(dep.key) };
  }
}

/** Error positions and messages name files relative to the repo folder, as people see them. */
export function errorView(ws: Workspace, error: Failure): Failure {
  const shorten = (text: string) =>
    text.split(`${ws.top}/`).reduce((out, part, i) => {
      if (i === 0) return part;
      const end = part.search(/[\s:'"(),]/);
      const rel = end < 0 ? part : part.slice(0, end);
      return `${out}${ws.display(rel)}${end < 0 ? "" : part.slice(end)}`;
    }, "");
  let file = error.file;
  if (file !== null && isAbsolute(file)) {
    const rel = relative(ws.top, file);
    if (!rel.startsWith("..")) file = ws.display(rel);
  }
  return { ...error, file, message: shorten(error.message), trace: error.trace.map(shorten) };
}

export function hostResult(target: Target, result: JobResult, ws: Workspace): HostResult {
  const { evaluation: e } = result;
  const display = (rel: string) => ws.display(rel);
  return {
    name: target.name,
    kind: target.kind,
    attr: target.attr,
    flake: target.flake,
    status: e.error ? "failed" : result.fromCache ? "cached" : "evaluated",
    drvPath: e.drvPath,
    outPath: e.outPath,
    durationMs: Math.round(result.durationMs),
    evaluationMs: e.evaluationMs,
    maxRssKb: e.maxRssKb,
    fromCache: result.fromCache,
    mode: e.mode,
    ...(e.reason ? { reason: e.reason } : {}),
    ...(Object.keys(e.meta).length > 0 ? { meta: e.meta } : {}),
    dependencies: result.deps.map((d) => dependencyView(d, display)),
    error: e.error ? errorView(ws, e.error) : null,
  };
}

/** What watch reports for a target that no longer exists. */
export function removedResult(target: Target): HostResult {
  return {
    name: target.name,
    kind: target.kind,
    attr: target.attr,
    flake: target.flake,
    status: "removed",
    drvPath: null,
    outPath: null,
    durationMs: 0,
    evaluationMs: 0,
    maxRssKb: null,
    fromCache: false,
    mode: "none",
    dependencies: [],
    error: null,
  };
}

export function summarize(hosts: HostResult[], durationMs: number): EvalSummary {
  return {
    evaluated: hosts.filter((h) => h.status === "evaluated").length,
    cached: hosts.filter((h) => h.status === "cached").length,
    failed: hosts.filter((h) => h.status === "failed").length,
    durationMs: Math.round(durationMs),
  };
}
