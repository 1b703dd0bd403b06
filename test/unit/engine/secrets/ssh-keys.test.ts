import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAgeHeader } from "../../../../engine/secrets/age.js";
import {
  ageSshTag,
  decodeAgeRecipient,
  normalizeAgeRecipient,
  parseSshPublicKey,
  requireSshPublicKey,
  type SshPublicKey,
  sshToAgeRecipient,
} from "../../../../engine/secrets/ssh-keys.js";
import { ConfigError } from "../../../../errors/index.js";
import {
  age,
  ageIdentityFromSshKey,
  ageKeygen,
  ageRecipientOf,
  requireTools,
  sshKeygen,
  tempDir,
} from "./helpers/tools.js";

function key(line: string): SshPublicKey {
  const parsed = parseSshPublicKey(line);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.key;
}

describe("parseSshPublicKey", () => {
  const ed = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF/KPU3Z5LSjbBI6hrq25wCcseq2UpqSzUFZRr+ux6LM";
  it("reads type, wire blob and comment", () => {
    const k = key(`  ${ed} root@eve  extra \n`);
    expect(k.type).toBe("ssh-ed25519");
    expect(k.wire.length).toBe(4 + 11 + 4 + 32);
    expect(k.comment).toBe("root@eve extra");
    expect(key(ed).comment).toBe("");
  });

  const marker = "SECRET-PASTE-MARKER";
  it.each([
    ["an empty line", "", /empty/],
    ["a private key", `-----BEGIN OPENSSH PRIVATE KEY----- ${marker}`, /private key/],
    ["an age recipient", "age1hjm3aujg9e79f5yth8a2cejzdjg5n9vnu96l05p70uvfpeltnpms7yy3pp", /age recipient/],
    ["one field", "ssh-ed25519", /expected `<type> <base64>/],
    ["authorized_keys options", `from="10.0.0.1" ${ed}`, /does not start with a key type/],
    ["an ecdsa key", "ecdsa-sha2-nistp256 AAAAE2VjZHNh", /age cannot encrypt to ecdsa-sha2-nistp256/],
    ["a security key", "sk-ssh-ed25519@openssh.com AAAAGnNr", /age cannot encrypt to sk-ssh-ed25519/],
    ["broken base64", `ssh-ed25519 ${marker}!!`, /not valid base64/],
    ["a truncated blob", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF/KPU3Z5LSjbBI6", /exactly one 32-byte/],
    ["a type mismatch", `ssh-rsa ${ed.split(" ")[1]}`, /says ssh-rsa but the key inside is of another type/],
    [
      "the fake keys of examples/fleet",
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKq1web1web1web1web1web1web1web1web1web1w",
      /32-byte|base64/,
    ],
  ])("rejects %s with a clear error that never echoes the line", (_what, line, error) => {
    const parsed = parseSshPublicKey(line);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error).toMatch(error);
    expect(parsed.error).not.toContain(marker);
  });

  it("throws a ConfigError naming the source from requireSshPublicKey", () => {
    expect(() => requireSshPublicKey("nonsense", "hosts/db3/ssh_host_ed25519_key.pub")).toThrow(ConfigError);
    expect(() => requireSshPublicKey("nonsense", "hosts/db3/ssh_host_ed25519_key.pub")).toThrow(
      /^hosts\/db3\/ssh_host_ed25519_key\.pub: not a usable OpenSSH public key/,
    );
  });
});

describe("age recipients", () => {
  // Published by ssh-to-age (README and test assets): ssh-ed25519 key → age1 recipient.
  it.each([
    [
      "AAAAC3NzaC1lZDI1NTE5AAAAIF/KPU3Z5LSjbBI6hrq25wCcseq2UpqSzUFZRr+ux6LM",
      "age1hjm3aujg9e79f5yth8a2cejzdjg5n9vnu96l05p70uvfpeltnpms7yy3pp",
    ],
    [
      "AAAAC3NzaC1lZDI1NTE5AAAAIIL2vjdqpppuCn7yPdF2muINriAG7zBWrsELKpPWkhn5",
      "age1v8zjc47jmlqwefyu66s0d4ke98qr4vnuj3cpvs4z9npfdw833dxqwjrhzv",
    ],
    [
      "AAAAC3NzaC1lZDI1NTE5AAAAIOHz+U0YtjINc54dZiJNclfmEFifF7RXCFlNlTbuZBji",
      "age17044m9wgakla6pzftf4srtl3h5mcsr85jysgt5fg23zpnta8sfdqhzn452",
    ],
  ])("matches ssh-to-age's published conversion of %s", (b64, expected) => {
    expect(sshToAgeRecipient(key(`ssh-ed25519 ${b64}`))).toBe(expected);
  });

  it("decodes and normalizes recipients, rejecting bad checksums", () => {
    const r = "age1hjm3aujg9e79f5yth8a2cejzdjg5n9vnu96l05p70uvfpeltnpms7yy3pp";
    expect(decodeAgeRecipient(r)?.length).toBe(32);
    expect(normalizeAgeRecipient(r.toUpperCase())).toBe(r);
    expect(decodeAgeRecipient(`${r.slice(0, -1)}q`)).toBeUndefined();
    expect(decodeAgeRecipient("age1short")).toBeUndefined();
  });
});

describe("against the real age and ssh-keygen", () => {
  let dir: { path: string; remove: () => void };
  beforeAll(() => {
    requireTools();
    dir = tempDir();
  });
  afterAll(() => dir.remove());

  it("computes the ssh-ed25519 and ssh-rsa stanza tags age writes", () => {
    const ed = sshKeygen(dir.path, "host-ed");
    const rsa = sshKeygen(dir.path, "host-rsa", "rsa");
    const file = age(["-R", ed.publicPath, "-R", rsa.publicPath], "payload");
    const header = parseAgeHeader(file);
    expect(header.kind).toBe("age");
    if (header.kind !== "age") return;
    const edStanza = header.stanzas.find((s) => s.type === "ssh-ed25519");
    const rsaStanza = header.stanzas.find((s) => s.type === "ssh-rsa");
    expect(edStanza && "tag" in edStanza ? edStanza.tag : undefined).toBe(ageSshTag(key(ed.publicLine)));
    expect(rsaStanza && "tag" in rsaStanza ? rsaStanza.tag : undefined).toBe(ageSshTag(key(rsa.publicLine)));
    // RSA keys have no X25519 form (sops-nix needs an ed25519 host key).
    expect(sshToAgeRecipient(key(rsa.publicLine))).toBeUndefined();
    // And the file is what it claims: the SSH private key opens it.
    const encrypted = join(dir.path, "tagged.age");
    writeFileSync(encrypted, file);
    expect(age(["-d", "-i", ed.privatePath, encrypted]).toString()).toBe("payload");
  });

  it("derives the age1 recipient that real age derives from the same host key", () => {
    for (let i = 0; i < 3; i++) {
      const host = sshKeygen(dir.path, `host-${i}`);
      const ours = sshToAgeRecipient(key(host.publicLine));
      // ssh-to-age -private-key's conversion, then age-keygen -y: real age computes the public key.
      const identity = ageIdentityFromSshKey(host.privatePath, dir.path);
      expect(ours).toBe(ageRecipientOf(identity));
      // Encrypt to our recipient, decrypt with the host's (converted) private key.
      const encrypted = join(dir.path, `to-age1-${i}.age`);
      writeFileSync(encrypted, age(["-r", ours!], `secret ${i}`));
      expect(age(["-d", "-i", identity, encrypted]).toString()).toBe(`secret ${i}`);
    }
  });

  it("decodes recipients made by age-keygen", () => {
    const { recipient } = ageKeygen(dir.path, "admin");
    expect(normalizeAgeRecipient(recipient)).toBe(recipient);
  });
});
