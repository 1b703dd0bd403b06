// The machine a benchmark ran on, for the report.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, release, totalmem, type } from "node:os";
import type { Machine } from "./results.js";

function firstLine(program: string, args: string[]): string {
  try {
    return execFileSync(program, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
      .trim()
      .split("\n")[0]!;
  } catch {
    return `${program}: not found`;
  }
}

export function describeMachine(): Machine {
  let cpu = cpus()[0]?.model ?? "unknown CPU";
  try {
    const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (model?.[1]) cpu = model[1].trim();
  } catch {}
  return {
    cpu,
    cores: availableParallelism(),
    memoryGB: Math.round(totalmem() / 1024 ** 3),
    os: `${type()} ${release()}`,
    node: process.version,
    nix: firstLine("nix", ["--version"]),
    strace: firstLine("strace", ["-V"]),
  };
}
