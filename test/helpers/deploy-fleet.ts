// test/fixtures/deploy-fleet on real targets (target-host.ts), as the deploy tests use it: a git
// copy of the fleet, one sshd target per host (and one for the home-manager configuration), and
// the infra.json and harness ports that tell infra where each one is.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { type CliResult, runInfra } from "./cli.js";
import { NIX_ENV } from "./nix.js";
import { makeRepo, type Repo } from "./repo.js";
import { createHarness, type TargetHarness, type TargetHost } from "./target-host.js";

export const HOSTS = ["web1", "web2", "web3", "db1", "db2", "flaky"];
/** Offline: a build must never wait for a binary cache it cannot reach. */
export const DEPLOY_ENV = { NIX_CONFIG: "substituters =\n" };

export interface DeployFleet {
  harness: TargetHarness;
  repo: Repo;
  /** The targets by name: the six hosts and `alice` (home-manager). */
  t: Record<string, TargetHost>;
  /** infra.json as an object: change it, then writeConfig(). */
  config: {
    groups: Record<string, string[]>;
    deploy: { targets: Record<string, unknown> } & Record<string, unknown>;
  };
  writeConfig(): void;
  infra(args: string[], env?: Record<string, string>): Promise<CliResult>;
  /** The toplevel plain `nix eval` gives: what a target must run after a deploy. */
  toplevel(name: string): string;
  /** Changes a host's configuration (its message of the day), so its toplevel changes. */
  touch(name: string, text: string): void;
  stop(): Promise<void>;
}

/**
 * web1, web2 are deploy-rs nodes; db1, db2 in colmena's hive; web3, flaky found by their name
 * (ssh_config aliases); alice in infra.json: every way a target's host is found is in the fleet.
 */
export async function startDeployFleet(): Promise<DeployFleet> {
  const harness = createHarness();
  const repo = makeRepo("test/fixtures/deploy-fleet");
  const t: Record<string, TargetHost> = {};
  for (const name of [...HOSTS, "alice"])
    t[name] = await harness.start(name, { alias: name === "web3" || name === "flaky" });
  const ports = Object.fromEntries(["web1", "web2", "db1", "db2"].map((n) => [n, t[n]!.port]));
  repo.write("harness.json", `${JSON.stringify({ ports })}\n`);
  const fleet: DeployFleet = {
    harness,
    repo,
    t,
    config: {
      groups: { fleet: HOSTS },
      deploy: {
        sshOptions: ["-F", harness.sshConfig],
        connectTimeoutSeconds: 5,
        targets: { alice: { host: "127.0.0.1", port: t.alice!.port } },
      },
    },
    writeConfig: () => writeFileSync(repo.path("infra.json"), `${JSON.stringify(fleet.config, null, 2)}\n`),
    infra: (args, env = {}) =>
      runInfra([...args, "--repo", repo.dir, "--cache-dir", `${repo.dir}.cache`], {
        cwd: repo.dir,
        env: { ...DEPLOY_ENV, ...env },
      }),
    toplevel(name) {
      const attr =
        name === "alice"
          ? "homeConfigurations.alice.activationPackage"
          : `nixosConfigurations.${name}.config.system.build.toplevel`;
      const r = spawnSync("nix", ["eval", "--raw", `${repo.dir}#${attr}.outPath`], {
        env: NIX_ENV,
        encoding: "utf8",
      });
      if (r.status !== 0) throw new Error(r.stderr);
      return r.stdout.trim();
    },
    touch: (name, text) =>
      repo.write(
        `hosts/${name}/default.nix`,
        repo.read(`hosts/${name}/default.nix`).replace(/motd = ".*";/, `motd = ${JSON.stringify(text)};`),
      ),
    async stop() {
      await harness.stop();
      repo.cleanup();
    },
  };
  fleet.writeConfig();
  repo.commit("harness ports");
  return fleet;
}

/** Results by name. */
export const byName = (json: { hosts: { name: string }[] }) =>
  Object.fromEntries(json.hosts.map((h) => [h.name, h])) as Record<string, Record<string, unknown>>;

/** A port nothing listens on. */
export const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
