// The judge: plain `nix eval` of the same tree, as a user would run it.
import { execFileSync, spawnSync } from "node:child_process";

export const NIX_ENV = {
  ...process.env,
  NIX_CONFIG: "experimental-features = nix-command flakes\nbuild-users-group =\nwarn-dirty = false",
  NIX_PATH: "",
};

/** `nix eval --raw <flakeDir>#<attr>.drvPath`, or the error text. */
export function nixEvalDrv(flakeDir: string, attr: string): { drvPath?: string; error?: string } {
  const result = spawnSync("nix", ["eval", "--raw", `${flakeDir}#${attr}.drvPath`], {
    env: NIX_ENV,
    encoding: "utf8",
  });
  if (result.status === 0) return { drvPath: result.stdout.trim() };
  return { error: result.stderr.trim() };
}

export function nixVersion(): string {
  return execFileSync("nix", ["--version"], { encoding: "utf8" }).trim();
}

/**
 * Whether the installed Nix is at least `version` (e.g. "2.26"). Some flake semantics changed
 * between releases, and `nix eval` of each release is the judge.
 */
export function nixAtLeast(version: string): boolean {
  const installed = /(\d+(?:\.\d+)+)/.exec(nixVersion())?.[1] ?? "0";
  const a = installed.split(".").map(Number);
  const b = version.split(".").map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

/**
 * Nix >= 2.26 makes a relative `path:` input a folder of its flake's own source (with the
 * source's narHash and revision): a host using one depends on every tracked file, like `self`.
 */
export const RELATIVE_INPUTS_FROM_PARENT = nixAtLeast("2.26");

/**
 * drvPaths of every entry of a configuration set (e.g. nixosConfigurations), by name, without
 * spelling names in a flake fragment (fragments cannot express every attribute name).
 */
export function nixEvalSet(flakeDir: string, set: string, valuePath: string): Record<string, string> {
  const out = execFileSync(
    "nix",
    ["eval", "--json", `${flakeDir}#${set}`, "--apply", `builtins.mapAttrs (_: c: c.${valuePath}.drvPath)`],
    { env: NIX_ENV, encoding: "utf8" },
  );
  return JSON.parse(out) as Record<string, string>;
}
