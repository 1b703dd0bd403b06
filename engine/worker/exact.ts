// The exact path: `nix eval` itself, on the store copy of the tracked tree it makes. Used where
// the working tree would answer differently (untracked files seen, working-tree paths leaked,
// impure builtins) and for --exact.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Dependency, TargetList } from "../../cache/records.js";
import type { RunNixResult } from "../nix/process.js";
import { classify, type PathDep, parseStrace } from "../nix/strace.js";
import { attrPathFragment, nixString, selectExpr } from "../nix/syntax.js";
import { inputKey, lockNodeFingerprint, lockPathOf } from "../repo/lock.js";
import { gitFingerprint, type Snapshot } from "../repo/snapshot.js";
import {
  failureFrom,
  fingerprintPaths,
  limitFailure,
  type NixValue,
  setValue,
  startReply,
} from "./outcome.js";
import type { EvalTask, WorkerReply } from "./protocol.js";
import { runForTask } from "./run-nix.js";

/**
 * What a value depends on when infra cannot rule anything out: every tracked file, HEAD, and
 * every input of the flake's lock file. Correct, never minimal.
 */
export function conservativeDeps(task: EvalTask, snapshot: Snapshot): Dependency[] {
  const deps: Dependency[] = [
    { kind: "tree", key: "", fp: snapshot.fingerprint({ kind: "tree", key: "" }) },
    { kind: "git", key: "", fp: gitFingerprint(task.git) },
  ];
  const lockPath = lockPathOf(task.flakeRel);
  for (const node of Object.keys(task.lock.nodes).sort()) {
    deps.push({ kind: "input", key: inputKey(lockPath, node), fp: lockNodeFingerprint(task.lock, node) });
  }
  return deps;
}

/** Why a target is evaluated exactly when its lock file predates Nix 2.26's relative inputs. */
export const STALE_RELATIVE_LOCK =
  "flake.lock locks relative path inputs as Nix < 2.26 did, which this Nix rewrites before evaluating";

/**
 * Relative `path:` inputs locked the way Nix < 2.26 did (no `parent`): Nix >= 2.26 re-locks them
 * on every `nix eval` (and writes the lock file back), so only `nix eval` itself gives its answer.
 */
export function staleRelativeInputs(task: EvalTask): string[] {
  const [major = 0, minor = 0] = task.nix.version.split(".").map((n) => Number.parseInt(n, 10));
  if (major < 2 || (major === 2 && minor < 26)) return [];
  return Object.entries(task.lock.nodes)
    .filter(([key, node]) => {
      const locked = node.locked as Record<string, unknown> | undefined;
      return (
        key !== task.lock.root &&
        locked?.type === "path" &&
        typeof locked.path === "string" &&
        !locked.path.startsWith("/") &&
        !("parent" in node)
      );
    })
    .map(([key]) => key)
    .sort();
}

/** engine/nix/secrets.nix, inlined: a pure `nix eval` cannot import a file outside the flake. */
const secretsSource = new Map<string, string>();
function secretsExpr(loader: string): string {
  let text = secretsSource.get(loader);
  if (text === undefined) {
    text = readFileSync(join(dirname(loader), "secrets.nix"), "utf8");
    secretsSource.set(loader, text);
  }
  return text;
}

const SOURCE_ROOT = /^\/nix\/store\/[0-9a-z]{32}-source/;
const KINDS: (keyof TargetList)[] = ["nixosConfigurations", "darwinConfigurations", "homeConfigurations"];

/**
 * `nix eval` itself, on the store copy it makes of the tracked tree. Reads below that copy are
 * mapped back to the working tree; the value also depends on the whole tree (the copy's store
 * path) and on HEAD, which we cannot rule out here.
 */
export async function evaluateExact(
  task: EvalTask,
  snapshot: Snapshot,
  signal: AbortSignal | undefined,
): Promise<WorkerReply> {
  const nix = task.nix.nix ?? "nix";
  const common = [
    "eval",
    "--json",
    "--show-trace",
    // Never write the user's lock file. A lock Nix must rewrite (see staleRelativeInputs) is
    // re-locked in memory, as `nix eval` would before writing it; any other change is refused.
    staleRelativeInputs(task).length > 0 ? "--no-write-lock-file" : "--no-update-lock-file",
    "--option",
    "eval-cache",
    "false",
  ];
  const runs: { run: RunNixResult; kind?: keyof TargetList }[] = [];
  if (task.want === "list") {
    for (const kind of KINDS) {
      const argv = [nix, ...common, `${task.flakeDir}#${kind}`, "--apply", "builtins.attrNames"];
      runs.push({ run: await runForTask(task, argv, signal), kind });
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
    const expr = `s: let c = ${selectExpr("s", configRest)}; t = ${selectExpr("c", rest)}; in { drv = t.drvPath; out = t.outPath; meta = { ${metaExpr} }; secrets = (${secretsExpr(task.loader)}) c; }`;
    const argv = [nix, ...common, `${task.flakeDir}#${attrPathFragment([set!])}`, "--apply", expr];
    runs.push({ run: await runForTask(task, argv, signal) });
  }

  const reply = startReply(runs[0]!.run, "exact");
  const { evaluation } = reply;
  evaluation.evaluationMs = Math.round(runs.reduce((sum, r) => sum + r.run.durationMs, 0));
  evaluation.maxRssKb = Math.max(0, ...runs.map((r) => r.run.maxRssKb ?? 0)) || null;
  const paths = new Map<string, PathDep>();
  let mappedRoot: string | undefined;
  const mapPath = (p: string) =>
    mappedRoot && p.startsWith(mappedRoot) ? task.top + p.slice(mappedRoot.length) : p;
  const list: TargetList = { nixosConfigurations: [], darwinConfigurations: [], homeConfigurations: [] };
  for (const { run, kind } of runs) {
    const limit = limitFailure(task, run);
    if (limit) {
      evaluation.error = limit;
      return { ...reply, cacheable: false };
    }
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
      if (kind !== undefined) list[kind] = value as string[];
      else setValue(evaluation, value as NixValue, { top: task.top, storeRoot: mappedRoot });
    } else if (!(kind !== undefined && /does not provide attribute/.test(run.stderr))) {
      // A listing treats a missing configuration set as empty; anything else is the answer.
      evaluation.error = failureFrom(task, run.stderr, mapPath);
      break;
    }
  }
  if (task.want === "list" && evaluation.error === null) evaluation.targets = list;
  reply.deps = [...fingerprintPaths([...paths.values()], snapshot), ...conservativeDeps(task, snapshot)];
  return reply;
}
