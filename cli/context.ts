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
