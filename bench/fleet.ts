// Writes a generated benchmark fleet to disk as a git repository with one commit, and applies the
// benchmark's edits to it. The text comes from fleet-nix.ts, the layout from fleet-layout.ts.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { DEFAULT_FLEET, type FleetOptions, hostName } from "./fleet-layout.js";
import {
  COPIED_FROM_EXAMPLE,
  FLAKE_LOCK,
  FLEET_MODULE,
  flakeNix,
  hardwareNix,
  hostNix,
  programConfig,
  programNix,
  readme,
  roleNix,
  sharedModuleNix,
  withSharedRevision,
} from "./fleet-nix.js";
import { exampleFleet } from "./paths.js";

/**
 * A fixed identity and date, so the same options always give the same commit (and the self host,
 * which records `self.rev`, the same drvPath).
 */
const GIT_ENV: Record<string, string> = {
  GIT_AUTHOR_NAME: "infra bench",
  GIT_AUTHOR_EMAIL: "bench@infra.invalid",
  GIT_AUTHOR_DATE: "2024-01-01T00:00:00Z",
  GIT_COMMITTER_NAME: "infra bench",
  GIT_COMMITTER_EMAIL: "bench@infra.invalid",
  GIT_COMMITTER_DATE: "2024-01-01T00:00:00Z",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
};

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", ["-C", dir, "-c", "commit.gpgsign=false", ...args], {
    env: { ...process.env, ...GIT_ENV },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function write(dir: string, rel: string, text: string): void {
  const path = join(dir, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

export interface GeneratedFleet {
  dir: string;
  options: FleetOptions;
  hosts: string[];
}

/**
 * Writes the fleet into `dir` (which should be empty or absent) and commits it on branch main.
 * Missing options take DEFAULT_FLEET's values.
 */
export function generateFleet(dir: string, options: Partial<FleetOptions> = {}): GeneratedFleet {
  const o: FleetOptions = { ...DEFAULT_FLEET, ...options };
  for (const [key, value] of Object.entries(o)) {
    if (typeof value === "number" && (!Number.isFinite(value) || value < 0))
      throw new Error(`fleet option ${key} must be a non-negative number, got ${value}`);
  }
  if (o.roles < 1) throw new Error("a fleet needs at least one role");
  mkdirSync(dir, { recursive: true });
  const example = exampleFleet();
  for (const rel of COPIED_FROM_EXAMPLE) cpSync(join(example, rel), join(dir, rel), { recursive: true });

  write(dir, "flake.nix", flakeNix(o));
  write(dir, "flake.lock", FLAKE_LOCK);
  write(dir, "README.md", readme(o));
  write(dir, "modules/fleet.nix", FLEET_MODULE);
  for (let i = 0; i < o.sharedModules; i++) write(dir, `modules/shared-${i}.nix`, sharedModuleNix(i));
  for (let r = 0; r < o.roles; r++) write(dir, `roles/role-${r}.nix`, roleNix(r, o));
  for (let p = 0; p < o.programs; p++) {
    write(dir, `programs/prog-${p}/default.nix`, programNix(p));
    write(dir, `programs/prog-${p}/config`, programConfig(p));
  }
  const hosts: string[] = [];
  for (let i = 0; i < o.hosts; i++) {
    const name = hostName(i);
    hosts.push(name);
    write(dir, `hosts/${name}/default.nix`, hostNix(i, o));
    write(dir, `hosts/${name}/hardware.nix`, hardwareNix(i));
  }

  git(dir, "init", "-q", "-b", "main");
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", `benchmark fleet (${o.hosts} hosts)`);
  return { dir, options: o, hosts };
}

/** Host folders present in a generated fleet, sorted. */
export function listHosts(dir: string): string[] {
  return readdirSync(join(dir, "hosts"), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

function hostIndex(host: number | string): number {
  if (typeof host === "number") return host;
  const m = /^h(\d+)$/.exec(host);
  if (!m) throw new Error(`not a generated host name: ${host}`);
  return Number(m[1]);
}

/**
 * Changes one host's hardware file (its `fleet.hardwareRevision`, which changes the host's
 * drvPath). Returns the edited path, relative to the fleet.
 */
export function editHostHardware(dir: string, host: number | string, revision: number): string {
  const i = hostIndex(host);
  const rel = `hosts/${hostName(i)}/hardware.nix`;
  write(dir, rel, hardwareNix(i, revision));
  return rel;
}

/** Changes shared module `index` (its `revision`, which every importing host's drvPath shows). */
export function editSharedModule(dir: string, index: number, revision: number): string {
  const rel = `modules/shared-${index}.nix`;
  write(dir, rel, withSharedRevision(readFileSync(join(dir, rel), "utf8"), revision));
  return rel;
}
