// `.sops.yaml`: the creation rules sops uses to pick the keys of a new (or `sops updatekeys`-ed)
// file. infra uses it to say *why* a host is missing from a file and what to change: when the
// rule already lists the host, `sops updatekeys` is enough; otherwise the rule needs the key.
//
// Matching is sops' (config.parseCreationRuleForFile): the path relative to the folder of
// .sops.yaml is tested against each rule's path_regex (an unanchored RE2 search), the first
// match wins, and a rule without path_regex matches everything.
import { posix } from "node:path";
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from "yaml";
import { ConfigError } from "../../errors/index.js";
import { compileGoRegex } from "./sops.js";

/** One age recipient of a rule, with where it is written. */
export interface SopsRuleRecipient {
  /** As written (`age1…`, or an SSH public key line). */
  readonly recipient: string;
  /** 1-based line in .sops.yaml. */
  readonly line: number;
  /** The key group (0 for a rule without key_groups). */
  readonly group: number;
}

/** A creation rule, with everything infra needs to explain a mismatch. */
export interface SopsCreationRule {
  /** Position in creation_rules (0-based). */
  readonly index: number;
  /** 1-based line where the rule starts. */
  readonly line: number;
  /** The rule's path_regex, if any (a rule without one matches every file). */
  readonly pathRegex?: string;
  /** Age recipients, key groups flattened in order. */
  readonly age: readonly SopsRuleRecipient[];
  /** PGP fingerprints. */
  readonly pgp: readonly string[];
  /** Number of key groups (1 without key_groups). */
  readonly keyGroups: number;
  /** shamir_threshold; every group when unset. */
  readonly threshold: number;
}

/** A parsed .sops.yaml. */
export interface SopsConfig {
  /** Repo-relative path of the .sops.yaml file. */
  readonly file: string;
  /** Its folder, repo-relative ("" for the root): paths are matched relative to it. */
  readonly dir: string;
  /** creation_rules, in order (the first match wins). */
  readonly rules: readonly SopsCreationRule[];
}

/** The rule sops would use for a file, and the path it matched against. */
export interface SopsRuleMatch {
  /** undefined when no rule matches (sops: "no matching creation rules found"). */
  readonly rule?: SopsCreationRule;
  /** The file's path relative to the .sops.yaml folder, as tested against path_regex. */
  readonly relativePath: string;
}

function fail(file: string, line: number | undefined, message: string): never {
  throw new ConfigError(`${file}${line ? `:${line}` : ""}: ${message}`, {
    code: "E_SOPS_CONFIG",
    hints: [
      "See https://github.com/getsops/sops#using-sops-yaml-conf-to-select-kms-pgp-and-age-for-new-files",
    ],
  });
}

/** Parses `.sops.yaml` text; `file` is its repo-relative path. Throws ConfigError with file:line. */
export function parseSopsConfig(text: string, file: string): SopsConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (node: unknown) => {
    const range = (node as YamlNode | null | undefined)?.range;
    return range ? lineCounter.linePos(range[0]).line : undefined;
  };
  const error = doc.errors[0];
  if (error) fail(file, lineCounter.linePos(error.pos[0]).line, `not valid YAML (${error.code})`);
  const dir = posix.dirname(file) === "." ? "" : posix.dirname(file);
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { file, dir, rules: [] };
  if (!isMap(root)) fail(file, lineOf(root), "expected a mapping with `creation_rules`");

  const get = (map: unknown, key: string): unknown =>
    isMap(map) ? map.items.find((p) => isScalar(p.key) && p.key.value === key)?.value : undefined;
  // `&admin age1…` / `*admin`: .sops.yaml files commonly name keys with anchors.
  const deref = (node: unknown): unknown => (isAlias(node) ? node.resolve(doc) : node);
  const stringOf = (raw: unknown, what: string): string => {
    const node = deref(raw);
    if (!isScalar(node) || typeof node.value !== "string")
      fail(file, lineOf(node), `${what} must be a string`);
    return node.value;
  };
  // `age` (and `pgp`) may be a comma-separated string or a list (config.parseKeyField).
  const keyField = (raw: unknown, what: string): { value: string; line: number }[] => {
    const node = deref(raw);
    if (node === undefined || node === null || (isScalar(node) && node.value === null)) return [];
    const line = lineOf(node) ?? 0;
    if (isScalar(node)) {
      return stringOf(node, what)
        .split(",")
        .map((k) => k.trim())
        .filter((k) => k !== "")
        .map((value) => ({ value, line }));
    }
    if (isSeq(node))
      return node.items.map((item) => ({
        value: stringOf(item, `each ${what} entry`),
        line: lineOf(item) ?? line,
      }));
    return fail(file, line, `${what} must be a string or a list of strings`);
  };

  const rulesNode = get(root, "creation_rules");
  if (rulesNode === undefined || (isScalar(rulesNode) && rulesNode.value === null))
    return { file, dir, rules: [] };
  if (!isSeq(rulesNode)) fail(file, lineOf(rulesNode), "creation_rules must be a list");

  const rules = rulesNode.items.map((ruleNode, index): SopsCreationRule => {
    if (!isMap(ruleNode)) fail(file, lineOf(ruleNode), `creation rule ${index + 1} must be a mapping`);
    const line = lineOf(ruleNode) ?? 0;
    const regexNode = get(ruleNode, "path_regex");
    const pathRegex = regexNode === undefined ? undefined : stringOf(regexNode, "path_regex");
    if (pathRegex !== undefined && pathRegex !== "" && !compileGoRegex(pathRegex)) {
      fail(file, lineOf(regexNode), "path_regex is not a regular expression infra can compile");
    }
    const age: SopsRuleRecipient[] = [];
    const pgp: string[] = [];
    const groupsNode = get(ruleNode, "key_groups");
    let keyGroups = 1;
    if (groupsNode !== undefined && !(isScalar(groupsNode) && groupsNode.value === null)) {
      if (!isSeq(groupsNode)) fail(file, lineOf(groupsNode), "key_groups must be a list");
      keyGroups = Math.max(groupsNode.items.length, 1);
      // A group's `merge` entries add their keys to that group.
      const addGroup = (group: unknown, g: number) => {
        if (!isMap(group)) fail(file, lineOf(group), "each key group must be a mapping");
        for (const k of keyField(get(group, "age"), "age"))
          age.push({ recipient: k.value, line: k.line, group: g });
        for (const k of keyField(get(group, "pgp"), "pgp")) pgp.push(k.value);
        const merge = get(group, "merge");
        if (isSeq(merge)) for (const m of merge.items) addGroup(m, g);
      };
      groupsNode.items.forEach(addGroup);
    } else {
      for (const k of keyField(get(ruleNode, "age"), "age"))
        age.push({ recipient: k.value, line: k.line, group: 0 });
      for (const k of keyField(get(ruleNode, "pgp"), "pgp")) pgp.push(k.value);
    }
    const thresholdNode = get(ruleNode, "shamir_threshold");
    // Unset (or 0) means every group is needed, as sops does when it encrypts.
    const set = isScalar(thresholdNode) && typeof thresholdNode.value === "number" ? thresholdNode.value : 0;
    const threshold = set > 0 ? set : keyGroups;
    return {
      index,
      line,
      ...(pathRegex ? { pathRegex } : {}),
      age,
      pgp,
      keyGroups,
      threshold,
    };
  });
  return { file, dir, rules };
}

/** The first creation rule whose path_regex matches `repoPath` (relative to the config's folder). */
export function findCreationRule(config: SopsConfig, repoPath: string): SopsRuleMatch {
  const relativePath = config.dir === "" ? repoPath : posix.relative(config.dir, repoPath);
  const rule = config.rules.find(
    (r) => r.pathRegex === undefined || compileGoRegex(r.pathRegex)!.test(relativePath),
  );
  return rule ? { rule, relativePath } : { relativePath };
}
