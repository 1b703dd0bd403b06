// Starts the processes a deployment runs (nix-store, nix copy, ssh, the deploy tools): always an
// argv array, never a shell line, in its own process group so a cancellation ends the whole tree.
// Evaluations go through process.ts; this is its sibling for everything that is not one.
import { nixEnv } from "./process.js";
import { guard, release } from "./reaper.js";

export interface CommandOptions {
  /** Program and arguments; the program is looked up on PATH. */
  argv: string[];
  cwd?: string | undefined;
  /** Added to infra's nix environment (NIX_CONFIG, NIX_PATH) and this process's environment. */
  env?: Record<string, string> | undefined;
  /** Ends the process group (SIGTERM, then SIGKILL after two seconds). */
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  /** Each line the process writes, as it writes it (for progress). */
  onStdoutLine?: ((line: string) => void) | undefined;
  onStderrLine?: ((line: string) => void) | undefined;
  /**
   * False: the process may outlive infra (an activation is left to finish rather than cut off
   * half-way when infra is killed). Default true: the reaper ends it with infra.
   */
  guarded?: boolean | undefined;
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  ended: "exited" | "timeout" | "cancelled" | "not-started";
}

function lines(onLine: (line: string) => void): (chunk: Buffer | string) => void {
  let rest = "";
  return (chunk) => {
    const text = rest + String(chunk);
    const parts = text.split("\n");
    rest = parts.pop() ?? "";
    for (const line of parts) onLine(line);
  };
}

export async function runCommand(options: CommandOptions): Promise<CommandResult> {
  const { execa } = await import("execa");
  const started = performance.now();
  let ended: CommandResult["ended"] = "exited";
  const child = execa(options.argv[0]!, options.argv.slice(1), {
    cwd: options.cwd,
    env: { ...nixEnv(), ...options.env },
    extendEnv: true,
    reject: false,
    detached: true,
    stdin: "ignore",
    maxBuffer: 256 * 1024 * 1024,
  });
  const guarded = options.guarded !== false;
  if (guarded && child.pid !== undefined) guard(child.pid);
  if (options.onStdoutLine) child.stdout?.on("data", lines(options.onStdoutLine));
  if (options.onStderrLine) child.stderr?.on("data", lines(options.onStderrLine));
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (why: CommandResult["ended"]) => {
    if (ended === "exited") ended = why;
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
    } catch {}
    killTimer ??= setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {}
    }, 2000);
  };
  const timer =
    options.timeoutMs === undefined ? undefined : setTimeout(() => stop("timeout"), options.timeoutMs);
  const onAbort = () => stop("cancelled");
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  try {
    const result = await child;
    const notFound = (result as { code?: string }).code === "ENOENT";
    return {
      exitCode: result.exitCode ?? (notFound ? 127 : 1),
      stdout: String(result.stdout ?? ""),
      stderr: notFound ? `${options.argv[0]}: command not found` : String(result.stderr ?? ""),
      durationMs: performance.now() - started,
      ended: notFound ? "not-started" : ended,
    };
  } finally {
    if (timer) clearTimeout(timer);
    if (killTimer) clearTimeout(killTimer);
    options.signal?.removeEventListener("abort", onAbort);
    if (guarded && child.pid !== undefined) {
      // Whatever it left running in its group ends with it.
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
      release(child.pid);
    }
  }
}
