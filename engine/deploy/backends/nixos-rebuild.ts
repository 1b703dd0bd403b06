// nixos-rebuild (nixos-rebuild-ng): `nixos-rebuild GOAL --store-path P --target-host user@host`
// takes the toplevel infra built and copies, sets the profile and activates it, without
// evaluating anything (`--store-path` skips evaluation and build; `--no-reexec` keeps it from
// building a newer nixos-rebuild out of the configuration first). Main thread.
import { runCommand } from "../../nix/command.js";
import { tail } from "../build.js";
import type { DeploySession } from "../session.js";
import { destination } from "../ssh.js";
import { type ApplyOutcome, deployError, runningAfter, type TargetRun } from "../target-run.js";
import type { DeployGoal, TargetAddress } from "../types.js";

export function nixosRebuildArgv(goal: DeployGoal, storePath: string, address: TargetAddress): string[] {
  const argv = [
    "nixos-rebuild",
    goal,
    "--store-path",
    storePath,
    "--target-host",
    destination(address),
    "--no-reexec",
  ];
  // Activation needs root: a user other than root goes through sudo on the target.
  if (address.user !== undefined && address.user !== "root") argv.push("--sudo");
  return argv;
}

export async function applyNixosRebuild(session: DeploySession, run: TargetRun): Promise<ApplyOutcome> {
  session.step(run.target.name, "activating");
  const result = await runCommand({
    argv: nixosRebuildArgv(run.goal, run.next, run.address),
    cwd: session.cwd,
    env: { NIX_SSHOPTS: await session.nixSshOpts(run.address) },
    guarded: false,
  });
  if (result.exitCode === 0) return { ok: true, rolledBack: false, running: runningAfter(run), error: null };
  const message =
    result.ended === "not-started"
      ? "nixos-rebuild is not installed (no nixos-rebuild on PATH)"
      : `nixos-rebuild ${run.goal} failed (exit ${result.exitCode})`;
  return {
    ok: false,
    rolledBack: false,
    running: null,
    error: deployError("backend", message, { output: tail(`${result.stdout}\n${result.stderr}`.trim()) }),
  };
}
