// Trees of small source-like files for the micro benchmarks.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** Text of about `bytes` bytes that looks like a Nix module, distinct per `seed`. */
export function sourceText(seed: number, bytes: number): string {
  const lines = [`# file ${seed}`, "{ config, lib, pkgs, ... }:", "{"];
  let size = lines.join("\n").length;
  for (let k = 0; size < bytes - 2; k++) {
    const line = `  option${k}.value${seed % 97} = "${(seed * 31 + k * 17).toString(36)}";`;
    lines.push(line);
    size += line.length + 1;
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/** Writes `rels` (relative paths) under `top`, each about `bytes` long. */
export function writeTree(top: string, rels: readonly string[], bytes = 2048): void {
  rels.forEach((rel, i) => {
    const path = join(top, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, sourceText(i, bytes));
  });
}

/**
 * Waits until files written now are older than infra's "racily clean" window (1 s, see
 * cache/file-hashes.ts): younger ones are re-hashed on every look, which is not the steady state.
 */
export async function settle(): Promise<void> {
  await sleep(1100);
}
