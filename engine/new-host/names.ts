// A new host's name, and the one rule for "the like host's name as a whole word" that every
// copy and edit uses, so a file name, a Nix line and a YAML anchor agree on what is replaced.
// Pure.
import { UsageError } from "../../errors/index.js";

/** A plain host name: what a hostname, a Nix attribute and a folder can all hold unquoted. */
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** The longest a DNS label (and so `networking.hostName`) may be. */
const MAX_LENGTH = 63;

/** Throws a UsageError unless `name` is a plain host name (no shell, Nix or path syntax). */
export function validateHostName(name: string): void {
  if (HOST_NAME.test(name) && name.length <= MAX_LENGTH) return;
  const why =
    name === ""
      ? "it is empty"
      : name.startsWith("-")
        ? "it starts with '-'"
        : name.length > MAX_LENGTH
          ? `it is longer than ${MAX_LENGTH} characters`
          : "it may hold only letters, digits, '_' and '-', starting with a letter or digit";
  throw new UsageError(`'${name}' is not a usable host name: ${why}`, {
    hints: ["Use a plain host name such as db3 or web-4."],
  });
}

/** Whether `name` can be a bare Nix identifier (a `let` binding in secrets.nix). */
export function isNixIdentifier(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_'-]*$/.test(name);
}

const WORD = /[A-Za-z0-9_]/;
const RUN = /[A-Za-z0-9_-]/;

/**
 * Where `word` occurs in `text` as a whole word: not inside a longer run of letters, digits or
 * `_`. A `-` joins words only when the joined run is another host's name (`web` in `web-2` is
 * web-2's when web-2 is a target, but `db1` in `db1-data` is db1's).
 */
export function wordOffsets(
  text: string,
  word: string,
  otherNames: ReadonlySet<string> = new Set(),
): number[] {
  const found: number[] = [];
  if (word === "") return found;
  for (let at = text.indexOf(word); at >= 0; at = text.indexOf(word, at + 1)) {
    const end = at + word.length;
    if (at > 0 && WORD.test(text[at - 1]!)) continue;
    if (end < text.length && WORD.test(text[end]!)) continue;
    let start = at;
    let stop = end;
    while (start > 0 && RUN.test(text[start - 1]!)) start--;
    while (stop < text.length && RUN.test(text[stop]!)) stop++;
    const run = text.slice(start, stop);
    if (run !== word && otherNames.has(run)) continue;
    found.push(at);
  }
  return found;
}

/** Whether `word` occurs in `text` as a whole word. */
export function hasWord(text: string, word: string, otherNames?: ReadonlySet<string>): boolean {
  return wordOffsets(text, word, otherNames).length > 0;
}

/** `text` with every whole-word `from` replaced by `to`. */
export function replaceWord(
  text: string,
  from: string,
  to: string,
  otherNames?: ReadonlySet<string>,
): string {
  const offsets = wordOffsets(text, from, otherNames);
  let out = "";
  let last = 0;
  for (const at of offsets) {
    out += text.slice(last, at) + to;
    last = at + from.length;
  }
  return out + text.slice(last);
}

/** A path (`/`-separated) with the like host's name replaced in every segment. */
export function renamePath(path: string, from: string, to: string, otherNames?: ReadonlySet<string>): string {
  return path
    .split("/")
    .map((segment) => replaceWord(segment, from, to, otherNames))
    .join("/");
}
