// issue 3, scenario 10: the cache survives a kill -9 in the middle of a run, and two infra
// processes on one repository share it safely.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, runInfra } from "../helpers/cli.js";
import { nixEvalSet } from "../helpers/nix.js";
import { makeRepo, type Repo } from "../helpers/repo.js";

let repo: Repo;
const cache = () => `${repo.dir}.cache`;

beforeAll(() => {
  // 20 NixOS hosts (+ darwin and home): the example fleet with twelve more web hosts.
  repo = makeRepo("examples/fleet");
  for (let i = 4; i <= 15; i++) {
    const name = `web${i}`;
    repo.write(`hosts/${name}/default.nix`, repo.read("hosts/web1/default.nix").replaceAll("web1", name));
    repo.write(`hosts/${name}/hardware.nix`, repo.read("hosts/web1/hardware.nix").replaceAll("web1", name));
  }
  repo.commit("twenty hosts");
});
afterAll(() => repo.cleanup());

// biome-ignore lint/suspicious/noExplicitAny: JSON from the CLI
type Host = any;

function expectMatchesNixEval(hosts: Host[]) {
  const truth = nixEvalSet(repo.dir, "nixosConfigurations", "config.system.build.toplevel");
  const nixos = hosts.filter((h) => h.kind === "nixos");
  expect(nixos).toHaveLength(20);
  for (const h of nixos)
    expect({ name: h.name, drvPath: h.drvPath }).toEqual({ name: h.name, drvPath: truth[h.name] });
}

describe("crash safety and concurrency", () => {
  it("kill -9 in the middle of a 20-target run loses only what was in flight", async () => {
    const child = spawn(
      process.execPath,
      [BIN, "eval", "--jobs", "2", "--repo", repo.dir, "--cache-dir", cache()],
      {
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, NO_COLOR: "1" },
      },
    );
    // Wait (on the run's own progress lines, not on time) until a few targets are done.
    await new Promise<void>((resolve, reject) => {
      let seen = 0;
      child.stderr.on("data", (chunk: Buffer) => {
        seen += chunk
          .toString()
          .split("\n")
          .filter((l) => / evaluated /.test(l)).length;
        if (seen >= 4) resolve();
      });
      child.on("exit", () => reject(new Error("the run ended before it could be killed")));
    });
    child.kill("SIGKILL");
    await new Promise((resolve) => child.on("exit", resolve));

    const r = await runInfra(["eval", "--json", "--repo", repo.dir, "--cache-dir", cache()]);
    expect(r.exitCode).toBe(0);
    expect(r.json.summary.failed).toBe(0);
    // What finished before the kill was kept; the rest was evaluated now.
    expect(r.json.summary.cached).toBeGreaterThanOrEqual(1);
    expect(r.json.summary.evaluated).toBeGreaterThanOrEqual(1);
    expectMatchesNixEval(r.json.hosts);
  });

  it("two infra eval at once on the same repository both succeed with correct results", async () => {
    repo.append("modules/base.nix", "\n# both runs see this\n");
    repo.append("programs/git/gitconfig", "\n[core]\n  autocrlf = false\n");
    const args = ["eval", "--json", "--jobs", "2", "--repo", repo.dir, "--cache-dir", cache()];
    const [a, b] = await Promise.all([runInfra(args), runInfra(args)]);
    for (const r of [a, b]) {
      expect(r.exitCode).toBe(0);
      expectMatchesNixEval(r.json.hosts);
    }
    const third = await runInfra(args);
    expect(third.json.summary).toMatchObject({ evaluated: 0, cached: 22, failed: 0 });
  });
});
