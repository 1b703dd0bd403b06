// Plans a run: looks each job up in the cache (verifying every recorded dependency against the
// workspace, engine/invalidation.ts firstStale), evaluates the misses on the pool, and records
// what they read. The only writer of the cache.
import { setMaxListeners } from "node:events";
import { rm } from "node:fs/promises";
import { traceId } from "../../cache/key.js";
import {
  type Dependency,
  type Evaluation,
  failure,
  isCancelled,
  type StoredTrace,
} from "../../cache/records.js";
import type { CacheStore } from "../../cache/store.js";
import { type Change, firstStale } from "../invalidation.js";
import type { NixInfo } from "../nix/detect.js";
import type { Limits } from "../nix/process.js";
import { tempDir } from "../nix/reaper.js";
import type { GitState } from "../repo/git.js";
import { EMPTY_LOCK } from "../repo/lock.js";
import type { Workspace } from "../repo/workspace.js";
import type { EvalTask, WorkerReply } from "../worker/protocol.js";
import type { Job } from "./job.js";
import type { EvalPool } from "./pool.js";

export interface JobResult {
  job: Job;
  evaluation: Evaluation;
  deps: Dependency[];
  fromCache: boolean;
  /** Wall time this run spent on the job (lookup only, when cached). */
  durationMs: number;
}

export interface SchedulerOptions {
  store: CacheStore;
  pool: EvalPool;
  evaluator: string;
  nix: NixInfo;
  loader: string;
  limits: Limits;
  /** At most this many evaluations at once (the pool may be larger, when shared). */
  maxParallel?: number | undefined;
}

export interface RunOptions {
  noCache?: boolean | undefined;
  /** Evaluate as `nix eval` does (a store copy of the tree) instead of from the working tree. */
  exact?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /** A signal of the job's own (watch cancels one target when a change reaches it). */
  signalFor?: ((job: Job) => AbortSignal | undefined) | undefined;
  /** Changes a watcher saw since the last round: verification checks what they reach first. */
  hints?: readonly Change[] | undefined;
  onStart?: ((job: Job) => void) | undefined;
  onResult?: ((result: JobResult) => void) | undefined;
}

export class Scheduler {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly options: SchedulerOptions) {}

  /** Waits for one of the `maxParallel` slots. */
  private async slot(): Promise<() => void> {
    const max = this.options.maxParallel ?? Number.POSITIVE_INFINITY;
    if (this.running >= max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    return () => {
      this.running--;
      this.waiting.shift()?.();
    };
  }

  /** A stored trace whose every dependency still has its recorded fingerprint. */
  async lookup(ws: Workspace, jobId: string, hints?: readonly Change[]): Promise<StoredTrace | undefined> {
    for (const trace of this.options.store.traces(jobId)) {
      if (trace.evaluator !== this.options.evaluator) continue;
      if (trace.deps.some((d) => d.kind === "git")) await ws.gitState();
      if (firstStale(trace.deps, (dep) => ws.snapshot.fingerprint(dep), hints) === undefined) return trace;
    }
    return undefined;
  }

  async run(ws: Workspace, jobs: Job[], options: RunOptions = {}): Promise<JobResult[]> {
    const { store } = this.options;
    const now = Date.now();
    // One signal for the run: every queued evaluation listens to it (and only to it).
    const run = new AbortController();
    setMaxListeners(0, run.signal);
    const stop = () => run.abort();
    options.signal?.addEventListener("abort", stop, { once: true });
    if (options.signal?.aborted) stop();
    let setup: Promise<{ markerDir: string; git: GitState }> | undefined;
    const evaluations: Promise<JobResult>[] = [];
    const results: JobResult[] = [];
    try {
      for (const job of jobs) {
        const started = performance.now();
        const hit = options.noCache ? undefined : await this.lookup(ws, job.id, options.hints);
        if (hit) {
          store.touch(job.id, hit.id, now);
          const result = {
            job,
            evaluation: hit.evaluation,
            deps: hit.deps,
            fromCache: true,
            durationMs: performance.now() - started,
          };
          results.push(result);
          options.onResult?.(result);
          continue;
        }
        // A miss goes to the pool at once, while the remaining lookups go on.
        setup ??= Promise.all([tempDir("markers"), ws.gitState()]).then(([markerDir, git]) => ({
          markerDir,
          git,
        }));
        evaluations.push(this.evaluateJob(ws, job, await setup, run.signal, options));
      }
      store.putFileStats(ws.snapshot.hasher.fresh);
      // Written: the next run on this workspace (discovery, then targets) need not repeat them.
      ws.snapshot.hasher.fresh.clear();
      results.push(...(await Promise.all(evaluations)));
    } catch (error) {
      // Nothing may outlive the run: stop what was dispatched before a lookup failed.
      run.abort();
      await Promise.allSettled(evaluations);
      throw error;
    } finally {
      options.signal?.removeEventListener("abort", stop);
      if (setup) await rm((await setup).markerDir, { recursive: true, force: true });
    }
    return results;
  }

  private async evaluateJob(
    ws: Workspace,
    job: Job,
    { markerDir, git }: { markerDir: string; git: GitState },
    runSignal: AbortSignal,
    options: RunOptions,
  ): Promise<JobResult> {
    let lock: EvalTask["lock"];
    try {
      // agenix's rules are a plain Nix file, not part of a flake: no lock file applies.
      lock = job.want === "rules" ? EMPTY_LOCK : ws.lock(job.flakeDir);
    } catch (error) {
      // Nix never ran: a lock file it would refuse fails every job of the flake, uncached.
      const result: JobResult = {
        job,
        evaluation: {
          drvPath: null,
          outPath: null,
          meta: {},
          error: failure(
            "E_LOCKFILE",
            (error as Error).message,
            {},
            { hints: (error as { hints?: string[] }).hints ?? [] },
          ),
          mode: "none",
          evaluationMs: 0,
          maxRssKb: null,
        },
        deps: [],
        fromCache: false,
        durationMs: 0,
      };
      options.onResult?.(result);
      return result;
    }
    const { nix } = this.options;
    const { id: _id, label: _label, ...spec } = job;
    const task: EvalTask = {
      ...spec,
      top: ws.top,
      git,
      lock,
      tracked: ws.trackedFiles(),
      nix: {
        version: nix.version,
        instantiate: nix.instantiate,
        nix: nix.nix,
        strace: nix.strace,
        time: nix.time,
      },
      loader: this.options.loader,
      markerDir,
      limits: this.options.limits,
      exact: options.exact === true,
    };
    const own = options.signalFor?.(job);
    const signal = own ? AbortSignal.any([own, runSignal]) : runSignal;
    const done = await this.slot();
    // The target's time starts when a worker takes it: waiting in the queue is not its cost.
    const now = () => performance.timeOrigin + performance.now();
    let started = now();
    let reply: WorkerReply;
    try {
      reply = await this.options.pool.run(task, signal, (at) => {
        started = at;
        options.onStart?.(job);
      });
    } finally {
      done();
    }
    const result = this.record(job, reply, now() - started);
    options.onResult?.(result);
    return result;
  }

  private record(job: Job, reply: WorkerReply, durationMs: number): JobResult {
    const { store, evaluator } = this.options;
    const { evaluation, deps } = reply;
    store.putFileStats(reply.fileStats);
    const at = Date.now();
    if (reply.cacheable) {
      const id = traceId(evaluator, deps);
      store.putTrace(job.id, { id, evaluator, deps, evaluation, createdAt: at, usedAt: at });
    }
    if (job.want === "value" && !isCancelled(evaluation.error)) {
      store.appendHistory(job.id, {
        at,
        durationMs: evaluation.evaluationMs,
        maxRssKb: evaluation.maxRssKb,
        status: evaluation.error ? "failed" : "ok",
      });
    }
    return { job, evaluation, deps, fromCache: false, durationMs };
  }
}
