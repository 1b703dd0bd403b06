// What every command gets: parsed global options, output streams, the folder it runs in, and a
// cancellation signal. The same for a command run in this process and one run by a server.
import { resolve } from "node:path";
import type { Engine, EngineOptions } from "../engine/index.js";
import type { Out } from "./render/terminal.js";

/** Where a command's engine comes from: a server lends its resident one. */
export type EngineProvider = (options: EngineOptions) => Promise<Engine>;

/** What the command line runs with (this process's, or a client's through a server). */
export interface CliIO {
  stdout: Out;
  stderr: Out;
  /** The folder relative paths on the command line are relative to. */
  cwd: string;
  env: Record<string, string | undefined>;
  signal: AbortSignal;
  engines?: EngineProvider | undefined;
}

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
  cwd: string;
  env: Record<string, string | undefined>;
  engines?: EngineProvider | undefined;
  /** The command line itself, for a server that runs its clients' commands. */
  run: (argv: string[], io: CliIO) => Promise<number>;
}

/** A path from the command line, absolute. */
export function pathArg(ctx: CliContext, path: string): string {
  return resolve(ctx.cwd, path);
}

export async function openEngine(ctx: CliContext, extra: Partial<EngineOptions> = {}): Promise<Engine> {
  const options: EngineOptions = {
    repo: pathArg(ctx, ctx.options.repo ?? "."),
    cacheDir:
      ctx.options.cacheDir === undefined || ctx.options.cacheDir === ""
        ? ctx.options.cacheDir
        : pathArg(ctx, ctx.options.cacheDir),
    signal: ctx.signal,
    env: ctx.env,
    ...extra,
  };
  if (ctx.engines) return ctx.engines(options);
  const { createEngine } = await import("../engine/index.js");
  return createEngine(options);
}

/** Shows the engine's warnings (a damaged cache set aside, a read-only cache) on stderr. */
export function printWarnings(ctx: CliContext, engine: Engine): () => void {
  return engine.on((event) => {
    if (event.type === "warning") ctx.stderr.write(`warning: ${event.message}\n`);
  });
}

export function writeJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.json(value, 2);
}

export interface NumberRule {
  /** Whole numbers only. */
  integer?: boolean;
  /** Smallest allowed value (default: anything above 0). */
  min?: number;
  max?: number;
}

/** Parses a number option within its bounds, or fails with a usage error naming the flag. */
export async function numberOption(
  flag: string,
  value: string | undefined,
  rule: NumberRule = {},
): Promise<number | undefined> {
  if (value === undefined) return undefined;
  const n = Number(value);
  const ok =
    value.trim() !== "" &&
    Number.isFinite(n) &&
    (rule.min === undefined ? n > 0 : n >= rule.min) &&
    (rule.max === undefined || n <= rule.max) &&
    (!rule.integer || Number.isInteger(n));
  if (!ok) {
    const { UsageError } = await import("../errors/index.js");
    const what = rule.integer ? "a whole number" : "a number";
    const low = rule.min === undefined ? "above 0" : `of at least ${rule.min}`;
    const high = rule.max === undefined ? "" : ` and at most ${rule.max}`;
    throw new UsageError(`${flag} expects ${what} ${low}${high}, got '${value}'`);
  }
  return n;
}

/** The bounds of the engine's numbers (loaded only when a flag is given). */
async function bounds() {
  return (await import("../engine/index.js")).BOUNDS;
}

export const OPTION_RULES = {
  jobs: async (): Promise<NumberRule> => ({ integer: true, min: 1, max: (await bounds()).jobs }),
  timeout: async (): Promise<NumberRule> => ({ max: (await bounds()).timeoutSeconds }),
  maxMemory: async (): Promise<NumberRule> => ({ integer: true, min: 1, max: (await bounds()).memoryMB }),
  debounce: async (): Promise<NumberRule> => ({ integer: true, min: 0, max: (await bounds()).debounceMs }),
} as const;
