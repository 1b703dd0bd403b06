// The last steps for a sops secret: is the host among the file's age recipients (sops-nix
// hosts decrypt with their ed25519 host key converted to age), and does the sops-nix `key`
// exist and name a string? The fix depends on .sops.yaml: when its rule already lists the
// host, `sops updatekeys` is all it takes; otherwise the rule needs the host's recipient first.
import { type CheckContext, sopsCommand } from "./context.js";
import { identifyKey, type KeyIdentity, sameKey } from "./keyring.js";
import { lookupSopsKey, type SopsFile } from "./sops.js";
import type { SecretDeclaration, Verdict } from "./types.js";

type SshIdentity = Extract<KeyIdentity, { kind: "ssh" }>;

/** How many key names to list when a key is missing. */
const LIST_KEYS = 8;

type AgeEntry = SopsFile["metadata"]["age"][number];

/** A file's age entries by the keys that can open them: `ssh:<base64>`, `age:<recipient>`, `tag:<tag>`. */
const ENTRY_INDEX = new WeakMap<SopsFile, Map<string, AgeEntry[]>>();

function entryIndex(summary: SopsFile): Map<string, AgeEntry[]> {
  let index = ENTRY_INDEX.get(summary);
  if (index !== undefined) return index;
  index = new Map();
  const add = (key: string, entry: AgeEntry) => {
    const list = index!.get(key);
    if (list === undefined) index!.set(key, [entry]);
    else if (!list.includes(entry)) list.push(entry);
  };
  for (const entry of summary.metadata.age) {
    const parsed = identifyKey(entry.recipient);
    if (parsed.ok) {
      if (parsed.id.kind === "age") add(`age:${parsed.id.recipient}`, entry);
      else {
        add(`ssh:${parsed.id.base64}`, entry);
        if (parsed.id.age) add(`age:${parsed.id.age}`, entry);
      }
    }
    // sops ≥ 3.9 may wrap for an SSH recipient; its stanza then carries the host key's tag.
    if (entry.enc.kind === "age")
      for (const s of entry.enc.stanzas) if (s.type === "ssh-ed25519") add(`tag:${s.tag}`, entry);
  }
  ENTRY_INDEX.set(summary, index);
  return index;
}

/** The key groups in which this host can unwrap the data key; `damaged` if its entry is broken. */
function hostGroups(summary: SopsFile, host: SshIdentity): { groups: Set<number>; damaged: boolean } {
  const groups = new Set<number>();
  let damaged = false;
  const index = entryIndex(summary);
  const entries = new Set([
    ...(index.get(`ssh:${host.base64}`) ?? []),
    ...(host.age ? (index.get(`age:${host.age}`) ?? []) : []),
    ...(index.get(`tag:${host.tag}`) ?? []),
  ]);
  for (const entry of entries) {
    if (entry.enc.kind !== "age") damaged = true;
    else groups.add(entry.group);
  }
  return { groups, damaged };
}

function notForHost(
  ctx: CheckContext,
  d: SecretDeclaration,
  file: string,
  host: SshIdentity,
  why: string,
): Verdict {
  const recipient = host.age!;
  const update = sopsCommand(ctx, "updatekeys", file);
  const match = ctx.sopsRule(file);
  let fix: string;
  if (!match) {
    fix = `add ${d.host}'s age recipient ${recipient} to the file's creation rule in .sops.yaml, then run ${update}`;
  } else if (!match.rule) {
    fix = `no creation rule in ${ctx.sopsConfig!.file} matches ${match.relativePath}: add one whose age keys include ${d.host}'s ${recipient}, then run ${update}`;
  } else if (
    match.rule.age.some((r) => {
      const p = identifyKey(r.recipient);
      return p.ok && sameKey(p.id, host);
    })
  ) {
    fix = `${ctx.sopsConfig!.file} already lists ${d.host} (rule at line ${match.rule.line}): run ${update}`;
  } else {
    fix = `add ${d.host}'s age recipient ${recipient} to the creation rule at ${ctx.sopsConfig!.file}:${match.rule.line}, then run ${update}`;
  }
  return { status: "not-for-host", hostRecipient: recipient, detail: `${why}: ${fix}.` };
}

export function sopsVerdict(
  ctx: CheckContext,
  d: SecretDeclaration,
  file: string,
  summary: SopsFile,
  host: SshIdentity,
): Verdict {
  if (!host.age) {
    return {
      status: "not-for-host",
      detail: `sops-nix decrypts with the host's ed25519 key converted to age, and ${d.host}'s key is ${host.type}: configure ${d.host}'s ssh-ed25519 host key in ${ctx.hostKeyPath(d.host)}.`,
    };
  }
  const { groups, damaged } = hostGroups(summary, host);
  if (damaged) {
    return {
      status: "invalid",
      problem: "damaged",
      detail: `the data key that ${file} wraps for ${d.host} is damaged: run ${sopsCommand(ctx, "updatekeys", file)} (or \`sops rotate -i\`) with a key that can still open it.`,
    };
  }
  const needed = summary.metadata.keyGroups > 1 ? summary.metadata.threshold : 1;
  if (groups.size === 0) {
    return notForHost(ctx, d, file, host, `${file} is not encrypted for ${d.host}`);
  }
  if (groups.size < needed) {
    const why = `${file} needs keys from ${needed} of its ${summary.metadata.keyGroups} key groups and ${d.host} is in ${groups.size}`;
    return notForHost(ctx, d, file, host, why);
  }
  const format = d.format ?? "yaml";
  const key = d.key ?? d.name;
  // sops-nix looks keys up in YAML and JSON only; other formats are delivered whole.
  const lookup = format === "yaml" || format === "json" ? lookupSopsKey(summary, key) : undefined;
  if (lookup?.found === "missing") {
    const names = summary.keys.filter((k) => k.node === "value").map((k) => k.name);
    const some = names.slice(0, LIST_KEYS).join(", ") + (names.length > LIST_KEYS ? ", …" : "");
    return {
      status: "no-such-key",
      key,
      problem: "missing",
      detail: `${file} has no key ${lookup.missing} (sops.secrets.${d.name}.key = "${key}"; it has ${some || "no keys"}): fix the key or add it with ${sopsCommand(ctx, "", file)}.`,
    };
  }
  if (lookup?.found === "not-a-string") {
    const what =
      lookup.entry.node === "value"
        ? `a ${lookup.entry.valueType ?? "non-string"} value`
        : `a ${lookup.entry.node}`;
    return {
      status: "no-such-key",
      key,
      problem: "not-a-string",
      detail: `${lookup.entry.name} in ${file} is ${what}, but sops-nix needs a string there: point sops.secrets.${d.name}.key at a string value (nested keys are joined with "/").`,
    };
  }
  const what = lookup ? ` and it has the key ${key}` : "";
  return {
    status: "ok",
    evidence: "metadata",
    detail: `${d.host} can decrypt ${file}: its sops metadata lists ${d.host}'s age recipient${what}.`,
  };
}
