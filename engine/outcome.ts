// Building an evaluation's outcome from a finished nix process. Worker side; pure but for
// reading files the trace names.
import type { Dependency, Snapshot } from "../cache/fingerprint.js";
import type { EvalFailure, EvalOutcome, EvalTask, EvalValue, ListValue } from "./eval-types.js";
import { type RunNixResult, runNix } from "./nix.js";
import { parseNixError } from "./nix-error.js";
import { type PathDep, stripMarkers } from "./trace.js";

export interface NixValue {
  drv: string;
  out: string;
  meta: Record<string, unknown>;
}

export function fromNixValue(value: NixValue): EvalValue {
  return { drvPath: value.drv, outPath: value.out, meta: value.meta ?? {} };
}

export function parseValue(stdout: string): EvalValue | ListValue {
  const value = JSON.parse(stdout) as NixValue | ListValue;
  return "drv" in value ? fromNixValue(value) : value;
}

/** Files whose ctime is this close to the start may have changed while Nix read them. */
export function limitFailure(task: EvalTask, run: RunNixResult): EvalFailure | undefined {
  if (run.ended === "timeout") {
    return {
      code: "E_TIMEOUT",
      message: `evaluation did not finish within ${Math.round(task.limits.timeoutMs / 1000)} s and was stopped`,
      trace: [],
      hints: [
        "Raise the limit with --timeout SECONDS or `limits.timeoutSeconds` in infra.json, or look for a loop in the code.",
      ],
    };
  }
  if (run.ended === "memory") {
    return {
      code: "E_MEMORY",
      message: `evaluation needed more than the ${task.limits.memoryMB} MB memory limit`,
      trace: [],
      hints: ["Raise the limit with --max-memory MB or `limits.memoryMB` in infra.json."],
    };
  }
  if (run.ended === "cancelled")
    return { code: "E_CANCELLED", message: "evaluation was cancelled", trace: [], hints: [] };
  return undefined;
}

export function baseOutcome(run: RunNixResult, mode: EvalOutcome["mode"]): EvalOutcome {
  return {
    deps: [],
    fileStats: [],
    mode,
    cacheable: true,
    durationMs: Math.round(run.durationMs),
    maxRssKb: run.maxRssKb,
    attempts: 1,
  };
}

export function failureFrom(task: EvalTask, stderr: string, mapPath?: (p: string) => string): EvalFailure {
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
  return {
    code: "E_EVAL",
    message: parsed.message,
    file: parsed.position?.file,
    line: parsed.position?.line,
    column: parsed.position?.column,
    trace: parsed.trace,
    hints,
  };
}

export function fingerprintPaths(paths: PathDep[], snapshot: Snapshot): Dependency[] {
  return paths.map((dep) => ({
    kind: dep.kind,
    key: dep.path,
    fp: snapshot.fingerprint({ kind: dep.kind, key: dep.path }),
  }));
}

/**
 * The working-tree loader's run, or the reason its value may differ from `nix eval`'s (an
 * untracked file seen, a working-tree path leaked into a derivation, an impure builtin).
 */

/** Runs one nix command for a task: in the repository, traced, measured, within its limits. */
export function runForTask(
  task: EvalTask,
  argv: string[],
  signal: AbortSignal | undefined,
): Promise<RunNixResult> {
  return runNix({
    argv,
    cwd: task.top,
    limits: task.limits,
    strace: task.nix.strace,
    time: task.nix.time,
    signal,
  });
}
