// Drives a real `infra watch --json` through its output lines (never by sleeping).
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { BIN } from "./cli.js";

// biome-ignore lint/suspicious/noExplicitAny: JSON lines from the CLI
export type WatchLine = Record<string, any>;

export class WatchSession {
  readonly child: ChildProcess;
  readonly lines: WatchLine[] = [];
  stderr = "";
  private waiters: { test: (l: WatchLine) => boolean; resolve: (l: WatchLine) => void }[] = [];
  private cursor = 0;
  readonly exited: Promise<number | null>;
  /** The signal that ended the process, when one did (exited then says 128). */
  endedBy: NodeJS.Signals | null = null;

  constructor(args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [BIN, "watch", "--json", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1", ...env },
    });
    this.child.stderr!.on("data", (d) => {
      this.stderr += d;
    });
    createInterface({ input: this.child.stdout! }).on("line", (text) => {
      const line = JSON.parse(text) as WatchLine;
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => {
        if (!w.test(line)) return true;
        w.resolve(line);
        return false;
      });
    });
    this.exited = new Promise((resolve) =>
      this.child.on("exit", (code, signal) => {
        this.endedBy = signal;
        resolve(code ?? (signal ? 128 : null));
      }),
    );
  }

  /** The next line (after the cursor) matching `test`; lines before it are skipped. */
  async next(test: (l: WatchLine) => boolean, what = "a line"): Promise<WatchLine> {
    for (; this.cursor < this.lines.length; this.cursor++) {
      const line = this.lines[this.cursor]!;
      if (test(line)) {
        this.cursor++;
        return line;
      }
    }
    const line = await new Promise<WatchLine>((resolve, reject) => {
      this.waiters.push({ test, resolve });
      this.exited.then((code) =>
        reject(new Error(`watch exited (${code}) while waiting for ${what}\n${this.stderr}`)),
      );
    });
    this.cursor = this.lines.indexOf(line) + 1;
    return line;
  }

  /** Every line from the next `change` up to the `idle` that ends its batch (or batches). */
  async batch(): Promise<{ changes: WatchLine[]; results: WatchLine[] }> {
    const start = this.cursor;
    await this.next((l) => l.type === "change", "a change");
    await this.next((l) => l.type === "idle", "idle");
    const slice = this.lines.slice(start, this.cursor);
    return {
      changes: slice.filter((l) => l.type === "change"),
      results: slice.filter((l) => l.type === "result"),
    };
  }

  stop(signal: NodeJS.Signals = "SIGINT"): Promise<number | null> {
    this.child.kill(signal);
    return this.exited;
  }
}
