// The warm server: commands run through it print what they print in-process, exit as they exit,
// and nothing about it can cost a correct answer.
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, runInfra } from "../helpers/cli.js";
import { nixEvalDrv, nixEvalSet } from "../helpers/nix.js";
import { processesWith, until } from "../helpers/proc.js";
import { fixtures, type Repo } from "../helpers/repo.js";
import { startServer, type TestServer } from "../helpers/server.js";
import { WatchSession } from "../helpers/watch.js";

const made = fixtures();
const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop("SIGKILL");
  made.cleanup();
});

const cacheOf = (repo: Repo) => `${repo.dir}.cache`;
const infra = (repo: Repo, args: string[], env: Record<string, string> = {}) =>
  runInfra([...args, "--repo", repo.dir, "--cache-dir", cacheOf(repo)], { cwd: repo.dir, env });

const TIMING = new Set(["durationMs", "evaluationMs", "maxRssKb", "timeMs", "memoryMB", "since"]);

/** Output with the repository's own paths and every timing taken out (they differ run to run). */
function normal(r: CliResult, repo: Repo): string {
  const text = (s: string) =>
    s
      .replaceAll(cacheOf(repo), "<cache>")
      .replaceAll(repo.dir, "<repo>")
      .replace(/\d+(\.\d+)? (ms|s|MB)\b/g, "N $2")
      .replace(/ +$/gm, "");
  if (r.json !== undefined) {
    const strip = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(strip)
        : v !== null && typeof v === "object"
          ? Object.fromEntries(
              Object.entries(v)
                .filter(([k]) => !TIMING.has(k))
                .map(([k, x]) => [k, strip(x)]),
            )
          : v;
    return `${r.exitCode}\n${text(JSON.stringify(strip(r.json), null, 2))}`;
  }
  return `${r.exitCode}\n${text(r.stdout)}`;
}

/** The scenarios of eval, affected, graph and ci, as a user runs them one after another. */
const SCENARIOS: { what: string; edit?: (r: Repo) => void; args: string[] }[] = [
  { what: "cold eval", args: ["eval", "--json"] },
  { what: "cached eval (table)", args: ["eval"] },
  { what: "hosts", args: ["hosts", "--json"] },
  { what: "one host", args: ["eval", "--json", "web1"] },
  { what: "a group and a kind:name", args: ["eval", "--json", "darwin:macbook", "db1"] },
  {
    what: "edit a hardware file",
    edit: (r) => r.append("hosts/web1/hardware.nix", "\n# edit\n"),
    args: ["affected", "--json", "hosts/web1/hardware.nix"],
  },
  { what: "re-evaluate after the edit", args: ["eval", "--json"] },
  { what: "affected in words", args: ["affected", "programs/tmux/tmux.conf"] },
  { what: "affected --since", args: ["affected", "--json", "--since", "HEAD"] },
  { what: "graph as JSON", args: ["graph", "--format", "json"] },
  { what: "graph as DOT", args: ["graph"] },
  { what: "graph --top", args: ["graph", "--top", "5"] },
  { what: "graph --orphans", args: ["graph", "--orphans", "--json"] },
  { what: "ci without a baseline", args: ["ci", "--json"] },
  {
    what: "a syntax error",
    edit: (r) => r.append("hosts/db2/default.nix", "\n{ broken = ; }\n"),
    args: ["eval", "--json"],
  },
  { what: "a failure in words", args: ["eval"] },
  { what: "an unknown name", args: ["eval", "wbe1"] },
  { what: "a bad flag", args: ["eval", "--jobs", "zero"] },
];

describe("through the server and in-process", () => {
  let served: Repo;
  let local: Repo;
  let server: TestServer;
  beforeAll(async () => {
    served = made.make("examples/fleet");
    local = made.make("examples/fleet");
    server = await startServer(served.dir, cacheOf(served));
    servers.push(server);
  });

  it("every scenario prints the same and exits the same", async () => {
    let routed = 0;
    for (const { what, edit, args } of SCENARIOS) {
      if (edit) {
        edit(served);
        edit(local);
      }
      const viaServer = await infra(served, args);
      const inProcess = await infra(local, [...args, "--no-server"]);
      expect({ what, output: normal(viaServer, served) }).toEqual({ what, output: normal(inProcess, local) });
      routed++;
    }
    // Every one of them ran in the server (and a bad flag too: the server parses it).
    expect(await server.served()).toBe(routed);
    // The answers are nix eval's.
    const r = await infra(served, ["eval", "--json"]);
    for (const h of r.json.hosts) {
      const truth = nixEvalDrv(served.dir, h.attr);
      expect({ name: h.name, drvPath: h.drvPath ?? undefined }).toEqual({
        name: h.name,
        drvPath: truth.drvPath,
      });
    }
  });

  it("two clients at once both get correct answers", async () => {
    const [a, b] = await Promise.all([
      infra(served, ["eval", "--json", "--no-cache"]),
      infra(served, ["hosts", "--json"]),
    ]);
    expect(a.exitCode).toBe(1); // db2 is broken on purpose (above)
    expect(a.json.summary.evaluated + a.json.summary.failed).toBe(a.json.hosts.length);
    expect(b.json.hosts.length).toBe(a.json.hosts.length);
  });
});

describe("the server", () => {
  it("refuses to start twice, and replaces a stale socket after a kill -9", async () => {
    const repo = made.make("examples/fleet");
    const first = await startServer(repo.dir, cacheOf(repo));
    servers.push(first);
    const second = await infra(repo, ["serve"]);
    expect(second.exitCode).toBe(2);
    expect(second.stderr).toMatch(/a server already runs for this repository \(pid \d+\)/);
    await first.stop("SIGKILL");
    // The next command finds a dead socket and runs in-process, correctly, the cache intact.
    const r = await infra(repo, ["eval", "--json"]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).not.toMatch(/server/);
    const again = await startServer(repo.dir, cacheOf(repo));
    servers.push(again);
    const cached = await infra(repo, ["eval", "--json"]);
    expect(cached.json.summary.cached).toBe(cached.json.hosts.length);
    expect(await again.served()).toBe(1);
  });

  it("killed mid-evaluation: the command still gets a correct answer, and so does the next", async () => {
    const repo = made.make("examples/fleet");
    const server = await startServer(repo.dir, cacheOf(repo));
    servers.push(server);
    const running = infra(repo, ["eval", "--json", "--no-cache"]);
    // Kill it while it evaluates: once a nix process of this repository runs.
    await until(() => processesWith(repo.dir).some((a) => a.includes("nix-instantiate")), "an evaluation");
    await server.stop("SIGKILL");
    const r = await running;
    expect(r.exitCode).toBe(0);
    expect(r.json.summary.failed).toBe(0);
    const next = await infra(repo, ["eval", "--json"]);
    expect(next.exitCode).toBe(0);
    const truth = nixEvalSet(repo.dir, "nixosConfigurations", "config.system.build.toplevel");
    for (const h of next.json.hosts.filter((x: { kind: string }) => x.kind === "nixos"))
      expect(h.drvPath).toBe(truth[h.name]);
  });

  it("is not used by a client with other settings, of another repository, or with --no-server", async () => {
    const repo = made.make("examples/fleet");
    const other = made.make("examples/fleet");
    const server = await startServer(repo.dir, cacheOf(repo));
    servers.push(server);
    const settings = await infra(repo, ["hosts"], { NIX_CONFIG: "warn-dirty = false" });
    expect(settings.exitCode).toBe(0);
    expect(settings.stderr).toMatch(
      /not using the running server \(the server runs with another NIX_CONFIG\)/,
    );
    // Another repository, even with the same cache root: its socket is another one.
    expect((await runInfra(["hosts", "--repo", other.dir, "--cache-dir", cacheOf(repo)])).exitCode).toBe(0);
    expect((await infra(repo, ["hosts", "--no-server"])).exitCode).toBe(0);
    expect((await infra(repo, ["hosts"], { INFRA_NO_SERVER: "1" })).exitCode).toBe(0);
    expect(await server.served()).toBe(0);
  });

  it("is also what infra watch runs: commands meanwhile are served by the watching process", async () => {
    const repo = made.make("examples/fleet");
    const session = new WatchSession(["--repo", repo.dir, "--cache-dir", cacheOf(repo)]);
    try {
      await session.next((l) => l.type === "ready", "ready");
      const r = await infra(repo, ["eval", "--json"]);
      expect(r.json.summary.cached).toBe(r.json.hosts.length);
      const status = await infra(repo, ["serve", "--status", "--json"]);
      expect(status.json).toMatchObject({ serving: true, served: 1 });
    } finally {
      await session.stop("SIGINT");
    }
  });

  it("only lets its own user connect", async () => {
    const repo = made.make("examples/fleet");
    const server = await startServer(repo.dir, cacheOf(repo));
    servers.push(server);
    expect(statSync(server.socket).mode & 0o777).toBe(0o600);
    const user = "infra-test-other";
    if (spawnSync("id", ["-u", user]).status !== 0) {
      expect(
        spawnSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user]).status,
      ).toBe(0);
    }
    const attempt = spawnSync(
      "runuser",
      [
        "-u",
        user,
        "--",
        process.execPath,
        "-e",
        `require("net").connect(${JSON.stringify(server.socket)}).on("error", (e) => { console.log(e.code); process.exit(0); }).on("connect", () => { console.log("connected"); process.exit(0); })`,
      ],
      { encoding: "utf8" },
    );
    expect(attempt.stdout.trim()).toBe("EACCES");
    expect(await server.served()).toBe(0);
  });
});
