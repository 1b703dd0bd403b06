// Building a target's toplevel from its evaluated derivation (never evaluating again): here with
// `nix-store --realise DRV`, or with `buildOn: "remote"` on the target itself, after copying the
// derivation's closure there (`nix-copy-closure --to`, which copies .drv files and sources, not
// outputs). Main thread.
import { runCommand } from "../nix/command.js";
import type { DeploySession } from "./session.js";
import { destination } from "./ssh.js";
import type { TargetAddress } from "./types.js";

export type BuildResult = { ok: true } | { ok: false; message: string; output: string };

/** The end of a long output: what a failed build said last is what explains it. */
export function tail(text: string, lines = 30): string {
  const all = text.trimEnd().split("\n");
  return (all.length > lines ? ["…", ...all.slice(-lines)] : all).join("\n");
}

/** Realises `drvPath` locally; the toplevel must come out as the evaluation said. */
export async function buildLocal(
  session: DeploySession,
  drvPath: string,
  outPath: string,
): Promise<BuildResult> {
  const result = await runCommand({
    argv: [session.tools.nixStore, "--realise", drvPath],
    cwd: session.cwd,
    signal: session.signal,
  });
  if (result.ended === "cancelled") return { ok: false, message: "interrupted", output: "" };
  if (result.exitCode !== 0)
    return { ok: false, message: `building ${drvPath} failed`, output: tail(result.stderr) };
  const outputs = result.stdout.split("\n").filter(Boolean);
  if (!outputs.includes(outPath))
    return {
      ok: false,
      message: `building ${drvPath} gave ${outputs.join(", ") || "nothing"}, not the evaluated ${outPath}`,
      output: tail(result.stderr),
    };
  return { ok: true };
}

/** Copies the derivation's closure to the target and realises it there. */
export async function buildRemote(
  session: DeploySession,
  address: TargetAddress,
  drvPath: string,
  outPath: string,
): Promise<BuildResult> {
  const copied = await runCommand({
    argv: [session.tools.nixCopyClosure, "--to", destination(address), drvPath],
    cwd: session.cwd,
    env: { NIX_SSHOPTS: await session.nixSshOpts(address) },
    signal: session.signal,
  });
  if (copied.ended === "cancelled") return { ok: false, message: "interrupted", output: "" };
  if (copied.exitCode !== 0)
    return {
      ok: false,
      message: `copying the derivation ${drvPath} to ${destination(address)} failed`,
      output: tail(copied.stderr),
    };
  const built = await session.remote(address, 'exec 2>&1; nix-store --realise "$1"', [drvPath], {
    signal: session.signal,
  });
  if (!built.ran) return { ok: false, message: built.message, output: "" };
  if (built.exitCode !== 0 || !built.stdout.split("\n").includes(outPath))
    return {
      ok: false,
      message: `building ${drvPath} on ${address.host} failed`,
      output: tail(built.stdout),
    };
  return { ok: true };
}
