// The evaluation pool: piscina worker threads (engine/worker/), each driving one nix process at a
// time. Main thread.
import { MessageChannel } from "node:worker_threads";
import type { Piscina } from "piscina";
import type { EvalTask, WorkerJob, WorkerReply } from "../worker/protocol.js";

export class EvalPool {
  private pool: Promise<Piscina> | undefined;
  /**
   * `warm`: start every worker now and keep it (a resident server answers its first evaluation
   * as fast as its hundredth); otherwise workers start on first use and end when idle.
   */
  constructor(
    private readonly jobs: number,
    private readonly options: { warm?: boolean } = {},
  ) {
    if (options.warm) void this.piscina();
  }

  /** Workers (and piscina itself) load on first use: a fully cached run never pays for them. */
  private piscina(): Promise<Piscina> {
    this.pool ??= import("piscina").then(
      ({ Piscina }) =>
        new Piscina({
          filename: new URL("../worker/entry.js", import.meta.url).href,
          maxThreads: this.jobs,
          minThreads: this.options.warm ? this.jobs : 0,
          idleTimeout: this.options.warm ? Number.POSITIVE_INFINITY : 30_000,
          // Each job's memory is bounded by the nix process's own limit; the worker itself is small.
          resourceLimits: { maxOldGenerationSizeMb: 512 },
        }),
    );
    return this.pool;
  }

  /** `onStart` gets the wall-clock time (ms) at which a worker took the task. */
  async run(task: EvalTask, signal?: AbortSignal, onStart?: (at: number) => void): Promise<WorkerReply> {
    const { port1, port2 } = new MessageChannel();
    port1.on("message", (message) => {
      if (typeof message?.started === "number") onStart?.(message.started);
    });
    const onAbort = () => port1.postMessage("cancel");
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) onAbort();
    try {
      const job: WorkerJob = { task, cancel: port2 };
      const pool = await this.piscina();
      return (await pool.run(job, { transferList: [port2] })) as WorkerReply;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      port1.close();
    }
  }

  async destroy(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool) await (await pool).destroy();
  }
}
