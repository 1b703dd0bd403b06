// What every verdict needs besides the declaration: the key index, the agenix rule and sops
// creation rule of a file, and the wording of fixes (which folder a command runs in, how a
// file is named there). Built once per check; immutable afterwards.
import { buildKeyring, identifyKey, type KeyParse, type Keyring } from "./keyring.js";
import { normalizeRepoPath, relativeTo, repoDirname } from "./paths.js";
import { findCreationRule, type SopsConfig, type SopsRuleMatch } from "./sops-config.js";
import type { SecretCheckInput, SecretDeclaration } from "./types.js";

/** An agenix rule with its keys parsed. */
export interface AgenixRule {
  /** The name as written in secrets.nix (relative to its folder). */
  readonly name: string;
  /** Repo-relative path of the file it is for. */
  readonly file: string;
  /** Its publicKeys as written, each with its parse. */
  readonly keys: readonly { readonly line: string; readonly parsed: KeyParse }[];
}

export interface CheckContext {
  /** The check's input, unchanged. */
  readonly input: SecretCheckInput;
  /** Who owns which key. */
  readonly keyring: Keyring;
  /** Larger age files are `invalid` (too-large). */
  readonly maxAgeFileBytes: number;
  /** Where a host's key is expected (for hints). */
  hostKeyPath(host: string): string;
  /** The agenix rule for a repo-relative file. */
  agenixRule(file: string): AgenixRule | undefined;
  /** Every agenix rule. */
  readonly agenixRules: readonly AgenixRule[];
  /** The sops creation rule for a repo-relative file (undefined without .sops.yaml). */
  sopsRule(file: string): SopsRuleMatch | undefined;
  /** The parsed .sops.yaml, if any. */
  readonly sopsConfig?: SopsConfig;
  /** The folder agenix commands run in, for sentences ("in secrets/"). */
  readonly agenixWhere: string;
  /** How `agenix -e` names a repo file (relative to the secrets.nix folder). */
  agenixName(file: string): string;
}

export const DEFAULT_MAX_AGE_FILE_BYTES = 16 * 1024 * 1024;
const DEFAULT_HOST_KEY_PATH = "hosts/{host}/ssh_host_ed25519_key.pub";

export function buildContext(input: SecretCheckInput): CheckContext {
  const template = input.hostKeyPathTemplate ?? DEFAULT_HOST_KEY_PATH;
  const hostKeyPath = (host: string) => template.replaceAll("{host}", host);
  const keyring = buildKeyring(input.hostKeys, input.admins ?? {}, hostKeyPath);
  const agenixDir = input.agenix ? repoDirname(input.agenix.file) : "";
  const agenixRules: AgenixRule[] = Object.entries(input.agenix?.rules ?? {}).flatMap(([name, rule]) => {
    const file = normalizeRepoPath(agenixDir === "" ? name : `${agenixDir}/${name}`);
    if (!file) return [];
    const keys = (rule.publicKeys ?? []).map((line) => ({ line, parsed: identifyKey(line) }));
    return [{ name, file, keys }];
  });
  const byFile = new Map(agenixRules.map((r) => [r.file, r]));
  const config = input.sopsConfig;
  return {
    input,
    keyring,
    maxAgeFileBytes: input.maxAgeFileBytes ?? DEFAULT_MAX_AGE_FILE_BYTES,
    hostKeyPath,
    agenixRule: (file) => byFile.get(file),
    agenixRules,
    sopsRule: (file) => (config ? findCreationRule(config, file) : undefined),
    ...(config ? { sopsConfig: config } : {}),
    agenixWhere: agenixDir === "" ? "the repository root" : `${agenixDir}/`,
    agenixName: (file) => relativeTo(agenixDir, file),
  };
}

/** The option that names the file, for sentences: `age.secrets.db.file`. */
export function fileOption(d: SecretDeclaration): string {
  return d.backend === "agenix" ? `age.secrets.${d.name}.file` : `sops.secrets.${d.name}.sopsFile`;
}

/**
 * A sops command line for a file, run where its .sops.yaml is (sops looks for the config from
 * the working directory up): "`sops updatekeys web.yaml` in secrets/".
 */
export function sopsCommand(ctx: CheckContext, verb: string, file: string): string {
  const dir = ctx.sopsConfig?.dir ?? "";
  const where = dir === "" ? "" : ` in ${dir}/`;
  return `\`sops ${verb === "" ? "" : `${verb} `}${relativeTo(dir, file)}\`${where}`;
}
