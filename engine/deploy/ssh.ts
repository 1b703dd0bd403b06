// The system `ssh`, with the user's own config, agent and known_hosts: infra adds only what a
// non-interactive, parallel run needs (BatchMode: never prompt; a connect timeout) and what
// infra.json pins (port, user, a host key). It never turns host-key checking off. Every value is
// one argv element, the host comes after `--`, and the remote command is built from quoted words
// only (remote.ts). Pure.
import type { TargetAddress } from "./types.js";

/** The alias a pinned host key is recorded under in infra's own known_hosts file. */
export const PINNED_ALIAS = "infra-pinned-host";

/** A known_hosts line for a pinned key (written to a file of its own per target). */
export function pinnedKnownHosts(hostKey: string): string {
  return `${PINNED_ALIAS} ${hostKey}\n`;
}

/** Files of one run that a connection uses: a pinned host key, a shared connection's socket. */
export interface SshFiles {
  /** infra's known_hosts file holding the target's pinned key (when infra.json pins one). */
  pinned?: string | undefined;
  /** The control socket the target's connections share (ssh's ControlPath). */
  control?: string | undefined;
}

/** How long a shared connection outlives its last use (it ends with the run, or by itself). */
export const CONTROL_PERSIST_SECONDS = 30;

/**
 * Everything between `ssh` and `--`. ssh keeps the first value it is given for a setting, so
 * infra.json's explicit port and user come first, then the user's options, then infra's defaults
 * (which the user's options may thus override, except the pinned key).
 */
export function sshOptions(address: TargetAddress, files: SshFiles = {}): string[] {
  const out: string[] = [];
  const pinnedFile = files.pinned;
  if (address.port !== undefined) out.push("-p", String(address.port));
  if (address.user !== undefined) out.push("-l", address.user);
  if (address.hostKey !== undefined && pinnedFile !== undefined) {
    // The pinned key and nothing else: strict checking against infra's file only.
    out.push(
      "-o",
      `HostKeyAlias=${PINNED_ALIAS}`,
      "-o",
      `UserKnownHostsFile=${pinnedFile}`,
      "-o",
      "GlobalKnownHostsFile=/dev/null",
      "-o",
      "StrictHostKeyChecking=yes",
    );
  }
  out.push(...address.sshOptions);
  // A prompt (password, unknown host key) would hang a parallel run: fail instead.
  out.push("-o", "BatchMode=yes", "-o", `ConnectTimeout=${address.connectTimeoutSeconds}`);
  if (files.control !== undefined) {
    // One connection per target for the whole run: the ask opens it, the copy and the
    // activation go over it (each new connection is a key exchange and a login on the target).
    out.push(
      "-o",
      `ControlPath=${files.control}`,
      "-o",
      "ControlMaster=auto",
      "-o",
      `ControlPersist=${CONTROL_PERSIST_SECONDS}`,
    );
  }
  return out;
}

/** `ssh OPTIONS -- HOST COMMAND`. */
export function sshArgv(address: TargetAddress, command: string, files: SshFiles = {}): string[] {
  return ["ssh", ...sshOptions(address, files), "--", address.host, command];
}

/** Ends a shared connection (talks to its local socket only). */
export function sshExitArgv(address: TargetAddress, control: string): string[] {
  return ["ssh", "-o", `ControlPath=${control}`, "-O", "exit", "--", address.host];
}

/**
 * NIX_SSHOPTS: how Nix (nix copy, nix-copy-closure, nixos-rebuild) passes options to ssh. Nix
 * splits it at whitespace, which is why address.ts refuses options holding any.
 */
export function nixSshOpts(address: TargetAddress, files: SshFiles = {}): string {
  return sshOptions(address, files).join(" ");
}

/**
 * The store URI for `nix copy --to`: `ssh://` runs `nix-store --serve --write` on the target,
 * which Nix 2.8 and current Nix both speak, and which accepts unsigned paths from a user who may
 * log in (`ssh-ng://` would need the paths signed or the user trusted by the target's daemon).
 */
export function storeUri(address: Pick<TargetAddress, "user" | "host">): string {
  return `ssh://${address.user ? `${address.user}@` : ""}${address.host}`;
}

/** `user@host` for tools that take a destination (nixos-rebuild, nix-copy-closure). */
export function destination(address: Pick<TargetAddress, "user" | "host">): string {
  return `${address.user ? `${address.user}@` : ""}${address.host}`;
}

/** What ssh said when it could not connect (exit 255), as one sentence for the report. */
export function sshFailure(stderr: string, address: TargetAddress): { message: string; hints: string[] } {
  const text = stderr.replace(/\r/g, "");
  const where = `${address.host}${address.port ? ` port ${address.port}` : ""}`;
  if (
    /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed|host key for .* has changed/i.test(
      text,
    )
  ) {
    return {
      message: `host key verification failed for ${where}: the key it offered is not the one ${address.hostKey ? "pinned in infra.json (hostKey)" : "known_hosts holds for it"}; nothing was deployed to it`,
      hints: [
        "If the machine was reinstalled, check its new key out of band, then update known_hosts (ssh-keygen -R) or hostKey in infra.json.",
        "infra never turns host-key checking off.",
      ],
    };
  }
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/^@+$/.test(l) && !/^Warning: Permanently added/.test(l));
  const said = lines.slice(-3).join("; ") || "ssh exited with 255 and said nothing";
  const hints: string[] = [];
  if (
    /Connection refused|timed out|No route to host|Could not resolve hostname|Name or service not known/i.test(
      text,
    )
  )
    hints.push(
      `Check that ${where} is up and reachable over ssh (try: ssh ${where.replace(" port ", " -p ")}).`,
    );
  if (/Permission denied/i.test(text))
    hints.push(
      "Check the ssh user and that your key (ssh-agent or IdentityFile) is authorized on the target.",
    );
  return { message: `cannot reach ${where} over ssh: ${said}`, hints };
}
