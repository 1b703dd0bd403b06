// sops documents written the way sops writes them (stores/{yaml,json,dotenv,ini}), without a
// sops binary (Debian has none here): the metadata has sops' shape and key names, each data
// key is really wrapped with the age binary (`enc`), and values are `ENC[AES256_GCM,…]`
// envelopes with random, opaque contents: the parser must never need to open them.
import { randomBytes } from "node:crypto";
import { stringify } from "yaml";
import { age } from "./tools.js";

/** A document body: nested maps of strings (leaves are envelopes or, on purpose, plaintext). */
export type SopsData = { [key: string]: string | SopsData | string[] };

/** An opaque envelope, as sops writes one. */
export function envelope(type = "str"): string {
  const b64 = (n: number) => randomBytes(n).toString("base64");
  return `ENC[AES256_GCM,data:${b64(12)},iv:${b64(32)},tag:${b64(16)},type:${type}]`;
}

/** A 32-byte data key wrapped for `recipient` by the real age binary, armored as sops stores it. */
export function wrapDataKey(recipient: string): string {
  const flag = recipient.startsWith("age1") ? "-r" : "-R";
  return age(["-a", flag, recipient], randomBytes(32)).toString("latin1");
}

export interface SopsMetaSpec {
  /** Age recipients; `enc` defaults to a real wrap for that recipient. */
  age?: { recipient: string; enc?: string }[];
  /** Key groups instead of top-level keys. */
  keyGroups?: { age: { recipient: string; enc?: string }[] }[];
  shamirThreshold?: number;
  unencryptedSuffix?: string;
  encryptedRegex?: string;
  pgp?: string[];
}

/** The `sops` mapping as sops ≥ 3.9 writes it (empty lists omitted). */
export function sopsMetadata(spec: SopsMetaSpec): Record<string, unknown> {
  const ageList = (list: { recipient: string; enc?: string }[]) =>
    list.map((a) => ({ recipient: a.recipient, enc: a.enc ?? wrapDataKey(a.recipient) }));
  const meta: Record<string, unknown> = {};
  if (spec.keyGroups) {
    meta.shamir_threshold = spec.shamirThreshold ?? spec.keyGroups.length;
    meta.key_groups = spec.keyGroups.map((g) => ({ age: ageList(g.age) }));
  }
  if (spec.age) meta.age = ageList(spec.age);
  meta.lastmodified = "2025-01-02T03:04:05Z";
  meta.mac = envelope();
  if (spec.pgp)
    meta.pgp = spec.pgp.map((fp) => ({
      created_at: "2025-01-02T03:04:05Z",
      enc: "-----BEGIN PGP MESSAGE-----\n\nx\n-----END PGP MESSAGE-----\n",
      fp,
    }));
  meta.unencrypted_suffix = spec.unencryptedSuffix ?? "_unencrypted";
  if (spec.encryptedRegex) meta.encrypted_regex = spec.encryptedRegex;
  meta.version = "3.9.4";
  return meta;
}

export function sopsYaml(data: SopsData, meta: SopsMetaSpec): string {
  return stringify({ ...data, sops: sopsMetadata(meta) }, { indent: 4, lineWidth: 0 });
}

export function sopsJson(data: SopsData, meta: SopsMetaSpec): string {
  return `${JSON.stringify({ ...data, sops: sopsMetadata(meta) }, null, "\t")}\n`;
}

/** sops' binary store: the whole file as one envelope under `data`. */
export function sopsBinary(meta: SopsMetaSpec): string {
  return sopsJson({ data: envelope() }, meta);
}

/** sops' flatten.go: nested maps/lists become `a__map_b` / `a__list_0` keys. */
function flatten(value: unknown, prefix: string, out: [string, string][]): void {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) flatten(v, `${prefix}__list_${i}`, out);
  } else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) flatten(v, `${prefix}__map_${k}`, out);
  } else out.push([prefix, String(value)]);
}

function flatMeta(meta: SopsMetaSpec): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(sopsMetadata(meta))) {
    if (typeof v === "object") flatten(v, k, out);
    else out.push([k, String(v)]);
  }
  return out;
}

/** dotenv: flat data; metadata flattened with the `sops_` prefix, newlines as `\n`. */
export function sopsDotenv(data: Record<string, string>, meta: SopsMetaSpec): string {
  const lines = Object.entries(data).map(([k, v]) => `${k}=${v}`);
  for (const [k, v] of flatMeta(meta)) lines.push(`sops_${k}=${v.replaceAll("\n", "\\n")}`);
  return `${lines.join("\n")}\n`;
}

/** INI: one level of sections; metadata in `[sops]`, flattened below the top, newlines as `\n`. */
export function sopsIni(data: Record<string, Record<string, string>>, meta: SopsMetaSpec): string {
  const parts = Object.entries(data).map(
    ([section, keys]) =>
      `[${section}]\n${Object.entries(keys)
        .map(([k, v]) => `${k} = ${v}`)
        .join("\n")}\n`,
  );
  const metaLines = flatMeta(meta).map(([k, v]) => `${k} = ${v.replaceAll("\n", "\\n")}`);
  parts.push(`[sops]\n${metaLines.join("\n")}\n`);
  return parts.join("\n");
}
