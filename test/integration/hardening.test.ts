// Bad input never costs correctness: each case as a hostile user would try it.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, runInfra } from "../helpers/cli.js";
import { NIX_ENV } from "../helpers/nix.js";
import { processesWith, until } from "../helpers/proc.js";
import { fixtures, type Repo } from "../helpers/repo.js";
import { WatchSession } from "../helpers/watch.js";

const made = fixtures();
afterAll(() => made.cleanup());

const cacheOf = (repo: Repo) => `${repo.dir}.cache`;
const infra = (repo: Repo, ...args: string[]) =>
  runInfra([...args, "--repo", repo.dir, "--cache-dir", cacheOf(repo)], { cwd: repo.dir });
const nixEvalFails = (repo: Repo, attr: string) =>
  spawnSync("nix", ["eval", "--raw", `${repo.dir}#${attr}.drvPath`], { env: NIX_ENV, encoding: "utf8" })
    .status !== 0;

describe("a broken flake.lock", () => {
  it("is never answered from the cache: garbage fails every target, as nix eval does, until it is restored", async () => {
    const repo = made.make("examples/fleet");
    const good = await infra(repo, "eval", "--json");
    expect(good.exitCode).toBe(0);
    const lock = repo.read("flake.lock");
    repo.write("flake.lock", "garbage\n");
    expect(nixEvalFails(repo, "nixosConfigurations.web1.config.system.build.toplevel")).toBe(true);
    for (const flags of [[], ["--no-cache"], []]) {
      // Nix cannot even list the flake's targets: the listing fails, naming the lock file.
      const r = await infra(repo, "eval", "--json", ...flags);
      expect(r.exitCode).toBe(1);
      expect(r.json.summary.cached).toBe(0);
      expect(r.json.errors).toHaveLength(1);
      expect(r.json.errors[0].error.code).toBe("E_LOCKFILE");
      expect(r.json.errors[0].error.message).toMatch(/flake\.lock: not a valid lock file/);
    }
    const affected = await infra(repo, "affected", "--json", "flake.lock");
    expect(affected.json.hosts).toEqual([...good.json.hosts.map((h: { name: string }) => h.name)].sort());
    // Restored: the earlier traces hold again, nothing is lost.
    repo.write("flake.lock", lock);
    const back = await infra(repo, "eval", "--json");
    expect(back.json.summary.cached).toBe(good.json.hosts.length);
  });

  it("with a version Nix does not read fails under --no-cache too", async () => {
    const repo = made.make("examples/fleet");
    const lock = JSON.parse(repo.read("flake.lock"));
    repo.write("flake.lock", JSON.stringify({ ...lock, version: 99 }));
    repo.commit("lock v99");
    expect(nixEvalFails(repo, "nixosConfigurations.web1.config.system.build.toplevel")).toBe(true);
    const r = await infra(repo, "eval", "--json", "--no-cache");
    expect(r.exitCode).toBe(1);
    expect(r.json.errors[0].error.message).toMatch(/unsupported version 99/);
    // Asking for one of its targets says why it cannot be found.
    const one = await infra(repo, "eval", "web1");
    expect(one.exitCode).toBe(1);
    expect(one.stderr).toMatch(/unsupported version 99/);
  });
});

describe("interrupting infra", () => {
  for (const signal of ["SIGKILL", "SIGHUP"] as const) {
    it(`with ${signal} during a long evaluation leaves no nix, strace or time process, and no temporary folder after the next run`, async () => {
      const repo = made.make("test/fixtures/broken");
      const child = spawn(
        process.execPath,
        [BIN, "eval", "hang", "--repo", repo.dir, "--cache-dir", cacheOf(repo)],
        {
          stdio: "ignore",
        },
      );
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      const ours = () => processesWith(repo.dir).filter((a) => /nix-instantiate|strace|\btime\b/.test(a));
      await until(() => ours().some((a) => a.includes("nix-instantiate")), "nix to start");
      child.kill(signal);
      const code = await exited;
      if (signal === "SIGHUP") expect(code).toBe(130);
      const deadline = Date.now() + 2000;
      await until(() => ours().length === 0 || Date.now() > deadline, "the evaluation to stop", 3000);
      expect(ours()).toEqual([]);
      // The next run removes what the dead one left in the temporary folder.
      expect((await infra(repo, "eval", "good1")).exitCode).toBe(0);
      const leftovers = readdirSync(tmpdir()).filter(
        (n) => n.includes(`-${child.pid}-`) && n.startsWith("infra-"),
      );
      expect(leftovers).toEqual([]);
    });
  }
});

describe("bad numbers and paths", () => {
  it("refuses a timeout no timer can wait for, a fractional memory limit, zero jobs and an empty cache folder", async () => {
    const repo = made.make("test/fixtures/broken");
    for (const args of [
      ["eval", "--timeout", "3000000"],
      ["eval", "--max-memory", "1.5"],
      ["eval", "--jobs", "0"],
      ["eval", "--jobs", "2.5"],
      ["watch", "--debounce", "-1"],
    ]) {
      const r = await infra(repo, ...args);
      expect({ args, exitCode: r.exitCode }).toEqual({ args, exitCode: 2 });
      expect(r.stderr).toMatch(new RegExp(`${args[1]} expects`));
    }
    const empty = await runInfra(["eval", "good1", "--repo", repo.dir, "--cache-dir", ""], { cwd: repo.dir });
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr).toMatch(/--cache-dir needs a folder/);
    expect(readdirSync(repo.dir).filter((n) => n.includes("-") && n.length > 20)).toEqual([]);
    writeFileSync(repo.path("infra.json"), JSON.stringify({ limits: { timeoutSeconds: 2592000 } }));
    const config = await infra(repo, "eval", "good1");
    expect(config.exitCode).toBe(2);
    expect(config.stderr).toMatch(/limits\.timeoutSeconds/);
  });
});

describe("names", () => {
  it("a group may not shadow a target; an unknown member names its group", async () => {
    const repo = made.make("test/fixtures/broken");
    writeFileSync(repo.path("infra.json"), JSON.stringify({ groups: { good1: ["good2"] } }));
    const shadow = await infra(repo, "eval", "good1");
    expect(shadow.exitCode).toBe(2);
    expect(shadow.stderr).toMatch(/group 'good1' has the name of a target/);
    writeFileSync(repo.path("infra.json"), JSON.stringify({ groups: { good: ["good1", "good9"] } }));
    const member = await infra(repo, "eval", "good");
    expect(member.exitCode).toBe(2);
    expect(member.stderr).toMatch(/no target named 'good9' \(in group 'good' of infra\.json\)/);
  });

  it("when flake.nix throws, asking for a target reports the flake's error", async () => {
    const repo = made.make("test/fixtures/broken");
    repo.write(
      "flake.nix",
      '{ outputs = { self }: { nixosConfigurations = throw "broken on purpose"; }; }\n',
    );
    repo.commit("break flake.nix");
    const r = await infra(repo, "eval", "good1");
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/broken on purpose/);
    expect(r.stderr).not.toMatch(/Did you mean/);
  });
});

describe("watch", () => {
  it("reports a target that disappears as removed", async () => {
    const repo = made.make("examples/fleet");
    const session = new WatchSession(["--repo", repo.dir, "--cache-dir", cacheOf(repo)]);
    try {
      await session.next((l) => l.type === "ready", "ready");
      repo.git("rm", "-rq", "hosts/worker3");
      const removed = await session.next(
        (l) => l.type === "result" && l.name === "worker3",
        "worker3's result",
      );
      expect(removed).toMatchObject({ status: "removed", drvPath: null, error: null });
    } finally {
      await session.stop("SIGINT");
    }
  });
});

describe("affected", () => {
  it("treats a looping symlink as a path that is there, not a removal", async () => {
    const repo = made.make("examples/fleet");
    symlinkSync("loop", repo.path("loop"));
    repo.commit("a looping symlink");
    expect((await infra(repo, "eval")).exitCode).toBe(0);
    repo.git("commit", "-q", "--allow-empty", "-m", "settle");
    const r = await infra(repo, "affected", "--json", "loop");
    expect(r.json.changes).toEqual([{ path: "loop", change: "modified" }]);
    // Only web3 (self: every tracked file) could see it; no listing or type dependency counts.
    expect(r.json.hosts).toEqual(["web3"]);
    expect(existsSync(repo.path("loop"))).toBe(false); // it is still a loop
  });
});
