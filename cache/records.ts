// What the cache keeps: the dependencies one evaluation read, with their fingerprints, and what
// it produced. `Evaluation` is the one result shape from the worker thread to the JSON a user
// sees; `Failure` the one failure shape. Pure types and two constructors, nothing else.

/**
 * How an evaluation depended on something:
 * - `file`: a path's content; `dir`: its (tracked) listing; `type`: only what kind of thing is
 *   there, "absent" included; `link`: a symlink's target;
 * - `input`: a locked flake input (key `<lock file>#<node>`, see engine/repo/lock.ts);
 * - `tree`: every tracked file (the value used `self.outPath` or `self.narHash`);
 * - `git`: HEAD and whether the tree is dirty (the value used `self.rev` and its relatives).
 * engine/invalidation.ts says which changes reach each kind; engine/repo/snapshot.ts how each
 * is fingerprinted.
 */
export type DepKind = "file" | "dir" | "type" | "link" | "input" | "tree" | "git";

export const DEP_KINDS: readonly DepKind[] = ["file", "dir", "type", "link", "input", "tree", "git"];

export interface DepRef {
  kind: DepKind;
  /**
   * Path kinds: relative to the repository top ("" for the top itself), `/`-separated.
   * `input`: `<lock file>#<node>`; `tree` and `git`: "".
   */
  key: string;
}

export interface Dependency extends DepRef {
  /** Fingerprint when the evaluation ran. */
  fp: string;
}

/** Stable codes of a failed evaluation (scripts may rely on them). */
export type FailureCode =
  /** Nix reported an error. */
  | "E_EVAL"
  /** The evaluation hit its time limit. */
  | "E_TIMEOUT"
  /** The evaluation hit its memory limit. */
  | "E_MEMORY"
  /** It was stopped because its inputs changed or the user interrupted: not a result. */
  | "E_CANCELLED"
  /** The flake's lock file is not one Nix accepts. */
  | "E_LOCKFILE";

/** Why an evaluation failed: what Nix (or infra) said, where, and what to do. */
export interface Failure {
  message: string;
  /** Where in the user's code, relative to the repo folder once reported; null when unknown. */
  file: string | null;
  line: number | null;
  column: number | null;
  code: FailureCode;
  /** Sentences that say what to do about it. */
  hints: string[];
  /** "… while evaluating …" frames, user code first, with their positions. */
  trace: string[];
}

/** A Failure with its fields in the contract's order (JSON output keeps insertion order). */
export function failure(
  code: FailureCode,
  message: string,
  at: { file?: string | null; line?: number | null; column?: number | null } = {},
  more: { hints?: string[]; trace?: string[] } = {},
): Failure {
  return {
    message,
    file: at.file ?? null,
    line: at.line ?? null,
    column: at.column ?? null,
    code,
    hints: more.hints ?? [],
    trace: more.trace ?? [],
  };
}

/** A cancelled evaluation is not an answer: never reported, never cached. */
export function isCancelled(failure: Failure | null | undefined): boolean {
  return failure?.code === "E_CANCELLED";
}

/**
 * How the evaluation saw its inputs: `traced` (working-tree loader under strace), `exact`
 * (`nix eval` itself, on the store copy of the tree), `untraced` (no strace: depends on
 * everything), `none` (Nix never ran, e.g. a broken lock file).
 */
export type EvalMode = "traced" | "exact" | "untraced" | "none";

/** What a flake's listing evaluation produced: its configurations' attribute names. */
export interface TargetList {
  nixosConfigurations: string[];
  darwinConfigurations: string[];
  homeConfigurations: string[];
}

/** deploy-rs's settings of one node (`deploy.nodes.<name>`), as far as infra reads them. */
export interface DeployRsNode {
  hostname: string | null;
  sshUser: string | null;
  /** The user the profile is activated as (deploy-rs `user`). */
  user: string | null;
  sshOpts: string[] | null;
  /** The node's profiles by name, with the settings that say where each one lives. */
  profiles: Record<string, { user: string | null; sshUser: string | null; profilePath: string | null }>;
}

/** colmena's `deployment` settings of one node. */
export interface ColmenaNode {
  targetHost: string | null;
  targetUser: string | null;
  targetPort: number | null;
  tags: string[];
}

/**
 * What a flake's deploy-conventions evaluation read (engine/worker/deploy-info.ts): deploy-rs's
 * `deploy` (top-level settings and nodes) and colmena's hive (`colmenaHive.deploymentConfig`,
 * else the plain `colmena` attribute set), each null when the flake has none.
 */
export interface DeployConventions {
  deployRs: {
    sshUser: string | null;
    user: string | null;
    sshOpts: string[] | null;
    nodes: Record<string, DeployRsNode>;
  } | null;
  colmena: Record<string, ColmenaNode> | null;
}

/**
 * One secret a configuration declares (sops-nix `sops.secrets.<name>`, agenix
 * `age.secrets.<name>`): where the encrypted file is and who reads it, never what it holds.
 */
export interface DeclaredSecret {
  backend: "sops" | "agenix";
  name: string;
  /** Relative to the repository top when it lies inside it; as evaluated otherwise; null if unset. */
  file: string | null;
  /** sops: the key inside the file (default: the name). */
  key?: string | null;
  /** sops: the file's format (yaml, json, dotenv, ini, binary), when declared. */
  format?: string | null;
  owner: string | null;
  mode: string | null;
}

/** What one evaluation produced: a derivation (or a flake's target list), or a failure. */
export interface Evaluation {
  drvPath: string | null;
  outPath: string | null;
  /** Extra attributes recorded beside a target's derivation (infra.json `meta`). */
  meta: Record<string, unknown>;
  /** A listing evaluation's answer. */
  targets?: TargetList | undefined;
  /** The secrets the configuration declares (a target's evaluation only). */
  secrets?: DeclaredSecret[] | undefined;
  /** agenix's rules (a rules evaluation): file as written → its publicKeys. */
  rules?: Record<string, string[]> | undefined;
  /** A deploy-conventions evaluation's answer. */
  deploy?: DeployConventions | undefined;
  error: Failure | null;
  mode: EvalMode;
  /** Why the target was evaluated exactly as `nix eval` would (untracked file, leaked path, ...). */
  reason?: string | undefined;
  /** How long Nix took. */
  evaluationMs: number;
  /** Peak resident memory of the nix process, when measurable. */
  maxRssKb: number | null;
}

export interface StoredTrace {
  /** Identity: the evaluator and every dependency with its fingerprint (cache/key.ts traceId). */
  id: string;
  evaluator: string;
  deps: Dependency[];
  evaluation: Evaluation;
  createdAt: number;
  usedAt: number;
}

/** One evaluation's cost, kept for `infra ci` budgets. */
export interface HistoryRecord {
  at: number;
  durationMs: number;
  maxRssKb: number | null;
  status: "ok" | "failed";
}

/** How one deployment of one target ended (engine/deploy/). */
export type DeployOutcome = "deployed" | "up-to-date" | "failed";

/**
 * One deployment of one target, kept for `infra plan` and the graph page: what was deployed
 * where, and what the target runs afterwards as far as infra saw it.
 */
export interface DeployRecord {
  at: number;
  /** The target's name as on the command line. */
  target: string;
  host: string;
  backend: string;
  goal: string;
  /** The toplevel infra deployed (or tried to). */
  storePath: string;
  /** What the target ran before, null when nothing. */
  previous: string | null;
  /** What it runs afterwards: the new toplevel, or the previous one after a failure or `boot`. */
  running: string | null;
  outcome: DeployOutcome;
  rolledBack: boolean;
  durationMs: number;
  /** The failure's message, for a failed deployment. */
  error: string | null;
}

/** What we remember about a file (all times in nanoseconds, as decimal strings). */
export interface FileStat {
  size: number;
  mtimeNs: string;
  ctimeNs: string;
  ino: string;
  mode: number;
  /** `sha256:<hex>` of the content (or of the link target for symlinks; of the listing for folders). */
  hash: string;
  /** For folder listings: which children are tracked (a `git add` changes this, not the folder). */
  tracked?: string | undefined;
  /**
   * False when the file changed so recently that a later write within the same timestamp tick
   * could go unnoticed (git's "racily clean" problem): such entries are re-hashed next time.
   */
  settled: boolean;
}

export interface CacheStats {
  path: string;
  targets: number;
  traces: number;
  files: number;
  historyRecords: number;
  sizeBytes: number;
}
