// issue 4's acceptance through the CLI: `infra affected` agrees with what `infra eval` then
// re-evaluates, --since works on history, the exports are valid, and layering rules are checked.
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { DirectedGraph } from "graphology";
import { afterAll, describe, expect, it } from "vitest";
import { runInfra } from "../helpers/cli.js";
import { NIX_ENV, RELATIVE_INPUTS_FROM_PARENT } from "../helpers/nix.js";
import { fixtures, type Repo } from "../helpers/repo.js";

const made = fixtures();
afterAll(made.cleanup);
const fixture = (source: string): Repo => made.make(source);
const infra = (repo: Repo, ...args: string[]) =>
  runInfra([...args, "--repo", repo.dir, "--cache-dir", `${repo.dir}.cache`], { cwd: repo.dir });

// biome-ignore lint/suspicious/noExplicitAny: JSON from the CLI
type Json = any;
const evaluatedBy = (r: Json) =>
  (r.json.hosts as Json[])
    .filter((h) => !h.fromCache)
    .map((h) => h.name)
    .sort();

describe("infra affected agrees with infra eval", () => {
  it("for each edit of the eval scenarios on examples/fleet", async () => {
    const repo = fixture("examples/fleet");
    expect((await infra(repo, "eval")).exitCode).toBe(0);

    /** Make an edit, ask `affected` about the paths, then check eval re-evaluates exactly that. */
    const check = async (what: string, edit: () => void, paths: string[]) => {
      edit();
      const affected = await infra(repo, "affected", "--json", ...paths);
      expect(affected.exitCode, what).toBe(0);
      const evaluated = await infra(repo, "eval", "--json");
      expect({ what, hosts: affected.json.hosts }).toEqual({ what, hosts: evaluatedBy(evaluated) });
      return affected.json;
    };

    let a = await check("a host's hardware.nix", () => repo.append("hosts/web1/hardware.nix", "\n# edit\n"), [
      "hosts/web1/hardware.nix",
    ]);
    expect(a.reasons.web1).toContain("hosts/web1/hardware.nix");
    expect(a.reasons.web3).toEqual([". (self: every tracked file)"]);
    a = await check(
      "a program's readFile'd config",
      () => repo.append("programs/tmux/tmux.conf", "\n# edit\n"),
      ["programs/tmux/tmux.conf"],
    );
    expect(a.hosts).toContain("alice@laptop");
    a = await check("a module added to an auto-discovered folder and git-added", () => {
      repo.write("modules/monitoring/extra.nix", "{ ... }: { }\n");
      repo.git("add", "modules/monitoring/extra.nix");
    }, ["modules/monitoring/extra.nix"]);
    expect(a.reasons.db1).toContain("modules/monitoring (listing)");
    a = await check("an untracked file", () => repo.write("scratch.txt", "x"), ["scratch.txt"]);
    expect(a.hosts).toEqual([]);
    expect(a.ignored).toEqual([{ path: "scratch.txt", why: "not tracked by git, so not part of the flake" }]);
    a = await check("a tracked file nothing imports", () => {
      repo.write("docs/notes.md", "notes\n");
      repo.git("add", "docs/notes.md");
    }, ["docs/notes.md"]);
    expect(a.hosts).toEqual(["web3"]);
    await check("a new host folder, git-added", () => {
      repo.write("hosts/web9/default.nix", repo.read("hosts/web1/default.nix").replaceAll("web1", "web9"));
      repo.write("hosts/web9/hardware.nix", repo.read("hosts/web1/hardware.nix"));
      repo.git("add", "hosts/web9");
    }, ["hosts/web9"]);
    await check(
      "a syntax error in one host",
      () => repo.append("hosts/db2/default.nix", "\n{ broken = ; }\n"),
      ["hosts/db2/default.nix"],
    );
    // Relative paths are relative to where the command runs.
    const fromSub = await runInfra(
      ["affected", "--json", "hardware.nix", "--repo", repo.dir, "--cache-dir", `${repo.dir}.cache`],
      {
        cwd: repo.path("hosts/worker1"),
      },
    );
    expect(fromSub.json.hosts).toEqual(["web3", "worker1"]);
  });

  it("for a bumped input in flake.lock: only the hosts that used it", async () => {
    const repo = fixture("test/fixtures/path-input");
    expect((await infra(repo, "eval")).exitCode).toBe(0);
    repo.append("vendor/dotfiles/vimrc", "\nset number\n");
    execFileSync("nix", ["flake", "lock", "--update-input", "dotfiles"], {
      cwd: repo.dir,
      env: NIX_ENV,
      stdio: "pipe",
    });
    const affected = await infra(repo, "affected", "--json", "flake.lock");
    // Nix >= 2.26: relative inputs are folders of the flake's own source, so every host using
    // one (alpha and beta through netlib) reads the changed tree.
    const users = RELATIVE_INPUTS_FROM_PARENT ? ["alpha", "beta", "gamma"] : ["gamma"];
    expect(affected.json.hosts).toEqual(users);
    expect(affected.json.reasons.gamma).toContain("flake.lock#dotfiles");
    expect(evaluatedBy(await infra(repo, "eval", "--json"))).toEqual(users);
  });
});

describe("infra affected --since", () => {
  it("returns the targets a commit affects, with reasons, from committed and uncommitted changes", async () => {
    const repo = fixture("examples/fleet");
    await infra(repo, "eval");
    repo.append("programs/htop/htoprc", "\n# htop tweak\n");
    repo.commit("tweak htop");
    let r = await infra(repo, "affected", "--since", "HEAD~1", "--json");
    expect(r.exitCode).toBe(0);
    expect(r.json.changes).toContainEqual({ path: "programs/htop/htoprc", change: "modified" });
    // htop's users, plus web3 (self: the tree and the revision changed).
    expect(r.json.hosts).toEqual(["db1", "db2", "web2", "web3", "worker1", "worker2", "worker3"]);
    expect(r.json.reasons.worker1).toEqual(["programs/htop/htoprc"]);
    expect(r.json.reasons.web3).toContain("HEAD (self: git revision)");
    // An uncommitted change counts too.
    repo.append("hosts/db1/hardware.nix", "\n# not committed\n");
    r = await infra(repo, "affected", "--since", "HEAD", "--json");
    expect(r.json.hosts).toEqual(["db1", "web3"]);
    expect((await infra(repo, "affected", "--since", "no-such-ref")).exitCode).toBe(2);
  });

  it("reports never-evaluated targets as unknown, or evaluates them first with --eval", async () => {
    const repo = fixture("test/fixtures/monorepo");
    let r = await infra(repo, "affected", "--json", "common/base.nix");
    expect(r.json.unknown).toEqual(["api1", "batch1", "flake-a#web1", "flake-b#web1"]);
    expect(r.json.hosts).toEqual(r.json.unknown);
    r = await infra(repo, "affected", "--json", "--eval", "flake-b/flake.nix");
    expect(r.json.unknown).toEqual([]);
    expect(r.json.hosts).toEqual(["batch1", "flake-b#web1"]);
  });
});

describe("infra graph", () => {
  it("exports the fleet in every format, each valid", async () => {
    const repo = fixture("examples/fleet");
    await infra(repo, "eval");
    const json = await infra(repo, "graph", "--format", "json");
    const graph = DirectedGraph.from(JSON.parse(json.stdout));
    expect(graph.order).toBeGreaterThan(50);
    expect(graph.hasNode("host:web1")).toBe(true);

    const dot = await infra(repo, "graph", "--format", "dot");
    const svg = spawnSync("dot", ["-Tsvg"], { input: dot.stdout, encoding: "utf8" });
    expect(svg.status, svg.stderr).toBe(0);
    expect(svg.stdout).toContain("<svg");

    const parser = new XMLParser({ ignoreAttributes: false });
    for (const format of ["graphml", "gexf"]) {
      const out = (await infra(repo, "graph", "--format", format)).stdout;
      expect(XMLValidator.validate(out)).toBe(true);
      const doc = parser.parse(out);
      const g = format === "graphml" ? doc.graphml.graph : doc.gexf.graph;
      const nodes = format === "graphml" ? g.node : g.nodes.node;
      const edges = format === "graphml" ? g.edge : g.edges.edge;
      expect([nodes].flat()).toHaveLength(graph.order);
      expect([edges].flat()).toHaveLength(graph.size);
    }

    const mermaid = (await infra(repo, "graph", "--format", "mermaid", "--focus", "web1", "--depth", "1"))
      .stdout;
    expect(mermaid.startsWith("graph LR")).toBe(true);

    const html = repo.path("../graph.html");
    const written = await infra(repo, "graph", "--out", html);
    expect(written.exitCode).toBe(0);
    const page = readFileSync(html, "utf8");
    expect(page).toMatch(/^<!doctype html>/i);
    expect(page).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
  });

  it("--check exits 1 naming the import that breaks a layering rule", async () => {
    const repo = fixture("test/fixtures/layering");
    repo.write(
      "infra.json",
      JSON.stringify({ layering: [{ from: "programs/**", mustNotImport: "machines/**" }] }),
    );
    await infra(repo, "eval");
    const r = await infra(repo, "graph", "--check");
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/programs\/editor\.nix imports machines\/shared\.nix/);
    const json = await infra(repo, "graph", "--check", "--json");
    expect(json.json.violations).toEqual([
      {
        from: "programs/editor.nix",
        to: "machines/shared.nix",
        rule: { from: "programs/**", mustNotImport: "machines/**" },
      },
    ]);
    // Remove the offending import: the rule holds again.
    repo.write(
      "programs/editor.nix",
      repo.read("programs/editor.nix").replace(/\s*\.\.\/machines\/shared\.nix/, ""),
    );
    await infra(repo, "eval");
    const fixed = await infra(repo, "graph", "--check");
    expect(fixed.stdout).toMatch(/1 layering rule\(s\) hold/);
    expect(fixed.exitCode).toBe(0);
  });

  it("--top and --orphans answer from the traces", async () => {
    const repo = fixture("examples/fleet");
    await infra(repo, "eval");
    const top = await infra(repo, "graph", "--top", "3", "--json");
    expect(top.json.modules).toHaveLength(3);
    expect(top.json.modules[0].hosts).toBe(10);
    const orphans = await infra(repo, "graph", "--orphans", "--json");
    expect(orphans.json.orphans).toContain("secrets/secrets.nix");
  });
});
