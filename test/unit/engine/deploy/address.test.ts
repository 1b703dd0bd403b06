// Where a target is: infra.json, then deploy-rs, then colmena, then its name; and what ssh must
// never be handed.
import { describe, expect, it } from "vitest";
import type { DeployConventions } from "../../../../cache/records.js";
import { resolveAddress } from "../../../../engine/deploy/address.js";
import type { InfraConfig } from "../../../../engine/fleet/config.js";
import { DEFAULT_CONFIG } from "../../../../engine/fleet/config-defaults.js";
import type { Target } from "../../../../engine/fleet/targets.js";

const target = (name: string, kind: Target["kind"] = "nixos"): Target => ({
  id: `id-${name}`,
  name,
  attrName: name,
  kind,
  flake: ".",
  flakeDir: "/repo",
  flakeRel: "",
  attr: `nixosConfigurations.${name}`,
  attrPath: [],
  configPath: [],
});
const deploy = (more: Partial<InfraConfig["deploy"]> = {}): InfraConfig["deploy"] => ({
  ...DEFAULT_CONFIG.deploy,
  ...more,
});
const conventions: DeployConventions = {
  deployRs: {
    sshUser: "admin",
    user: null,
    sshOpts: ["-o", "Compression=yes"],
    nodes: {
      web1: { hostname: "web1.example", sshUser: null, user: null, sshOpts: ["-p", "2222"], profiles: {} },
      web2: { hostname: "web2.example", sshUser: "ops", user: null, sshOpts: null, profiles: {} },
    },
  },
  colmena: {
    db1: { targetHost: "db1.example", targetUser: "root", targetPort: 2200, tags: ["db"] },
    web2: { targetHost: "colmena-web2", targetUser: null, targetPort: null, tags: [] },
  },
};
const resolve = (t: Target, d = deploy(), c: DeployConventions | undefined = conventions) =>
  resolveAddress({ target: t, deploy: d, hostTags: [], conventions: c });

describe("resolveAddress", () => {
  it("takes deploy-rs's node, its sshUser and sshOpts (node over top level)", () => {
    const { address } = resolve(target("web1"));
    expect(address).toMatchObject({
      host: "web1.example",
      user: "admin",
      sshOptions: ["-p", "2222"],
      source: "deploy-rs",
    });
    expect(resolve(target("web2")).address).toMatchObject({
      host: "web2.example",
      user: "ops",
      sshOptions: ["-o", "Compression=yes"],
    });
  });

  it("then colmena's hive, with its port and tags", () => {
    expect(resolve(target("db1")).address).toMatchObject({
      host: "db1.example",
      port: 2200,
      user: "root",
      tags: ["db"],
      source: "colmena",
    });
  });

  it("else the target's name; infra.json overrides setting by setting", () => {
    expect(resolve(target("cache1")).address).toMatchObject({
      host: "cache1",
      port: undefined,
      user: undefined,
      source: "name",
    });
    const d = deploy({
      sshOptions: ["-F", "/fleet"],
      targets: { web1: { port: 22, user: "root", sshOptions: ["-i", "/key"], tags: ["edge"] } },
    });
    expect(resolve(target("web1"), d).address).toMatchObject({
      host: "web1.example",
      port: 22,
      user: "root",
      sshOptions: ["-i", "/key", "-F", "/fleet", "-p", "2222"],
      tags: ["edge"],
    });
    expect(
      resolve(target("web1"), deploy({ targets: { web1: { host: "10.0.0.1" } } })).address,
    ).toMatchObject({ host: "10.0.0.1", source: "infra.json" });
  });

  it("gives home-manager targets their profile, NixOS the system profile", () => {
    expect(resolve(target("alice", "home")).address?.profile).toBe(
      "~/.local/state/nix/profiles/home-manager",
    );
    expect(resolve(target("cache1")).address?.profile).toBe("/nix/var/nix/profiles/system");
  });

  it("refuses hosts ssh would read as options or that are not host names, saying where they came from", () => {
    expect(resolve(target("-oProxyCommand=touch x")).error?.message).toBe(
      "host '-oProxyCommand=touch x' (from the target's name) starts with '-', so ssh would read it as an option",
    );
    for (const name of ["$(touch x)", "a;b", "`id`", "a b", "web1\n"])
      expect(resolve(target(name)).error?.message).toMatch(/is not a host name or address/);
    const bad: DeployConventions = {
      deployRs: {
        sshUser: null,
        user: null,
        sshOpts: null,
        nodes: {
          web1: { hostname: "-oProxyCommand=x", sshUser: null, user: null, sshOpts: null, profiles: {} },
        },
      },
      colmena: null,
    };
    expect(resolve(target("web1"), deploy(), bad).error?.message).toMatch(
      /\(from deploy-rs\) starts with '-'/,
    );
  });

  it("refuses a bad user, ssh options Nix cannot carry, and a hostKey that is not a key", () => {
    expect(resolve(target("x"), deploy({ targets: { x: { user: "-oops" } } })).error?.message).toMatch(
      /ssh user '-oops'/,
    );
    expect(
      resolve(target("x"), deploy({ sshOptions: ["-o StrictHostKeyChecking=no"] })).error?.message,
    ).toMatch(/whitespace/);
    expect(resolve(target("x"), deploy({ targets: { x: { hostKey: "not a key" } } })).error?.message).toMatch(
      /not an ssh public key/,
    );
    expect(
      resolve(target("x"), deploy({ targets: { x: { hostKey: "ssh-ed25519 AAAAC3Nz comment here" } } }))
        .address?.hostKey,
    ).toBe("ssh-ed25519 AAAAC3Nz");
  });
});
