// colmena, for teams that keep it: `colmena apply GOAL --on a,b` in the flake's folder, given only
// the targets whose toplevel changed (colmena evaluates and builds them again itself). Main thread.
import { runCommand } from "../../nix/command.js";
import { tail } from "../build.js";
import type { DeployGoal } from "../types.js";

/** Names colmena's `--on` takes literally: no list separator, no `@tag`, no glob. */
const NODE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export function colmenaProblem(node: string): string | undefined {
  return NODE.test(node)
    ? undefined
    : `colmena's --on would not read '${node}' as one node name (it takes ',' lists, @tags and globs)`;
}

export function colmenaArgv(goal: DeployGoal, nodes: string[]): string[] {
  return ["colmena", "apply", goal, "--on", nodes.join(",")];
}

export async function runColmena(
  flakeDir: string,
  goal: DeployGoal,
  nodes: string[],
): Promise<{ ok: boolean; output: string; message: string }> {
  const result = await runCommand({ argv: colmenaArgv(goal, nodes), cwd: flakeDir, guarded: false });
  const output = tail(`${result.stdout}\n${result.stderr}`.trim());
  if (result.ended === "not-started")
    return { ok: false, output, message: "colmena is not installed (no colmena on PATH)" };
  return {
    ok: result.exitCode === 0,
    output,
    message: `colmena apply ${goal} failed (exit ${result.exitCode})`,
  };
}
