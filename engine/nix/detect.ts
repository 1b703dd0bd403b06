// Which Nix is installed, and the tools beside it: found on PATH without spawning anything,
// probed once per changed binary.
import { EnvironmentError } from "../../errors/index.js";
import { nixEnv } from "./process.js";
import { which } from "./which.js";

export interface NixInfo {
  version: string;
  system: string;
  /** `nix-instantiate`'s path; the tools below are looked up beside it first. */
  instantiate: string;
  nix: string | undefined;
  strace: string | undefined;
  time: string | undefined;
}

/** The tools found beside a known Nix version (no process started). */
export function knownNix(version: string, system: string): NixInfo {
  return {
    version,
    system,
    instantiate: which("nix-instantiate")!,
    nix: which("nix"),
    strace: which("strace"),
    time: which("time"),
  };
}

export async function detectNix(): Promise<NixInfo> {
  const instantiate = which("nix-instantiate");
  if (instantiate === undefined) {
    throw new EnvironmentError("Nix is not installed (nix-instantiate is not on PATH)", {
      hints: ["On Debian: apt-get install -y nix-bin strace", "Or run the README's set-up command."],
    });
  }
  const { execa } = await import("execa");
  const probe = await execa(
    instantiate,
    ["--eval", "--strict", "--json", "--expr", "{ v = builtins.nixVersion; s = builtins.currentSystem; }"],
    { env: nixEnv(), reject: false },
  );
  if (probe.exitCode !== 0) {
    throw new EnvironmentError(`nix-instantiate does not run: ${probe.stderr.trim().split("\n")[0] ?? ""}`, {
      hints: [
        "As root without a nix daemon, Nix needs `build-users-group =` (infra sets it for its own runs).",
      ],
    });
  }
  const { v, s } = JSON.parse(probe.stdout) as { v: string; s: string };
  return { ...knownNix(v, s), instantiate };
}

/** Nix releases infra's tracing and loader are known to work with. */
export function checkNixVersion(version: string): string | undefined {
  const [major = 0, minor = 0] = version.split(".").map((n) => Number.parseInt(n, 10));
  if (major < 2 || (major === 2 && minor < 8)) {
    return `Nix ${version} is older than 2.8, the oldest release infra supports`;
  }
  return undefined;
}
