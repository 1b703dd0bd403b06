// test/fixtures/secrets-fleet end to end, without infra's engine: real Nix evaluates the
// declarations, read-header.ts summarizes the committed files, the check must give the
// statuses in the fixture's expected.json. Also proves the fixture is what it claims: the
// canary really is inside every encrypted file (decrypted here with the test-only keys), and
// appears in no evaluation, build or check output.
import { execFileSync } from "node:child_process";
import { createDecipheriv, createHash } from "node:crypto";
import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkSecrets } from "../../../../engine/secrets/check.js";
import { readDeclaredFiles } from "../../../../engine/secrets/read-header.js";
import { parseSopsConfig } from "../../../../engine/secrets/sops-config.js";
import type { SecretCheckReport, SecretDeclaration } from "../../../../engine/secrets/types.js";
import { age, requireTools, tempDir } from "./helpers/tools.js";

const FIXTURE = fileURLToPath(new URL("../../../fixtures/secrets-fleet", import.meta.url));
const expected = JSON.parse(readFileSync(join(FIXTURE, "expected.json"), "utf8"));
const CANARY: string = expected.canary;
const env = {
  ...process.env,
  NIX_CONFIG: "experimental-features = nix-command flakes\nbuild-users-group =\nsubstituters =\n",
};

let dir: { path: string; remove: () => void };
let repo: string;
let evalOutput: string;
let report: SecretCheckReport;

const sh = (cmd: string, args: string[], cwd = repo) =>
  execFileSync(cmd, args, { cwd, env, encoding: "utf8" });

beforeAll(async () => {
  requireTools();
  dir = tempDir();
  repo = join(dir.path, "fleet");
  cpSync(FIXTURE, repo, { recursive: true });
  // Flakes see tracked files only.
  sh("git", ["init", "-q"]);
  sh("git", ["add", "-A"]);
  evalOutput = sh("nix", ["eval", "--json", ".#infraSecrets"]);
  const declared = JSON.parse(evalOutput) as Record<string, Record<string, string | null>[]>;
  const declarations: SecretDeclaration[] = Object.entries(declared).flatMap(([host, list]) =>
    list.map((s) => ({
      host,
      name: s.name!,
      backend: s.backend as "sops" | "agenix",
      file: s.file!,
      ...(s.backend === "sops" ? { key: s.key!, format: s.format as "yaml" } : {}),
      owner: s.owner!,
      mode: s.mode!,
    })),
  );
  // secrets.nix, evaluated by "someone else" (here: nix-instantiate).
  const rules = JSON.parse(sh("nix-instantiate", ["--eval", "--strict", "--json", "secrets/secrets.nix"]));
  const tracked = new Set(sh("git", ["ls-files"]).split("\n"));
  const files = await readDeclaredFiles(repo, declarations, {
    isTracked: (p) => tracked.has(p),
    extra: Object.keys(rules).map((name) => ({ path: `secrets/${name}`, age: true })),
  });
  const hostKeys = Object.fromEntries(
    Object.keys(declared).flatMap((host) => {
      const path = `hosts/${host}/ssh_host_ed25519_key.pub`;
      return tracked.has(path)
        ? [[host, { line: readFileSync(join(repo, path), "utf8"), source: path }]]
        : [];
    }),
  );
  const admins = Object.fromEntries(
    Object.entries(expected.admins as Record<string, string[]>).map(([name, paths]) => [
      name,
      paths.map((p) => readFileSync(join(repo, p), "utf8").trim()),
    ]),
  );
  report = checkSecrets({
    declarations,
    files,
    hostKeys,
    admins,
    agenix: { file: "secrets/secrets.nix", rules },
    sopsConfig: parseSopsConfig(readFileSync(join(repo, ".sops.yaml"), "utf8"), ".sops.yaml"),
  });
});
afterAll(() => dir.remove());

describe("the secrets fixture fleet", () => {
  it("evaluates every host's toplevel to a derivation", () => {
    const drvs = JSON.parse(
      sh("nix", [
        "eval",
        "--json",
        ".#nixosConfigurations",
        "--apply",
        "builtins.mapAttrs (_: c: c.config.system.build.toplevel.drvPath)",
      ]),
    );
    expect(Object.keys(drvs).sort()).toEqual(["db1", "mail1", "web1", "web2", "worker1"]);
    for (const drv of Object.values(drvs))
      expect(drv).toMatch(/^\/nix\/store\/\w{32}-nixos-system-\w+\.drv$/);
  });

  it("builds a toplevel offline that lists the declarations, not the contents", () => {
    sh("nix", ["build", "--no-link", ".#nixosConfigurations.db1.config.system.build.toplevel"]);
    const out = sh("nix", ["path-info", ".#nixosConfigurations.db1.config.system.build.toplevel"]).trim();
    const listed = JSON.parse(readFileSync(out, "utf8"));
    expect(listed.map((s: { file: string }) => s.file)).toContain("secrets/db-password.age");
    expect(readFileSync(out, "utf8")).not.toContain(CANARY);
    expect(evalOutput).not.toContain(CANARY);
  });

  it("gives the expected status for every (host, secret)", () => {
    const got = Object.fromEntries(report.results.map((r) => [`${r.host}/${r.name}`, r.status]));
    expect(got).toEqual(expected.results);
  });

  it("gives the expected warnings", () => {
    for (const w of expected.warnings) expect(report.warnings).toContainEqual(expect.objectContaining(w));
    expect(report.warnings).toHaveLength(expected.warnings.length);
  });

  it("never shows a secret value", () => {
    expect(JSON.stringify(report)).not.toContain(CANARY);
  });
});

describe("the fixture's files hold the canary, encrypted", () => {
  it("agenix: the host's SSH key opens its file", () => {
    const plain = age([
      "-d",
      "-i",
      join(repo, "keys/hosts/db1/ssh_host_ed25519_key"),
      join(repo, "secrets/db-password.age"),
    ]);
    expect(plain.toString()).toContain(CANARY);
    expect(readFileSync(join(repo, "secrets/db-password.age")).includes(CANARY)).toBe(false);
  });

  it("sops: the host's age identity unwraps the data key, which opens value and MAC", () => {
    const text = readFileSync(join(repo, "secrets/db.yaml"), "utf8");
    expect(text).not.toContain(CANARY);
    const enc = /- recipient: (\S+)\n\s+enc: \|\n((?:\s+.+\n)+?)\s+-----END AGE ENCRYPTED FILE-----/g;
    const dbRecipient = readFileSync(join(repo, "keys/hosts/db1/age.agekey"), "utf8");
    expect(dbRecipient).toMatch(/^AGE-SECRET-KEY-1/);
    const blocks = [...text.matchAll(enc)].map(
      (m) => `${m[2]!.replace(/^\s+/gm, "")}-----END AGE ENCRYPTED FILE-----\n`,
    );
    const dataKey = blocks
      .map((block) => {
        try {
          return age(["-d", "-i", join(repo, "keys/hosts/db1/age.agekey")], block);
        } catch {
          return undefined;
        }
      })
      .find((k) => k !== undefined)!;
    expect(dataKey).toHaveLength(32);
    const open = (envelope: string, aad: string) => {
      const [, data, iv, tag] = /data:([^,]+),iv:([^,]+),tag:([^,]+),type:str/.exec(envelope)!;
      const decipher = createDecipheriv("aes-256-gcm", dataKey, Buffer.from(iv!, "base64"));
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(Buffer.from(tag!, "base64"));
      return Buffer.concat([decipher.update(Buffer.from(data!, "base64")), decipher.final()]).toString();
    };
    const value = (name: string) => new RegExp(`${name}: (ENC\\[[^\\]]+\\])`).exec(text)![1]!;
    const replication = open(value("replication"), "postgres:replication:");
    const password = open(value("password"), "postgres:password:");
    expect(replication).toContain(CANARY);
    const mac = createHash("sha512").update(replication).update(password).digest("hex").toUpperCase();
    expect(open(value("mac"), "2025-01-02T03:04:05Z")).toBe(mac);
  });
});
