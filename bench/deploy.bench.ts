// infra deploy and infra plan on real machines on loopback (bench/target-harness.ts): 20 NixOS
// targets made from test/fixtures/deploy-fleet, each a real sshd over a Nix 2.26 store.
//
// - 1 of 20 changed: infra's wall time against the changed target's own copy + activation done
//   by hand (nix copy, then the same one ssh call infra's activation makes, on another edit of
//   the same host); the 19 others must cost one ssh round trip each (counted by a PATH shim).
// - 20 changed: --jobs 4 against --jobs 1, alternating, evaluations cached beforehand (both
//   runs evaluate nothing: what is compared is deploying).
// - infra plan of 20 unchanged targets.
import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cliPath, repoRoot } from "./paths.js";
import { NIX_ENV, timedSpawn } from "./proc.js";
import type { Check, Row, SuiteResult } from "./results.js";
import type { RunOptions } from "./run.js";
import { median } from "./stats.js";
import { createHarness, type TargetHarness, type TargetHost } from "./target-harness.js";

const TARGETS = 20;
const ENV = { ...NIX_ENV, NIX_CONFIG: `${NIX_ENV.NIX_CONFIG}\nsubstituters =` };
const names = Array.from({ length: TARGETS }, (_, i) => `h${String(i + 1).padStart(2, "0")}`);

interface Fleet {
  dir: string;
  cache: string;
  /** A PATH prefix whose `ssh` logs each start. */
  spy: { path: string; log: string };
  edit(name: string): void;
}

function makeFleet(work: string, harness: TargetHarness, targets: Map<string, TargetHost>): Fleet {
  const dir = join(work, "fleet");
  cpSync(join(repoRoot(), "test", "fixtures", "deploy-fleet"), dir, { recursive: true });
  rmSync(join(dir, "hosts"), { recursive: true });
  let edits = 0;
  const write = (name: string, motd: string) => {
    mkdirSync(join(dir, "hosts", name), { recursive: true });
    writeFileSync(
      join(dir, "hosts", name, "default.nix"),
      `{\n  services = [ "nginx" ];\n  motd = "${motd}";\n}\n`,
    );
    writeFileSync(join(dir, "hosts", name, "hardware.nix"), '{\n  kernel = "6.1.0";\n}\n');
  };
  for (const name of names) write(name, `${name} at first`);
  const config = {
    groups: { bench: names },
    deploy: {
      sshOptions: ["-F", harness.sshConfig],
      targets: Object.fromEntries(names.map((n) => [n, { host: "127.0.0.1", port: targets.get(n)!.port }])),
    },
  };
  writeFileSync(join(dir, "infra.json"), JSON.stringify(config));
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", dir, ...args], {
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "b",
        GIT_AUTHOR_EMAIL: "b@b",
        GIT_COMMITTER_NAME: "b",
        GIT_COMMITTER_EMAIL: "b@b",
      },
    });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", "fleet");
  const spyDir = join(work, "spy");
  mkdirSync(spyDir);
  const log = join(work, "ssh.log");
  const real = execFileSync("sh", ["-c", "command -v ssh"], { encoding: "utf8" }).trim();
  writeFileSync(join(spyDir, "ssh"), `#!/bin/sh\necho "ssh $*" >> "${log}"\nexec "${real}" "$@"\n`);
  chmodSync(join(spyDir, "ssh"), 0o755);
  return {
    dir,
    cache: join(work, "cache"),
    spy: { path: `${spyDir}:${process.env.PATH}`, log },
    edit: (name) => write(name, `${name} edit ${++edits}`),
  };
}

/** The machine's busy and total CPU time so far (jiffies, every core), from /proc/stat. */
function cpuTimes(): { busy: number; total: number } {
  const [, ...fields] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
  const n = fields.map(Number);
  const idle = (n[3] ?? 0) + (n[4] ?? 0);
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

async function infra(fleet: Fleet, args: string[], env: Record<string, string> = {}) {
  const run = await timedSpawn(
    process.execPath,
    [cliPath(), ...args, "--json", "--repo", fleet.dir, "--cache-dir", fleet.cache],
    { env: { ...ENV, ...env }, cwd: fleet.dir },
  );
  let json:
    | { hosts: { name: string; status: string; next: string | null; error?: { message: string } | null }[] }
    | undefined;
  try {
    json = JSON.parse(run.stdout);
  } catch {}
  if (json === undefined) throw new Error(`infra ${args.join(" ")} failed (${run.exitCode}): ${run.stderr}`);
  return { ...run, json };
}

/** By hand, what infra does for a changed target after building: nix copy, then one ssh call to set and activate. */
async function copyAndActivate(fleet: Fleet, harness: TargetHarness, target: TargetHost): Promise<number> {
  const attr = `${fleet.dir}#nixosConfigurations.${target.name}.config.system.build.toplevel`;
  const drv = execFileSync("nix", ["eval", "--raw", `${attr}.drvPath`], {
    env: { ...process.env, ...ENV },
  }).toString();
  const out = execFileSync("nix-store", ["--realise", drv], {
    env: { ...process.env, ...ENV },
    stdio: ["ignore", "pipe", "ignore"],
  })
    .toString()
    .trim();
  const ssh = ["-F", harness.sshConfig, "-p", String(target.port), "-o", "BatchMode=yes"];
  const copy = await timedSpawn("nix", ["copy", "--to", "ssh://root@127.0.0.1", out], {
    env: { ...ENV, NIX_SSHOPTS: ssh.join(" ") },
  });
  const activate = await timedSpawn("ssh", [
    ...ssh,
    "--",
    "127.0.0.1",
    `nix-env -p /nix/var/nix/profiles/system --set ${out} && ${out}/bin/switch-to-configuration switch`,
  ]);
  if (copy.exitCode !== 0 || activate.exitCode !== 0)
    throw new Error(`copy or activation by hand failed: ${copy.stderr}${activate.stderr}`);
  return copy.wallMs + activate.wallMs;
}

export default async function run(options: RunOptions): Promise<SuiteResult> {
  const samples = options.quick ? 3 : 5;
  const pairs = options.quick ? 2 : 3;
  const work = mkdtempSync(join(tmpdir(), "infra-bench-deploy-"));
  const harness = createHarness();
  const checks: Check[] = [];
  const rows: Row[] = [];
  try {
    const targets = new Map<string, TargetHost>();
    for (const name of names) targets.set(name, await harness.start(name));
    const fleet = makeFleet(work, harness, targets);
    const cold = await infra(fleet, ["deploy", "@bench"]);
    options.log(`deploy: cold deploy of ${TARGETS} targets in ${Math.round(cold.wallMs)} ms`);
    checks.push({
      name: `cold deploy of ${TARGETS} targets`,
      pass: cold.json.hosts.every((h) => h.status === "deployed"),
      detail: cold.json.hosts
        .map((h) => `${h.name} ${h.status}${h.error ? ` (${h.error.message})` : ""}`)
        .join(", "),
    });

    // 1 of 20 changed.
    const one: number[] = [];
    const byHand: number[] = [];
    let statusesOk = true;
    let roundTripsOk = true;
    for (let i = 0; i < samples; i++) {
      fleet.edit("h01");
      writeFileSync(fleet.spy.log, "");
      const r = await infra(fleet, ["deploy", "@bench"], { PATH: fleet.spy.path });
      one.push(r.wallMs);
      statusesOk &&=
        r.json.hosts
          .filter((h) => h.status === "deployed")
          .map((h) => h.name)
          .join() === "h01" && r.json.hosts.filter((h) => h.status === "up-to-date").length === TARGETS - 1;
      // Each target is asked once; h01 gets its activation too, and nix copy its own connection.
      const calls = readFileSync(fleet.spy.log, "utf8").split("\n").filter(Boolean);
      for (const name of names.slice(1))
        roundTripsOk &&= calls.filter((c) => c.includes(` -p ${targets.get(name)!.port} `)).length === 1;
      fleet.edit("h01");
      byHand.push(await copyAndActivate(fleet, harness, targets.get("h01")!));
    }
    checks.push({
      name: "1 changed: exactly h01 deployed, 19 up to date",
      pass: statusesOk,
      detail: `${samples} samples`,
    });
    checks.push({
      name: "1 changed: each unchanged target cost one ssh round trip",
      pass: roundTripsOk,
      detail: "ssh starts counted by a PATH shim",
    });
    rows.push({
      suite: "deploy",
      scenario: `deploy ${TARGETS} targets, 1 changed (wall)`,
      unit: "ms",
      infra: median(one),
      baseline: median(byHand),
      baselineLabel: "that target's nix copy + activation by hand",
      target: { on: "difference", op: "<=", value: 1000, text: "≤ copy + activation + 1 s" },
      samples,
    });

    // 20 changed, --jobs 4 against --jobs 1.
    const wall: Record<"1" | "4", number[]> = { "1": [], "4": [] };
    const busy: Record<"1" | "4", number[]> = { "1": [], "4": [] };
    let allDeployed = true;
    for (let i = 0; i < pairs; i++) {
      for (const jobs of i % 2 === 0 ? (["1", "4"] as const) : (["4", "1"] as const)) {
        for (const name of names) fleet.edit(name);
        await infra(fleet, ["eval", "bench"]);
        const before = cpuTimes();
        const r = await infra(fleet, ["deploy", "@bench", "--jobs", jobs]);
        const after = cpuTimes();
        wall[jobs].push(r.wallMs);
        busy[jobs].push((after.busy - before.busy) / (after.total - before.total));
        allDeployed &&= r.json.hosts.every((h) => h.status === "deployed");
        for (const h of r.json.hosts.filter((h) => h.status !== "deployed"))
          options.log(`deploy: ${h.name} ${h.status}: ${h.error?.message ?? ""}`);
      }
    }
    checks.push({
      name: `${TARGETS} changed: every target deployed`,
      pass: allDeployed,
      detail: `${pairs} pairs`,
    });
    const [w1, w4] = [median(wall["1"]), median(wall["4"])];
    rows.push({
      suite: "deploy",
      scenario: `deploy ${TARGETS} changed targets, --jobs 4 (wall)`,
      unit: "ms",
      infra: w4,
      baseline: w1,
      baselineLabel: "--jobs 1",
      ratio: w4 / w1,
      target: { on: "ratio", op: "<=", value: 1 / 3, text: "≥ 3× faster than --jobs 1" },
      samples: pairs,
      note: `${(w1 / w4).toFixed(2)}× faster; the machine's CPU was ${Math.round(100 * median(busy["1"]))}% busy during --jobs 1, ${Math.round(100 * median(busy["4"]))}% during --jobs 4`,
    });

    // infra plan of 20 unchanged targets.
    const plans: number[] = [];
    let unchanged = true;
    for (let i = 0; i < samples; i++) {
      const r = await infra(fleet, ["plan", "@bench"]);
      plans.push(r.wallMs);
      unchanged &&= r.json.hosts.every((h) => h.status === "up-to-date");
    }
    checks.push({ name: "plan: every target up to date", pass: unchanged, detail: `${samples} samples` });
    rows.push({
      suite: "deploy",
      scenario: `infra plan, ${TARGETS} targets, none changed (wall)`,
      unit: "ms",
      infra: median(plans),
      target: { on: "infra", op: "<=", value: 2000, text: "< 2 s" },
      samples,
    });
    return {
      suite: "deploy",
      rows,
      checks,
      notes: [`targets: ${TARGETS} sshd on 127.0.0.1 in ${harness.root}`],
    };
  } finally {
    await harness.stop();
    if (!options.keep) rmSync(work, { recursive: true, force: true });
  }
}
