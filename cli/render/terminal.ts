// Where output goes. Text from a repository (target names, paths, Nix's messages) is data: its
// control characters are shown as visible escapes, never obeyed by the terminal. Only escape
// sequences infra itself writes reach it, and only code that holds `esc` (a random token per
// process, which no name can spell) can write one.
import { randomBytes } from "node:crypto";
import { jsonText, visible } from "../../graph/export/escape.js";

/** Like `visible`, for one-line places (a table cell): newlines and tabs shown too. */
export function oneLine(text: string): string {
  return visible(text).replace(/\n/g, "\\n").replace(/\t/g, "\\t");
}

export interface Out {
  readonly isTTY: boolean;
  /** Colours are on: a terminal, NO_COLOR unset, TERM not dumb. */
  readonly color: boolean;
  /** Stands for ESC in text infra writes itself (styles, cursor movement); see the file comment. */
  readonly esc: string;
  /** Writes text for people: data's control characters become visible, `esc` becomes ESC. */
  write(text: string): void;
  /** Writes a value as JSON (indented, or one line for JSON-lines output). */
  json(value: unknown, indent?: number): void;
  /** Writes an export (DOT, XML, JSON, HTML) as it is: its format escaped what it must. */
  file(text: string): void;
}

const TOKEN = `\uE000${randomBytes(8).toString("hex")}\uE001`;

export function outOf(
  stream: { write(text: string): unknown; isTTY?: boolean },
  env: Record<string, string | undefined>,
): Out {
  const isTTY = stream.isTTY === true;
  return {
    isTTY,
    color: isTTY && !env.NO_COLOR && env.TERM !== "dumb",
    esc: TOKEN,
    write(text) {
      stream.write(
        text
          .split(TOKEN)
          .map((part) => visible(part))
          .join("\u001b"),
      );
    },
    json(value, indent) {
      stream.write(`${jsonText(value, indent)}\n`);
    },
    file(text) {
      stream.write(text);
    },
  };
}
