// What the engine's commands share: one cache, one pool, one event bus per engine. Internal:
// the public API is engine/index.ts.
import type { CacheStore } from "../cache/store.js";
import type { InfraConfig } from "./config.js";
import type { EventBus } from "./events.js";
import type { NixInfo } from "./nix.js";
import type { FlakeFailure, HostResult } from "./report.js";
import type { Job, Scheduler } from "./scheduler.js";
import type { Target } from "./targets.js";
import type { Workspace } from "./workspace.js";

export interface HostsReport {
  hosts: Target[];
  errors: FlakeFailure[];
}

export interface RoundOptions {
  noCache?: boolean;
  exact?: boolean | undefined;
  signal?: AbortSignal;
  signalFor?: (job: Job) => AbortSignal | undefined;
  onResult: (result: HostResult) => void;
}

export interface EngineCore {
  config: InfraConfig;
  store: CacheStore;
  scheduler: Scheduler;
  nix: NixInfo;
  events: EventBus;
  signal: AbortSignal | undefined;
  openWorkspace(): Promise<Workspace>;
  /** Every target of every flake (listing is itself a cached evaluation). */
  discover(ws: Workspace): Promise<HostsReport>;
  /** Evaluates targets (cache first); results in the order given. */
  runRound(ws: Workspace, targets: Target[], round: RoundOptions): Promise<HostResult[]>;
  /** Throws InterruptedError when the engine's signal aborted. */
  checkSignal(): void;
  warn(message: string): void;
}
