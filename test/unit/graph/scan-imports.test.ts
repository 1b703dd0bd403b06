// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are Nix code, whose `${` is its own
import { describe, expect, it } from "vitest";
import { scanImports } from "../../../graph/scan-imports.js";

const scan = (text: string, file = "hosts/web1/default.nix") => scanImports(text, file);

describe("scanImports", () => {
  it("resolves relative path literals against the file's folder", () => {
    expect(scan("{ imports = [ ./hardware.nix ../../roles/web.nix ]; }")).toEqual([
      "hosts/web1/hardware.nix",
      "roles/web.nix",
    ]);
    expect(scanImports("{ imports = [ ./modules/a.nix ]; }", "flake.nix")).toEqual(["modules/a.nix"]);
  });

  it("resolves a folder to its default.nix", () => {
    expect(scan("{ imports = [ ../../modules/monitoring ../common/ ]; }")).toEqual([
      "modules/monitoring/default.nix",
      "hosts/common/default.nix",
    ]);
  });

  it("keeps paths outside the repo folder relative to it", () => {
    expect(scanImports("{ imports = [ ../vendor/x.nix ]; }", "a.nix")).toEqual(["../vendor/x.nix"]);
  });

  it("reads bare relative paths (a/b.nix) as Nix does", () => {
    expect(scan("{ imports = [ services/nginx.nix ]; }")).toEqual(["hosts/web1/services/nginx.nix"]);
  });

  it("ignores paths in comments", () => {
    const text = `{
      imports = [
        # ./commented.nix
        ./a.nix # ./trailing.nix
        /* ./block.nix
           ./still-block.nix */
        ./b.nix
      ];
    }`;
    expect(scan(text)).toEqual(["hosts/web1/a.nix", "hosts/web1/b.nix"]);
  });

  it("ignores paths spelled in strings, their interpolations, and escapes", () => {
    // Nix text in plain JS strings: a JS template would read Nix's `${` as its own.
    const text = [
      "{",
      "  imports = [",
      '    "./not-a-path.nix"',
      '    "quote \\" ./still-string.nix"',
      '    "\\${./dollar-escaped.nix} $${./also-literal.nix}"',
      '    "${toString ./interpolated.nix}"',
      "    ''",
      "      ./indented.nix ''' ./quoted-quotes.nix ''${./escaped.nix}",
      "      ${./inner.nix}",
      "    ''",
      "    ./real.nix",
      "  ];",
      "}",
    ].join("\n");
    expect(scan(text)).toEqual(["hosts/web1/real.nix"]);
  });

  it("handles nested brackets, parentheses and sets inside the list", () => {
    const text = `{
      imports = [
        (import ./a.nix { inherit pkgs; extra = [ 1 2 ]; })
        ({ config, ... }: { options = { }; })
        ./b.nix
      ];
    }`;
    expect(scan(text)).toEqual(["hosts/web1/a.nix", "hosts/web1/b.nix"]);
  });

  it("collects every imports binding of the file", () => {
    const text = `{ lib, ... }: {
      imports = [ ./a.nix ];
      config = lib.mkIf true { x = 1; };
      nested = { imports = [ ./b.nix ]; };
    }`;
    expect(scan(text)).toEqual(["hosts/web1/a.nix", "hosts/web1/b.nix"]);
  });

  it("takes every literal path of the expression up to its semicolon", () => {
    const text = `{ lib, cond, ... }: {
      imports = [ ./a.nix ] ++ lib.optional cond ./b.nix ++ lib.optionals cond [ ../c ];
      other = ./not-imported.nix;
    }`;
    expect(scan(text)).toEqual(["hosts/web1/a.nix", "hosts/web1/b.nix", "hosts/c/default.nix"]);
  });

  it("looks past the semicolons of with, assert and let", () => {
    expect(scan("{ imports = with lib; [ ./a.nix ]; b = ./no.nix; }")).toEqual(["hosts/web1/a.nix"]);
    expect(scan("{ imports = assert true; [ ./a.nix ]; }")).toEqual(["hosts/web1/a.nix"]);
    expect(scan("{ imports = let x = ./a.nix; y = 2; in [ x ./b.nix ]; c = ./no.nix; }")).toEqual([
      "hosts/web1/a.nix",
      "hosts/web1/b.nix",
    ]);
  });

  it("leaves out paths it cannot resolve statically", () => {
    const text = `{ name, ... }: {
      imports = [
        <nixpkgs/nixos/modules/profiles/minimal.nix>
        ~/dotfiles/home.nix
        /etc/nixos/hardware-configuration.nix
        ./hosts/\${name}.nix
        ./by-name/\${name}/default.nix
        ./kept.nix
      ];
    }`;
    expect(scan(text)).toEqual(["hosts/web1/kept.nix"]);
  });

  it("does not take URIs, division or other bindings for imports", () => {
    expect(scan("{ imports = [ https://example.com/x.nix ./a.nix ]; }")).toEqual(["hosts/web1/a.nix"]);
    expect(scan("{ x = a / b; imports = [ ]; }")).toEqual([]);
    expect(
      scan("{ imports ? [ ./default-arg.nix ] }: { inherit imports; y = imports == [ ./eq.nix ]; }"),
    ).toEqual([]);
    expect(scan("{ myimports = [ ./a.nix ]; imports_ = [ ./b.nix ]; }")).toEqual([]);
  });

  it("returns each module once, in order, and never the file itself", () => {
    expect(scan("{ imports = [ ./b.nix ./a.nix ./b.nix ./. ]; }")).toEqual([
      "hosts/web1/b.nix",
      "hosts/web1/a.nix",
    ]);
    expect(scanImports("{ imports = [ ./. ../x.nix ]; }", "modules/default.nix")).toEqual(["x.nix"]);
  });

  it("stops quietly at the end of the enclosing set or of the text", () => {
    expect(scan("{ imports = [ ./a.nix ] }")).toEqual(["hosts/web1/a.nix"]);
    expect(scan("{ imports = [ ./a.nix ./b.nix")).toEqual(["hosts/web1/a.nix", "hosts/web1/b.nix"]);
    expect(scan('{ imports = [ ./a.nix "unterminated')).toEqual(["hosts/web1/a.nix"]);
    expect(scan("")).toEqual([]);
  });

  it("normalises what it resolves", () => {
    expect(scan("{ imports = [ ./x/../y.nix .//z.nix ]; }")).toEqual(["hosts/web1/y.nix"]);
  });
});
