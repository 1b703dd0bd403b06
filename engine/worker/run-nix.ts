// Runs one nix command for a task: in the repository, traced, measured, within its limits.
import { type RunNixResult, runNix } from "../nix/process.js";
import type { EvalTask } from "./protocol.js";

export function runForTask(
  task: EvalTask,
  argv: string[],
  signal: AbortSignal | undefined,
): Promise<RunNixResult> {
  return runNix({
    argv,
    cwd: task.top,
    limits: task.limits,
    strace: task.nix.strace,
    time: task.nix.time,
    signal,
  });
}
