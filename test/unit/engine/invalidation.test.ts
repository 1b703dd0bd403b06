// The one invalidation rule, held against every kind of dependency and every kind of change:
// first as a table (what the rule answers), then on a real git repository (a fingerprint never
// changes unless a change infra derives from the edit reaches it, and reaching is not guessed
// where it can be known).
import { execFileSync } from "node:child_process";
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Dependency, DepKind } from "../../../cache/records.js";
import { type Change, reaches, toChanges } from "../../../engine/invalidation.js";
import { changesFromGit, changesFromPaths } from "../../../engine/repo/changes.js";
import { MemoryFileStatTable } from "../../../engine/repo/file-hasher.js";
import { Workspace } from "../../../engine/repo/workspace.js";

/** One dependency of each kind (and two of `type`: a path checked absent, a folder's kind). */
const DEPS = {
  file: { kind: "file", key: "hosts/web1/hardware.nix" },
  link: { kind: "link", key: "current" },
  absent: { kind: "type", key: "hosts/web1/extra.nix" },
  folder: { kind: "type", key: "hosts/web1" },
  dir: { kind: "dir", key: "hosts" },
  input: { kind: "input", key: "flake.lock#nixpkgs" },
  tree: { kind: "tree", key: "" },
  git: { kind: "git", key: "" },
} as const satisfies Record<string, { kind: DepKind; key: string }>;
type DepName = keyof typeof DEPS;

const path = (p: string, change: "modified" | "added" | "removed"): Change => ({
  kind: "path",
  path: p,
  change,
});

/** Each kind of change, as the engine states it, and the dependencies it reaches. */
const TABLE: { change: string; changes: Change[]; reached: DepName[] }[] = [
  {
    change: "edit a file",
    changes: [path("hosts/web1/hardware.nix", "modified")],
    reached: ["file", "tree"],
  },
  {
    change: "create a file (a new entry of hosts/web1, below hosts)",
    changes: [path("hosts/web1/extra.nix", "added")],
    reached: ["absent", "dir", "tree"],
  },
  {
    change: "delete a file",
    changes: [path("hosts/web1/hardware.nix", "removed")],
    reached: ["file", "dir", "tree"],
  },
  {
    change: "rename a file (a delete and a create)",
    changes: [path("hosts/web1/hardware.nix", "removed"), path("hosts/web1/hw.nix", "added")],
    reached: ["file", "dir", "tree"],
  },
  {
    change: "delete the folder holding them",
    changes: [path("hosts/web1", "removed")],
    reached: ["file", "absent", "folder", "dir", "tree"],
  },
  { change: "create a host folder", changes: [path("hosts/web9", "added")], reached: ["dir", "tree"] },
  {
    change: "edit a file nothing here reads",
    changes: [path("modules/base.nix", "modified")],
    reached: ["tree"],
  },
  { change: "retarget a symlink", changes: [path("current", "modified")], reached: ["link", "tree"] },
  { change: "edit inside .git", changes: [path(".git/config", "modified")], reached: [] },
  {
    change: "git add (the index changed: what is tracked may differ anywhere)",
    changes: [{ kind: "index" }],
    reached: ["file", "link", "absent", "folder", "dir", "input", "tree", "git"],
  },
  {
    change: "branch switch (HEAD and the files that differ)",
    changes: [{ kind: "head" }, path("modules/base.nix", "modified")],
    reached: ["tree", "git"],
  },
  {
    change: "flake.lock bump of one input",
    changes: [path("flake.lock", "modified"), { kind: "input", key: "flake.lock#nixpkgs" }],
    reached: ["input", "tree"],
  },
  {
    change: "flake.lock bump of another input",
    changes: [{ kind: "input", key: "flake.lock#other" }],
    reached: [],
  },
  { change: "the tree became dirty", changes: [{ kind: "head", cause: "dirtiness" }], reached: ["git"] },
];

const reachedBy = (changes: Change[]) =>
  (Object.keys(DEPS) as DepName[]).filter((name) =>
    changes.some((c) => reaches(DEPS[name].kind, DEPS[name].key, c)),
  );

describe("the invalidation rule", () => {
  it.each(TABLE)("$change", ({ changes, reached }) => {
    expect(reachedBy(changes).sort()).toEqual([...reached].sort());
  });

  it("names the repository top either way ('' in the engine, '.' in affected's input)", () => {
    expect(reaches("dir", "", path("x.nix", "added"))).toBe(true);
    expect(reaches("dir", ".", path("x.nix", "added"))).toBe(true);
    expect(reaches("file", "./a//b.nix", path("a/b.nix", "modified"))).toBe(true);
  });
});

// The same rule against what really happens to fingerprints when a repository changes.
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@t.invalid",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@t.invalid",
};
const lock = (narHash: string, other = "sha256-O") =>
  JSON.stringify({
    nodes: {
      root: { inputs: { nixpkgs: "nixpkgs", other: "other" } },
      nixpkgs: { locked: { type: "path", path: "/x", narHash } },
      other: { locked: { type: "path", path: "/y", narHash: other } },
    },
    root: "root",
    version: 7,
  });

let dir: string;
const git = (...args: string[]) =>
  execFileSync("git", ["-C", dir, ...args], { env: GIT_ENV, encoding: "utf8" });
const write = (rel: string, text: string) => {
  mkdirSync(join(dir, rel, ".."), { recursive: true });
  writeFileSync(join(dir, rel), text);
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "infra-inval-"));
  write("flake.nix", "{ }");
  write("flake.lock", lock("sha256-A"));
  write("hosts/web1/default.nix", "web1");
  write("hosts/web1/hardware.nix", "hw");
  write("hosts/db1/default.nix", "db1");
  write("modules/base.nix", "base");
  symlinkSync("modules/base.nix", join(dir, "current"));
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", "init");
  write("notes.txt", "untracked");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const open = () => Workspace.open(dir, new MemoryFileStatTable());

async function fingerprints(): Promise<Dependency[]> {
  const ws = await open();
  await ws.gitState();
  return (Object.keys(DEPS) as DepName[]).map((name) => ({
    ...DEPS[name],
    fp: ws.snapshot.fingerprint(DEPS[name]),
  }));
}

/**
 * Real edits, with the paths a user would name to `affected` (or the ref for `--since`), and
 * the dependencies the rule may reach without their fingerprint changing: an over-approximation
 * that costs a cache lookup, never a stale answer.
 */
const EDITS: { change: string; edit: () => void; paths?: string[]; since?: string; mayReach?: DepName[] }[] =
  [
    {
      change: "edit a file",
      edit: () => appendFileSync(join(dir, "hosts/web1/hardware.nix"), "\n"),
      paths: ["hosts/web1/hardware.nix"],
    },
    {
      change: "create a file and git add it",
      edit: () => {
        write("hosts/web1/extra.nix", "x");
        git("add", "hosts/web1/extra.nix");
      },
      paths: ["hosts/web1/extra.nix"],
      // hosts/ lists web1 and db1 either way: a new file below web1 reaches every ancestor listing.
      mayReach: ["dir"],
    },
    {
      change: "delete a file (git rm)",
      edit: () => git("rm", "-q", "hosts/web1/hardware.nix"),
      paths: ["hosts/web1/hardware.nix"],
      mayReach: ["dir"],
    },
    {
      change: "rename a file (git mv)",
      edit: () => git("mv", "hosts/web1/hardware.nix", "hosts/web1/hw.nix"),
      paths: ["hosts/web1/hardware.nix", "hosts/web1/hw.nix"],
      mayReach: ["dir"],
    },
    {
      change: "create a host folder and git add it",
      edit: () => {
        write("hosts/web9/default.nix", "web9");
        git("add", "hosts/web9");
      },
      paths: ["hosts/web9"],
    },
    {
      change: "git add a file that was untracked",
      edit: () => git("add", "notes.txt"),
      paths: ["notes.txt"],
    },
    {
      change: "edit an untracked file",
      edit: () => appendFileSync(join(dir, "notes.txt"), "more"),
      paths: ["notes.txt"],
    },
    {
      change: "retarget a symlink",
      edit: () => {
        unlinkSync(join(dir, "current"));
        symlinkSync("hosts/db1/default.nix", join(dir, "current"));
      },
      paths: ["current"],
    },
    {
      change: "switch to a branch where a module differs",
      edit: () => {
        git("checkout", "-q", "-b", "side");
        appendFileSync(join(dir, "modules/base.nix"), "\nside");
        git("commit", "-q", "-am", "side");
      },
      since: "main",
    },
    {
      change: "bump one input in flake.lock",
      edit: () => write("flake.lock", lock("sha256-B")),
      paths: ["flake.lock"],
    },
    {
      change: "bump another input in flake.lock",
      edit: () => write("flake.lock", lock("sha256-A", "sha256-O2")),
      paths: ["flake.lock"],
    },
    { change: "break flake.lock", edit: () => write("flake.lock", "garbage"), paths: ["flake.lock"] },
  ];

describe("the rule against real fingerprints", () => {
  it.each(EDITS)(
    "$change: every changed fingerprint is reached, and nothing else but what is listed",
    async ({ edit, paths, since, mayReach = [] }) => {
      const before = await fingerprints();
      edit();
      const ws = await open();
      await ws.gitState();
      const found =
        since !== undefined
          ? await changesFromGit(ws, since)
          : await changesFromPaths(
              ws,
              (paths ?? []).map((p) => join(dir, p)),
              [before],
            );
      const changes = toChanges(found.changes, found.changedInputs, found.dirtiness);
      const names = Object.keys(DEPS) as DepName[];
      const changed = names.filter((_, i) => ws.snapshot.fingerprint(before[i]!) !== before[i]!.fp);
      const reached = names.filter((name) =>
        changes.some((c) => reaches(DEPS[name].kind, DEPS[name].key, c)),
      );
      // Sound: a changed fingerprint is always reached (or affected and watch would miss it).
      expect(changed.filter((n) => !reached.includes(n))).toEqual([]);
      // Minimal: what is reached changed, except the listed over-approximations.
      expect(reached.filter((n) => !changed.includes(n) && !mayReach.includes(n))).toEqual([]);
    },
  );
});
