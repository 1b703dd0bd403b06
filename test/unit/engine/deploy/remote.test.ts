// What runs on a target: every value reaches the remote script as one argument, whatever it
// holds (checked by a real sh), and what the scripts print is read back.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  currentOf,
  isUpToDate,
  parseAsk,
  remoteCommand,
  shellQuote,
  type TargetState,
} from "../../../../engine/deploy/remote.js";

const HOSTILE = [
  "plain",
  "it's",
  "$(touch PWNED)",
  "`id`",
  "a;b",
  "a\nb",
  "-oProxyCommand=x",
  "~/p",
  "\\",
  "'",
  "",
];

describe("remote commands", () => {
  it("reach the script as exactly the arguments given, through a login shell's parsing", () => {
    // ssh hands the remote login shell one line: here a real sh parses the same line.
    const line = remoteCommand('printf "%s\\0" "$@"', HOSTILE);
    const out = execFileSync("/bin/sh", ["-c", line], { encoding: "utf8" });
    expect(out.split("\0").slice(0, -1)).toEqual(HOSTILE);
  });

  it("quote one word for POSIX sh", () => {
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote("")).toBe("''");
  });
});

describe("the answer to ASK_SCRIPT", () => {
  it("reads the running system, the profile and its generation", () => {
    expect(parseAsk("running /nix/store/a-x\nprofile /nix/store/b-y\ngeneration system-3-link\n")).toEqual({
      running: "/nix/store/a-x",
      profile: "/nix/store/b-y",
      generation: 3,
    });
    expect(parseAsk("running -\nprofile -\ngeneration -\n")).toEqual({
      running: null,
      profile: null,
      generation: null,
    });
    // A profile that is a plain symlink (not a generation link) has no generation.
    expect(parseAsk("running -\nprofile /nix/store/b-y\ngeneration /nix/store/b-y\n")?.generation).toBeNull();
    expect(parseAsk("Welcome to the machine\n")).toBeUndefined();
  });

  it("reads the closure with its sizes", () => {
    const state = parseAsk(
      "running /nix/store/a-x\nprofile /nix/store/a-x\ngeneration system-1-link\nclosure\n/nix/store/a-x\n/nix/store/k-linux-6.1\nsizes\n100\n200\n",
    );
    expect(state?.closure).toEqual([
      { path: "/nix/store/a-x", size: 100 },
      { path: "/nix/store/k-linux-6.1", size: 200 },
    ]);
  });
});

describe("up to date", () => {
  const state = (running: string | null, profile: string | null): TargetState => ({
    running,
    profile,
    generation: 1,
  });
  it("is what the goal compares: switch both, boot the profile, test and dry-activate the running system", () => {
    const cases: [string, TargetState, string, boolean][] = [
      ["switch", state("N", "N"), "nixos", true],
      ["switch", state("N", "O"), "nixos", false],
      ["switch", state("O", "N"), "nixos", false],
      ["boot", state("O", "N"), "nixos", true],
      ["boot", state("N", "O"), "nixos", false],
      ["test", state("N", "O"), "nixos", true],
      ["dry-activate", state("N", "O"), "nixos", true],
      ["switch", state(null, "N"), "home", true],
      ["test", state(null, "N"), "home", false],
      ["switch", state("N", "N"), "darwin", true],
    ];
    for (const [goal, s, kind, expected] of cases)
      expect({ goal, s, kind, up: isUpToDate(kind, goal as "switch", s, "N") }).toEqual({
        goal,
        s,
        kind,
        up: expected,
      });
    expect(currentOf("nixos", "boot", state("R", "P"))).toBe("P");
    expect(currentOf("nixos", "switch", state("R", "P"))).toBe("R");
    expect(currentOf("home", "switch", state("R", "P"))).toBe("P");
  });
});
