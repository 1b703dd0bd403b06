// infra's engine as a library: the CLI and the tests call these functions. It never reads
// process.argv, never prints and never exits.
import { readFileSync } from "node:fs";
import { availableParallelism, homedir } from "node:os";
import { join } from "node:path";
import { sha256 } from "../cache/file-hashes.js";
import { evaluatorKey, repoCacheName } from "../cache/key.js";
import { openLmdbStore } from "../cache/open.js";
import type { CacheStats, CacheStore } from "../cache/store.js";
import { ConfigError, InterruptedError, UsageError } from "../errors/index.js";
import type { GraphInput } from "../graph/types.js";
import pkg from "../package.json" with { type: "json" };
import { type AffectedOptions, type AffectedReport, graphData, runAffected } from "./affected.js";
import { type CiOptions, type CiReport, runCi } from "./ci-run.js";
import type { InfraConfig } from "./config.js";
import { DEFAULT_CONFIG } from "./config-defaults.js";
import type { EngineCore, HostsReport } from "./core.js";
import { type DiscoverContext, discoverTargets, errorView, valueJob } from "./discover.js";
import { type EngineListener, EventBus } from "./events.js";
import {
  checkNixVersion,
  detectNix,
  type Limits,
  loaderPath,
  type NixInfo,
  nixBinaryStamp,
  which,
} from "./nix.js";
import { EvalPool } from "./pool.js";
import { type EvalReport, type HostResult, hostResult, summarize } from "./report.js";
import { type Job, type JobResult, Scheduler } from "./scheduler.js";
import { selectTargets, type Target } from "./targets.js";
import { type WatchOptions, watchFleet } from "./watch.js";
import { Workspace } from "./workspace.js";

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
  /** Evaluates, then re-evaluates what each change affects until the signal aborts. */
  watch(options?: WatchOptions): Promise<void>;
  cacheStats(): CacheStats;
  cachePrune(options: { keepTraces: number; keepHistory: number; olderThanDays?: number }): {
    traces: number;
    history: number;
  };
  cacheClear(): void;
  close(): Promise<void>;
}

export function defaultCacheRoot(): string {
  return (
    process.env.INFRA_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "infra")
  );
}

/** Reads infra.json from the repo folder, if there is one. */
export async function loadConfig(repoDir: string): Promise<InfraConfig> {
  const file = join(repoDir, "infra.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return DEFAULT_CONFIG;
  }
  const { parseConfig } = await import("./config.js");
  const parsed = parseConfig(text);
  if (parsed.config) return parsed.config;
  const lines = parsed.errors.map(
    (e) => `${file}:${e.line}:${e.column}: ${e.path ? `${e.path}: ` : ""}${e.message}`,
  );
  throw new ConfigError(`infra.json is not valid:\n${lines.join("\n")}`, {
    hints: ["Fix the settings named above; the schema is in schema/infra.schema.json."],
  });
}

/** Nix's identity without running it when the binary is unchanged since last time. */
async function resolveNix(store: CacheStore): Promise<NixInfo> {
  const stamp = nixBinaryStamp();
  const known = stamp ? store.getMeta<{ version: string; system: string }>(`nix:${stamp}`) : undefined;
  let info: NixInfo;
  if (known && stamp) {
    info = {
      version: known.version,
      system: known.system,
      instantiate: which("nix-instantiate")!,
      nix: which("nix"),
      strace: which("strace"),
      time: which("time"),
    };
  } else {
    info = await detectNix();
    if (stamp) store.putMeta(`nix:${stamp}`, { version: info.version, system: info.system });
  }
  if (process.env.INFRA_NO_STRACE === "1") info.strace = undefined;
  return info;
}

export async function createEngine(options: EngineOptions): Promise<Engine> {
  const events = new EventBus();
  const warn = (message: string) => events.emit({ type: "warning", message });
  // The folder is checked before anything (a cache) is created for it.
  const repoDir = Workspace.resolveRepoDir(options.repo);
  const config = await loadConfig(repoDir);
  const cacheRoot = options.cacheDir ?? defaultCacheRoot();
  const store = openLmdbStore(join(cacheRoot, repoCacheName(repoDir)), { onWarning: warn });
  const nix = await resolveNix(store);
  const tooOld = checkNixVersion(nix.version);
  if (tooOld) throw new UsageError(tooOld, { hints: ["Install a newer Nix (2.8 or later)."] });

  const loader = loaderPath();
  const evaluator = evaluatorKey({
    nixVersion: nix.version,
    system: nix.system,
    loaderHash: sha256(readFileSync(loader)),
    infraVersion: pkg.version,
    options: ["restrict-eval"],
  });
  const limits: Limits = {
    timeoutMs: (options.timeoutSeconds ?? config.limits.timeoutSeconds) * 1000,
    memoryMB: options.memoryMB ?? config.limits.memoryMB,
  };
  const jobs = Math.max(1, options.jobs ?? availableParallelism());
  const pool = new EvalPool(jobs);
  const scheduler = new Scheduler({ store, pool, evaluator, nix, loader, limits });
  const meta = Object.fromEntries(Object.entries(config.meta).map(([k, v]) => [k, v.split(".")]));
  let warnedUntraced = false;

  const checkSignal = () => {
    if (options.signal?.aborted) throw new InterruptedError();
  };

  const openWorkspace = () => Workspace.open(repoDir, store.files);

  const discoverCtx: DiscoverContext = {
    scheduler,
    ignore: config.ignore,
    meta,
    signal: options.signal,
    repoDir,
  };
  const discover = async (ws: Workspace): Promise<HostsReport> => {
    const report = await discoverTargets(ws, discoverCtx);
    checkSignal();
    events.emit({ type: "discovered", flakes: report.flakes, targets: report.hosts.length });
    return { hosts: report.hosts, errors: report.errors };
  };
  const jobFor = (target: Target) => valueJob(target, meta);

  const byJob = new Map<string, Target>();
  /** Evaluates `selected` (cache first) and returns their results in the order given. */
  async function runRound(
    ws: Workspace,
    selected: Target[],
    round: {
      noCache?: boolean;
      exact?: boolean | undefined;
      signal?: AbortSignal;
      signalFor?: (job: Job) => AbortSignal | undefined;
      onResult: (result: HostResult) => void;
    },
  ): Promise<HostResult[]> {
    if (nix.strace === undefined && !warnedUntraced) {
      warnedUntraced = true;
      warn(
        "strace is not installed: evaluations run untraced, so any change re-evaluates every target (apt-get install strace)",
      );
    }
    for (const t of selected) byJob.set(t.id, t);
    const toResult = (r: JobResult) => {
      const host = hostResult(byJob.get(r.job.id)!, r, (rel) => ws.display(rel));
      return host.error ? { ...host, error: errorView(ws, host.error) } : host;
    };
    const results = await scheduler.run(ws, selected.map(jobFor), {
      noCache: round.noCache,
      exact: round.exact === true,
      signal: round.signal ?? options.signal,
      signalFor: round.signalFor,
      onStart: (job) => events.emit({ type: "start", name: job.label, kind: byJob.get(job.id)!.kind }),
      onResult: (r) => round.onResult(toResult(r)),
    });
    const order = new Map(selected.map((t, i) => [t.id, i]));
    return results.sort((a, b) => order.get(a.job.id)! - order.get(b.job.id)!).map(toResult);
  }

  const core: EngineCore = {
    config,
    store,
    scheduler,
    nix,
    events,
    signal: options.signal,
    openWorkspace,
    discover,
    runRound,
    checkSignal,
    warn,
  };

  return {
    repoDir,
    config,
    cachePath: store.path,
    on: (listener) => events.on(listener),

    async hosts() {
      const ws = await openWorkspace();
      const report = await discover(ws);
      await store.flush();
      return report;
    },

    async evaluate(evalOptions = {}) {
      const started = performance.now();
      const ws = await openWorkspace();
      const { hosts: targets, errors } = await discover(ws);
      const selected = selectTargets(targets, evalOptions.names ?? [], config.groups);
      const hosts = await runRound(ws, selected, {
        noCache: evalOptions.noCache === true || evalOptions.exact === true,
        exact: evalOptions.exact,
        onResult: (result) => events.emit({ type: "result", result }),
      });
      checkSignal();
      await store.flush();
      return { hosts, summary: summarize(hosts, performance.now() - started), errors };
    },

    affected: (affectedOptions) => runAffected(core, affectedOptions),
    graphData: () => graphData(core),
    ci: (ciOptions = {}) => runCi(core, ciOptions),
    watch: (watchOptions = {}) => watchFleet(core, watchOptions),

    cacheStats: () => store.stats(),
    cachePrune: ({ keepTraces, keepHistory, olderThanDays }) =>
      store.prune({
        keepTraces,
        keepHistory,
        olderThanMs: olderThanDays === undefined ? undefined : olderThanDays * 86_400_000,
      }),
    cacheClear: () => store.clear(),

    async close() {
      await pool.destroy();
      await store.close();
    },
  };
}

export { ExitCode, InfraError } from "../errors/index.js";
export type { AffectedOptions, AffectedReport } from "./affected.js";
export type { Baseline, Comparison, Verdict } from "./ci.js";
export type { CiOptions, CiReport } from "./ci-run.js";
export type { InfraConfig } from "./config.js";
export type { HostsReport } from "./core.js";
export type { EngineEvent, EngineListener } from "./events.js";
export type {
  DependencyView,
  EvalReport,
  EvalSummary,
  FlakeFailure,
  HostError,
  HostResult,
} from "./report.js";
export type { Target, TargetKind } from "./targets.js";
export type { WatchOptions } from "./watch.js";
