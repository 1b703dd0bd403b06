// Writing an edited YAML document back the way its file was written. The yaml library keeps
// comments and anchors; the stringify options that decide the rest (indentation, `- ` under
// a key or beside it, `[a, b]` or `[ a, b ]`) are read from the file itself. Where the library
// would still render an untouched line differently, only the lines the edit changed are carried
// over to the original text, so nothing else moves. Pure.
import { type Document, parseDocument, type ToStringOptions } from "yaml";

/** The stringify options that reproduce the file's own layout, as far as it shows one. */
export function layoutOf(text: string): ToStringOptions {
  const lines = text.split("\n");
  const indents: number[] = [];
  let indentSeq = true;
  for (let i = 0; i + 1 < lines.length; i++) {
    const key = /^(\s*)(?:- )?[^\s#-][^#]*:\s*(?:#.*)?$/.exec(lines[i]!);
    const next = lines.slice(i + 1).find((l) => l.trim() !== "" && !l.trim().startsWith("#"));
    if (!key || next === undefined) continue;
    const own = lines[i]!.startsWith(`${key[1]}- `) ? key[1]!.length + 2 : key[1]!.length;
    const child = /^(\s*)/.exec(next)![1]!.length;
    if (next.trimStart().startsWith("- ") && child === own) indentSeq = false;
    else if (child > own) indents.push(child - own);
  }
  const indent = indents.length > 0 ? Math.min(...indents) : 2;
  const padded = /\[ \S|\{ \S/.test(text);
  const tight = /\[[^\s\]]|\{[^\s}]/.test(text);
  return {
    indent,
    indentSeq,
    flowCollectionPadding: padded || !tight,
    // Never fold a long line (a comma-separated list of recipients is one long scalar).
    lineWidth: 0,
    minContentWidth: 0,
  };
}

/** Longest common subsequence of two line lists, as pairs of indices. */
function commonLines(a: readonly string[], b: readonly string[]): [number, number][] {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const table = new Uint32Array(rows * cols);
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      table[i * cols + j] =
        a[i] === b[j]
          ? table[(i + 1) * cols + j + 1]! + 1
          : Math.max(table[(i + 1) * cols + j]!, table[i * cols + j + 1]!);
  const pairs: [number, number][] = [];
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    if (a[i] === b[j]) {
      pairs.push([i, j]);
      i++;
      j++;
    } else if (table[(i + 1) * cols + j]! >= table[i * cols + j + 1]!) i++;
    else j++;
  }
  return pairs;
}

/**
 * Rendered line → original line: equal lines by their longest common subsequence, and between
 * two of those, re-rendered lines by position when both sides have as many.
 */
function pairLines(rendered: readonly string[], original: readonly string[]): Map<number, number> {
  const pairs = new Map<number, number>();
  let lastR = -1;
  let lastO = -1;
  for (const [r, o] of [...commonLines(rendered, original), [rendered.length, original.length] as const]) {
    if (r - lastR === o - lastO) for (let k = 1; lastR + k < r; k++) pairs.set(lastR + k, lastO + k);
    if (r < rendered.length) pairs.set(r, o);
    lastR = r;
    lastO = o;
  }
  return pairs;
}

const indentOf = (line: string) => /^ */.exec(line)![0].length;

/** `line` moved right (or left, over spaces only) by `delta` columns. */
function shift(line: string, delta: number): string {
  if (delta >= 0 || line.trim() === "") return " ".repeat(Math.max(0, delta)) + line;
  return line.slice(Math.min(-delta, indentOf(line)));
}

/**
 * Applies the line changes from `rendered` (the unedited document as the library renders it)
 * to `edited` onto `original`, each new line indented as the original line it replaces or
 * follows is; undefined when a changed line has no counterpart in the original.
 */
function carryOver(original: string, rendered: string, edited: string): string | undefined {
  const o = original.split("\n");
  const r = rendered.split("\n");
  const e = edited.split("\n");
  const toOriginal = pairLines(r, o);
  const delta = (ri: number) => indentOf(o[toOriginal.get(ri)!]!) - indentOf(r[ri]!);
  const removed = new Set<number>();
  // Lines to insert before each original line (o.length: at the end).
  const before = new Map<number, string[]>();
  let ri = 0;
  let ei = 0;
  for (const [rk, ek] of [...commonLines(r, e), [r.length, e.length] as const]) {
    // r[ri..rk) were replaced by e[ei..ek).
    if (rk > ri || ek > ei) {
      const gone: number[] = [];
      for (let x = ri; x < rk; x++) {
        const at = toOriginal.get(x);
        if (at === undefined) return undefined;
        gone.push(at);
      }
      // Where the new lines go, and how far they move: in place of the first replaced line,
      // else after the line before them, else before the line after them.
      const previous = ri > 0 && toOriginal.has(ri - 1) ? ri - 1 : undefined;
      const next = rk < r.length && toOriginal.has(rk) ? rk : undefined;
      const model = gone.length > 0 ? ri : (previous ?? next);
      let anchor: number | undefined;
      if (gone.length > 0) anchor = Math.min(...gone);
      else if (previous !== undefined) anchor = toOriginal.get(previous)! + 1;
      else if (next !== undefined) anchor = toOriginal.get(next)!;
      else if (rk === r.length) anchor = o.length;
      if (anchor === undefined) return undefined;
      const moved = model === undefined ? 0 : delta(model);
      for (const at of gone) removed.add(at);
      before.set(anchor, [...(before.get(anchor) ?? []), ...e.slice(ei, ek).map((l) => shift(l, moved))]);
    }
    ri = rk + 1;
    ei = ek + 1;
  }
  const out: string[] = [];
  for (let oi = 0; oi <= o.length; oi++) {
    out.push(...(before.get(oi) ?? []));
    if (oi < o.length && !removed.has(oi)) out.push(o[oi]!);
  }
  return out.join("\n");
}

/** The edited document as text laid out like `original`; `reformatted` when that was not possible. */
export function renderLikeSource(original: string, edited: Document): { text: string; reformatted: boolean } {
  const options = layoutOf(original);
  const text = edited.toString(options);
  const rendered = parseDocument(original).toString(options);
  if (rendered === original) return { text, reformatted: false };
  const carried = carryOver(original, rendered, text);
  // The carried-over text must be the same document as the edited one, line for line.
  if (carried === undefined || parseDocument(carried).toString(options) !== text)
    return { text, reformatted: true };
  return { text: carried, reformatted: false };
}
