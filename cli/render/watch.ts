// What `infra watch` shows: JSON lines (the contract), a live table on a terminal, plain lines
// otherwise.
import type { EngineEvent, HostResult } from "../../engine/index.js";
import { formatHostError } from "./error.js";
import { formatMs, makeStyle, statusMark } from "./style.js";
import { type Out, oneLine } from "./terminal.js";

export type WatchRenderer = (event: EngineEvent) => void;

/** One JSON object per line: ready, change, result (eval's host shape + type), idle. */
export function jsonLines(out: Out, err: Out): WatchRenderer {
  return (event) => {
    if (event.type === "result") out.json({ type: "result", ...event.result });
    else if (event.type === "ready" || event.type === "idle") out.json({ type: event.type });
    else if (event.type === "change") out.json({ type: "change", paths: event.paths });
    else if (event.type === "warning") err.write(`warning: ${event.message}\n`);
  };
}

export function plainLines(out: Out): WatchRenderer {
  const style = makeStyle(out);
  return (event) => {
    if (event.type === "result") {
      const r = event.result;
      const mark = statusMark(r.status, style);
      out.write(
        `${mark} ${oneLine(r.name)} ${r.status}${r.status === "evaluated" ? ` ${formatMs(r.evaluationMs)}` : ""}\n`,
      );
      if (r.error) out.write(`${formatHostError(r.error, style)}\n`);
    } else if (event.type === "ready") out.write(style.gray("watching for changes (Ctrl-C to stop)\n"));
    else if (event.type === "change")
      out.write(style.cyan(`changed: ${event.paths.map(oneLine).join(", ")}\n`));
    else if (event.type === "warning") out.write(`${style.yellow("warning:")} ${event.message}\n`);
  };
}

type RowState = "cached" | "queued" | "evaluating" | "ok" | "failed";

/** A live table: one row per target (state, what triggered it, duration), errors below, counts. */
export function liveTable(out: Out): WatchRenderer {
  const style = makeStyle(out);
  const rows = new Map<string, { state: RowState; trigger: string; result?: HostResult; since: number }>();
  let trigger = "start";
  let watching = false;
  let drawn = 0;
  const draw = () => {
    if (drawn > 0) out.write(`${out.esc}[${drawn}A${out.esc}[0J`);
    const width = Math.max(6, ...[...rows.keys()].map((n) => oneLine(n).length));
    const lines: string[] = [];
    const colour: Record<RowState, (s: string) => string> = {
      cached: style.gray,
      queued: style.yellow,
      evaluating: style.cyan,
      ok: style.green,
      failed: style.red,
    };
    for (const [name, row] of [...rows].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const time =
        row.state === "evaluating"
          ? formatMs(performance.now() - row.since)
          : row.result && !row.result.fromCache
            ? formatMs(row.result.evaluationMs)
            : "";
      lines.push(
        `${oneLine(name).padEnd(width)}  ${colour[row.state](row.state.padEnd(10))} ${time.padStart(8)}  ${style.gray(row.trigger)}`,
      );
    }
    for (const [name, row] of rows) {
      if (row.state === "failed" && row.result?.error)
        lines.push("", style.bold(oneLine(name)), formatHostError(row.result.error, style));
    }
    const count = (s: RowState) => [...rows.values()].filter((r) => r.state === s).length;
    lines.push(
      "",
      style.gray(
        `${count("ok") + count("cached")} ok · ${count("failed")} failed · ${count("evaluating")} evaluating · ${watching ? "watching (Ctrl-C to stop)" : "starting"}`,
      ),
    );
    out.write(`${lines.join("\n")}\n`);
    drawn = lines.reduce((n, l) => n + l.split("\n").length, 0);
  };
  setInterval(() => {
    if ([...rows.values()].some((r) => r.state === "evaluating")) draw();
  }, 200).unref();
  return (event) => {
    if (event.type === "start")
      rows.set(event.name, { state: "evaluating", trigger, since: performance.now() });
    else if (event.type === "result") {
      const r = event.result;
      // A removed target leaves the table.
      if (r.status === "removed") rows.delete(r.name);
      else
        rows.set(r.name, {
          state: r.status === "failed" ? "failed" : r.status === "cached" ? "cached" : "ok",
          trigger: r.fromCache ? "cache" : trigger,
          result: r,
          since: 0,
        });
    } else if (event.type === "change")
      trigger =
        event.paths.slice(0, 2).map(oneLine).join(", ") +
        (event.paths.length > 2 ? ` +${event.paths.length - 2}` : "");
    else if (event.type === "ready") watching = true;
    else if (event.type === "warning") {
      out.write(`${style.yellow("warning:")} ${event.message}\n`);
      drawn = 0;
    } else return;
    draw();
  };
}
