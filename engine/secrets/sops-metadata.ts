// The `sops` metadata of an encrypted file: its master keys (age recipients with the header of
// each wrapped data key, PGP fingerprints, cloud KMS ids), key groups and Shamir threshold,
// the MAC's presence. Shapes follow sops' stores/stores.go; every `enc` blob is reduced to its
// age header summary and nothing else is kept.
import { type AgeFileSummary, parseAgeHeader } from "./age.js";

/** A sops value envelope: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`. */
export const ENVELOPE = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]$/s;

/** A non-empty string, else undefined. */
export function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** One age recipient from the metadata. */
export interface SopsAgeKey {
  /** The recipient as written (`age1…`, or an SSH key line for sops ≥ 3.9). */
  readonly recipient: string;
  /** Which key group it belongs to (0 without key_groups). */
  readonly group: number;
  /** The header of its `enc` (the data key wrapped with age), parsed like any age file. */
  readonly enc: AgeFileSummary;
}

/** The `sops` metadata, minus every encrypted blob. */
export interface SopsMetadata {
  /** Age recipients, key groups flattened in order. */
  readonly age: readonly SopsAgeKey[];
  /** PGP fingerprints. */
  readonly pgp: readonly string[];
  /** Cloud and Vault keys, by kind and identifier (ARN, resource id, …). */
  readonly otherKeys: readonly { readonly type: string; readonly id: string }[];
  /** 1 without key_groups. */
  readonly keyGroups: number;
  /** How many key groups are needed to decrypt (Shamir); all of them when unset. */
  readonly threshold: number;
  /** `lastmodified` as written (RFC 3339). */
  readonly lastModified?: string;
  /** The sops version that wrote the file. */
  readonly version?: string;
  /** Whether `mac` is present and an ENC envelope. */
  readonly hasMac: boolean;
}

function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value)
    ? value.filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null)
    : [];
}

interface KeyAccumulator {
  age: SopsAgeKey[];
  pgp: string[];
  otherKeys: { type: string; id: string }[];
}

/** The master keys of one group (top level or a key_groups entry, with its `merge`s). */
function groupKeys(group: Record<string, unknown>, index: number, out: KeyAccumulator): void {
  for (const k of records(group.age)) {
    const recipient = str(k.recipient) ?? "";
    const enc = str(k.enc);
    out.age.push({
      recipient,
      group: index,
      enc: enc ? parseAgeHeader(Buffer.from(enc, "latin1")) : { kind: "not-age", reason: "no enc" },
    });
  }
  for (const k of records(group.pgp)) out.pgp.push(str(k.fp) ?? "");
  const ids: [string, string[]][] = [
    ["kms", ["arn"]],
    ["gcp_kms", ["resource_id"]],
    ["azure_kv", ["vault_url", "name"]],
    ["hc_vault", ["vault_address", "engine_path", "key_name"]],
    ["hckms", ["key_id"]],
  ];
  for (const [type, fields] of ids) {
    for (const k of records(group[type])) {
      out.otherKeys.push({ type, id: fields.map((f) => str(k[f]) ?? "").join("/") });
    }
  }
  for (const merged of records(group.merge)) groupKeys(merged, index, out);
}

/** Reads the metadata mapping; returns a reason when it is unusable. */
export function metadataFrom(meta: unknown): SopsMetadata | string {
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) return "`sops` is not a mapping";
  const m = meta as Record<string, unknown>;
  const out: KeyAccumulator = { age: [], pgp: [], otherKeys: [] };
  const groups = records(m.key_groups);
  if (groups.length > 0) for (const [i, g] of groups.entries()) groupKeys(g, i, out);
  else groupKeys(m, 0, out);
  if (out.age.length + out.pgp.length + out.otherKeys.length === 0) return "the sops metadata lists no key";
  const mac = str(m.mac);
  const threshold = Number(m.shamir_threshold);
  const keyGroups = Math.max(groups.length, 1);
  return {
    ...out,
    keyGroups,
    // sops stores the threshold it used; 0/absent means "every group" (sops.go).
    threshold: Number.isInteger(threshold) && threshold > 0 ? threshold : keyGroups,
    hasMac: mac !== undefined && ENVELOPE.test(mac),
    ...(str(m.lastmodified) ? { lastModified: str(m.lastmodified) } : {}),
    ...(typeof m.version === "string" || typeof m.version === "number" ? { version: String(m.version) } : {}),
  };
}
