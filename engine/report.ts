// Result shapes of the CLI contract, built from job results. Pure.
import type { Dependency } from "../cache/fingerprint.js";
import type { EvalValue } from "./eval-types.js";
import type { JobResult } from "./scheduler.js";
import type { Target } from "./targets.js";

export interface DependencyView {
  kind: Dependency["kind"];
  /** Relative to the repo folder; `<flake>/flake.lock#<node>` for inputs. */
  path: string;
}

export interface HostError {
  code: string;
  message: string;
  file?: string | undefined;
  line?: number | undefined;
  column?: number | undefined;
  hints: string[];
  trace: string[];
}

export interface HostResult {
  name: string;
  kind: string;
  attr: string;
  flake: string;
  status: "evaluated" | "cached" | "failed";
  drvPath?: string | undefined;
  outPath?: string | undefined;
  meta?: Record<string, unknown> | undefined;
  /** Wall time this run spent on the target (a cache lookup when cached). */
  durationMs: number;
  /** How long Nix took when the recorded evaluation ran. */
  evaluationMs: number;
  maxRssKb?: number | undefined;
  /** The answer (value or failure) came from the cache; nix did not run. */
  fromCache: boolean;
  /** traced | exact | untraced: how the evaluation saw its inputs. */
  mode: string;
  /** Why it was evaluated exactly as `nix eval` would (untracked file, leaked path, ...). */
  reason?: string | undefined;
  dependencies: DependencyView[];
  error?: HostError | undefined;
}

export interface EvalSummary {
  evaluated: number;
  cached: number;
  failed: number;
  durationMs: number;
}

export interface FlakeFailure {
  flake: string;
  error: HostError;
}

export interface EvalReport {
  hosts: HostResult[];
  summary: EvalSummary;
  /** Flakes whose targets could not be listed. */
  errors: FlakeFailure[];
}

export type DisplayPath = (relToTop: string) => string;

export function dependencyView(
  dep: Dependency,
  display: DisplayPath,
  flakeOf: (flakeRel: string) => string,
): DependencyView {
  switch (dep.kind) {
    case "input": {
      const hash = dep.key.lastIndexOf("#");
      const flake = flakeOf(dep.key.slice(0, hash));
      return {
        kind: dep.kind,
        path: `${flake === "." ? "" : `${flake}/`}flake.lock#${dep.key.slice(hash + 1)}`,
      };
    }
    case "tree":
      return { kind: dep.kind, path: display("") };
    case "git":
      return { kind: dep.kind, path: "HEAD" };
    default:
      return { kind: dep.kind, path: display(dep.key) };
  }
}

export function hostResult(target: Target, result: JobResult, display: DisplayPath): HostResult {
  const { outcome } = result;
  const value = outcome.value as EvalValue | undefined;
  const error = outcome.error;
  const flakeOf = (flakeRel: string) => display(flakeRel);
  return {
    name: target.name,
    kind: target.kind,
    attr: target.attr,
    flake: target.flake,
    status: error ? "failed" : result.fromCache ? "cached" : "evaluated",
    drvPath: value?.drvPath,
    outPath: value?.outPath,
    meta: value?.meta && Object.keys(value.meta).length > 0 ? value.meta : undefined,
    durationMs: Math.round(result.durationMs),
    evaluationMs: outcome.durationMs,
    maxRssKb: outcome.maxRssKb,
    fromCache: result.fromCache,
    mode: outcome.mode,
    reason: outcome.exactReason,
    dependencies: result.deps.map((d) => dependencyView(d, display, flakeOf)),
    error: error
      ? {
          code: error.code,
          message: error.message,
          file: error.file,
          line: error.line,
          column: error.column,
          hints: error.hints,
          trace: error.trace,
        }
      : undefined,
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
