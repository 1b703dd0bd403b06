// Live progress of `infra deploy` and `infra plan`: on a terminal, a redrawn block with each
// target's step (asking, building, copying with bytes, activating, rolling back) and finished
// targets printed above it; elsewhere, one plain line per step and per finished target.
import type { EngineEvent } from "../../engine/index.js";
import { formatBytes } from "./deploy.js";
import { formatMs, makeStyle } from "./style.js";
import { type Out, oneLine } from "./terminal.js";

export interface DeployProgress {
  handle(event: EngineEvent): void;
  stop(): void;
}

export function createDeployProgress(stream: Out): DeployProgress {
  const style = makeStyle(stream);
  const started = performance.now();
  const steps = new Map<
    string,
    { step: string; since: number; bytes?: { done: number; expected: number } }
  >();
  let evaluating: { total: number; done: number } | undefined;
  let finished = 0;
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
    const lines: string[] = [];
    if (evaluating && evaluating.done < evaluating.total)
      lines.push(`  ${style.cyan("…")} evaluating ${evaluating.done}/${evaluating.total}`);
    for (const [name, s] of [...steps].slice(0, 12)) {
      const bytes =
        s.bytes && s.bytes.expected > 0
          ? ` ${formatBytes(s.bytes.done)} / ${formatBytes(s.bytes.expected)}`
          : "";
      lines.push(
        `  ${style.cyan("…")} ${oneLine(name)} ${s.step}${bytes} ${style.gray(formatMs(now - s.since))}`,
      );
    }
    if (steps.size > 12) lines.push(style.gray(`  … and ${steps.size - 12} more`));
    lines.push(style.gray(`  ${finished} done · ${formatMs(now - started)}`));
    stream.write(`${lines.join("\n")}\n`);
    drawn = lines.length;
  };
  const print = (text: string) => {
    if (tty) clear();
    stream.write(text);
  };

  return {
    handle(event) {
      if (event.type === "plan") evaluating = { total: event.total, done: 0 };
      else if (event.type === "result" && evaluating) evaluating.done++;
      else if (event.type === "deploy-step") {
        const known = steps.get(event.name);
        if (known?.step === event.step) known.bytes = event.bytes;
        else {
          steps.set(event.name, { step: event.step, since: performance.now(), bytes: event.bytes });
          if (!tty) stream.write(`${oneLine(event.name)} ${event.step}\n`);
        }
      } else if (event.type === "deploy-result" || event.type === "plan-result") {
        steps.delete(event.result.name);
        finished++;
        const { result } = event;
        const bad = ["failed", "skipped", "unreachable"].includes(result.status);
        const mark = bad
          ? style.red("✗")
          : result.status === "up-to-date"
            ? style.gray("·")
            : style.green("✓");
        const why = result.error ? ` ${style.red(oneLine(result.error.message.split("\n")[0] ?? ""))}` : "";
        print(`${mark} ${oneLine(result.name)} ${style.gray(result.status)}${why}\n`);
      } else if (event.type === "warning") print(`${style.yellow("warning:")} ${event.message}\n`);
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
