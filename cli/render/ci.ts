// How `infra ci` reports: a table for people, JUnit XML for CI systems, markdown for a pull
// request comment.
import { XMLBuilder } from "fast-xml-parser";
import { type Comparison, isFailure } from "../../engine/ci.js";
import { type HostResult, isSecretFailure, type SecretResult } from "../../engine/index.js";
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

export function ciMarkdown(comparisons: Comparison[], note: string, secrets: SecretResult[] = []): string {
  const failed = comparisons.filter((c) => isFailure(c.verdict));
  const secretFailures = secrets.filter(isSecretFailure);
  const lines = [
    `### infra ci: ${failed.length === 0 && secretFailures.length === 0 ? "✅ within budget" : failed.length === 0 ? `❌ ${secretFailures.length} secret check(s) failing` : `❌ ${failed.length} target(s) over budget or failing`}`,
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
  if (secretFailures.length > 0) {
    lines.push("", `#### ❌ ${secretFailures.length} secret check(s) failing`, "");
    for (const r of secretFailures)
      lines.push(
        `- **${markdownText(r.host)}** / ${markdownText(r.name)}: ${markdownText(r.status)}: ${markdownText(r.detail)}`,
      );
  }
  return `${lines.join("\n")}\n`;
}

export function ciJunit(
  comparisons: Comparison[],
  hosts: HostResult[],
  secrets: SecretResult[] = [],
): string {
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
      testsuite: [
        {
          "@_name": "infra ci",
          "@_tests": comparisons.length,
          "@_failures": failures,
          "@_time": (comparisons.reduce((t, c) => t + (c.now?.timeMs ?? 0), 0) / 1000).toFixed(3),
          testcase,
        },
        // Only when a check fails: a fleet whose secrets all hold reports one suite, as before.
        ...(!secrets.some(isSecretFailure)
          ? []
          : [
              {
                "@_name": "infra secrets",
                "@_tests": secrets.length,
                "@_failures": secrets.filter(isSecretFailure).length,
                // One case per declared secret: a failure says which and how to fix it.
                testcase: secrets.map((r) => ({
                  "@_classname": xmlText(`infra.secrets.${r.host}`),
                  "@_name": xmlText(`${r.name} (${r.backend}, ${r.file})`),
                  ...(isSecretFailure(r)
                    ? {
                        failure: {
                          "@_message": xmlText(r.status),
                          "@_type": r.status,
                          "#text": xmlText(r.detail),
                        },
                      }
                    : {}),
                })),
              },
            ]),
      ],
    },
  })}`;
}
