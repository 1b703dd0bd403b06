// The few git facts flake semantics depend on. Every call runs git itself, so what infra sees
// is what `nix eval` (which also shells out to git) sees. Node's execFile, not execa: these are
// tiny calls on the path of a fully cached run, where execa's load time (~120 ms) would dominate.
import { execFile } from "node:child_process";
import { EnvironmentError, UsageError } from "../../errors/index.js";

export interface HeadInfo {
  rev: string;
  /** Committer time of HEAD, seconds since the epoch (flake `lastModified`). */
  lastModified: number;
  revCount: number;
}

/** What the loader passes as `self`'s git attributes. */
export interface GitState {
  isRepo: boolean;
  dirty: boolean;
  lastModified: number;
  lastModifiedDate: string;
  rev?: string;
  shortRev?: string;
  revCount?: number;
}

interface GitResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

function git(top: string, args: string[], options: { reject?: boolean } = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      ["-C", top, ...args],
      { env: { ...process.env, GIT_OPTIONAL_LOCKS: "0" }, maxBuffer: 512 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        const code = (error as { code?: unknown } | null)?.code;
        if (code === "ENOENT") {
          reject(
            new EnvironmentError("git is not installed", {
              hints: ["Install git (apt-get install -y git)."],
            }),
          );
          return;
        }
        const exitCode = error ? (typeof code === "number" ? code : 1) : 0;
        if (exitCode !== 0 && options.reject !== false) {
          reject(new Error(`git ${args.join(" ")} failed in ${top}: ${stderr.trim()}`));
          return;
        }
        resolve({ exitCode, stdout, stderr });
      },
    );
  });
}

/** The work tree's top level containing `dir`, or undefined when it is not in a git repo. */
export async function findTop(dir: string): Promise<string | undefined> {
  const result = await git(dir, ["rev-parse", "--show-toplevel"], { reject: false });
  if (result.exitCode !== 0) return undefined;
  return result.stdout.trim();
}

/** Tracked paths (relative to `top`), as `nix eval` copies them for a git flake. */
export async function trackedFiles(top: string): Promise<string[]> {
  const result = await git(top, ["ls-files", "-z"]);
  return result.stdout.split("\0").filter((p) => p !== "");
}

export async function headInfo(top: string): Promise<HeadInfo | undefined> {
  const log = await git(top, ["log", "-1", "--no-show-signature", "--format=%H %ct"], { reject: false });
  if (log.exitCode !== 0 || log.stdout.trim() === "") return undefined;
  const [rev, time] = log.stdout.trim().split(" ");
  const count = await git(top, ["rev-list", "--count", "HEAD"]);
  return { rev: rev!, lastModified: Number(time), revCount: Number(count.stdout.trim()) };
}

/** Nix 2.8 decides "dirty" with exactly this command (tracked changes only, untracked files ignored). */
export async function isDirty(top: string): Promise<boolean> {
  const result = await git(top, ["diff", "HEAD", "--quiet", "--ignore-submodules", "--"], { reject: false });
  return result.exitCode !== 0;
}

/** `%Y%m%d%H%M%S` in UTC, as flakes format `lastModifiedDate`. */
export function formatLastModifiedDate(seconds: number): string {
  const d = new Date(seconds * 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

export async function gitState(
  top: string | undefined,
  readHead: (top: string) => Promise<HeadInfo | undefined> = headInfo,
): Promise<GitState> {
  if (top === undefined)
    return { isRepo: false, dirty: true, lastModified: 0, lastModifiedDate: formatLastModifiedDate(0) };
  const [head, dirty] = await Promise.all([readHead(top), isDirty(top)]);
  // A repository without commits is treated as dirty, with lastModified 0, like Nix does.
  if (head === undefined)
    return { isRepo: true, dirty: true, lastModified: 0, lastModifiedDate: formatLastModifiedDate(0) };
  return {
    isRepo: true,
    dirty,
    lastModified: head.lastModified,
    lastModifiedDate: formatLastModifiedDate(head.lastModified),
    rev: head.rev,
    shortRev: head.rev.slice(0, 7),
    revCount: head.revCount,
  };
}

export interface GitChange {
  /** Relative to the repository top. */
  path: string;
  change: "modified" | "added" | "removed";
}

/** A ref that names a commit, or a usage error that says how to name one. */
export async function verifyCommit(top: string, ref: string): Promise<string> {
  const verify = await git(top, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { reject: false });
  if (verify.exitCode !== 0) {
    throw new UsageError(`'${ref}' is not a commit in ${top}`, {
      hints: ["Pass a branch, tag or commit that exists, e.g. --since HEAD~1 or --since origin/main."],
    });
  }
  return verify.stdout.trim();
}

/**
 * Tracked paths that differ between `ref` and the working tree, committed or not. Untracked
 * files are not part of a git flake, so they are not changes; renames count as a removal and an
 * addition (a folder listing changes on both sides).
 */
export async function changesSince(top: string, ref: string): Promise<GitChange[]> {
  await verifyCommit(top, ref);
  const diff = await git(top, ["diff", "--name-status", "-z", "--no-renames", ref, "--"]);
  const fields = diff.stdout.split("\0");
  const changes: GitChange[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const status = fields[i]!;
    const path = fields[i + 1]!;
    if (status === "") continue;
    changes.push({
      path,
      // A type change (T: file ↔ symlink) changes what exists at the path, like an addition.
      change:
        status.startsWith("A") || status.startsWith("T")
          ? "added"
          : status.startsWith("D")
            ? "removed"
            : "modified",
    });
  }
  return changes.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** Whether HEAD moved since `ref` (values that use `self.rev` then change). */
export async function headDiffers(top: string, ref: string): Promise<boolean> {
  const [a, b] = await Promise.all([verifyCommit(top, ref), verifyCommit(top, "HEAD")]);
  return a !== b;
}

/** A file's content at `ref`, or undefined when it did not exist there. */
export async function showAt(top: string, ref: string, path: string): Promise<string | undefined> {
  const result = await git(top, ["show", `${ref}:${path}`], { reject: false });
  return result.exitCode === 0 ? result.stdout : undefined;
}

/** Whether `path` exists in HEAD (tells an added file from a modified one). */
export async function inHead(top: string, path: string): Promise<boolean> {
  const result = await git(top, ["cat-file", "-e", `HEAD:${path}`], { reject: false });
  return result.exitCode === 0;
}
