// Where a repository's cache lives, and its server's socket: computed the same way by the
// engine and by the command-line client (which must not load the store to find a server).
import { homedir, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { repoCacheName } from "./key.js";

/** $INFRA_CACHE_DIR, then $XDG_CACHE_HOME/infra, then ~/.cache/infra (an empty variable is unset). */
export function defaultCacheRoot(vars: Record<string, string | undefined> = process.env): string {
  const env = (name: string) => (vars[name] === "" ? undefined : vars[name]);
  return env("INFRA_CACHE_DIR") ?? join(env("XDG_CACHE_HOME") ?? join(homedir(), ".cache"), "infra");
}

/** One repository's folder below the cache root (its LMDB environment is `v<N>` inside). */
export function repoCacheDir(cacheRoot: string, repoRealPath: string): string {
  return join(cacheRoot, repoCacheName(repoRealPath));
}

/** Unix socket paths longer than this do not fit `sockaddr_un` on Linux (108 bytes with NUL). */
const SOCKET_PATH_MAX = 100;

/**
 * The warm server's socket: in the repository's cache folder, or, where that path is too long
 * for a socket, in a folder of the user's own below the system's temporary folder.
 */
export function serverSocketPath(cacheDir: string): string {
  const inCache = join(cacheDir, "server.sock");
  if (Buffer.byteLength(inCache) <= SOCKET_PATH_MAX) return inCache;
  return join(tmpdir(), `infra-${process.getuid?.() ?? "user"}`, `${basename(cacheDir)}.sock`);
}
