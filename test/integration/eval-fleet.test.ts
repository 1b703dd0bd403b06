// issue 3, scenarios 1-8, on a git copy of examples/fleet. The oracle is plain `nix eval`:
// a host must be re-evaluated exactly when its drvPath under `nix eval` changed (or its inputs
// changed), and every reported drvPath must equal nix eval's.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, nixSpy, runInfra } from "../helpers/cli.js";
import { nixEvalDrv } from "../helpers/nix.js";
import { makeRepo, type Repo } from "../helpers/repo.js";

let repo: Repo;
let cacheDir: string;
const spy = nixSpy();

async function infraEval(...args: string[]): Promise<CliResult> {
  const result = await runInfra(["eval", "--json", "--repo", repo.dir, "--cache-dir", cacheDir, ...args], {
    env: spy.env,
  });
  if (result.json === undefined)
    throw new Error(`no JSON from infra eval (exit ${result.exitCode}):\n${result.stderr}`);
  return result;
}

// biome-ignore lint/suspicious/noExplicitAny: JSON from the CLI
type Host = any;
const byStatus = (r: CliResult, status: string) =>
  (r.json.hosts as Host[])
    .filter((h) => h.status === status)
    .map((h) => h.name)
    .sort();

/** drvPath of every target according to plain nix eval, by name. */
function nixEvalAll(r: CliResult): Map<string, string | undefined> {
  return new Map((r.json.hosts as Host[]).map((h) => [h.name, nixEvalDrv(repo.dir, h.attr).drvPath]));
}

function expectMatchesNixEval(r: CliResult, truth = nixEvalAll(r)) {
  for (const h of r.json.hosts as Host[]) {
    expect({ name: h.name, drvPath: h.drvPath }).toEqual({ name: h.name, drvPath: truth.get(h.name) });
  }
  return truth;
}

function changed(before: Map<string, string | undefined>, after: Map<string, string | undefined>): string[] {
  return [...after]
    .filter(([name, drv]) => before.get(name) !== drv)
    .map(([name]) => name)
    .sort();
}

let baseline: Map<string, string | undefined>;

beforeAll(async () => {
  repo = makeRepo("examples/fleet");
  cacheDir = `${repo.dir}.cache`;
});
afterAll(() => {
  repo.cleanup();
  spy.cleanup();
});

describe("infra eval on examples/fleet", () => {
  it("1. cold run: every target evaluated, drvPath equals nix eval", async () => {
    const r = await infraEval();
    expect(r.exitCode).toBe(0);
    expect(r.json.summary).toMatchObject({ evaluated: 10, cached: 0, failed: 0 });
    expect(r.json.hosts.every((h: Host) => h.status === "evaluated" && h.mode === "traced")).toBe(true);
    baseline = expectMatchesNixEval(r);
    expect(baseline.get("web3")).toMatch(/^\/nix\/store\/.*\.drv$/);
  });

  it("2. second run: everything cached and nix not started at all", async () => {
    spy.reset();
    const r = await infraEval();
    expect(r.exitCode).toBe(0);
    expect(r.json.summary).toMatchObject({ evaluated: 0, cached: 10, failed: 0 });
    expect(spy.calls()).toEqual([]);
    expectMatchesNixEval(r, baseline);
  });

  it("3. editing one host's hardware.nix re-evaluates that host (and web3, which reads the whole tree via self)", async () => {
    repo.append("hosts/web1/hardware.nix", "\n# a comment changes the tracked tree, not web1's value\n");
    repo.write(
      "hosts/web1/hardware.nix",
      repo.read("hosts/web1/hardware.nix").replace(/}\s*$/, '  boot.kernelParams = [ "quiet" ];\n}\n'),
    );
    const r = await infraEval();
    const truth = expectMatchesNixEval(r);
    expect(changed(baseline, truth)).toEqual(["web1", "web3"]);
    expect(byStatus(r, "evaluated")).toEqual(["web1", "web3"]);
    baseline = truth;
  });

  it("4. editing a program's readFile'd config re-evaluates exactly the hosts importing it", async () => {
    repo.append("programs/tmux/tmux.conf", "\nset -g history-limit 50000\n");
    const r = await infraEval();
    const truth = expectMatchesNixEval(r);
    const expected = changed(baseline, truth);
    expect(expected.length).toBeGreaterThan(1);
    expect(expected.length).toBeLessThan(10);
    expect(byStatus(r, "evaluated")).toEqual(expected);
    baseline = truth;
  });

  it("5. a module added (and git-added) to an auto-discovered folder re-evaluates only the hosts importing that folder", async () => {
    repo.write(
      "modules/monitoring/uptime.nix",
      '{ ... }: {\n  environment.etc."monitoring/uptime".text = "probe every 30s";\n}\n',
    );
    let r = await infraEval();
    // Untracked: nix eval does not see it, so nothing changes.
    expect(byStatus(r, "evaluated")).toEqual([]);
    expectMatchesNixEval(r, baseline);
    repo.git("add", "modules/monitoring/uptime.nix");
    r = await infraEval();
    const truth = expectMatchesNixEval(r);
    const expected = changed(baseline, truth);
    expect(expected).toContain("web1");
    expect(expected).not.toContain("worker1");
    expect(byStatus(r, "evaluated")).toEqual(expected);
    baseline = truth;
  });

  it("6. files no target reads, untracked files and touch re-evaluate nothing (web3 aside for tracked edits)", async () => {
    repo.write("notes-untracked.txt", "scratch\n");
    repo.write("hosts/web1/scratch.nix", "{ this is not even nix");
    let r = await infraEval();
    expect(byStatus(r, "evaluated")).toEqual([]);
    repo.write("notes-untracked.txt", "scratch, edited\n");
    const { utimesSync } = await import("node:fs");
    const now = new Date();
    utimesSync(repo.path("hosts/db1/hardware.nix"), now, now);
    utimesSync(repo.path("programs/git/gitconfig"), now, now);
    r = await infraEval();
    expect(byStatus(r, "evaluated")).toEqual([]);
    expectMatchesNixEval(r, baseline);
    // A tracked file nothing imports: only web3, whose value embeds the whole tree, changes.
    repo.write("docs/runbook.md", "# Runbook\n");
    repo.git("add", "docs/runbook.md");
    r = await infraEval();
    const truth = expectMatchesNixEval(r);
    expect(changed(baseline, truth)).toEqual(["web3"]);
    expect(byStatus(r, "evaluated")).toEqual(["web3"]);
    baseline = truth;
  });

  it("6b. an untracked host folder is not a host until it is git-added", async () => {
    const web1Source = repo.read("hosts/web1/default.nix");
    repo.write("hosts/web9/default.nix", web1Source.replace(/web1/g, "web9"));
    repo.write("hosts/web9/hardware.nix", repo.read("hosts/web1/hardware.nix"));
    let r = await infraEval();
    expect(r.json.hosts.map((h: Host) => h.name)).not.toContain("web9");
    expect(byStatus(r, "evaluated")).toEqual([]);
    repo.git("add", "hosts/web9");
    r = await infraEval();
    expect(r.json.hosts.map((h: Host) => h.name)).toContain("web9");
    const truth = expectMatchesNixEval(r);
    // web1 lists hosts/web1, which holds the untracked scratch.nix from step 6: the working tree
    // differs from what nix eval sees there, so web1 was evaluated exactly as nix eval does.
    const web1 = r.json.hosts.find((h: Host) => h.name === "web1");
    expect(web1).toMatchObject({ status: "evaluated", mode: "exact" });
    expect(web1.reason).toMatch(/scratch\.nix/);
    expect(r.json.hosts.find((h: Host) => h.name === "db1").mode).toBe("traced");
    // Every nixos host read the listing of hosts/ (that is how they are discovered), so all re-run.
    expect(byStatus(r, "evaluated")).toEqual(
      [...truth.keys()].filter((n) => n !== "macbook" && n !== "alice@laptop").sort(),
    );
    baseline = truth;
  });

  it("7. a syntax error fails one host with file and line, is cached as a failure, and recovers", async () => {
    const original = repo.read("hosts/db2/default.nix");
    repo.write("hosts/db2/default.nix", original.replace(/\{/, "{ broken = ;"));
    let r = await infraEval();
    expect(r.exitCode).toBe(1);
    const db2 = r.json.hosts.find((h: Host) => h.name === "db2");
    expect(db2.status).toBe("failed");
    expect(db2.error.message).toMatch(/syntax error/);
    expect(db2.error.file).toBe("hosts/db2/default.nix");
    expect(db2.error.line).toBeGreaterThan(0);
    expect(byStatus(r, "failed")).toEqual(["db2"]);
    expect(nixEvalDrv(repo.dir, db2.attr).error).toMatch(/syntax error/);

    spy.reset();
    r = await infraEval("db2");
    expect(r.exitCode).toBe(1);
    expect(r.json.hosts[0]).toMatchObject({ name: "db2", status: "failed", fromCache: true });
    expect(spy.calls()).toEqual([]);

    // A fix that is new content (restoring the old bytes would rightly hit the old trace).
    repo.write("hosts/db2/default.nix", `# fixed\n${original}`);
    r = await infraEval();
    expect(r.exitCode).toBe(0);
    expect(r.json.hosts.find((h: Host) => h.name === "db2").status).toBe("evaluated");
    baseline = expectMatchesNixEval(r);
  });

  it("8. reverting an edit with git checkout hits the earlier trace", async () => {
    repo.commit("checkpoint");
    let r = await infraEval();
    baseline = expectMatchesNixEval(r);
    repo.append("hosts/worker2/hardware.nix", "\n# temporary\n");
    r = await infraEval();
    expect(byStatus(r, "evaluated")).toEqual(["web3", "worker2"]);
    repo.git("checkout", "--", "hosts/worker2/hardware.nix");
    spy.reset();
    r = await infraEval();
    expect(byStatus(r, "evaluated")).toEqual([]);
    expect(spy.calls()).toEqual([]);
    expectMatchesNixEval(r, baseline);
  });
});
