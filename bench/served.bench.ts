// The warm server, end to end: the same commands as a user types them, with `infra serve`
// running and without it, and plain `nix eval` of an edited host, interleaved in one run.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { calibrateWeight } from "./e2e-scenarios.js";
import { editHostHardware, generateFleet } from "./fleet.js";
import { DEFAULT_FLEET, hostName } from "./fleet-layout.js";
import { cliPath } from "./paths.js";
import { infraEval, NIX_ENV, nixEval, timedSpawn } from "./proc.js";
import type { Row, SuiteResult } from "./results.js";
import { median } from "./stats.js";

export interface ServedOptions {
  hosts: number;
  weight: number;
  jobs: number;
  samples: number;
  log: (line: string) => void;
}

export interface ServedMeasurements {
  /** Fully cached `infra eval` through the server, and in its own process (wall, ms). */
  cachedServed: number[];
  cachedLocal: number[];
  /** `infra affected FILE` through the server (wall, ms). */
  affectedServed: number[];
  /** One host's file edited: infra through the server, and plain nix eval of that host. */
  editServed: number[];
  editNix: number[];
  /** Per evaluated target, durationMs − evaluationMs of the edits (ms). */
  outsideNix: number[];
  /** The server's resident memory after the run (MB), from /proc. */
  serverRssMB: number;
  /** Whether every edit re-evaluated exactly the edited host (and the self host). */
  exact: boolean;
}

function rssMB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return Number.NaN;
  }
}

export async function startServer(repo: string, cacheDir: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [cliPath(), "serve", "--json", "--repo", repo, "--cache-dir", cacheDir],
    {
      env: { ...process.env, ...NIX_ENV },
      stdio: ["ignore", "pipe", "ignore"],
    },
  );
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", () => resolve());
    child.once("exit", (code) => reject(new Error(`infra serve exited ${code} before it was ready`)));
  });
  return child;
}

export async function measureServed(options: ServedOptions): Promise<ServedMeasurements> {
  const work = mkdtempSync(join(tmpdir(), "infra-bench-served-"));
  const fleetDir = join(work, "fleet");
  const cacheDir = join(work, "cache");
  const fleet = generateFleet(fleetDir, { hosts: options.hosts, weight: options.weight });
  const m: ServedMeasurements = {
    cachedServed: [],
    cachedLocal: [],
    affectedServed: [],
    editServed: [],
    editNix: [],
    outsideNix: [],
    serverRssMB: Number.NaN,
    exact: true,
  };
  let server: ChildProcess | undefined;
  try {
    options.log(`served: cold evaluation of ${fleet.hosts.length} hosts`);
    await infraEval({ repo: fleetDir, cacheDir, jobs: options.jobs });
    server = await startServer(fleetDir, cacheDir);
    // The first served command loads the command code into the server; it is not a sample.
    await infraEval({ repo: fleetDir, cacheDir, jobs: options.jobs });
    for (let i = 0; i < options.samples; i++) {
      m.cachedServed.push((await infraEval({ repo: fleetDir, cacheDir, jobs: options.jobs })).wallMs);
      m.cachedLocal.push(
        (await infraEval({ repo: fleetDir, cacheDir, jobs: options.jobs, env: { INFRA_NO_SERVER: "1" } }))
          .wallMs,
      );
      const affected = await timedSpawn(
        process.execPath,
        [
          cliPath(),
          "affected",
          "--json",
          "--repo",
          fleetDir,
          "--cache-dir",
          cacheDir,
          `hosts/${hostName(i)}/hardware.nix`,
        ],
        { env: NIX_ENV },
      );
      m.affectedServed.push(affected.wallMs);
    }
    options.log(`served: ${options.samples} one-host edits`);
    for (let i = 0; i < options.samples; i++) {
      const host = hostName((i * 7 + 3) % fleet.hosts.length);
      editHostHardware(fleetDir, host, 1000 + i);
      const run = await infraEval({ repo: fleetDir, cacheDir, jobs: options.jobs });
      m.editServed.push(run.wallMs);
      const evaluated = run.report.hosts.filter((h) => h.status === "evaluated");
      if (!evaluated.some((h) => h.name === host) || evaluated.length > 2) m.exact = false;
      for (const h of evaluated) m.outsideNix.push(h.durationMs - h.evaluationMs);
      m.editNix.push((await nixEval(fleetDir, host)).wallMs);
    }
    if (server.pid !== undefined) m.serverRssMB = rssMB(server.pid);
  } finally {
    server?.kill("SIGINT");
    if (server) await new Promise((resolve) => server!.once("exit", resolve));
    rmSync(work, { recursive: true, force: true });
  }
  return m;
}

export function servedSummary(m: ServedMeasurements): string {
  const f = (values: number[]) => `${median(values).toFixed(0)} ms`;
  return (
    `served: cached ${f(m.cachedServed)} (in-process ${f(m.cachedLocal)}), affected ${f(m.affectedServed)}, ` +
    `one-host edit ${f(m.editServed)} (its nix eval ${f(m.editNix)}), outside Nix per target ${median(m.outsideNix).toFixed(0)} ms, ` +
    `server RSS ${m.serverRssMB.toFixed(0)} MB`
  );
}

/**
 * The server's resident memory on a large fleet (issue 13: < 200 MB at 1,000 hosts): light hosts
 * evaluated cold once, then the server answers eval, affected, graph (JSON and the page) and
 * secrets, and is measured once idle (it collects what a command built: idle-gc.ts).
 */
export async function measureServerMemory(
  hosts: number,
  jobs: number,
  log: (line: string) => void,
): Promise<{ afterEvalMB: number; afterAllMB: number }> {
  const work = mkdtempSync(join(tmpdir(), "infra-bench-memory-"));
  const fleetDir = join(work, "fleet");
  const cacheDir = join(work, "cache");
  generateFleet(fleetDir, { hosts, weight: 0 });
  let server: ChildProcess | undefined;
  const settle = () => new Promise((resolve) => setTimeout(resolve, 1500));
  const cli = (...args: string[]) =>
    timedSpawn(process.execPath, [cliPath(), ...args, "--repo", fleetDir, "--cache-dir", cacheDir], {
      env: NIX_ENV,
    });
  try {
    log(`served memory: cold evaluation of ${hosts} light hosts`);
    await infraEval({ repo: fleetDir, cacheDir, jobs });
    server = await startServer(fleetDir, cacheDir);
    for (let i = 0; i < 3; i++) await infraEval({ repo: fleetDir, cacheDir, jobs });
    await settle();
    const afterEvalMB = rssMB(server.pid!);
    await cli("affected", "--json", `hosts/${hostName(5)}/hardware.nix`);
    await cli("graph", "--format", "json");
    await cli("graph", "--format", "html");
    await cli("secrets", "--json");
    await settle();
    return { afterEvalMB, afterAllMB: rssMB(server.pid!) };
  } finally {
    server?.kill("SIGINT");
    if (server) await new Promise((resolve) => server!.once("exit", resolve));
    rmSync(work, { recursive: true, force: true });
  }
}

/** `npm run bench`: the served figures on the e2e fleet (200 hosts of ~0.3 s), and memory at 1,000. */
export default async function run(options: {
  quick?: boolean;
  hosts?: number | undefined;
  hostMs?: number | undefined;
  jobs?: number;
  log?: (line: string) => void;
}): Promise<SuiteResult> {
  const log = options.log ?? (() => {});
  const quick = options.quick === true;
  const hosts = options.hosts ?? (quick ? 40 : DEFAULT_FLEET.hosts);
  const jobs = options.jobs ?? 2;
  const work = mkdtempSync(join(tmpdir(), "infra-bench-served-calibration-"));
  let weight: number;
  try {
    ({ weight } = await calibrateWeight(
      work,
      { ...DEFAULT_FLEET, hosts, weight: 0 },
      options.hostMs ?? 300,
      log,
    ));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const m = await measureServed({ hosts, weight, jobs, samples: quick ? 5 : 11, log });
  const memoryHosts = quick ? 200 : 1000;
  const memory = await measureServerMemory(memoryHosts, jobs, log);
  const suite = "served";
  const rows: Row[] = [
    {
      suite,
      scenario: `fully cached infra eval through infra serve (${hosts} hosts)`,
      unit: "ms",
      infra: median(m.cachedServed),
      baseline: median(m.cachedLocal),
      baselineLabel: "the same without a server",
      ratio: median(m.cachedServed) / median(m.cachedLocal),
      target: { on: "infra", op: "<=", value: 100, text: "≤ 100 ms" },
      samples: m.cachedServed.length,
    },
    {
      suite,
      scenario: "infra affected FILE through infra serve",
      unit: "ms",
      infra: median(m.affectedServed),
      target: { on: "infra", op: "<=", value: 60, text: "≤ 60 ms" },
      samples: m.affectedServed.length,
    },
    {
      suite,
      scenario: "one host's file edited, through infra serve",
      unit: "ms",
      infra: median(m.editServed),
      baseline: median(m.editNix),
      baselineLabel: "nix eval of that host",
      ratio: median(m.editServed) / median(m.editNix),
      target: { on: "difference", op: "<=", value: 100, text: "≤ nix eval + 100 ms" },
      samples: m.editServed.length,
    },
    {
      suite,
      scenario: "time outside Nix per evaluated target (durationMs − evaluationMs)",
      unit: "ms",
      infra: median(m.outsideNix),
      target: { on: "infra", op: "<=", value: 20, text: "≤ 20 ms" },
      samples: m.outsideNix.length,
    },
    {
      suite,
      scenario: `server resident memory, ${memoryHosts} hosts, after eval`,
      unit: "MB",
      infra: memory.afterEvalMB,
      samples: 1,
    },
    {
      suite,
      scenario: `server resident memory, ${memoryHosts} hosts, after eval, affected, graph (JSON, page) and secrets`,
      unit: "MB",
      infra: memory.afterAllMB,
      target: { on: "infra", op: "<=", value: 200, text: "< 200 MB" },
      samples: 1,
    },
  ];
  return {
    suite,
    rows,
    checks: [
      {
        name: "served one-host edits re-evaluate exactly the edited host (and the self host)",
        pass: m.exact,
        detail: servedSummary(m),
      },
    ],
    notes: [`host weight calibrated to ${weight} ms of fold for ~${options.hostMs ?? 300} ms of nix eval`],
  };
}
