// infra deploy on real targets (test/helpers/target-host.ts), the rest of the contract:
// targets and groups from deploy-rs and colmena, the goals, home-manager, the preflight seam,
// the other backends, and bad input (hostile names, a host key mismatch). The fleet is deployed
// once cold first; deploy.test.ts walks the main scenarios.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nixSpy, runInfra } from "../helpers/cli.js";
import { byName, type DeployFleet, DEPLOY_ENV as ENV, startDeployFleet } from "../helpers/deploy-fleet.js";
import { NIX_ENV } from "../helpers/nix.js";
import { makeRepo } from "../helpers/repo.js";

let fleet: DeployFleet;
const infra: DeployFleet["infra"] = (args, env) => fleet.infra(args, env);
const toplevel = (name: string) => fleet.toplevel(name);
const touch = (name: string, text: string) => fleet.touch(name, text);

beforeAll(async () => {
  fleet = await startDeployFleet();
  const cold = await infra(["deploy", "@fleet"]);
  if (cold.exitCode !== 0) throw new Error(`the cold deploy failed: ${cold.stdout}${cold.stderr}`);
}, 900_000);

afterAll(async () => {
  await fleet?.stop();
});

describe("conventions, goals and home-manager", () => {
  it("@tag from the colmena hive selects db1 and db2; --goal test activates without the profile", async () => {
    for (const name of ["db1", "db2"]) touch(name, "for --goal test");
    const profiles = {
      db1: fleet.t.db1!.link("/nix/var/nix/profiles/system"),
      db2: fleet.t.db2!.link("/nix/var/nix/profiles/system"),
    };
    const r = await infra(["deploy", "@storage", "--goal", "test", "--json"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.hosts.map((h: { name: string }) => h.name).sort()).toEqual(["db1", "db2"]);
    for (const name of ["db1", "db2"] as const) {
      const out = toplevel(name);
      expect(fleet.t[name]!.link("/run/current-system")).toBe(out);
      expect(fleet.t[name]!.link("/nix/var/nix/profiles/system")).toBe(profiles[name]);
      expect(fleet.t[name]!.activations().at(-1)).toBe(`test ${out}`);
    }
  });

  it("--goal boot sets the profile and the boot entry only; --goal dry-activate changes nothing", async () => {
    touch("web1", "for --goal boot");
    const running = fleet.t.web1!.link("/run/current-system");
    const boot = await infra(["deploy", "web1", "--goal", "boot", "--json"]);
    expect(boot.exitCode, boot.stderr).toBe(0);
    expect(boot.json.hosts[0]).toMatchObject({ status: "deployed", goal: "boot" });
    expect(fleet.t.web1!.link("/nix/var/nix/profiles/system")).toBe(toplevel("web1"));
    expect(fleet.t.web1!.link("/run/infra-boot-entry")).toBe(toplevel("web1"));
    expect(fleet.t.web1!.link("/run/current-system")).toBe(running);
    expect(fleet.t.web1!.activations().at(-1)).toBe(`boot ${toplevel("web1")}`);

    touch("web2", "for --goal dry-activate");
    const before = {
      running: fleet.t.web2!.link("/run/current-system"),
      profile: fleet.t.web2!.link("/nix/var/nix/profiles/system"),
      log: fleet.t.web2!.activations(),
    };
    const dry = await infra(["deploy", "web2", "--goal", "dry-activate", "--json"]);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.json.hosts[0]).toMatchObject({ status: "deployed", goal: "dry-activate" });
    expect({
      running: fleet.t.web2!.link("/run/current-system"),
      profile: fleet.t.web2!.link("/nix/var/nix/profiles/system"),
      log: fleet.t.web2!.activations(),
    }).toEqual(before);
  });

  it("the home-manager target is activated on its own, in its user's profile", async () => {
    const r = await infra(["deploy", "alice", "--json"]);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = toplevel("alice");
    expect(r.json.hosts).toEqual([
      expect.objectContaining({
        name: "alice",
        status: "deployed",
        next: out,
        host: `127.0.0.1:${fleet.t.alice!.port}`,
      }),
    ]);
    expect(fleet.t.alice!.link("/root/.local/state/nix/profiles/home-manager")).toBe(out);
    expect(fleet.t.alice!.link("/root/.local/state/infra/home-current")).toBe(out);
    expect(fleet.t.alice!.link("/run/current-system")).toBeNull();
    const again = await infra(["deploy", "alice", "--json"]);
    expect(again.json.hosts[0].status).toBe("up-to-date");
  });

  it("deploy --dry-run prints the plan and deploys nothing", async () => {
    touch("web3", "planned, not deployed");
    const running = fleet.t.web3!.link("/run/current-system");
    const r = await infra(["deploy", "web3", "--dry-run", "--json"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.hosts[0]).toMatchObject({
      name: "web3",
      status: "changed",
      current: running,
      next: toplevel("web3"),
    });
    expect(fleet.t.web3!.link("/run/current-system")).toBe(running);
  });

  it("infra graph shows per host what is deployed and whether it is current", async () => {
    const r = await infra(["graph", "--format", "json"]);
    expect(r.exitCode, r.stderr).toBe(0);
    const nodes = Object.fromEntries(
      r.json.nodes.map((n: { key: string; attributes: Record<string, unknown> }) => [n.key, n.attributes]),
    );
    expect(nodes["host:alice"]).toMatchObject({ deployedPath: toplevel("alice"), deployedCurrent: true });
    // web3 changed after its last deployment (the dry run above deployed nothing).
    expect(nodes["host:web3"]).toMatchObject({ deployedCurrent: false });
    expect(nodes["host:web3"]!.deployedPath).toBe(fleet.t.web3!.link("/run/current-system"));
  });
});

describe("the preflight seam (where the secrets check plugs in)", () => {
  it("a refusing preflight skips the target before anything happens; skipPreflight bypasses it with a warning", async () => {
    touch("web1", "refused by the preflight");
    touch("web2", "allowed by the preflight");
    const { createEngine } = await import("../../dist/engine/index.js");
    const saved = process.env.NIX_CONFIG;
    process.env.NIX_CONFIG = ENV.NIX_CONFIG;
    const seen: string[] = [];
    const engine = await createEngine({
      repo: fleet.repo.dir,
      cacheDir: `${fleet.repo.dir}.cache`,
      preflight: async (target) => {
        seen.push(`${target.name} ${target.address.host} ${target.evaluation.outPath}`);
        return target.name === "web1" ? { refuse: "web1's secrets are not encrypted for its host key" } : {};
      },
    });
    const events: { type: string; name?: string; message?: string }[] = [];
    engine.on((e) => events.push(e as (typeof events)[number]));
    try {
      const report = await engine.deploy({ names: ["web1", "web2"] });
      const hosts = byName(report);
      expect(hosts.web1).toMatchObject({
        status: "skipped",
        error: expect.objectContaining({
          stage: "preflight",
          message: "web1's secrets are not encrypted for its host key",
        }),
      });
      expect(hosts.web2).toMatchObject({ status: "deployed" });
      expect(seen).toEqual([`web1 127.0.0.1 ${toplevel("web1")}`, `web2 127.0.0.1 ${toplevel("web2")}`]);
      // Refused before any step: web1 was never even asked what it runs.
      expect(events.filter((e) => e.type === "deploy-step" && e.name === "web1")).toEqual([]);
      expect(fleet.t.web1!.link("/run/current-system")).not.toBe(toplevel("web1"));

      seen.length = 0;
      const bypass = await engine.deploy({ names: ["web1"], skipPreflight: true });
      expect(bypass.hosts[0]).toMatchObject({ status: "deployed" });
      expect(seen).toEqual([]);
      expect(events.filter((e) => e.type === "warning").map((e) => e.message)).toContain(
        "--skip-secrets-check: the secrets check did not run for web1",
      );
    } finally {
      await engine.close();
      process.env.NIX_CONFIG = saved;
    }
    const cli = await infra(["deploy", "web1", "--skip-secrets-check"]);
    expect(cli.exitCode, cli.stderr).toBe(0);
    expect(cli.stderr).toMatch(/warning: --skip-secrets-check: the secrets check did not run for web1/);
  });
});

describe("other backends and a collected derivation", () => {
  it("colmena gets only the changed targets; without colmena installed they fail with that, not silently", async () => {
    touch("db1", "for colmena");
    // db2 runs its toplevel (since --goal test above), db1 does not.
    const r = await infra(["deploy", "db1", "db2", "--backend", "colmena", "--goal", "test", "--json"]);
    expect(r.exitCode).toBe(1);
    const hosts = byName(r.json);
    expect(hosts.db2).toMatchObject({ status: "up-to-date", backend: "colmena" });
    expect(hosts.db1).toMatchObject({
      status: "failed",
      backend: "colmena",
      error: expect.objectContaining({
        stage: "backend",
        message: "colmena is not installed (no colmena on PATH)",
      }),
    });
  });

  it('buildOn "remote" copies the derivation and builds on the target: the toplevel never exists here', async () => {
    const saved = structuredClone(fleet.config);
    fleet.config.deploy.targets.web2 = { buildOn: "remote" };
    fleet.writeConfig();
    touch("web2", "built where it runs");
    try {
      const r = await infra(["deploy", "web2", "--json"]);
      expect(r.exitCode, r.stderr).toBe(0);
      const out = toplevel("web2");
      expect(r.json.hosts[0]).toMatchObject({ status: "deployed", next: out });
      expect(fleet.t.web2!.link("/run/current-system")).toBe(out);
      expect(fleet.harness.hasPath(out)).toBe(true);
      expect(existsSync(out)).toBe(false);
    } finally {
      fleet.config = saved;
      fleet.writeConfig();
    }
  });

  it("a toplevel whose .drv was garbage-collected is evaluated once more, then built", async () => {
    touch("db1", "its derivation goes away");
    const cold = await infra(["eval", "db1", "--json"]);
    const drv = cold.json.hosts[0].drvPath as string;
    // --ignore-liveness: a temporary root some other nix process holds must not keep it.
    const deleted = spawnSync("nix-store", ["--delete", "--ignore-liveness", drv], {
      env: NIX_ENV,
      encoding: "utf8",
    });
    expect(deleted.status, deleted.stderr).toBe(0);
    expect(existsSync(drv)).toBe(false);
    const r = await infra(["deploy", "db1", "--json"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.hosts[0]).toMatchObject({ status: "deployed", next: toplevel("db1") });
    expect(fleet.t.db1!.link("/run/current-system")).toBe(toplevel("db1"));
  });
});

describe("bad input", () => {
  it("target names and hosts that would be ssh options or shell are data: refused, nothing runs", async () => {
    const names = [
      "-oProxyCommand=touch PWNED-proxy",
      "$(touch PWNED-subst)",
      "a;touch PWNED-semi",
      "`touch PWNED-tick`",
    ];
    const hostile = makeRepo("test/fixtures/deploy-fleet");
    try {
      for (const name of names)
        hostile.write(`hosts/${name}/default.nix`, '{ services = [ ]; storeName = "hostile"; }\n');
      for (const name of names) hostile.write(`hosts/${name}/hardware.nix`, '{ kernel = "6.1.0"; }\n');
      // And a hostile host from infra.json for a well-named target.
      writeFileSync(
        hostile.path("infra.json"),
        JSON.stringify({
          deploy: {
            sshOptions: ["-F", fleet.harness.sshConfig],
            targets: { web1: { host: "-oProxyCommand=touch PWNED-host" } },
          },
        }),
      );
      hostile.commit("hostile names");
      const spy = nixSpy(["ssh"]);
      const r = await runInfra(
        [
          "deploy",
          "--json",
          "--repo",
          hostile.dir,
          "--cache-dir",
          `${hostile.dir}.cache`,
          "--",
          ...names,
          "web1",
        ],
        {
          cwd: hostile.dir,
          env: { ...ENV, ...spy.env },
        },
      );
      const calls = spy.calls();
      spy.cleanup();
      expect(r.exitCode).toBe(1);
      const hosts = byName(r.json);
      for (const name of [...names, "web1"])
        expect(hosts[name]).toMatchObject({
          status: "failed",
          error: expect.objectContaining({ stage: "address" }),
        });
      expect((hosts["-oProxyCommand=touch PWNED-proxy"]!.error as { message: string }).message).toMatch(
        /starts with '-', so ssh would read it as an option/,
      );
      expect((hosts.web1!.error as { message: string }).message).toMatch(
        /from infra\.json\) starts with '-'/,
      );
      expect(calls).toEqual([]);
      for (const dir of [hostile.dir, fleet.repo.dir, tmpdir(), process.cwd()])
        expect(readdirSync(dir).filter((f) => f.startsWith("PWNED"))).toEqual([]);
    } finally {
      hostile.cleanup();
    }
  });

  it("a host key mismatch fails loudly and deploys nothing there; a pinned hostKey is the only key accepted", async () => {
    touch("web3", "a change that must not reach an impostor");
    const running = fleet.t.web3!.link("/run/current-system");
    const real = fleet.t.web3!.hostKey;
    fleet.harness.forgeHostKey("web3");
    const r = await infra(["deploy", "web3", "--json"]);
    expect(r.exitCode).toBe(1);
    expect(r.json.hosts[0]).toMatchObject({
      status: "failed",
      error: expect.objectContaining({ stage: "connect" }),
    });
    expect(r.json.hosts[0].error.message).toMatch(
      /host key verification failed for web3: .*nothing was deployed to it/,
    );
    expect(fleet.harness.hasPath(toplevel("web3"))).toBe(false);
    expect(fleet.t.web3!.link("/run/current-system")).toBe(running);

    // Pinned in infra.json, the real key is accepted whatever known_hosts says; a wrong one is not.
    const saved = structuredClone(fleet.config);
    try {
      fleet.config.deploy.targets.web3 = { hostKey: real };
      fleet.writeConfig();
      const pinned = await infra(["deploy", "web3", "--json"]);
      expect(pinned.exitCode, pinned.stderr).toBe(0);
      expect(fleet.t.web3!.link("/run/current-system")).toBe(toplevel("web3"));
      fleet.config.deploy.targets.web3 = {
        hostKey: readFileSync(`${fleet.harness.dir}/forged-web3.pub`, "utf8"),
      };
      fleet.writeConfig();
      touch("web3", "and one more");
      const wrong = await infra(["deploy", "web3", "--json"]);
      expect(wrong.exitCode).toBe(1);
      expect(wrong.json.hosts[0].error.message).toMatch(/pinned in infra\.json/);
    } finally {
      fleet.config = saved;
      fleet.writeConfig();
    }
    expect(existsSync(fleet.harness.knownHosts)).toBe(true);
  });
});
