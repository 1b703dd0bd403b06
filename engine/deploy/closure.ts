// A closure with its sizes from the local store: `nix-store -q --requisites` then
// `nix-store -q --size` (the same legacy queries ASK_SCRIPT runs on the target, which every
// Nix since long before 2.8 answers alike, with no experimental feature). Main thread.
import { runCommand } from "../nix/command.js";
import type { ClosurePath } from "./closure-diff.js";
import type { DeploySession } from "./session.js";

/** Paths per `--size` call: far below the kernel's argument limit. */
const BATCH = 2000;

export async function localClosure(
  session: DeploySession,
  path: string,
): Promise<ClosurePath[] | { error: string }> {
  const run = (args: string[]) =>
    runCommand({ argv: [session.tools.nixStore, "-q", ...args], cwd: session.cwd, signal: session.signal });
  const requisites = await run(["--requisites", path]);
  if (requisites.exitCode !== 0) return { error: requisites.stderr.trim() || "nix-store --query failed" };
  const paths = requisites.stdout.split("\n").filter(Boolean);
  const out: ClosurePath[] = [];
  for (let i = 0; i < paths.length; i += BATCH) {
    const batch = paths.slice(i, i + BATCH);
    const sizes = await run(["--size", ...batch]);
    if (sizes.exitCode !== 0) return { error: sizes.stderr.trim() || "nix-store --query --size failed" };
    const numbers = sizes.stdout.split("\n").filter(Boolean).map(Number);
    if (numbers.length !== batch.length)
      return { error: "nix-store --query --size gave fewer sizes than paths" };
    for (const [j, p] of batch.entries()) out.push({ path: p, size: numbers[j]! });
  }
  return out;
}
