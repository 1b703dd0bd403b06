// flake.lock: the one parser, the fingerprint of one locked input, and the `<lock file>#<node>`
// keys input dependencies are recorded under.
import { isAbsolute } from "node:path";
import { sha256, stableJson } from "../../cache/key.js";
import { parentOf } from "./paths.js";

export interface LockFile {
  nodes: Record<string, Record<string, unknown>>;
  root: string;
  version: number;
}

/** What a flake without a (tracked) lock file sees: a root node and nothing else. */
export const EMPTY_LOCK: LockFile = { nodes: { root: {} }, root: "root", version: 7 };

/** Lock file versions Nix reads (2.8 and 2.26 alike: older ones predate flakes' lock format). */
const SUPPORTED_VERSIONS = { min: 5, max: 7 } as const;

/** Fingerprint of every input of a lock file Nix would refuse: any edit may fix it. */
export const INVALID_LOCK = "invalid-lock";
/** Fingerprint of a lock node that is not there. */
export const ABSENT = "absent";

export class LockFileError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Parses a lock file's text, refusing what Nix refuses: not JSON, an unsupported version, no
 * root, a node without its locked source, an input naming a node that is not there.
 */
export function parseLock(text: string): LockFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LockFileError(`not JSON (${(error as Error).message})`);
  }
  if (!isObject(json)) throw new LockFileError("not a JSON object");
  const { version, root, nodes } = json;
  if (typeof version !== "number" || version < SUPPORTED_VERSIONS.min || version > SUPPORTED_VERSIONS.max)
    throw new LockFileError(`unsupported version ${JSON.stringify(version ?? null)}`);
  if (typeof root !== "string") throw new LockFileError("no 'root' node name");
  if (!isObject(nodes) || !isObject(nodes[root])) throw new LockFileError(`no node '${root}'`);
  for (const [name, node] of Object.entries(nodes)) {
    if (!isObject(node)) throw new LockFileError(`node '${name}' is not an object`);
    if (name !== root && !isObject(node.locked))
      throw new LockFileError(`node '${name}' has no locked source`);
    const inputs = node.inputs ?? {};
    if (!isObject(inputs)) throw new LockFileError(`node '${name}' has malformed inputs`);
    for (const [input, spec] of Object.entries(inputs)) {
      if (typeof spec === "string") {
        if (!isObject(nodes[spec]))
          throw new LockFileError(`input '${input}' of node '${name}' names missing node '${spec}'`);
      } else if (!Array.isArray(spec) || spec.some((s) => typeof s !== "string")) {
        throw new LockFileError(`input '${input}' of node '${name}' is neither a node nor a follows path`);
      }
    }
  }
  return json as unknown as LockFile;
}

/**
 * A lock node as it means the same to every Nix: a relative `path:` input listed by the root
 * gets `parent: []` when the lock file does not say. Nix 2.26 writes that `parent`, Nix < 2.26
 * neither reads nor keeps it, so a lock file re-written by the other release still has the
 * same meaning, and the same fingerprint.
 */
function meaningOf(lock: LockFile, key: string): Record<string, unknown> | undefined {
  const node = lock.nodes[key];
  if (node === undefined || "parent" in node) return node;
  const locked = node.locked as Record<string, unknown> | undefined;
  const relative = locked?.type === "path" && typeof locked.path === "string" && !isAbsolute(locked.path);
  const rootInputs = (lock.nodes[lock.root]?.inputs ?? {}) as Record<string, unknown>;
  return relative && Object.values(rootInputs).includes(key) ? { ...node, parent: [] } : node;
}

/** Fingerprint of one lock node (its locked source and how its own inputs resolve). */
export function lockNodeFingerprint(lock: LockFile, node: string): string {
  const value = meaningOf(lock, node);
  return value === undefined ? ABSENT : sha256(stableJson(value));
}

/** Nodes whose entry differs between two lock files (the root included). */
export function diffLocks(before: LockFile | undefined, after: LockFile | undefined): string[] {
  const keys = new Set([...Object.keys(before?.nodes ?? {}), ...Object.keys(after?.nodes ?? {})]);
  const meaning = (lock: LockFile | undefined, k: string) =>
    lock === undefined ? undefined : meaningOf(lock, k);
  return [...keys].filter((k) => stableJson(meaning(before, k)) !== stableJson(meaning(after, k))).sort();
}

/** The lock file of the flake in folder `flakeRel` (relative to the repository top). */
export function lockPathOf(flakeRel: string): string {
  return flakeRel === "" ? "flake.lock" : `${flakeRel}/flake.lock`;
}

export function isLockPath(rel: string): boolean {
  return rel === "flake.lock" || rel.endsWith("/flake.lock");
}

/** The key an input dependency is recorded under: `<lock file>#<node>`. */
export function inputKey(lockPath: string, node: string): string {
  return `${lockPath}#${node}`;
}

/** The lock file, its flake's folder and the node of an input key (node names hold no `#`). */
export function splitInputKey(key: string): { lockPath: string; flakeRel: string; node: string } {
  const hash = key.lastIndexOf("#");
  const lockPath = key.slice(0, hash);
  return { lockPath, flakeRel: parentOf(lockPath), node: key.slice(hash + 1) };
}
