// The flakes' own deploy settings (deploy-rs nodes, colmena hives), read by one cached job per
// flake through the scheduler (worker/deploy-info.ts), and the `@tag` groups they and infra.json
// define. Main thread.
import { targetKey } from "../../cache/key.js";
import type { DeployConventions, Failure } from "../../cache/records.js";
import type { InfraConfig } from "../fleet/config.js";
import type { Target } from "../fleet/targets.js";
import type { Workspace } from "../repo/workspace.js";
import type { Job } from "../run/job.js";
import { errorView } from "../run/result.js";
import type { Scheduler } from "../run/scheduler.js";
import { targetSettings } from "./address.js";

/** What one flake's deploy tools say, or why it could not be read. */
export type FlakeConventions =
  | { conventions: DeployConventions; error?: undefined }
  | { conventions?: undefined; error: Failure };

export function conventionsJob(ws: Workspace, flakeDir: string, label: string): Job {
  const flakeRel = ws.rel(flakeDir);
  return {
    id: targetKey({ want: "deploy", flakeRel, attrPath: [], meta: {} }),
    label,
    want: "deploy",
    flakeDir,
    flakeRel,
    attrPath: [],
    configPath: [],
    meta: {},
  };
}

/** Reads (from the cache when valid) the deploy settings of every flake the targets come from. */
export async function readConventions(
  ws: Workspace,
  scheduler: Scheduler,
  targets: Target[],
  signal: AbortSignal | undefined,
): Promise<Map<string, FlakeConventions>> {
  const flakes = new Map<string, string>();
  for (const t of targets) flakes.set(t.flakeDir, t.flake);
  const jobs = [...flakes].map(([dir, label]) => conventionsJob(ws, dir, label));
  const results = await scheduler.run(ws, jobs, { signal });
  const out = new Map<string, FlakeConventions>();
  for (const { job, evaluation } of results) {
    if (evaluation.error) out.set(job.flakeDir, { error: errorView(ws, evaluation.error) });
    else out.set(job.flakeDir, { conventions: evaluation.deploy ?? { deployRs: null, colmena: null } });
  }
  return out;
}

/**
 * `@tag` → the targets carrying it: infra.json `hosts.<name>.tags` and `deploy.targets.<name>.tags`,
 * and colmena's `deployment.tags`.
 */
export function tagIndex(
  targets: Target[],
  config: InfraConfig,
  conventions: Map<string, FlakeConventions> | undefined,
): Map<string, string[]> {
  const index = new Map<string, Set<string>>();
  const add = (tag: string, name: string) => {
    const set = index.get(tag) ?? new Set<string>();
    set.add(name);
    index.set(tag, set);
  };
  for (const t of targets) {
    for (const tag of config.hosts[t.name]?.tags ?? config.hosts[t.attrName]?.tags ?? []) add(tag, t.name);
    for (const tag of targetSettings(config.deploy, t)?.tags ?? []) add(tag, t.name);
    const hive = t.kind === "nixos" ? conventions?.get(t.flakeDir)?.conventions?.colmena : undefined;
    for (const tag of hive?.[t.attrName]?.tags ?? []) add(tag, t.name);
  }
  return new Map([...index].map(([tag, names]) => [tag, [...names].sort()]));
}
