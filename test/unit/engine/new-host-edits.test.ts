// infra new host's text edits, without Nix: names as whole words, the one listing line, and
// agenix's secrets.nix. Each edit either changes exactly what it should or refuses.
import { describe, expect, it } from "vitest";
import { planAgenixEdit } from "../../../engine/new-host/agenix-edit.js";
import { planListing } from "../../../engine/new-host/listing.js";
import { replaceWord, validateHostName, wordOffsets } from "../../../engine/new-host/names.js";
import { isSelfContainedLine, scanNix } from "../../../engine/new-host/nix-scan.js";
import { InfraError } from "../../../errors/index.js";

describe("host names", () => {
  it("accepts plain host names and refuses shell, Nix and path syntax", () => {
    for (const good of ["db3", "web-4", "a", "node_1", "1st"])
      expect(() => validateHostName(good)).not.toThrow();
    for (const bad of [
      "",
      "-rf",
      "a;b",
      "a b",
      "$(id)",
      "x/y",
      "..",
      "a.b",
      '"q"',
      "$" + "{x}",
      "ä",
      "a".repeat(64),
    ]) {
      let caught: unknown;
      try {
        validateHostName(bad);
      } catch (error) {
        caught = error;
      }
      expect(caught, bad).toBeInstanceOf(InfraError);
      expect((caught as InfraError).exitCode).toBe(2);
    }
  });

  it("replaces whole words only, and leaves another host's name alone", () => {
    expect(replaceWord("db1 db10 xdb1 db1-data db1.lan db1_x", "db1", "db3")).toBe(
      "db3 db10 xdb1 db3-data db3.lan db1_x",
    );
    expect(replaceWord("web web-2 web-x", "web", "api", new Set(["web-2"]))).toBe("api web-2 api-x");
    expect(wordOffsets("alpha alphabet", "alpha")).toEqual([0]);
  });
});

describe("the Nix scanner", () => {
  it("tells comments, strings, paths and identifiers apart", () => {
    const tokens = scanNix(`x = [ "a#b" ./hosts/alpha.nix alpha ]; # alpha\n/* alpha */ y = ''s''${"'"}'';`);
    const kinds = tokens.map((t) => `${t.kind}:${t.text}`);
    expect(kinds).toContain('string:"a#b"');
    expect(kinds).toContain("path:./hosts/alpha.nix");
    expect(kinds).toContain("ident:alpha");
    expect(kinds).toContain("comment:# alpha");
    expect(kinds).toContain("comment:/* alpha */");
  });

  it("knows a line that stands on its own from the start of a block", () => {
    const text = `  a = mk "a";\n  b = sys {\n  };\n`;
    const tokens = scanNix(text);
    expect(isSelfContainedLine(tokens, 0, 13)).toBe(true);
    expect(isSelfContainedLine(tokens, 14, 25)).toBe(false);
  });
});

const FLAKE = `{
  # alpha is the web server
  outputs = { self }: {
    nixosConfigurations = {
      alpha = mkHost "alpha";
      beta = mkHost "beta";
    };
  };
}
`;

describe("the listing line", () => {
  const base = { like: "alpha", name: "gamma", otherNames: new Set(["beta"]), autoDiscovered: false };

  it("adds a twin of the like host's own line below it (comments do not count)", () => {
    const plan = planListing({ ...base, files: [{ path: "flake.nix", text: FLAKE }] });
    expect(plan.how).toBe("edit");
    expect(plan.line).toBe(5);
    expect(plan.edit!.after).toBe(
      FLAKE.replace('mkHost "alpha";\n', 'mkHost "alpha";\n      gamma = mkHost "gamma";\n'),
    );
  });

  it("adds the new name beside the like's in a one-line list of names", () => {
    const text = `{ hostNames = [ "alpha" "beta" ]; }\n`;
    const plan = planListing({ ...base, files: [{ path: "flake.nix", text }] });
    expect(plan.edit!.after).toBe(`{ hostNames = [ "alpha" "gamma" "beta" ]; }\n`);
  });

  it("needs no edit when the hosts folder is listed by the flake", () => {
    const plan = planListing({ ...base, autoDiscovered: true, files: [{ path: "flake.nix", text: FLAKE }] });
    expect(plan).toMatchObject({ how: "auto" });
    expect(plan.edit).toBeUndefined();
  });

  it("refuses several lines, a multi-line entry, or none, naming file:line", () => {
    const cases = [
      `{\n  alpha = mkHost "alpha";\n  deploy.nodes.alpha = { };\n}\n`,
      `{\n  alpha = lib.nixosSystem {\n    modules = [ ./a.nix ];\n  };\n}\n`,
      `{ beta = mkHost "beta"; }\n`,
    ];
    const hints = cases.map((text) => {
      try {
        planListing({ ...base, files: [{ path: "flake.nix", text }] });
        return "not refused";
      } catch (error) {
        expect((error as InfraError).exitCode).toBe(2);
        return [(error as InfraError).message, ...(error as InfraError).hints].join("\n");
      }
    });
    expect(hints[0]).toMatch(/flake\.nix:2:[\s\S]*flake\.nix:3:/);
    expect(hints[1]).toMatch(/flake\.nix:2 lists alpha over several lines/);
    expect(hints[2]).toMatch(/could not find where alpha is listed/);
  });
});

const KEY1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDY/QLSZHd/9R8R9bhgs1UTqKmGrS7txT62p50RvBGmK";
const KEY2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC6QpbomNS+3a0CUiHgQlD4ghA5v1MmQD5t2wraF9r6D";
const NEW = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICj+KIXzvnuBKOlttd89X95hCs28kdTEymtRekaesVfT root@db3";

describe("agenix's secrets.nix", () => {
  const rules = `let
  db1 = "${KEY1}"; # primary
  db2 = "${KEY2}";
  all = [ db1 db2 ];
in
{
  # db1 reads this
  "db1-cert.age".publicKeys = [ db1 ];
  "db-password.age".publicKeys = admins ++ [ db1 db2 ];
  "other.age".publicKeys = [ db2 ];
  "inline.age".publicKeys = [ "${KEY1}" ];
  "all.age".publicKeys = all;
}
`;

  it("binds the new key beside the like host's and lists it wherever the like host is listed", () => {
    const edit = planAgenixEdit({
      file: "secrets.nix",
      text: rules,
      like: "db1",
      name: "db3",
      likeKey: `${KEY1} root@db1`,
      newKey: NEW,
    })!;
    const newKey = NEW.replace(" root@db3", "");
    expect(edit.after).toBe(
      rules
        .replace(`db1 = "${KEY1}"; # primary\n`, `db1 = "${KEY1}"; # primary\n  db3 = "${newKey}";\n`)
        .replace("all = [ db1 db2 ]", "all = [ db1 db3 db2 ]")
        .replace('"db1-cert.age".publicKeys = [ db1 ]', '"db1-cert.age".publicKeys = [ db1 db3 ]')
        .replace("admins ++ [ db1 db2 ]", "admins ++ [ db1 db3 db2 ]")
        .replace(`[ "${KEY1}" ]`, `[ "${KEY1}" "${newKey}" ]`),
    );
    expect(edit.binding).toBe("db3");
    expect(edit.listLines).toEqual([4, 8, 9, 11]);
  });

  it("keeps a comment in the key only where the like's key had one, and leaves files without the key alone", () => {
    const withComment = `let db1 = "${KEY1} root@db1"; in { "a.age".publicKeys = [ db1 ]; }\n`;
    const edit = planAgenixEdit({
      file: "s.nix",
      text: withComment,
      like: "db1",
      name: "db3",
      likeKey: KEY1,
      newKey: NEW,
    })!;
    expect(edit.after).toContain(`db3 = "${NEW}";`);
    expect(
      planAgenixEdit({
        file: "s.nix",
        text: `{ "a.age".publicKeys = [ "${KEY2}" ]; }`,
        like: "db1",
        name: "db3",
        likeKey: KEY1,
        newKey: NEW,
      }),
    ).toBeUndefined();
  });

  it("refuses a binding the new name already has", () => {
    const taken = `let db1 = "${KEY1}"; db3 = "x"; in { }\n`;
    expect(() =>
      planAgenixEdit({ file: "s.nix", text: taken, like: "db1", name: "db3", likeKey: KEY1, newKey: NEW }),
    ).toThrow(/already binds db3/);
  });
});
