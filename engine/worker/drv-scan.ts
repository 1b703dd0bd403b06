// Finds whether a derivation's build-time closure mentions a string (a working-tree path that
// `toString ./.` leaked, which `nix eval` would have spelled as a store path).
import { readFileSync } from "node:fs";

const DRV_REF = /\/nix\/store\/[0-9a-z]{32}-[^"\\]+?\.drv/g;

/**
 * Walks `.drv` files from `drvPath` through their input derivations. Derivations are immutable,
 * so `clean` remembers those known not to mention `needle` across calls.
 */
export function drvClosureMentions(drvPath: string, needle: string, clean: Set<string>): boolean {
  const queue = [drvPath];
  const visited = new Set<string>();
  while (queue.length > 0) {
    const drv = queue.pop()!;
    if (visited.has(drv) || clean.has(drv)) continue;
    visited.add(drv);
    let text: string;
    try {
      text = readFileSync(drv, "latin1");
    } catch {
      continue;
    }
    if (text.includes(needle)) return true;
    for (const match of text.matchAll(DRV_REF)) if (match[0] !== drv) queue.push(match[0]);
  }
  for (const drv of visited) clean.add(drv);
  return false;
}
