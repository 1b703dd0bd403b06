// Targets and their names: which configurations of which flake, named for the command line. Pure.
import { targetKey } from "../../cache/key.js";
import { attrPathFragment } from "../nix/syntax.js";

export const KINDS = {
  nixos: { set: "nixosConfigurations", value: ["config", "system", "build", "toplevel"] },
  darwin: { set: "darwinConfigurations", value: ["system"] },
  home: { set: "homeConfigurations", value: ["activationPackage"] },
} as const;

export type TargetKind = keyof typeof KINDS;

export interface Target {
  /** Cache identity of the target (flake, attribute path, recorded metadata). */
  id: string;
  /** Name on the command line and in reports, qualified only where needed. */
  name: string;
  /** The configuration's attribute name. */
  attrName: string;
  kind: TargetKind;
  /** Flake folder relative to the repo folder ("." for the repo itself). */
  flake: string;
  flakeDir: string;
  /** Flake folder relative to the repository top ("" at the top). */
  flakeRel: string;
  /** `nixosConfigurations.web1.config.system.build.toplevel`. */
  attr: string;
  attrPath: string[];
  configPath: string[];
}

export interface RawTarget {
  kind: TargetKind;
  attrName: string;
  flake: string;
  flakeDir: string;
  flakeRel: string;
}

/**
 * Names are the attribute name; `kind:name` where two kinds of one flake share it;
 * `<flake folder>#name` where two flakes share it (both, when both clash).
 */
export function nameTargets(raw: RawTarget[], meta: Record<string, string[]>): Target[] {
  const byName = new Map<string, RawTarget[]>();
  for (const t of raw) byName.set(t.attrName, [...(byName.get(t.attrName) ?? []), t]);
  return raw.map((t) => {
    const same = byName.get(t.attrName) ?? [];
    const kindClash = same.some((o) => o.flake === t.flake && o.kind !== t.kind);
    const flakeClash = same.some((o) => o.flake !== t.flake);
    let name = kindClash ? `${t.kind}:${t.attrName}` : t.attrName;
    if (flakeClash) name = `${t.flake}#${name}`;
    const configPath = [KINDS[t.kind].set, t.attrName];
    const attrPath = [...configPath, ...KINDS[t.kind].value];
    return {
      id: targetKey({ want: "value", flakeRel: t.flakeRel, attrPath, meta }),
      name,
      attrName: t.attrName,
      kind: t.kind,
      flake: t.flake,
      flakeDir: t.flakeDir,
      flakeRel: t.flakeRel,
      attr: attrPathFragment(attrPath),
      attrPath,
      configPath,
    };
  });
}
