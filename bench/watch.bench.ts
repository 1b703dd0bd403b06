// `infra watch` figures (issue 5): from the end of the debounce to the first nix process, CPU
// while idle, and memory across many edit cycles. Drives the real CLI through its JSON lines.
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { editHostHardware, generateFleet } from "./fleet.js";
import { cliPath } from "./paths.js";
import type { Row, SuiteResult } from "./results.js";
import { median } from "./stats.js";

export interface WatchOptions {
  /** Edit cycles for the memory figure (default 1,000). */
  cycles?: number;
  /** Latency samples (default 20). */
  samples?: number;
  debounceMs?: number;
}

type Line = Record<string, unknown>;

class Session {
  readonly child: ChildProcess;
  private readonly waiters: { test: (l: Line) => boolean; resolve: (at: number) => void }[] = [];

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [cliPath(), "watch", "--json", ...args], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    createInterface({ input: this.child.stdout! }).on("line", (text) => {
      const at = performance.now();
      const line = JSON.parse(text) as Line;
      for (const w of this.waiters.splice(0)) {
        if (w.test(line)) w.resolve(at);
        else this.waiters.push(w);
      }
    });
  }

  /** Resolves with the time the next matching line arrived. */
  next(test: (l: Line) => boolean): Promise<number> {
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }
}

/** CPU time (user + system, in ms) of a process and its threads, from /proc. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks at USER_HZ = 100
}

function rssMB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"))!;
  return Number(line.replace(/\D+/g, "")) / 1024;
}

/** The first time a nix process evaluating `host` (its request names it) is seen, polling /proc. */
async function nixStarted(host: string, deadline: number): Promise<number> {
  const needle = `"${host}"`;
  while (performance.now() < deadline) {
    for (const pid of readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
        if (cmd.startsWith("/") && cmd.includes("nix-instantiate") && cmd.includes(needle))
          return performance.now();
      } catch {}
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`no nix process for ${host} appeared`);
}

export default async function run(options: WatchOptions = {}): Promise<SuiteResult> {
  const cycles = options.cycles ?? Number(process.env.INFRA_BENCH_WATCH_CYCLES ?? 1000);
  const samples = options.samples ?? 20;
  const debounce = options.debounceMs ?? 80;
  const dir = join(tmpdir(), `infra-bench-watch-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  generateFleet(dir, { hosts: 20, weight: 0, selfHost: false });
  const session = new Session(["--repo", dir, "--cache-dir", `${dir}.cache`, "--debounce", String(debounce)]);
  const pid = session.child.pid!;
  try {
    await session.next((l) => l.type === "ready");

    // Latency: the `change` line is printed when the debounce ends; then the target's nix starts.
    const latencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      const host = `h00${i % 10}`;
      const change = session.next((l) => l.type === "change");
      const idle = session.next((l) => l.type === "idle");
      editHostHardware(dir, host, 1000 + i);
      const changeAt = await change;
      const nixAt = await nixStarted(host, changeAt + 10_000);
      latencies.push(nixAt - changeAt);
      await idle;
    }

    // Idle: no changes for a while.
    const idleMs = 5000;
    const before = cpuMs(pid);
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    const idleCpu = cpuMs(pid) - before;

    // Memory across edit cycles, sampled every 10% of the run.
    const rss: number[] = [];
    for (let i = 0; i < cycles; i++) {
      const idle = session.next((l) => l.type === "idle");
      editHostHardware(dir, `h00${i % 10}`, 10_000 + i);
      await idle;
      if ((i + 1) % Math.max(1, Math.floor(cycles / 10)) === 0) rss.push(rssMB(pid));
    }
    const rows: Row[] = [
      {
        suite: "watch",
        scenario: `end of debounce → first nix process (20 hosts, debounce ${debounce} ms)`,
        unit: "ms",
        infra: median(latencies),
        target: { on: "infra", op: "<=", value: 50, text: "< 50 ms" },
        samples: latencies.length,
      },
      {
        suite: "watch",
        scenario: `CPU while idle (share of one core over ${idleMs / 1000} s)`,
        unit: "%",
        infra: (idleCpu / idleMs) * 100,
        note: `${idleCpu} ms of CPU time`,
        samples: 1,
      },
      {
        suite: "watch",
        scenario: `resident memory after ${cycles} edit cycles`,
        unit: "MB",
        infra: rss.at(-1),
        baseline: rss[0],
        baselineLabel: `after ${Math.floor(cycles / 10)} cycles`,
        note: `every ${Math.floor(cycles / 10)} cycles: ${rss.map((m) => Math.round(m)).join(", ")} MB`,
        samples: rss.length,
      },
    ];
    return {
      suite: "watch",
      rows,
      checks: [],
      notes: [`latency samples (ms): ${latencies.map((l) => l.toFixed(1)).join(", ")}`],
    };
  } finally {
    session.child.kill("SIGINT");
    await new Promise((resolve) => session.child.once("exit", resolve));
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}.cache`, { recursive: true, force: true });
  }
}
