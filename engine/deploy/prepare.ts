// What deploy and plan do before touching any target: find and select the targets (`@group`,
// `@tag` included), resolve where each one is, and evaluate them through the engine's round (the
// cache answers where its traces still hold, Nix evaluates the rest: a stale evaluation is never
// used). Each target's evaluation is handed on as soon as it is there, so a target answered from
// the cache goes ahead while Nix still evaluates another. Main thread.
import type { InfraConfig } from "../fleet/config.js";
import { selectTargets } from "../fleet/select.js";
import type { Target } from "../fleet/targets.js";
import type { Workspace } from "../repo/workspace.js";
import type { EngineContext } from "../run/context.js";
import type { HostResult } from "../run/result.js";
import { type AddressResult, resolveAddress, targetSettings } from "./address.js";
import { type FlakeConventions, readConventions, tagIndex } from "./conventions.js";
import { expandAtNames, isAtName } from "./select.js";
import type { DeployBackend, DeployError } from "./types.js";

export interface PreparedTarget {
  target: Target;
  evaluation: HostResult;
  /** Where it is, or why it cannot be reached (a hostile host, a broken deploy-rs setting). */
  address: AddressResult;
}

/** A target whose evaluation may still be running. */
export interface PendingTarget {
  target: Target;
  address: AddressResult;
  /** Its evaluation, as soon as the round has it. */
  evaluated: Promise<HostResult>;
}

export interface Prepared {
  ws: Workspace;
  targets: PendingTarget[];
  /** The whole round: settles when every evaluation has. */
  round: Promise<unknown>;
}

/** A pending target once its evaluation is there. */
export async function ready(pending: PendingTarget): Promise<PreparedTarget> {
  return { target: pending.target, address: pending.address, evaluation: await pending.evaluated };
}

/** infra.json names this target's host: the flake's deploy settings are not read for it. */
function hostInConfig(config: InfraConfig, target: Target): boolean {
  return targetSettings(config.deploy, target)?.host !== undefined;
}

/** A DeployError for a failed evaluation, pointing at the user's code. */
export function evaluationError(result: HostResult): DeployError {
  const e = result.error!;
  return {
    stage: "evaluate",
    message: e.message,
    file: e.file,
    line: e.line,
    column: e.column,
    hints: e.hints,
    output: null,
  };
}

export async function prepareTargets(
  ctx: EngineContext,
  names: string[],
  backend: DeployBackend | undefined,
): Promise<Prepared> {
  const { config } = ctx;
  const ws = await ctx.openWorkspace();
  const { hosts: all, errors } = await ctx.discover(ws);
  let conventions: Map<string, FlakeConventions> | undefined;
  // `@tag` may name a colmena tag: then every flake's settings are needed to select.
  const fromConfig = tagIndex(all, config, undefined);
  if (
    names.some((n) => isAtName(n) && config.groups[n.slice(1)] === undefined && !fromConfig.has(n.slice(1)))
  )
    conventions = await readConventions(ws, ctx.scheduler, all, ctx.signal);
  const expanded = expandAtNames(names, config.groups, tagIndex(all, config, conventions));
  const selected = selectTargets(all, expanded, config.groups, errors);
  ctx.checkSignal();
  const needed = selected.filter((t) => !hostInConfig(config, t));
  if (conventions === undefined && needed.length > 0)
    conventions = await readConventions(ws, ctx.scheduler, needed, ctx.signal);
  ctx.checkSignal();

  const addresses = selected.map((target) => addressOf(ctx, target, conventions, backend));
  ctx.events.emit({ type: "plan", total: selected.length });
  const handed = new Map<string, (result: HostResult) => void>();
  const evaluated = selected.map(
    (target) => new Promise<HostResult>((resolve) => handed.set(target.name, resolve)),
  );
  const round = ctx.runRound(ws, selected, {
    onResult: (result) => {
      ctx.events.emit({ type: "result", result });
      handed.get(result.name)?.(result);
    },
  });
  // Every result reaches onResult; the returned list settles any the callback did not.
  const settled = round.then((results) => {
    for (const result of results) handed.get(result.name)?.(result);
  });
  const targets = selected.map(
    (target, i): PendingTarget => ({
      target,
      address: addresses[i]!,
      // A round that fails (an interruption) fails every target still waiting for it.
      evaluated: Promise.race([evaluated[i]!, settled.then(() => evaluated[i]!)]),
    }),
  );
  return { ws, targets, round: settled };
}

function addressOf(
  ctx: EngineContext,
  target: Target,
  conventions: Map<string, FlakeConventions> | undefined,
  backend: DeployBackend | undefined,
): AddressResult {
  const { config } = ctx;
  const read = hostInConfig(config, target) ? undefined : conventions?.get(target.flakeDir);
  if (read?.error) {
    // Guessing the host from the name could reach the wrong machine: refuse instead.
    return {
      error: {
        stage: "address",
        message: `the flake's deploy settings (deploy-rs deploy, colmena) do not evaluate: ${read.error.file ? `${read.error.file}${read.error.line ? `:${read.error.line}` : ""}: ` : ""}${read.error.message}`,
        file: read.error.file,
        line: read.error.line,
        column: read.error.column,
        hints: [
          "Fix the flake's deploy or colmena attribute, or name the host in infra.json (deploy.targets.<name>.host).",
        ],
        output: null,
      },
    };
  }
  return resolveAddress({
    target,
    deploy: config.deploy,
    hostTags: config.hosts[target.name]?.tags ?? config.hosts[target.attrName]?.tags ?? [],
    conventions: read?.conventions,
    backend,
  });
}
