// issue 6's acceptance for `infra ci`: budgets on evaluation time and memory against a baseline,
// JUnit and markdown outputs, --update-baseline and --since.
import { readFileSync } from "node:fs";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runInfra } from "../helpers/cli.js";
import { makeRepo, type Repo } from "../helpers/repo.js";

let repo: Repo;
const infra = (...args: string[]) =>
  runInfra([...args, "--repo", repo.dir, "--cache-dir", `${repo.dir}.cache`]);
const baseline = () => JSON.parse(readFileSync(repo.path("infra-baseline.json"), "utf8"));

/** A host whose evaluation does `n` steps of work (time and memory grow with it). */
function setWeight(n: number) {
  repo.write(
    "hosts/heavy/hardware.nix",
    repo
      .read("hosts/worker1/hardware.nix")
      .replace(
        "{ ... }:\n{",
        `{ ... }:\n{\n  environment.etc."weight".text = toString (builtins.foldl' (a: b: a + b) 0 (builtins.genList (x: x) ${n}));`,
      ),
  );
}

function setBudget(budget: Record<string, number>) {
  repo.write("infra.json", JSON.stringify({ ci: { budget, samples: 3 } }, null, 2));
}

beforeAll(() => {
  repo = makeRepo("examples/fleet");
  repo.write(
    "hosts/heavy/default.nix",
    repo.read("hosts/worker1/default.nix").replaceAll("worker1", "heavy"),
  );
  setWeight(1_000_000);
  // Time only: a 4× heavier evaluation must fail, noise (a busy machine) must not.
  setBudget({ timePercent: 100, timeMs: 250 });
  repo.commit("heavy host");
});
afterAll(() => repo.cleanup());

describe("infra ci", () => {
  it("writes a baseline with --update-baseline", async () => {
    const r = await infra("ci", "heavy", "web1", "--update-baseline");
    expect(r.exitCode).toBe(0);
    const b = baseline();
    expect(b.version).toBe(1);
    expect(Object.keys(b.hosts).sort()).toEqual(["heavy", "web1"]);
    expect(b.hosts.heavy.timeMs).toBeGreaterThan(0);
    expect(b.hosts.heavy.memoryMB).toBeGreaterThan(0);
  });

  it("passes a change within budget, with JUnit and markdown outputs", async () => {
    repo.append("hosts/heavy/default.nix", "\n# a comment: same work\n");
    const junit = `${repo.dir}.junit.xml`;
    const summary = `${repo.dir}.summary.md`;
    const r = await infra("ci", "heavy", "web1", "--json", "--junit", junit, "--summary", summary);
    expect(r.exitCode).toBe(0);
    expect(r.json.summary).toMatchObject({ measured: 2, failed: 0, regressions: 0 });
    const xml = readFileSync(junit, "utf8");
    expect(XMLValidator.validate(xml)).toBe(true);
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(xml);
    const cases = [parsed.testsuites.testsuite.testcase].flat();
    expect(cases.map((c: { name: string }) => c.name).sort()).toEqual(["heavy", "web1"]);
    expect(parsed.testsuites.testsuite.failures).toBe("0");
    const md = readFileSync(summary, "utf8").split("\n");
    const header = md.findIndex((l) => l.startsWith("| target |"));
    expect(header).toBeGreaterThan(0);
    expect(md[header + 1]).toMatch(/^\|( ?-+:? ?\|)+$/);
    expect(md.filter((l) => /^\| (heavy|web1) \|/.test(l))).toHaveLength(2);
  });

  it("fails, naming the host and its old and new time, when its evaluation gets 4× heavier", async () => {
    setWeight(4_000_000);
    const r = await infra("ci", "heavy", "web1");
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/heavy: evaluation time (\d+) ms → (\d+) ms/);
    const [, before, after] = /heavy: evaluation time (\d+) ms → (\d+) ms/.exec(r.stdout)!;
    expect(Number(after)).toBeGreaterThan(Number(before));
    expect(r.stdout).not.toMatch(/web1: evaluation time/);
    const json = await infra("ci", "heavy", "--json");
    expect(json.json.hosts[0]).toMatchObject({ name: "heavy", verdict: expect.stringMatching(/^time/) });
    expect(json.json.hosts[0].samples).toBeGreaterThanOrEqual(1);
  });

  it("fails likewise on a memory budget breach", async () => {
    setBudget({ memoryPercent: 50, memoryMB: 100 });
    const r = await infra("ci", "heavy", "--json");
    expect(r.exitCode).toBe(1);
    expect(r.json.hosts[0].verdict).toBe("memory");
    expect(r.json.hosts[0].reasons[0]).toMatch(/peak memory \d+ MB → \d+ MB/);
  });

  it("--update-baseline rewrites the file, after which the new weight passes", async () => {
    const before = baseline().hosts.heavy.timeMs;
    const r = await infra("ci", "heavy", "--update-baseline");
    expect(r.exitCode).toBe(0);
    expect(baseline().hosts.heavy.timeMs).not.toBe(before);
    expect(baseline().hosts.web1).toBeDefined(); // other targets are kept
    expect((await infra("ci", "heavy")).exitCode).toBe(0);
  });

  it("--since measures only the targets a change since the ref affects", async () => {
    repo.commit("heavier");
    await infra("eval");
    repo.append("hosts/db1/hardware.nix", "\n# db1 only\n");
    repo.commit("db1");
    const r = await infra("ci", "--since", "HEAD~1", "--json");
    expect(r.exitCode).toBe(0);
    expect(r.json.hosts.map((h: { name: string }) => h.name).sort()).toEqual(["db1", "web3"]);
    expect(r.json.skipped).toContain("web1");
  });

  it("a failed evaluation fails the run", async () => {
    repo.append("hosts/heavy/default.nix", "\n{ broken = ; }\n");
    const r = await infra("ci", "heavy");
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/heavy/);
    expect(r.stdout).toMatch(/syntax error/);
  });
});
