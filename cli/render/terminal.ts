// Where output goes. Text from a repository (target names, paths, Nix's messages) is data: its
// control characters are shown as visible escapes, never obeyed by the terminal. Only escape
// sequences infra itself writes reach it, and only code that holds `esc` (a random token per
// process, which no name can spell) can write one.
import { randomBytes } from "node:crypto";
import { visible } from "../../graph/export/escape.js";

/** In JSON these are legal raw; escaped, a script reads the same string and a terminal shows text. */
const JSON_RISKY = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const hex = (c: string, width: number) => c.charCodeAt(0).toString(16).padStart(width, "0");

/** Like `visible`, for one-line places (a table cell): newlines and tabs shown too. */
export function oneLine(text: string): string {
  return visible(text).replace(/\n/g, "\\n").replace(/\t/g, "\\t");
}

/** JSON text with the characters a terminal could obey written as `\uXXXX` escapes. */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(JSON_RISKY, (c) => `\\u${hex(c, 4)}`);
}

export interface Out {
  readonly isTTY: boolean;
  /** Stands for ESC in text infra writes itself (styles, cursor movement); see the file comment. */
  readonly esc: string;
  /** Writes text for people: data's control characters become visible, `esc` becomes ESC. */
  write(text: string): void;
  /** Writes a value as JSON (indented, or one line for JSON-lines output). */
  json(value: unknown, indent?: number): void;
}

const TOKEN = `\uE000${randomBytes(8).toString("hex")}\uE001`;

export function outOf(stream: NodeJS.WritableStream & { isTTY?: boolean }): Out {
  return {
    isTTY: stream.isTTY === true,
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
  };
}
