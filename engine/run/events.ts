// What the engine reports while it works. It never prints: renderers subscribe.
import type { DeployHostResult, DeployStep, PlanHostResult } from "../deploy/types.js";
import type { HostResult } from "./result.js";

export type EngineEvent =
  | { type: "warning"; message: string }
  | { type: "discovered"; flakes: number; targets: number }
  /** A run is about to look up (and evaluate) this many targets. */
  | { type: "plan"; total: number }
  | { type: "start"; name: string; kind: string }
  | { type: "result"; result: HostResult }
  | { type: "ready" }
  | { type: "change"; paths: string[] }
  | { type: "idle" }
  /** infra deploy and plan: what a target's deployment is doing (bytes while copying). */
  | {
      type: "deploy-step";
      name: string;
      step: DeployStep;
      bytes?: { done: number; expected: number } | undefined;
    }
  | { type: "deploy-result"; result: DeployHostResult }
  | { type: "plan-result"; result: PlanHostResult };

export type EngineListener = (event: EngineEvent) => void;

export class EventBus {
  private readonly listeners = new Set<EngineListener>();
  /** Warnings raised before anyone listened (while the engine was being created). */
  private backlog: EngineEvent[] = [];

  on(listener: EngineListener): () => void {
    this.listeners.add(listener);
    const early = this.backlog;
    this.backlog = [];
    for (const event of early) listener(event);
    return () => this.listeners.delete(listener);
  }

  emit(event: EngineEvent): void {
    if (this.listeners.size === 0 && event.type === "warning") this.backlog.push(event);
    for (const listener of this.listeners) listener(event);
  }
}
