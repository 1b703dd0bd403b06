// `infra new host` on real Nix, ssh-keygen and git: the new host is written in the repository's
// own layout, listed, keyed, added to the recipients, staged and evaluated exactly as
// `nix eval` does; a second run, a clash or bad input writes nothing at all.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseSopsConfig } from "../../engine/secrets/sops-config.js";
import { requireSshPublicKey, sshToAgeRecipient } from "../../engine/secrets/ssh-keys.js";
import { runInfra } from "../helpers/cli.js";
import { NIX_ENV, nixEvalDrv } from "../helpers/nix.js";
import { fixtures, type Repo } from "../helpers/repo.js";

const made = fixtures();
const keysRoot = mkdtempSync(join(tmpdir(), "infra-keys-"));
afterAll(() => {
  made.cleanup();
  rmSync(keysRoot, { recursive: true, force: true });
  for (const repo of caches) rmSync(repo, { recursive: true, force: true });
});
const caches: string[] = [];

const infra = (repo: Repo, ...args: string[]) => {
  caches.push(`${repo.dir}.cache`);
  // Before a `--`: what follows it is the name, whatever it looks like.
  const end = args.includes("--") ? args.indexOf("--") : args.length;
  const common = ["--repo", repo.dir, "--cache-dir", `${repo.dir}.cache`];
  return runInfra([...args.slice(0, end), ...common, ...args.slice(end)], {
    cwd: repo.dir,
    env: { XDG_DATA_HOME: keysRoot },
  });
};

/** Every file under `dir` (but .git), with its content's hash, and git's index: what a refusal must not change. */
function fingerprint(repo: Repo): string {
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(dir, entry.name);
      if (entry.name === ".git") continue;
      if (entry.isDirectory()) walk(path);
      else hash.update(`${relative(repo.dir, path)}\0${readFileSync(path).toString("base64")}\0`);
    }
  };
  walk(repo.dir);
  hash.update(repo.git("ls-files", "--stage"));
  hash.update(repo.git("status", "--porcelain"));
  return hash.digest("hex");
}

/** Every file under `dir`, relative, sorted (empty when it does not exist). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

const porcelain = (repo: Repo) => repo.git("status", "--porcelain").split("\n").filter(Boolean).sort();

describe("infra new host on examples/fleet (hosts auto-discovered, agenix)", () => {
  const repo = made.make("examples/fleet");

  it("writes db3 like db1: listed, evaluated as nix eval does, in secrets.nix, keyed outside the repo, staged", async () => {
    const r = await infra(repo, "new", "host", "db3", "--like", "db1", "--json");
    expect(r.exitCode, r.stderr).toBe(0);
    const report = r.json;
    expect(report).toMatchObject({
      name: "db3",
      kind: "nixos",
      like: "db1",
      recipientsUpdated: ["secrets/secrets.nix"],
    });
    expect([...report.written].sort()).toEqual([
      "hosts/db3/default.nix",
      "hosts/db3/hardware.nix",
      "hosts/db3/ssh_host_ed25519_key.pub",
      "secrets/secrets.nix",
    ]);
    expect(report.listing).toEqual({ how: "auto" });
    expect(report.rekey).toEqual([
      { secret: "db-password", file: "secrets/db-password.age", command: "agenix --rekey", cwd: "secrets" },
    ]);

    // Listed and evaluated: the same drvPath as nix eval of the new tree.
    const hosts = await infra(repo, "hosts", "--json");
    expect(hosts.json.hosts.map((h: { name: string }) => h.name)).toContain("db3");
    const judge = nixEvalDrv(repo.dir, "nixosConfigurations.db3.config.system.build.toplevel");
    expect(judge.error).toBeUndefined();
    expect(report.evaluation).toEqual({ status: "evaluated", drvPath: judge.drvPath });
    const evaluated = await infra(repo, "eval", "db3", "--json");
    expect(evaluated.json.hosts[0].drvPath).toBe(judge.drvPath);

    // The host file is db1's with its name replaced; the key is new.
    expect(repo.read("hosts/db3/default.nix")).toBe(
      repo.read("hosts/db1/default.nix").replaceAll("db1", "db3"),
    );
    const pub = repo.read("hosts/db3/ssh_host_ed25519_key.pub").trim();
    expect(pub).toMatch(/^ssh-ed25519 \S+ root@db3$/);
    expect(pub).not.toBe(repo.read("hosts/db1/ssh_host_ed25519_key.pub").trim());

    // secrets.nix, as agenix reads it: db3's key among db-password.age's recipients.
    const rules = JSON.parse(
      execFileSync("nix-instantiate", ["--eval", "--strict", "--json", repo.path("secrets/secrets.nix")], {
        env: NIX_ENV,
        encoding: "utf8",
      }),
    );
    const key = pub.split(" ").slice(0, 2).join(" ");
    expect(rules["db-password.age"].publicKeys).toContain(key);
    expect(rules["api-token.age"].publicKeys).not.toContain(key);
    expect(repo.read("secrets/secrets.nix")).toContain(`  db3 = "${key}";\n`);

    // infra secrets: not encrypted for db3 yet, agenix --rekey is the fix.
    const secrets = await infra(repo, "secrets", "db3", "--json");
    expect(secrets.exitCode).toBe(1);
    const verdict = secrets.json.results.find((x: { host: string; name: string }) => x.host === "db3");
    expect(verdict).toMatchObject({ name: "db-password", status: "not-for-host" });
    expect(verdict.detail).toMatch(/`agenix --rekey`/);

    // The private key is only in the key folder; nothing in the repository holds one.
    expect(report.hostKey.public).toBe("hosts/db3/ssh_host_ed25519_key.pub");
    expect(report.hostKey.private).toBe(
      join(keysRoot, "infra", "host-keys", basename(repo.dir), "db3", "ssh_host_ed25519_key"),
    );
    expect(readFileSync(report.hostKey.private, "utf8")).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    expect(statSync(report.hostKey.private).mode & 0o077).toBe(0);
    expect(readFileSync(`${report.hostKey.private}.pub`, "utf8").trim()).toBe(pub);
    const holders = filesUnder(repo.dir).filter(
      (f) => !f.startsWith(".git/") && readFileSync(repo.path(f), "utf8").includes("PRIVATE KEY"),
    );
    expect(holders).toEqual([]);

    // Staged: exactly what it wrote.
    expect(porcelain(repo)).toEqual([
      "A  hosts/db3/default.nix",
      "A  hosts/db3/hardware.nix",
      "A  hosts/db3/ssh_host_ed25519_key.pub",
      "M  secrets/secrets.nix",
    ]);
  });

  it("refuses to run twice, and a name whose folder exists, changing nothing", async () => {
    const before = fingerprint(repo);
    const keysBefore = filesUnder(keysRoot);
    const again = await infra(repo, "new", "host", "db3", "--like", "db1");
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/db3 is already a target/);
    // A leftover folder (untracked, so not a target): refused before anything is written.
    repo.write("hosts/db4/notes.txt", "left over\n");
    const withFolder = fingerprint(repo);
    const clash = await infra(repo, "new", "host", "db4", "--like", "db1");
    expect(clash.exitCode).toBe(2);
    expect(clash.stderr).toMatch(/hosts\/db4 already exists/);
    expect(fingerprint(repo)).toBe(withFolder);
    repo.remove("hosts/db4");
    expect(fingerprint(repo)).toBe(before);
    expect(filesUnder(keysRoot)).toEqual(keysBefore);
  });
});

describe("a new host that does not evaluate", () => {
  it("keeps what was written, staged, says why, and exits 1", async () => {
    const repo = made.make("examples/fleet");
    // db2 reads a secret of its own folder, which is never copied.
    repo.write("hosts/db2/token.age", "age-encryption.org/v1\n-> X25519 abc\nxyz\n--- abc\n");
    repo.write(
      "hosts/db2/default.nix",
      repo
        .read("hosts/db2/default.nix")
        .replace(
          'settings.hot_standby = "on";',
          'settings.hot_standby = "on";\n    settings.token = builtins.readFile ./token.age;',
        ),
    );
    repo.commit("db2 reads a token");
    const r = await infra(repo, "new", "host", "db4", "--like", "db2", "--json");
    expect(r.exitCode).toBe(1);
    expect(r.json.evaluation).toMatchObject({ status: "failed", drvPath: null });
    expect(r.json.evaluation.error).toMatch(/hosts\/db4\/token\.age/);
    expect(r.json.skipped).toContainEqual({ path: "hosts/db2/token.age", reason: "an age-encrypted secret" });
    expect(r.json.notes.join("\n")).toMatch(/hosts\/db2\/token\.age was not copied/);
    expect(porcelain(repo)).toContain("A  hosts/db4/default.nix");
    expect(existsSync(repo.path("hosts/db4/token.age"))).toBe(false);
  });
});

describe("infra new host on test/fixtures/secrets-fleet (sops and agenix)", () => {
  it("adds web3's age recipient to web1's creation rules, comments and layout kept", async () => {
    const repo = made.make("test/fixtures/secrets-fleet");
    const sopsBefore = repo.read(".sops.yaml");
    const r = await infra(repo, "new", "host", "web3", "--like", "web1", "--json");
    expect(r.exitCode, r.stderr).toBe(0);
    expect([...r.json.recipientsUpdated].sort()).toEqual([".sops.yaml", "secrets/secrets.nix"]);
    const recipient = sshToAgeRecipient(
      requireSshPublicKey(repo.read("hosts/web3/ssh_host_ed25519_key.pub"), "web3"),
    )!;
    const web1 = sshToAgeRecipient(
      requireSshPublicKey(repo.read("hosts/web1/ssh_host_ed25519_key.pub"), "web1"),
    )!;

    const sopsAfter = repo.read(".sops.yaml");
    const before = parseSopsConfig(sopsBefore, ".sops.yaml").rules;
    const after = parseSopsConfig(sopsAfter, ".sops.yaml").rules;
    for (const [i, rule] of before.entries()) {
      const had = rule.age.some((a) => a.recipient === web1);
      expect(
        after[i]!.age.some((a) => a.recipient === recipient),
        `rule ${i}`,
      ).toBe(had);
      if (!had) expect(after[i]!.age.map((a) => a.recipient)).toEqual(rule.age.map((a) => a.recipient));
    }
    // Every line but the edited rule's list is kept, comments included; one anchored key added.
    const added = sopsAfter.split("\n").filter((l) => !sopsBefore.split("\n").includes(l));
    const removed = sopsBefore.split("\n").filter((l) => !sopsAfter.split("\n").includes(l));
    expect(added).toEqual([`  - &web3 ${recipient}`, "      - age: [*alice, *web1, *web3, *web2]"]);
    expect(removed).toEqual(["      - age: [*alice, *web1, *web2]"]);

    const rekey = r.json.rekey
      .map((s: { secret: string; command: string }) => `${s.secret}: ${s.command}`)
      .sort();
    expect(rekey).toEqual([
      "api-token: agenix --rekey",
      "tls-cert: sops updatekeys secrets/web.yaml",
      "tls-key: sops updatekeys secrets/web.yaml",
    ]);
    const judge = nixEvalDrv(repo.dir, "nixosConfigurations.web3.config.system.build.toplevel");
    expect(r.json.evaluation.drvPath).toBe(judge.drvPath);
    expect(porcelain(repo)).toEqual([
      "A  hosts/web3/default.nix",
      "A  hosts/web3/ssh_host_ed25519_key.pub",
      "M  .sops.yaml",
      "M  secrets/secrets.nix",
    ]);
  });
});

describe("infra new host where the flake lists its hosts one by one", () => {
  it("adds the listing line beside the like host's, and the new host evaluates", async () => {
    const repo = made.make("test/fixtures/path-input");
    const flake = repo.read("flake.nix");
    const r = await infra(repo, "new", "host", "epsilon", "--like", "alpha", "--json");
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.listing).toEqual({ how: "edit", file: "flake.nix", line: 36 });
    expect(repo.read("flake.nix")).toBe(
      flake.replace(
        'alpha = mkHost "alpha";\n',
        'alpha = mkHost "alpha";\n        epsilon = mkHost "epsilon";\n',
      ),
    );
    expect(repo.read("hosts/epsilon.nix")).toBe(repo.read("hosts/alpha.nix").replaceAll("alpha", "epsilon"));
    const judge = nixEvalDrv(repo.dir, "nixosConfigurations.epsilon.config.system.build.toplevel");
    expect(judge.error).toBeUndefined();
    expect(r.json.evaluation).toEqual({ status: "evaluated", drvPath: judge.drvPath });
    expect(porcelain(repo)).toEqual([
      "A  hosts/epsilon.nix",
      "A  hosts/epsilon/ssh_host_ed25519_key.pub",
      "M  flake.nix",
    ]);
  });

  it("refuses a listing spread over lines, naming them, and writes nothing", async () => {
    const repo = made.make("test/fixtures/path-input");
    repo.write(
      "flake.nix",
      repo.read("flake.nix").replace('alpha = mkHost "alpha";', 'alpha =\n          mkHost "alpha";'),
    );
    repo.commit("alpha on two lines");
    const before = fingerprint(repo);
    const r = await infra(repo, "new", "host", "epsilon", "--like", "alpha");
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/flake\.nix:36: alpha =[\s\S]*flake\.nix:37: mkHost "alpha";/);
    expect(fingerprint(repo)).toBe(before);
    expect(filesUnder(join(keysRoot, "infra", "host-keys", basename(repo.dir)))).toEqual([]);
  });
});

describe("bad input", () => {
  const repo = made.make("examples/fleet");

  it("refuses names with shell or Nix syntax or a leading '-', an unknown --like, and a key folder git would commit", async () => {
    const before = fingerprint(repo);
    for (const name of ["a;b", "$(touch pwned)", 'db1"', "../x", "a b", "x/y", "-rf"]) {
      // After `--`, so that a leading '-' reaches infra as the name rather than as an option.
      const r = await infra(repo, "new", "host", "--json", "--", name);
      expect({ name, exitCode: r.exitCode }).toEqual({ name, exitCode: 2 });
      expect(r.stderr).toMatch(/is not a usable host name/);
    }
    const option = await infra(repo, "new", "host", "-rf");
    expect(option.exitCode).toBe(2);
    const unknown = await infra(repo, "new", "host", "db3", "--like", "db7");
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/no target named 'db7'[\s\S]*Did you mean db1, db2/);
    const inside = await infra(repo, "new", "host", "db3", "--like", "db1", "--key-dir", repo.path("keys"));
    expect(inside.exitCode).toBe(2);
    expect(inside.stderr).toMatch(/inside the repository and git does not ignore it/);
    // --kind picks the like host by kind: the Mac, whose listing infra will not edit by itself.
    const darwin = await infra(repo, "new", "host", "mini", "--kind", "darwin");
    expect(darwin.exitCode).toBe(2);
    expect(darwin.stderr).toMatch(/macbook is named on 2 lines[\s\S]*flake\.nix:\d+:/);
    expect(fingerprint(repo)).toBe(before);
    expect(existsSync(repo.path("pwned"))).toBe(false);
  });

  it("puts the private key in a key folder inside the repository only where git ignores it", async () => {
    repo.write(".gitignore", "/keys/\n");
    repo.commit("ignore keys");
    const r = await infra(repo, "new", "host", "db5", "--like", "db1", "--key-dir", "keys/db5", "--json");
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.hostKey.private).toBe(repo.path("keys/db5/ssh_host_ed25519_key"));
    expect(porcelain(repo).filter((l) => l.includes("keys/"))).toEqual([]);
  });
});
