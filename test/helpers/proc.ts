// Processes, read from /proc (slim images have no `ps`).
import { readdirSync, readFileSync } from "node:fs";

/** Command lines (arguments joined by spaces) of the live processes whose command line includes `text`. */
export function processesWith(text: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    const args = cmdline.split("\0").filter(Boolean).join(" ");
    if (args.includes(text)) found.push(args);
  }
  return found;
}

/** Resolves once `test()` holds, checking each event-loop turn up to `deadlineMs` (then rejects). */
export async function until(test: () => boolean, what: string, deadlineMs = 30_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
