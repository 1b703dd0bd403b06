import { describe, expect, it } from "vitest";
import { findCreationRule, parseSopsConfig } from "../../../../engine/secrets/sops-config.js";
import { ConfigError } from "../../../../errors/index.js";

const A = "age1hjm3aujg9e79f5yth8a2cejzdjg5n9vnu96l05p70uvfpeltnpms7yy3pp";
const B = "age1v8zjc47jmlqwefyu66s0d4ke98qr4vnuj3cpvs4z9npfdw833dxqwjrhzv";
const C = "age17044m9wgakla6pzftf4srtl3h5mcsr85jysgt5fg23zpnta8sfdqhzn452";

const config = `keys:
  - &admin ${A}
  - &web ${B}
creation_rules:
  - path_regex: secrets/web/[^/]+\\.yaml$
    age: >-
      ${A},
      ${B}
  - path_regex: (?i)SECRETS/DB\\.yaml$
    key_groups:
      - age:
          - *admin
      - age:
          - ${C}
    shamir_threshold: 1
  - path_regex: secrets/list\\.yaml$
    age:
      - *admin
      - *web
  - age: ${C}
`;

describe("parseSopsConfig", () => {
  const parsed = parseSopsConfig(config, ".sops.yaml");

  it("reads comma-separated strings, lists, anchors and key groups", () => {
    expect(parsed.rules.map((r) => r.age.map((a) => a.recipient))).toEqual([[A, B], [A, C], [A, B], [C]]);
    expect(parsed.rules[1]).toMatchObject({ keyGroups: 2, threshold: 1, line: 9 });
    expect(parsed.rules[1]!.age.map((a) => a.group)).toEqual([0, 1]);
    expect(parsed.rules[2]!.age.map((a) => a.line)).toEqual([18, 19]);
  });

  it.each([
    ["secrets/web/app.yaml", 0],
    ["secrets/DB.yaml", 1],
    ["secrets/db.yaml", 1],
    ["secrets/list.yaml", 2],
    ["other/anything.json", 3],
  ])("the first matching rule for %s is #%i", (path, index) => {
    expect(findCreationRule(parsed, path).rule?.index).toBe(index);
  });

  it("matches paths relative to the folder of .sops.yaml", () => {
    const nested = parseSopsConfig(
      `creation_rules:\n  - path_regex: ^web\\.yaml$\n    age: ${A}\n`,
      "secrets/.sops.yaml",
    );
    expect(findCreationRule(nested, "secrets/web.yaml")).toMatchObject({
      relativePath: "web.yaml",
      rule: { index: 0 },
    });
    expect(findCreationRule(nested, "secrets/sub/web.yaml").rule).toBeUndefined();
  });

  it("returns no rule when none matches, and no rules for an empty file", () => {
    const one = parseSopsConfig(`creation_rules:\n  - path_regex: \\.env$\n    age: ${A}\n`, ".sops.yaml");
    expect(findCreationRule(one, "x.yaml").rule).toBeUndefined();
    expect(parseSopsConfig("", ".sops.yaml").rules).toEqual([]);
  });

  it.each([
    ["broken YAML", "creation_rules:\n  - age: [\n", /^\.sops\.yaml:3: not valid YAML/],
    ["creation_rules not a list", "creation_rules: 3\n", /^\.sops\.yaml:1: creation_rules must be a list/],
    [
      "a rule that is not a mapping",
      "creation_rules:\n  - just-a-string\n",
      /^\.sops\.yaml:2: creation rule 1 must be a mapping/,
    ],
    [
      "age of the wrong type",
      "creation_rules:\n  - age:\n      x: 1\n",
      /^\.sops\.yaml:3: age must be a string or a list/,
    ],
    [
      "a list entry that is not a string",
      "creation_rules:\n  - age:\n      - 3\n",
      /^\.sops\.yaml:3: each age entry must be a string/,
    ],
    [
      "a bad regex",
      'creation_rules:\n  - path_regex: "(["\n    age: x\n',
      /^\.sops\.yaml:2: path_regex is not a regular expression/,
    ],
    [
      "key_groups not a list",
      "creation_rules:\n  - key_groups: x\n",
      /^\.sops\.yaml:2: key_groups must be a list/,
    ],
  ])("names file and line for %s", (_what, text, message) => {
    expect(() => parseSopsConfig(text, ".sops.yaml")).toThrow(ConfigError);
    expect(() => parseSopsConfig(text, ".sops.yaml")).toThrow(message);
  });
});
