// Targets and their names. Pure.
import { targetKey } from "../cache/key.js";
import { UsageError } from "../errors/index.js";
import { attrPathFragment } from "./nix-syntax.js";

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
      id: targetKey({ mode: "value", flakeRel: t.flakeRel, attrPath, meta }),
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

/**
 * Targets matching the names given on the command line: a name, `kind:name`, `flake#name`,
 * or a group from infra.json. Unknown names are a usage error that suggests close matches.
 */
export function selectTargets(
  targets: Target[],
  names: string[],
  groups: Record<string, string[]> = {},
): Target[] {
  if (names.length === 0) return targets;
  const chosen = new Map<string, Target>();
  const expand = (name: string, seen: Set<string>): string[] =>
    groups[name] && !seen.has(name)
      ? groups[name].flatMap((n) => expand(n, new Set([...seen, name])))
      : [name];
  for (const name of names.flatMap((n) => expand(n, new Set()))) {
    const matches = targets.filter(
      (t) =>
        t.name === name ||
        `${t.kind}:${t.attrName}` === name ||
        `${t.flake}#${t.attrName}` === name ||
        `${t.flake}#${t.kind}:${t.attrName}` === name,
    );
    const loose = matches.length > 0 ? matches : targets.filter((t) => t.attrName === name);
    if (loose.length === 0) {
      const close = targets
        .map((t) => t.name)
        .filter((n) => n.includes(name) || name.includes(n) || editDistance(n, name) <= 2)
        .slice(0, 5);
      throw new UsageError(`no target named '${name}'`, {
        hints:
          close.length > 0
            ? [`Did you mean ${close.join(", ")}?`]
            : ["Run `infra hosts` to list the targets."],
      });
    }
    if (loose.length > 1) {
      throw new UsageError(`'${name}' is ambiguous: ${loose.map((t) => t.name).join(", ")}`, {
        hints: ["Use one of the qualified names."],
      });
    }
    for (const t of loose) chosen.set(t.id, t);
  }
  // Keep the order the user gave: named targets go first.
  return [...chosen.values()];
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
