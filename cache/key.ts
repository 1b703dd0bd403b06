// Cache keys: every input that could change a cached answer, spelled out. Pure.
import { createHash } from "node:crypto";

/** The environment's layout (its folder is `v<SCHEMA_VERSION>`): bump when sub-databases change. */
export const SCHEMA_VERSION = 1;
/**
 * The stored records' shapes and the meaning of fingerprints: part of every evaluator key, so a
 * trace written under other rules is never taken for a hit.
 */
export const RECORD_VERSION = 2;

export function sha256(data: string | Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** A JSON rendering with sorted keys, so equal values hash equally. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The first 32 hex digits of a sha256: short enough for a key, long enough to never collide. */
function shortHash(text: string): string {
  return sha256(text).slice("sha256:".length, "sha256:".length + 32);
}

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
  return shortHash(stableJson({ schema: SCHEMA_VERSION, records: RECORD_VERSION, ...identity }));
}

export interface TargetIdentity {
  /** A target's value, a flake's list of targets, or a flake's deploy conventions. */
  want: "value" | "list" | "deploy" | "rules";
  /** Flake folder relative to the repository top. */
  flakeRel: string;
  attrPath: string[];
  /** Extra attributes recorded with the value. */
  meta: Record<string, string[]>;
}

export function targetKey(identity: TargetIdentity): string {
  return shortHash(stableJson(identity));
}

/** Identity of one trace: the same dependencies with the same fingerprints are the same trace. */
export function traceId(evaluator: string, deps: { kind: string; key: string; fp: string }[]): string {
  return shortHash(`${evaluator}\n${deps.map((d) => `${d.kind}\0${d.key}\0${d.fp}`).join("\n")}`);
}

/** Folder name of one repository's cache below the cache root. */
export function repoCacheName(repoRealPath: string): string {
  const base = repoRealPath.split("/").filter(Boolean).pop() ?? "root";
  const safe = base.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 40);
  return `${safe}-${sha256(repoRealPath).slice(7, 7 + 12)}`;
}
