// Deploy targets for the tests and the deploy benchmark: real machines on loopback. Each target is a real `sshd` on
// 127.0.0.1 running in a root with its own Nix (the Debian 13 root scripts/nix-matrix builds, or
// this very root when the tests already run inside it), in a mount and PID namespace of its own
// (`unshare`), with its own /run, /root, /tmp and /nix/var/nix/profiles bind-mounted over the
// root's, and a fresh /nix store that the targets of one harness share. The root itself is
// mounted read-only and never changed. The client side is a per-harness ssh_config (passed with
// `-F`, through infra.json's sshOptions), key and known_hosts: tests never touch ~/.ssh.
// Nothing here mocks ssh, nix or the target.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./paths.js";

/**
 * Mounts the target's own folders over the root's, then runs sshd under this script, PID 1 of
 * the namespace. The harness holds the script's stdin open: when the test process ends, however
 * it ends (a crash, a kill -9 that skips every afterAll), the read returns, sshd is stopped, PID
 * 1 exits, and the kernel ends everything left in the namespace.
 */
const START = `
set -eu
exec 3<&0
root=$1 t=$2 store=$3 conf=$4
if [ "$root" != / ]; then
  mount --bind "$root" "$root"
  mount -o remount,bind,ro "$root"
  mount --rbind /dev "$root/dev"
fi
mount -t proc proc "$root/proc"
mkdir -p "$store/var/nix/profiles" "$t/run/sshd"
mount --bind "$t/run" "$root/run"
mount --bind "$t/home" "$root/root"
mount --bind "$store" "$root/nix"
mount --bind "$t/profiles" "$root/nix/var/nix/profiles"
mount --bind "$conf" "$root/etc/nix/nix.conf"
# Last: the folders above may live under /tmp.
mount --bind "$t/tmp" "$root/tmp"
if [ "$root" = / ]; then
  /usr/sbin/sshd -D -e -f /run/infra-sshd/sshd_config &
else
  chroot "$root" /usr/sbin/sshd -D -e -f /run/infra-sshd/sshd_config &
fi
sshd=$!
{ read -r _ <&3 || true; kill "$sshd" 2>/dev/null; } &
wait "$sshd"
`;

// Single-user Nix as root on the target, offline: no build users, no sandbox, no substituters.
const TARGET_NIX_CONF = `build-users-group =
experimental-features = nix-command flakes
sandbox = false
substituters =
`;

/** The root targets run in: INFRA_TARGET_ROOT, this root inside scripts/nix-matrix, else its Debian 13 root. */
export function targetRoot(): string {
  const given = process.env.INFRA_TARGET_ROOT;
  if (given) return given;
  if (existsSync("/.infra-matrix-complete")) return "/";
  // Builds the root the first time (a minute or two, from deb.debian.org), then prints its path.
  return execFileSync(join(repoRoot(), "scripts", "nix-matrix"), ["--root-only"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 900_000,
  }).trim();
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Resolves once something on the port greets with an SSH banner (connecting, never sleeping blind). */
async function waitForSsh(
  port: number,
  exited: () => string | undefined,
  deadlineMs = 20_000,
): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    const why = exited();
    if (why !== undefined) throw new Error(why);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      let data = "";
      socket.setTimeout(1000, () => socket.destroy());
      socket.on("data", (d) => {
        data += d;
        if (data.startsWith("SSH-")) {
          socket.destroy();
          resolve(true);
        }
      });
      socket.on("error", () => resolve(false));
      socket.on("close", () => resolve(data.startsWith("SSH-")));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`sshd on port ${port} did not answer within ${deadlineMs} ms`);
}

export interface TargetHost {
  name: string;
  port: number;
  /** Host-side folders the target sees as /run, /root and /nix/var/nix/profiles. */
  runDir: string;
  homeDir: string;
  profilesDir: string;
  /** `ssh-ed25519 AAAA…` */
  hostKey: string;
  /** Where a symlink on the target points (`/run/current-system`, a profile), or null. */
  link(targetPath: string): string | null;
  /** The lines of the fixture's activation record (`/run/infra-activations`). */
  activations(): string[];
  stop(): Promise<void>;
}

export interface TargetHarness {
  dir: string;
  root: string;
  /** The shared store's folder as the host sees it (`<storeDir>/store/<hash>-name`). */
  storeDir: string;
  sshConfig: string;
  knownHosts: string;
  targets: Map<string, TargetHost>;
  /** Starts a target; `alias`: ssh_config maps its name to 127.0.0.1 and its port. */
  start(name: string, options?: { alias?: boolean }): Promise<TargetHost>;
  /** Replaces a target's known_hosts entry with another key (a host key mismatch). */
  forgeHostKey(name: string): string;
  /** Whether the shared store holds this store path. */
  hasPath(storePath: string): boolean;
  stop(): Promise<void>;
}

export function createHarness(): TargetHarness {
  if (process.getuid?.() !== 0) throw new Error("the deploy harness needs root (unshare, mount)");
  const root = targetRoot();
  if (!existsSync(join(root, "usr/sbin/sshd")))
    throw new Error(`${root} has no sshd: add openssh-server to scripts/lib/trixie-root.sh`);
  const dir = mkdtempSync(join(tmpdir(), "infra-targets-"));
  const storeDir = join(dir, "store");
  mkdirSync(storeDir);
  // Nix makes this link the first time it opens a store, without a lock: two targets' first
  // commands at once (a cold deploy of two hosts) race, and one fails with "File exists".
  mkdirSync(join(storeDir, "var/nix/gcroots"), { recursive: true });
  symlinkSync("/nix/var/nix/profiles", join(storeDir, "var/nix/gcroots/profiles"));
  const nixConf = join(dir, "nix.conf");
  writeFileSync(nixConf, TARGET_NIX_CONF);
  const clientKey = join(dir, "client_key");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "infra-tests", "-f", clientKey]);
  const sshConfig = join(dir, "ssh_config");
  const knownHosts = join(dir, "known_hosts");
  const targets = new Map<string, TargetHost>();
  const aliases = new Map<string, number>();
  const known = new Map<string, string>();
  const children: { child: ChildProcess; exited: Promise<void> }[] = [];

  const writeClient = () => {
    const blocks = [...aliases].map(([name, port]) => `Host ${name}\n  HostName 127.0.0.1\n  Port ${port}\n`);
    // Client and targets share this machine's cores, with no network between them: the default
    // post-quantum key exchange (sntrup761x25519, ~70 ms of CPU on each side of every connection
    // here) would make every figure a measure of it. Over a real network the round trip is what
    // costs, not the CPU; curve25519 keeps the harness closer to that.
    blocks.push(
      `Host *\n  User root\n  KexAlgorithms curve25519-sha256\n  IdentityFile ${clientKey}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${knownHosts}\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  LogLevel ERROR\n`,
    );
    writeFileSync(sshConfig, blocks.join(""));
    writeFileSync(knownHosts, [...known].map(([port, key]) => `[127.0.0.1]:${port} ${key}\n`).join(""));
  };
  writeClient();

  const harness: TargetHarness = {
    dir,
    root,
    storeDir,
    sshConfig,
    knownHosts,
    targets,
    async start(name, options = {}) {
      const t = join(dir, "targets", name);
      for (const sub of ["run/infra-sshd", "home", "profiles", "tmp"])
        mkdirSync(join(t, sub), { recursive: true });
      const sshdDir = join(t, "run", "infra-sshd");
      execFileSync("ssh-keygen", [
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-C",
        name,
        "-f",
        join(sshdDir, "host_key"),
      ]);
      writeFileSync(join(sshdDir, "authorized_keys"), readFileSync(`${clientKey}.pub`));
      const port = await freePort();
      writeFileSync(
        join(sshdDir, "sshd_config"),
        [
          `ListenAddress 127.0.0.1:${port}`,
          "HostKey /run/infra-sshd/host_key",
          "AuthorizedKeysFile /run/infra-sshd/authorized_keys",
          "PermitRootLogin prohibit-password",
          "PasswordAuthentication no",
          "KbdInteractiveAuthentication no",
          "UsePAM no",
          "StrictModes no",
          "PidFile none",
          "PrintMotd no",
          "MaxStartups 64:30:128",
          "LogLevel ERROR",
          "",
        ].join("\n"),
      );
      const child = spawn(
        "unshare",
        [
          "--mount",
          "--propagation",
          "private",
          "--pid",
          "--fork",
          "--kill-child",
          "--",
          "sh",
          "-c",
          START,
          "sh",
          root,
          t,
          storeDir,
          nixConf,
        ],
        // stdin stays open for as long as this process lives (see START).
        { stdio: ["pipe", "ignore", "pipe"] },
      );
      let stderr = "";
      child.stderr!.on("data", (d) => {
        stderr += d;
      });
      let gone: string | undefined;
      const exited = new Promise<void>((resolve) =>
        child.on("exit", (code, signal) => {
          gone = `the target ${name}'s sshd exited (${code ?? signal}): ${stderr.trim()}`;
          resolve();
        }),
      );
      children.push({ child, exited });
      await waitForSsh(port, () => gone);
      const hostKey = readFileSync(join(sshdDir, "host_key.pub"), "utf8")
        .trim()
        .split(" ")
        .slice(0, 2)
        .join(" ");
      known.set(String(port), hostKey);
      if (options.alias) aliases.set(name, port);
      writeClient();
      const link = (path: string) => {
        const hostSide = path.startsWith("/run/")
          ? join(t, "run", path.slice(5))
          : path.startsWith("/nix/var/nix/profiles/")
            ? join(t, "profiles", path.slice("/nix/var/nix/profiles/".length))
            : path.startsWith("/root/")
              ? join(t, "home", path.slice(6))
              : undefined;
        if (hostSide === undefined) throw new Error(`not a target path the harness maps: ${path}`);
        try {
          let target = readlinkSync(hostSide);
          // Profile links are relative (system -> system-2-link): follow them to the store path.
          if (!target.startsWith("/")) target = readlinkSync(join(hostSide, "..", target));
          return target;
        } catch {
          return null;
        }
      };
      const host: TargetHost = {
        name,
        port,
        runDir: join(t, "run"),
        homeDir: join(t, "home"),
        profilesDir: join(t, "profiles"),
        hostKey,
        link,
        activations: () => {
          try {
            return readFileSync(join(t, "run", "infra-activations"), "utf8")
              .split("\n")
              .filter(Boolean);
          } catch {
            return [];
          }
        },
        async stop() {
          // unshare ignores SIGTERM while it waits; killed, it takes the namespace down with it.
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
          await exited;
        },
      };
      targets.set(name, host);
      return host;
    },
    forgeHostKey(name) {
      const target = targets.get(name)!;
      const forged = join(dir, `forged-${name}`);
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "forged", "-f", forged]);
      const key = readFileSync(`${forged}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
      known.set(String(target.port), key);
      writeClient();
      return key;
    },
    hasPath: (storePath) => existsSync(join(storeDir, storePath.slice("/nix/".length))),
    async stop() {
      for (const { child } of children)
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await Promise.all(children.map((c) => c.exited));
      // The store's files are read-only, as Nix leaves them.
      execFileSync("chmod", ["-R", "u+w", dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}
