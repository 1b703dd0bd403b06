// Finding targets: every flake's configurations, listed by a traced, cached evaluation.
import { isAbsolute, relative } from "node:path";
import { targetKey } from "../cache/key.js";
import { ConfigError } from "../errors/index.js";
import type { ListValue } from "./eval-types.js";
import type { FlakeFailure, HostError } from "./report.js";
import type { Job, Scheduler } from "./scheduler.js";
import { KINDS, nameTargets, type RawTarget, type Target, type TargetKind } from "./targets.js";
import type { Workspace } from "./workspace.js";

export interface DiscoverContext {
  scheduler: Scheduler;
  ignore: string[];
  meta: Record<string, string[]>;
  signal?: AbortSignal | undefined;
  repoDir: string;
}

export interface Discovered {
  hosts: Target[];
  errors: FlakeFailure[];
  flakes: number;
}

/** Error positions and messages name files relative to the repo folder, as people see them. */
export function errorView(ws: Workspace, error: HostError): HostError {
  const shorten = (text: string) =>
    text.split(`${ws.top}/`).reduce((out, part, i) => {
      if (i === 0) return part;
      const end = part.search(/[\s:'"(),]/);
      const rel = end < 0 ? part : part.slice(0, end);
      return `${out}${ws.display(rel)}${end < 0 ? "" : part.slice(end)}`;
    }, "");
  let file = error.file;
  if (file !== undefined && isAbsolute(file)) {
    const rel = relative(ws.top, file);
    if (!rel.startsWith("..")) file = ws.display(rel);
  }
  return { ...error, file, message: shorten(error.message), trace: error.trace.map(shorten) };
}

export function valueJob(target: Target, meta: Record<string, string[]>): Job {
  return {
    id: target.id,
    label: target.name,
    mode: "value",
    flakeDir: target.flakeDir,
    flakeRel: target.flakeRel,
    attrPath: target.attrPath,
    configPath: target.configPath,
    meta,
  };
}

export function listJob(ws: Workspace, flakeDir: string): Job {
  const flakeRel = ws.rel(flakeDir);
  return {
    id: targetKey({ mode: "list", flakeRel, attrPath: [], meta: {} }),
    label: ws.display(flakeRel),
    mode: "list",
    flakeDir,
    flakeRel,
    attrPath: [],
    configPath: [],
    meta: {},
  };
}

export async function discoverTargets(ws: Workspace, ctx: DiscoverContext): Promise<Discovered> {
  const flakes = ws.findFlakes(ctx.ignore);
  if (flakes.length === 0) {
    throw new ConfigError(`no flake.nix in ${ctx.repoDir}`, {
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
  for (const { job, outcome } of results) {
    if (outcome.error) {
      errors.push({ flake: job.label, error: errorView(ws, outcome.error) });
      continue;
    }
    const list = outcome.value as ListValue;
    for (const kind of Object.keys(KINDS) as TargetKind[]) {
      for (const attrName of list[KINDS[kind].set]) {
        raw.push({ kind, attrName, flake: job.label, flakeDir: job.flakeDir, flakeRel: job.flakeRel });
      }
    }
  }
  return { hosts: nameTargets(raw, ctx.meta), errors, flakes: flakes.length };
}
