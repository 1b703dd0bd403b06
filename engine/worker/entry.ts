// Pool worker (piscina's entry): evaluates one target and returns plain data. Cancellation comes
// over a MessagePort, so the nix process is killed by the code that started it.
import { evaluateDeployInfo } from "./deploy-info.js";
import { evaluateTarget } from "./evaluate.js";
import type { WorkerJob, WorkerReply } from "./protocol.js";

// Load the process runner with the worker, not with its first job: a warmed-up worker is
// ready to start nix the moment a job arrives.
await import("execa");

export default async function runJob({ task, cancel }: WorkerJob): Promise<WorkerReply> {
  const controller = new AbortController();
  cancel.once("message", () => controller.abort());
  // When, in wall-clock milliseconds (threads have their own performance.now() origin).
  cancel.postMessage({ started: performance.timeOrigin + performance.now() });
  try {
    if (task.want === "deploy") return await evaluateDeployInfo(task, controller.signal);
    return await evaluateTarget(task, controller.signal);
  } finally {
    cancel.close();
  }
}
