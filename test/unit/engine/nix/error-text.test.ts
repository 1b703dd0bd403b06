import { describe, expect, it } from "vitest";
import { parseNixError } from "../../../../engine/nix/error-text.js";

const opts = { ownFiles: ["/opt/infra/engine/nix/loader.nix"] };

// Recorded from Nix 2.8.0 (`nix-instantiate --eval --strict --json --show-trace`), paths renamed.
const NIX_2_8_MISSING = `error: attribute 'foo' missing

       at /repo/miss.nix:4:7:

            3| in {
            4|   x = cfg.foo;
             |       ^
            5| }

       … while evaluating the attribute 'x'

       at /repo/miss.nix:4:3:

            3| in {
            4|   x = cfg.foo;
             |   ^
            5| }
`;

const NIX_2_8_SYNTAX = `error: syntax error, unexpected ';'

       at /repo/syn.nix:2:7:

            1| { a = 1;
            2|   b = ;
             |       ^
            3| }
`;

const NIX_2_8_RECURSION = `error: infinite recursion encountered

       at /repo/rec.nix:1:9:

            1| let a = a + 1; in a
             |         ^
`;

// The layout of newer Nix releases (2.20 and later): frames first, the message last.
const NEWER_MISSING = `error:
       … while evaluating the attribute 'x'
         at /repo/miss.nix:4:3:
            3| in {
            4|   x = cfg.foo;
             |   ^
            5| }

       error: attribute 'foo' missing
       at /repo/miss.nix:4:7:
            3| in {
            4|   x = cfg.foo;
             |       ^
`;

describe("parseNixError", () => {
  it("reads a missing attribute with its position and the trace frame (Nix 2.8)", () => {
    expect(parseNixError(NIX_2_8_MISSING, opts)).toEqual({
      message: "attribute 'foo' missing",
      position: { file: "/repo/miss.nix", line: 4, column: 7 },
      trace: ["while evaluating the attribute 'x' (/repo/miss.nix:4:3)"],
    });
  });

  it("reads syntax errors and infinite recursion (Nix 2.8)", () => {
    expect(parseNixError(NIX_2_8_SYNTAX, opts)).toMatchObject({
      message: "syntax error, unexpected ';'",
      position: { file: "/repo/syn.nix", line: 2, column: 7 },
    });
    expect(parseNixError(NIX_2_8_RECURSION, opts)).toMatchObject({
      message: "infinite recursion encountered",
      position: { file: "/repo/rec.nix", line: 1, column: 9 },
    });
  });

  it("reads the newer layout where the message comes last", () => {
    expect(parseNixError(NEWER_MISSING, opts)).toMatchObject({
      message: "attribute 'foo' missing",
      position: { file: "/repo/miss.nix", line: 4, column: 7 },
    });
  });

  it("never blames infra's loader, and strips its 'infra:' prefix", () => {
    const text = `error: infra: attribute 'web9' missing in nixosConfigurations.web9

       at /opt/infra/engine/nix/loader.nix:80:10:

       … while evaluating 'select'

       at /repo/flake.nix:3:5:
`;
    const parsed = parseNixError(text, opts);
    expect(parsed.message).toBe("attribute 'web9' missing in nixosConfigurations.web9");
    expect(parsed.position).toEqual({ file: "/repo/flake.nix", line: 3, column: 5 });
  });

  it("drops loader frames and frames without a position (Nix 2.8's trailing 'from call site')", () => {
    const text = `error: syntax error, unexpected '}', expecting ';'

       at /repo/flake.nix:5:73:

       … while evaluating 'loadFlake'

       at /opt/infra/engine/nix/loader.nix:45:15:

       … from call site
`;
    expect(parseNixError(text, opts)).toEqual({
      message: "syntax error, unexpected '}', expecting ';'",
      position: { file: "/repo/flake.nix", line: 5, column: 73 },
      trace: [],
    });
  });

  it("maps store-copy paths back to the working tree", () => {
    const text = NIX_2_8_SYNTAX.replace("/repo/syn.nix", "/nix/store/abc-source/syn.nix");
    const parsed = parseNixError(text, {
      ...opts,
      mapPath: (p) => p.replace("/nix/store/abc-source", "/repo"),
    });
    expect(parsed.position?.file).toBe("/repo/syn.nix");
  });

  it("keeps a message without a position", () => {
    expect(parseNixError("warning: Git tree is dirty\nerror: out of memory\n", opts)).toEqual({
      message: "out of memory",
      position: undefined,
      trace: [],
    });
  });
});
