// Where each target is: infra.json `deploy.targets.<name>` first, then the flake's own deploy-rs
// `deploy.nodes.<name>`, then its colmena hive, then the target's name as the host. Every value
// is data for ssh's argv, so anything ssh could read as an option or a shell could interpret is
// refused here, with a sentence naming where it came from. Pure.
import type { DeployConventions } from "../../cache/records.js";
import type { InfraConfig } from "../fleet/config.js";
import type { Target } from "../fleet/targets.js";
import type { AddressSource, DeployBackend, DeployError, TargetAddress } from "./types.js";

const SYSTEM_PROFILE = "/nix/var/nix/profiles/system";
/** home-manager's profile since 23.05 (`~` is the ssh user's home on the target). */
const HOME_PROFILE = "~/.local/state/nix/profiles/home-manager";

// A host name, an IPv4 or an IPv6 address (with a zone): nothing a shell or ssh's `%` tokens
// could act on, and nothing ssh could take for an option.
const HOST = /^[A-Za-z0-9_][A-Za-z0-9._:%-]*$/;
const USER = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const HOST_KEY =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) ([A-Za-z0-9+/]+={0,2})(?: .*)?$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const CONTROL = /[\u0000-\u001f\u007f]/;

export interface AddressInput {
  target: Target;
  deploy: InfraConfig["deploy"];
  /** infra.json `hosts.<name>.tags`. */
  hostTags: string[];
  /** The target's flake's deploy-rs and colmena settings (undefined: none, or not read). */
  conventions: DeployConventions | undefined;
  /** `--backend`: overrides infra.json. */
  backend?: DeployBackend | undefined;
}

export type AddressResult =
  | { address: TargetAddress; error?: undefined }
  | { error: DeployError; address?: undefined };

function refused(message: string, hints: string[]): { error: DeployError; address?: undefined } {
  return {
    error: { stage: "address", message, file: null, line: null, column: null, hints, output: null },
  };
}

/** How people see where a target is: `user@host:port`. */
export function describeAddress(address: Pick<TargetAddress, "host" | "port" | "user">): string {
  return `${address.user ? `${address.user}@` : ""}${address.host}${address.port ? `:${address.port}` : ""}`;
}

/** infra.json's settings for a target: by its name as on the command line, else its attribute name. */
export function targetSettings(
  deploy: InfraConfig["deploy"],
  target: Pick<Target, "name" | "attrName">,
): InfraConfig["deploy"]["targets"][string] | undefined {
  return deploy.targets[target.name] ?? deploy.targets[target.attrName];
}

export function resolveAddress(input: AddressInput): AddressResult {
  const { target, deploy } = input;
  const own = targetSettings(deploy, target);
  const node = input.conventions?.deployRs?.nodes[target.attrName];
  // deploy-rs's top-level settings are its nodes' defaults, for its nodes only.
  const rs = node ? (input.conventions?.deployRs ?? null) : null;
  // colmena deploys NixOS hosts only.
  const hive = target.kind === "nixos" ? input.conventions?.colmena?.[target.attrName] : undefined;

  let host = target.attrName;
  let source: AddressSource = "name";
  if (own?.host !== undefined) [host, source] = [own.host, "infra.json"];
  else if (node?.hostname) [host, source] = [node.hostname, "deploy-rs"];
  else if (hive?.targetHost) [host, source] = [hive.targetHost, "colmena"];
  const from = source === "name" ? "the target's name" : source;

  if (host.startsWith("-"))
    return refused(`host '${host}' (from ${from}) starts with '-', so ssh would read it as an option`, [
      `Set deploy.targets.${JSON.stringify(target.name)}.host in infra.json to the machine's name or address.`,
    ]);
  if (!HOST.test(host))
    return refused(
      `host '${host}' (from ${from}) is not a host name or address (letters, digits, '.', '-', '_', ':' only)`,
      [
        `Set deploy.targets.${JSON.stringify(target.name)}.host in infra.json to the machine's name or address.`,
      ],
    );

  const user = own?.user ?? node?.sshUser ?? rs?.sshUser ?? hive?.targetUser ?? undefined;
  if (user !== undefined && !USER.test(user))
    return refused(`ssh user '${user}' of target '${target.name}' is not a user name`, [
      "User names are letters, digits, '.', '-' and '_', and do not start with '-'.",
    ]);

  // ssh takes the first value it is given for a setting: the most specific source goes first.
  const sshOptions = [
    ...(own?.sshOptions ?? []),
    ...deploy.sshOptions,
    ...(node?.sshOpts ?? rs?.sshOpts ?? []),
  ];
  for (const option of sshOptions) {
    if (/\s/.test(option) || CONTROL.test(option))
      return refused(
        `ssh option '${option}' of target '${target.name}' holds whitespace or a control character, which Nix's NIX_SSHOPTS cannot carry`,
        ['Split it into separate list items ("-o", "Name=value"), or put it in an ssh_config file (-F).'],
      );
  }

  let hostKey: string | undefined;
  if (own?.hostKey !== undefined) {
    const m = HOST_KEY.exec(own.hostKey.trim());
    if (!m)
      return refused(`hostKey of target '${target.name}' is not an ssh public key`, [
        "Give the key as in known_hosts or a .pub file: `ssh-ed25519 AAAA…` (ssh-keyscan prints it).",
      ]);
    hostKey = `${m[1]} ${m[2]}`;
  }

  const systemProfile =
    target.kind === "nixos" ? (node?.profiles.system?.profilePath ?? SYSTEM_PROFILE) : SYSTEM_PROFILE;
  const profile = own?.profile ?? (target.kind === "home" ? HOME_PROFILE : systemProfile);
  if (CONTROL.test(profile))
    return refused(`profile of target '${target.name}' holds a control character`, []);

  const tags = [...new Set([...input.hostTags, ...(own?.tags ?? []), ...(hive?.tags ?? [])])].sort();
  return {
    address: {
      host,
      port: own?.port ?? hive?.targetPort ?? undefined,
      user,
      sshOptions,
      backend: input.backend ?? own?.backend ?? deploy.backend,
      buildOn: own?.buildOn ?? deploy.buildOn,
      hostKey,
      profile,
      tags,
      source,
      connectTimeoutSeconds: deploy.connectTimeoutSeconds,
    },
  };
}
