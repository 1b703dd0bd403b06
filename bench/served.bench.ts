// The warm server, end to end: the same commands as a user types them, with `infra serve`
// running and without it, and plain `nix eval` of an edited host, interleaved in one run.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { editHostHardware, generateFleet } from "./fleet.js";
import { hostName } from "./fleet-layout.js";
import { cliPath } from "./paths.js";
import { infraEval, NIX_ENV, nixEval, timedSpawn } from "./proc.js";
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

async function startServer(repo: string, cacheDir: string): Promise<ChildProcess> {
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
