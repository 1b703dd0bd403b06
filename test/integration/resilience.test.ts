// Bad environments: no strace, a damaged cache, an unusable cache folder.
import { readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runInfra } from "../helpers/cli.js";
import { nixEvalSet } from "../helpers/nix.js";
import { fixtures, type Repo } from "../helpers/repo.js";

const made = fixtures();
afterAll(made.cleanup);
const fixture = (source: string): Repo => made.make(source);

// biome-ignore lint/suspicious/noExplicitAny: JSON from the CLI
type Host = any;

describe("without strace", () => {
  it("stays correct, says it runs untraced, and re-evaluates everything on any change", async () => {
    const repo = fixture("test/fixtures/path-input");
    const args = ["eval", "--json", "--repo", repo.dir, "--cache-dir", `${repo.dir}.cache`];
    const env = { INFRA_NO_STRACE: "1" };
    let r = await runInfra(args, { env });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/strace is not installed: evaluations run untraced/);
    expect(r.json.hosts.every((h: Host) => h.mode === "untraced")).toBe(true);
    const truth = () => nixEvalSet(repo.dir, "nixosConfigurations", "config.system.build.toplevel");
    for (const h of r.json.hosts) expect(h.drvPath).toBe(truth()[h.name]);
    r = await runInfra(args, { env });
    expect(r.json.summary.cached).toBe(4);
    repo.append("hosts/alpha.nix", "\n# edit\n");
    r = await runInfra(args, { env });
    expect(r.json.summary.evaluated).toBe(4);
    for (const h of r.json.hosts) expect(h.drvPath).toBe(truth()[h.name]);
  });
});

describe("the cache", () => {
  it("is set aside and rebuilt when damaged, with a warning", async () => {
    const repo = fixture("test/fixtures/path-input");
    const args = ["eval", "--json", "--repo", repo.dir, "--cache-dir", `${repo.dir}.cache`];
    expect((await runInfra(args)).exitCode).toBe(0);
    const stats = await runInfra([
      "cache",
      "stats",
      "--json",
      "--repo",
      repo.dir,
      "--cache-dir",
      `${repo.dir}.cache`,
    ]);
    expect(stats.json.targets).toBeGreaterThan(0);
    writeFileSync(join(stats.json.path, "data.mdb"), "this is not an LMDB file".repeat(1000));
    const r = await runInfra(args);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/damaged/);
    expect(r.json.summary.evaluated).toBe(4);
    expect(readdirSync(dirname(stats.json.path)).some((d) => d.startsWith("v1.damaged-"))).toBe(true);
  });

  it("names the folder and the fix when it cannot be created", async () => {
    const repo = fixture("test/fixtures/path-input");
    writeFileSync(`${repo.dir}.notadir`, "");
    const r = await runInfra(["eval", "--repo", repo.dir, "--cache-dir", `${repo.dir}.notadir`]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/cannot create the cache folder/);
    expect(r.stderr).toMatch(/--cache-dir/);
  });

  it("stats, prune and clear", async () => {
    const repo = fixture("test/fixtures/path-input");
    const common = ["--repo", repo.dir, "--cache-dir", `${repo.dir}.cache`];
    await runInfra(["eval", ...common]);
    repo.append("hosts/beta.nix", "\n# 2\n");
    await runInfra(["eval", ...common]);
    const before = await runInfra(["cache", "stats", "--json", ...common]);
    expect(before.json.traces).toBeGreaterThan(before.json.targets);
    const pruned = await runInfra(["cache", "prune", "--keep", "1", "--json", ...common]);
    expect(pruned.json.removed.traces).toBeGreaterThan(0);
    const after = await runInfra(["cache", "stats", "--json", ...common]);
    expect(after.json.traces).toBe(after.json.targets);
    await runInfra(["cache", "clear", ...common]);
    const r = await runInfra(["eval", "--json", ...common]);
    expect(r.json.summary.cached).toBe(0);
  });
});
