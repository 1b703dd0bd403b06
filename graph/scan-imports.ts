// A static scan for the modules a .nix file imports, for the picture only: which hosts a change
// affects always comes from the recorded reads, never from this scan.
import { posix } from "node:path";
import { lexNix, TOKEN, type Token } from "./nix-lexer.js";
import { normalizePath } from "./paths.js";

/**
 * The repo-relative paths of the modules named by path literals in the `imports = …;` bindings
 * of `text`, the content of the file at `filePath` (repo-relative), in order of appearance and
 * each once.
 *
 * Every literal path up to the binding's `;` counts, so `[ ./a.nix ] ++ lib.optional x ./b.nix`
 * gives both. A path without a `.nix` suffix names a folder and resolves to its `default.nix`
 * (this scan has no file system to ask). Paths Nix resolves elsewhere (`<nixpkgs/…>`, `~/…`,
 * absolute ones) and paths with `${…}` in them are left out, as is the file itself (`./.`).
 */
export function scanImports(text: string, filePath: string): string[] {
  const tokens = lexNix(text);
  const found = new Set<string>();
  const folder = posix.dirname(filePath);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.type !== TOKEN.ident || token.value !== "imports") continue;
    const next = tokens[i + 1];
    if (next?.type !== TOKEN.punct || next.value !== "=") continue;
    for (const literal of pathsInBinding(tokens, i + 2)) {
      if (literal.startsWith("/")) continue; // outside the repo: not a module of this fleet
      const resolved = resolveImport(folder, literal);
      if (resolved !== normalizePath(filePath)) found.add(resolved);
    }
  }
  return [...found];
}

/** Path literals of the expression starting at `start`, up to the `;` that ends the binding. */
function pathsInBinding(tokens: readonly Token[], start: number): string[] {
  const paths: string[] = [];
  let depth = 0;
  // `let … in` and `with e;` / `assert e;` hold semicolons of their own before the binding's.
  let openLets = 0;
  let pendingSemicolons = 0;
  for (let j = start; j < tokens.length; j++) {
    const { type, value } = tokens[j]!;
    if (type === TOKEN.path) {
      paths.push(value);
    } else if (type === TOKEN.punct) {
      if (value === "(" || value === "[" || value === "{") depth++;
      else if (value === ")" || value === "]" || value === "}") {
        depth--;
        if (depth < 0) break; // the enclosing set ended: a syntax error; stop quietly
      } else if (value === ";" && depth === 0) {
        if (openLets > 0) continue;
        if (pendingSemicolons > 0) pendingSemicolons--;
        else break;
      }
    } else if (type === TOKEN.ident && depth === 0) {
      if (value === "let") openLets++;
      else if (value === "in" && openLets > 0) openLets--;
      else if (value === "with" || value === "assert") pendingSemicolons++;
    }
  }
  return paths;
}

/** Nix resolves a relative path literal against the folder of the file that spells it. */
function resolveImport(folder: string, literal: string): string {
  const resolved = normalizePath(posix.join(folder, literal));
  return resolved.endsWith(".nix") ? resolved : `${resolved === "." ? "" : `${resolved}/`}default.nix`;
}
