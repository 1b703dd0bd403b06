// Finding Nix's tools on PATH without starting anything (the thin client uses this too, so it
// imports nothing else).
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Finds an executable on PATH without spawning anything. */
export function which(program: string, path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {}
  }
  return undefined;
}

/** The binary's identity, cheap to check: a changed binary means a new evaluator. */
export function nixBinaryStamp(path = process.env.PATH ?? ""): string | undefined {
  const bin = which("nix-instantiate", path);
  if (bin === undefined) return undefined;
  const st = statSync(bin);
  return `${bin}:${st.size}:${st.mtimeMs}`;
}
