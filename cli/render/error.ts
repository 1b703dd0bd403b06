// How errors look to people: what went wrong, where, and what to do. No stack traces unless
// --debug.
import type { Failure } from "../../engine/index.js";
import type { Style } from "./style.js";
import { oneLine } from "./terminal.js";

export function formatHostError(error: Failure, style: Style, indent = "  "): string {
  const lines: string[] = [];
  const where = error.file
    ? `${oneLine(error.file)}${error.line ? `:${error.line}:${error.column ?? 1}` : ""}: `
    : "";
  lines.push(`${indent}${style.red("error:")} ${where}${error.message}`);
  for (const frame of error.trace.slice(0, 4)) lines.push(`${indent}  ${style.gray(`… ${frame}`)}`);
  for (const hint of error.hints) lines.push(`${indent}  ${style.cyan("hint:")} ${hint}`);
  return lines.join("\n");
}

export function formatFatal(
  error: { message: string; hints?: string[]; stack?: string | undefined },
  style: Style,
  debug: boolean,
): string {
  const lines = [`${style.red("error:")} ${error.message}`];
  for (const hint of error.hints ?? []) lines.push(`  ${style.cyan("hint:")} ${hint}`);
  if (debug && error.stack) lines.push(style.gray(error.stack));
  return `${lines.join("\n")}\n`;
}
