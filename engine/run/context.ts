// What the engine's capabilities (eval, affected, graph, watch, ci) share: one cache, one pool,
// one event bus, one round runner per engine. Internal: the public API is engine/index.ts.
import type { CacheStore } from "../../cache/store.js";
import type { InfraConfig } from "../fleet/config.js";
import type { HostsReport } from "../fleet/discover.js";
import type { NixInfo } from "../nix/detect.js";
import type { Workspace } from "../repo/workspace.js";
import type { EventBus } from "./events.js";
import type { RunRound } from "./round.js";
import type { Scheduler } from "./scheduler.js";

export interface EngineContext {
  config: InfraConfig;
  store: CacheStore;
  scheduler: Scheduler;
  nix: NixInfo;
  events: EventBus;
  signal: AbortSignal | undefined;
  openWorkspace(): Promise<Workspace>;
  /**
   * Every target of every flake (listing is itself a cached evaluation). `lastKnown`: for a
   * flake that cannot be listed now, the targets its last successful listing found.
   */
  discover(ws: Workspace, options?: { lastKnown?: boolean }): Promise<HostsReport>;
  /** Evaluates targets (cache first); results in the order given. */
  runRound: RunRound;
  /** Throws InterruptedError when the engine's signal aborted. */
  checkSignal(): void;
  warn(message: string): void;
}
