// How `infra ci` reports: a table for people, JUnit XML for CI systems, markdown for a pull
// request comment.
import { XMLBuilder } from "fast-xml-parser";
import { type Comparison, isFailure } from "../../engine/ci.js";
import type { HostResult } from "../../engine/index.js";
import { markdownText, xmlText } from "../../graph/export/escape.js";
import { oneLine } from "./terminal.js";

const fmtMs = (ms: number | undefined) => (ms === undefined ? "–" : `${Math.round(ms)} ms`);
const fmtMB = (mb: number | undefined) => (mb === undefined ? "–" : `${Math.round(mb)} MB`);
const arrow = (a: string, b: string) => (a === "–" ? b : `${a} → ${b}`);

export function verdictLabel(c: Comparison): string {
  return {
    pass: "ok",
    new: "new (no baseline)",
    failed: "evaluation failed",
    time: "slower",
    memory: "more memory",
    "time+memory": "slower, more memory",
  }[c.verdict];
}

export function ciTable(comparisons: Comparison[]): string {
  const rows = comparisons.map((c) => [
    oneLine(c.name),
    arrow(fmtMs(c.before?.timeMs), fmtMs(c.now?.timeMs)),
    arrow(fmtMB(c.before?.memoryMB), fmtMB(c.now?.memoryMB)),
    String(c.now?.samples ?? 0),
    verdictLabel(c),
  ]);
  const head = ["target", "evaluation time", "peak memory", "samples", "verdict"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(head), ...rows.map(line)].join("\n");
}

export function ciMarkdown(comparisons: Comparison[], note: string): string {
  const failed = comparisons.filter((c) => isFailure(c.verdict));
  const lines = [
    `### infra ci: ${failed.length === 0 ? "✅ within budget" : `❌ ${failed.length} target(s) over budget or failing`}`,
    "",
    "| target | evaluation time | peak memory | samples | verdict |",
    "| --- | ---: | ---: | ---: | --- |",
    ...comparisons.map(
      (c) =>
        `| ${markdownText(c.name)} | ${arrow(fmtMs(c.before?.timeMs), fmtMs(c.now?.timeMs))} | ${arrow(fmtMB(c.before?.memoryMB), fmtMB(c.now?.memoryMB))} | ${c.now?.samples ?? 0} | ${verdictLabel(c)} |`,
    ),
    "",
    note,
  ];
  for (const c of failed)
    lines.push("", `**${markdownText(c.name)}**: ${markdownText(c.reasons.join("; "))}`);
  return `${lines.join("\n")}\n`;
}

export function ciJunit(comparisons: Comparison[], hosts: HostResult[]): string {
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const failures = comparisons.filter((c) => isFailure(c.verdict)).length;
  const testcase = comparisons.map((c) => {
    const host = byName.get(c.name);
    const failing = isFailure(c.verdict);
    const detail = host?.error
      ? `${host.error.file ?? ""}${host.error.line ? `:${host.error.line}` : ""} ${host.error.message}`
      : c.reasons.join("\n");
    return {
      "@_classname": xmlText(`infra.${host?.kind ?? "target"}`),
      "@_name": xmlText(c.name),
      "@_time": ((c.now?.timeMs ?? 0) / 1000).toFixed(3),
      ...(failing
        ? {
            failure: {
              "@_message": xmlText(c.reasons[0] ?? verdictLabel(c)),
              "@_type": c.verdict,
              "#text": xmlText(detail),
            },
          }
        : {}),
      ...(c.now
        ? {
            "system-out": `time ${fmtMs(c.now.timeMs)}, memory ${fmtMB(c.now.memoryMB)}, ${c.now.samples} sample(s)`,
          }
        : {}),
    };
  });
  const builder = new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: "@_",
    format: true,
    suppressEmptyNode: true,
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({
    testsuites: {
      testsuite: {
        "@_name": "infra ci",
        "@_tests": comparisons.length,
        "@_failures": failures,
        "@_time": (comparisons.reduce((t, c) => t + (c.now?.timeMs ?? 0), 0) / 1000).toFixed(3),
        testcase,
      },
    },
  })}`;
}
