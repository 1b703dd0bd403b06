// How a flake lists its hosts, and the one-line edit that adds a new one beside the like host:
// a copy of the like host's line (`alpha = mkHost "alpha";` → `gamma = mkHost "gamma";`), or
// the new name beside the like's in a one-line list (`[ "alpha" "beta" ]`). Anything less
// plain is left to a person, with the file:line to edit. Pure.
import { ConfigError } from "../../errors/index.js";
import { replaceWord, wordOffsets } from "./names.js";
import { isSelfContainedLine, lineOf, lineStarts, scanNix, withoutComments } from "./nix-scan.js";

/** A line (outside comments) of a file the like host's evaluation read that names it. */
export interface Mention {
  /** Repo-relative file. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** The line as written, trimmed. */
  readonly text: string;
}

/** A file's new text, for a file that exists. */
export interface FileEdit {
  /** Repo-relative path. */
  readonly file: string;
  /** The text it was planned against (re-checked just before writing). */
  readonly before: string;
  readonly after: string;
}

export interface ListingPlan {
  /** `auto`: the like host's folder is listed by the flake (readDir); `edit`: one line added. */
  readonly how: "auto" | "edit";
  readonly edit?: FileEdit;
  /** The edited line (1-based, before the edit). */
  readonly line?: number;
  /** Other lines naming the like host: worth a look, never edited. */
  readonly mentions: readonly Mention[];
}

export interface ListingInput {
  readonly like: string;
  readonly name: string;
  /** Every other target's configuration name, for whole-word matching. */
  readonly otherNames: ReadonlySet<string>;
  /** Non-own .nix files the like host's evaluation read, with their text. */
  readonly files: readonly { readonly path: string; readonly text: string }[];
  /** The like host's folder (or file) is in a folder its evaluation listed. */
  readonly autoDiscovered: boolean;
}

/** Lines (outside comments) naming the like host, in the given files. */
export function findMentions(input: Pick<ListingInput, "like" | "otherNames" | "files">): Mention[] {
  const found: Mention[] = [];
  for (const { path, text } of input.files) {
    const code = withoutComments(text, scanNix(text));
    const starts = lineStarts(text);
    const lines = new Set(wordOffsets(code, input.like, input.otherNames).map((at) => lineOf(starts, at)));
    for (const line of [...lines].sort((a, b) => a - b)) {
      found.push({ file: path, line, text: lineText(text, starts, line).trim() });
    }
  }
  return found;
}

function lineText(text: string, starts: readonly number[], line: number): string {
  const start = starts[line - 1]!;
  const end = line < starts.length ? starts[line]! - 1 : text.length;
  return text.slice(start, end);
}

function refuse(message: string, mentions: readonly Mention[], extra: string[] = []): never {
  throw new ConfigError(message, {
    code: "E_NEW_HOST_LISTING",
    hints: [
      ...mentions.map((m) => `${m.file}:${m.line}: ${m.text}`),
      ...extra,
      "Add the new host there by hand (or pass --like a host listed on a line of its own), then run infra new host again: it will find the host listed.",
    ],
  });
}

/** Where the new host is listed, or a refusal naming the lines to edit by hand. */
export function planListing(input: ListingInput): ListingPlan {
  const mentions = findMentions(input);
  if (input.autoDiscovered) return { how: "auto", mentions };
  if (mentions.length === 0) {
    refuse(
      `could not find where ${input.like} is listed: no line of the files its evaluation read names it, and its folder is not listed by the flake`,
      [],
    );
  }
  if (mentions.length > 1) {
    refuse(
      `${input.like} is named on ${mentions.length} lines of the files its evaluation read; infra edits exactly one unambiguous line`,
      mentions,
    );
  }
  const mention = mentions[0]!;
  const { text } = input.files.find((f) => f.path === mention.file)!;
  const tokens = scanNix(text);
  const starts = lineStarts(text);
  const start = starts[mention.line - 1]!;
  const end = mention.line < starts.length ? starts[mention.line]! - 1 : text.length;
  const line = text.slice(start, end);
  if (!isSelfContainedLine(tokens, start, end)) {
    refuse(`${mention.file}:${mention.line} lists ${input.like} over several lines`, [mention]);
  }
  const others = [...input.otherNames].filter((n) => wordOffsets(line, n, input.otherNames).length > 0);
  let after: string;
  if (others.length === 0) {
    // The like host's own line: the same line for the new host, right below it.
    const copy = replaceWord(line, input.like, input.name, input.otherNames);
    after = `${text.slice(0, end)}\n${copy}${text.slice(end)}`;
  } else {
    // A one-line list of host names (`[ "alpha" "beta" ]`): the new name right after the like's.
    const offsets = wordOffsets(line, input.like, input.otherNames);
    const at = offsets[0]!;
    const quoted = line[at - 1] === '"' && line[at + input.like.length] === '"';
    if (offsets.length !== 1 || !quoted) {
      refuse(
        `${mention.file}:${mention.line} names ${input.like} among other hosts in a way infra does not edit`,
        [mention],
      );
    }
    const insertAt = start + at + input.like.length + 1;
    after = `${text.slice(0, insertAt)} "${input.name}"${text.slice(insertAt)}`;
  }
  return {
    how: "edit",
    edit: { file: mention.file, before: text, after },
    line: mention.line,
    mentions: [],
  };
}
