// Nothing infra starts may outlive it, however it ends (kill -9, a closed terminal, a crash).
// Every nix process runs in its own process group; a tiny shell "reaper", one per thread, holds
// the list of live groups on a pipe from infra. When infra dies the pipe closes, and the reaper
// kills every group still on its list. It runs in its own session, so Ctrl-C and a terminal's
// SIGHUP reach infra (which stops its runs itself), not the reaper.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SCRIPT = `
set -f
live=""
while IFS= read -r line; do
  case "$line" in
    +*) live="$live \${line#+}" ;;
    -*) g="\${line#-}"; keep=""; for x in $live; do [ "$x" = "$g" ] || keep="$keep $x"; done; live="$keep" ;;
  esac
done
for g in $live; do kill -KILL "-$g" 2>/dev/null; done
`;

let reaper: ChildProcess | undefined;

function write(line: string): void {
  if (reaper === undefined || reaper.exitCode !== null || reaper.stdin?.destroyed) {
    reaper = spawn("/bin/sh", ["-c", SCRIPT], { stdio: ["pipe", "ignore", "ignore"], detached: true });
    // Neither the reaper nor its pipe keeps infra running.
    reaper.unref();
    reaper.stdin?.on("error", () => {});
    (reaper.stdin as { unref?: () => void } | null)?.unref?.();
  }
  reaper.stdin?.write(`${line}\n`);
}

/** Puts a process group on the reaper's list (call right after starting its leader). */
export function guard(pgid: number): void {
  write(`+${pgid}`);
}

/** Takes a finished group off the list. */
export function release(pgid: number): void {
  write(`-${pgid}`);
}

/** Temporary folders carry infra's pid, so a later run can tell abandoned ones. */
const TEMP = /^infra-(run|markers)-(\d+)-/;

/** A temporary folder for this process (`infra-<what>-<pid>-XXXXXX` in the system's tmp). */
export function tempDir(what: "run" | "markers"): Promise<string> {
  return mkdtemp(join(tmpdir(), `infra-${what}-${process.pid}-`));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes temporary folders left by infra processes that are gone (killed, crashed). */
export async function removeAbandoned(): Promise<number> {
  let removed = 0;
  let names: string[];
  try {
    names = await readdir(tmpdir());
  } catch {
    return 0;
  }
  for (const name of names) {
    const m = TEMP.exec(name);
    if (!m || Number(m[2]) === process.pid || alive(Number(m[2]))) continue;
    await rm(join(tmpdir(), name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}
