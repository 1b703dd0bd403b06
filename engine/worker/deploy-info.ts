// Where a flake's own deploy tools say its targets are: deploy-rs's `deploy` and colmena's hive
// (`colmenaHive`, else `colmena`), read with `nix eval` exactly as those tools see the flake.
// Runs inside a pool worker: plain data in and out, never the cache.
//
// The value is recorded with conservative dependencies (every tracked file, HEAD, every locked
// input): the tree's store copy is what `nix eval` reads, and these settings are small and cheap
// to read again, so precision is not worth a trace. The fingerprints are taken before Nix runs,
// so an edit made while it runs makes the next lookup miss instead of hiding behind a new hash.
import type { DeployConventions } from "../../cache/records.js";
import { attrPathFragment } from "../nix/syntax.js";
import { FileHasher, MemoryFileStatTable } from "../repo/file-hasher.js";
import { trackedFiles } from "../repo/git.js";
import { gitFingerprint, Snapshot } from "../repo/snapshot.js";
import { buildTrackedTree } from "../repo/tracked.js";
import { conservativeDeps } from "./exact.js";
import { failureFrom, limitFailure, startReply } from "./outcome.js";
import type { EvalTask, WorkerReply } from "./protocol.js";
import { runForTask } from "./run-nix.js";

// Every setting is read with `or null` and type-checked, and only the settings infra uses are
// touched: a profile's `path` (the activation derivation) is never forced.
const HELPERS = `
  t = v: let r = builtins.tryEval v; in if r.success then r.value else null;
  str = v: let x = t v; in if builtins.isString x then x else null;
  int = v: let x = t v; in if builtins.isInt x then x else null;
  strs = v: let x = t v; in if builtins.isList x then builtins.filter builtins.isString x else null;
  set = v: let x = t v; in if builtins.isAttrs x then x else {};
`;

/** deploy-rs: `deploy.{sshUser,user,sshOpts}` and per node its host, users, options and profiles. */
export const DEPLOY_RS_APPLY = `d: let ${HELPERS}
  node = n: {
    hostname = str (n.hostname or null);
    sshUser = str (n.sshUser or null);
    user = str (n.user or null);
    sshOpts = strs (n.sshOpts or null);
    profiles = builtins.mapAttrs (_: p: {
      user = str (p.user or null);
      sshUser = str (p.sshUser or null);
      profilePath = str (p.profilePath or null);
    }) (set (n.profiles or null));
  };
in {
  sshUser = str (d.sshUser or null);
  user = str (d.user or null);
  sshOpts = strs (d.sshOpts or null);
  nodes = builtins.mapAttrs (_: n: node (set n)) (set (d.nodes or null));
}`;

const COLMENA_NODE = `dep: {
    targetHost = str (dep.targetHost or null);
    targetUser = str (dep.targetUser or null);
    targetPort = int (dep.targetPort or null);
    tags = let x = strs (dep.tags or null); in if x == null then [] else x;
  }`;

/** colmena's evaluated hive: `deploymentConfig.<node>` is each node's `config.deployment`. */
export const COLMENA_HIVE_APPLY = `h: let ${HELPERS}
  node = ${COLMENA_NODE};
in builtins.mapAttrs (_: c: node (set c)) (set (h.deploymentConfig or null))`;

/**
 * A plain colmena hive: nodes are modules; only those written as attribute sets can be read
 * without nixpkgs (a node that is a function keeps colmena's default, its own name as host).
 */
export const COLMENA_PLAIN_APPLY = `hive: let ${HELPERS}
  node = ${COLMENA_NODE};
  deployment = m: if builtins.isAttrs (t m) then set (m.deployment or null) else {};
  defaults = deployment (hive.defaults or null);
in builtins.mapAttrs (_: m: node (defaults // deployment m))
  (removeAttrs (set hive) [ "meta" "defaults" "network" ])`;

const ATTRS = [
  { attr: "deploy", apply: DEPLOY_RS_APPLY },
  { attr: "colmenaHive", apply: COLMENA_HIVE_APPLY },
  { attr: "colmena", apply: COLMENA_PLAIN_APPLY },
] as const;

/** The flake's tracked files as the main thread listed them, else from git. */
async function snapshotOf(task: EvalTask): Promise<Snapshot> {
  let tracked: ReturnType<typeof buildTrackedTree> | undefined;
  if (task.git.isRepo) tracked = buildTrackedTree(task.tracked?.files ?? (await trackedFiles(task.top)));
  return new Snapshot({
    top: task.top,
    tracked,
    hasher: new FileHasher(new MemoryFileStatTable()),
    git: gitFingerprint(task.git),
  });
}

export async function evaluateDeployInfo(task: EvalTask, signal?: AbortSignal): Promise<WorkerReply> {
  const snapshot = await snapshotOf(task);
  const deps = conservativeDeps(task, snapshot);
  // Untraced: the dependencies are conservative anyway, so strace's cost buys nothing here.
  const untraced: EvalTask = { ...task, nix: { ...task.nix, strace: undefined } };
  const nix = task.nix.nix ?? "nix";
  const found: DeployConventions = { deployRs: null, colmena: null };
  let reply: WorkerReply | undefined;
  let durationMs = 0;
  for (const { attr, apply } of ATTRS) {
    // A flake with colmenaHive is read from it; its plain `colmena` is the hive's input.
    if (attr === "colmena" && found.colmena !== null) continue;
    const argv = [
      nix,
      "eval",
      "--json",
      "--show-trace",
      "--no-update-lock-file",
      "--option",
      "eval-cache",
      "false",
      `${task.flakeDir}#${attrPathFragment([attr])}`,
      "--apply",
      apply,
    ];
    const run = await runForTask(untraced, argv, signal);
    durationMs += run.durationMs;
    reply ??= startReply(run, "untraced");
    const limit = limitFailure(task, run);
    if (limit) {
      reply.evaluation.error = limit;
      return { ...reply, cacheable: false };
    }
    if (run.exitCode === 0) {
      const value = JSON.parse(run.stdout) as unknown;
      if (attr === "deploy") found.deployRs = value as DeployConventions["deployRs"];
      else found.colmena = value as DeployConventions["colmena"];
    } else if (!/does not provide attribute/.test(run.stderr)) {
      reply.evaluation.error = failureFrom(task, run.stderr);
      break;
    }
  }
  const result = reply!;
  result.evaluation.evaluationMs = Math.round(durationMs);
  if (result.evaluation.error === null) result.evaluation.deploy = found;
  result.deps = deps;
  result.fileStats = [...snapshot.hasher.fresh];
  return result;
}
