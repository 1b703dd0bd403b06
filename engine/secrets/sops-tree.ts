// The four text shapes sops writes (YAML, JSON, dotenv, INI), read into one small tree so that
// sops.ts can find the metadata and judge every leaf the same way. The tree lives only inside
// parseSopsFile; nothing here is returned to callers of the secrets check.
//
// Errors carry a code and a line, never the library's message: YAML and JSON error messages
// quote the offending source, which may be a plaintext secret.
import { type Node as JsonNode, type ParseError, parseTree } from "jsonc-parser";
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node as YamlNode } from "yaml";

/** A parsed document, values included: internal to the sops parser. */
export type TreeNode =
  | { readonly kind: "map"; readonly entries: readonly TreeEntry[]; readonly line?: number }
  | { readonly kind: "list"; readonly items: readonly TreeNode[]; readonly line?: number }
  | { readonly kind: "scalar"; readonly value: string | number | boolean | null; readonly line?: number }
  | { readonly kind: "alias"; readonly line?: number };

export interface TreeEntry {
  /** The map key. */
  readonly key: string;
  /** What is at it. */
  readonly value: TreeNode;
  /** 1-based line of the key. */
  readonly line?: number;
}

export type TreeParse = { ok: true; root: TreeNode } | { ok: false; reason: string; line?: number };

class TreeError extends Error {
  constructor(
    readonly reason: string,
    readonly line?: number,
  ) {
    super(reason);
  }
}

function attempt(parse: () => TreeNode): TreeParse {
  try {
    return { ok: true, root: parse() };
  } catch (error) {
    if (!(error instanceof TreeError)) throw error;
    return error.line === undefined
      ? { ok: false, reason: error.reason }
      : { ok: false, reason: error.reason, line: error.line };
  }
}

/** YAML: the first document is what sops-nix reads; sops keeps metadata there too. */
export function parseYamlTree(text: string): TreeParse {
  return attempt(() => {
    const lineCounter = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
    if (!Array.isArray(docs)) return { kind: "map", entries: [] };
    for (const doc of docs) {
      const error = doc.errors[0];
      if (error)
        throw new TreeError(`not valid YAML (${error.code})`, lineCounter.linePos(error.pos[0]).line);
    }
    const lineOf = (node: { range?: [number, number, number] | null } | null | undefined) =>
      node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
    const convert = (node: unknown): TreeNode => {
      const line = lineOf(node as YamlNode);
      if (node === null || node === undefined) return { kind: "scalar", value: null, line };
      if (isAlias(node)) return { kind: "alias", line };
      if (isScalar(node)) {
        const v = node.value;
        const value = typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? v : null;
        return { kind: "scalar", value: typeof v === "bigint" ? Number(v) : value, line };
      }
      if (isSeq(node)) return { kind: "list", items: node.items.map(convert), line };
      if (isMap(node)) {
        const entries = node.items.map((pair) => {
          if (!isScalar(pair.key) || typeof pair.key.value === "object") {
            throw new TreeError("sops supports only plain string keys", lineOf(pair.key as YamlNode));
          }
          return { key: String(pair.key.value), value: convert(pair.value), line: lineOf(pair.key) };
        });
        return { kind: "map", entries, line };
      }
      throw new TreeError("unsupported YAML node", line);
    };
    const first = docs[0];
    return first ? convert(first.contents) : { kind: "map", entries: [] };
  });
}

/** Maps offsets to 1-based lines. */
function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** JSON (and sops' binary format, which is JSON `{"data": …, "sops": …}`). */
export function parseJsonTree(text: string): TreeParse {
  return attempt(() => {
    const errors: ParseError[] = [];
    const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
    const lineOf = lineIndex(text);
    if (errors[0] || !root) throw new TreeError("not valid JSON", errors[0] ? lineOf(errors[0].offset) : 1);
    const convert = (node: JsonNode): TreeNode => {
      const line = lineOf(node.offset);
      switch (node.type) {
        case "object":
          return {
            kind: "map",
            line,
            entries: (node.children ?? []).map((prop) => {
              const [key, value] = prop.children ?? [];
              if (!key || !value) throw new TreeError("malformed JSON property", line);
              return { key: String(key.value), value: convert(value), line: lineOf(prop.offset) };
            }),
          };
        case "array":
          return { kind: "list", items: (node.children ?? []).map(convert), line };
        case "string":
        case "number":
        case "boolean":
          return { kind: "scalar", value: node.value as string | number | boolean, line };
        default:
          return { kind: "scalar", value: null, line };
      }
    };
    return convert(root);
  });
}

/** One flattened key of sops' dotenv/INI metadata (`age__list_0__map_recipient`). */
export interface FlatEntry {
  /** The flattened key, `sops_`/section prefix removed. */
  readonly key: string;
  /** Its value, newline escapes undone. */
  readonly value: string;
}

/** sops' stores/flatten.go in reverse: `a__list_0__map_b` → { a: [{ b }] }. Plain values only. */
export function unflatten(entries: readonly FlatEntry[]): unknown {
  // Null-prototype objects: a key named `__proto__` must stay a key.
  const root: Record<string, unknown> = Object.create(null);
  for (const { key, value } of entries) {
    const tokens = key.split(/(?=__map_|__list_)/).map((part, i) => {
      if (i === 0) return part;
      if (part.startsWith("__map_")) return part.slice("__map_".length);
      return Number(part.slice("__list_".length));
    });
    let node: Record<string | number, unknown> = root;
    tokens.forEach((token, i) => {
      if (i === tokens.length - 1) {
        node[token] = value;
        return;
      }
      const nextIsList = typeof tokens[i + 1] === "number";
      const existing = node[token];
      if (typeof existing !== "object" || existing === null)
        node[token] = nextIsList ? [] : Object.create(null);
      node = node[token] as Record<string | number, unknown>;
    });
  }
  return root;
}

/**
 * dotenv as sops reads it: `KEY=VALUE` lines, `#` comments, `\n` escapes. `sops_*` keys are the
 * metadata, returned apart (prefix removed) so the caller can unflatten them.
 */
export function parseDotenvTree(text: string): { tree: TreeParse; metadata: FlatEntry[] } {
  const metadata: FlatEntry[] = [];
  const tree = attempt(() => {
    const entries: TreeEntry[] = [];
    text.split("\n").forEach((raw, i) => {
      const line = raw.replace(/\r$/, "");
      if (line === "" || line.startsWith("#")) return;
      const eq = line.indexOf("=");
      if (eq < 0) throw new TreeError("a dotenv line has no `=`", i + 1);
      const key = line.slice(0, eq);
      const value = line.slice(eq + 1).replaceAll("\\n", "\n");
      if (key.startsWith("sops_")) metadata.push({ key: key.slice("sops_".length), value });
      else entries.push({ key, value: { kind: "scalar", value, line: i + 1 }, line: i + 1 });
    });
    return { kind: "map", entries };
  });
  return { tree, metadata };
}

/** Strips one level of the quotes go-ini accepts around a value. */
function unquoteIni(value: string): string {
  for (const q of ['"""', '"', "`"]) {
    if (value.length >= 2 * q.length && value.startsWith(q) && value.endsWith(q)) {
      return value.slice(q.length, -q.length);
    }
  }
  return value;
}

/** INI as sops writes it (go-ini): `[section]` then `key = value`; the `[sops]` section is metadata. */
export function parseIniTree(text: string): { tree: TreeParse; metadata: FlatEntry[] } {
  const metadata: FlatEntry[] = [];
  const tree = attempt(() => {
    const sections: { key: string; line: number; entries: TreeEntry[] }[] = [];
    let current: TreeEntry[] | undefined;
    let inSops = false;
    text.split("\n").forEach((raw, i) => {
      const line = raw.trim();
      if (line === "" || line.startsWith(";") || line.startsWith("#")) return;
      const section = /^\[(.*)\]$/.exec(line);
      if (section) {
        inSops = section[1] === "sops";
        current = [];
        if (!inSops) sections.push({ key: section[1]!, line: i + 1, entries: current });
        return;
      }
      const at = line.search(/[=:]/);
      if (at <= 0) throw new TreeError("an INI line is neither a section nor `key = value`", i + 1);
      const key = line.slice(0, at).trim();
      const value = unquoteIni(line.slice(at + 1).trim());
      if (inSops) metadata.push({ key, value: value.replaceAll("\\n", "\n") });
      else {
        // Keys before any [section] belong to go-ini's DEFAULT section.
        if (!current) {
          current = [];
          sections.push({ key: "DEFAULT", line: i + 1, entries: current });
        }
        current.push({ key, value: { kind: "scalar", value, line: i + 1 }, line: i + 1 });
      }
    });
    return {
      kind: "map",
      entries: sections.map((s) => ({
        key: s.key,
        line: s.line,
        value: { kind: "map", entries: s.entries },
      })),
    };
  });
  return { tree, metadata };
}

/** A subtree as plain JSON-like data (for the metadata, which holds no secret values). */
export function toPlain(node: TreeNode): unknown {
  switch (node.kind) {
    case "map":
      return Object.fromEntries(node.entries.map((e) => [e.key, toPlain(e.value)]));
    case "list":
      return node.items.map(toPlain);
    case "scalar":
      return node.value;
    default:
      return null;
  }
}
