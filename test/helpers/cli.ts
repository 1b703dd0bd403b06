// Runs the real infra binary, as users and scripts do.
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./repo.js";

export const BIN = join(ROOT, "dist", "cli", "main.js");

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON, inspected by tests
  json: any;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string>;
}

export function runInfra(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {}
      resolve({ exitCode: code ?? -1, stdout, stderr, json });
    });
  });
}

/**
 * A PATH prefix whose `nix` and `nix-instantiate` (or the `tools` given: `nix-store`, `ssh`, …)
 * log each start and then run the real ones, so a test can say "nix was not started at all".
 */
export function nixSpy(tools: string[] = ["nix", "nix-instantiate"]): {
  env: Record<string, string>;
  calls(): string[];
  reset(): void;
  cleanup(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), "infra-spy-"));
  const log = join(dir, "calls.log");
  mkdirSync(join(dir, "bin"));
  for (const tool of tools) {
    const real = execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
    const script = join(dir, "bin", tool);
    writeFileSync(script, `#!/bin/sh\necho "${tool} $*" >> "${log}"\nexec "${real}" "$@"\n`);
    chmodSync(script, 0o755);
  }
  writeFileSync(log, "");
  return {
    env: { PATH: `${join(dir, "bin")}:${process.env.PATH}` },
    calls: () => readFileSync(log, "utf8").split("\n").filter(Boolean),
    reset: () => writeFileSync(log, ""),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
