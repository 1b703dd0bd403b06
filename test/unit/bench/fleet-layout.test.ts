import { describe, expect, it } from "vitest";
import {
  DEFAULT_FLEET,
  type FleetOptions,
  foldLength,
  hostNames,
  hostsUsingHost,
  hostsUsingShared,
  programsOf,
  roleOf,
  SHARED_PER_ROLE,
  selfHostIndex,
  sharedOfRole,
} from "../../../bench/fleet-layout.js";
import {
  hardwareNix,
  hostNix,
  roleNix,
  sharedModuleNix,
  withSharedRevision,
} from "../../../bench/fleet-nix.js";

const fleet: FleetOptions = { ...DEFAULT_FLEET, hosts: 200 };

describe("fleet layout", () => {
  it("names hosts h000… and spreads them over the roles", () => {
    expect(hostNames({ hosts: 3 })).toEqual(["h000", "h001", "h002"]);
    expect(roleOf(9, fleet)).toBe(1);
  });

  it("gives each role a window of shared modules, and every module an importer", () => {
    for (let r = 0; r < fleet.roles; r++) expect(sharedOfRole(r, fleet)).toHaveLength(SHARED_PER_ROLE);
    const imported = new Set(Array.from({ length: fleet.roles }, (_, r) => sharedOfRole(r, fleet)).flat());
    expect(imported.size).toBe(fleet.sharedModules);
    expect(sharedOfRole(0, { sharedModules: 2 })).toEqual([0, 1]);
  });

  it("gives hosts one or two distinct programs", () => {
    for (let i = 0; i < 50; i++) {
      const p = programsOf(i, fleet);
      expect(p.length === 1 || p.length === 2).toBe(true);
      expect(new Set(p).size).toBe(p.length);
    }
    expect(programsOf(0, { programs: 0 })).toEqual([]);
  });

  it("says which hosts an edit affects: importers of a shared module, the edited host, the self host", () => {
    const users = hostsUsingShared(0, fleet);
    const roles = Array.from({ length: fleet.roles }, (_, r) => r).filter((r) =>
      sharedOfRole(r, fleet).includes(0),
    );
    expect(users).toHaveLength((fleet.hosts / fleet.roles) * roles.length);
    expect(hostsUsingHost(7, fleet)).toEqual(["h007"]);
    const withSelf = { ...fleet, selfHost: true };
    expect(selfHostIndex(withSelf)).toBe(199);
    expect(hostsUsingHost(7, withSelf)).toEqual(["h007", "h199"]);
    expect(hostsUsingShared(5, withSelf)).toContain("h199");
  });

  it("turns a weight in ms into a fold length", () => {
    expect(foldLength(0)).toBe(0);
    expect(foldLength(100)).toBeGreaterThan(foldLength(10));
  });
});

describe("fleet Nix text", () => {
  it("imports the host's hardware, its role and its programs", () => {
    const text = hostNix(3, fleet);
    expect(text).toContain("./hardware.nix");
    expect(text).toContain(`../../roles/role-${roleOf(3, fleet)}.nix`);
    for (const p of programsOf(3, fleet)) expect(text).toContain(`../../programs/prog-${p}`);
    expect(text).not.toContain("self");
    expect(hostNix(199, { ...fleet, selfHost: true })).toContain('environment.etc."flake-source"');
  });

  it("lets a role import its shared modules", () => {
    const text = roleNix(1, fleet);
    for (const s of sharedOfRole(1, fleet)) expect(text).toContain(`../modules/shared-${s}.nix`);
  });

  it("edits a shared module's revision and a host's hardware revision", () => {
    const text = sharedModuleNix(4);
    const edited = withSharedRevision(text, 7);
    expect(edited).not.toBe(text);
    expect(edited).toContain("  revision = 7;");
    expect(() => withSharedRevision("{ }", 1)).toThrow(/revision/);
    expect(hardwareNix(2, 5)).toContain("fleet.hardwareRevision = 5;");
  });
});
