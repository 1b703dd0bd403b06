// infra new host's .sops.yaml edit: the new recipient in exactly the creation rules that list
// the like host's, every other line byte for byte as it was (comments, anchors, flow lists).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { planSopsEdit } from "../../../engine/new-host/sops-edit.js";
import { layoutOf } from "../../../engine/new-host/yaml-render.js";
import { parseSopsConfig } from "../../../engine/secrets/sops-config.js";
import { ROOT } from "../../helpers/repo.js";

const WEB1 = "age12qkh4m7msmzqrdu3qhlpxdej5mrcg6pr2u6c35czlkkqrz8j6y4qpgtp82";
const ALICE = "age13vcj44tnn03y6wlvkvpxspcsa5ylwgpqfqgvlettg49lhw3egu4sat9asy";
const DB1 = "age1qgqgmqy22e8m669nsnp2tcnqwmvcvz7r2attrqtsm7ezu8my6asqqhqgtd";
const NEW = "age1u7edzpwrmzq7hqt3c8fx5jrze5836ddys3ghhfx8fz03xj9erfhs4sdmsl";

/** Lines of `after` that are not in `before`, and lines of `before` that are gone. */
function lineDiff(before: string, after: string): { added: string[]; removed: string[] } {
  const b = before.split("\n");
  const a = after.split("\n");
  return { added: a.filter((l) => !b.includes(l)), removed: b.filter((l) => !a.includes(l)) };
}

const recipientsByRule = (text: string) =>
  parseSopsConfig(text, ".sops.yaml").rules.map((r) => r.age.map((x) => x.recipient));

describe("planSopsEdit", () => {
  it("adds an anchored key beside the like's and its alias beside the like's alias (the fixture)", () => {
    const text = readFileSync(join(ROOT, "test/fixtures/secrets-fleet/.sops.yaml"), "utf8");
    const edit = planSopsEdit({
      file: ".sops.yaml",
      text,
      like: "web1",
      name: "web3",
      likeRecipient: WEB1,
      newRecipient: NEW,
    })!;
    expect(edit.reformatted).toBe(false);
    expect(lineDiff(text, edit.after)).toEqual({
      added: [`  - &web3 ${NEW}`, "      - age: [*alice, *web1, *web3, *web2]"],
      removed: ["      - age: [*alice, *web1, *web2]"],
    });
    const before = recipientsByRule(text);
    const after = recipientsByRule(edit.after);
    expect(after[0]).toEqual([...before[0]!.slice(0, 2), NEW, ...before[0]!.slice(2)]);
    expect(after.slice(1)).toEqual(before.slice(1));
    expect(edit.ruleLines).toEqual([10]);
  });

  it("adds to comma-separated strings, block lists and a lone alias, keeping comments", () => {
    const text = `# top comment
keys:
    - &db1 ${DB1}   # db1's key
creation_rules:
    # comment inside
    - path_regex: a\\.yaml$
      age: ${DB1},${ALICE}
    - path_regex: b\\.yaml$
      age:
      - ${ALICE}
      - ${DB1}
    - path_regex: c\\.yaml$
      age: *db1
    - path_regex: d\\.yaml$
      age: ${ALICE}
`;
    const edit = planSopsEdit({
      file: ".sops.yaml",
      text,
      like: "db1",
      name: "db3",
      likeRecipient: DB1,
      newRecipient: NEW,
    })!;
    expect(edit.reformatted).toBe(false);
    const { added, removed } = lineDiff(text, edit.after);
    expect(removed).toEqual([`      age: ${DB1},${ALICE}`, "      age: *db1"]);
    expect(added).toEqual([
      `    - &db3 ${NEW}`,
      `      age: ${DB1},${NEW},${ALICE}`,
      `      - ${NEW}`,
      "      age: [ *db1, *db3 ]",
    ]);
    expect(edit.after).toContain("# top comment");
    expect(edit.after).toContain("# db1's key");
    expect(edit.after).toContain("    # comment inside");
    expect(recipientsByRule(edit.after)).toEqual([[DB1, NEW, ALICE], [ALICE, DB1, NEW], [DB1, NEW], [ALICE]]);
  });

  it("keeps a hand-written layout that mixes list styles (as sops' own README does)", () => {
    const text = `creation_rules:
    # the catch-all
    - path_regex: ""
      key_groups:
      - age:
        - ${ALICE}
        - ${DB1}  # db1
      - pgp:
        - FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4
`;
    const edit = planSopsEdit({
      file: ".sops.yaml",
      text,
      like: "db1",
      name: "db3",
      likeRecipient: DB1,
      newRecipient: NEW,
    })!;
    expect(edit.reformatted).toBe(false);
    expect(edit.after).toBe(text.replace(`${DB1}  # db1\n`, `${DB1}  # db1\n        - ${NEW}\n`));
  });

  it("changes nothing when the like host is not a recipient", () => {
    const text = `creation_rules:\n  - age: ${ALICE}\n`;
    expect(
      planSopsEdit({
        file: ".sops.yaml",
        text,
        like: "db1",
        name: "db3",
        likeRecipient: DB1,
        newRecipient: NEW,
      }),
    ).toBeUndefined();
  });
});

describe("layoutOf", () => {
  it("reads indentation, sequence indentation and flow padding from the file", () => {
    expect(layoutOf("a:\n  - x\n  - [b, c]\n")).toMatchObject({
      indent: 2,
      indentSeq: true,
      flowCollectionPadding: false,
    });
    expect(layoutOf("a:\n- x\nb:\n    c: [ d ]\n")).toMatchObject({
      indent: 4,
      indentSeq: false,
      flowCollectionPadding: true,
    });
  });
});
