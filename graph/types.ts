// What the engine hands to graph/: plain data, no graphology or LMDB types.

/** How a target depended on something (cache/records.ts DepKind says what each means). */
export type GraphDepKind = "file" | "dir" | "type" | "link" | "input" | "tree" | "git";

export interface GraphDep {
  kind: GraphDepKind;
  /**
   * file/dir/type/link: path relative to the repo folder ("." is the folder itself; "../x" when
   * outside it). input: "<flake folder>/flake.lock#<lock node>" ("flake.lock#<node>" for a flake
   * at the repo folder). tree: "." (every tracked file). git: "HEAD".
   */
  path: string;
}

export interface GraphTarget {
  /** Stable identity (cache key). */
  id: string;
  /** Name as on the command line (qualified where names clash). */
  name: string;
  kind: "nixos" | "darwin" | "home";
  /** Flake folder relative to the repo folder ("." for the repo folder itself). */
  flake: string;
  /** Last recorded evaluation: ok, failed, or unknown (never evaluated, so no dependencies known). */
  status: "ok" | "failed" | "unknown";
  drvPath?: string | undefined;
  /** What the last recorded deployment (infra deploy) left the target running, if any. */
  deployed?: GraphDeployment | undefined;
  deps: GraphDep[];
  /** The secrets the recorded evaluation declares, with the check's verdict for this host. */
  secrets?: GraphSecret[] | undefined;
}

/** One secret a target declares, as the graph shows it (names and verdicts, never a value). */
export interface GraphSecret {
  /** The declared name (`sops.secrets.<name>`, `age.secrets.<name>`). */
  name: string;
  backend: "sops" | "agenix";
  /** The encrypted file, relative to the repo folder. */
  file: string;
  /** sops: the key inside the file. */
  key?: string | undefined;
  /** The `infra secrets` status for this host ("ok", "missing", "not-for-host", …). */
  status: string;
}

/** A target's last recorded deployment, as the graph shows it. */
export interface GraphDeployment {
  /** The toplevel the target runs as far as infra saw (null: not known after a failure). */
  path: string | null;
  /** When, in milliseconds since the epoch. */
  at: number;
  /** Whether that is the toplevel of the target's recorded evaluation: nothing left to deploy. */
  current: boolean;
}

export interface GraphInput {
  /** Absolute path of the repo folder (for reading .nix files in the static import scan). */
  repoDir: string;
  targets: GraphTarget[];
  /** Tracked files relative to the repo folder (for orphans: modules no target reads). */
  trackedFiles: string[];
}
