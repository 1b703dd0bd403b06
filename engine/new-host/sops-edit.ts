// .sops.yaml: the new host's age recipient wherever the like host's is, through the yaml
// library's Document API so comments, anchors and layout survive. Beside an anchored key
// (`- &web1 age1…`) comes an anchored one for the new host (`- &web3 age1…`), beside an alias
// (`*web1`) its alias, beside a plain recipient the new one, and a comma-separated `age:` string
// gets it after the like's. Every creation rule that included the like host then includes the
// new one, and no other rule changes: the result is parsed again and checked for exactly that.
// Pure.
import {
  Alias,
  type Document,
  isAlias,
  isScalar,
  Pair,
  parseDocument,
  Scalar,
  visit,
  YAMLSeq,
  type Node as YamlNode,
} from "yaml";
import { ConfigError } from "../../errors/index.js";
import { parseSopsConfig, type SopsConfig } from "../secrets/sops-config.js";
import { normalizeAgeRecipient } from "../secrets/ssh-keys.js";
import type { FileEdit } from "./listing.js";
import { renderLikeSource } from "./yaml-render.js";

export interface SopsEditInput {
  /** Repo-relative path of .sops.yaml. */
  readonly file: string;
  readonly text: string;
  readonly like: string;
  readonly name: string;
  /** The like host's age recipient (from its ssh-ed25519 host key). */
  readonly likeRecipient: string;
  readonly newRecipient: string;
}

export interface SopsEdit extends FileEdit {
  /** 1-based lines (of the old text) of the creation rules that now include the new host. */
  readonly ruleLines: readonly number[];
  /** The text could not be kept line for line around the edits (re-rendered by the library). */
  readonly reformatted: boolean;
}

function refuse(file: string, message: string): never {
  throw new ConfigError(`${file}: ${message}`, {
    code: "E_NEW_HOST_SOPS",
    hints: ["Add the new host's age recipient to .sops.yaml by hand, then run it again."],
  });
}

const same = (a: string, b: string) => {
  const left = normalizeAgeRecipient(a);
  return left !== undefined && left === normalizeAgeRecipient(b);
};

/** Comma-separated recipients (`age: a,b`) with the new one after the like's, or undefined. */
function withRecipient(value: string, like: string, added: string): string | undefined {
  const parts = value.split(",");
  const at = parts.findIndex((p) => same(p.trim(), like));
  if (at < 0 || parts.length < 2) return undefined;
  // The new entry spelled like the like's: the same spacing around it.
  const spacing = /^\s*/.exec(parts[at]!)![0];
  parts.splice(at + 1, 0, `${spacing}${added}`);
  return parts.join(",");
}

function rulesWith(config: SopsConfig, recipient: string): number[] {
  return config.rules.filter((r) => r.age.some((a) => same(a.recipient, recipient))).map((r) => r.index);
}

/** The edit, or undefined when .sops.yaml never names the like host's recipient. */
export function planSopsEdit(input: SopsEditInput): SopsEdit | undefined {
  const { file, text } = input;
  const before = parseSopsConfig(text, file);
  const doc = parseDocument(text, { uniqueKeys: true });
  const anchors = new Set<string>();
  visit(doc, {
    Node(_, node) {
      if ((node as { anchor?: string }).anchor) anchors.add((node as { anchor: string }).anchor);
    },
  });
  const newAnchors = new Map<string, string>();
  const anchorFor = (anchor: string) => {
    let chosen = newAnchors.get(anchor);
    if (chosen !== undefined) return chosen;
    const base = anchor.includes(input.like) ? anchor.replace(input.like, input.name) : input.name;
    chosen = base;
    for (let n = 2; anchors.has(chosen); n++) chosen = `${base}_${n}`;
    anchors.add(chosen);
    newAnchors.set(anchor, chosen);
    return chosen;
  };
  const isLike = (node: unknown) =>
    isScalar(node) && typeof node.value === "string" && same(node.value, input.likeRecipient);
  const resolve = (node: unknown) => (isAlias(node) ? node.resolve(doc as Document) : node);
  const fresh = (like: Scalar, anchor?: string) => {
    const node = new Scalar(input.newRecipient);
    node.type = like.type;
    if (anchor !== undefined) node.anchor = anchor;
    return node;
  };
  const mirror = (item: unknown): YamlNode | undefined => {
    if (isAlias(item)) {
      // An alias of the like host's anchor: an alias of the new host's, defined beside it.
      return isLike(resolve(item)) ? new Alias(anchorFor(item.source)) : undefined;
    }
    if (!isLike(item)) return undefined;
    const scalar = item as Scalar;
    return fresh(scalar, scalar.anchor ? anchorFor(scalar.anchor) : undefined);
  };

  // Collected first, changed after: visiting a tree while inserting into it skips nodes.
  const changes: (() => void)[] = [];
  visit(doc, {
    Seq(_, seq) {
      seq.items.forEach((item, i) => {
        const added = mirror(item);
        if (added) changes.push(() => seq.items.splice(seq.items.indexOf(item) + 1, 0, added));
        else if (isScalar(item) && typeof item.value === "string") {
          const value = withRecipient(item.value, input.likeRecipient, input.newRecipient);
          if (value !== undefined) changes.push(() => Object.assign(seq.items[i] as Scalar, { value }));
        }
      });
    },
    Map(_, map) {
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        const value = pair.value;
        if (key === "age") {
          // `age: a,b` gets the new recipient in its string; `age: *web1` becomes a list.
          if (isScalar(value) && typeof value.value === "string") {
            const joined = isLike(value)
              ? `${value.value},${input.newRecipient}`
              : withRecipient(value.value, input.likeRecipient, input.newRecipient);
            if (joined !== undefined) changes.push(() => Object.assign(value, { value: joined }));
          } else if (isAlias(value)) {
            const added = mirror(value);
            if (added) {
              changes.push(() => {
                const seq = new YAMLSeq();
                seq.flow = true;
                seq.items.push(value, added);
                pair.value = seq;
              });
            }
          }
        } else if (key !== undefined && isLike(value)) {
          // A named key (`keys: { web1: &web1 age1… }`): a sibling for the new host.
          const added = mirror(value);
          const newKey = key.includes(input.like) ? key.replace(input.like, input.name) : input.name;
          if (map.items.some((p) => isScalar(p.key) && p.key.value === newKey))
            refuse(file, `it already has a key named ${newKey}`);
          if (added)
            changes.push(() => map.items.splice(map.items.indexOf(pair) + 1, 0, new Pair(newKey, added)));
        }
      }
    },
  });
  if (changes.length === 0) return undefined;
  for (const change of changes) change();
  const { text: after, reformatted } = renderLikeSource(text, doc);

  const wrong = `could not add ${input.name}'s recipient to exactly the rules that list ${input.like}'s`;
  let checked: SopsConfig;
  try {
    checked = parseSopsConfig(after, file);
  } catch {
    refuse(file, wrong);
  }
  const wanted = rulesWith(before, input.likeRecipient);
  const got = rulesWith(checked, input.newRecipient);
  const unchanged = before.rules.every(
    (r, i) =>
      wanted.includes(i) ||
      JSON.stringify(r.age.map((a) => a.recipient)) ===
        JSON.stringify(checked.rules[i]?.age.map((a) => a.recipient)),
  );
  if (
    JSON.stringify(wanted) !== JSON.stringify(got) ||
    !unchanged ||
    checked.rules.length !== before.rules.length
  )
    refuse(file, wrong);
  return { file, before: text, after, ruleLines: wanted.map((i) => before.rules[i]!.line), reformatted };
}
