// Evaluates one target and reports what it read. Runs inside a pool worker: takes and returns
// plain data only, never touches the cache.
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { FileHasher, type FileStat, lstatOrUndefined, MemoryFileStatTable } from "../cache/file-hashes.js";
import {
  buildTrackedTree,
  type Dependency,
  gitFingerprint,
  type LockFile,
  lockNodeFingerprint,
  Snapshot,
  type TrackedTree,
} from "../cache/fingerprint.js";
import { drvClosureMentions } from "./drv-scan.js";
import { type GitState, trackedFiles } from "./git.js";
import { INLINE_REQUEST_MAX, type Limits, loaderArgv, type RunNixResult, runNix } from "./nix.js";
import { parseNixError } from "./nix-error.js";
import { attrPathFragment, nixString, selectExpr } from "./nix-syntax.js";
import { classify, type PathDep, parseMarkers, parseStrace, stripMarkers } from "./trace.js";

export type TargetKind = "nixos" | "darwin" | "home";

/** What a worker needs to evaluate one target (or list a flake's targets). */
export interface EvalTask {
  mode: "value" | "list";
  /** Flake folder, absolute, and relative to `top` ("" when the flake is at the top). */
  flakeDir: string;
  flakeRel: string;
  /** For "value": attribute path of the derivation, and of the configuration it belongs to. */
  attrPath: string[];
  configPath: string[];
  /** Extra attributes to record, as paths from the configuration. */
  meta: Record<string, string[]>;
  /** The repository's top level (git work tree, or the repo folder outside git). */
  top: string;
  git: GitState;
  /** The flake's lock file as the flake sees it, parsed before the run. */
  lock: LockFile;
  nix: { instantiate: string; nix: string | undefined; strace: string | undefined; time: string | undefined };
  loader: string;
  markerDir: string;
  limits: Limits;
  /** Skip the working-tree loader and evaluate exactly as `nix eval` does. */
  exact?: boolean;
}

export interface EvalValue {
  drvPath: string;
  outPath: string;
  meta: Record<string, unknown>;
}

export interface ListValue {
  nixosConfigurations: string[];
  darwinConfigurations: string[];
  homeConfigurations: string[];
}

export interface EvalFailure {
  code: string;
  message: string;
  file?: string | undefined;
  line?: number | undefined;
  column?: number | undefined;
  trace: string[];
  hints: string[];
}

export interface EvalOutcome {
  value?: EvalValue | ListValue | undefined;
  error?: EvalFailure | undefined;
  deps: Dependency[];
  /** Stat entries computed here, for the main thread's file table. */
  fileStats: [string, FileStat][];
  /** traced: working-tree loader under strace; exact: `nix eval` on a store copy; untraced: no strace. */
  mode: "traced" | "exact" | "untraced";
  /** Why the working-tree evaluation was not used. */
  exactReason?: string | undefined;
  /** False when the result must not be cached (limits hit, cancelled, inputs changed meanwhile). */
  cacheable: boolean;
  durationMs: number;
  maxRssKb?: number | undefined;
  attempts: number;
}

/** The loader's and `--apply`'s answer for a value (see loader.nix for the field names). */
interface NixValue {
  drv: string;
  out: string;
  meta: Record<string, unknown>;
}

function fromNixValue(value: NixValue): EvalValue {
  return { drvPath: value.drv, outPath: value.out, meta: value.meta ?? {} };
}

function parseValue(stdout: string): EvalValue | ListValue {
  const value = JSON.parse(stdout) as NixValue | ListValue;
  return "drv" in value ? fromNixValue(value) : value;
}

/** Files whose ctime is this close to the start may have changed while Nix read them. */
const RACE_MARGIN_NS = 50_000_000n;
const IMPURE_BUILTIN = /\b(?:currentSystem|currentTime|nixPath|storePath)\b/;

// Worker-lifetime state: the tracked tree (keyed by the git index's stat), stat table and the
// derivations known not to mention the working tree.
const trackedByIndex = new Map<string, TrackedTree>();
const statTable = new MemoryFileStatTable();
const cleanDrvs = new Map<string, Set<string>>();

async function trackedTree(task: EvalTask): Promise<TrackedTree | undefined> {
  if (!task.git.isRepo) return undefined;
  const index = lstatOrUndefined(join(task.top, ".git", "index"));
  const key = `${task.top}:${index?.ino}:${index?.size}:${index?.mtimeNs}:${index?.ctimeNs}`;
  let tree = trackedByIndex.get(key);
  if (tree === undefined) {
    tree = buildTrackedTree(await trackedFiles(task.top));
    trackedByIndex.clear();
    trackedByIndex.set(key, tree);
  }
  return tree;
}

/** Lock with relative `path:` inputs made absolute (they are relative to the flake's folder). */
export function resolveLockPaths(lock: LockFile, flakeDir: string): LockFile {
  const nodes: LockFile["nodes"] = {};
  for (const [key, node] of Object.entries(lock.nodes)) {
    const locked = node.locked as Record<string, unknown> | undefined;
    if (locked?.type === "path" && typeof locked.path === "string" && !isAbsolute(locked.path)) {
      nodes[key] = { ...node, locked: { ...locked, path: resolve(flakeDir, locked.path) } };
    } else nodes[key] = node;
  }
  return { ...lock, nodes };
}

export async function evaluate(task: EvalTask, signal?: AbortSignal): Promise<EvalOutcome> {
  let attempts = 0;
  while (true) {
    attempts++;
    const outcome = await evaluateOnce(task, signal);
    outcome.attempts = attempts;
    // Something it read changed while Nix ran: the trace may not match the value. Run again.
    if (outcome.exactReason !== RACY || attempts >= 3 || signal?.aborted) return outcome;
  }
}

const RACY = "inputs changed during the evaluation";

async function evaluateOnce(task: EvalTask, signal: AbortSignal | undefined): Promise<EvalOutcome> {
  const startNs = BigInt(Date.now()) * 1_000_000n;
  const indexBefore = lstatOrUndefined(join(task.top, ".git", "index"))?.ctimeNs;
  const hasher = new FileHasher(statTable);
  const snapshot = new Snapshot({
    top: task.top,
    tracked: await trackedTree(task),
    hasher,
    git: gitFingerprint(task.git),
  });

  let outcome: EvalOutcome | undefined;
  let exactReason = task.exact ? "requested" : undefined;
  if (exactReason === undefined) {
    const run = await runLoader(task, signal);
    const loaded = interpretLoader(task, run, snapshot);
    if ("exactReason" in loaded) exactReason = loaded.exactReason;
    else outcome = loaded;
  }
  if (outcome === undefined) {
    outcome = await evaluateExact(task, snapshot, signal);
    outcome.exactReason = exactReason;
  }

  if (outcome.cacheable && changedSince(outcome.deps, snapshot, startNs, indexBefore)) {
    outcome.cacheable = false;
    outcome.exactReason = RACY;
  }
  outcome.fileStats = [...hasher.fresh];
  return outcome;
}

/** Did anything the trace depends on change after `startNs` (so Nix may have seen older content)? */
function changedSince(
  deps: Dependency[],
  snapshot: Snapshot,
  startNs: bigint,
  indexBefore: bigint | undefined,
) {
  const recent = (rel: string) => {
    const st = lstatOrUndefined(snapshot.abs(rel));
    return st !== undefined && st.ctimeNs >= startNs - RACE_MARGIN_NS;
  };
  if (lstatOrUndefined(join(snapshot.top, ".git", "index"))?.ctimeNs !== indexBefore) return true;
  return deps.some((dep) => {
    if (dep.kind === "input" || dep.kind === "git") return false; // fixed before the run
    if (dep.kind === "tree") return [...(snapshot.tracked?.files ?? [])].some(recent);
    return recent(dep.key);
  });
}

function requestJSON(task: EvalTask): string {
  return JSON.stringify({
    top: task.top,
    flakeDir: task.flakeDir,
    subdir: task.flakeRel,
    markerDir: task.markerDir,
    lock: resolveLockPaths(task.lock, task.flakeDir),
    git: task.git,
    mode: task.mode,
    attrPath: task.attrPath,
    configPath: task.configPath,
    meta: task.meta,
  });
}

async function runLoader(task: EvalTask, signal: AbortSignal | undefined): Promise<RunNixResult> {
  const json = requestJSON(task);
  let request: { json: string } | { file: string } = { json };
  if (json.length > INLINE_REQUEST_MAX) {
    const file = join(task.markerDir, `request-${process.pid}-${Date.now()}-${Math.random()}.json`);
    await writeFile(file, json);
    request = { file };
  }
  const loaderDir = resolve(task.loader, "..");
  const argv = loaderArgv(task.nix.instantiate, task.loader, [task.top, loaderDir, task.markerDir], request);
  return runNix({
    argv,
    cwd: task.top,
    limits: task.limits,
    strace: task.nix.strace,
    time: task.nix.time,
    signal,
  });
}

function limitFailure(task: EvalTask, run: RunNixResult): EvalFailure | undefined {
  if (run.ended === "timeout") {
    return {
      code: "E_TIMEOUT",
      message: `evaluation did not finish within ${Math.round(task.limits.timeoutMs / 1000)} s and was stopped`,
      trace: [],
      hints: [
        "Raise the limit with --timeout SECONDS or `limits.timeoutSeconds` in infra.json, or look for a loop in the code.",
      ],
    };
  }
  if (run.ended === "memory") {
    return {
      code: "E_MEMORY",
      message: `evaluation needed more than the ${task.limits.memoryMB} MB memory limit`,
      trace: [],
      hints: ["Raise the limit with --max-memory MB or `limits.memoryMB` in infra.json."],
    };
  }
  if (run.ended === "cancelled")
    return { code: "E_CANCELLED", message: "evaluation was cancelled", trace: [], hints: [] };
  return undefined;
}

function baseOutcome(run: RunNixResult, mode: EvalOutcome["mode"]): EvalOutcome {
  return {
    deps: [],
    fileStats: [],
    mode,
    cacheable: true,
    durationMs: Math.round(run.durationMs),
    maxRssKb: run.maxRssKb,
    attempts: 1,
  };
}

function failureFrom(task: EvalTask, stderr: string, mapPath?: (p: string) => string): EvalFailure {
  const parsed = parseNixError(stripMarkers(stderr), { ownFiles: [task.loader], mapPath });
  if (mapPath) {
    // Paths in the store copy mean nothing to the user: name the working-tree file instead.
    const mapText = (text: string) =>
      text.replace(/\/nix\/store\/[0-9a-z]{32}-source(?=[/'" ]|$)/g, (m) => mapPath(m));
    parsed.message = mapText(parsed.message);
    parsed.trace = parsed.trace.map(mapText);
  }
  const hints: string[] = [];
  if (/does not exist|No such file/.test(parsed.message)) {
    hints.push("A git flake only sees tracked files: `git add` the file if it should be part of the flake.");
  }
  return {
    code: "E_EVAL",
    message: parsed.message,
    file: parsed.position?.file,
    line: parsed.position?.line,
    column: parsed.position?.column,
    trace: parsed.trace,
    hints,
  };
}

function fingerprintPaths(paths: PathDep[], snapshot: Snapshot): Dependency[] {
  return paths.map((dep) => ({
    kind: dep.kind,
    key: dep.path,
    fp: snapshot.fingerprint({ kind: dep.kind, key: dep.path }),
  }));
}

/**
 * The working-tree loader's run, or the reason its value may differ from `nix eval`'s (an
 * untracked file seen, a working-tree path leaked into a derivation, an impure builtin).
 */
function interpretLoader(
  task: EvalTask,
  run: RunNixResult,
  snapshot: Snapshot,
): EvalOutcome | { exactReason: string } {
  const outcome = baseOutcome(run, run.trace === undefined ? "untraced" : "traced");
  const limit = limitFailure(task, run);
  if (limit) return { ...outcome, error: limit, cacheable: false };
  if (run.trace === undefined) return untracedOutcome(task, run, snapshot, outcome);

  const accesses = parseStrace(run.trace, { initialCwd: task.top });
  const classified = classify(accesses, { top: task.top, markerDir: task.markerDir });
  for (const dep of classified.deps) {
    const reason = snapshot.untrackedReason({ kind: dep.kind, key: dep.path });
    if (reason !== undefined) return { exactReason: reason };
  }
  for (const dep of classified.deps) {
    if (dep.kind !== "file" || !dep.path.endsWith(".nix")) continue;
    let text = "";
    try {
      text = readFileSync(snapshot.abs(dep.path), "utf8");
    } catch {}
    const impure = IMPURE_BUILTIN.exec(text);
    if (impure)
      return { exactReason: `${dep.path} uses builtins.${impure[0]}, which pure flake evaluation lacks` };
  }

  if (run.exitCode === 0) {
    const value = parseValue(run.stdout);
    if ("drvPath" in value) {
      const clean = cleanDrvs.get(task.top) ?? new Set<string>();
      cleanDrvs.set(task.top, clean);
      if (
        drvClosureMentions(value.drvPath, task.top, clean) ||
        JSON.stringify(value.meta).includes(task.top)
      ) {
        return { exactReason: "a working-tree path reached the derivation (e.g. `toString ./.`)" };
      }
    }
    outcome.value = value;
  } else outcome.error = failureFrom(task, run.stderr);

  const markers = parseMarkers(run.stderr);
  const deps = fingerprintPaths(classified.deps, snapshot);
  const nodes = new Set([task.lock.root, ...markers.inputs]);
  for (const node of [...nodes].sort()) {
    deps.push({ kind: "input", key: `${task.flakeRel}#${node}`, fp: lockNodeFingerprint(task.lock, node) });
  }
  if (markers.tree) deps.push({ kind: "tree", key: "", fp: snapshot.fingerprint({ kind: "tree", key: "" }) });
  if (markers.self) deps.push({ kind: "git", key: "", fp: gitFingerprint(task.git) });
  outcome.deps = deps;
  if (classified.racy) {
    outcome.cacheable = false;
    outcome.exactReason = RACY;
  }
  return outcome;
}

/**
 * Without strace we cannot see what was read, so the result depends on everything: the whole
 * tracked tree, HEAD and every locked input. Correct, never minimal; the CLI says so.
 */
function untracedOutcome(
  task: EvalTask,
  run: RunNixResult,
  snapshot: Snapshot,
  outcome: EvalOutcome,
): EvalOutcome {
  if (run.exitCode === 0) outcome.value = parseValue(run.stdout);
  else outcome.error = failureFrom(task, run.stderr);
  outcome.deps = conservativeDeps(task, snapshot);
  return outcome;
}

function conservativeDeps(task: EvalTask, snapshot: Snapshot): Dependency[] {
  const deps: Dependency[] = [
    { kind: "tree", key: "", fp: snapshot.fingerprint({ kind: "tree", key: "" }) },
    { kind: "git", key: "", fp: gitFingerprint(task.git) },
  ];
  for (const node of Object.keys(task.lock.nodes).sort()) {
    deps.push({ kind: "input", key: `${task.flakeRel}#${node}`, fp: lockNodeFingerprint(task.lock, node) });
  }
  return deps;
}

const SOURCE_ROOT = /^\/nix\/store\/[0-9a-z]{32}-source/;

/**
 * `nix eval` itself, on the store copy it makes of the tracked tree. Reads below that copy are
 * mapped back to the working tree; the value also depends on the whole tree (the copy's store
 * path) and on HEAD, which we cannot rule out here.
 */
async function evaluateExact(
  task: EvalTask,
  snapshot: Snapshot,
  signal: AbortSignal | undefined,
): Promise<EvalOutcome> {
  const nix = task.nix.nix ?? "nix";
  const common = [
    "eval",
    "--json",
    "--show-trace",
    "--no-update-lock-file",
    "--option",
    "eval-cache",
    "false",
  ];
  const runs: { run: RunNixResult; missingIsEmpty: boolean; kind?: string }[] = [];
  if (task.mode === "list") {
    for (const kind of ["nixosConfigurations", "darwinConfigurations", "homeConfigurations"]) {
      const argv = [nix, ...common, `${task.flakeDir}#${kind}`, "--apply", "builtins.attrNames"];
      runs.push({
        run: await runNix({
          argv,
          cwd: task.top,
          limits: task.limits,
          strace: task.nix.strace,
          time: task.nix.time,
          signal,
        }),
        missingIsEmpty: true,
        kind,
      });
    }
  } else {
    const rest = task.attrPath.slice(task.configPath.length);
    const metaExpr = Object.entries(task.meta)
      .map(([name, path]) => {
        const sel = `${selectExpr("c", path)} or null`;
        return `${nixString(name)} = let r = builtins.tryEval (${sel}); in if r.success then r.value else null;`;
      })
      .join(" ");
    // The fragment names only the configuration set (a plain identifier): flake fragments cannot
    // spell every attribute name, so the rest is selected in --apply with escaped literals.
    const [set, ...configRest] = task.configPath;
    const expr = `s: let c = ${selectExpr("s", configRest)}; t = ${selectExpr("c", rest)}; in { drv = t.drvPath; out = t.outPath; meta = { ${metaExpr} }; }`;
    const argv = [nix, ...common, `${task.flakeDir}#${attrPathFragment([set!])}`, "--apply", expr];
    runs.push({
      run: await runNix({
        argv,
        cwd: task.top,
        limits: task.limits,
        strace: task.nix.strace,
        time: task.nix.time,
        signal,
      }),
      missingIsEmpty: false,
    });
  }

  const first = runs[0]!.run;
  const outcome = baseOutcome(first, "exact");
  outcome.durationMs = Math.round(runs.reduce((sum, r) => sum + r.run.durationMs, 0));
  outcome.maxRssKb = Math.max(0, ...runs.map((r) => r.run.maxRssKb ?? 0)) || undefined;
  const paths = new Map<string, PathDep>();
  let mappedRoot: string | undefined;
  const mapPath = (p: string) =>
    mappedRoot && p.startsWith(mappedRoot) ? task.top + p.slice(mappedRoot.length) : p;
  const list: ListValue = { nixosConfigurations: [], darwinConfigurations: [], homeConfigurations: [] };
  for (const { run, missingIsEmpty, kind } of runs) {
    const limit = limitFailure(task, run);
    if (limit) return { ...outcome, error: limit, cacheable: false };
    if (run.trace !== undefined) {
      const accesses = parseStrace(run.trace, { initialCwd: task.top });
      const suffix = task.flakeRel === "" ? "/flake.nix" : `/${task.flakeRel}/flake.nix`;
      const entry = accesses.find((a) => SOURCE_ROOT.test(a.path) && a.path.endsWith(suffix));
      mappedRoot = entry ? SOURCE_ROOT.exec(entry.path)![0] : mappedRoot;
      if (mappedRoot !== undefined) {
        const classified = classify(accesses, { top: task.top, markerDir: task.markerDir, mappedRoot });
        for (const dep of classified.deps) paths.set(`${dep.kind}:${dep.path}`, dep);
      }
    }
    if (run.exitCode === 0) {
      const value = JSON.parse(run.stdout) as unknown;
      if (kind !== undefined) list[kind as keyof ListValue] = value as string[];
      else outcome.value = fromNixValue(value as NixValue);
    } else if (!(missingIsEmpty && /does not provide attribute/.test(run.stderr))) {
      outcome.error = failureFrom(task, run.stderr, mapPath);
      break;
    }
  }
  if (task.mode === "list" && outcome.error === undefined) outcome.value = list;
  outcome.deps = [...fingerprintPaths([...paths.values()], snapshot), ...conservativeDeps(task, snapshot)];
  return outcome;
}
