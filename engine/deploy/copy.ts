// Copying a closure to a target: `nix copy --to ssh://…` (ssh.ts storeUri says why ssh://
// and not ssh-ng://), with NIX_SSHOPTS carrying the same ssh options as infra's own connections, and
// Nix's machine-readable log read for the bytes copied so far. Main thread.
import { runCommand } from "../nix/command.js";
import type { DeploySession } from "./session.js";
import { storeUri } from "./ssh.js";
import type { TargetAddress } from "./types.js";

/** Nix's activity and result types (libutil/logging.hh). */
const ACT_COPY_PATH = 100;
const RES_PROGRESS = 105;

/** Follows `--log-format internal-json` lines: bytes done and expected over every path copied. */
export class CopyProgress {
  private readonly paths = new Map<number, { done: number; expected: number }>();
  /** Nix's error messages, in order. */
  readonly messages: string[] = [];

  /** Reads one stderr line; true when the byte counts changed. */
  line(text: string): boolean {
    if (!text.startsWith("@nix ")) {
      if (text.trim() !== "") this.messages.push(text);
      return false;
    }
    let entry: {
      action?: string;
      id?: number;
      type?: number;
      fields?: unknown[];
      msg?: string;
      level?: number;
    };
    try {
      entry = JSON.parse(text.slice(5));
    } catch {
      return false;
    }
    if (entry.action === "start" && entry.type === ACT_COPY_PATH && typeof entry.id === "number") {
      this.paths.set(entry.id, { done: 0, expected: 0 });
      return false;
    }
    if (entry.action === "result" && entry.type === RES_PROGRESS && typeof entry.id === "number") {
      const path = this.paths.get(entry.id);
      const [done, expected] = entry.fields ?? [];
      if (path && typeof done === "number" && typeof expected === "number") {
        path.done = done;
        path.expected = expected;
        return true;
      }
      return false;
    }
    if (entry.action === "msg" && typeof entry.msg === "string" && (entry.level ?? 0) <= 1)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: strips Nix's colours
      this.messages.push(entry.msg.replace(/\u001b\[[0-9;]*m/g, ""));
    return false;
  }

  get bytes(): { done: number; expected: number } {
    let done = 0;
    let expected = 0;
    for (const p of this.paths.values()) {
      done += p.done;
      expected += p.expected;
    }
    return { done, expected };
  }
}

export type CopyResult = { ok: true; durationMs: number } | { ok: false; message: string; output: string };

/** `nix copy --to ssh://[user@]host PATH`: the path's closure, what the target lacks of it. */
export async function copyClosure(
  session: DeploySession,
  name: string,
  address: TargetAddress,
  path: string,
): Promise<CopyResult> {
  const progress = new CopyProgress();
  let last = 0;
  const result = await runCommand({
    argv: [session.tools.nix, "copy", "--log-format", "internal-json", "--to", storeUri(address), path],
    cwd: session.cwd,
    env: { NIX_SSHOPTS: await session.nixSshOpts(address) },
    signal: session.signal,
    onStderrLine: (line) => {
      if (!progress.line(line)) return;
      // At most ten updates a second: the view redraws on its own clock anyway.
      const now = performance.now();
      if (now - last < 100) return;
      last = now;
      session.step(name, "copying", progress.bytes);
    },
  });
  if (result.exitCode === 0) return { ok: true, durationMs: result.durationMs };
  const said = progress.messages.filter((m) => !/^warning:/.test(m));
  const output = (said.length > 0 ? said : progress.messages).join("\n").trim();
  return {
    ok: false,
    message: result.ended === "cancelled" ? "interrupted" : `nix copy to ${storeUri(address)} failed`,
    output: output || result.stderr.trim(),
  };
}
