// issue 3, scenario 11: a seeded random walk over a fleet. After every step, every target's
// drvPath must equal a fresh `nix eval`, and the set infra re-evaluated must equal the set the
// independent oracle says had a changed input. CI runs a short walk; `scripts/random-differential`
// runs 200+ steps (INFRA_RANDOM_STEPS, INFRA_RANDOM_SEED).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { EvalReport } from "../../dist/engine/index.js";
import { createEngine } from "../../dist/engine/index.js";
import { runInfra } from "../helpers/cli.js";
import { NIX_ENV } from "../helpers/nix.js";
import { Oracle } from "../helpers/oracle.js";
import { fixtures, type Repo } from "../helpers/repo.js";
import { startServer, type TestServer } from "../helpers/server.js";

const STEPS = Number(process.env.INFRA_RANDOM_STEPS ?? 30);
const SERVER_STEPS = Number(process.env.INFRA_RANDOM_SERVER_STEPS ?? 12);
const SEED = Number(process.env.INFRA_RANDOM_SEED ?? 20261124);

/** mulberry32: small, seedable, good enough to pick steps. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: T[]): T => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
  };
}

const SETS = [
  ["nixosConfigurations", "config.system.build.toplevel"],
  ["darwinConfigurations", "system"],
  ["homeConfigurations", "activationPackage"],
] as const;

/** Plain nix eval of every target: name → drvPath, or null when it fails. */
function nixTruth(dir: string): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const [set, value] of SETS) {
    const names = spawnSync("nix", ["eval", "--json", `${dir}#${set}`, "--apply", "builtins.attrNames"], {
      env: NIX_ENV,
      encoding: "utf8",
    });
    if (names.status !== 0) throw new Error(`nix eval could not list ${set}: ${names.stderr}`);
    const all = spawnSync(
      "nix",
      ["eval", "--json", `${dir}#${set}`, "--apply", `builtins.mapAttrs (_: c: c.${value}.drvPath)`],
      {
        env: NIX_ENV,
        encoding: "utf8",
      },
    );
    if (all.status === 0) {
      for (const [name, drv] of Object.entries(JSON.parse(all.stdout) as Record<string, string>))
        out.set(name, drv);
      continue;
    }
    // One broken target fails the whole set: ask per target.
    for (const name of JSON.parse(names.stdout) as string[]) {
      const one = spawnSync(
        "nix",
        ["eval", "--raw", `${dir}#${set}`, "--apply", `s: s.${JSON.stringify(name)}.${value}.drvPath`],
        { env: NIX_ENV, encoding: "utf8" },
      );
      out.set(name, one.status === 0 ? one.stdout.trim() : null);
    }
  }
  return out;
}

/** How each walk evaluates: the engine in-process, or the CLI through a warm server. */
interface Evaluator {
  evaluate(): Promise<EvalReport>;
  close(): Promise<void>;
}

/**
 * The walk: random edits of `repo`, each followed by an evaluation whose every drvPath must
 * equal plain `nix eval`, and whose re-evaluated set must be what the oracle says changed.
 */
async function walk(repo: Repo, STEPS: number, SEED: number, engine: Evaluator): Promise<void> {
  const rand = prng(SEED);
  const oracle = new Oracle(repo.dir);
  const added: string[] = [];
  let counter = 0;
  const tracked = () => repo.git("ls-files").split("\n").filter(Boolean);
  const editable = () =>
    tracked().filter((f) => /^(hosts|modules|programs|roles)\//.test(f) && existsSync(repo.path(f)));
  const hostDirs = () =>
    readdirSync(repo.path("hosts")).filter((h) => existsSync(join(repo.path("hosts"), h, "hardware.nix")));
  /** Stages what of `paths` git can stage (a file never tracked and now gone is not a pathspec). */
  const stage = (...paths: string[]) => {
    const known = new Set(tracked());
    const stageable = paths.filter((p) => existsSync(repo.path(p)) || known.has(p));
    if (stageable.length > 0) repo.git("add", "-A", "--", ...stageable);
  };
  const maybeAdd = (path: string) => {
    if (rand.chance(0.6)) stage(path);
  };
  const broken = new Set<string>();

  const steps: Record<string, () => string> = {
    editNix() {
      const f = rand.pick(editable().filter((p) => p.endsWith(".nix")));
      repo.append(f, `\n# edit ${++counter}\n`);
      return `edit ${f}`;
    },
    editConfig() {
      const f = rand.pick(editable().filter((p) => p.startsWith("programs/") && !p.endsWith(".nix")));
      repo.append(f, `\n# setting ${++counter}\n`);
      return `edit ${f}`;
    },
    addModule() {
      const f = `modules/monitoring/gen${++counter}.nix`;
      repo.write(f, "{ ... }: { }\n");
      added.push(f);
      maybeAdd(f);
      return `add ${f}`;
    },
    addStray() {
      const f = `${rand.pick([`hosts/${rand.pick(hostDirs())}`, "programs/git", "modules", "secrets"])}/note${++counter}.txt`;
      repo.write(f, `note ${counter}\n`);
      added.push(f);
      maybeAdd(f);
      return `add ${f}`;
    },
    removeAdded() {
      const f = added.splice(rand.int(added.length), 1)[0];
      if (!f) return "nothing to remove";
      repo.remove(f);
      if (rand.chance(0.6)) stage(f);
      return `remove ${f}`;
    },
    renameAdded() {
      const i = rand.int(added.length);
      const f = added[i];
      if (!f || !existsSync(repo.path(f))) return "nothing to rename";
      const to = f.replace(/(\d+)(\.\w+)$/, `$1r${++counter}$2`);
      repo.rename(f, to);
      added[i] = to;
      if (rand.chance(0.6)) stage(f, to);
      return `rename ${f} -> ${to}`;
    },
    editUntracked() {
      const untracked = added.filter((f) => existsSync(repo.path(f)) && !tracked().includes(f));
      if (untracked.length === 0) return "no untracked file";
      const f = rand.pick(untracked);
      repo.append(f, `more ${++counter}\n`);
      return `edit untracked ${f}`;
    },
    gitAddAll() {
      repo.git("add", "-A");
      return "git add -A";
    },
    commit() {
      repo.commit(`step ${++counter}`);
      return "commit";
    },
    touch() {
      const f = rand.pick(tracked().filter((p) => existsSync(repo.path(p))));
      const now = new Date();
      utimesSync(repo.path(f), now, now);
      return `touch ${f}`;
    },
    breakOrFixHost() {
      if (broken.size > 0 && rand.chance(0.7)) {
        const f = rand.pick([...broken]);
        broken.delete(f);
        repo.git("checkout", "HEAD", "--", f);
        return `fix ${f}`;
      }
      const f = `hosts/${rand.pick(hostDirs())}/hardware.nix`;
      if (!tracked().includes(f)) return "no host to break";
      repo.append(f, "\n{ broken = ; }\n");
      broken.add(f);
      return `break ${f}`;
    },
    switchBranch() {
      repo.git("add", "-A");
      repo.git("commit", "-q", "--allow-empty", "-m", `before switch ${++counter}`);
      const branch = repo.git("rev-parse", "--abbrev-ref", "HEAD").trim();
      const target = branch === "main" ? "side" : "main";
      const exists = repo.git("branch", "--list", target).trim() !== "";
      repo.git("checkout", "-q", ...(exists ? [target] : ["-b", target]));
      broken.clear();
      return `switch to ${target}`;
    },
  };
  const names = Object.keys(steps);

  let report: EvalReport = await engine.evaluate();
  for (const h of report.hosts) oracle.record(h.name, h.dependencies, true);

  for (let step = 1; step <= STEPS; step++) {
    const what = steps[rand.pick(names)]!();
    oracle.refresh();
    const expectCached = new Map(report.hosts.map((h) => [h.name, oracle.cached(h.name)]));
    report = await engine.evaluate();
    const truth = nixTruth(repo.dir);
    const context = `step ${step} (${what}), seed ${SEED}`;

    expect([...truth.keys()].sort(), context).toEqual(report.hosts.map((h) => h.name).sort());
    for (const h of report.hosts) {
      expect({ step: context, name: h.name, drvPath: h.drvPath ?? null }).toEqual({
        step: context,
        name: h.name,
        drvPath: truth.get(h.name),
      });
      const evaluated = !h.fromCache;
      const expected = expectCached.has(h.name) ? !expectCached.get(h.name) : true;
      expect({ step: context, name: h.name, evaluated }).toEqual({
        step: context,
        name: h.name,
        evaluated: expected,
      });
      oracle.record(h.name, h.dependencies, evaluated);
    }
  }
  await engine.close();
}

const made = fixtures();
afterAll(async () => {
  for (const server of servers) await server.stop("SIGKILL");
  made.cleanup();
});
const servers: TestServer[] = [];

describe(`randomized differential walk (${STEPS} steps, seed ${SEED})`, () => {
  it(
    "matches nix eval after every step and re-evaluates exactly what changed",
    async () => {
      const repo = made.make("examples/fleet");
      const engine = await createEngine({ repo: repo.dir, cacheDir: `${repo.dir}.cache`, jobs: 2 });
      await walk(repo, STEPS, SEED, { evaluate: () => engine.evaluate(), close: () => engine.close() });
    },
    // Each step is an evaluation plus a nix eval of every target: a few seconds.
    60_000 + STEPS * 6_000,
  );

  it(
    `the same walk through a warm server (${SERVER_STEPS} steps)`,
    async () => {
      const repo = made.make("examples/fleet");
      const cacheDir = `${repo.dir}.cache`;
      const server = await startServer(repo.dir, cacheDir);
      servers.push(server);
      let runs = 0;
      await walk(repo, SERVER_STEPS, SEED + 1, {
        async evaluate() {
          runs++;
          const r = await runInfra([
            "eval",
            "--json",
            "--jobs",
            "2",
            "--repo",
            repo.dir,
            "--cache-dir",
            cacheDir,
          ]);
          if (r.json === undefined) throw new Error(`infra eval printed no JSON: ${r.stderr}`);
          return r.json as EvalReport;
        },
        async close() {
          // Every evaluation of the walk ran in the server.
          expect(await server.served()).toBe(runs);
          await server.stop();
        },
      });
    },
    60_000 + SERVER_STEPS * 8_000,
  );
});
