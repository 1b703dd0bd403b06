import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkSecrets } from "../../../../engine/secrets/check.js";
import { readDeclaredFiles, readSecretFile } from "../../../../engine/secrets/read-header.js";
import type { SecretDeclaration } from "../../../../engine/secrets/types.js";
import { age, requireTools, sshKeygen, tempDir } from "./helpers/tools.js";

const CANARY = "INFRA-PLAINTEXT-CANARY-7f3e";

let dir: { path: string; remove: () => void };
let repo: string;
let outside: string;
let hostLine: string;

beforeAll(() => {
  requireTools();
  dir = tempDir();
  repo = join(dir.path, "repo");
  outside = join(dir.path, "outside");
  mkdirSync(join(repo, "secrets"), { recursive: true });
  mkdirSync(outside);
  const host = sshKeygen(dir.path, "host");
  hostLine = host.publicLine;
  writeFileSync(join(repo, "secrets/ok.age"), age(["-R", host.publicPath], CANARY));
  writeFileSync(join(outside, "leak.txt"), `${CANARY}\n`);
  symlinkSync("/etc/passwd", join(repo, "secrets/passwd.age"));
  symlinkSync(join(outside, "leak.txt"), join(repo, "secrets/leak.age"));
  symlinkSync(outside, join(repo, "linked-dir"));
  symlinkSync("ok.age", join(repo, "secrets/alias.age"));
  symlinkSync("nowhere.age", join(repo, "secrets/dangling.age"));
  symlinkSync("/nonexistent/outside.age", join(repo, "secrets/dangling-out.age"));
  execFileSync("mkfifo", [join(repo, "secrets/fifo.age")]);
  // A sparse 2 GB file: no disk used, a reader that reads it whole would take seconds and 2 GB.
  execFileSync("truncate", ["-s", "2G", join(repo, "secrets/huge.age")]);
});
afterAll(() => dir.remove());

describe("readSecretFile", () => {
  it("summarizes a real age file from one bounded read", async () => {
    const facts = await readSecretFile(repo, "secrets/ok.age", { age: true, tracked: true });
    expect(facts).toMatchObject({ state: "read", truncated: false, tracked: true, age: { kind: "age" } });
    expect(JSON.stringify(facts)).not.toContain(CANARY);
  });

  it.each([
    ["../outside/leak.txt", "outside-repo"],
    ["/etc/passwd", "outside-repo"],
    ["secrets/../../outside/leak.txt", "outside-repo"],
    ["secrets/passwd.age", "symlink-outside-repo"],
    ["secrets/leak.age", "symlink-outside-repo"],
    ["linked-dir/leak.txt", "symlink-outside-repo"],
    ["linked-dir/missing.txt", "symlink-outside-repo"],
    ["secrets/dangling-out.age", "symlink-outside-repo"],
    ["secrets", "not-a-regular-file"],
    ["secrets/fifo.age", "not-a-regular-file"],
  ])("refuses %s (%s) without reading it", async (path, problem) => {
    const facts = await readSecretFile(repo, path, { age: true });
    expect(facts).toMatchObject({ state: "refused", problem });
    const text = JSON.stringify(facts);
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain("root:x:0:0");
  });

  it("follows symlinks that stay inside the repository", async () => {
    const facts = await readSecretFile(repo, "secrets/alias.age", { age: true });
    expect(facts).toMatchObject({ state: "read", resolvedTo: "secrets/ok.age", age: { kind: "age" } });
  });

  it("reports missing files and dangling symlinks", async () => {
    expect(await readSecretFile(repo, "secrets/none.age")).toMatchObject({ state: "missing" });
    expect(await readSecretFile(repo, "secrets/dangling.age")).toMatchObject({
      state: "missing",
      danglingSymlink: true,
    });
    expect(await readSecretFile(repo, "secrets/ok.age/below")).toMatchObject({ state: "missing" });
  });

  it("handles a 2 GB file in bounded time and memory", async () => {
    const before = process.memoryUsage().rss;
    const started = performance.now();
    const facts = await readSecretFile(repo, "secrets/huge.age", { age: true, sopsFormat: "binary" });
    const elapsed = performance.now() - started;
    expect(facts).toMatchObject({
      state: "read",
      size: 2 * 1024 ** 3,
      truncated: true,
      age: { kind: "not-age" },
    });
    expect(facts).toMatchObject({ sops: { kind: "damaged", reason: expect.stringMatching(/read whole/) } });
    expect(elapsed).toBeLessThan(1000);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });
});

describe("a 2 GB file declared as a secret", () => {
  it.each(["agenix", "sops"] as const)("is invalid (too-large) for %s", async (backend) => {
    const declarations: SecretDeclaration[] = [
      { host: "web1", name: "huge", backend, file: "secrets/huge.age", format: "binary" },
    ];
    const files = await readDeclaredFiles(repo, declarations);
    const report = checkSecrets({ declarations, files, hostKeys: { web1: { line: hostLine } } });
    expect(report.results[0]).toMatchObject({ status: "invalid", problem: "too-large" });
    expect(report.results[0]!.detail).toMatch(/2048\.0 MiB, larger than a secret can be here/);
  });
});

describe("readDeclaredFiles", () => {
  it("reads each file once, the way its declarations need, and passes git's view through", async () => {
    const declarations: SecretDeclaration[] = [
      { host: "a", name: "x", backend: "agenix", file: "secrets/ok.age" },
      { host: "b", name: "x", backend: "agenix", file: "./secrets/ok.age" },
      { host: "b", name: "y", backend: "sops", file: "secrets/none.yaml" },
      { host: "b", name: "z", backend: "agenix", file: "../escape.age" },
    ];
    const files = await readDeclaredFiles(repo, declarations, {
      isTracked: (p) => p !== "secrets/none.yaml",
      extra: [{ path: "secrets/alias.age", age: true }],
    });
    expect([...files.keys()]).toEqual(["secrets/alias.age", "secrets/none.yaml", "secrets/ok.age"]);
    expect(files.get("secrets/ok.age")).toMatchObject({ tracked: true, age: { kind: "age" } });
    expect(files.get("secrets/none.yaml")).toMatchObject({ state: "missing", tracked: false });
  });

  it("never puts file content into the facts", async () => {
    writeFileSync(join(repo, "secrets/plain.yaml"), `db:\n  password: ${CANARY}\n`);
    const files = await readDeclaredFiles(repo, [
      { host: "a", name: "p", backend: "sops", file: "secrets/plain.yaml" },
    ]);
    expect(JSON.stringify([...files.values()])).not.toContain(CANARY);
    expect(readFileSync(join(repo, "secrets/plain.yaml"), "utf8")).toContain(CANARY);
  });
});
