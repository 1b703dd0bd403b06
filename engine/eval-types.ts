// What a worker is given and what it gives back: plain data on both sides of the pool.
import type { FileStat } from "../cache/file-hashes.js";
import type { Dependency, LockFile } from "../cache/fingerprint.js";
import type { EvalFailure } from "../cache/store.js";
import type { GitState } from "./git.js";
import type { Limits } from "./nix.js";

/** Which evaluation: a target's value, or the list of a flake's targets. */
export interface EvalSpec {
  mode: "value" | "list";
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
  nix: { instantiate: string; nix: string | undefined; strace: string | undefined; time: string | undefined };
  loader: string;
  markerDir: string;
  limits: Limits;
  /** Skip the working-tree loader and evaluate exactly as `nix eval` does. */
  exact?: boolean;
}

export interface EvalValue {
  drvPath: string;
  outPath: string;
  meta: Record<string, unknown>;
}

export interface ListValue {
  nixosConfigurations: string[];
  darwinConfigurations: string[];
  homeConfigurations: string[];
}

export type { EvalFailure } from "../cache/store.js";

export interface EvalOutcome {
  value?: EvalValue | ListValue | undefined;
  error?: EvalFailure | undefined;
  deps: Dependency[];
  /** Stat entries computed here, for the main thread's file table. */
  fileStats: [string, FileStat][];
  /** traced: working-tree loader under strace; exact: `nix eval` on a store copy; untraced: no strace. */
  mode: "traced" | "exact" | "untraced";
  /** Why the working-tree evaluation was not used. */
  exactReason?: string | undefined;
  /** False when the result must not be cached (limits hit, cancelled, inputs changed meanwhile). */
  cacheable: boolean;
  durationMs: number;
  maxRssKb?: number | undefined;
  attempts: number;
}

/** The loader's and `--apply`'s answer for a value (see loader.nix for the field names). */
