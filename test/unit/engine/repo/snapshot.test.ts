import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { stableJson } from "../../../../cache/key.js";
import { FileHasher, MemoryFileStatTable } from "../../../../engine/repo/file-hasher.js";
import { lockNodeFingerprint } from "../../../../engine/repo/lock.js";
import { ABSENT, Snapshot } from "../../../../engine/repo/snapshot.js";
import { buildTrackedTree } from "../../../../engine/repo/tracked.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "infra-fp-"));
  mkdirSync(join(dir, "mods/auto"), { recursive: true });
  writeFileSync(join(dir, "flake.nix"), "{ }");
  writeFileSync(join(dir, "mods/a.nix"), "a");
  writeFileSync(join(dir, "mods/auto/x.nix"), "x");
  writeFileSync(join(dir, "mods/untracked.nix"), "u");
  mkdirSync(join(dir, "mods/empty"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const tracked = ["flake.nix", "mods/a.nix", "mods/auto/x.nix"];
const snap = (files = tracked, table = new MemoryFileStatTable()) =>
  new Snapshot({ top: dir, tracked: buildTrackedTree(files), hasher: new FileHasher(table) });

describe("buildTrackedTree", () => {
  it("lists tracked files and the folders holding them", () => {
    const tree = buildTrackedTree(["a/b/c.nix", "a/d.nix", "e"]);
    expect([...tree.children.get("")!].sort()).toEqual(["a", "e"]);
    expect([...tree.children.get("a")!].sort()).toEqual(["b", "d.nix"]);
    expect([...tree.children.get("a/b")!]).toEqual(["c.nix"]);
  });
});

describe("Snapshot fingerprints follow flake (git-tracked) semantics", () => {
  it("lists only tracked entries, so an untracked file changes no listing", () => {
    const before = snap().fingerprint({ kind: "dir", key: "mods" });
    writeFileSync(join(dir, "mods/new.nix"), "n");
    expect(snap().fingerprint({ kind: "dir", key: "mods" })).toBe(before);
    // ...until it is added.
    expect(snap([...tracked, "mods/new.nix"]).fingerprint({ kind: "dir", key: "mods" })).not.toBe(before);
  });

  it("treats untracked files and folders without tracked files as absent", () => {
    const s = snap();
    expect(s.fingerprint({ kind: "file", key: "mods/untracked.nix" })).toBe(ABSENT);
    expect(s.fingerprint({ kind: "type", key: "mods/untracked.nix" })).toBe(ABSENT);
    expect(s.fingerprint({ kind: "type", key: "mods/empty" })).toBe(ABSENT);
    expect(s.fingerprint({ kind: "type", key: "mods/auto" })).toBe("directory");
    expect(s.fingerprint({ kind: "file", key: "mods/a.nix" })).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("says why an access would differ from nix eval's view", () => {
    const s = snap();
    expect(s.untrackedReason({ kind: "dir", key: "mods" })).toMatch(/untracked.nix/);
    expect(s.untrackedReason({ kind: "file", key: "mods/untracked.nix" })).toMatch(/not tracked/);
    expect(s.untrackedReason({ kind: "file", key: "mods/a.nix" })).toBeUndefined();
    expect(s.untrackedReason({ kind: "type", key: "mods/missing.nix" })).toBeUndefined();
  });

  it("changes a content fingerprint with the content and the executable bit", () => {
    const a = snap().fingerprint({ kind: "file", key: "mods/a.nix" });
    writeFileSync(join(dir, "mods/a.nix"), "b");
    const b = snap().fingerprint({ kind: "file", key: "mods/a.nix" });
    writeFileSync(join(dir, "mods/a.nix"), "b", { mode: 0o755 });
    chmodSync(join(dir, "mods/a.nix"), 0o755);
    const c = snap().fingerprint({ kind: "file", key: "mods/a.nix" });
    expect(new Set([a, b, c]).size).toBe(3);
  });

  it("hashes again when the stat changed, and trusts a settled stat", () => {
    const table = new MemoryFileStatTable();
    const path = join(dir, "mods/a.nix");
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    const first = new FileHasher(table);
    const entry = first.stat(path)!;
    expect(first.fresh.size).toBe(1);
    expect(entry.settled).toBe(false); // ctime is recent: the write just happened
    // A settled entry with the same stat is trusted without reading the file.
    table.set(path, { ...entry, settled: true, hash: "sha256:trusted" });
    expect(new FileHasher(table).stat(path)?.hash).toBe("sha256:trusted");
    // Same size and mtime but a new write changes ctime: hashed again.
    writeFileSync(path, "z");
    utimesSync(path, old, old);
    const third = new FileHasher(table);
    expect(third.stat(path)?.hash).not.toBe("sha256:trusted");
    expect(third.fresh.size).toBe(1);
  });

  it("fingerprints a symlink by its target", () => {
    symlinkSync("a.nix", join(dir, "mods/l.nix"));
    const s = snap([...tracked, "mods/l.nix"]);
    expect(s.fingerprint({ kind: "link", key: "mods/l.nix" })).toBe("link:a.nix");
    expect(s.fingerprint({ kind: "file", key: "mods/l.nix" })).toBe(
      s.fingerprint({ kind: "file", key: "mods/a.nix" }),
    );
  });

  it("covers every tracked file in the tree fingerprint, and nothing untracked", () => {
    const before = snap().fingerprint({ kind: "tree", key: "" });
    writeFileSync(join(dir, "mods/untracked.nix"), "changed");
    expect(snap().fingerprint({ kind: "tree", key: "" })).toBe(before);
    writeFileSync(join(dir, "mods/auto/x.nix"), "changed");
    expect(snap().fingerprint({ kind: "tree", key: "" })).not.toBe(before);
  });
});

describe("lock fingerprints", () => {
  const lock = {
    nodes: {
      root: { inputs: { a: "a", b: "b" } },
      a: { locked: { narHash: "sha256-A" } },
      b: { locked: { narHash: "sha256-B" } },
    },
    root: "root",
    version: 7,
  };
  it("depend on one node only", () => {
    const bumped = { ...lock, nodes: { ...lock.nodes, b: { locked: { narHash: "sha256-B2" } } } };
    expect(lockNodeFingerprint(bumped, "a")).toBe(lockNodeFingerprint(lock, "a"));
    expect(lockNodeFingerprint(bumped, "b")).not.toBe(lockNodeFingerprint(lock, "b"));
    expect(lockNodeFingerprint(lock, "gone")).toBe(ABSENT);
  });
  it("ignore key order", () => {
    expect(stableJson({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe('{"a":[1,{"c":3,"d":2}],"b":1}');
  });
});
