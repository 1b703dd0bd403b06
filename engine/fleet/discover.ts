// Finding targets: every flake's configurations, listed by a traced, cached evaluation.
import type { TargetList } from "../../cache/records.js";
import { ConfigError } from "../../errors/index.js";
import type { Workspace } from "../repo/workspace.js";
import { listJob } from "../run/job.js";
import { errorView, type FlakeFailure } from "../run/result.js";
import type { Scheduler } from "../run/scheduler.js";
import { KINDS, nameTargets, type RawTarget, type Target, type TargetKind } from "./targets.js";

export interface HostsReport {
  hosts: Target[];
  errors: FlakeFailure[];
}

export interface DiscoverContext {
  scheduler: Scheduler;
  ignore: string[];
  meta: Record<string, string[]>;
  signal?: AbortSignal | undefined;
  /**
   * For a flake that cannot be listed now, the targets its last successful listing found
   * (`affected` asks which targets a change reaches, and a broken flake.lock reaches them all).
   */
  lastKnown?: ((jobId: string) => TargetList | undefined) | undefined;
}

export async function discoverTargets(
  ws: Workspace,
  ctx: DiscoverContext,
): Promise<HostsReport & { flakes: number }> {
  const flakes = ws.findFlakes(ctx.ignore);
  if (flakes.length === 0) {
    throw new ConfigError(`no flake.nix in ${ws.repoDir}`, {
      code: "E_NO_FLAKE",
      hints: [
        "Run infra in a folder holding a flake (or pass --repo DIR).",
        ws.isGit ? "In a git repository flake.nix must be tracked: git add flake.nix." : "",
      ].filter((h) => h !== ""),
    });
  }
  const results = await ctx.scheduler.run(
    ws,
    flakes.map((dir) => listJob(ws, dir)),
    { signal: ctx.signal },
  );
  const raw: RawTarget[] = [];
  const errors: FlakeFailure[] = [];
  for (const { job, evaluation } of results) {
    let list = evaluation.targets;
    if (evaluation.error) {
      errors.push({ flake: job.label, error: errorView(ws, evaluation.error) });
      list = ctx.lastKnown?.(job.id);
      if (list === undefined) continue;
    }
    for (const kind of Object.keys(KINDS) as TargetKind[]) {
      for (const attrName of list![KINDS[kind].set]) {
        raw.push({ kind, attrName, flake: job.label, flakeDir: job.flakeDir, flakeRel: job.flakeRel });
      }
    }
  }
  return { hosts: nameTargets(raw, ctx.meta), errors, flakes: flakes.length };
}
