// How `infra secrets` reports: a host × secret table with a fix for each problem, JSON, and the
// secret browser page. Every field shown is a name, a path, a status or a sentence: the report
// holds no value, so none can be shown.

import type { SecretResult, SecretsReport } from "../../engine/index.js";
import { isSecretFailure } from "../../engine/index.js";
import { htmlText, jsonText } from "../../graph/export/escape.js";
import type { Style } from "./style.js";
import { oneLine } from "./terminal.js";

export function secretsJson(report: SecretsReport): Record<string, unknown> {
  const failed = report.results.filter(isSecretFailure).length;
  return {
    hosts: report.hosts,
    results: report.results,
    warnings: report.warnings,
    problems: report.problems,
    unevaluated: report.unevaluated,
    summary: {
      checked: report.results.length,
      ok: report.results.length - failed,
      failed,
      counts: report.counts,
    },
  };
}

export function secretsTable(report: SecretsReport, style: Style): string {
  const rows = report.results.map((r) => [
    oneLine(r.host),
    oneLine(r.name),
    r.backend,
    r.status,
    oneLine(r.file),
  ]);
  const head = ["host", "secret", "backend", "status", "file"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[], failed = false) =>
    cells
      .map((c, i) => {
        const padded = c.padEnd(widths[i]!);
        return i === 3 ? (failed ? style.red(padded) : style.green(padded)) : padded;
      })
      .join("  ")
      .trimEnd();
  const out = [style.bold(line(head)), ...report.results.map((r, i) => line(rows[i]!, isSecretFailure(r)))];
  const failures = report.results.filter(isSecretFailure);
  if (failures.length > 0) out.push("");
  for (const r of failures)
    out.push(`${style.red("✗")} ${oneLine(r.host)} / ${oneLine(r.name)}: ${r.detail}`);
  for (const p of report.problems) out.push(`${style.red("✗")} ${oneLine(p.where)}: ${p.message}`);
  for (const w of report.warnings) out.push(`${style.yellow("warning:")} ${w.message}`);
  out.push(
    "",
    `${report.results.length} secret(s) of ${report.hosts.length} host(s) checked: ${report.results.length - failures.length} ok, ${failures.length} failed${report.problems.length ? `, ${report.problems.length} problem(s)` : ""}${report.warnings.length ? `, ${report.warnings.length} warning(s)` : ""}`,
  );
  return `${out.join("\n")}\n`;
}

const PAGE_SCRIPT = `
const data = JSON.parse(document.getElementById("data").textContent);
const search = document.getElementById("search");
const body = document.getElementById("rows");
const detail = document.getElementById("detail");
function cell(text, cls) { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; return td; }
function show(filter) {
  body.replaceChildren();
  const q = filter.trim().toLowerCase();
  for (const r of data.results) {
    const hay = [r.host, r.name, r.file, r.backend, r.status].join(" ").toLowerCase();
    if (q !== "" && !hay.includes(q)) continue;
    const tr = document.createElement("tr");
    tr.dataset.host = r.host; tr.dataset.secret = r.name; tr.dataset.status = r.status;
    const hostCell = cell(r.host, "host");
    hostCell.title = "Every secret of " + r.host;
    hostCell.addEventListener("click", (e) => { e.stopPropagation(); selectHost(r.host); });
    tr.append(hostCell, cell(r.name), cell(r.backend), cell(r.status, r.status === "ok" ? "ok" : "bad"), cell(r.file));
    tr.addEventListener("click", () => select(r));
    body.append(tr);
  }
  document.getElementById("count").textContent = body.children.length + " of " + data.results.length;
}
function list(id, heading, sub, rows, text) {
  detail.replaceChildren();
  const h = document.createElement("h2"); h.textContent = heading; detail.append(h);
  const p = document.createElement("p"); p.textContent = sub; detail.append(p);
  const ul = document.createElement("ul"); ul.id = id;
  for (const x of rows) {
    const li = document.createElement("li"); li.dataset.status = x.status; li.dataset.host = x.host; li.dataset.secret = x.name;
    li.textContent = text(x) + ": " + x.status + (x.status === "ok" ? "" : " — " + x.detail);
    ul.append(li);
  }
  detail.append(ul);
}
// Per secret: every host that declares a secret kept in the same file (they break together).
function select(r) {
  const same = data.results.filter((x) => x.file === r.file);
  const bad = same.filter((x) => x.status !== "ok").length;
  list("hosts-of-secret", r.name + " (" + r.backend + ")", r.file + ": " + same.length + " host(s), " + bad + " would fail", same, (x) => x.host + (x.name === r.name ? "" : " (as " + x.name + ")"));
}
// Per host: every secret it declares.
function selectHost(host) {
  const own = data.results.filter((x) => x.host === host);
  const bad = own.filter((x) => x.status !== "ok").length;
  list("secrets-of-host", host, own.length + " secret(s), " + bad + " would fail at activation", own, (x) => x.name + " (" + x.file + ")");
}
search.addEventListener("input", () => show(search.value));
show("");
`;

/** The secret browser: one self-contained page, searchable, per host and per secret. */
export function secretsHtml(report: SecretsReport, title: string): string {
  const payload = {
    results: report.results.map((r: SecretResult) => ({
      host: r.host,
      name: r.name,
      backend: r.backend,
      file: r.file,
      status: r.status,
      detail: r.detail,
    })),
    warnings: report.warnings.map((w) => w.message),
    problems: report.problems,
  };
  const data = jsonText(payload).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'">
<title>${htmlText(title)}</title>
<style>
body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#222}
table{border-collapse:collapse;width:100%}td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:left}
tr{cursor:pointer}tr:hover{background:#eef3fd}td.host{text-decoration:underline dotted}.ok{color:#2a7d2a}.bad{color:#c1121f;font-weight:600}
#search{width:320px;padding:5px}#detail{margin:12px 0;padding:8px;border:1px solid #ddd;min-height:2em}
</style>
</head>
<body>
<h1>${htmlText(title)}</h1>
<p>Which host needs which secret, and whether the repository provides it encrypted for that host. No secret value is on this page: infra never reads one.</p>
<input id="search" type="search" placeholder="Find a host, secret or file…" aria-label="Search"> <span id="count"></span>
<section id="detail" aria-live="polite"><p>Click a row to see every host of that secret, or a host to see all its secrets.</p></section>
<table><thead><tr><th>host</th><th>secret</th><th>backend</th><th>status</th><th>file</th></tr></thead><tbody id="rows"></tbody></table>
<script type="application/json" id="data">${data}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
