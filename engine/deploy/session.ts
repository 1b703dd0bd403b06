// One deploy (or plan) run's shared pieces: the Nix tools on PATH, a folder for pinned host keys,
// the events, and running a fixed script on a target over ssh. Main thread.
import { setMaxListeners } from "node:events";
import { writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { runCommand } from "../nix/command.js";
import type { NixInfo } from "../nix/detect.js";
import { tempDir } from "../nix/reaper.js";
import { which } from "../nix/which.js";
import type { EngineEvent } from "../run/events.js";
import { describeAddress } from "./address.js";
import { remoteCommand } from "./remote.js";
import { nixSshOpts, pinnedKnownHosts, type SshFiles, sshArgv, sshExitArgv, sshFailure } from "./ssh.js";
import type { DeployStep, TargetAddress } from "./types.js";

export interface NixTools {
  nix: string;
  nixStore: string;
  nixCopyClosure: string;
}

/** A tool on PATH, else in the folder of Nix's own tools (a PATH shim in a test may wrap any of them). */
export function nixTools(nix: NixInfo): NixTools {
  const find = (name: string) => which(name) ?? join(dirname(nix.instantiate), name);
  return {
    nix: nix.nix ?? find("nix"),
    nixStore: find("nix-store"),
    nixCopyClosure: find("nix-copy-closure"),
  };
}

/** A remote script's outcome: it ran (with its exit code), or ssh could not run it. */
export type RemoteResult =
  | { ran: true; exitCode: number; stdout: string; stderr: string; durationMs: number }
  | { ran: false; message: string; hints: string[]; cancelled: boolean };

export interface RemoteOptions {
  signal?: AbortSignal | undefined;
  /** Open (or use) the target's shared connection; default: whether the run shares at all. */
  share?: boolean | undefined;
  onLine?: ((line: string) => void) | undefined;
  /** False for an activation: it is left to finish if infra dies (see nix/command.ts). */
  guarded?: boolean | undefined;
}

export class DeploySession {
  readonly tools: NixTools;
  /** The run's signal: every process of the run listens to it (and only the run to the engine's). */
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly stopOnAbort = () => this.controller.abort();
  private dir: Promise<string> | undefined;
  private readonly pinned = new Map<string, string>();
  /** Shared connections by destination: the socket, and an address to end it with. */
  private readonly controls = new Map<string, { path: string; address: TargetAddress }>();

  /**
   * `share`: a target's connections may share one (deploy makes several per target; plan one).
   * A connection that asks only (an up-to-date target) opens none.
   */
  constructor(
    nix: NixInfo,
    readonly cwd: string,
    private readonly engineSignal: AbortSignal | undefined,
    private readonly emitEvent: (event: EngineEvent) => void,
    private readonly share = false,
  ) {
    this.tools = nixTools(nix);
    this.signal = this.controller.signal;
    setMaxListeners(0, this.signal);
    engineSignal?.addEventListener("abort", this.stopOnAbort, { once: true });
    if (engineSignal?.aborted) this.stopOnAbort();
  }

  emit(event: EngineEvent): void {
    this.emitEvent(event);
  }

  step(name: string, step: DeployStep, bytes?: { done: number; expected: number }): void {
    this.emitEvent({ type: "deploy-step", name, step, bytes });
  }

  private folder(): Promise<string> {
    this.dir ??= tempDir("run");
    return this.dir;
  }

  /** The known_hosts file holding a target's pinned key (one file per key), if it has one. */
  private async pinnedFile(address: TargetAddress): Promise<string | undefined> {
    if (address.hostKey === undefined) return undefined;
    let file = this.pinned.get(address.hostKey);
    if (file === undefined) {
      file = join(await this.folder(), `known_hosts-${this.pinned.size}`);
      writeFileSync(file, pinnedKnownHosts(address.hostKey), { mode: 0o600 });
      this.pinned.set(address.hostKey, file);
    }
    return file;
  }

  /** What a connection to the target uses of this run's files. */
  async files(address: TargetAddress, share = this.share): Promise<SshFiles> {
    const files: SshFiles = { pinned: await this.pinnedFile(address) };
    if (this.share && share) {
      // One per destination and options: another user or other options is another connection.
      const key = `${describeAddress(address)}\0${address.sshOptions.join("\0")}\0${address.hostKey ?? ""}`;
      let control = this.controls.get(key);
      if (control === undefined) {
        // Short: a socket's path must fit in 108 bytes.
        control = { path: join(await this.folder(), `c${this.controls.size}`), address };
        this.controls.set(key, control);
      }
      files.control = control.path;
    }
    return files;
  }

  /** NIX_SSHOPTS for a target: the options of infra's own connections to it. */
  async nixSshOpts(address: TargetAddress): Promise<string> {
    return nixSshOpts(address, await this.files(address));
  }

  /** Runs `script` with `args` on the target (remote.ts quotes every word). */
  async remote(
    address: TargetAddress,
    script: string,
    args: string[],
    options: RemoteOptions = {},
  ): Promise<RemoteResult> {
    const argv = sshArgv(address, remoteCommand(script, args), await this.files(address, options.share));
    const result = await runCommand({
      argv,
      cwd: this.cwd,
      signal: options.signal,
      onStdoutLine: options.onLine,
      guarded: options.guarded,
    });
    if (result.ended === "cancelled")
      return { ran: false, message: "interrupted", hints: [], cancelled: true };
    if (result.ended === "not-started")
      return { ran: false, message: "ssh is not installed (no ssh on PATH)", hints: [], cancelled: false };
    if (result.exitCode === 255)
      return { ran: false, ...sshFailure(result.stderr, address), cancelled: false };
    return {
      ran: true,
      exitCode: result.exitCode,
      stdout: result.stdout,
      stderr: result.stderr,
      durationMs: result.durationMs,
    };
  }

  async close(): Promise<void> {
    this.engineSignal?.removeEventListener("abort", this.stopOnAbort);
    // Shared connections end with the run (or, should infra die, on their own when idle).
    await Promise.all(
      [...this.controls.values()].map(({ path, address }) =>
        runCommand({ argv: sshExitArgv(address, path), cwd: this.cwd, timeoutMs: 5000 }),
      ),
    );
    if (this.dir) await rm(await this.dir, { recursive: true, force: true });
  }
}
