// Who owns which key. Secrets name their readers in three spellings (an SSH line in
// secrets.nix or .sops.yaml, an `age1…` recipient in sops metadata, a 4-byte stanza tag in an
// age header); this index maps all three back to a host or admin name, so the check can say
// "db3" instead of "i39LWA".
import { ageSshTag, normalizeAgeRecipient, parseSshPublicKey, sshToAgeRecipient } from "./ssh-keys.js";
import type { HostKey } from "./types.js";

/** One public key in every spelling infra can compare. */
export type KeyIdentity =
  | {
      /** An OpenSSH public key line. */
      readonly kind: "ssh";
      /** ssh-ed25519 or ssh-rsa. */
      readonly type: string;
      /** The base64 field; equal keys have equal fields. */
      readonly base64: string;
      /** The comment of the key line (often user@host). */
      readonly comment: string;
      /** The age stanza tag for this key. */
      readonly tag: string;
      /** The X25519 recipient (ssh-ed25519 only), as ssh-to-age derives it. */
      readonly age?: string;
    }
  | {
      readonly kind: "age";
      /** Lower-case `age1…`. */
      readonly recipient: string;
    };

export type KeyParse = { ok: true; id: KeyIdentity } | { ok: false; error: string };

// The same key is named again and again (every sops file lists every recipient, every host is
// checked against each): a parse costs a curve conversion and a bech32 checksum, so each
// spelling is parsed once per process. Results are immutable; the bound keeps memory flat.
// The cache keeps them between runs (report.ts): `rememberKeys` seeds the memo, `learnedKeys`
// says what this process parsed that the seed did not have. Public keys only.
const IDENTIFIED = new Map<string, KeyParse>();
const LEARNED = new Set<string>();
const IDENTIFIED_LIMIT = 100_000;

/** Reads an SSH public key line or an age1 recipient. */
export function identifyKey(text: string): KeyParse {
  let parsed = IDENTIFIED.get(text);
  if (parsed === undefined) {
    if (IDENTIFIED.size >= IDENTIFIED_LIMIT) {
      IDENTIFIED.clear();
      LEARNED.clear();
    }
    parsed = identifyUncached(text);
    IDENTIFIED.set(text, parsed);
    LEARNED.add(text);
  }
  return parsed;
}

/** Seeds the memo with parses kept from an earlier run (each spelling → its parse). */
export function rememberKeys(entries: Readonly<Record<string, KeyParse>>): void {
  for (const [text, parsed] of Object.entries(entries)) {
    if (IDENTIFIED.size >= IDENTIFIED_LIMIT) break;
    if (!IDENTIFIED.has(text)) IDENTIFIED.set(text, parsed);
  }
}

/** The parses made since the last call (to keep for the next run), then forgets they were new. */
export function learnedKeys(): Record<string, KeyParse> {
  const out: Record<string, KeyParse> = {};
  for (const text of LEARNED) {
    const parsed = IDENTIFIED.get(text);
    if (parsed !== undefined) out[text] = parsed;
  }
  LEARNED.clear();
  return out;
}

function identifyUncached(text: string): KeyParse {
  const trimmed = text.trim();
  if (/^age1/i.test(trimmed)) {
    const recipient = normalizeAgeRecipient(trimmed);
    return recipient
      ? { ok: true, id: { kind: "age", recipient } }
      : { ok: false, error: "malformed age1 recipient" };
  }
  const parsed = parseSshPublicKey(trimmed);
  if (!parsed.ok) return parsed;
  const { key } = parsed;
  const age = sshToAgeRecipient(key);
  if (key.type === "ssh-ed25519" && age === undefined) {
    return { ok: false, error: "the ssh-ed25519 key is not a point on the curve" };
  }
  return {
    ok: true,
    id: {
      kind: "ssh",
      type: key.type,
      base64: key.base64,
      comment: key.comment,
      tag: ageSshTag(key),
      ...(age ? { age } : {}),
    },
  };
}

/** Whether two spellings name the same key (an SSH ed25519 key equals its age1 form). */
export function sameKey(a: KeyIdentity, b: KeyIdentity): boolean {
  if (a.kind === "ssh" && b.kind === "ssh") return a.base64 === b.base64;
  if (a.kind === "age" && b.kind === "age") return a.recipient === b.recipient;
  const ssh = a.kind === "ssh" ? a : (b as Extract<KeyIdentity, { kind: "ssh" }>);
  const age = a.kind === "age" ? a : (b as Extract<KeyIdentity, { kind: "age" }>);
  return ssh.age === age.recipient;
}

/** A short, public spelling for messages. */
export function describeKey(id: KeyIdentity): string {
  if (id.kind === "age") return `${id.recipient.slice(0, 12)}…${id.recipient.slice(-6)}`;
  const comment = id.comment ? ` (${id.comment})` : "";
  return `${id.type} …${id.base64.slice(-12)}${comment}`;
}

export interface KeyOwner {
  /** The host or admin name. */
  readonly name: string;
  /** Whether it is a host key or an admin's. */
  readonly role: "host" | "admin";
}

export interface Keyring {
  /** Each host's parsed key, or why it is unusable; absent: no key configured. */
  readonly hosts: ReadonlyMap<
    string,
    { id: Extract<KeyIdentity, { kind: "ssh" }> } | { error: string; source: string }
  >;
  /** Keys that could not be read (host or admin), for warnings. */
  readonly problems: readonly { readonly source: string; readonly error: string }[];
  /** The host or admin owning this key, if any. */
  ownerOf(id: KeyIdentity): KeyOwner | undefined;
  /** The host or admin whose SSH key has this stanza tag. */
  ownerOfTag(tag: string): KeyOwner | undefined;
}

export function buildKeyring(
  hostKeys: Readonly<Record<string, HostKey | undefined>>,
  admins: Readonly<Record<string, readonly string[]>>,
  hostKeyPath: (host: string) => string,
): Keyring {
  const hosts = new Map<
    string,
    { id: Extract<KeyIdentity, { kind: "ssh" }> } | { error: string; source: string }
  >();
  const problems: { source: string; error: string }[] = [];
  const known: { owner: KeyOwner; id: KeyIdentity }[] = [];
  for (const [host, key] of Object.entries(hostKeys)) {
    if (!key) continue;
    const source = key.source ?? hostKeyPath(host);
    const parsed = identifyKey(key.line);
    if (!parsed.ok || parsed.id.kind !== "ssh") {
      const error = parsed.ok ? "a host key must be an SSH public key line" : parsed.error;
      hosts.set(host, { error, source });
      problems.push({ source, error });
      continue;
    }
    hosts.set(host, { id: parsed.id });
    known.push({ owner: { name: host, role: "host" }, id: parsed.id });
  }
  for (const [name, keys] of Object.entries(admins)) {
    keys.forEach((line, i) => {
      const parsed = identifyKey(line);
      if (parsed.ok) known.push({ owner: { name, role: "admin" }, id: parsed.id });
      else problems.push({ source: `admin ${name}, key ${i + 1}`, error: parsed.error });
    });
  }
  return {
    hosts,
    problems,
    ownerOf: (id) => known.find((k) => sameKey(k.id, id))?.owner,
    ownerOfTag: (tag) => known.find((k) => k.id.kind === "ssh" && k.id.tag === tag)?.owner,
  };
}
