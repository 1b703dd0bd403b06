// Plans a run: looks each job up in the cache (verifying every recorded dependency against the
// workspace), evaluates the misses on the pool, and records what they read. The only writer of
// the cache.
import { setMaxListeners } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Dependency } from "../cache/fingerprint.js";
import { traceId } from "../cache/key.js";
import type { CacheStore, StoredOutcome, StoredTrace } from "../cache/store.js";
import type { EvalOutcome, EvalSpec, EvalTask } from "./eval-types.js";
import type { GitState } from "./git.js";
import type { Limits, NixInfo } from "./nix.js";
import type { EvalPool } from "./pool.js";
import type { Workspace } from "./workspace.js";

/** One evaluation to get done: a target's value, or a flake's list of targets. */
export interface Job extends EvalSpec {
  /** Cache identity. */
  id: string;
  /** Name for people (the target's name, or the flake folder). */
  label: string;
}

export interface JobResult {
  job: Job;
  outcome: StoredOutcome;
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
}

export interface RunOptions {
  noCache?: boolean;
  /** Evaluate as `nix eval` does (a store copy of the tree) instead of from the working tree. */
  exact?: boolean;
  signal?: AbortSignal | undefined;
  /** A signal of the job's own (watch cancels one target when a change reaches it). */
  signalFor?: (job: Job) => AbortSignal | undefined;
  onStart?: (job: Job) => void;
  onResult?: (result: JobResult) => void;
}

function storedOutcome(outcome: EvalOutcome): StoredOutcome {
  return {
    value: outcome.value,
    error: outcome.error,
    mode: outcome.mode,
    exactReason: outcome.exactReason,
    durationMs: outcome.durationMs,
    maxRssKb: outcome.maxRssKb,
  };
}

export class Scheduler {
  constructor(private readonly options: SchedulerOptions) {}

  /** A stored trace whose every dependency still has its recorded fingerprint. */
  async lookup(ws: Workspace, jobId: string): Promise<StoredTrace | undefined> {
    for (const trace of this.options.store.traces(jobId)) {
      if (trace.evaluator !== this.options.evaluator) continue;
      if (trace.deps.some((d) => d.kind === "git")) await ws.gitState();
      if (trace.deps.every((dep) => ws.snapshot.fingerprint(dep) === dep.fp)) return trace;
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
        const hit = options.noCache ? undefined : await this.lookup(ws, job.id);
        if (hit) {
          store.touch(job.id, hit.id, now);
          const result = {
            job,
            outcome: hit.outcome,
            deps: hit.deps,
            fromCache: true,
            durationMs: performance.now() - started,
          };
          results.push(result);
          options.onResult?.(result);
          continue;
        }
        // A miss goes to the pool at once, while the remaining lookups go on.
        setup ??= Promise.all([mkdtemp(join(tmpdir(), "infra-markers-")), ws.gitState()]).then(
          ([markerDir, git]) => ({
            markerDir,
            git,
          }),
        );
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
      lock = ws.lock(job.flakeDir);
    } catch (error) {
      const message = (error as Error).message;
      const outcome: StoredOutcome = {
        error: { code: "E_LOCKFILE", message, trace: [], hints: [] },
        mode: "none",
        durationMs: 0,
      };
      const result = { job, outcome, deps: [], fromCache: false, durationMs: 0 };
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
      nix: { instantiate: nix.instantiate, nix: nix.nix, strace: nix.strace, time: nix.time },
      loader: this.options.loader,
      markerDir,
      limits: this.options.limits,
      exact: options.exact === true,
    };
    const started = performance.now();
    const own = options.signalFor?.(job);
    const signal = own ? AbortSignal.any([own, runSignal]) : runSignal;
    // "Started" is reported when the job reaches a worker: piscina queues the rest.
    const outcome = await this.options.pool.run(task, signal, () => options.onStart?.(job));
    const result = this.record(job, outcome, performance.now() - started);
    options.onResult?.(result);
    return result;
  }

  private record(job: Job, outcome: EvalOutcome, durationMs: number): JobResult {
    const { store, evaluator } = this.options;
    store.putFileStats(outcome.fileStats);
    const stored = storedOutcome(outcome);
    const at = Date.now();
    if (outcome.cacheable) {
      const id = traceId(evaluator, outcome.deps);
      store.putTrace(job.id, {
        id,
        evaluator,
        deps: outcome.deps,
        outcome: stored,
        createdAt: at,
        usedAt: at,
      });
    }
    if (job.mode === "value" && outcome.error?.code !== "E_CANCELLED") {
      store.appendHistory(job.id, {
        at,
        durationMs: outcome.durationMs,
        maxRssKb: outcome.maxRssKb,
        status: outcome.error ? "failed" : "ok",
      });
    }
    return { job, outcome: stored, deps: outcome.deps, fromCache: false, durationMs };
  }
}
