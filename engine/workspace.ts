// The repository as flake evaluation sees it at one moment: its top level, tracked files,
// git state and flakes. One per run (or per watch batch).
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { FileHasher, type FileStatTable, lstatOrUndefined } from "../cache/file-hashes.js";
import {
  buildTrackedTree,
  gitFingerprint,
  type LockFile,
  Snapshot,
  type TrackedTree,
} from "../cache/fingerprint.js";
import { ConfigError, UsageError } from "../errors/index.js";
import { findTop, type GitState, gitState, trackedFiles } from "./git.js";

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

  private constructor(
    repoDir: string,
    top: string,
    isGit: boolean,
    tracked: TrackedTree | undefined,
    files: FileStatTable,
    indexCtimeNs = "",
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

  static async open(repo: string, files: FileStatTable): Promise<Workspace> {
    const repoDir = Workspace.resolveRepoDir(repo);
    const top = await findTop(repoDir);
    if (top === undefined) return new Workspace(repoDir, repoDir, false, undefined, files);
    // The index's ctime first: if it changes after this, the list below may be out of date.
    const indexCtimeNs = String(lstatOrUndefined(join(top, ".git", "index"))?.ctimeNs ?? "");
    const tracked = buildTrackedTree(await trackedFiles(top));
    return new Workspace(repoDir, realpathSync(top), true, tracked, files, indexCtimeNs);
  }

  /** The tracked files for a worker, with the index stamp they were read at. */
  trackedFiles(): { files: string[]; indexCtimeNs: string } | undefined {
    if (this.tracked === undefined) return undefined;
    this.trackedList ??= { files: [...this.tracked.files], indexCtimeNs: this.indexCtimeNs };
    return this.trackedList;
  }
  private trackedList: { files: string[]; indexCtimeNs: string } | undefined;

  /** HEAD, dirtiness and the rest of `self`'s git attributes (a few git calls, made once). */
  gitState(): Promise<GitState> {
    this.gitStatePromise ??= gitState(this.isGit ? this.top : undefined).then((state) => {
      this.snapshot.git = gitFingerprint(state);
      return state;
    });
    return this.gitStatePromise;
  }

  rel(abs: string): string {
    return relative(this.top, abs).split("\\").join("/");
  }

  /** A path relative to the repo folder, for people (memoised: every cached host shows its deps). */
  display(relToTop: string): string {
    let shown = this.displayed.get(relToTop);
    if (shown === undefined) {
      const abs = relToTop === "" ? this.top : join(this.top, relToTop);
      shown = relative(this.repoDir, abs) || ".";
      this.displayed.set(relToTop, shown);
    }
    return shown;
  }
  private readonly displayed = new Map<string, string>();

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
        let entries: import("node:fs").Dirent[];
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

  /** The flake's lock file as a git flake sees it; a broken one is a config error naming it. */
  lock(flakeDir: string): LockFile {
    const rel = this.rel(flakeDir);
    const lockRel = rel === "" ? "flake.lock" : `${rel}/flake.lock`;
    if (!this.snapshot.isTrackedFile(lockRel) || !existsSync(join(this.top, lockRel))) {
      return this.snapshot.lock(rel);
    }
    const text = readFileSync(join(this.top, lockRel), "utf8");
    try {
      const lock = JSON.parse(text) as LockFile;
      if (typeof lock.root !== "string" || typeof lock.nodes !== "object")
        throw new Error("no 'root' or 'nodes'");
      return lock;
    } catch (error) {
      throw new ConfigError(
        `${join(this.top, lockRel)}: not a valid lock file (${(error as Error).message})`,
        {
          code: "E_LOCKFILE",
          hints: ["Restore it from git, or run `nix flake lock` to write it again."],
        },
      );
    }
  }
}
