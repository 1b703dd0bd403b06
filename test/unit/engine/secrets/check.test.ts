// The whole check on a small repository made with the real tools: host keys from ssh-keygen,
// agenix files from `age -R`, sops files in sops' format with data keys wrapped by age.
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkSecrets } from "../../../../engine/secrets/check.js";
import { readDeclaredFiles } from "../../../../engine/secrets/read-header.js";
import { parseSopsConfig } from "../../../../engine/secrets/sops-config.js";
import { parseSshPublicKey, sshToAgeRecipient } from "../../../../engine/secrets/ssh-keys.js";
import type {
  SecretCheckInput,
  SecretCheckReport,
  SecretDeclaration,
} from "../../../../engine/secrets/types.js";
import { envelope, sopsYaml } from "./helpers/sops-docs.js";
import { age, ageKeygen, requireTools, type SshKeyPair, sshKeygen, tempDir } from "./helpers/tools.js";

const CANARY = "INFRA-PLAINTEXT-CANARY-7f3e";

let dir: { path: string; remove: () => void };
let report: SecretCheckReport;
let input: SecretCheckInput;
const keys: Record<string, SshKeyPair> = {};
const ageOf = (name: string) => {
  const parsed = parseSshPublicKey(keys[name]!.publicLine);
  if (!parsed.ok) throw new Error(parsed.error);
  return sshToAgeRecipient(parsed.key)!;
};

const declarations: SecretDeclaration[] = [
  { host: "web1", name: "api", backend: "agenix", file: "secrets/api.age", owner: "nginx", mode: "0400" },
  { host: "web2", name: "api", backend: "agenix", file: "secrets/api.age", mode: "0644" },
  { host: "rsa1", name: "api", backend: "agenix", file: "secrets/api.age" },
  { host: "db1", name: "db", backend: "agenix", file: "secrets/db.age" },
  { host: "db2", name: "db", backend: "agenix", file: "secrets/db.age" },
  { host: "db1", name: "new", backend: "agenix", file: "secrets/newhost.age" },
  { host: "web1", name: "norule", backend: "agenix", file: "secrets/norule.age" },
  { host: "db1", name: "viaage", backend: "agenix", file: "secrets/viaage.age" },
  { host: "web1", name: "plain", backend: "agenix", file: "secrets/plain.age" },
  { host: "web1", name: "untracked", backend: "agenix", file: "secrets/untracked.age" },
  { host: "web1", name: "damaged", backend: "agenix", file: "secrets/damaged.age" },
  { host: "web1", name: "missing", backend: "agenix", file: "secrets/missing.age" },
  { host: "web1", name: "escape", backend: "agenix", file: "../outside.age" },
  { host: "web1", name: "passwd", backend: "agenix", file: "secrets/passwd.age" },
  { host: "web1", name: "tls", backend: "sops", file: "secrets/web.yaml", key: "tls/key" },
  { host: "web1", name: "nope", backend: "sops", file: "secrets/web.yaml", key: "tls/nope" },
  { host: "web1", name: "dict", backend: "sops", file: "secrets/web.yaml", key: "tls" },
  { host: "web2", name: "tls", backend: "sops", file: "secrets/web.yaml", key: "tls/key" },
  { host: "mail1", name: "tls", backend: "sops", file: "secrets/web.yaml", key: "tls/key" },
  { host: "broken1", name: "tls", backend: "sops", file: "secrets/web.yaml", key: "tls/key" },
  { host: "rsa1", name: "tls", backend: "sops", file: "secrets/web.yaml", key: "tls/key" },
  { host: "db2", name: "pg", backend: "sops", file: "secrets/db.yaml", key: "postgres/password" },
  { host: "db1", name: "pg", backend: "sops", file: "secrets/db.yaml", key: "postgres/password" },
  { host: "db1", name: "other", backend: "sops", file: "secrets/other.yaml" },
  { host: "web1", name: "plainyaml", backend: "sops", file: "secrets/plain.yaml", key: "db/password" },
  { host: "web1", name: "leaky", backend: "sops", file: "secrets/leaky.yaml", key: "token" },
];

beforeAll(async () => {
  requireTools();
  dir = tempDir();
  const repo = join(dir.path, "repo");
  const s = (p: string) => join(repo, "secrets", p);
  mkdirSync(join(repo, "secrets"), { recursive: true });
  for (const name of ["web1", "web2", "db1", "db2", "alice", "old"]) keys[name] = sshKeygen(dir.path, name);
  keys.rsa1 = sshKeygen(dir.path, "rsa1", "rsa");
  const R = (...names: string[]) => names.flatMap((n) => ["-R", keys[n]!.publicPath]);

  writeFileSync(s("api.age"), age(R("web1", "web2", "rsa1", "alice"), CANARY));
  writeFileSync(s("db.age"), age(R("db1", "old"), CANARY));
  writeFileSync(s("newhost.age"), age(R("web1"), CANARY));
  writeFileSync(s("norule.age"), age(R("web2"), CANARY));
  writeFileSync(s("viaage.age"), age(["-r", ageOf("db1")], CANARY));
  writeFileSync(s("untracked.age"), age(R("web1"), CANARY));
  writeFileSync(s("orphan.age"), age(R("web1"), CANARY));
  writeFileSync(s("plain.age"), `${CANARY}\n`);
  const damaged = age(R("web1"), CANARY)
    .toString("latin1")
    .replace(/\n--- /, "\n---X ");
  writeFileSync(s("damaged.age"), Buffer.from(damaged, "latin1"));
  symlinkSync("/etc/passwd", s("passwd.age"));

  const admin = ageKeygen(dir.path, "alice-age").recipient;
  const sopsConfig = `creation_rules:
  - path_regex: secrets/web\\.yaml$
    age: ${ageOf("web1")},${ageOf("web2")},${admin}
  - path_regex: secrets/(db|leaky|plain)\\.yaml$
    age:
      - ${ageOf("db1")}
      - ${admin}
`;
  writeFileSync(join(repo, ".sops.yaml"), sopsConfig);
  const tls = { tls: { key: envelope(), cert: envelope() } };
  writeFileSync(s("web.yaml"), sopsYaml(tls, { age: [{ recipient: ageOf("web1") }, { recipient: admin }] }));
  writeFileSync(
    s("db.yaml"),
    sopsYaml(
      { postgres: { password: envelope() } },
      { age: [{ recipient: ageOf("db1") }, { recipient: admin }] },
    ),
  );
  writeFileSync(s("other.yaml"), sopsYaml({ other: envelope() }, { age: [{ recipient: ageOf("web1") }] }));
  writeFileSync(s("plain.yaml"), `db:\n  password: ${CANARY}\n`);
  writeFileSync(s("leaky.yaml"), sopsYaml({ token: CANARY }, { age: [{ recipient: ageOf("web1") }] }));

  const line = (n: string) => keys[n]!.publicLine;
  input = {
    declarations,
    files: await readDeclaredFiles(repo, declarations, {
      isTracked: (p) => p !== "secrets/untracked.age",
      extra: [{ path: "secrets/orphan.age", age: true }],
    }),
    hostKeys: {
      web1: { line: line("web1") },
      web2: { line: line("web2") },
      db1: { line: line("db1") },
      db2: { line: line("db2") },
      rsa1: { line: line("rsa1") },
      broken1: { line: "ssh-ed25519 AAAA", source: "hosts/broken1/ssh_host_ed25519_key.pub" },
    },
    admins: { alice: [line("alice"), admin] },
    agenix: {
      file: "secrets/secrets.nix",
      rules: {
        "api.age": { publicKeys: [line("web1"), line("web2"), line("rsa1"), line("alice")] },
        "db.age": { publicKeys: [line("db1"), line("db2"), line("alice")] },
        "newhost.age": { publicKeys: [line("web1")] },
        "viaage.age": { publicKeys: [ageOf("db1")] },
        "orphan.age": { publicKeys: [line("web1")] },
        "plain.age": { publicKeys: [line("web1")] },
      },
    },
    sopsConfig: parseSopsConfig(sopsConfig, ".sops.yaml"),
  };
  report = checkSecrets(input);
});
afterAll(() => dir.remove());

describe("one status per (host, secret)", () => {
  it.each<[string, string, string, RegExp]>([
    ["web1", "api", "ok", /web1 can decrypt secrets\/api\.age: its header has a stanza for web1's host key/],
    ["web2", "api", "ok", /tag/],
    ["rsa1", "api", "ok", /stanza for rsa1's host key/],
    ["db1", "db", "ok", /header/],
    [
      "db2",
      "db",
      "not-for-host",
      /secrets\/secrets\.nix lists db2 for "db\.age" but secrets\/db\.age was not re-encrypted since: run `agenix --rekey` in secrets\//,
    ],
    [
      "db1",
      "new",
      "not-for-host",
      /^run `agenix --rekey` in secrets\/ after adding db1's key to secrets\/secrets\.nix/,
    ],
    ["web1", "norule", "not-for-host", /secrets\/secrets\.nix has no rule for "norule\.age"/],
    ["db1", "viaage", "ok", /lists db1's age recipient for viaage\.age and the header has 1 X25519 stanza/],
    [
      "web1",
      "plain",
      "plaintext",
      /secrets\/plain\.age is not an age file, so it is stored in plaintext: encrypt .* `agenix -e plain\.age` in secrets\//,
    ],
    ["web1", "untracked", "untracked", /run `git add secrets\/untracked\.age`/],
    ["web1", "damaged", "invalid", /secrets\/damaged\.age is damaged: the closing `---` line/],
    [
      "web1",
      "missing",
      "missing",
      /secrets\/missing\.age does not exist: add its publicKeys to secrets\/secrets\.nix, then create it with `agenix -e missing\.age`/,
    ],
    ["web1", "escape", "invalid", /\.\.\/outside\.age is outside the repository/],
    ["web1", "passwd", "invalid", /symlink that leads outside the repository/],
    ["web1", "tls", "ok", /its sops metadata lists web1's age recipient and it has the key tls\/key/],
    [
      "web1",
      "nope",
      "no-such-key",
      /secrets\/web\.yaml has no key tls\/nope \(sops\.secrets\.nope\.key = "tls\/nope"; it has tls\/key, tls\/cert\)/,
    ],
    ["web1", "dict", "no-such-key", /tls in secrets\/web\.yaml is a dictionary, but sops-nix needs a string/],
    [
      "web2",
      "tls",
      "not-for-host",
      /\.sops\.yaml already lists web2 \(rule at line 2\): run `sops updatekeys secrets\/web\.yaml`/,
    ],
    [
      "mail1",
      "tls",
      "unknown-host-key",
      /infra knows no SSH host key for mail1, so it cannot tell whether mail1 can decrypt secrets\/web\.yaml: add hosts\/mail1\/ssh_host_ed25519_key\.pub/,
    ],
    [
      "broken1",
      "tls",
      "unknown-host-key",
      /hosts\/broken1\/ssh_host_ed25519_key\.pub is not a usable host key/,
    ],
    ["rsa1", "tls", "not-for-host", /rsa1's key is ssh-rsa/],
    [
      "db2",
      "pg",
      "not-for-host",
      /add db2's age recipient age1\w+ to the creation rule at \.sops\.yaml:4, then run `sops updatekeys secrets\/db\.yaml`/,
    ],
    ["db1", "pg", "ok", /postgres\/password/],
    ["db1", "other", "not-for-host", /no creation rule in \.sops\.yaml matches secrets\/other\.yaml/],
    [
      "web1",
      "plainyaml",
      "plaintext",
      /secrets\/plain\.yaml is not a sops file \(no sops metadata\).*`sops --encrypt --in-place secrets\/plain\.yaml`/,
    ],
    ["web1", "leaky", "plaintext", /the value of token in secrets\/leaky\.yaml is not encrypted/],
  ])("%s / %s: %s", (host, name, status, detail) => {
    const result = report.results.find((r) => r.host === host && r.name === name);
    expect(result?.status, result?.detail).toBe(status);
    expect(result?.detail).toMatch(detail);
  });

  it("keeps declaration order, fields and counts", () => {
    expect(report.results.map((r) => `${r.host}/${r.name}`)).toEqual(
      declarations.map((d) => `${d.host}/${d.name}`),
    );
    expect(report.results[0]).toMatchObject({
      owner: "nginx",
      mode: "0400",
      backend: "agenix",
      file: "secrets/api.age",
    });
    expect(Object.values(report.counts).reduce((a, b) => a + b, 0)).toBe(declarations.length);
    expect(report.counts.ok).toBe(7);
  });

  it("names the plaintext key, never the value: no result or warning contains the canary", () => {
    expect(report.results.find((r) => r.name === "leaky")).toMatchObject({ plaintextKey: "token" });
    expect(JSON.stringify(report)).not.toContain(CANARY);
    expect(JSON.stringify([...input.files.values()])).not.toContain(CANARY);
    expect(readFileSync(join(dir.path, "repo/secrets/plain.yaml"), "utf8")).toContain(CANARY);
  });
});

describe("warnings", () => {
  const messages = (kind: string) => report.warnings.filter((w) => w.kind === kind).map((w) => w.message);

  it("lists secrets no host declares", () => {
    expect(messages("undeclared-secret")).toEqual([
      "no host declares secrets/orphan.age (it has a rule in secrets/secrets.nix): delete it and its rule, or declare it where it is needed.",
    ]);
  });

  it("finds agenix rules that disagree with the header, both ways", () => {
    const mismatch = report.warnings.filter(
      (w) => w.kind === "rule-header-mismatch" && w.file === "secrets/db.age",
    );
    expect(mismatch.map((w) => (w.kind === "rule-header-mismatch" ? [w.direction, w.owner] : []))).toEqual([
      ["rule-only", "db2"],
      ["rule-only", "alice"],
      ["header-only", undefined],
    ]);
    expect(mismatch[2]!.message).toMatch(
      /an SSH key with tag \S+ that no host or admin owns, which secrets\/secrets\.nix does not list/,
    );
  });

  it("finds .sops.yaml rules the file's metadata has not caught up with", () => {
    expect(messages("rule-header-mismatch")).toContain(
      ".sops.yaml:2 lists web2 but secrets/web.yaml is not encrypted to it: run `sops updatekeys secrets/web.yaml`.",
    );
  });

  it("finds recipients nobody owns", () => {
    const unowned = report.warnings.filter((w) => w.kind === "unowned-recipient");
    expect(unowned.map((w) => w.file)).toEqual([]);
    const stale = checkSecrets({ ...input, admins: {} }).warnings.filter(
      (w) => w.kind === "unowned-recipient",
    );
    expect(stale.map((w) => (w.kind === "unowned-recipient" ? w.source : ""))).toContain("secrets.nix");
    expect(stale.map((w) => (w.kind === "unowned-recipient" ? w.source : ""))).toContain("sops-metadata");
    expect(stale.map((w) => (w.kind === "unowned-recipient" ? w.source : ""))).toContain(".sops.yaml");
  });

  it("flags world-readable modes and unusable keys", () => {
    expect(messages("world-readable")).toEqual([
      'web2: age.secrets.api.mode = "0644" lets every user on the host read it: use "0400" (or "0440" with a group).',
    ]);
    expect(messages("invalid-key")[0]).toMatch(
      /^hosts\/broken1\/ssh_host_ed25519_key\.pub: not a usable public key/,
    );
  });
});
