// One target on its way through a deployment, as the backends see it, and what applying it gave.
// Types and small pure helpers.
import type { Target } from "../fleet/targets.js";
import type { TargetState } from "./remote.js";
import type { DeployError, DeployGoal, DeployStage, TargetAddress } from "./types.js";

export interface TargetRun {
  target: Target;
  address: TargetAddress;
  goal: DeployGoal;
  drvPath: string;
  /** The toplevel to deploy. */
  next: string;
  /** What the target runs and keeps now (asked just before). */
  state: TargetState;
}

export interface ApplyOutcome {
  ok: boolean;
  rolledBack: boolean;
  error: DeployError | null;
  /** What the target runs afterwards, as far as infra knows. */
  running: string | null;
}

export function deployError(
  stage: DeployStage,
  message: string,
  more: { hints?: string[]; output?: string | null } = {},
): DeployError {
  return {
    stage,
    message,
    file: null,
    line: null,
    column: null,
    hints: more.hints ?? [],
    output: more.output === undefined || more.output === "" ? null : more.output,
  };
}

/** What runs after a successful activation of `next` with `goal`. */
export function runningAfter(run: TargetRun): string | null {
  if (run.target.kind === "home") return run.state.running;
  return run.goal === "switch" || run.goal === "test" ? run.next : run.state.running;
}

/** Goals each kind of target can take (NixOS all; home-manager no boot; nix-darwin switch). */
export function goalProblem(kind: Target["kind"], goal: DeployGoal): string | undefined {
  if (kind === "darwin" && goal !== "switch")
    return `nix-darwin targets are activated with --goal switch only (${goal} was asked)`;
  if (kind === "home" && goal === "boot")
    return "home-manager targets have no boot goal (use switch, test or dry-activate)";
  return undefined;
}
