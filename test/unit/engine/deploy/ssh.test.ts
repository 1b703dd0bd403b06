// ssh's command line: the user's own ssh with infra's few additions, host after `--`, never a
// relaxed host-key check.
import { describe, expect, it } from "vitest";
import {
  nixSshOpts,
  sshArgv,
  sshExitArgv,
  sshFailure,
  sshOptions,
  storeUri,
} from "../../../../engine/deploy/ssh.js";
import type { TargetAddress } from "../../../../engine/deploy/types.js";

const address = (more: Partial<TargetAddress> = {}): TargetAddress => ({
  host: "web1",
  port: undefined,
  user: undefined,
  sshOptions: [],
  backend: "ssh",
  buildOn: "local",
  hostKey: undefined,
  profile: "/nix/var/nix/profiles/system",
  tags: [],
  source: "name",
  connectTimeoutSeconds: 10,
  ...more,
});

describe("ssh's argv", () => {
  it("is ssh, options, --, the host and one command word", () => {
    expect(sshArgv(address(), "true")).toEqual([
      "ssh",
      "-o",
      "BatchMode=yes",
      "-o",
      "ConnectTimeout=10",
      "--",
      "web1",
      "true",
    ]);
  });

  it("puts infra.json's port and user first (ssh keeps the first value), then the user's options", () => {
    expect(
      sshOptions(address({ port: 2222, user: "deploy", sshOptions: ["-F", "/cfg", "-p", "22"] })),
    ).toEqual([
      "-p",
      "2222",
      "-l",
      "deploy",
      "-F",
      "/cfg",
      "-p",
      "22",
      "-o",
      "BatchMode=yes",
      "-o",
      "ConnectTimeout=10",
    ]);
  });

  it("pins a host key to infra's own known_hosts file with strict checking", () => {
    const opts = sshOptions(address({ hostKey: "ssh-ed25519 AAAA" }), { pinned: "/run/kh" });
    expect(opts.slice(0, 8)).toEqual([
      "-o",
      "HostKeyAlias=infra-pinned-host",
      "-o",
      "UserKnownHostsFile=/run/kh",
      "-o",
      "GlobalKnownHostsFile=/dev/null",
      "-o",
      "StrictHostKeyChecking=yes",
    ]);
  });

  it("never relaxes host-key checking", () => {
    const all = [
      ...sshOptions(address()),
      ...sshOptions(address({ hostKey: "ssh-ed25519 AAAA", port: 1, user: "u" }), {
        pinned: "/kh",
        control: "/c",
      }),
    ].join(" ");
    expect(all).not.toMatch(/StrictHostKeyChecking=(no|accept-new|off)|UserKnownHostsFile=\/dev\/null/);
  });

  it("shares one connection per target through a control socket that ends by itself when idle", () => {
    expect(sshOptions(address(), { control: "/run/c0" }).slice(-6)).toEqual([
      "-o",
      "ControlPath=/run/c0",
      "-o",
      "ControlMaster=auto",
      "-o",
      "ControlPersist=30",
    ]);
    expect(sshExitArgv(address(), "/run/c0")).toEqual([
      "ssh",
      "-o",
      "ControlPath=/run/c0",
      "-O",
      "exit",
      "--",
      "web1",
    ]);
  });

  it("gives Nix the same options and an ssh:// store", () => {
    expect(nixSshOpts(address({ port: 2222 }))).toBe("-p 2222 -o BatchMode=yes -o ConnectTimeout=10");
    expect(storeUri(address({ user: "root" }))).toBe("ssh://root@web1");
    expect(storeUri(address())).toBe("ssh://web1");
  });
});

describe("what ssh said", () => {
  it("names a host key mismatch loudly", () => {
    const stderr =
      "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\nHost key verification failed.\n";
    const { message, hints } = sshFailure(stderr, address({ port: 2222 }));
    expect(message).toBe(
      "host key verification failed for web1 port 2222: the key it offered is not the one known_hosts holds for it; nothing was deployed to it",
    );
    expect(hints.join(" ")).toMatch(/never turns host-key checking off/);
  });

  it("keeps ssh's own words for an unreachable host", () => {
    const { message, hints } = sshFailure(
      "ssh: connect to host 127.0.0.1 port 9: Connection refused\n",
      address({ host: "127.0.0.1", port: 9 }),
    );
    expect(message).toBe(
      "cannot reach 127.0.0.1 port 9 over ssh: ssh: connect to host 127.0.0.1 port 9: Connection refused",
    );
    expect(hints[0]).toMatch(/is up and reachable/);
  });
});
