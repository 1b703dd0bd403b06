// The composition root: createEngine opens one repository's cache, finds Nix, and wires the
// scheduler, pool and capabilities together. The CLI and the tests call the functions it returns;
// it never reads process.argv, never prints and never exits.
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, resolve } from "node:path";
import { evaluatorKey, sha256 } from "../cache/key.js";
import { defaultCacheRoot, repoCacheDir } from "../cache/location.js";
import { openLmdbStore } from "../cache/open.js";
import type { CacheStats } from "../cache/records.js";
import type { CacheStore } from "../cache/store.js";
import { InterruptedError, UsageError } from "../errors/index.js";
import type { GraphInput } from "../graph/types.js";
import pkg from "../package.json" with { type: "json" };
import { type AffectedOptions, type AffectedReport, graphData, runAffected } from "./affected.js";
import { type CiOptions, type CiReport, runCi } from "./ci.js";
import { runDeploy } from "./deploy/deploy.js";
import { runPlan } from "./deploy/plan.js";
import {
  allowAll,
  type DeployOptions,
  type DeployReport,
  type PlanOptions,
  type PlanReport,
  type Preflight,
} from "./deploy/types.js";
import type { InfraConfig } from "./fleet/config.js";
import { discoverTargets, type HostsReport } from "./fleet/discover.js";
import { loadConfig } from "./fleet/load-config.js";
import { checkGroups, selectTargets } from "./fleet/select.js";
import { checkNixVersion, detectNix, knownNix, type NixInfo } from "./nix/detect.js";
import { loaderPath } from "./nix/loader.js";
import type { Limits } from "./nix/process.js";
import { removeAbandoned } from "./nix/reaper.js";
import { nixBinaryStamp } from "./nix/which.js";
import { GitMemo } from "./repo/memo.js";
import { Workspace } from "./repo/workspace.js";
import type { EngineContext } from "./run/context.js";
import { type EngineListener, EventBus } from "./run/events.js";
import { EvalPool } from "./run/pool.js";
import { type EvalReport, summarize } from "./run/result.js";
import { roundRunner } from "./run/round.js";
import { Scheduler } from "./run/scheduler.js";
import { secretsGate } from "./secrets/gate.js";
import { runSecrets, type SecretsOptions, type SecretsReport } from "./secrets/report.js";
import { type WatchOptions, watchFleet } from "./watch.js";

export interface EngineOptions {
  /** The fleet's folder (a flake, or a repo holding several). */
  repo: string;
  /** Cache root; defaults to $INFRA_CACHE_DIR, then $XDG_CACHE_HOME/infra or ~/.cache/infra. */
  cacheDir?: string | undefined;
  /** Parallel evaluations; defaults to the number of cores. */
  jobs?: number | undefined;
  /** Per-evaluation limits; default from infra.json, then 300 s and 4096 MB. */
  timeoutSeconds?: number | undefined;
  memoryMB?: number | undefined;
  /** Stops everything in flight (nix processes are killed). */
  signal?: AbortSignal | undefined;
  /** The environment to read INFRA_* and XDG settings from (default: this process's). */
  env?: Record<string, string | undefined> | undefined;
  /** Start the worker threads now and keep them (a resident server), not on first use. */
  warm?: boolean | undefined;
  /**
   * A check that may refuse a target before `deploy` does anything to it (the secrets gate);
   * default: every target may go ahead. `deploy({ skipPreflight: true })` bypasses it.
   */
  preflight?: Preflight | undefined;
}

export interface EvaluateOptions {
  names?: string[];
  noCache?: boolean;
  /** Evaluate exactly as `nix eval` does, copying the tree to the store (slower; implies noCache). */
  exact?: boolean;
}

export interface Engine {
  readonly repoDir: string;
  readonly config: InfraConfig;
  readonly cachePath: string;
  on(listener: EngineListener): () => void;
  hosts(): Promise<HostsReport>;
  evaluate(options?: EvaluateOptions): Promise<EvalReport>;
  /** Which targets a change affects, answered from the recorded traces (nothing is evaluated). */
  affected(options: AffectedOptions): Promise<AffectedReport>;
  /** The dependency graph's input: targets with their recorded dependencies. */
  graphData(): Promise<GraphInput>;
  /** Measures targets (uncached, repeated where a verdict is close) against a baseline. */
  ci(options?: CiOptions): Promise<CiReport>;
  /** Whether every host's declared secrets are provided, encrypted for it (headers only). */
  secrets(options?: SecretsOptions): Promise<SecretsReport>;
  /** Evaluates, then re-evaluates what each change affects until the signal aborts. */
  watch(options?: WatchOptions): Promise<void>;
  /** Deploys the targets' valid evaluations to where they run, only where they changed. */
  deploy(options?: DeployOptions): Promise<DeployReport>;
  /** What deploy would do, with each changed target's closure diff; touches nothing on the targets. */
  plan(options?: PlanOptions): Promise<PlanReport>;
  cacheStats(): CacheStats;
  cachePrune(options: { keepTraces: number; keepHistory: number; olderThanDays?: number | undefined }): {
    traces: number;
    history: number;
  };
  cacheClear(): void;
  close(): Promise<void>;
}

/** Nix's identity without running it when the binary is unchanged since last time. */
async function resolveNix(store: CacheStore, env: Record<string, string | undefined>): Promise<NixInfo> {
  const stamp = nixBinaryStamp();
  const known = stamp ? store.getMeta<{ version: string; system: string }>(`nix:${stamp}`) : undefined;
  let info: NixInfo;
  if (known && stamp) info = knownNix(known.version, known.system);
  else {
    info = await detectNix();
    if (stamp) store.putMeta(`nix:${stamp}`, { version: info.version, system: info.system });
  }
  if (env.INFRA_NO_STRACE === "1") info.strace = undefined;
  return info;
}

/** What stays warm between commands: the cache, Nix's identity, the loader, the worker pool. */
export interface EngineCore {
  readonly repoDir: string;
  readonly cachePath: string;
  readonly nix: NixInfo;
  /** One command's engine: its own events, signal and limits, sharing this core. */
  session(options: SessionOptions): Promise<Engine>;
  close(): Promise<void>;
}

export type SessionOptions = Pick<
  EngineOptions,
  "jobs" | "timeoutSeconds" | "memoryMB" | "signal" | "preflight"
>;

/** Opens one repository's cache, finds Nix and starts (lazily) the worker pool. */
export async function openCore(options: EngineOptions): Promise<EngineCore> {
  const env = options.env ?? process.env;
  // The folder is checked before anything (a cache) is created for it.
  const repoDir = Workspace.resolveRepoDir(options.repo);
  if (options.cacheDir !== undefined && options.cacheDir.trim() === "") {
    // An empty path would put the cache in the current folder, inside the repository.
    throw new UsageError("--cache-dir needs a folder, got an empty path", {
      hints: ["Leave it out for the default (~/.cache/infra), or name a folder."],
    });
  }
  // Warnings raised while opening reach the first session's listeners.
  const early: string[] = [];
  const cacheRoot = resolve(options.cacheDir ?? defaultCacheRoot(env));
  const store = openLmdbStore(repoCacheDir(cacheRoot, repoDir), { onWarning: (m) => early.push(m) });
  const nix = await resolveNix(store, env);
  const tooOld = checkNixVersion(nix.version);
  if (tooOld) throw new UsageError(tooOld, { hints: ["Install a newer Nix (2.8 or later)."] });
  // Folders a killed infra left behind (its reaper already stopped its nix processes).
  void removeAbandoned();
  const loader = loaderPath();
  const evaluator = evaluatorKey({
    nixVersion: nix.version,
    system: nix.system,
    // The loader and what it imports define what a value is made of.
    loaderHash: sha256(
      Buffer.concat([readFileSync(loader), readFileSync(join(dirname(loader), "secrets.nix"))]),
    ),
    infraVersion: pkg.version,
    options: ["restrict-eval"],
  });
  const poolSize = Math.max(1, options.jobs ?? availableParallelism());
  const pool = new EvalPool(poolSize, { warm: options.warm === true });
  const memo = new GitMemo();
  const core: EngineCore = {
    repoDir,
    cachePath: store.path,
    nix,
    session: (sessionOptions) =>
      openSession({ repoDir, store, nix, loader, evaluator, pool, poolSize, early, memo }, sessionOptions),
    async close() {
      await pool.destroy();
      await store.close();
    },
  };
  return core;
}

/** One command's engine over its own core, closed with it. */
export async function createEngine(options: EngineOptions): Promise<Engine> {
  const core = await openCore(options);
  try {
    const engine = await core.session(options);
    return {
      ...engine,
      async close() {
        await engine.close();
        await core.close();
      },
    };
  } catch (error) {
    await core.close();
    throw error;
  }
}

interface CoreParts {
  repoDir: string;
  store: CacheStore;
  nix: NixInfo;
  loader: string;
  evaluator: string;
  pool: EvalPool;
  poolSize: number;
  early: string[];
  memo: GitMemo;
}

async function openSession(core: CoreParts, options: SessionOptions): Promise<Engine> {
  const { repoDir, store, nix, loader, evaluator, pool } = core;
  const events = new EventBus();
  const warn = (message: string) => events.emit({ type: "warning", message });
  for (const message of core.early.splice(0)) warn(message);
  // infra.json is read for every command: a resident core must see an edit at once.
  const config = await loadConfig(repoDir);
  const limits: Limits = {
    timeoutMs: (options.timeoutSeconds ?? config.limits.timeoutSeconds) * 1000,
    memoryMB: options.memoryMB ?? config.limits.memoryMB,
  };
  const scheduler = new Scheduler({
    store,
    pool,
    evaluator,
    nix,
    loader,
    limits,
    maxParallel: Math.min(core.poolSize, Math.max(1, options.jobs ?? core.poolSize)),
  });
  const meta = Object.fromEntries(Object.entries(config.meta).map(([k, v]) => [k, v.split(".")]));

  const checkSignal = () => {
    if (options.signal?.aborted) throw new InterruptedError();
  };
  const ctx: EngineContext = {
    config,
    store,
    scheduler,
    nix,
    events,
    signal: options.signal,
    openWorkspace: () => Workspace.open(repoDir, store.files, core.memo),
    async discover(ws, discoverOptions = {}) {
      const report = await discoverTargets(ws, {
        scheduler,
        ignore: config.ignore,
        meta,
        signal: options.signal,
        lastKnown: discoverOptions.lastKnown
          ? (jobId) => store.traces(jobId).find((t) => t.evaluation.targets)?.evaluation.targets
          : undefined,
      });
      checkSignal();
      checkGroups(report.hosts, config.groups);
      events.emit({ type: "discovered", flakes: report.flakes, targets: report.hosts.length });
      return { hosts: report.hosts, errors: report.errors };
    },
    runRound: roundRunner({
      scheduler,
      events,
      meta,
      signal: options.signal,
      untraced:
        nix.strace === undefined
          ? () =>
              warn(
                "strace is not installed: evaluations run untraced, so any change re-evaluates every target (apt-get install strace)",
              )
          : undefined,
    }),
    checkSignal,
    warn,
  };

  return {
    repoDir,
    config,
    cachePath: store.path,
    on: (listener) => events.on(listener),

    async hosts() {
      const report = await ctx.discover(await ctx.openWorkspace());
      await store.flush();
      return report;
    },

    async evaluate(evalOptions = {}) {
      const started = performance.now();
      const ws = await ctx.openWorkspace();
      const { hosts: targets, errors } = await ctx.discover(ws);
      const selected = selectTargets(targets, evalOptions.names ?? [], config.groups, errors);
      events.emit({ type: "plan", total: selected.length });
      const hosts = await ctx.runRound(ws, selected, {
        noCache: evalOptions.noCache === true || evalOptions.exact === true,
        exact: evalOptions.exact,
        onResult: (result) => events.emit({ type: "result", result }),
      });
      checkSignal();
      await store.flush();
      const report: EvalReport = { hosts, summary: summarize(hosts, performance.now() - started) };
      if (errors.length > 0) report.errors = errors;
      return report;
    },

    affected: (affectedOptions) => runAffected(ctx, affectedOptions),
    graphData: () => graphData(ctx),
    ci: (ciOptions = {}) => runCi(ctx, ciOptions),
    secrets: (secretsOptions = {}) => runSecrets(ctx, secretsOptions),
    watch: (watchOptions = {}) => watchFleet(ctx, watchOptions),
    deploy: (deployOptions = {}) =>
      runDeploy(ctx, deployOptions, {
        preflight:
          options.preflight ?? (config.secrets.gateDeploy ? secretsGate(ctx, deployOptions.names) : allowAll),
      }),
    plan: (planOptions = {}) => runPlan(ctx, planOptions),

    cacheStats: () => store.stats(),
    cachePrune: ({ keepTraces, keepHistory, olderThanDays }) =>
      store.prune({
        keepTraces,
        keepHistory,
        olderThanMs: olderThanDays === undefined ? undefined : olderThanDays * 86_400_000,
      }),
    cacheClear: () => store.clear(),

    // A session lives on a core that outlives it: closing it only makes its writes durable.
    close: () => store.flush(),
  };
}
