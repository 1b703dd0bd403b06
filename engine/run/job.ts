// A job: one evaluation to get done (a target's value, or a flake's list of targets), with its
// cache identity.
import { targetKey } from "../../cache/key.js";
import type { Target } from "../fleet/targets.js";
import type { Workspace } from "../repo/workspace.js";
import type { EvalSpec } from "../worker/protocol.js";

export interface Job extends EvalSpec {
  /** Cache identity. */
  id: string;
  /** Name for people (the target's name, or the flake folder). */
  label: string;
}

export function valueJob(target: Target, meta: Record<string, string[]>): Job {
  return {
    id: target.id,
    label: target.name,
    want: "value",
    flakeDir: target.flakeDir,
    flakeRel: target.flakeRel,
    attrPath: target.attrPath,
    configPath: target.configPath,
    meta,
  };
}

/** Evaluates agenix's rule file `rel` (relative to the repository top). */
export function rulesJob(ws: Workspace, rel: string): Job {
  return {
    id: targetKey({ want: "rules", flakeRel: "", attrPath: [rel], meta: {} }),
    label: ws.display(rel),
    want: "rules",
    flakeDir: ws.top,
    flakeRel: "",
    attrPath: [rel],
    configPath: [],
    meta: {},
  };
}

export function listJob(ws: Workspace, flakeDir: string): Job {
  const flakeRel = ws.rel(flakeDir);
  return {
    id: targetKey({ want: "list", flakeRel, attrPath: [], meta: {} }),
    label: ws.display(flakeRel),
    want: "list",
    flakeDir,
    flakeRel,
    attrPath: [],
    configPath: [],
    meta: {},
  };
}
