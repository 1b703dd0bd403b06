// Choosing targets from the command line: names, `kind:name`, `flake#name`, infra.json groups.
import { UsageError } from "../../errors/index.js";
import type { Target } from "./targets.js";

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
