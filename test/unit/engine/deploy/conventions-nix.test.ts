// The Nix expressions that read deploy-rs's and colmena's settings, applied by real Nix to the
// shapes those tools use (what `nix eval FLAKE#deploy --apply …` does in worker/deploy-info.ts).
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  COLMENA_HIVE_APPLY,
  COLMENA_PLAIN_APPLY,
  DEPLOY_RS_APPLY,
} from "../../../../engine/worker/deploy-info.js";

const apply = (fn: string, value: string): unknown =>
  JSON.parse(
    execFileSync("nix-instantiate", ["--eval", "--strict", "--json", "--expr", `(${fn}) (${value})`], {
      encoding: "utf8",
      env: { ...process.env, NIX_PATH: "" },
    }),
  );

describe("reading deploy-rs's deploy", () => {
  it("takes host, users, options and profiles, never forcing a profile's path", () => {
    const deploy = `{
      sshUser = "admin";
      nodes.web1 = { hostname = "web1.example"; sshOpts = [ "-p" "2222" ]; profiles.system = { user = "root"; path = throw "never forced"; }; };
      nodes.odd = { hostname = 42; sshUser = throw "broken"; };
    }`;
    expect(apply(DEPLOY_RS_APPLY, deploy)).toEqual({
      sshUser: "admin",
      user: null,
      sshOpts: null,
      nodes: {
        web1: {
          hostname: "web1.example",
          sshUser: null,
          user: null,
          sshOpts: ["-p", "2222"],
          profiles: { system: { user: "root", sshUser: null, profilePath: null } },
        },
        odd: { hostname: null, sshUser: null, user: null, sshOpts: null, profiles: {} },
      },
    });
  });
});

describe("reading colmena", () => {
  it("takes colmenaHive's evaluated deploymentConfig", () => {
    const hive = `{ deploymentConfig.db1 = { targetHost = "db1.example"; targetPort = 2200; targetUser = "root"; tags = [ "db" ]; }; }`;
    expect(apply(COLMENA_HIVE_APPLY, hive)).toEqual({
      db1: { targetHost: "db1.example", targetUser: "root", targetPort: 2200, tags: ["db"] },
    });
  });

  it("reads a plain hive's attribute-set nodes over its defaults; a node that is a function keeps its name", () => {
    const hive = `{
      meta.nixpkgs = throw "not needed";
      defaults = { deployment.targetUser = "deploy"; deployment.tags = [ "all" ]; };
      db1 = { deployment.targetHost = "db1.example"; deployment.tags = [ "db" ]; };
      web1 = { name, ... }: { deployment.targetHost = "never read"; };
    }`;
    expect(apply(COLMENA_PLAIN_APPLY, hive)).toEqual({
      db1: { targetHost: "db1.example", targetUser: "deploy", targetPort: null, tags: ["db"] },
      web1: { targetHost: null, targetUser: "deploy", targetPort: null, tags: ["all"] },
    });
  });
});
