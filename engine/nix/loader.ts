// infra's working-tree flake loader (loader.nix, shipped beside the compiled code): where it is,
// how it is invoked, and the side channel it reports semantic uses on.
import { accessSync, constants } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { EnvironmentError } from "../../errors/index.js";
import { nixEnv } from "./process.js";

/** infra's loader, shipped beside the compiled code (`engine/nix/loader.nix`). */
export function loaderPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [
    join(here, "loader.nix"),
    join(here, "..", "..", "..", "engine", "nix", "loader.nix"),
  ]) {
    try {
      accessSync(candidate, constants.R_OK);
      return candidate;
    } catch {}
  }
  throw new EnvironmentError(`infra's loader.nix is missing next to ${here}`, {
    hints: ["Reinstall infra (npm ci && npm run build)."],
  });
}

/** Longest request passed inline; one argv string may not exceed 128 KiB on Linux. */
export const INLINE_REQUEST_MAX = 64 * 1024;

/**
 * Arguments for evaluating the loader on one request. Restricted evaluation with named `-I`
 * entries allows exactly the repository, the loader and its marker folder (plus the store, where
 * fetched inputs live); unnamed entries would make `<name>` lookups resolve inside the repo.
 */
export function loaderArgv(
  instantiate: string,
  loader: string,
  allowed: string[],
  request: { json: string } | { file: string },
  allowedUris: string[] = [],
): string[] {
  const argv = [
    instantiate,
    "--eval",
    "--strict",
    "--json",
    "--show-trace",
    // Write what the evaluation makes (store copies the loader imports from, `.drv` files the
    // working-tree check reads), as `nix eval` does; `--eval` alone only computes their paths.
    "--read-write-mode",
    "--option",
    "restrict-eval",
    "true",
    // Nix >= 2.19 checks every fetcher URL against allowed-uris in restricted evaluation: allow
    // the path fetcher on store paths (the loader asks it for NAR hashes of copies it made) and
    // exactly the URLs of the flake's locked inputs (see lockedInputUris).
    "--option",
    "extra-allowed-uris",
    ["path:/nix/store", ...allowedUris].join(" "),
  ];
  allowed.forEach((path, i) => {
    argv.push("-I", `infra-allowed-${i}=${path}`);
  });
  argv.push(loader);
  if ("json" in request) argv.push("--argstr", "requestJSON", request.json);
  else argv.push("--argstr", "requestFile", request.file);
  return argv;
}

/**
 * The URLs of locked inputs as Nix itself spells them for its restricted-evaluation check
 * (`builtins.flakeRefToString` of the attributes the loader gives fetchTree, with the `shallow`
 * fetchTree adds for git), for `extra-allowed-uris`. Nix >= 2.18 has flakeRefToString. On
 * failure, none: the loader then fails on the input, naming its URL, as without them.
 */
export async function lockedInputUrls(
  instantiate: string,
  inputs: Record<string, unknown>[],
): Promise<string[]> {
  const json = JSON.stringify(inputs);
  const expr = `map (a: builtins.flakeRefToString (a // (if a.type == "git" && !(a ? shallow) then { shallow = true; } else { }))) (builtins.fromJSON ${JSON.stringify(json)})`;
  const { execa } = await import("execa");
  const run = await execa(instantiate, ["--eval", "--strict", "--json", "--expr", expr], {
    env: nixEnv(),
    reject: false,
  });
  return run.exitCode === 0 ? (JSON.parse(String(run.stdout)) as string[]) : [];
}

/** Semantic uses the loader reported with `builtins.trace "infra:..."`. */
export interface Markers {
  /** `self` was forced: its attribute set depends on HEAD and on whether the tree is dirty. */
  self: boolean;
  /** `self.outPath`/`narHash` was forced: the value depends on every tracked file. */
  tree: boolean;
  /** Lock-file nodes whose source was used. */
  inputs: string[];
}

export function parseMarkers(stderr: string): Markers {
  const markers: Markers = { self: false, tree: false, inputs: [] };
  const inputs = new Set<string>();
  for (const line of stderr.split("\n")) {
    const m = /^trace: infra:(self|tree|input:(.+))$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === "self") markers.self = true;
    else if (m[1] === "tree") markers.tree = true;
    else if (m[2] !== undefined) inputs.add(m[2]);
  }
  markers.inputs = [...inputs].sort();
  return markers;
}

/** Removes the loader's marker lines from Nix's stderr. */
export function stripMarkers(stderr: string): string {
  return stderr
    .split("\n")
    .filter((line) => !/^trace: infra:/.test(line.trim()))
    .join("\n");
}
