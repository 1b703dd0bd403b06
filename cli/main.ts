#!/usr/bin/env node
// The infra process: wires signals and the real streams to the command line (run.ts), or hands
// the whole command to a warm server when one runs for this repository (client.ts).
import type { CliIO } from "./context.js";
import { outOf } from "./render/terminal.js";

async function main(argv: string[]): Promise<number> {
  // A closed terminal (SIGHUP) or pipe must not turn a write into a crash on the way out.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {});
  const controller = new AbortController();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    if (signal !== "SIGHUP")
      process.stderr.write("\ninterrupting: stopping evaluations (Ctrl-C again to force)\n");
    controller.abort();
    setTimeout(() => process.exit(130), 5000).unref();
  };
  // Ctrl-C, kill and a closed terminal all cancel: nix processes are stopped, the cache is kept.
  const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const signal of SIGNALS) process.on(signal, onSignal);
  try {
    const { tryServer } = await import("./client.js");
    const served = await tryServer(argv, controller.signal);
    if (served !== undefined) return served;
    const io: CliIO = {
      stdout: outOf(process.stdout, process.env),
      stderr: outOf(process.stderr, process.env),
      cwd: process.cwd(),
      env: process.env,
      signal: controller.signal,
    };
    const { runCli } = await import("./run.js");
    return await runCli(argv, io);
  } finally {
    for (const signal of SIGNALS) process.off(signal, onSignal);
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
// A leaked handle must not keep a finished command alive.
setTimeout(() => process.exit(code), 3000).unref();
