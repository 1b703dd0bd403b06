// infra's engine as a library: the public API, listed by name. The CLI, the tests and the
// benchmarks call these; everything else in engine/ is internal.

export { defaultCacheRoot } from "../cache/location.js";
export type { Failure, FailureCode } from "../cache/records.js";
export { ExitCode, InfraError } from "../errors/index.js";
export type { AffectedOptions, AffectedReport, AffectedResult } from "./affected.js";
export type { Baseline, CiOptions, CiReport, Comparison, Verdict } from "./ci.js";
export {
  allowAll,
  DEPLOY_BACKENDS,
  DEPLOY_GOALS,
  type DeployBackend,
  type DeployError,
  type DeployGoal,
  type DeployHostResult,
  type DeployOptions,
  type DeployReport,
  type DeployStatus,
  type DeployStep,
  type PackageChange,
  type PlanHostResult,
  type PlanOptions,
  type PlanReport,
  type Preflight,
  type PreflightTarget,
  type TargetAddress,
} from "./deploy/types.js";
export {
  createEngine,
  type Engine,
  type EngineCore,
  type EngineOptions,
  type EvaluateOptions,
  openCore,
  type SessionOptions,
} from "./engine.js";
export { BOUNDS } from "./fleet/bounds.js";
export type { InfraConfig } from "./fleet/config.js";
export type { HostsReport } from "./fleet/discover.js";
export type { Target, TargetKind } from "./fleet/targets.js";
export type { EngineEvent, EngineListener } from "./run/events.js";
export type {
  DependencyView,
  EvalReport,
  EvalSummary,
  FlakeFailure,
  HostResult,
  HostStatus,
} from "./run/result.js";
export { isSecretFailure, type SecretsProblem, type SecretsReport } from "./secrets/report.js";
export type { SecretResult, SecretStatus, SecretWarning } from "./secrets/types.js";
export type { WatchOptions } from "./watch.js";
