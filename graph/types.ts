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
  deps: GraphDep[];
}

export interface GraphInput {
  /** Absolute path of the repo folder (for reading .nix files in the static import scan). */
  repoDir: string;
  targets: GraphTarget[];
  /** Tracked files relative to the repo folder (for orphans: modules no target reads). */
  trackedFiles: string[];
}
