// The invalidation rule end to end: on a fleet with one host per kind of dependency, each kind of
// change makes `infra affected` name exactly the hosts `infra eval` then re-evaluates.
import { execFileSync, spawnSync } from "node:child_process";
import { symlinkSync, unlinkSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { runInfra } from "../helpers/cli.js";
import { NIX_ENV, RELATIVE_INPUTS_FROM_PARENT } from "../helpers/nix.js";
import { fixtures, type Repo } from "../helpers/repo.js";

const made = fixtures();
afterAll(() => made.cleanup());

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON
type Json = any;
const infra = (repo: Repo, ...args: string[]) =>
  runInfra([...args, "--repo", repo.dir, "--cache-dir", `${repo.dir}.cache`], { cwd: repo.dir });
const evaluated = (r: Json) =>
  (r.json.hosts as Json[])
    .filter((h) => !h.fromCache)
    .map((h) => h.name)
    .sort();

interface Row {
  change: string;
  /** Prepares state that must exist (and be evaluated) before the change. */
  before?: (repo: Repo) => void;
  edit: (repo: Repo) => void;
  /** What a user asks: the changed paths, or the ref for --since. */
  paths?: string[];
  since?: string;
  /** The hosts both must name (the rule's answer for this fixture). */
  hosts: string[];
}

const ROWS: Row[] = [
  {
    change: "edit a file",
    edit: (r) => r.append("files/a.txt", "b\n"),
    paths: ["files/a.txt"],
    hosts: ["reader", "selfrev", "selftree"],
  },
  {
    change: "create a file in a listed folder (git add)",
    edit: (r) => {
      r.write("auto/new.nix", "{ }\n");
      r.git("add", "auto/new.nix");
    },
    paths: ["auto/new.nix"],
    hosts: ["lister", "selfrev", "selftree"],
  },
  {
    change: "delete a file from a listed folder (git rm)",
    edit: (r) => r.git("rm", "-q", "auto/x.nix"),
    paths: ["auto/x.nix"],
    hosts: ["lister", "selfrev", "selftree"],
  },
  {
    change: "rename a file in a listed folder (git mv)",
    edit: (r) => r.git("mv", "auto/z.nix", "auto/w.nix"),
    paths: ["auto/z.nix", "auto/w.nix"],
    hosts: ["lister", "selfrev", "selftree"],
  },
  {
    change: "an untracked file appears where a host looks",
    edit: (r) => r.write("optional.nix", '"extra"\n'),
    paths: ["optional.nix"],
    hosts: [],
  },
  {
    change: "git add of that file",
    before: (r) => r.write("optional.nix", '"extra"\n'),
    edit: (r) => r.git("add", "optional.nix"),
    paths: ["optional.nix"],
    hosts: ["checker", "selfrev", "selftree"],
  },
  {
    change: "retarget a symlink",
    edit: (r) => {
      r.write("files/other.nix", '"v2"\n');
      unlinkSync(r.path("current"));
      symlinkSync("files/other.nix", r.path("current"));
      r.git("add", "current", "files/other.nix");
    },
    paths: ["current", "files/other.nix"],
    hosts: ["linker", "selfrev", "selftree"],
  },
  {
    change: "switch to a branch where a file differs",
    before: (r) => {
      r.git("checkout", "-q", "-b", "side");
      r.append("files/a.txt", "on side\n");
      r.git("commit", "-q", "-am", "side");
      r.git("checkout", "-q", "main");
    },
    edit: (r) => r.git("checkout", "-q", "side"),
    since: "main",
    hosts: ["reader", "selfrev", "selftree"],
  },
  {
    change: "bump a flake.lock input",
    edit: (r) => {
      r.append("vendor/dotfiles/conf", "conf 2\n");
      execFileSync("nix", ["flake", "lock", "--update-input", "dotfiles"], {
        cwd: r.dir,
        env: NIX_ENV,
        stdio: "pipe",
      });
    },
    paths: ["flake.lock"],
    hosts: ["inputuser", "selfrev", "selftree"],
  },
];

/**
 * Nix >= 2.26 makes inputuser's relative `path:` input a folder of the flake's own source, so
 * every change of the tracked tree (the rows selftree is in) reaches it too.
 */
const expected = (hosts: string[]) =>
  RELATIVE_INPUTS_FROM_PARENT && hosts.includes("selftree") && !hosts.includes("inputuser")
    ? [...hosts, "inputuser"].sort()
    : hosts;

describe("infra affected and infra eval agree on every kind of change", () => {
  const repo = made.make("test/fixtures/dep-kinds");
  it("records every kind of dependency", async () => {
    const r = await infra(repo, "eval", "--json");
    expect(r.exitCode, r.stderr).toBe(0);
    const kinds = new Set((r.json.hosts as Json[]).flatMap((h) => h.dependencies.map((d: Json) => d.kind)));
    expect([...kinds].sort()).toEqual(["dir", "file", "git", "input", "link", "tree", "type"]);
  });

  it.each(ROWS)("$change", async ({ before, edit, paths, since, hosts }) => {
    // Each row starts from a committed tree (untracked files stay untracked), fully evaluated.
    repo.git("commit", "-q", "--allow-empty", "-am", "before");
    before?.(repo);
    expect((await infra(repo, "eval")).exitCode).toBe(0);
    edit(repo);
    const affected = since
      ? await infra(repo, "affected", "--json", "--since", since)
      : await infra(repo, "affected", "--json", ...(paths ?? []));
    expect(affected.exitCode, affected.stderr).toBe(0);
    const after = await infra(repo, "eval", "--json");
    expect(after.exitCode, after.stderr).toBe(0);
    expect({ affected: affected.json.hosts, evaluated: evaluated(after) }).toEqual({
      affected: expected(hosts),
      evaluated: expected(hosts),
    });
    // And the answer is nix eval's.
    for (const h of after.json.hosts as Json[]) {
      const truth = spawnSync(
        "nix",
        ["eval", "--raw", `${repo.dir}#nixosConfigurations.${h.name}.config.system.build.toplevel.drvPath`],
        { env: NIX_ENV, encoding: "utf8" },
      );
      expect({ name: h.name, drvPath: h.drvPath }).toEqual({ name: h.name, drvPath: truth.stdout.trim() });
    }
    if (repo.git("rev-parse", "--abbrev-ref", "HEAD").trim() !== "main") repo.git("checkout", "-q", "main");
  });
});
