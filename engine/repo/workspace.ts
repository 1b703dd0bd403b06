// The repository at one moment, as flake evaluation sees it: its top level, tracked files, git
// state, flakes and lock files, and a Snapshot that fingerprints what evaluations read. One per
// run (or per watch batch).
import { type Dirent, existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import type { FileStatTable } from "../../cache/store.js";
import { ConfigError, UsageError } from "../../errors/index.js";
import { FileHasher, lstatOrUndefined } from "./file-hasher.js";
import { findTop, type GitState, gitState, headInfo, trackedFiles } from "./git.js";
import type { LockFile } from "./lock.js";
import { lockPathOf } from "./lock.js";
import type { GitMemo } from "./memo.js";
import { absolute, relativeTo } from "./paths.js";
import { gitFingerprint, Snapshot } from "./snapshot.js";
import { buildTrackedTree, type TrackedTree } from "./tracked.js";

/** Folders never searched for flakes. */
const SKIP_DIRS = new Set([".git", "node_modules", ".direnv"]);

/** A path matches an ignore glob itself, or lies inside a folder it names. */
function ignored(path: string, globs: string[]): boolean {
  if (globs.length === 0) return false;
  const picomatch = createRequire(import.meta.url)("picomatch") as typeof import("picomatch");
  const match = picomatch(globs, { dot: true });
  const parts = path.split("/");
  return parts.some((_, i) => match(parts.slice(0, i + 1).join("/")));
}

export class Workspace {
  readonly repoDir: string;
  readonly top: string;
  readonly isGit: boolean;
  readonly tracked: TrackedTree | undefined;
  readonly snapshot: Snapshot;
  /** ctime of .git/index just before the tracked files were listed ("" outside git). */
  readonly indexCtimeNs: string;
  private gitStatePromise: Promise<GitState> | undefined;
  private trackedList: { files: string[]; indexCtimeNs: string } | undefined;
  private readonly displayed = new Map<string, string>();

  private constructor(
    repoDir: string,
    top: string,
    isGit: boolean,
    tracked: TrackedTree | undefined,
    files: FileStatTable,
    indexCtimeNs = "",
    private readonly memo?: GitMemo,
  ) {
    this.indexCtimeNs = indexCtimeNs;
    this.repoDir = repoDir;
    this.top = top;
    this.isGit = isGit;
    this.tracked = tracked;
    this.snapshot = new Snapshot({ top, tracked, hasher: new FileHasher(files) });
  }

  /** The repo folder's real path, or a usage error when it is not a folder. */
  static resolveRepoDir(repo: string): string {
    try {
      const repoDir = realpathSync(repo);
      if (statSync(repoDir).isDirectory()) return repoDir;
    } catch {}
    throw new UsageError(`'${repo}' is not a directory`, {
      hints: ["Pass the folder of your fleet with --repo DIR."],
    });
  }

  /** `memo`: a resident engine's git facts, reused while the files git derives them from hold. */
  static async open(repo: string, files: FileStatTable, memo?: GitMemo): Promise<Workspace> {
    const repoDir = Workspace.resolveRepoDir(repo);
    const top = memo ? await memo.top(repoDir, () => findTop(repoDir)) : await findTop(repoDir);
    if (top === undefined) return new Workspace(repoDir, repoDir, false, undefined, files);
    // The index's ctime first: if it changes after this, the list below may be out of date.
    const indexCtimeNs = String(lstatOrUndefined(join(top, ".git", "index"))?.ctimeNs ?? "");
    const list = () => trackedFiles(top);
    const tracked = buildTrackedTree(memo ? await memo.trackedFiles(top, list) : await list());
    return new Workspace(repoDir, realpathSync(top), true, tracked, files, indexCtimeNs, memo);
  }

  /** The tracked files for a worker, with the index stamp they were read at. */
  trackedFiles(): { files: string[]; indexCtimeNs: string } | undefined {
    if (this.tracked === undefined) return undefined;
    this.trackedList ??= { files: [...this.tracked.files], indexCtimeNs: this.indexCtimeNs };
    return this.trackedList;
  }

  /** HEAD, dirtiness and the rest of `self`'s git attributes (a few git calls, made once). */
  gitState(): Promise<GitState> {
    const memo = this.memo;
    const readHead = memo ? (top: string) => memo.headInfo(top, () => headInfo(top)) : undefined;
    this.gitStatePromise ??= gitState(this.isGit ? this.top : undefined, readHead).then((state) => {
      this.snapshot.git = gitFingerprint(state);
      return state;
    });
    return this.gitStatePromise;
  }

  /** `abs` relative to the repository top. */
  rel(abs: string): string {
    return relativeTo(this.top, abs);
  }

  /** A path relative to the repo folder, for people (memoised: every cached host shows its deps). */
  display(relToTop: string): string {
    // Most repositories are their own top: the path is already relative to the repo folder.
    if (this.repoDir === this.top && !relToTop.startsWith("..")) return relToTop === "" ? "." : relToTop;
    let shown = this.displayed.get(relToTop);
    if (shown === undefined) {
      shown = relative(this.repoDir, absolute(this.top, relToTop)) || ".";
      this.displayed.set(relToTop, shown);
    }
    return shown;
  }

  /**
   * Every flake in the repo folder: in git, tracked `flake.nix` files (git-ignored and untracked
   * ones are not part of any flake `nix eval` sees); elsewhere, a walk of the folder.
   */
  findFlakes(ignore: string[] = []): string[] {
    const found: string[] = [];
    const keep = (relToRepo: string) =>
      !relToRepo.split("/").some((part) => SKIP_DIRS.has(part) || part.startsWith("result")) &&
      !ignored(relToRepo, ignore);
    if (this.tracked !== undefined) {
      for (const file of this.tracked.files) {
        if (file !== "flake.nix" && !file.endsWith("/flake.nix")) continue;
        const dir = join(this.top, file, "..");
        const relToRepo = relative(this.repoDir, dir);
        if (relToRepo.startsWith("..") || !keep(relToRepo)) continue;
        if (existsSync(join(this.top, file))) found.push(dir);
      }
    } else {
      const walk = (dir: string) => {
        let entries: Dirent[];
        try {
          entries = readdirSync(dir, { withFileTypes: true });
        } catch {
          return;
        }
        if (entries.some((e) => e.name === "flake.nix" && e.isFile())) found.push(dir);
        for (const e of entries) {
          if (e.isDirectory() && keep(relative(this.repoDir, join(dir, e.name)))) walk(join(dir, e.name));
        }
      };
      walk(this.repoDir);
    }
    return found.sort();
  }

  /** The flake's lock file as a git flake sees it; one Nix would refuse is an error naming it. */
  lock(flakeDir: string): LockFile {
    const state = this.snapshot.lock(this.rel(flakeDir));
    if (state.lock !== undefined) return state.lock;
    const file = join(this.top, lockPathOf(this.rel(flakeDir)));
    throw new ConfigError(`${file}: not a valid lock file (${state.error})`, {
      code: "E_LOCKFILE",
      hints: ["Restore it from git, or run `nix flake lock` to write it again."],
    });
  }
}
