// `@group` on the deploy command line: an infra.json group or a tag (infra.json or colmena).
// Plain names (and infra.json groups without `@`) are selectTargets' business. Pure.
import { UsageError } from "../../errors/index.js";

export function isAtName(name: string): boolean {
  return name.startsWith("@") && name.length > 1;
}

/** Replaces each `@name` by the members of the group and of the tag of that name. */
export function expandAtNames(
  names: string[],
  groups: Record<string, string[]>,
  tags: Map<string, string[]>,
): string[] {
  const out: string[] = [];
  for (const name of names) {
    if (!isAtName(name)) {
      out.push(name);
      continue;
    }
    const key = name.slice(1);
    const members = [...(groups[key] ?? []), ...(tags.get(key) ?? [])];
    if (groups[key] === undefined && !tags.has(key)) {
      const known = [...Object.keys(groups), ...tags.keys()].sort();
      throw new UsageError(`no group or tag named '${key}' (${name})`, {
        hints: [
          known.length > 0
            ? `Known groups and tags: ${known.map((k) => `@${k}`).join(", ")}.`
            : 'Define groups in infra.json ("groups": {"web": ["web1"]}) or tags (deploy.targets.<name>.tags, colmena deployment.tags).',
        ],
      });
    }
    out.push(...members);
  }
  return [...new Set(out)];
}
