// The one place that runs Nix. Knows its command lines, its environment, its limits and how to
// stop it; knows nothing about caches or graphs.

import { accessSync, constants, statSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { EnvironmentError } from "../errors/index.js";

/** infra's loader, shipped beside the compiled code (`engine/nix/loader.nix`). */
export function loaderPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [
    join(here, "nix", "loader.nix"),
    join(here, "..", "..", "engine", "nix", "loader.nix"),
  ]) {
    try {
      accessSync(candidate, constants.R_OK);
      return candidate;
    } catch {}
  }
  throw new EnvironmentError(`infra's loader.nix is missing next to ${here}`, {
    hints: ["Reinstall infra (npm ci && npm run build)."],
  });
}

/** Finds an executable on PATH without spawning anything. */
export function which(program: string, path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {}
  }
  return undefined;
}

/**
 * Settings infra's own nix processes run with: flakes on, single-user friendly, and no NIX_PATH
 * so `<nixpkgs>` fails as it does in a pure flake evaluation.
 */
export function nixEnv(extra: Record<string, string> = {}): Record<string, string> {
  const config = [
    process.env.NIX_CONFIG ?? "",
    "experimental-features = nix-command flakes",
    "build-users-group =",
    "warn-dirty = false",
  ]
    .filter((line) => line !== "")
    .join("\n");
  return { NIX_CONFIG: config, NIX_PATH: "", ...extra };
}

export interface NixInfo {
  version: string;
  system: string;
  /** `nix-instantiate`'s path; the tools below are looked up beside it first. */
  instantiate: string;
  nix: string | undefined;
  strace: string | undefined;
  time: string | undefined;
}

/** The binary's identity, cheap to check: a changed binary means a new evaluator. */
export function nixBinaryStamp(): string | undefined {
  const bin = which("nix-instantiate");
  if (bin === undefined) return undefined;
  const st = statSync(bin);
  return `${bin}:${st.size}:${st.mtimeMs}`;
}

export async function detectNix(): Promise<NixInfo> {
  const instantiate = which("nix-instantiate");
  if (instantiate === undefined) {
    throw new EnvironmentError("Nix is not installed (nix-instantiate is not on PATH)", {
      hints: ["On Debian: apt-get install -y nix-bin strace", "Or run the README's set-up command."],
    });
  }
  const { execa } = await import("execa");
  const probe = await execa(
    instantiate,
    ["--eval", "--strict", "--json", "--expr", "{ v = builtins.nixVersion; s = builtins.currentSystem; }"],
    { env: nixEnv(), reject: false },
  );
  if (probe.exitCode !== 0) {
    throw new EnvironmentError(`nix-instantiate does not run: ${probe.stderr.trim().split("\n")[0] ?? ""}`, {
      hints: [
        "As root without a nix daemon, Nix needs `build-users-group =` (infra sets it for its own runs).",
      ],
    });
  }
  const { v, s } = JSON.parse(probe.stdout) as { v: string; s: string };
  return {
    version: v,
    system: s,
    instantiate,
    nix: which("nix"),
    strace: which("strace"),
    time: which("time"),
  };
}

/** Nix releases infra's tracing and loader are known to work with. */
export function checkNixVersion(version: string): string | undefined {
  const [major = 0, minor = 0] = version.split(".").map((n) => Number.parseInt(n, 10));
  if (major < 2 || (major === 2 && minor < 8)) {
    return `Nix ${version} is older than 2.8, the oldest release infra supports`;
  }
  return undefined;
}

export interface Limits {
  timeoutMs: number;
  memoryMB: number;
}

export interface RunNixOptions {
  /** Program and arguments (after any tracing wrapper). */
  argv: string[];
  cwd: string;
  limits: Limits;
  /** Record file accesses with strace (path to the strace binary). */
  strace?: string | undefined;
  /** Measure max RSS with GNU time (path to the binary). */
  time?: string | undefined;
  signal?: AbortSignal | undefined;
  env?: Record<string, string> | undefined;
}

export interface RunNixResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Raw strace output, when traced. */
  trace: string | undefined;
  durationMs: number;
  /** Peak resident memory of the process tree's largest member, when measurable. */
  maxRssKb: number | undefined;
  ended: "exited" | "timeout" | "cancelled" | "memory";
}

function gcEnv(memoryMB: number): Record<string, string> {
  const max = memoryMB * 1024 * 1024;
  // Nix expands its heap to up to 384 MiB at start; below that the start itself would fail.
  const initial = Math.min(32 * 1024 * 1024, Math.floor(max / 2));
  return { GC_MAXIMUM_HEAP_SIZE: String(max), GC_INITIAL_HEAP_SIZE: String(initial) };
}

/**
 * Runs one nix process (optionally under strace and GNU time) in its own process group, so a
 * timeout or cancellation kills the whole tree, never leaving a nix process behind.
 */
export async function runNix(options: RunNixOptions): Promise<RunNixResult> {
  const dir = await mkdtemp(join(tmpdir(), "infra-run-"));
  const traceFile = join(dir, "trace");
  const timeFile = join(dir, "time");
  const argv: string[] = [];
  if (options.time) argv.push(options.time, "-f", "%M", "-o", timeFile, "--");
  if (options.strace) {
    argv.push(
      options.strace,
      "-f",
      "-qq",
      "--seccomp-bpf",
      "-e",
      "trace=%file",
      "-s",
      "4096",
      "-o",
      traceFile,
      "--",
    );
  }
  argv.push(...options.argv);
  const { execa } = await import("execa");
  const started = performance.now();
  let ended: RunNixResult["ended"] = "exited";
  const child = execa(argv[0]!, argv.slice(1), {
    cwd: options.cwd,
    env: { ...nixEnv(), ...gcEnv(options.limits.memoryMB), ...options.env },
    extendEnv: true,
    reject: false,
    detached: true,
    stdin: "ignore",
    maxBuffer: 256 * 1024 * 1024,
  });
  const killTree = (why: RunNixResult["ended"]) => {
    if (ended === "exited") ended = why;
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {}
  };
  const timer = setTimeout(() => killTree("timeout"), options.limits.timeoutMs);
  const onAbort = () => killTree("cancelled");
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  try {
    const result = await child;
    const durationMs = performance.now() - started;
    const stderr = String(result.stderr ?? "");
    if (ended === "exited" && /error: out of memory|GC Warning: Out of Memory/.test(stderr)) ended = "memory";
    let trace: string | undefined;
    if (options.strace) trace = await readFile(traceFile, "utf8").catch(() => "");
    let maxRssKb: number | undefined;
    if (options.time) {
      const text = await readFile(timeFile, "utf8").catch(() => "");
      const kb = Number.parseInt(text.trim().split("\n").pop() ?? "", 10);
      if (Number.isFinite(kb)) maxRssKb = kb;
    }
    return {
      exitCode: result.exitCode ?? (ended === "exited" ? 1 : 137),
      stdout: String(result.stdout ?? ""),
      stderr,
      trace,
      durationMs,
      maxRssKb,
      ended,
    };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    // Whatever happened, nothing of this run may outlive it.
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {}
    await rm(dir, { recursive: true, force: true });
  }
}

/** Longest request passed inline; one argv string may not exceed 128 KiB on Linux. */
export const INLINE_REQUEST_MAX = 64 * 1024;

/**
 * Arguments for evaluating the loader on one request. Restricted evaluation with named `-I`
 * entries allows exactly the repository, the loader and its marker folder (plus the store, where
 * fetched inputs live); unnamed entries would make `<name>` lookups resolve inside the repo.
 */
export function loaderArgv(
  instantiate: string,
  loader: string,
  allowed: string[],
  request: { json: string } | { file: string },
): string[] {
  const argv = [
    instantiate,
    "--eval",
    "--strict",
    "--json",
    "--show-trace",
    "--option",
    "restrict-eval",
    "true",
  ];
  allowed.forEach((path, i) => {
    argv.push("-I", `infra-allowed-${i}=${path}`);
  });
  argv.push(loader);
  if ("json" in request) argv.push("--argstr", "requestJSON", request.json);
  else argv.push("--argstr", "requestFile", request.file);
  return argv;
}
