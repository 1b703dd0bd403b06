// Building the contract's result shapes (docs/commands/deploy.md, plan.md) in their field order,
// and what a deployment leaves in the cache. Pure.
import type { DeployRecord } from "../../cache/records.js";
import { describeAddress } from "./address.js";
import type { PreparedTarget } from "./prepare.js";
import type {
  DeployBackend,
  DeployError,
  DeployGoal,
  DeployHostResult,
  DeployStatus,
  DeploySummary,
  PlanHostResult,
  PlanReport,
} from "./types.js";

export interface ResultFields {
  current?: string | null;
  next?: string | null;
  error?: DeployError | null;
  rolledBack?: boolean;
}

export function deployResult(
  prepared: PreparedTarget,
  status: DeployStatus,
  goal: DeployGoal,
  backend: DeployBackend,
  durationMs: number,
  fields: ResultFields = {},
): DeployHostResult {
  const { address } = prepared;
  return {
    name: prepared.target.name,
    host: address.error ? null : describeAddress(address.address),
    status,
    current: fields.current ?? null,
    next: fields.next ?? prepared.evaluation.outPath ?? null,
    goal,
    backend,
    durationMs: Math.round(durationMs),
    error: fields.error ?? null,
    rolledBack: fields.rolledBack ?? false,
  };
}

export function summarizeDeploy(hosts: DeployHostResult[], durationMs: number): DeploySummary {
  const count = (status: DeployStatus) => hosts.filter((h) => h.status === status).length;
  return {
    deployed: count("deployed"),
    upToDate: count("up-to-date"),
    failed: count("failed"),
    skipped: count("skipped"),
    durationMs: Math.round(durationMs),
  };
}

export function summarizePlan(hosts: PlanHostResult[]): PlanReport["summary"] {
  const count = (status: PlanHostResult["status"]) => hosts.filter((h) => h.status === status).length;
  return {
    new: count("new"),
    upToDate: count("up-to-date"),
    changed: count("changed"),
    unreachable: count("unreachable"),
    skipped: count("skipped"),
  };
}

/** The stages after which the target was reached: a deployment worth recording happened. */
const REACHED = new Set(["build", "copy", "activate", "backend"]);

/** The record of one deployment, or undefined when the target was never reached. */
export function deployRecord(
  result: DeployHostResult,
  running: string | null,
  at: number,
): DeployRecord | undefined {
  if (result.status === "skipped" || result.next === null || result.host === null) return undefined;
  if (result.status === "failed" && !REACHED.has(result.error?.stage ?? "")) return undefined;
  return {
    at,
    target: result.name,
    host: result.host,
    backend: result.backend,
    goal: result.goal,
    storePath: result.next,
    previous: result.current,
    running,
    outcome: result.status,
    rolledBack: result.rolledBack,
    durationMs: result.durationMs,
    error: result.error?.message ?? null,
  };
}
