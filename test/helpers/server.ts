// A real `infra serve` for a test: started, waited for (its ready line), asked, stopped.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { BIN, runInfra } from "./cli.js";

export interface TestServer {
  child: ChildProcess;
  pid: number;
  socket: string;
  /** How many commands it has run so far (`infra serve --status`). */
  served(): Promise<number>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
  stderr(): string;
}

export async function startServer(
  repo: string,
  cacheDir: string,
  env: Record<string, string> = {},
): Promise<TestServer> {
  const child = spawn(process.execPath, [BIN, "serve", "--json", "--repo", repo, "--cache-dir", cacheDir], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  let stderr = "";
  child.stderr!.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : null))),
  );
  const ready = await new Promise<{ socket: string; pid: number }>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", (line) => resolve(JSON.parse(line)));
    exited.then((code) => reject(new Error(`infra serve exited (${code}) before it was ready\n${stderr}`)));
  });
  return {
    child,
    pid: ready.pid,
    socket: ready.socket,
    async served() {
      const r = await runInfra(["serve", "--status", "--json", "--repo", repo, "--cache-dir", cacheDir]);
      return r.json?.served ?? -1;
    },
    stop(signal: NodeJS.Signals = "SIGINT") {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
    exited,
    stderr: () => stderr,
  };
}
