// Each backend's exact command line: what infra hands nixos-rebuild, colmena and deploy-rs.
import { describe, expect, it } from "vitest";
import { colmenaArgv, colmenaProblem } from "../../../../engine/deploy/backends/colmena.js";
import {
  deployRsArgv,
  deployRsGoalFlags,
  deployRsTarget,
} from "../../../../engine/deploy/backends/deploy-rs.js";
import { nixosRebuildArgv } from "../../../../engine/deploy/backends/nixos-rebuild.js";
import type { TargetAddress } from "../../../../engine/deploy/types.js";

const P = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system-web1";
const address = (more: Partial<TargetAddress> = {}): TargetAddress => ({
  host: "web1.example",
  port: undefined,
  user: undefined,
  sshOptions: [],
  backend: "nixos-rebuild",
  buildOn: "local",
  hostKey: undefined,
  profile: "/nix/var/nix/profiles/system",
  tags: [],
  source: "infra.json",
  connectTimeoutSeconds: 10,
  ...more,
});

describe("nixos-rebuild", () => {
  it("takes the built toplevel with --store-path and activates it on --target-host, evaluating nothing", () => {
    expect(nixosRebuildArgv("switch", P, address())).toEqual([
      "nixos-rebuild",
      "switch",
      "--store-path",
      P,
      "--target-host",
      "web1.example",
      "--no-reexec",
    ]);
  });

  it("passes the goal, user@host, and sudo for a user other than root", () => {
    expect(nixosRebuildArgv("boot", P, address({ user: "deploy" }))).toEqual([
      "nixos-rebuild",
      "boot",
      "--store-path",
      P,
      "--target-host",
      "deploy@web1.example",
      "--no-reexec",
      "--sudo",
    ]);
    expect(nixosRebuildArgv("dry-activate", P, address({ user: "root" }))).not.toContain("--sudo");
  });
});

describe("colmena", () => {
  it("applies the goal on exactly the changed nodes", () => {
    expect(colmenaArgv("switch", ["db1", "db2"])).toEqual(["colmena", "apply", "switch", "--on", "db1,db2"]);
    expect(colmenaArgv("test", ["db1"])).toEqual(["colmena", "apply", "test", "--on", "db1"]);
  });

  it("refuses names --on would read as a list, a tag or a glob", () => {
    expect(colmenaProblem("db-1.example")).toBeUndefined();
    for (const name of ["a,b", "@db", "web*", "-x", "a b"])
      expect(colmenaProblem(name)).toMatch(/would not read/);
  });
});

describe("deploy-rs", () => {
  it("deploys the changed nodes after --targets, skipping its checks (infra just evaluated them)", () => {
    expect(deployRsArgv("switch", [".#web1", ".#web2"])).toEqual([
      "deploy",
      "--skip-checks",
      "--targets",
      ".#web1",
      ".#web2",
    ]);
    expect(deployRsArgv("boot", [".#web1"])).toEqual([
      "deploy",
      "--skip-checks",
      "--boot",
      "--targets",
      ".#web1",
    ]);
    expect(deployRsArgv("dry-activate", [".#web1"])).toEqual([
      "deploy",
      "--skip-checks",
      "--dry-activate",
      "--targets",
      ".#web1",
    ]);
    expect(deployRsGoalFlags("test")).toBeUndefined();
  });

  it("spells node names as deploy-rs's fragment parser reads them", () => {
    expect(deployRsTarget("web1")).toBe(".#web1");
    expect(deployRsTarget("web1.example.com")).toBe('.#"web1.example.com"');
    expect(deployRsTarget("web1", "system")).toBe(".#web1.system");
    for (const name of ['a"b', "$(x)", "a b", "a\\b"]) expect(deployRsTarget(name)).toBeUndefined();
  });
});
