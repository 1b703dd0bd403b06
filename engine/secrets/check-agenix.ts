// The last step for an agenix secret: can this host open the file? agenix hosts decrypt with
// their SSH host key, and age writes `-> ssh-ed25519 <tag> …` for such a recipient, so a stanza
// with the host key's tag proves it. A host listed in secrets.nix by its age1 form gets an
// anonymous X25519 stanza instead; then the rule is the only evidence and the result says so.
import type { AgeHeader } from "./age.js";
import { type CheckContext, fileOption } from "./context.js";
import { type KeyIdentity, sameKey } from "./keyring.js";
import type { SecretDeclaration, Verdict } from "./types.js";

type SshIdentity = Extract<KeyIdentity, { kind: "ssh" }>;

export function agenixVerdict(
  ctx: CheckContext,
  d: SecretDeclaration,
  file: string,
  header: AgeHeader,
  host: SshIdentity,
): Verdict {
  const hasStanza = header.stanzas.some(
    (s) => (s.type === "ssh-ed25519" || s.type === "ssh-rsa") && s.tag === host.tag,
  );
  if (hasStanza) {
    return {
      status: "ok",
      evidence: "header",
      detail: `${d.host} can decrypt ${file}: its header has a stanza for ${d.host}'s host key (tag ${host.tag}).`,
    };
  }
  const rule = ctx.agenixRule(file);
  const rulesFile = ctx.input.agenix?.file ?? "secrets.nix";
  const rekey = `run \`agenix --rekey\` in ${ctx.agenixWhere}`;
  const listed = rule?.keys.find((k) => k.parsed.ok && sameKey(k.parsed.id, host));
  if (listed?.parsed.ok && listed.parsed.id.kind === "age") {
    // Listed as age1…: the header's X25519 stanzas are anonymous, count them against the rule.
    const x25519 = header.stanzas.filter((s) => s.type === "X25519").length;
    const ageKeys = rule!.keys.filter((k) => k.parsed.ok && k.parsed.id.kind === "age").length;
    if (x25519 >= ageKeys) {
      return {
        status: "ok",
        evidence: "rule",
        detail: `${rulesFile} lists ${d.host}'s age recipient for ${rule!.name} and the header has ${x25519} X25519 stanza(s); which key each is for cannot be told without a private key.`,
      };
    }
  }
  const name = rule?.name ?? ctx.agenixName(file);
  let detail: string;
  if (!ctx.input.agenix) {
    detail = `${file} is not encrypted for ${d.host}'s host key (tag ${host.tag}): add ${d.host}'s key to the publicKeys of "${name}" in secrets.nix, then ${rekey}.`;
  } else if (!rule) {
    detail = `${rulesFile} has no rule for "${name}" (${fileOption(d)}): add \`"${name}".publicKeys = [ … ${d.host} ];\`, then ${rekey}.`;
  } else if (listed) {
    detail = `${rulesFile} lists ${d.host} for "${name}" but ${file} was not re-encrypted since: ${rekey}.`;
  } else {
    detail = `${rekey} after adding ${d.host}'s key to ${rulesFile} (the publicKeys of "${name}").`;
  }
  return { status: "not-for-host", hostRecipient: host.tag, detail };
}
