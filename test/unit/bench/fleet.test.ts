// The generated benchmark fleet is a valid flake: every host evaluates with plain `nix eval`, and
// infra's drvPaths equal those. Runs real nix on 3 small hosts (a few seconds).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  editHostHardware,
  editSharedModule,
  type GeneratedFleet,
  generateFleet,
  listHosts,
} from "../../../bench/fleet.js";
import { infraEval, nixEval } from "../../../bench/proc.js";

describe("generateFleet", () => {
  let work: string;
  let fleet: GeneratedFleet;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "infra-bench-fleet-"));
    fleet = generateFleet(join(work, "fleet"), {
      hosts: 3,
      roles: 2,
      sharedModules: 3,
      programs: 2,
      weight: 5,
      selfHost: true,
    });
  });

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("writes hosts/<name>/ for every host and a flake with an empty lock", () => {
    expect(listHosts(fleet.dir)).toEqual(["h000", "h001", "h002"]);
    expect(JSON.parse(readFileSync(join(fleet.dir, "flake.lock"), "utf8"))).toEqual({
      nodes: { root: {} },
      root: "root",
      version: 7,
    });
  });

  it("evaluates every host with plain nix eval, and infra gives the same drvPaths", async () => {
    const plain = new Map<string, string>();
    for (const host of fleet.hosts) plain.set(host, (await nixEval(fleet.dir, host)).drvPath);
    for (const drv of plain.values())
      expect(drv).toMatch(/^\/nix\/store\/[0-9a-z]{32}-nixos-system-h00\d-.*\.drv$/);
    expect(new Set(plain.values()).size).toBe(3);

    const { report } = await infraEval({ repo: fleet.dir, cacheDir: join(work, "cache"), jobs: 2 });
    expect(report.summary).toMatchObject({ evaluated: 3, failed: 0 });
    for (const host of report.hosts) expect(host.drvPath).toBe(plain.get(host.name));
  });

  it("edits change the files the benchmark says they change", () => {
    const hardware = join(fleet.dir, "hosts/h001/hardware.nix");
    const before = readFileSync(hardware, "utf8");
    expect(editHostHardware(fleet.dir, "h001", 3)).toBe("hosts/h001/hardware.nix");
    expect(readFileSync(hardware, "utf8")).not.toBe(before);
    const shared = join(fleet.dir, "modules/shared-0.nix");
    editSharedModule(fleet.dir, 0, 2);
    expect(readFileSync(shared, "utf8")).toContain("  revision = 2;");
  });
});
