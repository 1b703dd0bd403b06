// The vocabulary of the graph, shared by the exporters and the browser page (which bundles this
// file, so it must stay free of Node imports).

/** What a node stands for. */
export const NODE_KINDS = {
  /** A target (a NixOS, nix-darwin or home-manager configuration). */
  host: "host",
  /** A `.nix` file some evaluation read. */
  module: "module",
  /** Any other path: a file read, or a path only checked for existence (`stats` edges). */
  file: "file",
  /** A folder whose listing an evaluation read. */
  dir: "dir",
  /**
   * A secret a host declares (sops-nix `sops.secrets.<name>`, agenix `age.secrets.<name>`), with
   * the outcome of the `infra secrets` check: one node per encrypted file (and sops key).
   */
  secret: "secret",
  /** A path under a `secrets/` folder, or an `.age` file: where secrets are kept, encrypted. */
  secretFile: "secret-file",
  /** A locked flake input. */
  input: "input",
} as const;
export type NodeKind = (typeof NODE_KINDS)[keyof typeof NODE_KINDS];

/** What an edge stands for. Every edge points from the dependent to its dependency. */
export const EDGE_KINDS = {
  /** host → file/module/secret: the evaluation read the content. */
  reads: "reads",
  /** host → dir: the evaluation read the folder's listing. */
  lists: "lists",
  /** host → path: the evaluation only checked whether/what kind of thing is there. */
  stats: "stats",
  /** host → input: the evaluation used the locked flake input. */
  usesInput: "uses-input",
  /** module → module: a path literal in the module's `imports` (static scan, for the picture). */
  imports: "imports",
  /** host → secret: the host's evaluation declares the secret (it needs it at activation). */
  declares: "declares",
  /** secret → file: the encrypted file the secret is kept in. */
  storedIn: "stored-in",
} as const;
export type EdgeKind = (typeof EDGE_KINDS)[keyof typeof EDGE_KINDS];

/** Colours and Graphviz shapes per node kind, so every export looks the same. */
export const NODE_STYLE = {
  host: { colour: "#e4572e", shape: "box" },
  module: { colour: "#4c8bf5", shape: "ellipse" },
  file: { colour: "#8d99ae", shape: "note" },
  dir: { colour: "#f2a541", shape: "folder" },
  secret: { colour: "#9b5de5", shape: "octagon" },
  "secret-file": { colour: "#b79ced", shape: "note" },
  input: { colour: "#2a9d8f", shape: "component" },
} as const satisfies Record<NodeKind, { colour: string; shape: string }>;

/** Line styles per edge kind (Graphviz `style`; Mermaid arrow). */
export const EDGE_STYLE = {
  reads: { colour: "#6c757d", dot: "solid", mermaid: "-->" },
  lists: { colour: "#f2a541", dot: "bold", mermaid: "==>" },
  stats: { colour: "#adb5bd", dot: "dashed", mermaid: "-.->" },
  "uses-input": { colour: "#2a9d8f", dot: "solid", mermaid: "-->" },
  imports: { colour: "#4c8bf5", dot: "dotted", mermaid: "-.->" },
  declares: { colour: "#9b5de5", dot: "solid", mermaid: "-->" },
  "stored-in": { colour: "#b79ced", dot: "dashed", mermaid: "-.->" },
} as const satisfies Record<EdgeKind, { colour: string; dot: string; mermaid: string }>;
