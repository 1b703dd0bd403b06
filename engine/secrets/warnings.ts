// Fleet-wide findings that are nobody's status: secrets no host declares, readers nobody
// owns (a decommissioned host, a departed admin: they can still decrypt), agenix rules and
// sops creation rules that disagree with what the files were actually encrypted to, and
// declared modes that let every user read a secret.
import { sshTags } from "./age.js";
import { type CheckContext, sopsCommand } from "./context.js";
import { describeKey, identifyKey, sameKey } from "./keyring.js";
import { normalizeRepoPath } from "./paths.js";
import type { SecretWarning } from "./types.js";

function undeclared(ctx: CheckContext, out: SecretWarning[]): void {
  const declared = new Set(ctx.input.declarations.map((d) => normalizeRepoPath(d.file)));
  const candidates = new Set<string>([
    ...ctx.agenixRules.map((r) => r.file),
    ...(ctx.input.knownSecretFiles ?? []).flatMap((f) => normalizeRepoPath(f) ?? []),
    ...ctx.input.files.keys(),
  ]);
  for (const file of [...candidates].sort()) {
    if (declared.has(file)) continue;
    const rule = ctx.agenixRules.find((r) => r.file === file);
    const where = rule ? ` (it has a rule in ${ctx.input.agenix!.file})` : "";
    out.push({
      kind: "undeclared-secret",
      file,
      message: `no host declares ${file}${where}: delete it and its rule, or declare it where it is needed.`,
    });
  }
}

function agenixRules(ctx: CheckContext, out: SecretWarning[]): void {
  const rulesFile = ctx.input.agenix?.file ?? "secrets.nix";
  const rekey = `run \`agenix --rekey\` in ${ctx.agenixWhere}`;
  for (const rule of ctx.agenixRules) {
    for (const [i, key] of rule.keys.entries()) {
      if (!key.parsed.ok) {
        out.push({
          kind: "invalid-key",
          source: `${rulesFile}, "${rule.name}" key ${i + 1}`,
          file: rule.file,
          message: `${rulesFile}: publicKeys entry ${i + 1} of "${rule.name}" is unusable (${key.parsed.error}).`,
        });
      } else if (!ctx.keyring.ownerOf(key.parsed.id)) {
        const recipient = describeKey(key.parsed.id);
        out.push({
          kind: "unowned-recipient",
          file: rule.file,
          source: "secrets.nix",
          recipient,
          message: `${rulesFile} lets ${recipient} decrypt "${rule.name}", a key no host or admin owns: remove it, then ${rekey}.`,
        });
      }
    }
    const facts = ctx.input.files.get(rule.file);
    const header = facts?.state === "read" && facts.age?.kind === "age" ? facts.age : undefined;
    if (!header) continue;
    const tags = sshTags(header);
    const ruleTags = new Set(
      rule.keys.flatMap((k) => (k.parsed.ok && k.parsed.id.kind === "ssh" ? [k.parsed.id.tag] : [])),
    );
    for (const key of rule.keys) {
      if (!key.parsed.ok || key.parsed.id.kind !== "ssh" || tags.includes(key.parsed.id.tag)) continue;
      const owner = ctx.keyring.ownerOf(key.parsed.id);
      const who = owner?.name ?? describeKey(key.parsed.id);
      out.push({
        kind: "rule-header-mismatch",
        file: rule.file,
        direction: "rule-only",
        ...(owner ? { owner: owner.name } : {}),
        message: `${rulesFile} lists ${who} for "${rule.name}" but ${rule.file} is not encrypted to that key: ${rekey}.`,
      });
    }
    for (const tag of tags) {
      if (ruleTags.has(tag)) continue;
      const owner = ctx.keyring.ownerOfTag(tag);
      const who = owner ? `${owner.name}'s key` : `an SSH key with tag ${tag} that no host or admin owns`;
      out.push({
        kind: "rule-header-mismatch",
        file: rule.file,
        direction: "header-only",
        ...(owner ? { owner: owner.name } : {}),
        message: `${rule.file} can still be opened by ${who}, which ${rulesFile} does not list for "${rule.name}": ${rekey}.`,
      });
    }
    const x25519 = header.stanzas.filter((s) => s.type === "X25519").length;
    const ageKeys = rule.keys.filter((k) => k.parsed.ok && k.parsed.id.kind === "age").length;
    if (x25519 !== ageKeys) {
      out.push({
        kind: "rule-header-mismatch",
        file: rule.file,
        direction: x25519 > ageKeys ? "header-only" : "rule-only",
        message: `${rule.file} has ${x25519} X25519 stanza(s) but ${rulesFile} lists ${ageKeys} age1 recipient(s) for "${rule.name}": ${rekey}.`,
      });
    }
  }
}

function fileHeaders(ctx: CheckContext, out: SecretWarning[]): void {
  for (const facts of ctx.input.files.values()) {
    if (facts.state !== "read") continue;
    if (facts.age?.kind === "age") {
      if (facts.age.stanzas.some((s) => s.type === "scrypt")) {
        out.push({
          kind: "passphrase-encrypted",
          file: facts.path,
          message: `${facts.path} is encrypted with a passphrase (scrypt), which no host can use: re-encrypt it to the hosts' keys.`,
        });
      }
      // Tags outside any rule are reported with the rule above; here only rule-less files.
      if (ctx.agenixRule(facts.path)) continue;
      for (const tag of sshTags(facts.age)) {
        if (ctx.keyring.ownerOfTag(tag)) continue;
        out.push({
          kind: "unowned-recipient",
          file: facts.path,
          source: "header",
          recipient: tag,
          message: `${facts.path} can be opened by an SSH key with tag ${tag} that no host or admin owns: re-encrypt it without that key.`,
        });
      }
    }
    if (facts.sops?.kind === "sops") {
      for (const entry of facts.sops.metadata.age) {
        const parsed = identifyKey(entry.recipient);
        if (parsed.ok && ctx.keyring.ownerOf(parsed.id)) continue;
        const recipient = parsed.ok ? describeKey(parsed.id) : "an unreadable recipient";
        out.push({
          kind: "unowned-recipient",
          file: facts.path,
          source: "sops-metadata",
          recipient,
          message: `${facts.path} is encrypted to ${recipient}, which no host or admin owns: remove it from .sops.yaml, then run ${sopsCommand(ctx, "updatekeys", facts.path)}.`,
        });
      }
    }
  }
}

function sopsRules(ctx: CheckContext, out: SecretWarning[]): void {
  const config = ctx.sopsConfig;
  if (!config) return;
  for (const rule of config.rules) {
    for (const r of rule.age) {
      const parsed = identifyKey(r.recipient);
      if (parsed.ok && ctx.keyring.ownerOf(parsed.id)) continue;
      const recipient = parsed.ok ? describeKey(parsed.id) : "an unreadable recipient";
      out.push({
        kind: "unowned-recipient",
        file: config.file,
        source: ".sops.yaml",
        recipient,
        message: `${config.file}:${r.line} lists ${recipient}, which no host or admin owns: remove it and run \`sops updatekeys\` on the files of that rule.`,
      });
    }
  }
}

/** .sops.yaml says one thing, the file's metadata another: `sops updatekeys` reconciles them. */
function sopsDrift(ctx: CheckContext, out: SecretWarning[]): void {
  const config = ctx.sopsConfig;
  if (!config) return;
  for (const facts of ctx.input.files.values()) {
    if (facts.state !== "read" || facts.sops?.kind !== "sops") continue;
    const rule = ctx.sopsRule(facts.path)?.rule;
    if (!rule) continue;
    const inFile = facts.sops.metadata.age.flatMap((e) => {
      const p = identifyKey(e.recipient);
      return p.ok ? [p.id] : [];
    });
    const inRule = rule.age.flatMap((r) => {
      const p = identifyKey(r.recipient);
      return p.ok ? [p.id] : [];
    });
    const update = `run ${sopsCommand(ctx, "updatekeys", facts.path)}`;
    for (const id of inRule) {
      if (inFile.some((f) => sameKey(f, id))) continue;
      const owner = ctx.keyring.ownerOf(id);
      out.push({
        kind: "rule-header-mismatch",
        file: facts.path,
        direction: "rule-only",
        ...(owner ? { owner: owner.name } : {}),
        message: `${config.file}:${rule.line} lists ${owner?.name ?? describeKey(id)} but ${facts.path} is not encrypted to it: ${update}.`,
      });
    }
    for (const id of inFile) {
      if (inRule.some((r) => sameKey(r, id))) continue;
      const owner = ctx.keyring.ownerOf(id);
      out.push({
        kind: "rule-header-mismatch",
        file: facts.path,
        direction: "header-only",
        ...(owner ? { owner: owner.name } : {}),
        message: `${facts.path} is still encrypted to ${owner?.name ?? describeKey(id)}, which its rule at ${config.file}:${rule.line} does not list: ${update}.`,
      });
    }
  }
}

function modes(ctx: CheckContext, out: SecretWarning[]): void {
  for (const d of ctx.input.declarations) {
    if (d.mode === undefined || !/^0?[0-7]{3,4}$/.test(d.mode)) continue;
    // The last octal digit is "others": 4 = read.
    if ((Number.parseInt(d.mode.slice(-1), 8) & 4) === 0) continue;
    const attr = d.backend === "agenix" ? "age" : "sops";
    out.push({
      kind: "world-readable",
      host: d.host,
      file: d.file,
      message: `${d.host}: ${attr}.secrets.${d.name}.mode = "${d.mode}" lets every user on the host read it: use "0400" (or "0440" with a group).`,
    });
  }
}

export function collectWarnings(ctx: CheckContext): SecretWarning[] {
  const out: SecretWarning[] = [];
  for (const p of ctx.keyring.problems) {
    out.push({
      kind: "invalid-key",
      source: p.source,
      message: `${p.source}: not a usable public key (${p.error}).`,
    });
  }
  undeclared(ctx, out);
  agenixRules(ctx, out);
  fileHeaders(ctx, out);
  sopsRules(ctx, out);
  sopsDrift(ctx, out);
  modes(ctx, out);
  return out;
}
