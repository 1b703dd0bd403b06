// What a resident engine remembers about git between commands, each fact keyed by the stat (or
// content) of the files git itself derives it from, so a memo never outlives its truth: the
// repository top (its .git entry), the tracked files (the index file), and HEAD's commit (HEAD
// and the ref it names). Dirtiness is never remembered: `git diff` runs each time it is needed.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { lstatOrUndefined } from "./file-hasher.js";
import type { HeadInfo } from "./git.js";

const stamp = (path: string) => {
  const st = lstatOrUndefined(path);
  return st === undefined ? "-" : `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
};

export class GitMemo {
  private readonly tops = new Map<string, { top: string; key: string }>();
  private tracked: { key: string; files: string[] } | undefined;
  private head: { key: string; info: HeadInfo | undefined } | undefined;

  /** The top of `repoDir`'s work tree, if still valid (its .git entry unchanged). */
  top(repoDir: string, find: () => Promise<string | undefined>): Promise<string | undefined> {
    const known = this.tops.get(repoDir);
    if (known !== undefined && stamp(join(known.top, ".git")) === known.key)
      return Promise.resolve(known.top);
    return find().then((top) => {
      if (top !== undefined) this.tops.set(repoDir, { top, key: stamp(join(top, ".git")) });
      return top;
    });
  }

  /** The tracked files: `git ls-files` is a function of the index file alone. */
  async trackedFiles(top: string, list: () => Promise<string[]>): Promise<string[]> {
    const key = `${top}\0${stamp(join(top, ".git", "index"))}`;
    if (this.tracked?.key === key) return this.tracked.files;
    const files = await list();
    // Taken before listing would be safer against a concurrent `git add`; the key is re-read
    // after, so a change during the listing makes the memo miss next time.
    if (`${top}\0${stamp(join(top, ".git", "index"))}` === key) this.tracked = { key, files };
    return files;
  }

  /** HEAD's commit: a function of .git/HEAD, the ref it names and packed-refs. */
  async headInfo(top: string, read: () => Promise<HeadInfo | undefined>): Promise<HeadInfo | undefined> {
    const git = join(top, ".git");
    let head: string;
    try {
      head = readFileSync(join(git, "HEAD"), "utf8");
    } catch {
      return read(); // a worktree or submodule (.git is a file): no memo
    }
    const ref = /^ref: (refs\/[^\n]+)/.exec(head)?.[1];
    const keyOf = () =>
      `${top}\0${head}\0${ref ? stamp(join(git, ref)) : ""}\0${stamp(join(git, "packed-refs"))}`;
    const key = keyOf();
    if (this.head?.key === key) return this.head.info;
    const info = await read();
    if (keyOf() === key) this.head = { key, info };
    return info;
  }
}
