// An independent model of "which targets must re-evaluate", for the randomized differential
// test. It observes each reported dependency straight from git and the file system (not through
// infra's fingerprint code) and replays the cache's policy: a target is answered from the cache
// when one of its last 8 recorded traces still holds.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";

export interface ReportedDep {
  kind: string;
  path: string;
}

interface Recorded {
  deps: ReportedDep[];
  values: string[];
}

const KEEP = 8;

/** The repository as a flake sees it: tracked files only. */
class View {
  private readonly tracked: Set<string>;
  private readonly dirs = new Set<string>();
  private tree?: string;
  private head?: string;

  constructor(private readonly dir: string) {
    const files = execFileSync("git", ["-C", dir, "ls-files", "-z"], { encoding: "utf8" })
      .split("\0")
      .filter(Boolean);
    this.tracked = new Set(files);
    for (const f of files) {
      const parts = f.split("/");
      for (let i = 1; i < parts.length; i++) this.dirs.add(parts.slice(0, i).join("/"));
    }
  }

  private norm(path: string): string {
    return path === "." ? "" : path;
  }

  private hash(data: Buffer | string): string {
    return createHash("sha256").update(data).digest("hex");
  }

  private kindOf(abs: string): string {
    try {
      const st = lstatSync(abs);
      return st.isSymbolicLink() ? "symlink" : st.isDirectory() ? "directory" : "regular";
    } catch {
      return "absent";
    }
  }

  observe(dep: ReportedDep): string {
    const rel = this.norm(dep.path);
    const abs = join(this.dir, rel);
    const visible = rel === "" || this.tracked.has(rel) || this.dirs.has(rel);
    switch (dep.kind) {
      case "file": {
        if (!this.tracked.has(rel) || !existsSync(abs)) return "absent";
        const mode = lstatSync(abs).mode & 0o111 ? "x" : "-";
        return `${mode}${this.hash(readFileSync(abs))}`;
      }
      case "dir": {
        if (!visible || this.kindOf(abs) !== "directory") return "absent";
        const names = readdirSync(abs, { withFileTypes: true })
          .filter((d) => {
            const child = rel === "" ? d.name : `${rel}/${d.name}`;
            return this.tracked.has(child) || this.dirs.has(child);
          })
          .map((d) => `${d.name}:${d.isDirectory() ? "d" : d.isSymbolicLink() ? "l" : "f"}`)
          .sort();
        return names.join(",");
      }
      case "type":
        return visible ? this.kindOf(abs) : "absent";
      case "link":
        return this.tracked.has(rel) ? readlinkSync(abs) : "absent";
      case "input": {
        const [lockPath, node] = dep.path.split("#") as [string, string];
        if (!this.tracked.has(lockPath) || !existsSync(join(this.dir, lockPath)))
          return node === "root" ? "{}" : "absent";
        const lock = JSON.parse(readFileSync(join(this.dir, lockPath), "utf8")) as {
          nodes: Record<string, unknown>;
        };
        return JSON.stringify(lock.nodes[node] ?? "absent");
      }
      case "tree":
        this.tree ??= [...this.tracked]
          .sort()
          .filter((f) => existsSync(join(this.dir, f)))
          .map((f) => `${f}:${this.hash(readFileSync(join(this.dir, f)))}`)
          .join("\n");
        return this.tree;
      case "git":
        if (this.head === undefined) {
          const rev = execFileSync("git", ["-C", this.dir, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
          let dirty = false;
          try {
            execFileSync("git", ["-C", this.dir, "diff", "HEAD", "--quiet", "--"]);
          } catch {
            dirty = true;
          }
          this.head = `${rev}:${dirty}`;
        }
        return this.head;
      default:
        throw new Error(`oracle does not know dependency kind ${dep.kind}`);
    }
  }
}

export class Oracle {
  private readonly history = new Map<string, Recorded[]>();
  private view?: View;

  constructor(private readonly dir: string) {}

  /** Call after every change to the repository. */
  refresh(): void {
    this.view = new View(this.dir);
  }

  private current(): View {
    this.view ??= new View(this.dir);
    return this.view;
  }

  /** Would this target be answered from the cache right now? */
  cached(target: string): boolean {
    const view = this.current();
    return (this.history.get(target) ?? []).some((r) =>
      r.deps.every((d, i) => view.observe(d) === r.values[i]),
    );
  }

  /** Records what a run reported: a fresh trace, or a hit on an earlier one. */
  record(target: string, deps: ReportedDep[], evaluated: boolean): void {
    const view = this.current();
    const list = this.history.get(target) ?? [];
    const values = deps.map((d) => view.observe(d));
    const same = (r: Recorded) =>
      r.values.length === values.length &&
      r.deps.every(
        (d, i) => d.kind === deps[i]!.kind && d.path === deps[i]!.path && r.values[i] === values[i],
      );
    const existing = list.findIndex(same);
    if (existing >= 0) list.splice(existing, 1);
    else if (!evaluated) return; // a hit on a trace we do not know: nothing to learn
    list.unshift({ deps, values });
    this.history.set(target, list.slice(0, KEEP));
  }
}
