// Live progress of a run: on a terminal, a redrawn block (running targets, counts, elapsed);
// elsewhere, one plain line per finished target.
import type { EngineEvent, HostResult } from "../../engine/index.js";
import { formatMs, makeStyle, statusMark } from "./style.js";
import { type Out, oneLine } from "./terminal.js";

export interface Progress {
  handle(event: EngineEvent): void;
  stop(): void;
}

export function createProgress(stream: Out, options: { quietCached?: boolean } = {}): Progress {
  const style = makeStyle(stream);
  const started = performance.now();
  const running = new Map<string, number>();
  const counts = { evaluated: 0, cached: 0, failed: 0, removed: 0 };
  let total: number | undefined;
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  const tty = stream.isTTY;

  const clear = () => {
    if (drawn > 0) stream.write(`${stream.esc}[${drawn}A${stream.esc}[0J`);
    drawn = 0;
  };
  const draw = () => {
    clear();
    const now = performance.now();
    const lines = [...running]
      .slice(0, 12)
      .map(([name, since]) => `  ${style.cyan("…")} ${oneLine(name)} ${style.gray(formatMs(now - since))}`);
    if (running.size > 12) lines.push(style.gray(`  … and ${running.size - 12} more`));
    const done = counts.evaluated + counts.cached + counts.failed;
    lines.push(
      style.gray(
        `  ${done}${total !== undefined ? `/${total}` : ""} done · ${counts.evaluated} evaluated · ${counts.cached} cached · ${counts.failed} failed · ${formatMs(now - started)}`,
      ),
    );
    stream.write(`${lines.join("\n")}\n`);
    drawn = lines.length;
  };
  const line = (result: HostResult) => {
    const mark = statusMark(result.status, style);
    const detail =
      result.status === "failed"
        ? style.red(result.error?.message.split("\n")[0] ?? "failed")
        : formatMs(result.evaluationMs);
    return `${mark} ${oneLine(result.name)} ${style.gray(result.status)} ${detail}\n`;
  };

  return {
    handle(event) {
      // The plan counts what this run looks at (`infra eval web1` is one target, not the fleet).
      if (event.type === "discovered") total ??= event.targets;
      else if (event.type === "plan") total = event.total;
      else if (event.type === "start") running.set(event.name, performance.now());
      else if (event.type === "result") {
        running.delete(event.result.name);
        counts[event.result.status]++;
        if (!tty) {
          if (!(options.quietCached && event.result.status === "cached")) stream.write(line(event.result));
          return;
        }
        clear();
        if (event.result.status !== "cached") stream.write(line(event.result));
      } else if (event.type === "warning") {
        clear();
        stream.write(`${style.yellow("warning:")} ${event.message}\n`);
      }
      if (tty) {
        timer ??= setInterval(draw, 100).unref();
        draw();
      }
    },
    stop() {
      if (timer) clearInterval(timer);
      if (tty) clear();
    },
  };
}
