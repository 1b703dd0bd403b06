// Just enough of Nix's lexer to edit a file by hand's rules: where its comments and strings
// are (a host's name in a comment is not a listing; in a `"db1.age"` string it is not a
// reference), its identifiers, paths and brackets. Not a parser: the edits it supports are
// one line added or one word inserted, each checked again by evaluating afterwards. Pure.

export type NixTokenKind = "ident" | "string" | "path" | "comment" | "punct" | "other";

export interface NixToken {
  readonly kind: NixTokenKind;
  /** Offsets into the text: [start, end). */
  readonly start: number;
  readonly end: number;
  /** The token's text as written (a string with its quotes). */
  readonly text: string;
}

const IDENT = /[A-Za-z_][A-Za-z0-9_'-]*/y;
// Nix's PATH token: path characters with at least one inner slash (`./a`, `a/b`, `/x`).
const PATH = /[A-Za-z0-9._+-]*(?:\/[A-Za-z0-9._+-]+)+\/?/y;
const SEARCH_PATH = /<[A-Za-z0-9._+-]+(?:\/[A-Za-z0-9._+-]+)*>/y;

/** The end of a `"…"` string starting at `start` (its opening quote), interpolations included. */
function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === "\\") i += 2;
    else if (c === '"') return i + 1;
    else if (c === "$" && text[i + 1] === "{") i = endOfInterpolation(text, i + 2);
    else i++;
  }
  return text.length;
}

/** The end of a `''…''` string starting at `start`. */
function endOfIndentedString(text: string, start: number): number {
  let i = start + 2;
  while (i < text.length) {
    if (text.startsWith("''", i)) {
      // `'''`, `''$` and `''\x` are escapes, not the end.
      const next = text[i + 2];
      if (next === "'" || next === "$") i += 3;
      else if (next === "\\") i += 4;
      else return i + 2;
    } else if (text[i] === "$" && text[i + 1] === "{") i = endOfInterpolation(text, i + 2);
    else i++;
  }
  return text.length;
}

/** The offset after the `}` closing an interpolation whose code starts at `start`. */
function endOfInterpolation(text: string, start: number): number {
  let depth = 1;
  let i = start;
  while (i < text.length && depth > 0) {
    const c = text[i]!;
    if (c === '"') i = endOfString(text, i);
    else if (text.startsWith("''", i)) i = endOfIndentedString(text, i);
    else if (c === "#") i = lineEnd(text, i);
    else if (text.startsWith("/*", i)) i = commentEnd(text, i);
    else {
      if (c === "{") depth++;
      else if (c === "}") depth--;
      i++;
    }
  }
  return i;
}

function lineEnd(text: string, i: number): number {
  const nl = text.indexOf("\n", i);
  return nl < 0 ? text.length : nl;
}

function commentEnd(text: string, i: number): number {
  const close = text.indexOf("*/", i + 2);
  return close < 0 ? text.length : close + 2;
}

/** Every token of a Nix file, whitespace left out. */
export function scanNix(text: string): NixToken[] {
  const tokens: NixToken[] = [];
  const push = (kind: NixTokenKind, start: number, end: number) =>
    tokens.push({ kind, start, end, text: text.slice(start, end) });
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    let end: number;
    let kind: NixTokenKind;
    if (c === "#") [kind, end] = ["comment", lineEnd(text, i)];
    else if (text.startsWith("/*", i)) [kind, end] = ["comment", commentEnd(text, i)];
    else if (c === '"') [kind, end] = ["string", endOfString(text, i)];
    else if (text.startsWith("''", i)) [kind, end] = ["string", endOfIndentedString(text, i)];
    else {
      PATH.lastIndex = i;
      SEARCH_PATH.lastIndex = i;
      IDENT.lastIndex = i;
      const path = PATH.exec(text) ?? SEARCH_PATH.exec(text);
      const ident = path ? null : IDENT.exec(text);
      if (path) [kind, end] = ["path", i + path[0].length];
      else if (ident) [kind, end] = ["ident", i + ident[0].length];
      else if ("[]{}()=;.,:@?".includes(c)) [kind, end] = ["punct", i + 1];
      else [kind, end] = ["other", i + 1];
    }
    push(kind, i, end);
    i = end;
  }
  return tokens;
}

/** The text of a string token without its quotes (interpolations left as written). */
export function stringContent(token: NixToken): string {
  return token.text.startsWith("''") ? token.text.slice(2, -2) : token.text.slice(1, -1);
}

/** Offsets where each line starts. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  return starts;
}

/** The 1-based line holding `offset`. */
export function lineOf(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** The file's text with comments blanked out (same length: offsets and lines still hold). */
export function withoutComments(text: string, tokens: readonly NixToken[]): string {
  let out = "";
  let last = 0;
  for (const t of tokens) {
    if (t.kind !== "comment") continue;
    out += text.slice(last, t.start) + t.text.replace(/[^\n]/g, " ");
    last = t.end;
  }
  return out + text.slice(last);
}

/**
 * Whether the tokens of one line stand on their own: no string or comment crosses its ends and
 * its brackets balance (`alpha = mkHost "alpha";`, not `alpha = lib.nixosSystem {`).
 */
export function isSelfContainedLine(
  tokens: readonly NixToken[],
  lineStart: number,
  lineEnd: number,
): boolean {
  let depth = 0;
  for (const t of tokens) {
    if (t.end <= lineStart || t.start >= lineEnd) continue;
    if (t.start < lineStart || t.end > lineEnd) return false;
    if (t.kind !== "punct") continue;
    if ("[{(".includes(t.text)) depth++;
    else if ("]})".includes(t.text)) {
      depth--;
      if (depth < 0) return false;
    }
  }
  return depth === 0;
}

/** The innermost open bracket before token `index` (`[`, `{`, `(`, or undefined at top level). */
export function enclosingBracket(tokens: readonly NixToken[], index: number): string | undefined {
  const stack: string[] = [];
  for (let i = 0; i < index; i++) {
    const t = tokens[i]!;
    if (t.kind !== "punct") continue;
    if ("[{(".includes(t.text)) stack.push(t.text);
    else if ("]})".includes(t.text)) stack.pop();
  }
  return stack[stack.length - 1];
}
