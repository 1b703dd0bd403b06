// The warm server: one resident engine core per repository and cache, listening on a Unix socket
// (mode 0600) in the cache folder. Each client's command runs here through the same command line
// (run.ts), with the client's folder, environment and terminal, so its output and exit code are
// the ones it would have had in its own process. Every answer is verified as a cold one is:
// the core keeps the cache open and the workers warm, it never trusts what it saw before.
import {
  chmodSync,
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeSync,
} from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { EngineCore, EngineOptions } from "../../engine/index.js";
import { UsageError } from "../../errors/index.js";
import type { CliIO } from "../context.js";
import { outOf } from "../render/terminal.js";
import { idleCollector } from "./idle-gc.js";
import { type ClientMessage, identity, mismatch, type RunRequest, type ServerMessage } from "./protocol.js";

export interface ServerHandle {
  socket: string;
  /** Resolves when the server has stopped (a `stop` request, or `close()`). */
  stopped: Promise<void>;
  close(): Promise<void>;
}

export interface ServeOptions {
  core: EngineCore;
  socket: string;
  /** The repository and cache root the core serves (clients of others are refused). */
  repo: string;
  cacheRoot: string;
  env: Record<string, string | undefined>;
  /** Runs one command line (cli/run.ts), given by the caller so this file does not import it. */
  run: (argv: string[], io: CliIO) => Promise<number>;
}

const send = (socket: Socket, message: ServerMessage) => {
  if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
};

/** Asks a running server something; undefined when none answers. */
export function ask(
  socket: string,
  message: ClientMessage,
  timeoutMs = 1000,
): Promise<ServerMessage | undefined> {
  return new Promise((done) => {
    const client = connect(socket);
    const timer = setTimeout(() => {
      client.destroy();
      done(undefined);
    }, timeoutMs);
    const finish = (answer: ServerMessage | undefined) => {
      clearTimeout(timer);
      client.destroy();
      done(answer);
    };
    client.on("error", () => finish(undefined));
    client.on("connect", () => client.write(`${JSON.stringify(message)}\n`));
    const lines = createInterface({ input: client });
    lines.on("error", () => {});
    lines.once("line", (line) => finish(JSON.parse(line) as ServerMessage));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the server lock beside the socket (`server.pid`, created exclusively): a second server
 * for the same repository refuses to start; a lock whose process is gone is stale and replaced.
 */
async function takeLock(socket: string): Promise<string> {
  const lock = `${socket}.pid`;
  mkdirSync(dirname(socket), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return lock;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(readFileSync(lock, "utf8").trim());
      const answer = await ask(socket, { type: "status" }, 500);
      if ((Number.isInteger(pid) && pid > 0 && alive(pid)) || answer !== undefined) {
        throw new UsageError(
          `a server already runs for this repository (pid ${answer?.type === "status" ? answer.pid : pid})`,
          {
            hints: ["Use it as it is, or stop it first: infra serve --stop"],
          },
        );
      }
      // Stale: the server that held it is gone (kill -9, a crash). Its socket is stale too.
      rmSync(lock, { force: true });
      rmSync(socket, { force: true });
    }
  }
  throw new UsageError(`could not take the server lock ${lock}`);
}

/** Starts serving `core` on `socket`; resolves once clients can connect. */
export async function serve(options: ServeOptions): Promise<ServerHandle> {
  const { core, socket } = options;
  const lock = await takeLock(socket);
  rmSync(socket, { force: true });
  const own = identity(options.env);
  const since = Date.now();
  let served = 0;
  const running = new Set<AbortController>();
  const collector = idleCollector();
  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((r) => {
    resolveStopped = r;
  });

  // Clients of this repository and cache get the resident core; anything else a command opens
  // (it cannot be, the client routes by repository, but commands are free code) gets its own.
  const engines = async (engineOptions: EngineOptions) => {
    let same = false;
    try {
      same =
        realpathSync(engineOptions.repo) === options.repo &&
        resolve(engineOptions.cacheDir ?? options.cacheRoot) === options.cacheRoot;
    } catch {}
    if (same) return core.session(engineOptions);
    const { createEngine } = await import("../../engine/index.js");
    return createEngine(engineOptions);
  };

  const handle = async (client: Socket, request: RunRequest, controller: AbortController) => {
    const why =
      mismatch(own, request.identity) ??
      (request.repo !== options.repo || request.cacheRoot !== options.cacheRoot
        ? "it serves another repository or cache"
        : undefined);
    if (why !== undefined) {
      send(client, { type: "refused", why });
      client.end();
      return;
    }
    send(client, { type: "accepted" });
    running.add(controller);
    collector.busy();
    client.on("close", () => controller.abort());
    // Output goes out in batches (a 200-line table is one message, not 200), in the order written.
    const queue: { stream: "stdout" | "stderr"; data: string }[] = [];
    let scheduled = false;
    const flush = () => {
      scheduled = false;
      for (const chunk of queue.splice(0)) send(client, { type: "out", ...chunk });
    };
    const writer = (stream: "stdout" | "stderr") => (data: string) => {
      const last = queue[queue.length - 1];
      if (last?.stream === stream) last.data += data;
      else queue.push({ stream, data });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    };
    const io: CliIO = {
      stdout: outOf({ write: writer("stdout"), isTTY: request.tty.stdout }, request.env),
      stderr: outOf({ write: writer("stderr"), isTTY: request.tty.stderr }, request.env),
      cwd: request.cwd,
      env: request.env,
      signal: controller.signal,
      engines,
    };
    let code = 70;
    try {
      code = await options.run(request.argv, io);
    } finally {
      running.delete(controller);
      served++;
      flush();
      send(client, { type: "exit", code });
      client.end();
      collector.idle();
    }
  };

  let server: Server;
  const close = async () => {
    for (const controller of running) controller.abort();
    collector.stop();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(socket, { force: true });
    rmSync(lock, { force: true });
    resolveStopped();
  };

  server = createServer((client) => {
    client.on("error", () => {});
    const lines = createInterface({ input: client });
    lines.on("error", () => {});
    let request: RunRequest | undefined;
    const controller = new AbortController();
    lines.on("line", (line) => {
      let message: ClientMessage;
      try {
        message = JSON.parse(line) as ClientMessage;
      } catch {
        client.destroy();
        return;
      }
      if (message.type === "run" && request === undefined) {
        request = message;
        void handle(client, message, controller);
      } else if (message.type === "interrupt") {
        // The client's Ctrl-C: its command stops as it would have in its own process.
        controller.abort();
      } else if (message.type === "status") {
        send(client, {
          type: "status",
          pid: process.pid,
          repo: options.repo,
          version: own.version,
          since,
          served,
          running: running.size,
        });
        client.end();
      } else if (message.type === "stop") {
        send(client, { type: "stopping" });
        client.end();
        void close();
      }
    });
  });
  await new Promise<void>((ready, fail) => {
    server.once("error", fail);
    // Only the user may connect: the socket is created 0600 (umask) and chmod'ed to be sure.
    const umask = process.umask(0o177);
    server.listen(socket, () => {
      process.umask(umask);
      chmodSync(socket, 0o600);
      ready();
    });
  });
  return { socket, stopped, close };
}
