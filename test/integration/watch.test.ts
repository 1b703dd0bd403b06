// issue 5's acceptance: a real `infra watch --json`, driven through its output lines.
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runInfra } from "../helpers/cli.js";
import { nixEvalSet } from "../helpers/nix.js";
import { processesWith } from "../helpers/proc.js";
import { makeRepo, type Repo } from "../helpers/repo.js";
import { type WatchLine, WatchSession } from "../helpers/watch.js";

let repo: Repo;
let session: WatchSession;
const cache = () => `${repo.dir}.cache`;

// The example fleet without web3 (whose value embeds the whole tree, so every edit reaches it)
// and with `slow`, a host that takes seconds to evaluate.
beforeAll(async () => {
  repo = makeRepo("examples/fleet");
  repo.remove("hosts/web3");
  repo.write("hosts/slow/default.nix", repo.read("hosts/worker1/default.nix").replaceAll("worker1", "slow"));
  // worker1's hardware plus a value that takes seconds to compute.
  repo.write(
    "hosts/slow/hardware.nix",
    repo
      .read("hosts/worker1/hardware.nix")
      .replace(
        "{ ... }:\n{",
        '{ ... }:\nlet fib = n: if n < 2 then n else fib (n - 1) + fib (n - 2);\nin {\n  environment.etc."slow".text = toString (fib 32) + "-1";',
      ),
  );
  repo.commit("watch fixture");
  session = new WatchSession(["--repo", repo.dir, "--cache-dir", cache(), "--debounce", "60"]);
  await session.next((l) => l.type === "ready", "ready");
});
afterAll(async () => {
  if (session.child.exitCode === null) await session.stop("SIGKILL");
  repo.cleanup();
});

/** nix processes evaluating `target` of this repo (their request names the target). */
function nixProcessesFor(target: string): string[] {
  return processesWith(repo.dir).filter((l) => l.includes("nix-instantiate") && l.includes(`"${target}"`));
}

/** Polls a condition the system gives no event for (a process appearing), with a deadline. */
async function waitFor(test: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const names = (results: WatchLine[]) => results.map((r) => r.name).sort();
function expectLatestEqualsNixEval(results: WatchLine[]) {
  const truth = nixEvalSet(repo.dir, "nixosConfigurations", "config.system.build.toplevel");
  for (const r of results.filter((x) => x.kind === "nixos")) {
    expect({ name: r.name, drvPath: r.drvPath }).toEqual({ name: r.name, drvPath: truth[r.name] });
  }
}

describe("infra watch --json", () => {
  it("starts with a result per target, then ready", () => {
    const first = session.lines.slice(
      0,
      session.lines.findIndex((l) => l.type === "ready"),
    );
    expect(first.every((l) => l.type === "result")).toBe(true);
    expect(names(first)).toContain("slow");
    expect(first).toHaveLength(10);
    expectLatestEqualsNixEval(first);
  });

  it("an edit to a host file gives exactly that target's result, then idle", async () => {
    repo.append("hosts/web1/hardware.nix", "\n# edited while watching\n");
    const { changes, results } = await session.batch();
    expect(changes[0]!.paths).toContain("hosts/web1/hardware.nix");
    expect(names(results)).toEqual(["web1"]);
    expect(results[0]).toMatchObject({ type: "result", status: "evaluated" });
    expectLatestEqualsNixEval(results);
  });

  it("sees an atomic-rename save and a delete-then-recreate", async () => {
    const file = repo.path("hosts/db1/hardware.nix");
    writeFileSync(`${file}.tmp~`, `${repo.read("hosts/db1/hardware.nix")}\n# atomic save\n`);
    renameSync(`${file}.tmp~`, file);
    let batch = await session.batch();
    expect(names(batch.results)).toEqual(["db1"]);
    expectLatestEqualsNixEval(batch.results);

    const content = repo.read("hosts/db2/hardware.nix");
    rmSync(repo.path("hosts/db2/hardware.nix"));
    writeFileSync(repo.path("hosts/db2/hardware.nix"), `${content}\n# recreated\n`);
    batch = await session.batch();
    expect(batch.results.filter((r) => r.name === "db2").at(-1)?.status).toBe("evaluated");
    expectLatestEqualsNixEval(batch.results.filter((r) => r.name === "db2").slice(-1));
  });

  it("50 edits to a shared module within 100 ms evaluate each dependent once", async () => {
    const path = repo.path("programs/tmux/tmux.conf");
    const base = repo.read("programs/tmux/tmux.conf");
    const started = Date.now();
    for (let i = 0; i < 50; i++) writeFileSync(path, `${base}\n# burst ${i}\n`);
    expect(Date.now() - started).toBeLessThan(100);
    const { results } = await session.batch();
    const counts = new Map<string, number>();
    for (const r of results) counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(names(results)).toEqual(["alice@laptop", "db1", "db2", "web1", "web2", "worker3"]);
    expectLatestEqualsNixEval(results);
  });

  it("an edit while its target is evaluating cancels that evaluation; the result reflects the edit", async () => {
    const file = "hosts/slow/hardware.nix";
    const from = session.lines.length;
    repo.write(file, repo.read(file).replace('"-1"', '"-2"'));
    await session.next((l) => l.type === "change", "the first change");
    // Wait for the evaluation itself (its nix process), then edit again: the edit lands mid-run.
    await waitFor(() => nixProcessesFor("slow").length > 0, "slow's evaluation to start");
    repo.write(file, repo.read(file).replace('"-2"', '"-3"'));
    const idle = await session.next((l) => l.type === "idle", "idle");
    const since = session.lines.slice(from, session.lines.indexOf(idle));
    const slow = since.filter((l) => l.type === "result" && l.name === "slow");
    const lastChange = since.map((l, i) => [l, i] as const).filter(([l]) => l.type === "change");
    // One reported result for slow, after the second change, equal to nix eval of the final file.
    expect(slow).toHaveLength(1);
    expect(since.indexOf(slow[0]!)).toBeGreaterThan(lastChange.at(-1)![1]);
    expectLatestEqualsNixEval(slow);
  });

  it("a new host folder, once git-added, becomes a target and is evaluated", async () => {
    repo.write("hosts/web7/default.nix", repo.read("hosts/web1/default.nix").replaceAll("web1", "web7"));
    repo.write("hosts/web7/hardware.nix", repo.read("hosts/web1/hardware.nix"));
    repo.git("add", "hosts/web7");
    let results: WatchLine[] = [];
    // The files and `git add` may arrive as one batch or two; wait until web7 is reported.
    while (!results.some((r) => r.name === "web7"))
      results = [...results, ...(await session.batch()).results];
    expect(results.find((r) => r.name === "web7")).toMatchObject({ status: "evaluated" });
    expectLatestEqualsNixEval(results.filter((r) => r.name === "web7"));
  });

  it("switching git branches ends with every target equal to nix eval on the new branch", async () => {
    // Git writes HEAD last when it switches: the batch that carries HEAD is the end of a switch.
    const settleAfterSwitch = async () => {
      for (;;) {
        const change = await session.next((l) => l.type === "change", "a change");
        await session.next((l) => l.type === "idle", "idle");
        if (change.paths.some((p: string) => p.endsWith(".git/HEAD") || p.endsWith(".git/logs/HEAD"))) return;
      }
    };
    repo.commit("state of main");
    await settleAfterSwitch(); // the commit moves HEAD too
    repo.git("checkout", "-q", "-b", "side");
    await settleAfterSwitch();
    repo.append("modules/base.nix", "\n# on the side branch\n");
    repo.append("hosts/worker2/hardware.nix", "\n# side\n");
    repo.commit("side work");
    await settleAfterSwitch();
    repo.git("checkout", "-q", "main");
    await settleAfterSwitch();

    const latest = new Map<string, WatchLine>();
    for (const l of session.lines) if (l.type === "result") latest.set(l.name, l);
    const truth = nixEvalSet(repo.dir, "nixosConfigurations", "config.system.build.toplevel");
    expect([...latest.keys()].filter((n) => latest.get(n)!.kind === "nixos").sort()).toEqual(
      Object.keys(truth).sort(),
    );
    for (const [name, drvPath] of Object.entries(truth))
      expect({ name, drvPath: latest.get(name)?.drvPath }).toEqual({ name, drvPath });
    // And the cache agrees: a plain run now evaluates nothing.
    const now = await runInfra(["eval", "--json", "--repo", repo.dir, "--cache-dir", cache()]);
    expect(now.json.summary.evaluated).toBe(0);
  });

  it("SIGINT exits 130, leaves no nix process, and the next infra eval is fully cached", async () => {
    const code = await session.stop("SIGINT");
    expect(code).toBe(130);
    // Read from /proc: slim images have no `ps`.
    const left = processesWith(repo.dir)
      .filter((args) => /nix-instantiate|nix eval/.test(args))
      .join("\n");
    expect(left.trim()).toBe("");
    const r = await runInfra(["eval", "--json", "--repo", repo.dir, "--cache-dir", cache()]);
    expect(r.json.summary.evaluated).toBe(0);
    expect(r.json.summary.failed).toBe(0);
  });
});
