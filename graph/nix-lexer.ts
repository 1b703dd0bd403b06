// Just enough of Nix's lexer to find path literals: it knows comments, both string forms (with
// nested `${…}` interpolations), URIs, identifiers, paths and punctuation. Interpolated code inside
// strings is skipped, not returned: a path spelled inside a string is not a path literal.
// Token rules follow nix/src/libexpr/lexer.l (longest match between identifier, path and URI).

export const TOKEN = {
  ident: "ident",
  /** A path literal without interpolation: `./a.nix`, `../b`, `a/b`, `/abs`. */
  path: "path",
  /** `~/x`, `<nixpkgs/x>`, or a path with `${…}` in it: not resolvable statically. */
  otherPath: "otherPath",
  string: "string",
  punct: "punct",
  other: "other",
} as const;
export type TokenType = (typeof TOKEN)[keyof typeof TOKEN];

export interface Token {
  type: TokenType;
  value: string;
  /** Offset of the token's first character in the text. */
  offset: number;
}

const PATH_CHARS = "[a-zA-Z0-9._\\-+]";
const PATH_RE = new RegExp(`${PATH_CHARS}*(?:/${PATH_CHARS}+)+/?`, "y");
// A path followed by `${`: `./hosts/${name}` (Nix's PATH_START, the slash before `${` included).
const PATH_START_RE = new RegExp(`${PATH_CHARS}*(?:/${PATH_CHARS}+)*/(?=\\$\\{)`, "y");
const HOME_PATH_RE = new RegExp(`~(?:/${PATH_CHARS}+)+/?`, "y");
const SEARCH_PATH_RE = new RegExp(`<${PATH_CHARS}+(?:/${PATH_CHARS}+)*>`, "y");
const IDENT_RE = /[a-zA-Z_][a-zA-Z0-9_'-]*/y;
const URI_RE = /[a-zA-Z][a-zA-Z0-9+\-.]*:[a-zA-Z0-9%/?:@&=+$,\-_.!~*']+/y;
const NUMBER_RE = /(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[Ee][+-]?[0-9]+)?/y;
const PUNCTS = ["...", "${", "==", "!=", "<=", ">=", "&&", "||", "->", "++", "//"] as const;

function matchAt(re: RegExp, text: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(text)?.[0];
}

/** Lexes Nix code. Unterminated strings or comments end the text quietly: this is for pictures. */
export function lexNix(text: string): Token[] {
  const tokens: Token[] = [];
  lexCode(text, 0, false, tokens);
  return tokens;
}

/**
 * Lexes code from `start`. With `nested` (inside `${…}`), stops after the `}` closing it and
 * returns the offset after it.
 */
function lexCode(text: string, start: number, nested: boolean, tokens: Token[]): number {
  let i = start;
  let depth = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      i++;
    } else if (ch === "#") {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end + 1;
    } else if (ch === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (ch === '"') {
      i = skipString(text, i + 1);
      tokens.push({ type: TOKEN.string, value: "", offset: i });
    } else if (ch === "'" && text[i + 1] === "'") {
      i = skipIndentedString(text, i + 2);
      tokens.push({ type: TOKEN.string, value: "", offset: i });
    } else if (ch === "}" && nested && depth === 0) {
      return i + 1;
    } else {
      const next = lexWord(text, i, tokens);
      if (next > i) {
        i = next;
        continue;
      }
      const punct = PUNCTS.find((p) => text.startsWith(p, i)) ?? ch;
      if (punct === "{" || punct === "${") depth++;
      else if (punct === "}") depth--;
      tokens.push({ type: TOKEN.punct, value: punct === "${" ? "{" : punct, offset: i });
      i += punct.length;
    }
  }
  return i;
}

/** An identifier, URI, path or number at `i` (longest match wins); returns `i` if none. */
function lexWord(text: string, i: number, tokens: Token[]): number {
  const ch = text[i]!;
  if (ch === "~") {
    const home = matchAt(HOME_PATH_RE, text, i);
    if (home !== undefined) tokens.push({ type: TOKEN.otherPath, value: home, offset: i });
    return home === undefined ? i : i + home.length;
  }
  if (ch === "<") {
    const search = matchAt(SEARCH_PATH_RE, text, i);
    if (search !== undefined) tokens.push({ type: TOKEN.otherPath, value: search, offset: i });
    return search === undefined ? i : i + search.length;
  }
  const start = matchAt(PATH_START_RE, text, i);
  if (start !== undefined) return skipInterpolatedPath(text, i, start.length, tokens);
  const candidates: [TokenType, string | undefined][] = [
    [TOKEN.path, matchAt(PATH_RE, text, i)],
    [TOKEN.other, matchAt(URI_RE, text, i)],
    [TOKEN.ident, matchAt(IDENT_RE, text, i)],
    [TOKEN.other, matchAt(NUMBER_RE, text, i)],
  ];
  let best: [TokenType, string] | undefined;
  for (const [type, value] of candidates) {
    if (value !== undefined && (best === undefined || value.length > best[1].length)) best = [type, value];
  }
  if (best === undefined) return i;
  tokens.push({ type: best[0], value: best[1], offset: i });
  return i + best[1].length;
}

/** `./a/${x}/b${y}.nix`: one token, not resolvable. */
function skipInterpolatedPath(text: string, at: number, prefix: number, tokens: Token[]): number {
  let i = at + prefix;
  while (i < text.length) {
    if (text.startsWith("${", i)) {
      i = lexCode(text, i + 2, true, []);
    } else if (/[a-zA-Z0-9._\-+/]/.test(text[i]!)) {
      i++;
    } else break;
  }
  tokens.push({ type: TOKEN.otherPath, value: text.slice(at, i), offset: at });
  return i;
}

/** Skips a "…" string body from `i` (after the quote); returns the offset after the closing quote. */
function skipString(text: string, start: number): number {
  let i = start;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "\\") i += 2;
    else if (ch === '"') return i + 1;
    // `$${` is a literal `${`, not an interpolation.
    else if (ch === "$" && text[i + 1] === "$") i += 2;
    else if (ch === "$" && text[i + 1] === "{") i = lexCode(text, i + 2, true, []);
    else i++;
  }
  return i;
}

/** Skips a ''…'' string body; `'''`, `''$` and `''\x` are escapes, not the end. */
function skipIndentedString(text: string, start: number): number {
  let i = start;
  while (i < text.length) {
    if (text.startsWith("''", i)) {
      const after = text[i + 2];
      if (after === "'" || after === "$") i += 3;
      else if (after === "\\") i += 4;
      else return i + 2;
    } else if (text.startsWith("$$", i)) {
      i += 2;
    } else if (text.startsWith("${", i)) {
      i = lexCode(text, i + 2, true, []);
    } else i++;
  }
  return i;
}
