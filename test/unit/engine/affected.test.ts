import { describe, expect, it } from "vitest";
import { generateGraphInput } from "../../../bench/graph-input.js";
import { AFFECTED_REASONS, affectedTargets, buildAffectedIndex } from "../../../engine/affected.js";
import type { PathChange } from "../../../engine/invalidation.js";
import { buildGraph } from "../../../graph/build.js";
import type { GraphDep, GraphInput, GraphTarget } from "../../../graph/types.js";
import { sampleInput } from "../graph/sample.js";

function target(name: string, deps: GraphDep[], status: GraphTarget["status"] = "ok"): GraphTarget {
  return { id: `id-${name}`, name, kind: "nixos", flake: ".", status, deps };
}

function fleet(...targets: GraphTarget[]): GraphInput {
  return { repoDir: "/nowhere", targets, trackedFiles: [] };
}

const modified = (path: string): PathChange => ({ path, change: "modified" });
const added = (path: string): PathChange => ({ path, change: "added" });
const removed = (path: string): PathChange => ({ path, change: "removed" });

describe("affectedTargets", () => {
  it("matches file and link dependencies on a changed path, and type dependencies only when it appears or goes", () => {
    const input = fleet(
      target("reader", [{ kind: "file", path: "hosts/a/default.nix" }]),
      target("checker", [{ kind: "type", path: "hosts/a/default.nix" }]),
      target("linker", [{ kind: "link", path: "current" }]),
      target("other", [{ kind: "file", path: "hosts/b/default.nix" }]),
    );
    // An edit changes content, not whether (or as what) the path exists.
    expect(affectedTargets(input, [modified("hosts/a/default.nix")])).toEqual({
      hosts: ["reader"],
      reasons: { reader: ["hosts/a/default.nix"] },
      unknown: [],
    });
    expect(affectedTargets(input, [removed("hosts/a/default.nix")])).toEqual({
      hosts: ["checker", "reader"],
      reasons: { checker: ["hosts/a/default.nix"], reader: ["hosts/a/default.nix"] },
      unknown: [],
    });
    expect(affectedTargets(input, [modified("current")]).hosts).toEqual(["linker"]);
    expect(affectedTargets(input, [modified("unrelated.nix")]).hosts).toEqual([]);
  });

  it("matches a path checked absent when it is added", () => {
    const input = fleet(target("web1", [{ kind: "type", path: "hosts/web1/hardware.nix/default.nix" }]));
    const result = affectedTargets(input, [added("hosts/web1/hardware.nix/default.nix")]);
    expect(result.reasons).toEqual({ web1: ["hosts/web1/hardware.nix/default.nix"] });
  });

  it("counts a listing as changed when an entry is added or removed, not when one is edited", () => {
    const input = fleet(target("discovers", [{ kind: "dir", path: "modules/auto" }]), target("other", []));
    expect(affectedTargets(input, [modified("modules/auto/x.nix")]).hosts).toEqual([]);
    for (const change of [added("modules/auto/x.nix"), removed("modules/auto/x.nix")]) {
      expect(affectedTargets(input, [change]).reasons).toEqual({ discovers: ["modules/auto (listing)"] });
    }
  });

  it("counts every ancestor's listing for an added or removed path (a new folder shows up above)", () => {
    const input = fleet(
      target("lists-hosts", [{ kind: "dir", path: "hosts" }]),
      target("lists-root", [{ kind: "dir", path: "." }]),
      target("lists-web1", [{ kind: "dir", path: "hosts/web1" }]),
    );
    const result = affectedTargets(input, [added("hosts/web9/default.nix")]);
    expect(result.hosts).toEqual(["lists-hosts", "lists-root"]);
    expect(result.reasons).toEqual({ "lists-hosts": ["hosts (listing)"], "lists-root": [". (listing)"] });
  });

  it("matches a listing of a changed folder itself, and everything recorded inside an added or removed folder", () => {
    const input = fleet(
      target("lists", [{ kind: "dir", path: "modules/auto" }]),
      target("reads-inside", [{ kind: "file", path: "modules/auto/deep/x.nix" }]),
      target("checks-inside", [{ kind: "type", path: "modules/auto/y.nix" }]),
      target("lists-inside", [{ kind: "dir", path: "modules/auto/deep" }]),
      target("beside", [{ kind: "file", path: "modules/autoexec.nix" }]),
    );
    expect(affectedTargets(input, [modified("modules/auto")]).hosts).toEqual(["lists"]);
    const gone = affectedTargets(input, [removed("modules/auto")]);
    expect(gone.hosts).toEqual(["checks-inside", "lists", "lists-inside", "reads-inside"]);
    expect(gone.reasons).toMatchObject({
      "reads-inside": ["modules/auto/deep/x.nix"],
      "lists-inside": ["modules/auto/deep (listing)"],
    });
  });

  it("matches a tree dependency on any change outside .git/", () => {
    const input = fleet(target("self", [{ kind: "tree", path: "." }]));
    expect(affectedTargets(input, [modified("README.md")]).reasons).toEqual({
      self: [AFFECTED_REASONS.tree],
    });
    expect(affectedTargets(input, [modified(".git/index")]).hosts).toEqual([]);
    expect(affectedTargets(input, [{ path: "HEAD", change: "modified" }]).hosts).toEqual([]);
    expect(AFFECTED_REASONS.tree).toBe(". (self: every tracked file)");
  });

  it("matches a git dependency when HEAD changes", () => {
    const input = fleet(target("rev", [{ kind: "git", path: "HEAD" }]), target("no-rev", []));
    expect(affectedTargets(input, [modified("HEAD")]).reasons).toEqual({ rev: [AFFECTED_REASONS.git] });
    expect(affectedTargets(input, [modified("flake.nix")]).hosts).toEqual([]);
  });

  it("matches input dependencies on the changed inputs", () => {
    const input = sampleInput();
    expect(affectedTargets(input, [], ["flake.lock#nixpkgs"]).reasons).toMatchObject({
      web1: ["flake.lock#nixpkgs"],
      web2: ["flake.lock#nixpkgs"],
    });
    expect(affectedTargets(input, [], ["flake-b/flake.lock#netlib"]).hosts).toEqual([
      "flake-b#alpha",
      "macbook",
    ]);
    // The lock's root node stands for the flake itself: every target of that flake.
    expect(affectedTargets(input, [], ["flake.lock#root"]).hosts).toEqual(["db1", "macbook", "web1", "web2"]);
  });

  it("treats a changed flake.lock as a change of all its inputs unless told which changed", () => {
    const input = sampleInput();
    const lock = [modified("flake-b/flake.lock")];
    expect(affectedTargets(input, lock).reasons["flake-b#alpha"]).toEqual([
      "flake-b/flake.lock#netlib",
      "flake-b/flake.lock#nixpkgs",
      "flake-b/flake.lock#root",
    ]);
    expect(affectedTargets(input, lock, []).reasons["flake-b#alpha"]).toBeUndefined();
    expect(affectedTargets(input, lock, ["flake-b/flake.lock#netlib"]).reasons["flake-b#alpha"]).toEqual([
      "flake-b/flake.lock#netlib",
    ]);
  });

  it("always reports targets never evaluated", () => {
    const input = fleet(target("fresh", [], "unknown"), target("old", [{ kind: "file", path: "a.nix" }]));
    expect(affectedTargets(input, [])).toEqual({
      hosts: ["fresh"],
      reasons: { fresh: [AFFECTED_REASONS.unknown] },
      unknown: ["fresh"],
    });
    expect(affectedTargets(input, [modified("a.nix")]).hosts).toEqual(["fresh", "old"]);
  });

  it("treats failed evaluations by what they read before failing", () => {
    const input = fleet(target("broken", [{ kind: "file", path: "a.nix" }], "failed"));
    expect(affectedTargets(input, [modified("a.nix")]).hosts).toEqual(["broken"]);
  });

  it("normalises changed and recorded paths alike", () => {
    const input = fleet(target("t", [{ kind: "file", path: "./hosts//a.nix" }]));
    expect(affectedTargets(input, [modified("hosts/a.nix")]).hosts).toEqual(["t"]);
    expect(affectedTargets(input, [modified("./hosts/x/../a.nix")]).reasons).toEqual({ t: ["hosts/a.nix"] });
  });

  it("gives every reason that matched, sorted, over several changes", () => {
    const result = affectedTargets(sampleInput(), [
      modified("roles/web.nix"),
      added("hosts/web9/default.nix"),
      modified("HEAD"),
    ]);
    expect(result.hosts).toEqual(["db1", "macbook", "web1", "web2"]);
    expect(result.reasons).toEqual({
      db1: ["HEAD (self: git revision)", "hosts (listing)"],
      macbook: ["never evaluated"],
      web1: ["hosts (listing)", "roles/web.nix"],
      web2: [". (self: every tracked file)", "hosts (listing)", "roles/web.nix"],
    });
  });

  it("answers the same from a reusable index and from a graph", () => {
    const input = sampleInput();
    const changes = [modified("modules/base.nix"), removed("modules/extra/old.nix")];
    const expected = affectedTargets(input, changes);
    const index = buildAffectedIndex(input);
    expect(affectedTargets(index, changes)).toEqual(expected);
    expect(index.query(changes)).toEqual(expected);
    expect(affectedTargets(buildGraph(input, { readFile: false }), changes)).toEqual(expected);
  });

  it("scales to a generated 1,000-target fleet (correctness only; timing is in bench/)", () => {
    const { input, probes } = generateGraphInput({ targets: 1000, files: 5000 });
    const index = buildAffectedIndex(input);
    const selfHosts = input.targets.filter((t) => t.deps.some((d) => d.kind === "tree")).map((t) => t.name);
    expect(index.query([modified(probes.sharedModule)]).hosts).toHaveLength(1000);
    expect(index.query([modified(probes.hostFile)]).hosts).toEqual(
      [probes.hostFileReader, ...selfHosts].sort(),
    );
    const listers = input.targets.filter((t) =>
      t.deps.some((d) => d.kind === "dir" && d.path === probes.listedFolder),
    );
    const listing = index.query([added(probes.addedToListedFolder)]);
    for (const lister of listers)
      expect(listing.reasons[lister.name]).toContain(`${probes.listedFolder} (listing)`);
  });
});
