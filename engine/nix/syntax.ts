// Building bits of Nix syntax from untrusted text (target names, attribute paths). Pure.

/**
 * A Nix string literal for any text: escapes `\`, `"` and `${` (interpolation) and control
 * characters, so a target name can never become Nix code.
 */
export function nixString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "\\" || ch === '"') out += `\\${ch}`;
    else if (ch === "$" && text[i + 1] === "{") out += "\\$";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else out += ch;
  }
  return `${out}"`;
}

/** `a."b.c".d`: an attribute path for a flake output fragment (`nix eval <flake>#<path>`). */
export function attrPathFragment(path: string[]): string {
  return path.map((name) => (/^[A-Za-z_][A-Za-z0-9_'-]*$/.test(name) ? name : nixString(name))).join(".");
}

/** Selects `path` from the Nix expression `base` with quoted names: `base.${"a"}.${"b"}`. */
export function selectExpr(base: string, path: string[]): string {
  return path.reduce((expr, name) => `${expr}.\${${nixString(name)}}`, base);
}
