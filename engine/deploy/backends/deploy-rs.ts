// deploy-rs, for teams that keep it: `deploy --skip-checks --targets .#a .#b` in the flake's
// folder (deploy takes one positional target; several go after --targets), given only the
// targets whose toplevel changed. `--skip-checks`: infra has just evaluated them. Main thread.
import { runCommand } from "../../nix/command.js";
import { tail } from "../build.js";
import type { DeployGoal } from "../types.js";

const IDENT = /^[A-Za-z_][A-Za-z0-9_'-]*$/;
const QUOTABLE = /^[A-Za-z0-9_.@:+-]+$/;

/** deploy-rs's flake fragment for a node (and profile): `.#web1`, `.#"web.example".system`. */
export function deployRsTarget(node: string, profile?: string): string | undefined {
  const part = (name: string) => (IDENT.test(name) ? name : QUOTABLE.test(name) ? `"${name}"` : undefined);
  const n = part(node);
  const p = profile === undefined ? "" : part(profile);
  if (n === undefined || p === undefined) return undefined;
  return `.#${n}${profile === undefined ? "" : `.${p}`}`;
}

/** Flags for a goal; `test` has none (deploy-rs always switches, or sets for the next boot). */
export function deployRsGoalFlags(goal: DeployGoal): string[] | undefined {
  switch (goal) {
    case "switch":
      return [];
    case "boot":
      return ["--boot"];
    case "dry-activate":
      return ["--dry-activate"];
    case "test":
      return undefined;
  }
}

export function deployRsArgv(goal: DeployGoal, targets: string[]): string[] {
  return ["deploy", "--skip-checks", ...(deployRsGoalFlags(goal) ?? []), "--targets", ...targets];
}

export async function runDeployRs(
  flakeDir: string,
  goal: DeployGoal,
  targets: string[],
): Promise<{ ok: boolean; output: string; message: string }> {
  const result = await runCommand({ argv: deployRsArgv(goal, targets), cwd: flakeDir, guarded: false });
  const output = tail(`${result.stdout}\n${result.stderr}`.trim());
  if (result.ended === "not-started")
    return { ok: false, output, message: "deploy-rs is not installed (no deploy on PATH)" };
  return {
    ok: result.exitCode === 0,
    output,
    message: `deploy ${targets.join(" ")} failed (exit ${result.exitCode})`,
  };
}
