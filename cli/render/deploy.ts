// How `infra deploy` and `infra plan` reports look to people: one row per target, then what went
// wrong (with the failing command's own output) and a summary line.
import type { DeployError, DeployReport, PlanReport } from "../../engine/index.js";
import { formatMs, type Style } from "./style.js";
import { type Out, oneLine } from "./terminal.js";

export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes);
  if (abs < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

const signed = (bytes: number) => `${bytes >= 0 ? "+" : "−"}${formatBytes(Math.abs(bytes))}`;

function formatError(error: DeployError, style: Style): string {
  const where = error.file
    ? `${oneLine(error.file)}${error.line ? `:${error.line}:${error.column ?? 1}` : ""}: `
    : "";
  const lines = [`  ${style.red("error:")} ${where}${error.message}`];
  if (error.output) for (const line of error.output.split("\n")) lines.push(`    ${style.gray(line)}`);
  for (const hint of error.hints) lines.push(`  ${style.cyan("hint:")} ${hint}`);
  return `${lines.join("\n")}\n`;
}

export function renderDeploy(report: DeployReport, stream: Out, style: Style): void {
  const width = Math.max(4, ...report.hosts.map((h) => oneLine(h.name).length));
  for (const h of report.hosts) {
    const mark =
      h.status === "deployed"
        ? style.green("✓")
        : h.status === "up-to-date"
          ? style.gray("·")
          : style.red("✗");
    const status = h.rolledBack ? "failed (rolled back)" : h.status;
    const detail = h.status === "deployed" || h.status === "up-to-date" ? (h.next ?? "") : (h.host ?? "");
    stream.write(
      `${mark} ${oneLine(h.name).padEnd(width)}  ${status.padEnd(20)} ${formatMs(h.durationMs).padStart(8)}  ${style.gray(oneLine(detail))}\n`,
    );
  }
  const bad = report.hosts.filter((h) => h.error);
  if (bad.length > 0) stream.write("\n");
  for (const h of bad) stream.write(`${style.bold(oneLine(h.name))}\n${formatError(h.error!, style)}`);
  const s = report.summary;
  stream.write(
    `\n${s.deployed} deployed, ${s.upToDate} up to date, ${s.failed} failed, ${s.skipped} skipped in ${formatMs(s.durationMs)}\n`,
  );
}

export function renderPlan(report: PlanReport, stream: Out, style: Style): void {
  const width = Math.max(4, ...report.hosts.map((h) => oneLine(h.name).length));
  for (const h of report.hosts) {
    const size =
      h.sizeDelta === null
        ? ""
        : `${signed(h.sizeDelta)}${h.closureSize.before !== null && h.closureSize.after !== null ? ` (${formatBytes(h.closureSize.before)} → ${formatBytes(h.closureSize.after)})` : ""}`;
    const mark =
      h.status === "up-to-date"
        ? style.gray("·")
        : h.status === "unreachable" || h.status === "skipped"
          ? style.red("✗")
          : style.yellow("~");
    stream.write(`${mark} ${oneLine(h.name).padEnd(width)}  ${h.status.padEnd(12)} ${size}\n`);
    for (const p of h.packages) {
      const versions = (list: string[]) => (list.length === 0 ? "∅" : list.map((v) => v || "ε").join(", "));
      stream.write(
        `    ${oneLine(p.name)}: ${oneLine(versions(p.before))} → ${oneLine(versions(p.after))}${p.sizeDelta !== 0 ? `, ${signed(p.sizeDelta)}` : ""}\n`,
      );
    }
    if (h.error) stream.write(formatError(h.error, style));
  }
  const s = report.summary;
  stream.write(
    `\n${s.changed} changed, ${s.new} new, ${s.upToDate} up to date, ${s.unreachable} unreachable, ${s.skipped} skipped\n`,
  );
}
