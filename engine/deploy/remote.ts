// What runs on a target. ssh hands the remote side one command line, which the login shell
// parses; so every remote command here is a fixed script passed to `sh -c`, with every value
// (store paths, the profile, the goal) as a positional argument in single quotes. No value is
// ever spliced into a script. The parsers read back what the scripts print. Pure.
import type { DeployGoal } from "./types.js";

/** One word for a POSIX shell, whatever it holds. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, "'\\''")}'`;
}

/** The command line for ssh: `sh -c SCRIPT infra ARG…`, every word quoted. */
export function remoteCommand(script: string, args: string[]): string {
  return ["sh", "-c", script, "infra", ...args].map(shellQuote).join(" ");
}

// `~/` in a profile is the ssh user's home (the remote shell would not expand it once quoted).
const EXPAND_HOME = `p=$1
case $p in "~/"*) p=$HOME/\${p#"~/"} ;; esac`;

/**
 * One round trip: what runs (`readlink -e /run/current-system`), what the profile points at and
 * its generation link; with `closure`, and when the current closure is not `next`, also the
 * current closure's paths and their sizes (for plan's diff). Args: profile next closure? base.
 */
export const ASK_SCRIPT = `${EXPAND_HOME}
running=$(readlink -e /run/current-system 2>/dev/null) || running=-
profile=$(readlink -e "$p" 2>/dev/null) || profile=-
generation=$(readlink "$p" 2>/dev/null) || generation=-
printf 'running %s\\nprofile %s\\ngeneration %s\\n' "$running" "$profile" "$generation"
if [ "$3" = closure ]; then
  if [ "$4" = running ]; then cur=$running; else cur=$profile; fi
  if [ "$cur" != - ] && [ "$cur" != "$2" ]; then
    req=$(nix-store -q --requisites "$cur") || exit 70
    echo closure
    printf '%s\\n' "$req"
    echo sizes
    printf '%s\\n' "$req" | xargs nix-store -q --size || exit 70
  fi
fi`;

/**
 * Sets the profile (switch and boot; home-manager and nix-darwin always but for test and
 * dry-activate) and activates, with the activation's output on stdout. Args: kind goal profile next.
 * Exit 90: the profile could not be set (nothing was activated).
 */
export const ACTIVATE_SCRIPT = `exec 2>&1
kind=$1 goal=$2 next=$4
set -- "$3"
${EXPAND_HOME}
set_profile() {
  mkdir -p "$(dirname "$p")" && nix-env -p "$p" --set "$next" >/dev/null && return 0
  echo "infra: could not set the profile $p"
  exit 90
}
if [ "$kind" = nixos ]; then
  case $goal in switch|boot) set_profile ;; esac
  exec "$next/bin/switch-to-configuration" "$goal"
fi
case $goal in
  dry-activate) DRY_RUN=1 exec "$next/activate" ;;
  test) exec "$next/activate" ;;
  *) set_profile; exec "$next/activate" ;;
esac`;

/**
 * Puts the profile back where it was and activates that again. Args: kind goal profile
 * generation previousProfile previousRunning (`-` for none; generation: a number, or `-` when
 * the profile was not a generation link). Exit 0 when it is back, 3 when there was nothing to go
 * back to (the new generation is removed), 91 when the profile could not be set back.
 */
export const ROLLBACK_SCRIPT = `exec 2>&1
kind=$1 goal=$2 gen=$4 before=$5 previous=$6
set -- "$3"
${EXPAND_HOME}
activate() {
  if [ "$kind" = nixos ]; then "$1/bin/switch-to-configuration" "$2"; else "$1/activate"; fi
}
if [ "$goal" = test ]; then
  [ "$previous" = - ] && { echo "infra: nothing ran before: nothing to go back to"; exit 3; }
  activate "$previous" test
  exit
fi
if [ "$before" = - ]; then
  link=$(readlink "$p") && rm -f "$p" "$(dirname "$p")/$link"
  echo "infra: the target had no earlier generation: the new one was removed"
  exit 3
fi
if [ "$gen" != - ]; then
  nix-env -p "$p" --switch-generation "$gen" >/dev/null || { echo "infra: could not switch $p back to generation $gen"; exit 91; }
else
  nix-env -p "$p" --set "$before" >/dev/null || { echo "infra: could not set $p back to $before"; exit 91; }
fi
back=$(readlink -e "$p") || exit 91
activate "$back" "$goal"`;

/** What a target runs and keeps, as ASK_SCRIPT reports it. */
export interface TargetState {
  /** `/run/current-system`, null when there is none. */
  running: string | null;
  /** The profile's store path, null when there is no profile. */
  profile: string | null;
  /** The profile's generation number, null when it is not a generation link (or absent). */
  generation: number | null;
  /** The closure ASK_SCRIPT was asked for: its paths with their sizes (NAR bytes). */
  closure?: { path: string; size: number }[] | undefined;
}

const orNull = (value: string | undefined) => (value === undefined || value === "-" ? null : value);

export function parseAsk(stdout: string): TargetState | undefined {
  const lines = stdout.split("\n");
  const field = (name: string) => {
    const line = lines.find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : line.slice(name.length + 1);
  };
  const running = field("running");
  const profile = field("profile");
  const link = field("generation");
  if (running === undefined || profile === undefined || link === undefined) return undefined;
  const gen = /-(\d+)-link$/.exec(link);
  const state: TargetState = {
    running: orNull(running),
    profile: orNull(profile),
    generation: gen ? Number(gen[1]) : null,
  };
  const at = lines.indexOf("closure");
  const sizesAt = lines.indexOf("sizes");
  if (at >= 0 && sizesAt > at) {
    const paths = lines.slice(at + 1, sizesAt).filter(Boolean);
    const sizes = lines
      .slice(sizesAt + 1)
      .filter(Boolean)
      .map(Number);
    if (sizes.length === paths.length && sizes.every(Number.isFinite))
      state.closure = paths.map((path, i) => ({ path, size: sizes[i]! }));
  }
  return state;
}

/**
 * What a deployment compares with `next`: the running system for switch and test, the profile for
 * boot and for home-manager (which has no running system of its own).
 */
export function currentOf(kind: string, goal: DeployGoal, state: TargetState): string | null {
  if (kind === "home" || goal === "boot") return state.profile;
  return state.running;
}

/**
 * Nothing to do: the target already runs (and, for switch, keeps in its profile) `next`. A
 * dry activation of what already runs shows nothing either.
 */
export function isUpToDate(kind: string, goal: DeployGoal, state: TargetState, next: string): boolean {
  if (kind === "home") return goal === "test" || goal === "dry-activate" ? false : state.profile === next;
  switch (goal) {
    case "switch":
      return state.running === next && state.profile === next;
    case "boot":
      return state.profile === next;
    case "test":
    case "dry-activate":
      return state.running === next;
  }
}
