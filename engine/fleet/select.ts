// Choosing targets from the command line: names, `kind:name`, `flake#name`, infra.json groups
// (`web` or `@web`).
import { ConfigError, FlakeError, UsageError } from "../../errors/index.js";
import type { FlakeFailure } from "../run/result.js";
import type { Target } from "./targets.js";

/** A target's names as the command line may spell them. */
function spellings(t: Target): string[] {
  return [
    t.name,
    `${t.kind}:${t.attrName}`,
    `${t.flake}#${t.attrName}`,
    `${t.flake}#${t.kind}:${t.attrName}`,
  ];
}

/**
 * Groups and targets share one namespace: a group named like a target would silently stand for
 * other targets, so it is a configuration error.
 */
export function checkGroups(targets: Target[], groups: Record<string, string[]>): void {
  const names = new Set(targets.flatMap(spellings));
  const shadowing = Object.keys(groups).filter((g) => names.has(g));
  if (shadowing.length > 0) {
    throw new ConfigError(
      `infra.json: group${shadowing.length > 1 ? "s" : ""} ${shadowing.map((g) => `'${g}'`).join(", ")} ${shadowing.length > 1 ? "have" : "has"} the name of a target`,
      { hints: ["Rename the group: groups and targets share one set of names."] },
    );
  }
}

/**
 * Targets matching the names given on the command line: a name, `kind:name`, `flake#name`,
 * or a group from infra.json. Unknown names are a usage error that suggests close matches.
 */
export function selectTargets(
  targets: Target[],
  names: string[],
  groups: Record<string, string[]> = {},
  /** Flakes whose targets could not be listed: an unknown name may be one of theirs. */
  unlisted: FlakeFailure[] = [],
): Target[] {
  if (names.length === 0) return targets;
  // `@web` is the group web, as deploy and plan spell it (where `@` also reaches tags).
  names = names.map((n) => {
    if (!n.startsWith("@") || n.length < 2) return n;
    const group = n.slice(1);
    if (groups[group] !== undefined) return group;
    const known = Object.keys(groups).sort();
    throw new UsageError(`no group named '${group}' (${n})`, {
      hints: [
        known.length > 0
          ? `Groups in infra.json: ${known.map((k) => `@${k}`).join(", ")}. Tags (@tag) select targets for deploy and plan only.`
          : 'Define groups in infra.json ("groups": {"web": ["web1", "web2"]}); tags (@tag) select targets for deploy and plan only.',
      ],
    });
  });
  const chosen = new Map<string, Target>();
  const expand = (name: string, seen: string[]): { name: string; group?: string }[] =>
    groups[name] && !seen.includes(name)
      ? groups[name].flatMap((n) => expand(n, [...seen, name]).map((e) => ({ ...e, group: e.group ?? name })))
      : [{ name }];
  for (const { name, group } of names.flatMap((n) => expand(n, []))) {
    const matches = targets.filter((t) => spellings(t).includes(name));
    const loose = matches.length > 0 ? matches : targets.filter((t) => t.attrName === name);
    const where = group === undefined ? "" : ` (in group '${group}' of infra.json)`;
    if (loose.length === 0) {
      if (unlisted.length > 0) {
        // The target may be defined by a flake that does not evaluate: say that, not "no such".
        const first = unlisted[0]!;
        const at = first.error.file
          ? `${first.error.file}${first.error.line ? `:${first.error.line}` : ""}: `
          : "";
        throw new FlakeError(
          `no target named '${name}'${where} could be found: the targets of flake ${first.flake} could not be listed: ${at}${first.error.message}`,
          { hints: ["Fix the flake's error above; `infra hosts` lists what evaluates."] },
        );
      }
      const close = targets
        .map((t) => t.name)
        .filter((n) => n.includes(name) || name.includes(n) || editDistance(n, name) <= 2)
        .slice(0, 5);
      throw new UsageError(`no target named '${name}'${where}`, {
        hints:
          close.length > 0
            ? [`Did you mean ${close.join(", ")}?`]
            : ["Run `infra hosts` to list the targets."],
      });
    }
    if (loose.length > 1) {
      throw new UsageError(`'${name}'${where} is ambiguous: ${loose.map((t) => t.name).join(", ")}`, {
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
