// The thin client: when a server runs for this repository and cache (and may answer: same infra,
// same Nix, same settings), the whole command runs there and its output, byte for byte, comes
// back here; otherwise the command runs in this process. Loads nothing heavy.
import { existsSync, realpathSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import {
  defaultCacheRoot,
  identity,
  type RunRequest,
  routeOf,
  SERVED_COMMANDS,
  type ServerMessage,
  socketFor,
} from "./serve/protocol.js";

/** How long a server may take to accept a command before it runs here instead. */
const ACCEPT_TIMEOUT_MS = 1000;

/**
 * Runs the command on a server and returns its exit code, or undefined when it must run here:
 * no server, a server that does not answer in time or refuses, `--no-server`, INFRA_NO_SERVER.
 */
export async function tryServer(argv: string[], signal: AbortSignal): Promise<number | undefined> {
  const env = process.env;
  const route = routeOf(argv);
  if (route === undefined || route.noServer || route.help || !SERVED_COMMANDS.has(route.command))
    return undefined;
  if (env.INFRA_NO_SERVER === "1") return undefined;
  let repo: string;
  try {
    repo = realpathSync(resolve(process.cwd(), route.repo ?? "."));
  } catch {
    return undefined; // the command itself says what is wrong with --repo
  }
  if (route.cacheDir === "") return undefined;
  const cacheRoot = resolve(process.cwd(), route.cacheDir ?? defaultCacheRoot(env));
  const path = socketFor(cacheRoot, repo);
  if (!existsSync(path)) return undefined;
  const request: RunRequest = {
    type: "run",
    argv,
    cwd: process.cwd(),
    env: { ...env },
    tty: { stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true },
    identity: identity(env),
    repo,
    cacheRoot,
  };
  return run(path, request, signal);
}

function run(path: string, request: RunRequest, signal: AbortSignal): Promise<number | undefined> {
  return new Promise((done) => {
    let socket: Socket;
    let accepted = false;
    let wroteStdout = false;
    let finished = false;
    const finish = (code: number | undefined) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      done(code);
    };
    const timer = setTimeout(() => finish(undefined), ACCEPT_TIMEOUT_MS);
    const onAbort = () => socket.write(`${JSON.stringify({ type: "interrupt" })}\n`);
    try {
      socket = connect(path);
    } catch {
      done(undefined);
      return;
    }
    socket.on("error", () => {
      // Before it accepted, no server: run here. After, it went away mid-command.
      if (!accepted || !wroteStdout) finish(undefined);
      else {
        process.stderr.write("infra: the server stopped while running this command\n");
        finish(70);
      }
    });
    socket.on("close", () => {
      if (finished) return;
      if (!accepted || !wroteStdout) finish(undefined);
      else {
        process.stderr.write("infra: the server stopped while running this command\n");
        finish(70);
      }
    });
    socket.on("connect", () => socket.write(`${JSON.stringify(request)}\n`));
    const lines = createInterface({ input: socket });
    // The socket's own error handler decides; readline re-emits it.
    lines.on("error", () => {});
    lines.on("line", (line) => {
      const message = JSON.parse(line) as ServerMessage;
      if (message.type === "accepted") {
        accepted = true;
        clearTimeout(timer);
        signal.addEventListener("abort", onAbort, { once: true });
      } else if (message.type === "refused") {
        process.stderr.write(`infra: not using the running server (${message.why}); running here\n`);
        finish(undefined);
      } else if (message.type === "out") {
        if (message.stream === "stdout") {
          wroteStdout = true;
          process.stdout.write(message.data);
        } else process.stderr.write(message.data);
      } else if (message.type === "exit") finish(message.code);
    });
  });
}
