// issue 2's acceptance on real nix: discovery on every fixture, infra's drvPath == nix eval's
// for every target (clean and dirty trees, the self host, several flakes, path inputs), broken
// hosts failing as nix eval does, and errors for bad input.
import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { type CliResult, runInfra } from "../helpers/cli.js";
import { NIX_ENV, nixEvalDrv, nixEvalSet, RELATIVE_INPUTS_FROM_PARENT } from "../helpers/nix.js";
import { processesWith } from "../helpers/proc.js";
import { fixtures, type Repo } from "../helpers/repo.js";

const made = fixtures();
afterAll(made.cleanup);
const fixture = (source: string): Repo => made.make(source);
const infra = (repo: Repo, ...args: string[]) =>
  runInfra([...args, "--repo", repo.dir, "--cache-dir", `${repo.dir}.cache`]);

// biome-ignore lint/suspicious/noExplicitAny: JSON from the CLI
type Host = any;

/** Every evaluated target's drvPath equals plain `nix eval` of the same flake and attribute. */
function expectAllMatchNixEval(repo: Repo, result: CliResult) {
  expect(result.json.hosts.length).toBeGreaterThan(0);
  for (const h of result.json.hosts as Host[]) {
    const flakeDir = h.flake === "." ? repo.dir : `${repo.dir}/${h.flake}`;
    const truth = nixEvalDrv(flakeDir, h.attr);
    expect({ name: h.name, drvPath: h.drvPath }).toEqual({ name: h.name, drvPath: truth.drvPath });
  }
}

describe("infra hosts", () => {
  it("lists every configuration of examples/fleet with kind and attribute path", async () => {
    const repo = fixture("examples/fleet");
    const r = await infra(repo, "hosts", "--json");
    expect(r.exitCode).toBe(0);
    expect(r.json.hosts).toHaveLength(10);
    expect(r.json.hosts).toContainEqual({
      name: "web1",
      kind: "nixos",
      flake: ".",
      attr: "nixosConfigurations.web1.config.system.build.toplevel",
    });
    expect(r.json.hosts).toContainEqual({
      name: "macbook",
      kind: "darwin",
      flake: ".",
      attr: "darwinConfigurations.macbook.system",
    });
    expect(r.json.hosts).toContainEqual({
      name: "alice@laptop",
      kind: "home",
      flake: ".",
      attr: 'homeConfigurations."alice@laptop".activationPackage',
    });
  });

  it("lists both flakes of a monorepo, qualifying the names they share", async () => {
    const repo = fixture("test/fixtures/monorepo");
    const r = await infra(repo, "hosts", "--json");
    expect(r.exitCode).toBe(0);
    const names = r.json.hosts.map((h: Host) => `${h.name} ${h.flake}`).sort();
    expect(names).toEqual(["api1 flake-a", "batch1 flake-b", "flake-a#web1 flake-a", "flake-b#web1 flake-b"]);
  });
});

describe("infra eval equals nix eval", () => {
  it("on the monorepo (two flakes, a shared file outside both, a path input)", async () => {
    const repo = fixture("test/fixtures/monorepo");
    const r = await infra(repo, "eval", "--json");
    expect(r.exitCode).toBe(0);
    expectAllMatchNixEval(repo, r);
    // The two web1 are different hosts.
    const webs = r.json.hosts.filter((h: Host) => h.name.endsWith("#web1"));
    expect(new Set(webs.map((h: Host) => h.drvPath)).size).toBe(2);
    // A change to the shared file re-evaluates hosts of both flakes.
    repo.append("common/base.nix", "\n# shared by both flakes\n");
    const again = await infra(repo, "eval", "--json");
    expectAllMatchNixEval(repo, again);
  });

  it("on examples/fleet with a clean tree and with a dirty one (the self host sees rev, then none)", async () => {
    const repo = fixture("examples/fleet");
    let r = await infra(repo, "eval", "--json");
    expect(r.exitCode).toBe(0);
    expectAllMatchNixEval(repo, r);
    const cleanWeb3 = r.json.hosts.find((h: Host) => h.name === "web3");
    repo.append("modules/ssh.nix", "\n# uncommitted\n");
    r = await infra(repo, "eval", "--json");
    expectAllMatchNixEval(repo, r);
    const dirtyWeb3 = r.json.hosts.find((h: Host) => h.name === "web3");
    expect(dirtyWeb3.drvPath).not.toBe(cleanWeb3.drvPath);
    expect(dirtyWeb3.dependencies).toContainEqual({ kind: "git", path: "HEAD" });
    expect(dirtyWeb3.dependencies).toContainEqual({ kind: "tree", path: "." });
    // Committing changes HEAD and makes the tree clean again: web3 must follow.
    repo.commit("ssh comment");
    r = await infra(repo, "eval", "--json");
    expectAllMatchNixEval(repo, r);
    expect(r.json.hosts.find((h: Host) => h.name === "web3").status).toBe("evaluated");
  });

  it("in exact mode (nix eval on a store copy) for every target of examples/fleet, dirty tree", async () => {
    const repo = fixture("examples/fleet");
    repo.append("modules/users.nix", "\n# dirty\n");
    const r = await infra(repo, "eval", "--json", "--exact");
    expect(r.exitCode).toBe(0);
    expect(r.json.hosts.every((h: Host) => h.mode === "exact")).toBe(true);
    expectAllMatchNixEval(repo, r);
    // Exact results are cached like any other: a second plain run answers from them.
    const again = await infra(repo, "eval", "--json");
    expect(again.json.summary.cached).toBe(10);
  });

  it("on the layering fixture and the good hosts of the broken fixture", async () => {
    for (const source of ["test/fixtures/layering", "test/fixtures/broken"]) {
      const repo = fixture(source);
      const r = await infra(repo, "eval", "--json", "good1", "good2");
      const hosts = source.endsWith("broken") ? r : await infra(repo, "eval", "--json");
      expect(hosts.exitCode).toBe(0);
      expectAllMatchNixEval(repo, hosts);
    }
  });
});

describe("path inputs", () => {
  it("bumping one input in flake.lock re-evaluates only the hosts that read it", async () => {
    const repo = fixture("test/fixtures/path-input");
    let r = await infra(repo, "eval", "--json");
    expect(r.exitCode).toBe(0);
    expectAllMatchNixEval(repo, r);
    expect(r.json.hosts.find((h: Host) => h.name === "alpha").dependencies).toContainEqual({
      kind: "input",
      path: "flake.lock#netlib",
    });
    // Change the vendored library and re-lock just that input, as a user would.
    repo.append("vendor/netlib/firewall-helper.sh", "\n# v2\n");
    execFileSync("nix", ["flake", "lock", "--update-input", "netlib"], {
      cwd: repo.dir,
      env: NIX_ENV,
      stdio: "pipe",
    });
    repo.commit("bump netlib");
    r = await infra(repo, "eval", "--json");
    expectAllMatchNixEval(repo, r);
    const evaluated = r.json.hosts
      .filter((h: Host) => h.status === "evaluated")
      .map((h: Host) => h.name)
      .sort();
    // Nix >= 2.26: gamma's dotfiles are a folder of the (changed) source tree, so it changes too.
    expect(evaluated).toEqual(RELATIVE_INPUTS_FROM_PARENT ? ["alpha", "beta", "gamma"] : ["alpha", "beta"]);
  });
});

describe("broken hosts", () => {
  it("fail one by one with the file and line, as nix eval does, without stopping the others", async () => {
    const repo = fixture("test/fixtures/broken");
    const r = await infra(repo, "eval", "--json", "--timeout", "4", "--max-memory", "300");
    expect(r.exitCode).toBe(1);
    const by = new Map<string, Host>(r.json.hosts.map((h: Host) => [h.name, h]));
    expect(by.get("good1").status).toBe("evaluated");
    expect(by.get("good2").status).toBe("evaluated");
    expect(by.get("syntax").error).toMatchObject({ file: "hosts/syntax/default.nix", line: 4, column: 24 });
    expect(by.get("syntax").error.message).toMatch(/syntax error/);
    expect(by.get("recursion").error).toMatchObject({ file: "hosts/recursion/default.nix", line: 4 });
    expect(by.get("recursion").error.message).toMatch(/infinite recursion/);
    expect(by.get("missing").error).toMatchObject({ file: "hosts/missing/default.nix", line: 7, column: 45 });
    expect(by.get("missing").error.message).toMatch(/attribute 'domian' missing/);
    expect(by.get("hang").error.code).toBe("E_TIMEOUT");
    expect(by.get("hang").error.hints.join(" ")).toMatch(/--timeout/);
    expect(by.get("hog").error.code).toBe("E_MEMORY");
    expect(by.get("hog").error.hints.join(" ")).toMatch(/--max-memory/);
    for (const name of ["syntax", "recursion", "missing", "untracked"]) {
      expect(nixEvalDrv(repo.dir, by.get(name).attr).error).toBeDefined();
    }
    // No nix process outlives the run (the endless and the greedy ones were killed).
    // Read from /proc: slim images have no `ps`.
    const left = processesWith(repo.dir).join("\n");
    expect(left.trim()).toBe("");
  });

  it("a host reading an untracked file fails as nix eval does, until the file is added", async () => {
    const repo = fixture("test/fixtures/broken");
    let r = await infra(repo, "eval", "--json", "untracked");
    expect(r.json.hosts[0].status).toBe("failed");
    // Present but untracked: still invisible to nix eval, so still failing.
    repo.write("hosts/untracked/local.conf", "listen 8080\n");
    r = await infra(repo, "eval", "--json", "untracked");
    expect(r.json.hosts[0].status).toBe("failed");
    expect(r.json.hosts[0].error.message).toMatch(/local\.conf/);
    expect(r.json.hosts[0].error.hints.join(" ")).toMatch(/git add/);
    expect(nixEvalDrv(repo.dir, r.json.hosts[0].attr).error).toMatch(/local\.conf/);
    repo.git("add", "hosts/untracked/local.conf");
    r = await infra(repo, "eval", "--json", "untracked");
    expect(r.json.hosts[0].status).toBe("evaluated");
    expectAllMatchNixEval(repo, r);
  });
});

describe("bad input gives a short error and the right exit code", () => {
  it("a folder without a flake: exit 2, a hint, no stack trace", async () => {
    const repo = fixture("test/fixtures/broken-flake");
    repo.remove("flake.nix");
    repo.git("add", "-A");
    const r = await infra(repo, "hosts");
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/no flake\.nix in/);
    expect(r.stderr).toMatch(/hint:/);
    expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
  });

  it("a flake.nix that does not parse: exit 1 naming the file and line", async () => {
    const repo = fixture("test/fixtures/broken-flake");
    const r = await infra(repo, "hosts");
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/flake\.nix:5:73: syntax error/);
    expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
  });

  it("a bad flag, a bad number and an unknown name: exit 2", async () => {
    const repo = fixture("test/fixtures/monorepo");
    for (const args of [
      ["eval", "--frobnicate"],
      ["eval", "--jobs", "zero"],
      ["eval", "nosuchhost"],
    ]) {
      const r = await infra(repo, ...args);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/error:/);
      expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    }
    expect((await infra(repo, "eval", "web1")).stderr).toMatch(/ambiguous: flake-a#web1, flake-b#web1/);
  });

  it("an invalid infra.json: exit 2 naming file, line and setting", async () => {
    const repo = fixture("test/fixtures/monorepo");
    repo.write("infra.json", '{\n  "limits": { "timeoutSeconds": "soon" }\n}\n');
    const r = await infra(repo, "hosts");
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/infra\.json:2:\d+: limits\.timeoutSeconds: .*number/);
  });

  it("a host name that would be Nix code stays a name", async () => {
    const repo = fixture("test/fixtures/broken-flake");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal ${ is the attack being tested
    const evil = 'x"; y = builtins.abort "injected"; z = "${builtins.abort "interpolated"}';
    // Nix spelling of that name: a string literal with the quote, backslash and ${ escaped.
    const literal = `"${evil.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\$\{/g, "\\${")}"`;
    repo.write(
      "flake.nix",
      `{
  outputs = { self }: {
    nixosConfigurations.${literal}.config.system.build.toplevel =
      derivation { name = "evil"; system = "x86_64-linux"; builder = "/bin/sh"; };
  };
}
`,
    );
    repo.commit("hostile name");
    const listed = await infra(repo, "hosts", "--json");
    if (listed.exitCode !== 0) throw new Error(listed.stderr);
    expect(listed.json.hosts.map((h: Host) => h.name)).toEqual([evil]);
    const r = await infra(repo, "eval", "--json", evil);
    expect(r.exitCode).toBe(0);
    expect(r.json.hosts[0].drvPath).toMatch(/-evil\.drv$/);
    expect(r.json.hosts[0].drvPath).toBe(
      nixEvalSet(repo.dir, "nixosConfigurations", "config.system.build.toplevel")[evil],
    );
    // The exact path (nix eval itself) must select the same target.
    const exact = await infra(repo, "eval", "--json", "--exact", evil);
    expect(exact.json.hosts[0]).toMatchObject({ mode: "exact", drvPath: r.json.hosts[0].drvPath });
  });
});
