// The working-tree loader against `nix eval`, per host of examples/fleet (issue 2's figure):
// infra's own per-target evaluation time (one nix-instantiate running the loader), untraced and
// traced, next to plain `nix eval` of the same attribute, medians of repeated runs.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cliPath, repoRoot } from "./paths.js";
import type { Row, SuiteResult } from "./results.js";
import { median } from "./stats.js";

const NIX_ENV = {
  ...process.env,
  NIX_CONFIG: "experimental-features = nix-command flakes\nbuild-users-group =\nwarn-dirty = false",
  NIX_PATH: "",
};

interface Host {
  name: string;
  attr: string;
  evaluationMs: number;
}

function infraRun(dir: string, env: Record<string, string>): Host[] {
  const out = execFileSync(
    process.execPath,
    [cliPath(), "eval", "--json", "--no-cache", "--jobs", "1", "--repo", dir, "--cache-dir", `${dir}.cache`],
    { env: { ...process.env, ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
  );
  return (JSON.parse(out) as { hosts: Host[] }).hosts;
}

function nixEvalMs(dir: string, attr: string): number {
  const started = performance.now();
  const r = spawnSync("nix", ["eval", "--raw", "--option", "eval-cache", "false", `${dir}#${attr}.drvPath`], {
    env: NIX_ENV,
    stdio: "ignore",
  });
  if (r.status !== 0) throw new Error(`nix eval ${attr} failed`);
  return performance.now() - started;
}

export default async function run(options: { runs?: number } = {}): Promise<SuiteResult> {
  const runs = options.runs ?? 5;
  const dir = mkdtempSync(join(tmpdir(), "infra-bench-loader-"));
  cpSync(join(repoRoot(), "examples", "fleet"), dir, { recursive: true });
  const git = (...args: string[]) => execFileSync("git", ["-C", dir, ...args], { stdio: "ignore" });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("-c", "user.name=bench", "-c", "user.email=bench@infra.invalid", "commit", "-q", "-m", "fleet");
  try {
    const times = new Map<string, { attr: string; untraced: number[]; traced: number[]; nix: number[] }>();
    for (let i = 0; i < runs; i++) {
      for (const [mode, env] of [
        ["untraced", { INFRA_NO_STRACE: "1" }],
        ["traced", {}],
      ] as const) {
        for (const h of infraRun(dir, env)) {
          const t = times.get(h.name) ?? { attr: h.attr, untraced: [], traced: [], nix: [] };
          t[mode].push(h.evaluationMs);
          times.set(h.name, t);
        }
      }
      for (const t of times.values()) t.nix.push(nixEvalMs(dir, t.attr));
    }
    const rows: Row[] = [];
    for (const [name, t] of times) {
      rows.push({
        suite: "loader",
        scenario: `${name}: loader, untraced (traced: ${Math.round(median(t.traced))} ms)`,
        unit: "ms",
        infra: median(t.untraced),
        baseline: median(t.nix),
        ratio: median(t.untraced) / median(t.nix),
        baselineLabel: "nix eval, clean tree",
        samples: runs,
      });
    }
    const all = (k: "untraced" | "traced" | "nix") => median([...times.values()].map((t) => median(t[k])));
    rows.push({
      suite: "loader",
      scenario: "median over hosts: loader untraced",
      unit: "ms",
      infra: all("untraced"),
      baseline: all("nix"),
      ratio: all("untraced") / all("nix"),
      baselineLabel: "nix eval",
      samples: runs,
    });
    rows.push({
      suite: "loader",
      scenario: "median over hosts: loader traced (strace)",
      unit: "ms",
      infra: all("traced"),
      baseline: all("nix"),
      ratio: all("traced") / all("nix"),
      baselineLabel: "nix eval",
      samples: runs,
    });
    return {
      suite: "loader",
      rows,
      checks: [],
      notes: [
        `${runs} runs per host and mode; infra's per-target evaluationMs (the nix-instantiate process), jobs 1`,
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}.cache`, { recursive: true, force: true });
  }
}
