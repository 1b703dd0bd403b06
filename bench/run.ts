#!/usr/bin/env node
// `npm run bench`: runs every compiled suite (dist/bench/*.bench.js) and writes
// bench/results/results.json and bench/results/results.md.
//
//   npm run bench -- [--hosts N] [--host-ms MS] [--jobs N] [--quick] [--only trace,e2e] [--keep]
//   (or INFRA_BENCH_HOSTS, INFRA_BENCH_HOST_MS, INFRA_BENCH_JOBS, INFRA_BENCH_QUICK=1, INFRA_BENCH_ONLY)
//
// Exit 0 when every suite ran and every correctness check passed (a missed performance target is
// reported, not an error: the gate is what fails CI); 1 otherwise; 2 on a usage error.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { describeMachine } from "./machine.js";
import { repoRoot } from "./paths.js";
import { markdownReport, type SuiteResult, verdict } from "./results.js";
import { isSuiteResult, rowsFromCases, suiteOrder } from "./suites.js";

/** Options every suite receives; suites ignore what they do not use. */
export interface RunOptions {
  quick: boolean;
  hosts: number | undefined;
  hostMs: number | undefined;
  jobs: number;
  keep: boolean;
  log: (line: string) => void;
}

type SuiteModule = { default?: (options: RunOptions) => Promise<unknown> };

function positiveInt(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === "") return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got '${text}'`);
  return n;
}

function options(argv: string[]): { run: RunOptions; only: string[] | undefined } {
  const { values } = parseArgs({
    args: argv,
    options: {
      hosts: { type: "string" },
      "host-ms": { type: "string" },
      jobs: { type: "string" },
      quick: { type: "boolean" },
      only: { type: "string" },
      keep: { type: "boolean" },
    },
  });
  const env = process.env;
  const only = values.only ?? env.INFRA_BENCH_ONLY;
  return {
    run: {
      quick: values.quick ?? env.INFRA_BENCH_QUICK === "1",
      hosts: positiveInt("--hosts", values.hosts ?? env.INFRA_BENCH_HOSTS),
      hostMs: positiveInt("--host-ms", values["host-ms"] ?? env.INFRA_BENCH_HOST_MS),
      jobs: positiveInt("--jobs", values.jobs ?? env.INFRA_BENCH_JOBS) ?? availableParallelism(),
      keep: values.keep ?? false,
      log: (line) => process.stderr.write(`${line}\n`),
    },
    only: only ? only.split(",").map((s) => s.trim()) : undefined,
  };
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof options>;
  try {
    parsed = options(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    return 2;
  }
  const { run, only } = parsed;
  const here = dirname(fileURLToPath(import.meta.url));
  const names = suiteOrder(readdirSync(here)).filter((n) => only === undefined || only.includes(n));
  const started = new Date();
  const suites: SuiteResult[] = [];
  const opaque: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const name of names) {
    run.log(`bench: ${name}`);
    const t0 = Date.now();
    try {
      const mod = (await import(pathToFileURL(join(here, `${name}.bench.js`)).href)) as SuiteModule;
      if (typeof mod.default !== "function") throw new Error(`${name}.bench.js has no default run() export`);
      const result = await mod.default(run);
      if (isSuiteResult(result)) suites.push(result);
      else {
        // Kept as it came in results.json; shown in the table when it is a list of medians.
        opaque[name] = result ?? null;
        const rows = rowsFromCases(name, result);
        if (rows) suites.push({ suite: name, rows, checks: [], notes: [] });
      }
    } catch (error) {
      errors[name] = (error as Error).stack ?? String(error);
      run.log(`bench: ${name} failed: ${(error as Error).message}`);
    }
    run.log(`bench: ${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const durationS = (Date.now() - started.getTime()) / 1000;
  const machine = describeMachine();
  const settings = {
    hosts: run.hosts ?? (run.quick ? 40 : 200),
    hostMs: run.hostMs ?? 300,
    jobs: run.jobs,
    quick: run.quick,
    suites: names.join(" "),
  };
  const dir = join(repoRoot(), "bench", "results");
  mkdirSync(dir, { recursive: true });
  const json = { startedAt: started.toISOString(), durationS, machine, settings, suites, opaque, errors };
  writeFileSync(join(dir, "results.json"), `${JSON.stringify(json, null, 2)}\n`);
  let md = markdownReport({
    title: "infra benchmarks",
    machine,
    settings,
    suites,
    opaque: Object.keys(opaque),
    startedAt: started.toISOString(),
    durationS,
  });
  if (Object.keys(errors).length > 0)
    md += `\nSuites that failed to run: ${Object.keys(errors).join(", ")}.\n`;
  writeFileSync(join(dir, "results.md"), md);
  process.stdout.write(md);
  process.stderr.write(`bench: wrote ${join(dir, "results.json")} and results.md\n`);
  const failedTargets = suites.flatMap((s) => s.rows).filter((r) => verdict(r) === false).length;
  if (failedTargets > 0) process.stderr.write(`bench: ${failedTargets} performance target(s) missed\n`);
  const failedChecks = suites.flatMap((s) => s.checks).filter((c) => !c.pass).length;
  return Object.keys(errors).length > 0 || failedChecks > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
