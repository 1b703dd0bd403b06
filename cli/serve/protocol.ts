// The warm server's protocol and the decisions both sides share: which commands a server runs,
// where its socket is, and whether a server may answer a client (same infra build, same Nix,
// same settings). Light on purpose: the client loads this, never the store or the pool.
import { statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultCacheRoot, repoCacheDir, serverSocketPath } from "../../cache/location.js";
import { nixBinaryStamp } from "../../engine/nix/which.js";
import pkg from "../../package.json" with { type: "json" };

/** Commands a server runs for a client; the others always run in the client's process. */
export const SERVED_COMMANDS: ReadonlySet<string> = new Set([
  "hosts",
  "eval",
  "affected",
  "graph",
  "ci",
  "secrets",
]);

/** Options taking a value, so the command name is not mistaken for one (`--repo DIR eval`). */
const GLOBAL_VALUE_OPTIONS = new Set(["--repo", "--cache-dir"]);

/** Environment variables that change what a command computes: a server must share them. */
const IDENTITY_ENV = ["INFRA_NO_STRACE", "NIX_CONFIG", "NIX_REMOTE", "NIX_STATE_DIR", "NIX_STORE_DIR"];

export interface Identity {
  version: string;
  /** Changes with every build of infra (a server started before a rebuild runs old code). */
  build: string;
  nix: string | undefined;
  env: Record<string, string | undefined>;
}

/** What a client sends first. */
export interface RunRequest {
  type: "run";
  argv: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  tty: { stdout: boolean; stderr: boolean };
  identity: Identity;
  repo: string;
  cacheRoot: string;
}

export type ClientMessage = RunRequest | { type: "interrupt" } | { type: "status" } | { type: "stop" };

export type ServerMessage =
  | { type: "accepted" }
  | { type: "refused"; why: string }
  | { type: "out"; stream: "stdout" | "stderr"; data: string }
  | { type: "exit"; code: number }
  | {
      type: "status";
      pid: number;
      repo: string;
      version: string;
      since: number;
      served: number;
      running: number;
    }
  | { type: "stopping" };

const here = dirname(fileURLToPath(import.meta.url));

function buildId(): string {
  const parts = [pkg.version];
  for (const file of ["../run.js", "../../engine/engine.js", "../../engine/worker/evaluate.js"]) {
    try {
      const st = statSync(join(here, file));
      parts.push(`${st.size}:${st.mtimeMs}`);
    } catch {
      parts.push("-");
    }
  }
  return parts.join("/");
}

export function identity(env: Record<string, string | undefined>): Identity {
  return {
    version: pkg.version,
    build: buildId(),
    nix: nixBinaryStamp(env.PATH ?? ""),
    env: Object.fromEntries(IDENTITY_ENV.map((name) => [name, env[name]])),
  };
}

/** Why a server with identity `own` must not answer a client with `theirs`, if it must not. */
export function mismatch(own: Identity, theirs: Identity): string | undefined {
  if (own.version !== theirs.version)
    return `the server runs infra ${own.version}, this is ${theirs.version}`;
  if (own.build !== theirs.build) return "the server runs an earlier build of infra";
  if (own.nix !== theirs.nix) return "the server uses another Nix";
  for (const name of IDENTITY_ENV) {
    if ((own.env[name] ?? "") !== (theirs.env[name] ?? "")) return `the server runs with another ${name}`;
  }
  return undefined;
}

export interface Route {
  command: string;
  /** The --repo and --cache-dir given, if any (relative to the client's folder). */
  repo: string | undefined;
  cacheDir: string | undefined;
  noServer: boolean;
  help: boolean;
}

/** The command an argv names and the options that decide where (and whether) it is served. */
export function routeOf(argv: string[]): Route | undefined {
  let command: string | undefined;
  const route: Omit<Route, "command"> = {
    repo: undefined,
    cacheDir: undefined,
    noServer: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") break;
    const [name, inline] =
      arg.startsWith("--") && arg.includes("=")
        ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
        : [arg, undefined];
    if (name === "--repo" || name === "--cache-dir") {
      const value = inline ?? argv[++i];
      if (name === "--repo") route.repo = value;
      else route.cacheDir = value;
    } else if (name === "--no-server") route.noServer = true;
    else if (["--help", "-h", "--version", "-V"].includes(name)) route.help = true;
    else if (command === undefined && !arg.startsWith("-")) command = arg;
    else if (command === undefined && GLOBAL_VALUE_OPTIONS.has(name)) i++;
  }
  return command === undefined ? undefined : { command, ...route };
}

/** The socket of the server for `repoRealPath` under `cacheRoot`. */
export function socketFor(cacheRoot: string, repoRealPath: string): string {
  return serverSocketPath(repoCacheDir(cacheRoot, repoRealPath));
}

export { defaultCacheRoot };
