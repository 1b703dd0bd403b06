// Real tools for the secrets tests: ssh-keygen keys, age/age-keygen encryption. Fixtures are
// made at test time in a temp folder, so every run checks infra's parsers against the age
// binary installed on the machine (Debian's `age` package) rather than against stale files.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { base64, bech32 } from "@scure/base";

/** Fails loudly (not skips) when a tool is missing: these tests exist to run real tools. */
export function requireTools(): void {
  for (const tool of ["age", "age-keygen", "ssh-keygen"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "pipe" });
    } catch {
      throw new Error(`${tool} is not installed: run \`apt-get install -y age openssh-client\``);
    }
  }
}

export function tempDir(prefix = "infra-secrets-"): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface SshKeyPair {
  /** Path of the private key file. */
  readonly privatePath: string;
  /** Path of the .pub file. */
  readonly publicPath: string;
  /** The public key line, without the newline. */
  readonly publicLine: string;
}

/** `ssh-keygen -t <type>` without a passphrase. */
export function sshKeygen(dir: string, name: string, type: "ed25519" | "rsa" = "ed25519"): SshKeyPair {
  const privatePath = join(dir, name);
  const args = ["-q", "-t", type, "-N", "", "-C", `root@${name}`, "-f", privatePath];
  if (type === "rsa") args.splice(1, 0, "-b", "2048");
  execFileSync("ssh-keygen", args, { stdio: "pipe" });
  const publicPath = `${privatePath}.pub`;
  return { privatePath, publicPath, publicLine: readFileSync(publicPath, "utf8").trim() };
}

/** `age <args>` with `input` on stdin; returns stdout. */
export function age(args: readonly string[], input: string | Uint8Array = ""): Buffer {
  return execFileSync("age", args, { input, stdio: ["pipe", "pipe", "pipe"] });
}

/** `age-keygen` → { identityPath, recipient }. */
export function ageKeygen(dir: string, name: string): { identityPath: string; recipient: string } {
  const identityPath = join(dir, `${name}.agekey`);
  execFileSync("age-keygen", ["-o", identityPath], { stdio: "pipe" });
  const recipient = execFileSync("age-keygen", ["-y", identityPath], { encoding: "utf8" }).trim();
  return { identityPath, recipient };
}

/** `age-keygen -y`: the recipient real age derives from an identity file. */
export function ageRecipientOf(identityPath: string): string {
  return execFileSync("age-keygen", ["-y", identityPath], { encoding: "utf8" }).trim();
}

/** Reads RFC 4253 strings from an OpenSSH private key blob. */
function sshStrings(blob: Buffer, offset: number, count: number): { values: Buffer[]; next: number } {
  const values: Buffer[] = [];
  let at = offset;
  for (let i = 0; i < count; i++) {
    const length = blob.readUInt32BE(at);
    values.push(blob.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return { values, next: at };
}

/**
 * The age identity (`AGE-SECRET-KEY-1…`) of an unencrypted OpenSSH ed25519 private key, as
 * `ssh-to-age -private-key` computes it: the first 32 bytes of SHA-512 of the ed25519 seed.
 * Test-only: it lets real age decrypt a file encrypted to the age1 form of an SSH key (age's own
 * ssh-ed25519 identity only opens ssh-ed25519 stanzas, never X25519 ones).
 */
export function ageIdentityFromSshKey(privatePath: string, dir: string): string {
  const pem = readFileSync(privatePath, "utf8");
  const body = pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  const blob = Buffer.from(base64.decode(body));
  const magic = "openssh-key-v1\0";
  if (blob.subarray(0, magic.length).toString("latin1") !== magic)
    throw new Error("not an OpenSSH private key");
  // ciphername, kdfname, kdfoptions, then uint32 nkeys, then the public key string.
  const header = sshStrings(blob, magic.length, 3);
  if (header.values[0]!.toString() !== "none") throw new Error("the test key must be unencrypted");
  const afterPublic = sshStrings(blob, header.next + 4, 1).next;
  const privateBlock = sshStrings(blob, afterPublic, 1).values[0]!;
  // check1, check2, then keytype, public key, private key (seed || public).
  const keys = sshStrings(privateBlock, 8, 3).values;
  const seed = keys[2]!.subarray(0, 32);
  const scalar = createHash("sha512").update(seed).digest().subarray(0, 32);
  const identity = bech32.encode("age-secret-key-", bech32.toWords(scalar), false).toUpperCase();
  const path = join(dir, `${privatePath.split("/").pop()}.agekey`);
  writeFileSync(path, `${identity}\n`, { mode: 0o600 });
  return path;
}
