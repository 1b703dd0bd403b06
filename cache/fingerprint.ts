// Fingerprints of dependencies, with flake semantics: in a git repository only tracked files
// exist, so untracked files never change a fingerprint (a `git add` does).
import { readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { type FileHasher, lstatOrUndefined, sha256 } from "./file-hashes.js";

/**
 * - `file`: content of a path; `dir`: its (tracked) listing; `type`: only what kind of thing it
 *   is, "absent" included; `link`: a symlink's target;
 * - `input`: a locked flake input (`<flake folder>#<lock node>`);
 * - `tree`: every tracked file (the value used `self.outPath`);
 * - `git`: HEAD and whether the tree is dirty (the value used `self`'s attributes).
 */
export type DepKind = "file" | "dir" | "type" | "link" | "input" | "tree" | "git";

export interface DepKey {
  kind: DepKind;
  /** Path relative to the repository top for path kinds, `<flake folder>#<node>` for inputs. */
  key: string;
}

export interface Dependency extends DepKey {
  /** Fingerprint when the evaluation ran. */
  fp: string;
}

export const ABSENT = "absent";

/** The tracked files of a repository, with the folders that hold them. */
export interface TrackedTree {
  files: Set<string>;
  /** Folder (relative, "" for the top) → names of tracked files and folders holding tracked files. */
  children: Map<string, Set<string>>;
}

export function buildTrackedTree(files: Iterable<string>): TrackedTree {
  const tree: TrackedTree = { files: new Set(), children: new Map() };
  for (const file of files) {
    tree.files.add(file);
    let path = file;
    while (true) {
      const slash = path.lastIndexOf("/");
      const parent = slash < 0 ? "" : path.slice(0, slash);
      const name = path.slice(slash + 1);
      let names = tree.children.get(parent);
      if (names === undefined) {
        names = new Set();
        tree.children.set(parent, names);
      } else if (names.has(name)) break; // its ancestors are registered already
      names.add(name);
      if (parent === "") break;
      path = parent;
    }
  }
  return tree;
}

/** A JSON rendering with sorted keys, so equal values hash equally. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export interface LockFile {
  nodes: Record<string, Record<string, unknown>>;
  root: string;
  version: number;
}

export const EMPTY_LOCK: LockFile = { nodes: { root: {} }, root: "root", version: 7 };

/** Fingerprint of one lock node (its locked source and how its own inputs resolve). */
export function lockNodeFingerprint(lock: LockFile, node: string): string {
  const value = lock.nodes[node];
  return value === undefined ? ABSENT : sha256(stableJson(value));
}

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
 * The repository as flake evaluation sees it right now. Memoises every fingerprint, so one
 * snapshot serves a whole run; make a new one after the tree changed.
 */
export class Snapshot {
  readonly top: string;
  readonly tracked: TrackedTree | undefined;
  readonly hasher: FileHasher;
  git: string | undefined;
  private readonly memo = new Map<string, string>();
  private readonly locks = new Map<string, LockFile>();

  constructor(options: SnapshotOptions) {
    this.top = options.top;
    this.tracked = options.tracked;
    this.hasher = options.hasher;
    this.git = options.git;
  }

  abs(rel: string): string {
    return rel === "" ? this.top : join(this.top, rel);
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

  fingerprint(dep: DepKey): string {
    const id = `${dep.kind}\0${dep.key}`;
    let fp = this.memo.get(id);
    if (fp === undefined) {
      fp = this.compute(dep);
      this.memo.set(id, fp);
    }
    return fp;
  }

  private compute(dep: DepKey): string {
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
        const hash = dep.key.lastIndexOf("#");
        return lockNodeFingerprint(this.lock(dep.key.slice(0, hash)), dep.key.slice(hash + 1));
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
    let dirents: import("node:fs").Dirent[];
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

  /** The lock file of the flake in folder `flakeRel`, as a git flake sees it (tracked only). */
  lock(flakeRel: string): LockFile {
    let lock = this.locks.get(flakeRel);
    if (lock === undefined) {
      lock = readLockFile(this, flakeRel);
      this.locks.set(flakeRel, lock);
    }
    return lock;
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
  untrackedReason(dep: DepKey): string | undefined {
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

export function readLockFile(snapshot: Snapshot, flakeRel: string): LockFile {
  const rel = flakeRel === "" ? "flake.lock" : `${flakeRel}/flake.lock`;
  if (!snapshot.isTrackedFile(rel)) return EMPTY_LOCK;
  try {
    return JSON.parse(readFileSync(snapshot.abs(rel), "utf8")) as LockFile;
  } catch {
    return EMPTY_LOCK;
  }
}
