// Cache keys: every input that could change a cached answer, spelled out. Pure.
import { sha256 } from "./file-hashes.js";
import { stableJson } from "./fingerprint.js";

/** Bump when the stored shapes or the meaning of a fingerprint change. */
export const SCHEMA_VERSION = 1;

export interface EvaluatorIdentity {
  /** `builtins.nixVersion`: another Nix may evaluate the same code differently. */
  nixVersion: string;
  /** `builtins.currentSystem`: derivations are per system. */
  system: string;
  /** Hash of loader.nix: the loader defines what `self` and the inputs look like. */
  loaderHash: string;
  /** infra's own version: a fixed bug in tracing must not be hidden by old traces. */
  infraVersion: string;
  /** Evaluation options that can change a value (restrict-eval, the tracing mode). */
  options: string[];
}

export function evaluatorKey(identity: EvaluatorIdentity): string {
  return sha256(stableJson({ schema: SCHEMA_VERSION, ...identity })).slice(
    "sha256:".length,
    "sha256:".length + 32,
  );
}

export interface TargetIdentity {
  mode: "value" | "list";
  /** Flake folder relative to the repository top. */
  flakeRel: string;
  attrPath: string[];
  /** Extra attributes recorded with the value. */
  meta: Record<string, string[]>;
}

export function targetKey(identity: TargetIdentity): string {
  return sha256(stableJson(identity)).slice("sha256:".length, "sha256:".length + 32);
}

/** Identity of one trace: the same dependencies with the same fingerprints are the same trace. */
export function traceId(evaluator: string, deps: { kind: string; key: string; fp: string }[]): string {
  return sha256(`${evaluator}\n${deps.map((d) => `${d.kind}\0${d.key}\0${d.fp}`).join("\n")}`).slice(
    7,
    7 + 32,
  );
}

/** Folder name of one repository's cache below the cache root. */
export function repoCacheName(repoRealPath: string): string {
  const base = repoRealPath.split("/").filter(Boolean).pop() ?? "root";
  const safe = base.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 40);
  return `${safe}-${sha256(repoRealPath).slice(7, 7 + 12)}`;
}
