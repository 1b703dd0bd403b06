// Where things are, whether this runs compiled (dist/bench/*.js) or from source under vitest.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The infra repository: the first folder up from here that holds examples/fleet. */
export function repoRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  while (!existsSync(join(dir, "examples", "fleet", "flake.nix"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no infra repository above ${from}`);
    dir = parent;
  }
  return dir;
}

/** The compiled CLI the benchmarks run, as users do. */
export function cliPath(root = repoRoot()): string {
  return join(root, "dist", "cli", "main.js");
}

export function exampleFleet(root = repoRoot()): string {
  return join(root, "examples", "fleet");
}
