// Building a worker's reply from a finished nix process. Worker side; pure.
import {
  type DeclaredSecret,
  type EvalMode,
  type Evaluation,
  type Failure,
  failure,
  type TargetList,
} from "../../cache/records.js";
import { parseNixError } from "../nix/error-text.js";
import { stripMarkers } from "../nix/loader.js";
import type { RunNixResult } from "../nix/process.js";
import type { PathDep } from "../nix/strace.js";
import type { Snapshot } from "../repo/snapshot.js";
import type { EvalTask, WorkerReply } from "./protocol.js";

/** The loader's and `--apply`'s answer for a value (loader.nix `describeTarget`). */
export interface NixValue {
  drv: string;
  out: string;
  meta?: Record<string, unknown>;
  secrets?: DeclaredSecret[];
}

/**
 * Declared secrets' files relative to the repository top: `toString` of a path gives its
 * working-tree path in the loader, and a path in the tree's store copy under `nix eval`
 * (`storeRoot`). Paths elsewhere stay as they are (the check reports them as outside).
 */
export function relativeSecrets(
  secrets: DeclaredSecret[] | undefined,
  top: string,
  storeRoot?: string,
): DeclaredSecret[] | undefined {
  if (!Array.isArray(secrets)) return undefined;
  const relative = (file: string | null) => {
    if (file === null) return null;
    for (const root of [top, storeRoot]) {
      if (root !== undefined && file.startsWith(`${root}/`)) return file.slice(root.length + 1);
    }
    return file;
  };
  return secrets.map((s) => ({ ...s, file: relative(s.file) }));
}

/** Sets a value's derivation (or a listing's targets) on an evaluation. */
export function setValue(
  evaluation: Evaluation,
  value: NixValue | TargetList,
  paths: { top: string; storeRoot?: string | undefined } = { top: "" },
): void {
  if ("drv" in value) {
    evaluation.drvPath = value.drv;
    evaluation.outPath = value.out;
    evaluation.meta = value.meta ?? {};
    const secrets = relativeSecrets(value.secrets, paths.top, paths.storeRoot);
    if (secrets !== undefined && secrets.length > 0) evaluation.secrets = secrets;
  } else evaluation.targets = value;
}

/** agenix rules as the loader gives them: file → its publicKeys. */
export function parseRules(stdout: string): Record<string, string[]> {
  const raw = JSON.parse(stdout) as Record<string, { publicKeys?: unknown }>;
  const rules: Record<string, string[]> = {};
  for (const [file, rule] of Object.entries(raw)) {
    rules[file] = Array.isArray(rule.publicKeys)
      ? rule.publicKeys.filter((k): k is string => typeof k === "string")
      : [];
  }
  return rules;
}

export function parseValue(stdout: string): NixValue | TargetList {
  return JSON.parse(stdout) as NixValue | TargetList;
}

/** The failure a limit or a cancellation stands for, if the run ended that way. */
export function limitFailure(task: EvalTask, run: RunNixResult): Failure | undefined {
  if (run.ended === "timeout") {
    return failure(
      "E_TIMEOUT",
      `evaluation did not finish within ${Math.round(task.limits.timeoutMs / 1000)} s and was stopped`,
      {},
      {
        hints: [
          "Raise the limit with --timeout SECONDS or `limits.timeoutSeconds` in infra.json, or look for a loop in the code.",
        ],
      },
    );
  }
  if (run.ended === "memory") {
    return failure(
      "E_MEMORY",
      `evaluation needed more than the ${task.limits.memoryMB} MB memory limit`,
      {},
      { hints: ["Raise the limit with --max-memory MB or `limits.memoryMB` in infra.json."] },
    );
  }
  if (run.ended === "cancelled") return failure("E_CANCELLED", "evaluation was cancelled");
  return undefined;
}

/** An empty reply for a finished run: no value, no dependencies yet, cacheable. */
export function startReply(run: RunNixResult, mode: EvalMode): WorkerReply {
  return {
    evaluation: {
      drvPath: null,
      outPath: null,
      meta: {},
      error: null,
      mode,
      evaluationMs: Math.round(run.durationMs),
      maxRssKb: run.maxRssKb ?? null,
    },
    deps: [],
    fileStats: [],
    cacheable: true,
    attempts: 1,
  };
}

export function failureFrom(task: EvalTask, stderr: string, mapPath?: (p: string) => string): Failure {
  const parsed = parseNixError(stripMarkers(stderr), { ownFiles: [task.loader], mapPath });
  if (mapPath) {
    // Paths in the store copy mean nothing to the user: name the working-tree file instead.
    const mapText = (text: string) =>
      text.replace(/\/nix\/store\/[0-9a-z]{32}-source(?=[/'" ]|$)/g, (m) => mapPath(m));
    parsed.message = mapText(parsed.message);
    parsed.trace = parsed.trace.map(mapText);
  }
  const hints: string[] = [];
  if (/does not exist|No such file/.test(parsed.message)) {
    hints.push("A git flake only sees tracked files: `git add` the file if it should be part of the flake.");
  }
  return failure("E_EVAL", parsed.message, parsed.position ?? {}, { hints, trace: parsed.trace });
}

export function fingerprintPaths(paths: PathDep[], snapshot: Snapshot) {
  return paths.map((dep) => ({
    kind: dep.kind,
    key: dep.path,
    fp: snapshot.fingerprint({ kind: dep.kind, key: dep.path }),
  }));
}
