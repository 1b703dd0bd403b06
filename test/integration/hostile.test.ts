// Names from a repository are data: quotes, `$(…)`, `../`, spaces, unicode, HTML, `</script>`,
// `-rf`, newlines, `${…}`, ANSI and OSC escapes pass through every command and every export
// format as text. Every XML output parses, nothing runs, and terminal output shows escapes as
// visible text.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { XMLValidator } from "fast-xml-parser";
import { DirectedGraph } from "graphology";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runInfra } from "../helpers/cli.js";
import { nixEvalSet } from "../helpers/nix.js";
import { fixtures, type Repo, ROOT } from "../helpers/repo.js";
import { WatchSession } from "../helpers/watch.js";

const made = fixtures();
afterAll(() => made.cleanup());

const { names, oddFile } = JSON.parse(
  readFileSync(join(ROOT, "test/fixtures/hostile/names.json"), "utf8"),
) as {
  names: string[];
  oddFile: string;
};

/** Characters a terminal would obey: C0 controls but tab and newline, DEL, C1 controls. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const OBEYED = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

let repo: Repo;
const infra = (...args: string[]) =>
  runInfra([...args, "--repo", repo.dir, "--cache-dir", `${repo.dir}.cache`], { cwd: repo.dir });

/** Nothing the names spell ran: no file they would have created exists. */
function nothingRan() {
  for (const dir of [repo.dir, ROOT, process.cwd()]) {
    expect(readdirSync(dir).filter((f) => f.startsWith("PWNED"))).toEqual([]);
  }
}

/** Human output: no byte the terminal would obey, and the escape shown as text. */
function humanSafe(text: string, what: string) {
  expect({ what, obeyed: OBEYED.exec(text)?.[0] ?? null }).toEqual({ what, obeyed: null });
}

beforeAll(async () => {
  repo = made.make("test/fixtures/hostile");
  const r = await infra("eval", "--json");
  expect(r.exitCode, r.stderr).toBe(0);
});

describe("hostile names", () => {
  it("are listed and evaluated as data, equal to nix eval", async () => {
    const hosts = await infra("hosts", "--json");
    expect((hosts.json.hosts as { name: string }[]).map((h) => h.name).sort()).toEqual([...names].sort());
    const r = await infra("eval", "--json");
    const truth = nixEvalSet(repo.dir, "nixosConfigurations", "config.system.build.toplevel");
    for (const h of r.json.hosts as { name: string; drvPath: string }[])
      expect(h.drvPath).toBe(truth[h.name]);
    expect(Object.keys(truth).sort()).toEqual([...names].sort());
    nothingRan();
  });

  it("show their escapes as text in every human output", async () => {
    const runs = {
      hosts: await infra("hosts"),
      eval: await infra("eval"),
      "eval --no-cache": await infra("eval", "--no-cache"),
      "eval one": await infra("eval", names.find((n) => n.includes("\u001b"))!),
      affected: await infra("affected", oddFile),
      "graph --top": await infra("graph", "--top", "50"),
      "graph --orphans": await infra("graph", "--orphans"),
      ci: await infra("ci"),
      "cache stats": await infra("cache", "stats"),
    };
    for (const [what, r] of Object.entries(runs)) {
      expect(r.exitCode, `${what}: ${r.stderr}`).toBe(0);
      humanSafe(r.stdout, `${what} stdout`);
      humanSafe(r.stderr, `${what} stderr`);
    }
    expect(runs.hosts.stdout).toContain("\\x1b[2J\\x1b]0;pwned-title\\x07");
    expect(runs.hosts.stdout).toContain("\\x9b31mc1");
    expect(runs.affected.stdout).toMatch(/^web1 /m);
    nothingRan();
  });

  it("round-trip through every JSON output exactly", async () => {
    const affected = await infra("affected", "--json", oddFile);
    expect(affected.json.hosts).toEqual(["web1"]);
    expect(affected.json.reasons.web1).toEqual([oddFile]);
    const graph = await infra("graph", "--format", "json");
    const g = DirectedGraph.from(JSON.parse(graph.stdout));
    for (const name of names) expect(g.hasNode(`host:${name}`), name).toBe(true);
    const ci = await infra("ci", "--json");
    expect((ci.json.hosts as { name: string }[]).map((h) => h.name).sort()).toEqual([...names].sort());
  });

  it("give XML that parses: GraphML, GEXF and JUnit", async () => {
    for (const format of ["graphml", "gexf"]) {
      const r = await infra("graph", "--format", format);
      expect(r.exitCode).toBe(0);
      expect(XMLValidator.validate(r.stdout), format).toBe(true);
      expect(r.stdout).not.toMatch(OBEYED);
    }
    const junit = join(`${repo.dir}.cache`, "junit.xml");
    const summary = join(`${repo.dir}.cache`, "summary.md");
    expect((await infra("ci", "--junit", junit, "--summary", summary)).exitCode).toBe(0);
    const xml = readFileSync(junit, "utf8");
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).not.toMatch(OBEYED);
    // Markdown: no markup survives (a `<!--` would hide the rest of a pull-request comment).
    const md = readFileSync(summary, "utf8");
    expect(md).not.toMatch(OBEYED);
    for (const raw of ["<!--", "<img", "</script>", "|pipe|"]) expect(md).not.toContain(raw);
  });

  it("give DOT that Graphviz renders, Mermaid with escaped labels, and an HTML page whose only scripts are its own", async () => {
    const dot = await infra("graph", "--format", "dot");
    expect(dot.stdout).not.toMatch(OBEYED);
    const svg = spawnSync("dot", ["-Tsvg"], { input: dot.stdout, encoding: "utf8" });
    expect(svg.status, svg.stderr).toBe(0);
    const mermaid = await infra("graph", "--format", "mermaid");
    expect(mermaid.stdout).not.toMatch(OBEYED);
    expect(mermaid.stdout).not.toContain("<img");
    const out = join(`${repo.dir}.cache`, "graph.html");
    expect((await infra("graph", "--out", out)).exitCode).toBe(0);
    const html = readFileSync(out, "utf8");
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html).not.toContain("</script><script>alert(1)");
    expect(html).not.toContain("<img src=x");
  });

  it("stream through watch's JSON lines and stop cleanly", async () => {
    const session = new WatchSession(["--repo", repo.dir, "--cache-dir", `${repo.dir}.cache`]);
    await session.next((l) => l.type === "ready", "ready");
    const results = session.lines.filter((l) => l.type === "result").map((l) => l.name as string);
    expect(results.sort()).toEqual([...names].sort());
    const code = await session.stop("SIGINT");
    expect(code, `ended by ${session.endedBy}; stderr:\n${session.stderr}`).toBe(130);
    nothingRan();
  });

  it("never become options or shell for the tools infra runs", () => {
    nothingRan();
    expect(existsSync(join(repo.dir, "-rf"))).toBe(false);
  });
});
