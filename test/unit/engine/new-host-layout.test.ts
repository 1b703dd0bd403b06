// Learning a host's layout from its recorded dependencies: its own folder or files, what is
// never copied, and whether the flake lists the hosts folder. Pure, no Nix.
import { describe, expect, it } from "vitest";
import { learnLayout, secretKind } from "../../../engine/new-host/layout.js";

const dep = (kind: string, path: string) => ({ kind, path });

describe("learnLayout", () => {
  const tracked = [
    "flake.nix",
    "hosts/db1/default.nix",
    "hosts/db1/hardware.nix",
    "hosts/db1/README.md",
    "hosts/db1/ssh_host_ed25519_key.pub",
    "hosts/db1/secret.age",
    "hosts/db2/default.nix",
    "roles/db.nix",
  ];
  const secretReason = (p: string) =>
    secretKind(p, undefined, { hostKeyPath: "hosts/db1/ssh_host_ed25519_key.pub" });

  it("copies the like host's folder (every tracked file, secrets and keys left out) and sees a listed hosts folder", () => {
    const layout = learnLayout({
      like: "db1",
      name: "db3",
      otherNames: new Set(["db2"]),
      dependencies: [
        dep("file", "flake.nix"),
        dep("dir", "hosts"),
        dep("file", "hosts/db1/default.nix"),
        dep("file", "hosts/db1/hardware.nix"),
        dep("file", "roles/db.nix"),
        dep("type", "hosts/db1/hardware.nix/default.nix"),
      ],
      readByOthers: new Set(["flake.nix", "roles/db.nix"]),
      tracked,
      secretReason,
    });
    expect(layout.units).toEqual([{ kind: "folder", from: "hosts/db1", to: "hosts/db3" }]);
    expect(layout.copies.map((c) => c.to)).toEqual([
      "hosts/db3/default.nix",
      "hosts/db3/hardware.nix",
      "hosts/db3/README.md",
    ]);
    expect(layout.skipped.map((s) => s.path)).toEqual([
      "hosts/db1/ssh_host_ed25519_key.pub",
      "hosts/db1/secret.age",
    ]);
    expect(layout.autoDiscovered).toBe(true);
    expect(layout.sharedReads).toEqual(["flake.nix", "roles/db.nix"]);
  });

  it("copies files named after the host, not files other hosts read, and sees an unlisted folder", () => {
    const layout = learnLayout({
      like: "web",
      name: "api",
      otherNames: new Set(["web-2"]),
      dependencies: [
        dep("file", "flake.nix"),
        dep("type", "hosts"),
        dep("file", "hosts/web.nix"),
        dep("file", "hardware/web-disks.nix"),
        dep("file", "roles/web.nix"),
        dep("file", "hosts/web-2.nix"),
      ],
      readByOthers: new Set(["roles/web.nix"]),
      tracked: [],
      secretReason: () => undefined,
    });
    expect(layout.copies).toEqual([
      { from: "hosts/web.nix", to: "hosts/api.nix" },
      { from: "hardware/web-disks.nix", to: "hardware/api-disks.nix" },
    ]);
    expect(layout.autoDiscovered).toBe(false);
  });
});

describe("secretKind", () => {
  it("names keys, age files and sops files, by name or by content", () => {
    expect(secretKind("h/ssh_host_rsa_key", undefined, {})).toMatch(/SSH host key/);
    expect(secretKind("s/x.age", undefined, {})).toMatch(/age/);
    expect(secretKind("s/x.yaml", "a: ENC[AES256_GCM,data:xx]\nsops:\n  mac: x\n", {})).toMatch(/sops/);
    expect(secretKind("s/x.json", '{"a": 1, "sops": {"mac": "x"}}', {})).toMatch(/sops/);
    expect(secretKind("k", "-----BEGIN OPENSSH PRIVATE KEY-----\n", {})).toMatch(/private key/);
    expect(secretKind("s/x.yaml", "a: 1\n", { sopsManaged: () => true })).toMatch(/creation rule/);
    expect(secretKind("hosts/a/default.nix", "{ }\n", {})).toBeUndefined();
  });
});
