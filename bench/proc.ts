// Timed child processes: the real infra CLI and plain `nix eval`, each measured as wall time
// around the whole process (process.hrtime), as a user at a shell would experience it.
import { spawn } from "node:child_process";
import type { EvalReport } from "../engine/index.js";
import { cliPath } from "./paths.js";

/** Nix settings for plain nix commands (the same ones infra sets for its own nix processes). */
export const NIX_ENV: Record<string, string> = {
  NIX_CONFIG: "experimental-features = nix-command flakes\nbuild-users-group =\nwarn-dirty = false",
  NIX_PATH: "",
};

export interface Timed {
  wallMs: number;
  exitCode: number;
  stdout: string;
  stderr: string;
}

export function timedSpawn(
  program: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(program, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", reject);
    child.on("close", (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      resolve({
        wallMs,
        exitCode: code ?? -1,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
  });
}

export interface InfraRun {
  wallMs: number;
  report: EvalReport;
}

export interface InfraEvalOptions {
  repo: string;
  cacheDir: string;
  jobs: number;
  names?: string[];
  noCache?: boolean;
  env?: Record<string, string>;
}

/** `infra eval --json` through the compiled CLI; throws when it did not produce a report. */
export async function infraEval(options: InfraEvalOptions): Promise<InfraRun> {
  const args = [cliPath(), "eval", "--json", "--repo", options.repo, "--cache-dir", options.cacheDir];
  args.push("--jobs", String(options.jobs));
  if (options.noCache) args.push("--no-cache");
  args.push(...(options.names ?? []));
  const run = await timedSpawn(process.execPath, args, { env: { ...NIX_ENV, ...options.env } });
  let report: EvalReport;
  try {
    report = JSON.parse(run.stdout) as EvalReport;
  } catch {
    throw new Error(`infra eval exited ${run.exitCode} without a JSON report:\n${run.stderr.slice(-2000)}`);
  }
  if (run.exitCode !== 0) {
    const failed = report.hosts.filter((h) => h.status === "failed").map((h) => h.name);
    throw new Error(`infra eval failed for ${failed.join(", ") || "a flake"}:\n${run.stderr.slice(-2000)}`);
  }
  return { wallMs: run.wallMs, report };
}

export function toplevelAttr(host: string): string {
  return `nixosConfigurations.${host}.config.system.build.toplevel.drvPath`;
}

export interface PlainRun {
  host: string;
  wallMs: number;
  drvPath: string;
}

/** Plain `nix eval --raw <fleet>#…drvPath` of one host, without Nix's flake evaluation cache. */
export async function nixEval(fleetDir: string, host: string): Promise<PlainRun> {
  const run = await timedSpawn(
    "nix",
    ["eval", "--raw", "--option", "eval-cache", "false", `${fleetDir}#${toplevelAttr(host)}`],
    { env: NIX_ENV },
  );
  if (run.exitCode !== 0) throw new Error(`nix eval of ${host} failed:\n${run.stderr.slice(-2000)}`);
  return { host, wallMs: run.wallMs, drvPath: run.stdout.trim() };
}

/** Runs `fn` over `items` with at most `limit` at a time; results in input order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

export interface PlainBatch {
  wallMs: number;
  runs: PlainRun[];
}

/** Plain `nix eval` of each host, `jobs` processes at a time (1: the single-process rate). */
export async function nixEvalMany(fleetDir: string, hosts: string[], jobs: number): Promise<PlainBatch> {
  const started = process.hrtime.bigint();
  const runs = await mapLimit(hosts, jobs, (host) => nixEval(fleetDir, host));
  return { wallMs: Number(process.hrtime.bigint() - started) / 1e6, runs };
}
