// The repository as flake evaluation sees it right now, observed one dependency at a time: in a
// git repository only tracked files exist, so untracked files never change a fingerprint (a
// `git add` does). What changes can reach each kind is engine/invalidation.ts's business; this
// file only observes.
import { type Dirent, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { sha256 } from "../../cache/key.js";
import type { DepRef } from "../../cache/records.js";
import { type FileHasher, lstatOrUndefined } from "./file-hasher.js";
import {
  ABSENT,
  EMPTY_LOCK,
  INVALID_LOCK,
  type LockFile,
  LockFileError,
  lockNodeFingerprint,
  lockPathOf,
  parseLock,
  splitInputKey,
} from "./lock.js";
import { absolute } from "./paths.js";
import type { TrackedTree } from "./tracked.js";

export { ABSENT } from "./lock.js";

/** A flake's lock file as evaluation sees it, or why Nix would refuse it. */
export type LockState = { lock: LockFile; error?: undefined } | { lock?: undefined; error: string };

function typeName(st: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): string {
  if (st.isSymbolicLink()) return "symlink";
  if (st.isDirectory()) return "directory";
  if (st.isFile()) return "regular";
  return "unknown";
}

export interface SnapshotOptions {
  top: string;
  /** Undefined outside git: then every file on disk is part of the flake. */
  tracked: TrackedTree | undefined;
  hasher: FileHasher;
  /** `git` dependency's current fingerprint, when known (see gitFingerprint). */
  git?: string | undefined;
}

export function gitFingerprint(state: { isRepo: boolean; dirty: boolean; rev?: string | undefined }): string {
  return state.isRepo ? `${state.rev ?? "none"}:${state.dirty ? "dirty" : "clean"}` : "none";
}

/**
 * Memoises every fingerprint, so one snapshot serves a whole run; make a new one after the tree
 * changed.
 */
export class Snapshot {
  readonly top: string;
  readonly tracked: TrackedTree | undefined;
  readonly hasher: FileHasher;
  git: string | undefined;
  private readonly memo = new Map<string, string>();
  private readonly locks = new Map<string, LockState>();

  constructor(options: SnapshotOptions) {
    this.top = options.top;
    this.tracked = options.tracked;
    this.hasher = options.hasher;
    this.git = options.git;
  }

  abs(rel: string): string {
    return absolute(this.top, rel);
  }

  isTrackedFile(rel: string): boolean {
    return this.tracked === undefined || this.tracked.files.has(rel);
  }

  /** Tracked file, or a folder that holds tracked files (the top always counts). */
  isTrackedPath(rel: string): boolean {
    return (
      this.tracked === undefined ||
      rel === "" ||
      this.tracked.files.has(rel) ||
      this.tracked.children.has(rel)
    );
  }

  fingerprint(dep: DepRef): string {
    const id = `${dep.kind}\0${dep.key}`;
    let fp = this.memo.get(id);
    if (fp === undefined) {
      fp = this.compute(dep);
      this.memo.set(id, fp);
    }
    return fp;
  }

  private compute(dep: DepRef): string {
    switch (dep.kind) {
      case "file":
        return this.content(dep.key);
      case "dir":
        return this.listing(dep.key);
      case "type":
        return this.type(dep.key);
      case "link":
        return this.link(dep.key);
      case "input": {
        const { flakeRel, node } = splitInputKey(dep.key);
        const state = this.lock(flakeRel);
        return state.lock === undefined ? INVALID_LOCK : lockNodeFingerprint(state.lock, node);
      }
      case "tree":
        return this.treeFingerprint();
      case "git":
        if (this.git === undefined) throw new Error("git state not loaded into this snapshot");
        return this.git;
    }
  }

  private content(rel: string): string {
    if (!this.isTrackedFile(rel)) return ABSENT;
    const abs = this.abs(rel);
    const lst = lstatOrUndefined(abs);
    if (lst === undefined) return ABSENT;
    if (lst.isDirectory()) return "directory";
    if (lst.isSymbolicLink()) {
      // Reads follow the link; the target's content is what was read.
      try {
        const st = statSync(abs);
        return st.isDirectory() ? "directory" : sha256(readFileSync(abs));
      } catch {
        return ABSENT;
      }
    }
    const entry = this.hasher.stat(abs, lst);
    if (entry === undefined) return ABSENT;
    return (entry.mode & 0o111) !== 0 ? `${entry.hash}:x` : entry.hash;
  }

  /** Tracked entries of a folder, with their types, as `builtins.readDir` of a flake sees them. */
  trackedEntries(rel: string): { name: string; type: string }[] | undefined {
    if (!this.isTrackedPath(rel)) return undefined;
    let dirents: Dirent[];
    try {
      dirents = readdirSync(this.abs(rel), { withFileTypes: true });
    } catch {
      return undefined;
    }
    const names = this.tracked?.children.get(rel);
    return dirents
      .filter((d) =>
        this.tracked === undefined ? d.name !== ".git" || rel !== "" : names?.has(d.name) === true,
      )
      .map((d) => ({ name: d.name, type: typeName(d) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private listing(rel: string): string {
    if (!this.isTrackedPath(rel)) return ABSENT;
    const st = lstatOrUndefined(this.abs(rel));
    if (st === undefined || !st.isDirectory()) return ABSENT;
    const names =
      this.tracked === undefined ? "*" : [...(this.tracked.children.get(rel) ?? [])].sort().join("/");
    return this.hasher.listing(this.abs(rel), st, names, () => {
      const entries = this.trackedEntries(rel) ?? [];
      return sha256(entries.map((e) => `${e.name}:${e.type}`).join("\n"));
    });
  }

  private type(rel: string): string {
    if (!this.isTrackedPath(rel)) return ABSENT;
    const st = lstatOrUndefined(this.abs(rel));
    return st === undefined ? ABSENT : typeName(st);
  }

  private link(rel: string): string {
    if (!this.isTrackedFile(rel)) return ABSENT;
    try {
      return `link:${readlinkSync(this.abs(rel))}`;
    } catch {
      return ABSENT;
    }
  }

  /**
   * The lock file of the flake in folder `flakeRel`, as a git flake sees it: an untracked or
   * absent lock file is no lock file at all.
   */
  lock(flakeRel: string): LockState {
    let state = this.locks.get(flakeRel);
    if (state === undefined) {
      state = this.readLock(flakeRel);
      this.locks.set(flakeRel, state);
    }
    return state;
  }

  private readLock(flakeRel: string): LockState {
    const rel = lockPathOf(flakeRel);
    if (!this.isTrackedFile(rel)) return { lock: EMPTY_LOCK };
    let text: string;
    try {
      text = readFileSync(this.abs(rel), "utf8");
    } catch {
      return { lock: EMPTY_LOCK };
    }
    try {
      return { lock: parseLock(text) };
    } catch (error) {
      if (error instanceof LockFileError) return { error: error.message };
      throw error;
    }
  }

  private treeFingerprint(): string {
    const files = this.tracked ? [...this.tracked.files].sort() : [];
    const lines: string[] = [];
    for (const rel of files) {
      const entry = this.hasher.stat(this.abs(rel));
      if (entry === undefined) continue;
      lines.push(`${rel}\0${(entry.mode & 0o111) !== 0 ? "x" : "-"}\0${entry.hash}`);
    }
    return sha256(lines.join("\n"));
  }

  /**
   * Why a path access would differ from `nix eval`'s view (an untracked file read or stat'ed,
   * a listed folder holding untracked entries), or undefined when it would not.
   */
  untrackedReason(dep: DepRef): string | undefined {
    if (this.tracked === undefined) return undefined;
    const abs = this.abs(dep.key);
    if (dep.kind === "dir") {
      let all: string[];
      try {
        all = readdirSync(abs);
      } catch {
        return undefined;
      }
      const names = this.tracked.children.get(dep.key);
      const extra = all.filter((n) => names?.has(n) !== true && !(dep.key === "" && n === ".git"));
      return extra.length > 0
        ? `${dep.key || "."} holds untracked ${extra.slice(0, 3).join(", ")}`
        : undefined;
    }
    if (dep.kind === "file" || dep.kind === "type" || dep.kind === "link") {
      if (this.isTrackedPath(dep.key)) return undefined;
      return lstatOrUndefined(abs) === undefined ? undefined : `${dep.key} is not tracked by git`;
    }
    return undefined;
  }
}
