// `infra secrets` on a fleet with both backends: every status from a real case, each fixed the
// way a user would, and no plaintext anywhere infra writes or prints.
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSshPublicKey, sshToAgeRecipient } from "../../engine/secrets/ssh-keys.js";
import { type CliResult, runInfra } from "../helpers/cli.js";
import { fixtures, type Repo, ROOT } from "../helpers/repo.js";
import { envelope, sopsYaml } from "../unit/engine/secrets/helpers/sops-docs.js";
import { age, requireTools, sshKeygen, tempDir } from "../unit/engine/secrets/helpers/tools.js";

const CANARY = "INFRA-PLAINTEXT-CANARY-7f3e";
const made = fixtures();
const keys = tempDir("infra-secrets-it-");
afterAll(() => {
  made.cleanup();
  keys.remove();
});

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON
type Json = any;
let repo: Repo;
const outputs: string[] = [];
const infra = async (...args: string[]): Promise<CliResult> => {
  const r = await runInfra([...args, "--repo", repo.dir, "--cache-dir", `${repo.dir}.cache`], {
    cwd: repo.dir,
  });
  outputs.push(r.stdout, r.stderr);
  return r;
};
const statusOf = (json: Json) =>
  Object.fromEntries((json.results as Json[]).map((r) => [`${r.host}/${r.name}`, r.status]));
const pub = (host: string) => repo.read(`hosts/${host}/ssh_host_ed25519_key.pub`).trim();
const recipientOf = (line: string) => {
  const parsed = parseSshPublicKey(line);
  if (!parsed.ok) throw new Error(parsed.error);
  return sshToAgeRecipient(parsed.key)!;
};
const alice = () => repo.read("admins/alice.recipient").trim();
/** A value encrypted with the real age, as agenix does: SSH public keys are recipients as they are. */
const ageFor = (lines: string[]) =>
  age(["-a", ...lines.flatMap((l) => ["-r", l])], `${CANARY} fresh\n`).toString();

beforeAll(() => {
  requireTools();
  repo = made.make("test/fixtures/secrets-fleet");
  writeFileSync(
    repo.path("infra.json"),
    JSON.stringify({ secrets: { admins: { alice: ["admins/alice.pub", "admins/alice.recipient"] } } }),
  );
  repo.commit("admins");
});

describe("infra secrets", () => {
  it("produces every status from a real case, naming host, secret, file and the fix", async () => {
    // untracked: the DKIM key now exists, but git does not know it.
    writeFileSync(repo.path("secrets/dkim.age"), ageFor([repo.read("admins/alice.recipient").trim()]));
    const r = await infra("secrets", "--json");
    expect(r.exitCode).toBe(1);
    const expected = JSON.parse(
      readFileSync(join(ROOT, "test/fixtures/secrets-fleet/expected.json"), "utf8"),
    );
    expect(statusOf(r.json)).toEqual({ ...expected.results, "mail1/dkim": "untracked" });
    const seen = new Set((r.json.results as Json[]).map((x) => x.status));
    for (const status of ["ok", "untracked", "plaintext", "not-for-host", "no-such-key", "unknown-host-key"])
      expect(seen.has(status), status).toBe(true);
    repo.remove("secrets/dkim.age");
    const missing = await infra("secrets", "--json", "mail1");
    expect(statusOf(missing.json)["mail1/dkim"]).toBe("missing");
    for (const x of r.json.results as Json[]) {
      if (x.status === "ok") continue;
      expect(x.detail, `${x.host}/${x.name}`).toContain(x.file);
      expect(x.detail.length).toBeGreaterThan(20);
    }
    // The graph: host → secret → file, each secret with its status.
    const graph = (await infra("graph", "--format", "json")).json;
    const node = (key: string) => (graph.nodes as Json[]).find((n) => n.key === key)?.attributes;
    const edge = (source: string, target: string) =>
      (graph.edges as Json[]).find((e) => e.source === source && e.target === target)?.attributes.kind;
    expect(node("secret:secrets/job-token.age")).toMatchObject({
      kind: "secret",
      backend: "agenix",
      secretStatus: "not-for-host",
      checks: "worker1 not-for-host",
    });
    expect(node("secret:secrets/web.yaml#tls/key")).toMatchObject({
      secretStatus: "not-for-host",
      secretKey: "tls/key",
    });
    expect(node("secret:secrets/db.yaml#postgres/replication")).toMatchObject({
      secretStatus: "ok",
      checks: "db1 ok",
    });
    expect(node("secret:secrets/web.yaml#tls/key")?.checks).toBe("web1 ok, web2 not-for-host");
    expect(edge("host:worker1", "secret:secrets/job-token.age")).toBe("declares");
    expect(edge("secret:secrets/job-token.age", "path:secrets/job-token.age")).toBe("stored-in");
    expect(node("path:secrets/job-token.age")).toMatchObject({ kind: "secret-file", exists: true });
    const human = await infra("secrets");
    expect(human.stdout).toMatch(/✗ web2 \/ tls-key: .*sops updatekeys secrets\/web\.yaml/);
    expect(human.stdout).toMatch(/✗ worker1 \/ job-token: .*agenix --rekey/);
  });

  it("passes once each problem is fixed as a user would, and answers from the cache", async () => {
    // no-such-key: point the declaration at a key the file has.
    repo.write(
      "hosts/db1/default.nix",
      repo.read("hosts/db1/default.nix").replace('"postgres/backup"', '"postgres/password"'),
    );
    // not-for-host (sops): re-encrypt for the recipients .sops.yaml lists (what `sops updatekeys` does).
    const webRecipients = [alice(), recipientOf(pub("web1")), recipientOf(pub("web2"))];
    repo.write(
      "secrets/web.yaml",
      sopsYaml(
        { tls: { key: envelope(), cert: envelope() } },
        { keyGroups: [{ age: webRecipients.map((recipient) => ({ recipient })) }] },
      ),
    );
    // plaintext (sops): encrypt it.
    const workerRecipients = [alice(), recipientOf(pub("worker1"))];
    repo.write(
      "secrets/leaked.yaml",
      sopsYaml({ token: envelope() }, { age: workerRecipients.map((recipient) => ({ recipient })) }),
    );
    // not-for-host and plaintext (agenix): encrypt for what secrets.nix says.
    repo.write("secrets/job-token.age", ageFor([alice(), pub("worker1")]));
    repo.write("secrets/legacy.age", ageFor([alice(), pub("worker1")]));
    // unknown-host-key: keyscan the new box; then give it its secrets.
    const mail = sshKeygen(keys.path, "mail1");
    repo.write("hosts/mail1/ssh_host_ed25519_key.pub", `${mail.publicLine}\n`);
    repo.write(
      "secrets/mail.yaml",
      sopsYaml(
        { smtp: { password: envelope() } },
        { age: [alice(), recipientOf(mail.publicLine)].map((recipient) => ({ recipient })) },
      ),
    );
    repo.write("secrets/dkim.age", ageFor([alice(), mail.publicLine]));
    repo.write(
      "secrets/secrets.nix",
      repo
        .read("secrets/secrets.nix")
        .replace(
          '"dkim.age".publicKeys = admins;',
          `"dkim.age".publicKeys = admins ++ [ "${mail.publicLine}" ];`,
        ),
    );
    repo.git("add", "-A");
    const r = await infra("secrets", "--json");
    expect((r.json.results as Json[]).filter((x) => x.status !== "ok")).toEqual([]);
    expect(r.json.problems).toEqual([]);
    expect(r.exitCode).toBe(0);
    // Declarations come from the cache the second time: no nix process.
    const again = await infra("secrets", "--json");
    expect(again.exitCode).toBe(0);
    expect(again.stderr).not.toMatch(/evaluated/);
  });

  it("reports bad input clearly and still checks the other hosts", async () => {
    const before = repo.read("secrets/secrets.nix");
    const sops = repo.read(".sops.yaml");
    try {
      repo.write("secrets/secrets.nix", "{ broken = ; }\n");
      repo.write(".sops.yaml", "creation_rules:\n  - path_regex: [unclosed\n");
      // A secret path outside the repository, a symlink out of it, a 2 GB file.
      repo.write(
        "hosts/web1/default.nix",
        repo
          .read("hosts/web1/default.nix")
          .replace(
            /}\s*$/,
            `  age.secrets.outside.file = /etc/hostname;\n  age.secrets.linked.file = ../../secrets/linked.age;\n  age.secrets.huge.file = ../../secrets/huge.age;\n}\n`,
          ),
      );
      symlinkSync("/etc/passwd", repo.path("secrets/linked.age"));
      execFileSync("truncate", ["-s", "2G", repo.path("secrets/huge.age")]);
      repo.git("add", "-A");
      const started = Date.now();
      const r = await infra("secrets", "--json");
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(r.exitCode).toBe(1);
      const where = (r.json.problems as Json[]).map((p) => p.where).join(" ");
      expect(where).toMatch(/secrets\/secrets\.nix/);
      expect(where).toMatch(/\.sops\.yaml/);
      const status = statusOf(r.json);
      expect(status["web1/outside"]).toBe("invalid");
      expect(status["web1/linked"]).toBe("invalid");
      expect(status["web1/huge"]).toBe("invalid");
      // The other hosts are still checked.
      expect(status["db1/db-password"]).toBe("ok");
    } finally {
      repo.write("secrets/secrets.nix", before);
      repo.write(".sops.yaml", sops);
    }
  });

  it("writes the secret browser and never lets a value reach the cache, an export, the page or any output", async () => {
    const page = join(`${repo.dir}.cache`, "secrets.html");
    const r = await infra("secrets", "--out", page);
    expect(r.stdout).toMatch(/wrote .*secrets\.html/);
    await infra("graph", "--format", "json");
    for (const format of ["dot", "mermaid", "graphml", "gexf", "html"])
      await infra("graph", "--format", format);
    await infra("eval", "--json");
    await infra("ci", "--json");
    const files: string[] = [page];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else files.push(path);
      }
    };
    walk(`${repo.dir}.cache`);
    expect(files.some((f) => f.endsWith("data.mdb"))).toBe(true);
    for (const file of files) expect(readFileSync(file).includes(CANARY), file).toBe(false);
    for (const text of outputs) expect(text.includes(CANARY)).toBe(false);
    // grep, as the issue says, over the cache folder and the page.
    const grep = spawnSync("grep", ["-r", "-l", "-a", CANARY, `${repo.dir}.cache`], { encoding: "utf8" });
    expect(grep.stdout).toBe("");
  });
});
