// The exact path: `nix eval` itself, on the store copy of the tracked tree it makes. Used where
// the working tree would answer differently (untracked files seen, working-tree paths leaked,
// impure builtins) and for --exact.
import { type Dependency, gitFingerprint, lockNodeFingerprint, type Snapshot } from "../cache/fingerprint.js";
import type { EvalOutcome, EvalTask, ListValue } from "./eval-types.js";
import type { RunNixResult } from "./nix.js";
import { attrPathFragment, nixString, selectExpr } from "./nix-syntax.js";
import {
  baseOutcome,
  failureFrom,
  fingerprintPaths,
  fromNixValue,
  limitFailure,
  type NixValue,
  runForTask,
} from "./outcome.js";
import { classify, type PathDep, parseStrace } from "./trace.js";

export function conservativeDeps(task: EvalTask, snapshot: Snapshot): Dependency[] {
  const deps: Dependency[] = [
    { kind: "tree", key: "", fp: snapshot.fingerprint({ kind: "tree", key: "" }) },
    { kind: "git", key: "", fp: gitFingerprint(task.git) },
  ];
  for (const node of Object.keys(task.lock.nodes).sort()) {
    deps.push({ kind: "input", key: `${task.flakeRel}#${node}`, fp: lockNodeFingerprint(task.lock, node) });
  }
  return deps;
}

const SOURCE_ROOT = /^\/nix\/store\/[0-9a-z]{32}-source/;

/**
 * `nix eval` itself, on the store copy it makes of the tracked tree. Reads below that copy are
 * mapped back to the working tree; the value also depends on the whole tree (the copy's store
 * path) and on HEAD, which we cannot rule out here.
 */
export async function evaluateExact(
  task: EvalTask,
  snapshot: Snapshot,
  signal: AbortSignal | undefined,
): Promise<EvalOutcome> {
  const nix = task.nix.nix ?? "nix";
  const common = [
    "eval",
    "--json",
    "--show-trace",
    "--no-update-lock-file",
    "--option",
    "eval-cache",
    "false",
  ];
  const runs: { run: RunNixResult; missingIsEmpty: boolean; kind?: string }[] = [];
  if (task.mode === "list") {
    for (const kind of ["nixosConfigurations", "darwinConfigurations", "homeConfigurations"]) {
      const argv = [nix, ...common, `${task.flakeDir}#${kind}`, "--apply", "builtins.attrNames"];
      runs.push({
        run: await runForTask(task, argv, signal),
        missingIsEmpty: true,
        kind,
      });
    }
  } else {
    const rest = task.attrPath.slice(task.configPath.length);
    const metaExpr = Object.entries(task.meta)
      .map(([name, path]) => {
        const sel = `${selectExpr("c", path)} or null`;
        return `${nixString(name)} = let r = builtins.tryEval (${sel}); in if r.success then r.value else null;`;
      })
      .join(" ");
    // The fragment names only the configuration set (a plain identifier): flake fragments cannot
    // spell every attribute name, so the rest is selected in --apply with escaped literals.
    const [set, ...configRest] = task.configPath;
    const expr = `s: let c = ${selectExpr("s", configRest)}; t = ${selectExpr("c", rest)}; in { drv = t.drvPath; out = t.outPath; meta = { ${metaExpr} }; }`;
    const argv = [nix, ...common, `${task.flakeDir}#${attrPathFragment([set!])}`, "--apply", expr];
    runs.push({
      run: await runForTask(task, argv, signal),
      missingIsEmpty: false,
    });
  }

  const first = runs[0]!.run;
  const outcome = baseOutcome(first, "exact");
  outcome.durationMs = Math.round(runs.reduce((sum, r) => sum + r.run.durationMs, 0));
  outcome.maxRssKb = Math.max(0, ...runs.map((r) => r.run.maxRssKb ?? 0)) || undefined;
  const paths = new Map<string, PathDep>();
  let mappedRoot: string | undefined;
  const mapPath = (p: string) =>
    mappedRoot && p.startsWith(mappedRoot) ? task.top + p.slice(mappedRoot.length) : p;
  const list: ListValue = { nixosConfigurations: [], darwinConfigurations: [], homeConfigurations: [] };
  for (const { run, missingIsEmpty, kind } of runs) {
    const limit = limitFailure(task, run);
    if (limit) return { ...outcome, error: limit, cacheable: false };
    if (run.trace !== undefined) {
      const accesses = parseStrace(run.trace, { initialCwd: task.top });
      const suffix = task.flakeRel === "" ? "/flake.nix" : `/${task.flakeRel}/flake.nix`;
      const entry = accesses.find((a) => SOURCE_ROOT.test(a.path) && a.path.endsWith(suffix));
      mappedRoot = entry ? SOURCE_ROOT.exec(entry.path)![0] : mappedRoot;
      if (mappedRoot !== undefined) {
        const classified = classify(accesses, { top: task.top, markerDir: task.markerDir, mappedRoot });
        for (const dep of classified.deps) paths.set(`${dep.kind}:${dep.path}`, dep);
      }
    }
    if (run.exitCode === 0) {
      const value = JSON.parse(run.stdout) as unknown;
      if (kind !== undefined) list[kind as keyof ListValue] = value as string[];
      else outcome.value = fromNixValue(value as NixValue);
    } else if (!(missingIsEmpty && /does not provide attribute/.test(run.stderr))) {
      outcome.error = failureFrom(task, run.stderr, mapPath);
      break;
    }
  }
  if (task.mode === "list" && outcome.error === undefined) outcome.value = list;
  outcome.deps = [...fingerprintPaths([...paths.values()], snapshot), ...conservativeDeps(task, snapshot)];
  return outcome;
}
