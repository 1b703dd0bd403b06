// What every command gets: parsed global options, output streams and a cancellation signal.
import type { Engine, EngineOptions } from "../engine/index.js";
import type { Out } from "./render/terminal.js";

export interface GlobalOptions {
  repo?: string;
  json?: boolean;
  cacheDir?: string;
  debug?: boolean;
}

export interface CliContext {
  options: GlobalOptions;
  stdout: Out;
  stderr: Out;
  signal: AbortSignal;
  /** Where human-readable output goes: stderr when --json owns stdout. */
  human: Out;
}

export async function openEngine(ctx: CliContext, extra: Partial<EngineOptions> = {}): Promise<Engine> {
  const { createEngine } = await import("../engine/index.js");
  return createEngine({
    repo: ctx.options.repo ?? process.cwd(),
    cacheDir: ctx.options.cacheDir,
    signal: ctx.signal,
    ...extra,
  });
}

export function writeJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.json(value, 2);
}

/** Parses a positive number option, or fails with a usage error naming the flag. */
export async function positive(flag: string, value: string | undefined): Promise<number | undefined> {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    const { UsageError } = await import("../errors/index.js");
    throw new UsageError(`${flag} expects a positive number, got '${value}'`);
  }
  return n;
}
