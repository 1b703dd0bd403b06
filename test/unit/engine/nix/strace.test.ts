import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseMarkers, stripMarkers } from "../../../../engine/nix/loader.js";
import { classify, parseStrace, unescapeStraceString } from "../../../../engine/nix/strace.js";

const recorded = readFileSync(new URL("../../fixtures/strace-nix-2.8.0-web3.txt", import.meta.url), "utf8")
  .split("\n")
  .filter((line) => !line.startsWith("#"))
  .join("\n");
const top = "/tmp/infra-trace-fixture";
const markerDir = "/tmp/mk2";

describe("parseStrace on a trace recorded from Nix 2.8.0", () => {
  const accesses = parseStrace(recorded, { initialCwd: top });

  it("sees the loader read the flake and the host's files from the working tree", () => {
    const reads = accesses.filter((a) => a.op === "read" && !a.errno).map((a) => a.path);
    expect(reads).toContain(`${top}/flake.nix`);
    expect(reads).toContain(`${top}/hosts/web3/default.nix`);
    expect(reads).toContain(`${top}/hosts/web3/hardware.nix`);
  });

  it("sees directory listings as listings and missing paths as ENOENT", () => {
    expect(accesses).toContainEqual(
      expect.objectContaining({ op: "list", path: `${top}/hosts`, errno: undefined }),
    );
    expect(accesses).toContainEqual(
      expect.objectContaining({ op: "stat", path: `${markerDir}/begin-self`, errno: "ENOENT" }),
    );
  });

  it("follows the git processes fetchGit starts (-f)", () => {
    expect(new Set(accesses.map((a) => a.pid)).size).toBeGreaterThan(1);
  });
});

describe("classify", () => {
  const deps = classify(parseStrace(recorded, { initialCwd: top }), { top, markerDir });
  const has = (kind: string, path: string) => deps.deps.some((d) => d.kind === kind && d.path === path);

  it("keeps repo paths as typed dependencies", () => {
    expect(has("file", "flake.nix")).toBe(true);
    expect(has("file", "hosts/web3/hardware.nix")).toBe(true);
    expect(has("dir", "hosts")).toBe(true);
    expect(has("file", "programs/tmux/tmux.conf")).toBe(true);
  });

  it("records a probe for a missing path as a type dependency", () => {
    expect(has("type", "hosts/web3/hardware.nix/default.nix")).toBe(true);
  });

  it("drops what happened inside the self bracket (copying the tree is the tree dependency)", () => {
    expect(deps.brackets).toEqual(["self"]);
    // web3 imports nothing from darwin/: only the copy for `self` read it.
    const raw = parseStrace(recorded, { initialCwd: top });
    expect(raw.some((a) => a.op === "read" && a.path === `${top}/darwin/macbook.nix`)).toBe(true);
    expect(deps.deps.some((d) => d.path.startsWith("darwin"))).toBe(false);
    expect(deps.deps.some((d) => d.path.startsWith(".git"))).toBe(false);
  });

  it("never keeps paths outside the repository", () => {
    expect(deps.deps.every((d) => !d.path.startsWith("/") && !d.path.startsWith(".."))).toBe(true);
    expect(deps.racy).toBe(false);
  });
});

describe("parseStrace edge cases (strace's documented output format)", () => {
  it("joins calls split into <unfinished ...> and <... resumed>", () => {
    const text = [
      '101  openat(AT_FDCWD, "/r/a.nix", O_RDONLY|O_CLOEXEC <unfinished ...>',
      '102  newfstatat(AT_FDCWD, "/r/b", 0x7ffd, AT_SYMLINK_NOFOLLOW) = -1 ENOENT (No such file or directory)',
      "101  <... openat resumed>) = 3",
    ].join("\n");
    expect(parseStrace(text, { initialCwd: "/" })).toEqual([
      { pid: 102, op: "stat", path: "/r/b", errno: "ENOENT" },
      { pid: 101, op: "read", path: "/r/a.nix", errno: undefined },
    ]);
  });

  it("decodes octal and hex escapes in paths", () => {
    expect(unescapeStraceString('caf\\303\\251 \\x41\\"q\\\\')).toBe('café A"q\\');
    const text = '7 openat(AT_FDCWD, "/r/caf\\303\\251.nix", O_RDONLY) = 3';
    expect(parseStrace(text, { initialCwd: "/" })[0]?.path).toBe("/r/café.nix");
  });

  it("resolves paths relative to a directory fd and to the working directory", () => {
    const text = [
      '5 openat(AT_FDCWD, "/r/mods", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 4',
      '5 openat(4, "x.nix", O_RDONLY) = 6',
      '5 chdir("/r/sub") = 0',
      '5 openat(AT_FDCWD, "../y.nix", O_RDONLY) = 7',
      '5 newfstatat(4, "", {st_mode=S_IFDIR|0755, ...}, AT_EMPTY_PATH) = 0',
    ].join("\n");
    expect(parseStrace(text, { initialCwd: "/" }).map((a) => [a.op, a.path])).toEqual([
      ["list", "/r/mods"],
      ["read", "/r/mods/x.nix"],
      ["read", "/r/y.nix"],
    ]);
  });

  it("handles the [pid N] prefix and statx, readlink and access", () => {
    const text = [
      '[pid  9] statx(AT_FDCWD, "/r/a", AT_STATX_SYNC_AS_STAT, STATX_ALL, {stx_mask=STATX_BASIC_STATS}) = 0',
      'readlink("/r/link", "target", 4096) = 6',
      'access("/r/gone", F_OK) = -1 ENOENT (No such file or directory)',
      'openat(AT_FDCWD, "/r/out", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3',
    ].join("\n");
    expect(parseStrace(text, { initialCwd: "/" }).map((a) => [a.pid, a.op, a.path, a.errno])).toEqual([
      [9, "stat", "/r/a", undefined],
      [0, "readlink", "/r/link", undefined],
      [0, "stat", "/r/gone", "ENOENT"],
      [0, "write", "/r/out", undefined],
    ]);
  });
});

describe("classify semantics", () => {
  const run = (lines: string[]) =>
    classify(parseStrace(lines.join("\n"), { initialCwd: "/" }), { top: "/r", markerDir: "/m" });

  it("treats ENOTDIR from opening a file as a directory as existing, not absent", () => {
    const out = run(['1 openat(AT_FDCWD, "/r/f", O_RDONLY|O_DIRECTORY) = -1 ENOTDIR (Not a directory)']);
    expect(out.deps).toEqual([{ kind: "type", path: "f" }]);
    expect(out.racy).toBe(false);
  });

  it("flags a path seen both missing and present as racy", () => {
    const out = run([
      '1 newfstatat(AT_FDCWD, "/r/n", 0x1, 0) = -1 ENOENT (No such file or directory)',
      '1 openat(AT_FDCWD, "/r/n", O_RDONLY) = 3',
    ]);
    expect(out.racy).toBe(true);
  });

  it("maps a store copy of the tree back to the working tree, ignoring the copy's own reads", () => {
    const out = classify(
      parseStrace(
        [
          '1 openat(AT_FDCWD, "/r/a.nix", O_RDONLY) = 3',
          '1 openat(AT_FDCWD, "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-source/b.nix", O_RDONLY) = 3',
        ].join("\n"),
        { initialCwd: "/" },
      ),
      { top: "/r", markerDir: "/m", mappedRoot: "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-source" },
    );
    expect(out.deps).toEqual([{ kind: "file", path: "b.nix" }]);
  });

  it("keeps a file read and a symlink read of one path, and drops its type dependency", () => {
    const out = run([
      '1 newfstatat(AT_FDCWD, "/r/l", {st_mode=S_IFLNK|0777, ...}, AT_SYMLINK_NOFOLLOW) = 0',
      '1 readlink("/r/l", "t", 4096) = 1',
      '1 openat(AT_FDCWD, "/r/l", O_RDONLY) = 3',
    ]);
    expect(out.deps).toEqual([
      { kind: "file", path: "l" },
      { kind: "link", path: "l" },
    ]);
  });
});

describe("markers", () => {
  it("reads the loader's uses of self, the tree and inputs from stderr", () => {
    const stderr =
      "trace: infra:self\ntrace: infra:input:nixpkgs_2\nwarning: x\ntrace: infra:tree\ntrace: infra:input:nixpkgs_2\n";
    expect(parseMarkers(stderr)).toEqual({ self: true, tree: true, inputs: ["nixpkgs_2"] });
    expect(stripMarkers(stderr)).toBe("warning: x\n");
  });
});
