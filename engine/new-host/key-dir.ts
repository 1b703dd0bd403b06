// Where a new host's private key goes: a folder outside the repository by default, so it is
// never committed; inside it only where git ignores it. The key is the host's own secret; the
// repository gets the public half.
import { existsSync, lstatSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { UsageError } from "../../errors/index.js";
import { ignoredPaths } from "./tools.js";

/** The private key's file name (and `.pub` beside it), as sshd names an ed25519 host key. */
export const KEY_FILE = "ssh_host_ed25519_key";

/** `$XDG_DATA_HOME/infra/host-keys/<repository folder name>/<name>` (XDG default ~/.local/share). */
export function defaultKeyDir(
  env: Record<string, string | undefined>,
  repoDir: string,
  name: string,
): string {
  // The XDG spec ignores a relative value.
  const xdg = env.XDG_DATA_HOME && isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : undefined;
  const data = xdg ?? join(env.HOME || homedir(), ".local", "share");
  return join(data, "infra", "host-keys", basename(repoDir), name);
}

/** `path` with its deepest existing ancestor resolved through symlinks. */
function realish(path: string): string {
  let existing = path;
  const rest: string[] = [];
  while (!existsSync(existing) && dirname(existing) !== existing) {
    rest.unshift(basename(existing));
    existing = dirname(existing);
  }
  return join(realpathSync(existing), ...rest);
}

const isInside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

/**
 * Checks the key folder before anything is written: not a file, no key there already, and not
 * inside the repository unless git ignores both key files. Returns the folder, absolute.
 */
export async function checkKeyDir(keyDir: string, top: string): Promise<string> {
  const dir = resolve(keyDir);
  if (existsSync(dir) && !lstatSync(dir).isDirectory()) {
    throw new UsageError(`--key-dir ${keyDir} is not a folder`, {
      hints: ["Name a folder (it is created)."],
    });
  }
  for (const file of [KEY_FILE, `${KEY_FILE}.pub`]) {
    if (existsSync(join(dir, file)) || isSymlink(join(dir, file))) {
      throw new UsageError(`${join(dir, file)} already exists: infra new host never overwrites a key`, {
        hints: ["Pick another --key-dir, or move the old key away if it is no longer used."],
      });
    }
  }
  const real = realish(dir);
  if (isInside(top, real)) {
    const files = [KEY_FILE, `${KEY_FILE}.pub`].map((f) => relative(top, join(real, f)));
    const ignored = await ignoredPaths(top, files);
    if (ignored.length < files.length) {
      throw new UsageError(
        `--key-dir ${keyDir} is inside the repository and git does not ignore it: the private key could be committed`,
        {
          hints: [
            "Leave --key-dir out (keys then go to $XDG_DATA_HOME/infra/host-keys/), name a folder outside the repository, or add the folder to .gitignore first.",
          ],
        },
      );
    }
  }
  return dir;
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
