// One escaping helper per sink. Names and paths come from repositories: they are data, and each
// output format gets them in a form that format cannot mistake for its own syntax. Pure.

/** C0 and C1 controls but tab and newline, line and paragraph separators, bidi overrides. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const hex = (c: string, width: number) => c.charCodeAt(0).toString(16).padStart(width, "0");
const shown = (c: string) => (c.charCodeAt(0) < 0x100 ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`);

/** `text` with every control character shown as `\x1b` / `\u202e` (tab and newline kept). */
export function visible(text: string): string {
  return text.replace(CONTROL, shown);
}

/** In JSON these are legal raw; escaped, a script reads the same string and a terminal shows text. */
const JSON_RISKY = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** JSON text with the characters a terminal could obey written as `\uXXXX` escapes. */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(JSON_RISKY, (c) => `\\u${hex(c, 4)}`);
}

/**
 * Characters XML 1.0 cannot hold even escaped (most C0 controls, U+FFFE/U+FFFF, lone
 * surrogates), and the ones a reader's terminal could obey, shown as `\x1b`-style text. `&`, `<`
 * and quotes are the XML writer's business.
 */
const XML_INVALID =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function xmlText(text: string): string {
  return text.replace(XML_INVALID, shown);
}

/** A DOT quoted string: backslashes and quotes escaped, line breaks as `\n`, controls shown. */
export function dotString(text: string): string {
  return `"${visible(text).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r?\n/g, "\\n")}"`;
}

/** Text for HTML element content and attribute values. */
export function htmlText(text: string): string {
  return visible(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/**
 * Text safe inside a quoted Mermaid label: Mermaid decodes `#name;` and `#code;` entities, so `#`
 * itself is escaped first, then quotes and the characters Mermaid would read as markup.
 */
export function mermaidLabel(text: string): string {
  return visible(text)
    .replace(/#/g, "#35;")
    .replace(/"/g, "#quot;")
    .replace(/</g, "#lt;")
    .replace(/>/g, "#gt;")
    .replace(/`/g, "#96;")
    .replace(/[\r\n]+/g, " ");
}

/**
 * Text for a markdown table cell or paragraph (a pull-request comment): HTML is inert (`<!--`
 * could hide the rest of the comment), markdown punctuation is literal, one line.
 */
export function markdownText(text: string): string {
  return visible(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([\\`*_[\]|~#!()])/g, "\\$1")
    .replace(/\r?\n/g, " ");
}
