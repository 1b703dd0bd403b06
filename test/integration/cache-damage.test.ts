// A damaged, read-only or locked cache, with the real CLI on a copy of examples/fleet: every
// truncation of data.mdb and garbage over its key pages gives one clear warning and a correct
// result (never a crash of the process), the next run is correct and cached, `infra cache clear`
// works on each damaged state; a read-only cache is read without writing, and a lock file that
// cannot be written means evaluating without the cache.
//
// Read-only as root: chmod does not stop root, and the CLI as an unprivileged user (setpriv,
// runuser) could not run this machine's single-user Nix. So the CLI runs as root in its own mount
// namespace (`unshare --mount`) where the cache folder (or only lock.mdb) is bind-mounted
// read-only: writes fail with EROFS exactly as on a read-only file system, Nix is unaffected, and
// the mount disappears with the process. `chattr +i` makes a lock file root cannot write (EPERM).
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, cpSync, openSync, readdirSync, rmSync, statSync, truncateSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkHeader, checkTrees } from "../../cache/lmdb-file.js";
import { damagedFolders } from "../../cache/open.js";
import { BIN, type CliResult, runInfra } from "../helpers/cli.js";
import { fixtures, type Repo, ROOT } from "../helpers/repo.js";

const made = fixtures();
let repo: Repo;
let cacheRoot: string;
/** A second cache root where `cache clear` meets the same damage, alongside the evaluation. */
let clearRoot: string;
let clearEnv: string;
let saved: string;
/** The environment (…/<repo>-<hash>/v1) and its repository's cache folder. */
let envPath: string;
let repoCache: string;
let good: Record<string, string>;
let targets: number;
let full: number;
let psize: number;
let roots: Record<string, number>;

const common = () => ["--repo", repo.dir, "--cache-dir", cacheRoot];
const drvPaths = (json: { hosts: { name: string; drvPath: string }[] }) =>
  Object.fromEntries(json.hosts.map((h) => [h.name, h.drvPath]));
const dataFile = (env = envPath) => join(env, "data.mdb");

beforeAll(async () => {
  repo = made.make("examples/fleet");
  cacheRoot = `${repo.dir}.cache`;
  const first = await runInfra(["eval", "--json", ...common()]);
  expect(first.exitCode).toBe(0);
  good = drvPaths(first.json);
  targets = first.json.hosts.length;
  expect(targets).toBeGreaterThan(5);
  const stats = await runInfra(["cache", "stats", "--json", ...common()]);
  envPath = stats.json.path;
  repoCache = dirname(envPath);
  clearRoot = `${repo.dir}.cache-clear`;
  clearEnv = join(clearRoot, basename(repoCache), "v1");
  saved = `${repo.dir}.good-v1`;
  cpSync(envPath, saved, { recursive: true });
  const header = checkHeader(join(saved, "data.mdb"));
  if (!header.ok) throw new Error(header.problem);
  full = header.size;
  psize = header.psize;
  // Every byte of the file belongs to the last transaction's pages: any truncation is damage.
  expect(full).toBe((header.newest.lastPg + 1) * psize);
  roots = checkTrees(join(saved, "data.mdb"), header).roots;
}, 120_000);

afterAll(() => {
  made.cleanup();
  rmSync(cacheRoot, { recursive: true, force: true });
  rmSync(clearRoot, { recursive: true, force: true });
  rmSync(saved, { recursive: true, force: true });
});

/** The good environment back in place (set-aside copies stay: their rotation is checked too). */
function restore(env = envPath): void {
  rmSync(env, { recursive: true, force: true });
  cpSync(saved, env, { recursive: true });
}

function garbage(length: number, seed: string): Buffer {
  const parts: Buffer[] = [];
  let block = Buffer.from(seed);
  for (let n = 0; n < length; n += 32) {
    block = createHash("sha256").update(block).digest();
    parts.push(block);
  }
  return Buffer.concat(parts).subarray(0, length);
}

function scribble(env: string, offset: number, bytes: Buffer): void {
  const fd = openSync(dataFile(env), "r+");
  writeSync(fd, bytes, 0, bytes.length, offset);
  closeSync(fd);
}

/** 16 lengths from 0 to just short of the full file: the reported crashes' sizes and a spread. */
function truncations(): number[] {
  const sizes = new Set([0, 100, 4095, 4096, 8192, 90000, full - psize, full - 1]);
  for (let i = 1; sizes.size < 16; i++) sizes.add(Math.floor((full * i) / 9));
  return [...sizes].filter((s) => s < full).sort((a, b) => a - b);
}

interface Damage {
  name: string;
  apply(env: string): void;
}

const damages = (): Damage[] => [
  ...truncations().map(
    (size): Damage => ({
      name: `truncated to ${size} bytes`,
      apply: (env) => truncateSync(dataFile(env), size),
    }),
  ),
  { name: "garbage over meta page 0", apply: (env) => scribble(env, 0, garbage(psize, "meta0")) },
  {
    name: "garbage over meta page 1's fields",
    apply: (env) => scribble(env, psize + 24, garbage(144, "meta1")),
  },
  {
    name: "garbage over the free-space database's root page",
    apply: (env) => scribble(env, roots["free-space"]! * psize, garbage(psize, "free")),
  },
  {
    name: "garbage over the traces database's root page",
    apply: (env) => scribble(env, roots.traces! * psize, garbage(psize, "traces")),
  },
];

const DAMAGED_WARNING =
  /warning: the cache at \S+\/v1 was damaged \(data\.mdb.+\); it was moved to \S+\/v1\.damaged-\d+ and will be rebuilt\n/;

describe("a damaged cache", () => {
  it("has 16 truncations and 4 garbage offsets to try", () => {
    expect(truncations()).toHaveLength(16);
    expect(damages()).toHaveLength(20);
  });

  // Built lazily: the sizes depend on the file the first evaluation wrote.
  for (let i = 0; i < 20; i++) {
    it(`damage #${i + 1}: one warning, a correct result, then a correct cached run; cache clear works on it`, async () => {
      const damage = damages()[i]!;
      restore();
      damage.apply(envPath);
      restore(clearEnv);
      damage.apply(clearEnv);
      const [damaged, cleared] = await Promise.all([
        runInfra(["eval", "--json", ...common()]),
        runInfra(["cache", "clear", "--repo", repo.dir, "--cache-dir", clearRoot]),
      ]);
      // exitCode is -1 when the process died on a signal (SIGBUS, SIGSEGV, SIGABRT).
      expect(damaged.exitCode, `${damage.name}: ${damaged.stderr}`).toBe(0);
      expect(damaged.stderr, damage.name).toMatch(DAMAGED_WARNING);
      expect(damaged.stderr.match(/warning:/g)).toHaveLength(1);
      expect(drvPaths(damaged.json)).toEqual(good);
      expect(cleared.exitCode, `${damage.name}: ${cleared.stderr}`).toBe(0);
      expect(cleared.stdout).toMatch(/^cleared /);
      // Clearing takes the set-aside copies with it.
      expect(damagedFolders(dirname(clearEnv))).toEqual([]);

      const next = await runInfra(["eval", "--json", ...common()]);
      expect(next.exitCode).toBe(0);
      expect(next.stderr).not.toMatch(/warning/);
      expect(drvPaths(next.json)).toEqual(good);
      expect(next.json.summary.cached).toBe(targets);
      // Set-aside copies do not pile up.
      expect(damagedFolders(repoCache).length).toBeGreaterThanOrEqual(1);
      expect(damagedFolders(repoCache).length).toBeLessThanOrEqual(2);
    });
  }
});

// --- read-only and locked caches -------------------------------------------------------------

const canUnshare =
  process.getuid?.() === 0 && spawnSync("unshare", ["--mount", "true"], { stdio: "ignore" }).status === 0;
const canChattr =
  process.getuid?.() === 0 && spawnSync("chattr", ["--help"], { stdio: "ignore" }).error === undefined;

/** The CLI in its own mount namespace, with `readOnly` bind-mounted read-only. */
function runWithReadOnly(readOnly: string, args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const script = 'mount --bind -o ro "$1" "$1" && shift && exec "$@"';
    const child = spawn(
      "unshare",
      ["--mount", "sh", "-c", script, "sh", readOnly, process.execPath, BIN, ...args],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {}
      resolve({ exitCode: code ?? -1, stdout, stderr, json });
    });
  });
}

const snapshot = (dir: string) =>
  readdirSync(dir)
    .sort()
    .map((name) => {
      const s = statSync(join(dir, name));
      return `${name} ${s.size} ${s.mtimeMs}`;
    });

// These need root (bind mounts, file attributes): CI and the set-up run as root. A machine that
// cannot is told so by a failure, never by a silent skip.
describe("a read-only cache", () => {
  it("can be made here (root, unshare, chattr)", () => {
    expect({ canUnshare, canChattr }).toEqual({ canUnshare: true, canChattr: true });
  });

  it("is read without writing, with one warning, instead of failing", async () => {
    restore();
    const before = snapshot(envPath);
    const r = await runWithReadOnly(cacheRoot, ["eval", "--json", ...common()]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /warning: the cache at \S+\/v1 is on a read-only file system: infra uses the results it holds but writes none/,
    );
    expect(r.stderr).not.toMatch(/damaged/);
    expect(r.stderr.match(/warning:/g)).toHaveLength(1);
    expect(drvPaths(r.json)).toEqual(good);
    expect(r.json.summary.cached).toBe(targets);
    expect(snapshot(envPath)).toEqual(before);
  });

  it("says what it is when asked to clear it", async () => {
    restore();
    const r = await runWithReadOnly(cacheRoot, ["cache", "clear", ...common()]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/cannot be cleared: it is on a read-only file system/);
    expect(r.stderr).not.toMatch(/damaged/);
  });

  it("that is also damaged is evaluated without it, and named as both", async () => {
    restore();
    truncateSync(dataFile(envPath), 90000);
    const r = await runWithReadOnly(cacheRoot, ["eval", "--json", ...common()]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /the cache at \S+ is damaged \(data\.mdb is truncated: 90000 bytes.*\) and cannot be moved aside: \S+ is on a read-only file system; infra evaluates without the cache/,
    );
    expect(drvPaths(r.json)).toEqual(good);
  });
});

describe("a lock file that cannot be written", () => {
  it("(read-only) gives a clear message, a correct result, and a working next run", async () => {
    restore();
    const r = await runWithReadOnly(join(envPath, "lock.mdb"), ["eval", "--json", ...common()]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /warning: the cache at \S+ cannot be used: its lock file \S+\/lock\.mdb is on a read-only file system; infra evaluates without the cache/,
    );
    expect(r.stderr).not.toMatch(/damaged/);
    expect(drvPaths(r.json)).toEqual(good);
    expect(r.json.summary.evaluated).toBe(targets);
    const next = await runInfra(["eval", "--json", ...common()]);
    expect(next.exitCode).toBe(0);
    expect(drvPaths(next.json)).toEqual(good);
    expect(next.json.summary.cached).toBe(targets);
  });

  it("(immutable: the binding would crash on it) gives a clear message too", async () => {
    restore();
    const lock = join(envPath, "lock.mdb");
    const set = spawnSync("chattr", ["+i", lock], { encoding: "utf8" });
    // A file system without attributes (tmpfs) cannot hold this case: run the tests on a disk.
    expect(set.status, `chattr +i ${lock}: ${set.stderr}`).toBe(0);
    try {
      const r = await runInfra(["eval", "--json", ...common()]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/its lock file \S+ cannot be written \(EPERM: operation not permitted/);
      expect(drvPaths(r.json)).toEqual(good);
      const cleared = await runInfra(["cache", "clear", ...common()]);
      expect(cleared.exitCode).toBe(2);
      expect(cleared.stderr).toMatch(/cannot be cleared: its lock file .* cannot be written/);
    } finally {
      spawnSync("chattr", ["-i", lock]);
    }
    const next = await runInfra(["eval", "--json", ...common()]);
    expect(next.exitCode).toBe(0);
    expect(next.json.summary.cached).toBe(targets);
  });
});
