// The shapes of `infra deploy` and `infra plan` (docs/commands/deploy.md and plan.md): what a
// target's deployment settings resolve to, each target's result in the contract's field order,
// and the seam a pre-deployment check (the secrets gate) plugs into. Types only.
import type { TargetKind } from "../fleet/targets.js";
import type { HostResult } from "../run/result.js";

export const DEPLOY_GOALS = ["switch", "boot", "test", "dry-activate"] as const;
/** What the activation does: NixOS's switch-to-configuration goals. */
export type DeployGoal = (typeof DEPLOY_GOALS)[number];

export const DEPLOY_BACKENDS = ["ssh", "nixos-rebuild", "colmena", "deploy-rs"] as const;
/** Who copies and activates: infra itself over ssh, or one of the tools teams already use. */
export type DeployBackend = (typeof DEPLOY_BACKENDS)[number];

/** Where the toplevel is built: here, or on the target from its derivation's closure. */
export type BuildOn = "local" | "remote";

/** Where a target's host came from, in the order they are consulted. */
export type AddressSource = "infra.json" | "deploy-rs" | "colmena" | "name";

/** How to reach one target and what to do there, resolved from every source of settings. */
export interface TargetAddress {
  /** Host name or address as ssh takes it (never starting with `-`). */
  host: string;
  port: number | undefined;
  /** The ssh user; undefined leaves it to ssh (its config, else the local user). */
  user: string | undefined;
  /** Extra ssh arguments (infra.json `sshOptions`, deploy-rs `sshOpts`), passed as they are. */
  sshOptions: string[];
  backend: DeployBackend;
  buildOn: BuildOn;
  /** A pinned host key (`ssh-ed25519 AAAA…`): ssh then accepts only this key. */
  hostKey: string | undefined;
  /** The profile infra sets on the target (`~/` is the ssh user's home). */
  profile: string;
  tags: string[];
  source: AddressSource;
  /** ssh's ConnectTimeout, seconds. */
  connectTimeoutSeconds: number;
}

/** What a deployment is doing, for the live view. */
export type DeployStep = "asking" | "building" | "copying" | "activating" | "rolling back";

/** Where in the pipeline a target stopped. */
export type DeployStage =
  | "evaluate"
  | "address"
  | "goal"
  | "preflight"
  | "connect"
  | "build"
  | "copy"
  | "activate"
  | "backend";

/** Why a target was not deployed: what went wrong, where, and what to do. */
export interface DeployError {
  stage: DeployStage;
  message: string;
  /** For an evaluation failure: where in the user's code (relative to the repo folder). */
  file: string | null;
  line: number | null;
  column: number | null;
  hints: string[];
  /** The failing command's own output (an activation's, a build's), trimmed to its end. */
  output: string | null;
}

export type DeployStatus = "deployed" | "up-to-date" | "failed" | "skipped";

export interface DeployHostResult {
  name: string;
  /** Where it was deployed (`user@host:port` as far as infra.json or the flake say). */
  host: string | null;
  status: DeployStatus;
  /** What the target ran before (null: nothing, or not known). */
  current: string | null;
  /** The toplevel infra deployed (or would have). */
  next: string | null;
  goal: DeployGoal;
  backend: DeployBackend;
  durationMs: number;
  error: DeployError | null;
  /** A failed activation was undone: the profile and the running system are the previous ones. */
  rolledBack: boolean;
}

export interface DeploySummary {
  deployed: number;
  upToDate: number;
  failed: number;
  skipped: number;
  durationMs: number;
}

export interface DeployReport {
  hosts: DeployHostResult[];
  summary: DeploySummary;
}

export type PlanStatus = "new" | "up-to-date" | "changed" | "unreachable" | "skipped";

/** One package whose versions or size differ between the running closure and the next. */
export interface PackageChange {
  name: string;
  /** Versions in the current closure ([] when the package is added; "" for no version). */
  before: string[];
  after: string[];
  /** Bytes (NAR size) after minus before. */
  sizeDelta: number;
}

export interface PlanHostResult {
  name: string;
  host: string | null;
  status: PlanStatus;
  current: string | null;
  next: string | null;
  /** Closure size after minus before, bytes; null when one side is not known. */
  sizeDelta: number | null;
  packages: PackageChange[];
  /** Closure sizes (bytes) of what runs and of what would run. */
  closureSize: { before: number | null; after: number | null };
  error: DeployError | null;
}

export interface PlanReport {
  hosts: PlanHostResult[];
  summary: { new: number; upToDate: number; changed: number; unreachable: number; skipped: number };
}

/** What a pre-deployment check (the secrets gate) sees of a target. */
export interface PreflightTarget {
  name: string;
  kind: TargetKind;
  flake: string;
  attr: string;
  /** Its (valid, successful) evaluation. */
  evaluation: HostResult;
  address: TargetAddress;
  /**
   * The names of every target this deployment selected (`@group`s and tags expanded), for a
   * check that looks at the whole deployment at once.
   */
  selection: readonly string[];
}

/**
 * A check that may refuse a target before anything happens to it (no build, no ssh): the
 * secrets gate plugs in here. `refuse` is the sentence shown as the target's error.
 */
export type Preflight = (target: PreflightTarget) => Promise<{ refuse?: string | undefined }>;

/** The default preflight: every target may go ahead. */
export const allowAll: Preflight = async () => ({});

export interface DeployOptions {
  names?: string[] | undefined;
  goal?: DeployGoal | undefined;
  /** Overrides every target's backend (infra.json `deploy.backend` and per target). */
  backend?: DeployBackend | undefined;
  /** Targets deployed at once (default infra.json `deploy.jobs`, else 4). */
  jobs?: number | undefined;
  /** Bypasses the preflight (`--skip-secrets-check`); a warning names the targets. */
  skipPreflight?: boolean | undefined;
}

export interface PlanOptions {
  names?: string[] | undefined;
  goal?: DeployGoal | undefined;
  jobs?: number | undefined;
}
