/** Exit codes of the CLI contract. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  internal: 70,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface InfraErrorOptions {
  /** Sentences that say what to do about it. */
  hints?: string[];
  cause?: unknown;
}

/**
 * Every error infra reports on purpose. `code` is stable for scripts; `message` says what went
 * wrong and `hints` what to do. The CLI prints these without a stack trace (unless --debug).
 */
export class InfraError extends Error {
  readonly code: string;
  readonly hints: string[];
  readonly exitCode: ExitCodeValue;

  constructor(code: string, message: string, exitCode: ExitCodeValue, options: InfraErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hints = options.hints ?? [];
    this.exitCode = exitCode;
  }
}

/** Bad flags, names or folders: the user can fix the command line. */
export class UsageError extends InfraError {
  constructor(message: string, options?: InfraErrorOptions) {
    super("E_USAGE", message, ExitCode.usage, options);
  }
}

/** infra.json or the repository layout is wrong. */
export class ConfigError extends InfraError {
  constructor(message: string, options?: InfraErrorOptions & { code?: string }) {
    super(options?.code ?? "E_CONFIG", message, ExitCode.usage, options);
  }
}

/** The cache could not be opened or read. */
export class CacheError extends InfraError {
  constructor(message: string, options?: InfraErrorOptions) {
    super("E_CACHE", message, ExitCode.usage, options);
  }
}

/** A tool infra needs (nix, git, strace) is missing or unusable. */
export class EnvironmentError extends InfraError {
  constructor(message: string, options?: InfraErrorOptions) {
    super("E_ENV", message, ExitCode.usage, options);
  }
}

/** A flake does not evaluate, so what was asked of it cannot be answered: exit 1, as a failed evaluation. */
export class FlakeError extends InfraError {
  constructor(message: string, options?: InfraErrorOptions) {
    super("E_FLAKE", message, ExitCode.failed, options);
  }
}

/** The run was cancelled (Ctrl-C, AbortSignal). */
export class InterruptedError extends InfraError {
  constructor(message = "interrupted") {
    super("E_INTERRUPTED", message, ExitCode.interrupted);
  }
}

/** A bug in infra itself. */
export class InternalError extends InfraError {
  constructor(message: string, options?: InfraErrorOptions) {
    super("E_INTERNAL", message, ExitCode.internal, options);
  }
}

export function isInfraError(error: unknown): error is InfraError {
  return error instanceof InfraError;
}
