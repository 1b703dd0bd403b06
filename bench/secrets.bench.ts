// `infra secrets` on 200 hosts × 20 secrets (issue 12): warm wall time of the real CLI, against
// plain `nix eval` of every host's declarations in the same run (what one would run without infra,
// before checking anything). The fleet is generated with the fixture's module
// system (test/fixtures/secrets-fleet): real ed25519 host keys, .age files made by the real `age`
// binary (agenix), sops YAML files whose data keys are wrapped by `age` for each host's key
// converted to an age recipient, secrets.nix and .sops.yaml rules naming exactly those hosts.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sshpk from "sshpk";
import { stringify } from "yaml";
import { parseSshPublicKey, sshToAgeRecipient } from "../engine/secrets/ssh-keys.js";
import { cliPath, repoRoot } from "./paths.js";
import { NIX_ENV, timedSpawn } from "./proc.js";
import type { Check, Row, SuiteResult } from "./results.js";
import { startServer } from "./served.bench.js";
import { median } from "./stats.js";

export interface SecretsBenchOptions {
  hosts?: number;
  /** Hosts per group: a group shares its agenix files and its sops file. */
  groupSize?: number;
  /** Agenix and sops secrets per host (each); the figure is 10 + 10. */
  perBackend?: number;
  samples?: number;
  log?: (line: string) => void;
}

const SUITE = "secrets";
const random = (n: number) => execFileSync("head", ["-c", String(n), "/dev/urandom"]).toString("base64");
const envelope = () => `ENC[AES256_GCM,data:${random(12)},iv:${random(32)},tag:${random(16)},type:str]`;
const age = (args: string[], input: string | Buffer) =>
  execFileSync("age", args, { input }).toString("latin1");

function git(dir: string, ...args: string[]): void {
  execFileSync("git", ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid", ...args], {
    cwd: dir,
    stdio: "ignore",
  });
}

/** Writes the fleet; returns its host names. */
export function generateSecretsFleet(
  dir: string,
  o: Required<Omit<SecretsBenchOptions, "log" | "samples">>,
): string[] {
  const fixture = join(repoRoot(), "test/fixtures/secrets-fleet");
  mkdirSync(dir, { recursive: true });
  for (const rel of ["lib", "modules", "flake.nix"])
    cpSync(join(fixture, rel), join(dir, rel), { recursive: true });
  writeFileSync(
    join(dir, "flake.lock"),
    `${JSON.stringify({ nodes: { root: {} }, root: "root", version: 7 })}\n`,
  );
  const admin = sshpk.generatePrivateKey("ed25519").toPublic().toString("ssh");
  const adminRecipient = sshToAgeRecipient(okKey(admin))!;
  mkdirSync(join(dir, "admins"), { recursive: true });
  writeFileSync(join(dir, "admins/bench.pub"), `${admin} bench\n`);
  writeFileSync(
    join(dir, "infra.json"),
    JSON.stringify({ secrets: { admins: { bench: ["admins/bench.pub"] } } }),
  );

  const hosts: string[] = [];
  const keys: string[] = [];
  for (let i = 0; i < o.hosts; i++) {
    const name = `h${String(i).padStart(3, "0")}`;
    hosts.push(name);
    const pub = `${sshpk.generatePrivateKey("ed25519").toPublic().toString("ssh")} root@${name}`;
    keys.push(pub);
    mkdirSync(join(dir, "hosts", name), { recursive: true });
    writeFileSync(join(dir, "hosts", name, "ssh_host_ed25519_key.pub"), `${pub}\n`);
  }
  mkdirSync(join(dir, "secrets"), { recursive: true });
  const rules: string[] = [];
  const creation: unknown[] = [];
  const groups = Math.ceil(o.hosts / o.groupSize);
  for (let g = 0; g < groups; g++) {
    const members = hosts.slice(g * o.groupSize, (g + 1) * o.groupSize);
    const memberKeys = keys.slice(g * o.groupSize, (g + 1) * o.groupSize);
    const recipients = join(dir, `.recipients-${g}`);
    writeFileSync(recipients, `${[admin, ...memberKeys].join("\n")}\n`);
    for (let k = 0; k < o.perBackend; k++) {
      const file = `g${g}-s${k}.age`;
      writeFileSync(join(dir, "secrets", file), age(["-a", "-R", recipients], `value ${g}/${k}\n`));
      rules.push(
        `  "${file}".publicKeys = [ ${[admin, ...memberKeys].map((key) => JSON.stringify(key)).join(" ")} ];`,
      );
    }
    rmSync(recipients);
    const ageRecipients = [adminRecipient, ...memberKeys.map((key) => sshToAgeRecipient(okKey(key))!)];
    const data: Record<string, string> = {};
    for (let k = 0; k < o.perBackend; k++) data[`key${k}`] = envelope();
    const meta = {
      age: ageRecipients.map((recipient) => ({
        recipient,
        enc: age(["-a", "-r", recipient], Buffer.from(random(32), "base64")),
      })),
      lastmodified: "2026-01-02T03:04:05Z",
      mac: envelope(),
      unencrypted_suffix: "_unencrypted",
      version: "3.9.4",
    };
    writeFileSync(
      join(dir, "secrets", `g${g}.yaml`),
      stringify({ ...data, sops: meta }, { indent: 4, lineWidth: 0 }),
    );
    creation.push({ path_regex: `secrets/g${g}\\.yaml$`, age: ageRecipients.join(",") });
    for (const name of members) {
      const lines = [
        `# ${name}: ${o.perBackend} agenix and ${o.perBackend} sops secrets of group ${g}.`,
        "{ ... }:",
        "{",
      ];
      lines.push(`  sops.defaultSopsFile = ../../secrets/g${g}.yaml;`);
      for (let k = 0; k < o.perBackend; k++) {
        lines.push(`  age.secrets.s${k}.file = ../../secrets/g${g}-s${k}.age;`);
        lines.push(`  sops.secrets.key${k} = { owner = "svc"; };`);
      }
      lines.push("}");
      writeFileSync(join(dir, "hosts", name, "default.nix"), `${lines.join("\n")}\n`);
    }
  }
  writeFileSync(join(dir, "secrets/secrets.nix"), `{\n${rules.join("\n")}\n}\n`);
  writeFileSync(join(dir, ".sops.yaml"), stringify({ creation_rules: creation }));
  git(dir, "init", "-q", "-b", "main");
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "secrets benchmark fleet");
  return hosts;
}

function okKey(line: string) {
  const parsed = parseSshPublicKey(line);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.key;
}

export default async function run(
  options: SecretsBenchOptions & { quick?: boolean; hosts?: number | undefined } = {},
): Promise<SuiteResult> {
  const o = {
    hosts: options.hosts ?? 200,
    groupSize: options.groupSize ?? 50,
    perBackend: options.perBackend ?? 10,
  };
  const samples = options.samples ?? 7;
  const log = options.log ?? (() => {});
  const dir = join(tmpdir(), `infra-bench-secrets-${process.pid}`);
  const cacheDir = `${dir}.cache`;
  rmSync(dir, { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
  try {
    log(`secrets: generating ${o.hosts} hosts × ${2 * o.perBackend} secrets`);
    generateSecretsFleet(dir, o);
    const args = [cliPath(), "secrets", "--json", "--repo", dir, "--cache-dir", cacheDir];
    log("secrets: cold run (evaluates every host)");
    const cold = await timedSpawn(process.execPath, args, { env: NIX_ENV });
    const checks: Check[] = [];
    let report: { results: { status: string }[]; problems: unknown[] } = { results: [], problems: [] };
    try {
      report = JSON.parse(cold.stdout);
    } catch {
      throw new Error(`infra secrets printed no JSON (exit ${cold.exitCode}):\n${cold.stderr.slice(-2000)}`);
    }
    const expected = o.hosts * 2 * o.perBackend;
    const bad = report.results.filter((r) => r.status !== "ok").length;
    checks.push({
      name: "every (host, secret) checked and ok",
      pass:
        cold.exitCode === 0 &&
        report.results.length === expected &&
        bad === 0 &&
        report.problems.length === 0,
      detail: `${report.results.length} of ${expected} results, ${bad} not ok, ${report.problems.length} problem(s), exit ${cold.exitCode}`,
    });
    const warm: number[] = [];
    const nix: number[] = [];
    for (let i = 0; i < samples; i++) {
      const r = await timedSpawn(process.execPath, args, { env: { ...NIX_ENV, INFRA_NO_SERVER: "1" } });
      if (r.exitCode !== 0)
        throw new Error(`warm infra secrets exited ${r.exitCode}:\n${r.stderr.slice(-2000)}`);
      warm.push(r.wallMs);
      // Without infra: one `nix eval` of every host's declarations (the fixture's infraSecrets).
      const plain = await timedSpawn(
        "nix",
        ["eval", "--json", "--option", "eval-cache", "false", `${dir}#infraSecrets`],
        {
          env: NIX_ENV,
        },
      );
      if (plain.exitCode !== 0)
        throw new Error(`nix eval .#infraSecrets failed:\n${plain.stderr.slice(-2000)}`);
      nix.push(plain.wallMs);
    }
    // The same command with `infra serve` running (the engine resident: nothing to load).
    const served: number[] = [];
    const server = await startServer(dir, cacheDir);
    try {
      await timedSpawn(process.execPath, args, { env: NIX_ENV }); // loads the command into the server
      for (let i = 0; i < samples; i++) {
        const r = await timedSpawn(process.execPath, args, { env: NIX_ENV });
        if (r.exitCode !== 0)
          throw new Error(`served infra secrets exited ${r.exitCode}:\n${r.stderr.slice(-2000)}`);
        served.push(r.wallMs);
      }
    } finally {
      server.kill("SIGINT");
      await new Promise((resolve) => server.once("exit", resolve));
    }
    const rows: Row[] = [
      {
        suite: SUITE,
        scenario: `infra secrets, warm cache (${o.hosts} hosts × ${2 * o.perBackend} secrets)`,
        unit: "ms",
        infra: median(warm),
        baseline: median(nix),
        baselineLabel: "nix eval .#infraSecrets (declarations only, no check)",
        ratio: median(warm) / median(nix),
        target: { on: "infra", op: "<=", value: 500, text: "< 500 ms" },
        samples,
      },
      {
        suite: SUITE,
        scenario: `infra secrets, warm, through infra serve (${o.hosts} hosts × ${2 * o.perBackend} secrets)`,
        unit: "ms",
        infra: median(served),
        baseline: median(nix),
        baselineLabel: "nix eval .#infraSecrets (declarations only, no check)",
        ratio: median(served) / median(nix),
        target: { on: "infra", op: "<=", value: 500, text: "< 500 ms" },
        samples,
      },
      {
        suite: SUITE,
        scenario: `infra secrets, cold cache (evaluates ${o.hosts} hosts)`,
        unit: "ms",
        infra: cold.wallMs,
        samples: 1,
      },
    ];
    return {
      suite: SUITE,
      rows,
      checks,
      notes: [
        `warm samples (ms): ${warm.map((w) => w.toFixed(0)).join(", ")}`,
        `served samples (ms): ${served.map((w) => w.toFixed(0)).join(", ")}`,
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  }
}
