// The structure of a sops-encrypted file, without decrypting it: the `sops` metadata (who can
// open it), whether every value is an `ENC[AES256_GCM,…]` envelope, and which keys exist
// (sops-nix's `key` option names nested keys with `/`). The summary holds key names, lines
// and envelope types, never a value: for a plaintext leaf we name its key path only.
//
// Which leaves sops encrypts follows sops.go shouldBeEncrypted: unencrypted_suffix,
// encrypted_suffix, unencrypted_regex and encrypted_regex are checked against the map keys
// on the path (list indices are not part of it). The comment-driven rules cannot be judged
// without the comments' text, so with them set a plaintext leaf is `unknown`, not flagged.
import { ENVELOPE, metadataFrom, type SopsMetadata, str } from "./sops-metadata.js";

export type { SopsAgeKey, SopsMetadata } from "./sops-metadata.js";

import {
  type FlatEntry,
  parseDotenvTree,
  parseIniTree,
  parseJsonTree,
  parseYamlTree,
  type TreeNode,
  type TreeParse,
  toPlain,
  unflatten,
} from "./sops-tree.js";

/** The file formats of sops (and of sops-nix's `format` option). */
export type SopsFormat = "yaml" | "json" | "dotenv" | "ini" | "binary";

/** How sops picks a store from a file name (cmd/sops/common FormatForPath). */
export function sopsFormatForPath(path: string): SopsFormat {
  if (/\.ya?ml$/i.test(path)) return "yaml";
  if (/\.json$/i.test(path)) return "json";
  if (/\.env$/i.test(path)) return "dotenv";
  if (/\.ini$/i.test(path)) return "ini";
  return "binary";
}

/** How a value is stored. Never the value itself. */
export type SopsLeafState =
  /** An `ENC[AES256_GCM,…]` envelope. */
  | "encrypted"
  /** Not encrypted although sops would have encrypted it: a leaked value. */
  | "plaintext"
  /** Not encrypted, as the file's unencrypted_suffix/regex rules allow. */
  | "unencrypted"
  /** Not encrypted, under comment-driven rules infra cannot judge. */
  | "unknown"
  /** An empty string or null (sops leaves those as they are). */
  | "empty";

/** One key of the document (outside `sops`). */
export interface SopsKeyEntry {
  /** The map keys from the root; list items appear as `[i]`. */
  readonly path: readonly string[];
  /** sops-nix's spelling: the path joined with `/`. */
  readonly name: string;
  /** What is at this key. */
  readonly node: "dictionary" | "list" | "value";
  /** For values: how it is stored. */
  readonly state?: SopsLeafState;
  /** For encrypted values: the envelope's `type:` (str, int, float, bool, bytes, …). */
  readonly valueType?: string;
  /** 1-based line of the key, when the format has lines. */
  readonly line?: number;
}

/** A well-formed sops file. */
export interface SopsFile {
  /** Discriminant: a sops file with usable metadata. */
  readonly kind: "sops";
  /** The format it was read as. */
  readonly format: SopsFormat;
  /** The `sops` metadata. */
  readonly metadata: SopsMetadata;
  /** Every key outside `sops`, in document order. */
  readonly keys: readonly SopsKeyEntry[];
  /** The first key whose value is plaintext although sops would encrypt it. */
  readonly firstPlaintext?: { readonly name: string; readonly line?: number };
}

/** No sops metadata: the file is plaintext (or at least not sops). */
export interface NotSops {
  /** Discriminant: no sops metadata (plaintext). */
  readonly kind: "not-sops";
  /** The format it was read as. */
  readonly format: SopsFormat;
  /** Why, without quoting content. */
  readonly reason: string;
  /** The keys, when the file parsed at all. */
  readonly keys: readonly SopsKeyEntry[];
  /** The first key with a non-empty value, when there is one. */
  readonly firstPlaintext?: { readonly name: string; readonly line?: number };
}

/** Has sops traces but cannot be used as it is. */
export interface DamagedSops {
  /** Discriminant: sops traces, but unusable. */
  readonly kind: "damaged";
  /** The format it was read as. */
  readonly format: SopsFormat;
  /** What is wrong, without quoting content. */
  readonly reason: string;
  /** 1-based line, when known. */
  readonly line?: number;
}

export type SopsFileSummary = SopsFile | NotSops | DamagedSops;

type Rules = { encrypted: (path: readonly string[]) => boolean | "unknown" };

/**
 * sops' regexes are Go RE2. The common `(?i)` prefix becomes a JS flag; for the rest the two
 * agree on what .sops.yaml files use. Returns undefined for what JS cannot compile.
 */
export function compileGoRegex(source: string): RegExp | undefined {
  const insensitive = source.startsWith("(?i)");
  try {
    return new RegExp(insensitive ? source.slice(4) : source, insensitive ? "i" : "");
  } catch {
    return undefined;
  }
}

function rulesFrom(meta: Record<string, unknown>): Rules {
  const unencSuffix = str(meta.unencrypted_suffix);
  const encSuffix = str(meta.encrypted_suffix);
  const unencRegex = str(meta.unencrypted_regex);
  const encRegex = str(meta.encrypted_regex);
  const commentRules = str(meta.unencrypted_comment_regex) ?? str(meta.encrypted_comment_regex);
  const unencRe = unencRegex === undefined ? undefined : compileGoRegex(unencRegex);
  const encRe = encRegex === undefined ? undefined : compileGoRegex(encRegex);
  return {
    encrypted: (path) => {
      if ((unencRegex && !unencRe) || (encRegex && !encRe) || commentRules) return "unknown";
      let encrypted = true;
      if (unencSuffix && path.some((k) => k.endsWith(unencSuffix))) encrypted = false;
      if (encSuffix) encrypted = path.some((k) => k.endsWith(encSuffix));
      if (unencRe && path.some((k) => unencRe.test(k))) encrypted = false;
      if (encRe) encrypted = path.some((k) => encRe.test(k));
      return encrypted;
    },
  };
}

/** Walks the document, collecting keys and judging leaves. `rules` undefined: not a sops file. */
function collectKeys(root: TreeNode, rules: Rules | undefined): SopsKeyEntry[] {
  const keys: SopsKeyEntry[] = [];
  const visit = (node: TreeNode, path: string[], mapPath: string[], line: number | undefined) => {
    const name = path.join("/");
    const base = { path, name, ...(line === undefined ? {} : { line }) };
    if (node.kind === "map") {
      if (path.length > 0) keys.push({ ...base, node: "dictionary" });
      for (const e of node.entries) {
        if (path.length === 0 && e.key === "sops") continue;
        visit(e.value, [...path, e.key], [...mapPath, e.key], e.line);
      }
    } else if (node.kind === "list") {
      keys.push({ ...base, node: "list" });
      for (const [i, item] of node.items.entries())
        visit(item, [...path, `[${i}]`], mapPath, item.line ?? line);
    } else if (node.kind === "alias") {
      // An alias repeats a value judged where its anchor is.
      keys.push({ ...base, node: "value", state: "unknown" });
    } else {
      const v = node.value;
      const envelope = typeof v === "string" ? ENVELOPE.exec(v) : null;
      if (envelope) keys.push({ ...base, node: "value", state: "encrypted", valueType: envelope[4]! });
      else if (v === null || v === "") keys.push({ ...base, node: "value", state: "empty" });
      else {
        const should = rules ? rules.encrypted(mapPath) : true;
        const state = should === "unknown" ? "unknown" : should ? "plaintext" : "unencrypted";
        keys.push({ ...base, node: "value", state });
      }
    }
  };
  visit(root, [], [], undefined);
  return keys;
}

function firstPlaintext(keys: readonly SopsKeyEntry[]) {
  const leak = keys.find((k) => k.state === "plaintext");
  return leak ? { name: leak.name, ...(leak.line === undefined ? {} : { line: leak.line }) } : undefined;
}

/** Parses the whole document (callers pass files of at most AGE_HEADER_LIMIT bytes). */
export function parseSopsFile(bytes: Uint8Array, format: SopsFormat): SopsFileSummary {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("utf8");
  if (text.trim() === "") return { kind: "damaged", format, reason: "the file is empty" };
  let tree: TreeParse;
  let flat: FlatEntry[] | undefined;
  if (format === "dotenv" || format === "ini") {
    const parsed = format === "dotenv" ? parseDotenvTree(text) : parseIniTree(text);
    tree = parsed.tree;
    flat = parsed.metadata;
  } else {
    tree = format === "yaml" ? parseYamlTree(text) : parseJsonTree(text);
  }
  if (!tree.ok) {
    // Unparsable and without a single envelope: most likely a plaintext file, say so.
    if (!text.includes("ENC[AES256_GCM,")) {
      return {
        kind: "not-sops",
        format,
        reason: `it is ${tree.reason} and holds no sops envelope`,
        keys: [],
      };
    }
    return { kind: "damaged", format, reason: tree.reason, ...(tree.line ? { line: tree.line } : {}) };
  }
  const root = tree.root;
  const sopsEntry = root.kind === "map" ? root.entries.find((e) => e.key === "sops") : undefined;
  const rawMeta = flat
    ? flat.length > 0
      ? unflatten(flat)
      : undefined
    : sopsEntry && toPlain(sopsEntry.value);
  if (rawMeta === undefined) {
    // Envelopes without metadata in this shape: most likely the wrong `format`, not plaintext.
    if (text.includes("ENC[AES256_GCM,")) {
      return {
        kind: "damaged",
        format,
        reason: `it holds sops envelopes but no sops metadata readable as ${format}`,
      };
    }
    const keys = collectKeys(root, undefined);
    const first = firstPlaintext(keys);
    return {
      kind: "not-sops",
      format,
      reason: "it has no sops metadata",
      keys,
      ...(first ? { firstPlaintext: first } : {}),
    };
  }
  const metadata = metadataFrom(rawMeta);
  if (typeof metadata === "string") {
    return {
      kind: "damaged",
      format,
      reason: metadata,
      ...(sopsEntry?.line ? { line: sopsEntry.line } : {}),
    };
  }
  const keys = collectKeys(root, rulesFrom(rawMeta as Record<string, unknown>));
  const first = firstPlaintext(keys);
  return { kind: "sops", format, metadata, keys, ...(first ? { firstPlaintext: first } : {}) };
}

/** What a sops-nix `key` finds (recurseSecretKey: `/`-separated map keys, ending at a string). */
export type SopsKeyLookup =
  | { readonly found: "value"; readonly entry: SopsKeyEntry }
  | { readonly found: "not-a-string"; readonly entry: SopsKeyEntry }
  | { readonly found: "missing"; readonly missing: string };

/** Looks `key` up the way sops-nix does; "" (the whole file) always exists. */
export function lookupSopsKey(summary: SopsFile | NotSops, key: string): SopsKeyLookup | undefined {
  if (key === "") return undefined;
  const parts = key.split("/");
  const byName = new Map(summary.keys.map((k) => [k.path.join("\u0000"), k]));
  for (let i = 1; i <= parts.length; i++) {
    const entry = byName.get(parts.slice(0, i).join("\u0000"));
    if (!entry) return { found: "missing", missing: parts.slice(0, i).join("/") };
    if (i < parts.length && entry.node !== "dictionary") return { found: "not-a-string", entry };
    if (i === parts.length) {
      const isString = entry.node === "value" && (entry.valueType ?? "str") === "str";
      return isString ? { found: "value", entry } : { found: "not-a-string", entry };
    }
  }
  return undefined;
}
