// A generated fleet for the graph benchmarks (and the graph unit tests' scale checks): N targets
// over M tracked files, each target reading ~40 of them — a shared core, a role, a random draw of
// modules, its own host files — plus folder listings, absent-path checks and flake inputs.
// Deterministic: the same options give the same input.
import type { GraphDep, GraphInput, GraphTarget } from "../graph/types.js";

export interface FleetOptions {
  /** Targets; 1,000 by default. */
  targets?: number;
  /** Tracked files, roughly; 5,000 by default. */
  files?: number;
  seed?: number;
}

export interface GeneratedFleet {
  input: GraphInput;
  /** Contents of the .nix files, for the static import scan (`buildGraph`'s `readFile`). */
  files: Map<string, string>;
  /** Paths the benchmark cases change. */
  probes: {
    /** Read by exactly one target (its hardware.nix). */
    hostFile: string;
    hostFileReader: string;
    /** Read by every target. */
    sharedModule: string;
    /** A new file in a folder some targets list (so its listing changes). */
    addedToListedFolder: string;
    listedFolder: string;
  };
}

const SHARED_CORE = 10;
const ROLES = 50;
const GROUPS = 25;
const INPUTS = ["nixpkgs", "home-manager", "sops-nix", "agenix", "disko", "impermanence"] as const;

/** mulberry32: a tiny seeded PRNG, so the fleet is the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateGraphInput(options: FleetOptions = {}): GeneratedFleet {
  const targetCount = options.targets ?? 1000;
  const fileCount = options.files ?? 5000;
  const next = random(options.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;

  const files = new Map<string, string>();
  const core = Array.from({ length: SHARED_CORE }, (_, i) => `modules/core/m${i}.nix`);
  const roles = Array.from({ length: ROLES }, (_, i) => `roles/r${i}.nix`);
  const secrets = Array.from({ length: 100 }, (_, i) => `secrets/s${i}.age`);
  const configs = Array.from({ length: 200 }, (_, i) => `programs/p${i % 40}/config${i}.conf`);
  // What is left of the file budget after host files and the above goes to grouped modules.
  const moduleCount = Math.max(GROUPS, fileCount - 2 * targetCount - core.length - roles.length - 300 - 2);
  const modules = Array.from({ length: moduleCount }, (_, i) => `modules/g${i % GROUPS}/m${i}.nix`);

  for (const path of core) files.set(path, "{ }");
  for (const [i, path] of modules.entries()) {
    // Some modules import a sibling, as real module trees do.
    const sibling = modules[(i + GROUPS) % modules.length]!;
    files.set(path, i % 3 === 0 ? `{ imports = [ ../../${sibling} ]; }` : "{ }");
  }
  for (const path of roles) {
    const imported = [...core.slice(0, 5), ...Array.from({ length: 5 }, () => pick(modules))];
    files.set(path, `{ imports = [\n${imported.map((m) => `    ../${m}`).join("\n")}\n  ];\n}`);
  }

  const targets: GraphTarget[] = [];
  for (let t = 0; t < targetCount; t++) {
    const name = `host${t}`;
    const role = roles[t % roles.length]!;
    files.set(`hosts/${name}/default.nix`, `{ imports = [ ./hardware.nix ../../${role} ]; }`);
    files.set(`hosts/${name}/hardware.nix`, "{ }");
    const group = `modules/g${t % GROUPS}`;
    const deps: GraphDep[] = [
      { kind: "file", path: "flake.nix" },
      { kind: "dir", path: "hosts" },
      { kind: "file", path: `hosts/${name}/default.nix` },
      { kind: "file", path: `hosts/${name}/hardware.nix` },
      { kind: "type", path: `hosts/${name}/hardware.nix/default.nix` },
      { kind: "file", path: role },
      ...core.map((path): GraphDep => ({ kind: "file", path })),
      ...Array.from({ length: 20 }, (): GraphDep => ({ kind: "file", path: pick(modules) })),
      { kind: "file", path: pick(configs) },
      { kind: "file", path: pick(configs) },
      { kind: "file", path: pick(secrets) },
      { kind: "type", path: `${group}/extra.nix` },
      { kind: "input", path: "flake.lock#root" },
      { kind: "input", path: "flake.lock#nixpkgs" },
      { kind: "input", path: `flake.lock#${pick(INPUTS.slice(1))}` },
    ];
    // A fifth of the hosts auto-discover a module folder with readDir.
    if (t % 5 === 0) deps.push({ kind: "dir", path: group });
    if (t % 100 === 7) deps.push({ kind: "tree", path: "." });
    if (t % 100 === 13) deps.push({ kind: "git", path: "HEAD" });
    targets.push({
      id: `target-${t}`,
      name,
      kind: "nixos",
      flake: ".",
      status: t % 250 === 249 ? "failed" : "ok",
      drvPath: `/nix/store/${String(t).padStart(32, "0")}-nixos-system-${name}.drv`,
      deps,
    });
  }

  const trackedFiles = ["flake.nix", "flake.lock", ...files.keys(), ...secrets, ...configs];
  return {
    input: { repoDir: "/nonexistent/generated-fleet", targets, trackedFiles },
    files,
    probes: {
      hostFile: "hosts/host3/hardware.nix",
      hostFileReader: "host3",
      sharedModule: core[0]!,
      addedToListedFolder: "modules/g0/new.nix",
      listedFolder: "modules/g0",
    },
  };
}
