// OpenSSH public keys, as hosts publish them (`/etc/ssh/ssh_host_ed25519_key.pub`) and as
// agenix's secrets.nix lists them, and the two age identities derived from them:
//
//   * the ssh-ed25519 / ssh-rsa stanza tag: age writes `-> ssh-ed25519 <tag> <share>` with
//     tag = base64(SHA-256(wire-format public key)[0..4]) (agessh.sshFingerprint), so a header
//     tells *which* SSH key can open it without any private key;
//   * the X25519 recipient `age1…` that ssh-to-age computes from an ed25519 host key, which is
//     what sops-nix hosts decrypt with (sops.age.sshKeyPaths).
//
// Libraries: sshpk parses the key line and gives its RFC 4253 wire form (the blob age hashes);
// @noble/curves does the Edwards→Montgomery conversion (u = (1+y)/(1−y), with point validation)
// and @scure/base the bech32 and strict base64. Nothing here is hand-rolled crypto or parsing.
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { ed25519 } from "@noble/curves/ed25519.js";
import { base64, base64nopad, bech32 } from "@scure/base";
import type Sshpk from "sshpk";
import { ConfigError } from "../../errors/index.js";

// sshpk (CommonJS) takes ~50 ms to load; a warm run answers every key from the cache
// (keyring.ts), so it is loaded on the first key that needs parsing.
let sshpkModule: typeof Sshpk | undefined;
const sshpk = (): typeof Sshpk => {
  sshpkModule ??= createRequire(import.meta.url)("sshpk") as typeof Sshpk;
  return sshpkModule;
};

/** A parsed OpenSSH public key line. Public data only. */
export interface SshPublicKey {
  /** The key type named in the line and inside the blob, e.g. `ssh-ed25519`. */
  readonly type: string;
  /** The SSH wire-format public key (the decoded base64 field), what age hashes for the tag. */
  readonly wire: Uint8Array;
  /** The base64 field exactly as written; two lines name the same key iff this is equal. */
  readonly base64: string;
  /** The comment after the key (often user@host), or "" when there is none. */
  readonly comment: string;
}

/** The outcome of parsing a key line, for callers that report instead of throwing. */
export type SshKeyParse = { ok: true; key: SshPublicKey } | { ok: false; error: string };

/** The key types age can encrypt to (agessh.ParseRecipient). */
const AGE_SSH_TYPES = new Set(["ssh-ed25519", "ssh-rsa"]);

/** age's X25519 recipients are bech32 with this human-readable part. */
const AGE_HRP = "age";

/**
 * Parses `type base64 [comment]` (one line of a `.pub` file or an agenix publicKeys entry).
 * Never echoes the input in an error: a mistaken paste may be a private key.
 */
export function parseSshPublicKey(line: string): SshKeyParse {
  const text = line.trim();
  if (text === "") return { ok: false, error: "the key line is empty" };
  if (text.includes("PRIVATE KEY")) {
    return { ok: false, error: "this is a private key, not a public key line: use the .pub file" };
  }
  if (text.startsWith("age1")) {
    return { ok: false, error: "this is an age recipient (age1…), not an OpenSSH public key line" };
  }
  const fields = text.split(/\s+/);
  const [type, encoded] = fields;
  if (type === undefined || encoded === undefined) {
    return {
      ok: false,
      error: "expected `<type> <base64> [comment]`, e.g. `ssh-ed25519 AAAAC3Nz… root@host`",
    };
  }
  if (!/^[a-z0-9@.-]+$/.test(type)) {
    return {
      ok: false,
      error: "the line does not start with a key type (authorized_keys options are not supported here)",
    };
  }
  if (!AGE_SSH_TYPES.has(type)) {
    return { ok: false, error: `age cannot encrypt to ${type} keys; use an ssh-ed25519 (or ssh-rsa) key` };
  }
  let blob: Uint8Array;
  try {
    // Strict (padded, canonical) base64, as ssh-keygen writes it.
    blob = base64.decode(encoded);
  } catch {
    return { ok: false, error: "the key field is not valid base64" };
  }
  let parsed: Sshpk.Key;
  try {
    parsed = sshpk().parseKey(Buffer.from(blob), "rfc4253");
  } catch {
    // sshpk's message may quote the input: say what is wrong in our own words.
    return {
      ok: false,
      error:
        type === "ssh-ed25519"
          ? "an ssh-ed25519 key blob must hold exactly one 32-byte public key"
          : `malformed ${type} key blob`,
    };
  }
  const typeOf: Record<string, string> = { ed25519: "ssh-ed25519", rsa: "ssh-rsa" };
  if (typeOf[parsed.type] !== type)
    return { ok: false, error: `the line says ${type} but the key inside is of another type` };
  const wire = new Uint8Array(parsed.toBuffer("rfc4253"));
  return { ok: true, key: { type, wire, base64: encoded, comment: fields.slice(2).join(" ") } };
}

/** Like {@link parseSshPublicKey} but throws a ConfigError naming `source` (e.g. the .pub file). */
export function requireSshPublicKey(line: string, source: string): SshPublicKey {
  const parsed = parseSshPublicKey(line);
  if (!parsed.ok) {
    throw new ConfigError(`${source}: not a usable OpenSSH public key: ${parsed.error}`, {
      code: "E_SECRETS_SSH_KEY",
      hints: [`Replace it with the host's key, e.g. \`ssh-keyscan -t ed25519 <host> | cut -d' ' -f2-\`.`],
    });
  }
  return parsed.key;
}

/** The tag age writes in `-> ssh-ed25519 <tag> …` / `-> ssh-rsa <tag>` stanzas for this key. */
export function ageSshTag(key: SshPublicKey): string {
  const digest = createHash("sha256").update(key.wire).digest();
  return base64nopad.encode(digest.subarray(0, 4));
}

/** The raw 32-byte ed25519 public key of an ssh-ed25519 key. */
export function ed25519PublicKey(key: SshPublicKey): Uint8Array {
  if (key.type !== "ssh-ed25519") throw new ConfigError(`not an ssh-ed25519 key (${key.type})`);
  // The blob is string("ssh-ed25519") then string(32-byte key): the key ends it.
  return key.wire.subarray(key.wire.length - 32);
}

/**
 * The age X25519 recipient (`age1…`) of an ssh-ed25519 key, as `ssh-to-age` computes it: the
 * Edwards point converted to its Montgomery u-coordinate, bech32-encoded with HRP `age`.
 * Returns undefined for ssh-rsa keys (they have no X25519 form) and for bytes that are not a
 * point on the curve (noble validates the point; ssh-to-age would fail the same way).
 */
export function sshToAgeRecipient(key: SshPublicKey): string | undefined {
  if (key.type !== "ssh-ed25519") return undefined;
  let u: Uint8Array;
  try {
    u = ed25519.utils.toMontgomery(ed25519PublicKey(key));
  } catch {
    return undefined;
  }
  return bech32.encode(AGE_HRP, bech32.toWords(u));
}

/**
 * Decodes an age X25519 recipient to its 32 bytes, or undefined when it is not one. Used to
 * compare recipients byte-wise (bech32 is case-insensitive, sops lower-cases).
 */
export function decodeAgeRecipient(recipient: string): Uint8Array | undefined {
  const text = recipient.trim();
  if (!/^age1[02-9ac-hj-np-z]+$/i.test(text)) return undefined;
  try {
    const { prefix, words } = bech32.decode(text as `${string}1${string}`);
    if (prefix !== AGE_HRP) return undefined;
    const bytes = bech32.fromWords(words);
    return bytes.length === 32 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/** The canonical (lower-case, trimmed) spelling of an age recipient, or undefined. */
export function normalizeAgeRecipient(recipient: string): string | undefined {
  const bytes = decodeAgeRecipient(recipient);
  return bytes ? bech32.encode(AGE_HRP, bech32.toWords(bytes)) : undefined;
}
