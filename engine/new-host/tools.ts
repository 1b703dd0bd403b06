// The two programs `infra new host` runs besides Nix: git (what is tracked, ignored, changed;
// staging what it wrote) and ssh-keygen (the host's key pair). Argument arrays only, never a
// shell line; paths are passed after `--` with literal pathspecs, so no file name is an option
// or a pattern.
import { execFile } from "node:child_process";
import { realpathSync } from "node:fs";
import { EnvironmentError, type InfraError } from "../../errors/index.js";

interface Ran {
  exitCode: number;
  stdout: string;
  stderr: string;
}

function run(program: string, args: string[], cwd?: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    execFile(
      program,
      args,
      {
        cwd,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, GIT_OPTIONAL_LOCKS: "0" },
      },
      (error, stdout, stderr) => {
        const code = (error as { code?: unknown } | null)?.code;
        if (code === "ENOENT") {
          const pkg = program === "git" ? "git" : "openssh-client";
          reject(
            new EnvironmentError(`${program} is not installed`, {
              hints: [`Install it (apt-get install -y ${pkg}).`],
            }),
          );
          return;
        }
        resolve({ exitCode: error ? (typeof code === "number" ? code : 1) : 0, stdout, stderr });
      },
    );
  });
}

async function git(top: string, args: string[], literal = true): Promise<Ran> {
  return run("git", [...(literal ? ["--literal-pathspecs"] : []), "-C", top, ...args]);
}

function failed(what: string, ran: Ran): InfraError {
  return new EnvironmentError(`${what} failed: ${ran.stderr.trim() || `exit ${ran.exitCode}`}`);
}

/** The git work tree holding `dir` (real path), or undefined outside git. */
export async function gitTop(dir: string): Promise<string | undefined> {
  const ran = await run("git", ["-C", dir, "rev-parse", "--show-toplevel"]);
  return ran.exitCode === 0 ? realpathSync(ran.stdout.trim()) : undefined;
}

/** Which of `paths` (relative to `top`) git ignores. */
export async function ignoredPaths(top: string, paths: string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  // check-ignore takes path names, not pathspecs (and refuses the literal-pathspecs flag).
  const ran = await git(top, ["check-ignore", "--", ...paths], false);
  if (ran.exitCode > 1) throw failed("git check-ignore", ran);
  return ran.stdout.split("\n").filter((l) => l !== "");
}

/** Which of `paths` have changes git has not staged (the work tree differs from the index). */
export async function unstagedPaths(top: string, paths: string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const ran = await git(top, ["diff", "--name-only", "-z", "--", ...paths]);
  if (ran.exitCode !== 0) throw failed("git diff", ran);
  return ran.stdout.split("\0").filter((l) => l !== "");
}

/** Stages exactly `paths` (relative to `top`). */
export async function stage(top: string, paths: string[]): Promise<void> {
  if (paths.length === 0) return;
  const ran = await git(top, ["add", "--", ...paths]);
  if (ran.exitCode !== 0) throw failed("git add", ran);
}

/**
 * Generates an ed25519 key pair at `privatePath` (and `privatePath.pub`) with no passphrase, as
 * a host key is: sshd reads it unattended.
 */
export async function generateHostKey(privatePath: string, comment: string): Promise<void> {
  const ran = await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", privatePath]);
  if (ran.exitCode !== 0) throw failed("ssh-keygen", ran);
}

/** Every tracked file, relative to `top`. */
export async function trackedFiles(top: string): Promise<string[]> {
  const ran = await git(top, ["ls-files", "-z"]);
  if (ran.exitCode !== 0) throw failed("git ls-files", ran);
  return ran.stdout.split("\0").filter((l) => l !== "");
}
