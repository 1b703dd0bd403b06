// Fixture repositories: copies of examples/ or test/fixtures/ turned into real git repos.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

// Dates pinned: two copies of one fixture are the same commit, so a host that embeds `self.rev`
// (web3) evaluates the same in both, whichever second each copy was made in.
const GIT_ENV = {
  GIT_AUTHOR_DATE: "2024-01-01T00:00:00Z",
  GIT_COMMITTER_DATE: "2024-01-01T00:00:00Z",
  GIT_AUTHOR_NAME: "infra tests",
  GIT_AUTHOR_EMAIL: "tests@infra.invalid",
  GIT_COMMITTER_NAME: "infra tests",
  GIT_COMMITTER_EMAIL: "tests@infra.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
};

export interface Repo {
  dir: string;
  path(rel: string): string;
  read(rel: string): string;
  write(rel: string, content: string): void;
  append(rel: string, content: string): void;
  remove(rel: string): void;
  rename(from: string, to: string): void;
  git(...args: string[]): string;
  /** `git add -A` + commit. */
  commit(message?: string): void;
  cleanup(): void;
}

/** Copies `source` (relative to the infra repo) into a new git repository with one commit. */
export function makeRepo(source: string, options: { commit?: boolean } = {}): Repo {
  const dir = mkdtempSync(join(tmpdir(), "infra-it-"));
  // Symlinks stay as written (by default cpSync would point them at the source folder).
  cpSync(join(ROOT, source), dir, { recursive: true, verbatimSymlinks: true });
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", dir, ...args], { env: { ...process.env, ...GIT_ENV }, encoding: "utf8" });
  git("init", "-q", "-b", "main");
  git("config", "user.email", GIT_ENV.GIT_AUTHOR_EMAIL);
  git("config", "user.name", GIT_ENV.GIT_AUTHOR_NAME);
  git("add", "-A");
  if (options.commit !== false) git("commit", "-q", "-m", "initial");
  const path = (rel: string) => join(dir, rel);
  return {
    dir,
    path,
    read: (rel) => readFileSync(path(rel), "utf8"),
    write(rel, content) {
      mkdirSync(dirname(path(rel)), { recursive: true });
      writeFileSync(path(rel), content);
    },
    append(rel, content) {
      writeFileSync(path(rel), readFileSync(path(rel), "utf8") + content);
    },
    remove: (rel) => rmSync(path(rel), { recursive: true, force: true }),
    rename(from, to) {
      mkdirSync(dirname(path(to)), { recursive: true });
      renameSync(path(from), path(to));
    },
    git,
    commit(message = "change") {
      git("add", "-A");
      git("commit", "-q", "--allow-empty", "-m", message);
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Fixture repositories made in a test file, all removed when `cleanup` runs (pass it to afterAll). */
export function fixtures(): { make(source: string): Repo; cleanup(): void } {
  const made: Repo[] = [];
  return {
    make(source) {
      const repo = makeRepo(source);
      made.push(repo);
      return repo;
    },
    cleanup() {
      for (const repo of made) repo.cleanup();
    },
  };
}
