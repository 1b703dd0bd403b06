// The one place that starts a nix process: its environment, its limits, tracing and memory
// measurement, and how to stop it. Knows nothing about caches, graphs or targets.
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { guard, release, tempDir } from "./reaper.js";

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

/**
 * Only the calls nix/strace.ts classifies (reads, listings, stats, existence checks, symlinks,
 * and the working-folder changes that resolve relative paths), not all of strace's %file class:
 * every traced call is a ptrace stop. Measured on a host of the example fleet, %file also stops
 * on chmod, chown, unlink, mkdir, rmdir, statfs and execve: 5% of the stops, none of them a read.
 */
const STRACE_CALLS =
  "trace=open,openat,openat2,creat,stat,lstat,stat64,lstat64,newfstatat,fstatat64,statx,access,faccessat,faccessat2,readlink,readlinkat,chdir,getcwd";

const NIX_INITIAL_HEAP = 384 * 1024 * 1024;

function gcEnv(memoryMB: number): Record<string, string> {
  const max = memoryMB * 1024 * 1024;
  // Nix grows its heap to 384 MiB at start (its own GC_INITIAL_HEAP_SIZE default); under a lower
  // limit that start would fail, so the initial heap is capped at half the limit. Not lower than
  // Nix's own default otherwise: a 32 MiB start made evaluations ~20% slower (more collections).
  const initial = Math.min(NIX_INITIAL_HEAP, Math.floor(max / 2));
  return { GC_MAXIMUM_HEAP_SIZE: String(max), GC_INITIAL_HEAP_SIZE: String(initial) };
}

/**
 * Runs one nix process (optionally under strace and GNU time) in its own process group, so a
 * timeout or cancellation kills the whole tree, never leaving a nix process behind; the reaper
 * (reaper.ts) kills it when infra itself dies.
 */
export async function runNix(options: RunNixOptions): Promise<RunNixResult> {
  const dir = await tempDir("run");
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
      STRACE_CALLS,
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
  if (child.pid !== undefined) guard(child.pid);
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
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
      release(child.pid);
    }
    await rm(dir, { recursive: true, force: true });
  }
}
