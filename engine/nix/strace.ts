// What a nix process read, from `strace -f -qq -e trace=%file` output: parsed into accesses, then
// classified into path dependencies. Pure: no I/O here.
import { posix } from "node:path";

/** One file-system access of the traced process tree. */
export interface Access {
  pid: number;
  op: "read" | "list" | "stat" | "readlink" | "write" | "chdir";
  /** Absolute, normalised path. */
  path: string;
  /** Errno name when the call failed (ENOENT, ENOTDIR, ...). */
  errno?: string | undefined;
}

/** How an evaluation depended on a path (the path kinds of cache/records.ts DepKind). */
export type PathDepKind = "file" | "dir" | "type" | "link";

export interface PathDep {
  kind: PathDepKind;
  /** Path relative to the repository's top level ("" is the top itself), `/`-separated. */
  path: string;
}

const PATH_FIRST = new Set([
  "open",
  "creat",
  "stat",
  "lstat",
  "stat64",
  "lstat64",
  "access",
  "readlink",
  "chdir",
]);
const PATH_SECOND = new Set([
  "openat",
  "openat2",
  "newfstatat",
  "fstatat64",
  "statx",
  "faccessat",
  "faccessat2",
  "readlinkat",
]);
const STAT_CALLS = new Set([
  "stat",
  "lstat",
  "stat64",
  "lstat64",
  "newfstatat",
  "fstatat64",
  "statx",
  "access",
  "faccessat",
  "faccessat2",
]);

/** Decodes a strace string literal body (octal `\ooo`, `\xHH` and C escapes). */
export function unescapeStraceString(body: string): string {
  if (!body.includes("\\")) return body;
  const bytes: number[] = [];
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, a: 7, b: 8, e: 27 };
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== "\\") {
      bytes.push(...Buffer.from(ch, "utf8"));
      continue;
    }
    const next = body[i + 1] ?? "";
    if (next >= "0" && next <= "7") {
      let digits = "";
      while (digits.length < 3 && /[0-7]/.test(body[i + 1 + digits.length] ?? ""))
        digits += body[i + 1 + digits.length];
      bytes.push(Number.parseInt(digits, 8));
      i += digits.length;
    } else if (next === "x" && /^[0-9a-fA-F]{2}$/.test(body.slice(i + 2, i + 4))) {
      bytes.push(Number.parseInt(body.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (next in simple) {
      bytes.push(simple[next]!);
      i += 1;
    } else {
      bytes.push(...Buffer.from(next, "utf8"));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** Splits `a, "b, c", {x, y}` at top-level commas, keeping quoted strings intact. */
function splitArgs(args: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < args.length; i++) {
    const ch = args[i];
    if (ch === '"') {
      for (i++; i < args.length && args[i] !== '"'; i++) if (args[i] === "\\") i++;
    } else if (ch === "{" || ch === "[" || ch === "(") depth++;
    else if (ch === "}" || ch === "]" || ch === ")") depth--;
    else if (ch === "," && depth === 0) {
      out.push(args.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(args.slice(start).trim());
  return out;
}

/** Finds the `)` that closes the argument list opened at `open`, skipping strings and nesting. */
function closingParen(line: string, open: number): number {
  let depth = 0;
  for (let i = open; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') {
      for (i++; i < line.length && line[i] !== '"'; i++) if (line[i] === "\\") i++;
    } else if (ch === "(" || ch === "{" || ch === "[") depth++;
    else if (ch === ")" || ch === "}" || ch === "]") {
      depth--;
      if (depth === 0 && ch === ")") return i;
    }
  }
  return -1;
}

function stringArg(arg: string | undefined): string | undefined {
  if (arg === undefined || !arg.startsWith('"')) return undefined;
  const end = arg.lastIndexOf('"');
  if (end <= 0) return undefined;
  return unescapeStraceString(arg.slice(1, end));
}

const LINE_PREFIX = /^(?:\[pid\s+(\d+)\]\s+|(\d+)\s+)?(.*)$/;

export interface ParseOptions {
  /** Working directory of the first traced process (for relative paths). */
  initialCwd: string;
}

/**
 * Parses strace output into accesses, in order. Handles `-f` pid prefixes, calls split into
 * `<unfinished ...>` / `<... resumed>` halves, escaped paths and dirfd-relative calls.
 */
export function parseStrace(text: string, options: ParseOptions): Access[] {
  const accesses: Access[] = [];
  const pending = new Map<number, string>();
  const cwd = new Map<number, string>();
  const dirFds = new Map<string, string>();
  for (const rawLine of text.split("\n")) {
    const m = LINE_PREFIX.exec(rawLine);
    if (!m) continue;
    const pid = Number(m[1] ?? m[2] ?? 0);
    let rest = m[3] ?? "";
    if (rest.startsWith("+++") || rest.startsWith("---") || rest === "") continue;
    if (rest.endsWith("<unfinished ...>")) {
      pending.set(pid, rest.slice(0, -"<unfinished ...>".length).trimEnd());
      continue;
    }
    const resumed = /^<\.\.\. [\w]+ resumed>\s?(.*)$/.exec(rest);
    if (resumed) {
      const head = pending.get(pid);
      if (head === undefined) continue;
      pending.delete(pid);
      const tail = resumed[1] ?? "";
      rest =
        head.endsWith(",") || tail.startsWith(")") || tail.startsWith(",") ? head + tail : `${head} ${tail}`;
    }
    const open = rest.indexOf("(");
    if (open <= 0) continue;
    const name = rest.slice(0, open);
    const close = closingParen(rest, open);
    if (close < 0) continue;
    const ret = /^\s*=\s*(-?\d+|\?|0x[0-9a-f]+)(?:\s+(E[A-Z0-9]+))?/.exec(rest.slice(close + 1));
    if (!ret) continue;
    const failed = ret[1] === "-1" || ret[1] === "?";
    const errno = failed ? (ret[2] ?? "EUNKNOWN") : undefined;
    const args = splitArgs(rest.slice(open + 1, close));
    const base = cwd.get(pid) ?? options.initialCwd;

    if (name === "getcwd") {
      const p = stringArg(args[0]);
      if (p && !failed) cwd.set(pid, p);
      continue;
    }
    let rawPath: string | undefined;
    let dir = base;
    if (PATH_FIRST.has(name)) rawPath = stringArg(args[0]);
    else if (PATH_SECOND.has(name)) {
      rawPath = stringArg(args[1]);
      const dirfd = args[0] ?? "AT_FDCWD";
      if (dirfd !== "AT_FDCWD" && rawPath !== undefined && !rawPath.startsWith("/")) {
        const known = dirFds.get(`${pid}:${Number.parseInt(dirfd, 10)}`);
        // fstat on an fd (empty path) or a call relative to an fd we never saw opened.
        if (known === undefined || rawPath === "") continue;
        dir = known;
      }
    } else continue;
    if (rawPath === undefined || rawPath === "") continue;
    const path = posix.resolve(dir, rawPath);

    if (name === "chdir") {
      if (!failed) cwd.set(pid, path);
      continue;
    }
    let op: Access["op"];
    if (name === "open" || name === "openat" || name === "openat2" || name === "creat") {
      const flags = (name === "open" ? args[1] : args[2]) ?? "";
      if (name === "creat" || /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC/.test(flags)) op = "write";
      else if (flags.includes("O_DIRECTORY")) {
        op = "list";
        if (!failed && ret[1] !== undefined) dirFds.set(`${pid}:${Number.parseInt(ret[1], 10)}`, path);
      } else op = "read";
    } else if (STAT_CALLS.has(name)) op = "stat";
    else op = "readlink";
    accesses.push({ pid, op, path, errno });
  }
  return accesses;
}

export interface ClassifyOptions {
  /** Absolute path of the repository's top level. */
  top: string;
  /** Folder of the bracket marker files. */
  markerDir: string;
  /**
   * Store path that stands for `top` (when evaluating a store copy of the tree, as `nix eval`
   * does): accesses below it are mapped back to the working tree.
   */
  mappedRoot?: string | undefined;
}

export interface Classified {
  deps: PathDep[];
  /** A path was seen both missing and present in one evaluation: it changed while we ran. */
  racy: boolean;
  /** Brackets that appeared (work done for `self` or to fetch an input). */
  brackets: string[];
}

const EXISTS_KINDS: PathDepKind[] = ["file", "dir", "link"];

/**
 * Turns accesses into dependencies on repository paths: content reads, directory listings,
 * symlink targets, and type-only stats (which include "absent"). Paths outside the repository,
 * under `.git`, or inside a bracket are not dependencies.
 */
export function classify(accesses: Access[], options: ClassifyOptions): Classified {
  const seen = new Map<string, { kinds: Set<PathDepKind>; absent: boolean }>();
  const brackets = new Set<string>();
  let depth = 0;
  const markerPrefix = `${options.markerDir}/`;
  const topPrefix = `${options.top}/`;
  for (const access of accesses) {
    if (access.path.startsWith(markerPrefix)) {
      const name = access.path.slice(markerPrefix.length);
      if (name.startsWith("begin-")) {
        depth++;
        brackets.add(name.slice("begin-".length));
      } else if (name.startsWith("end-")) depth = Math.max(0, depth - 1);
      continue;
    }
    if (depth > 0 || access.op === "write" || access.op === "chdir") continue;
    let path = access.path;
    if (options.mappedRoot !== undefined) {
      if (path === options.mappedRoot) path = options.top;
      else if (path.startsWith(`${options.mappedRoot}/`))
        path = options.top + path.slice(options.mappedRoot.length);
      else if (path === options.top || path.startsWith(topPrefix)) continue; // reads made to copy the tree
    }
    let rel: string;
    if (path === options.top) rel = "";
    else if (path.startsWith(topPrefix)) rel = path.slice(topPrefix.length);
    else continue;
    if (rel === ".git" || rel.startsWith(".git/") || rel.includes("/.git/") || rel.endsWith("/.git"))
      continue;

    const entry = seen.get(rel) ?? { kinds: new Set<PathDepKind>(), absent: false };
    seen.set(rel, entry);
    // ENOTDIR from opening the path itself as a directory means it exists as something else.
    const missing = access.errno === "ENOENT" || (access.errno === "ENOTDIR" && access.op !== "list");
    if (missing) entry.absent = true;
    else if (access.op === "read" && access.errno === undefined) entry.kinds.add("file");
    else if (access.op === "list" && access.errno === undefined) entry.kinds.add("dir");
    else if (access.op === "readlink" && access.errno === undefined) entry.kinds.add("link");
    else entry.kinds.add("type");
  }
  const deps: PathDep[] = [];
  let racy = false;
  for (const [path, { kinds, absent }] of seen) {
    const exists = EXISTS_KINDS.filter((k) => kinds.has(k));
    if (absent && (exists.length > 0 || kinds.has("type"))) racy = true;
    if (exists.length > 0) for (const kind of exists) deps.push({ kind, path });
    else deps.push({ kind: "type", path });
  }
  deps.sort((a, b) => (a.path === b.path ? a.kind.localeCompare(b.kind) : a.path < b.path ? -1 : 1));
  return { deps, racy, brackets: [...brackets].sort() };
}
