import { describe, expect, it } from "vitest";
import { selectTargets } from "../../../../engine/fleet/select.js";
import { nameTargets, type RawTarget } from "../../../../engine/fleet/targets.js";

const raw = (flake: string, kind: RawTarget["kind"], attrName: string): RawTarget => ({
  kind,
  attrName,
  flake,
  flakeDir: `/r/${flake}`,
  flakeRel: flake === "." ? "" : flake,
});

describe("nameTargets", () => {
  const targets = nameTargets(
    [
      raw("flake-a", "nixos", "web1"),
      raw("flake-b", "nixos", "web1"),
      raw("flake-a", "nixos", "api1"),
      raw("flake-a", "home", "api1"),
      raw("flake-b", "darwin", 'mac"book'),
    ],
    {},
  );
  it("qualifies only names that clash, by flake folder and by kind", () => {
    expect(targets.map((t) => t.name)).toEqual([
      "flake-a#web1",
      "flake-b#web1",
      "nixos:api1",
      "home:api1",
      'mac"book',
    ]);
  });
  it("gives each kind its attribute path, quoting odd names", () => {
    expect(targets[0]!.attr).toBe("nixosConfigurations.web1.config.system.build.toplevel");
    expect(targets[3]!.attr).toBe("homeConfigurations.api1.activationPackage");
    expect(targets[4]!.attr).toBe('darwinConfigurations."mac\\"book".system');
    expect(targets[4]!.attrPath).toEqual(["darwinConfigurations", 'mac"book', "system"]);
  });
  it("gives every target a distinct cache identity", () => {
    expect(new Set(targets.map((t) => t.id)).size).toBe(targets.length);
  });
});

describe("selectTargets", () => {
  const targets = nameTargets(
    [raw(".", "nixos", "web1"), raw(".", "nixos", "web2"), raw(".", "nixos", "db1")],
    {},
  );
  it("keeps the user's order and expands groups", () => {
    expect(selectTargets(targets, ["db1", "web"], { web: ["web2", "web1"] }).map((t) => t.name)).toEqual([
      "db1",
      "web2",
      "web1",
    ]);
  });
  it("spells a group @name too, as deploy does; an unknown @name is a usage error naming the groups", () => {
    expect(selectTargets(targets, ["@web"], { web: ["web2", "web1"] }).map((t) => t.name)).toEqual([
      "web2",
      "web1",
    ]);
    expect(() => selectTargets(targets, ["@dbs"], { web: ["web1"] })).toThrow(
      /no group named 'dbs' \(@dbs\)/,
    );
  });
  it("accepts kind:name and flake#name forms", () => {
    expect(selectTargets(targets, ["nixos:web1", ".#web2"]).map((t) => t.name)).toEqual(["web1", "web2"]);
  });
  it("rejects unknown names with a suggestion", () => {
    expect(() => selectTargets(targets, ["wbe1"])).toThrow(/no target named 'wbe1'/);
    try {
      selectTargets(targets, ["wbe1"]);
    } catch (error) {
      expect((error as { hints: string[] }).hints[0]).toMatch(/web1/);
      expect((error as { exitCode: number }).exitCode).toBe(2);
    }
  });
  it("rejects a bare name that two flakes share", () => {
    const clash = nameTargets([raw("a", "nixos", "x"), raw("b", "nixos", "x")], {});
    expect(() => selectTargets(clash, ["x"])).toThrow(/ambiguous: a#x, b#x/);
  });
});
