// Minimal terminal styling that switches itself off for pipes, NO_COLOR and dumb terminals.
import type { Out } from "./terminal.js";

const codes = {
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  gray: 90,
  bold: 1,
  dim: 2,
} as const;

export type Style = { [K in keyof typeof codes]: (text: string) => string };

export function makeStyle(out: Out): Style {
  const on = out.color;
  const entries = Object.entries(codes).map(([name, code]) => [
    name,
    on ? (text: string) => `${out.esc}[${code}m${text}${out.esc}[0m` : (text: string) => text,
  ]);
  return Object.fromEntries(entries) as Style;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** ✓ evaluated, · cached, ✗ failed, − removed. */
export function statusMark(status: string, style: Style): string {
  if (status === "removed") return style.yellow("−");
  return status === "failed" ? style.red("✗") : status === "cached" ? style.gray("·") : style.green("✓");
}
