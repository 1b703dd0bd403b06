// Pool worker (piscina entry): evaluates one target and returns plain data. Cancellation comes
// over a MessagePort, so the nix process is killed by the code that started it.
import type { MessagePort } from "node:worker_threads";
import type { EvalOutcome, EvalTask } from "./eval-types.js";
import { evaluate } from "./evaluate.js";

// Load the process runner with the worker, not with its first job: a warmed-up worker is
// ready to start nix the moment a job arrives.
await import("execa");

export interface WorkerJob {
  task: EvalTask;
  /** Carries "started" to the main thread, and one message back when the evaluation should stop. */
  cancel: MessagePort;
}

export default async function runJob({ task, cancel }: WorkerJob): Promise<EvalOutcome> {
  const controller = new AbortController();
  cancel.once("message", () => controller.abort());
  cancel.postMessage("started");
  try {
    return await evaluate(task, controller.signal);
  } finally {
    cancel.close();
  }
}
