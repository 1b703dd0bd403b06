// What a worker thread is given and what it gives back: plain data on both sides of the pool.
// Workers never touch the cache: they return fingerprints and stat entries for the main thread
// to write (test/unit/layers.test.ts holds the worker to that).
import type { MessagePort } from "node:worker_threads";
import type { Dependency, Evaluation, FileStat } from "../../cache/records.js";
import type { Limits } from "../nix/process.js";
import type { GitState } from "../repo/git.js";
import type { LockFile } from "../repo/lock.js";

/**
 * Which evaluation: a target's value, the list of a flake's targets, or where a flake's own
 * deploy tools (deploy-rs, colmena) say its targets are (worker/deploy-info.ts).
 */
export interface EvalSpec {
  want: "value" | "list" | "deploy" | "rules";
  /** Flake folder, absolute, and relative to `top` ("" when the flake is at the top). */
  flakeDir: string;
  flakeRel: string;
  /** For "value": attribute path of the derivation, and of the configuration it belongs to. */
  attrPath: string[];
  configPath: string[];
  /** Extra attributes to record, as paths from the configuration. */
  meta: Record<string, string[]>;
}

/** What a worker needs to evaluate one target (or list a flake's targets). */
export interface EvalTask extends EvalSpec {
  /** The repository's top level (git work tree, or the repo folder outside git). */
  top: string;
  git: GitState;
  /**
   * Tracked files as the main thread read them (saves the worker a `git ls-files`), and the
   * git index's ctime taken just before: a later index means the list may be stale.
   */
  tracked?: { files: string[]; indexCtimeNs: string } | undefined;
  /** The flake's lock file as the flake sees it, parsed before the run. */
  lock: LockFile;
  nix: {
    /** `builtins.nixVersion`: flake semantics differ between releases. */
    version: string;
    instantiate: string;
    nix: string | undefined;
    strace: string | undefined;
    time: string | undefined;
  };
  loader: string;
  markerDir: string;
  limits: Limits;
  /** Skip the working-tree loader and evaluate exactly as `nix eval` does. */
  exact?: boolean;
}

/** A worker's answer: the evaluation, what it read, and whether it may be cached. */
export interface WorkerReply {
  evaluation: Evaluation;
  deps: Dependency[];
  /** Stat entries computed here, for the main thread's file table. */
  fileStats: [string, FileStat][];
  /** False when the result must not be cached (limits hit, cancelled, inputs changed meanwhile). */
  cacheable: boolean;
  attempts: number;
}

/** One job over the pool: the task, and a port for "started" (to the main thread) and "cancel". */
export interface WorkerJob {
  task: EvalTask;
  cancel: MessagePort;
}
