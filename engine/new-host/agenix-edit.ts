// agenix's secrets.nix: the new host's key as a binding beside the like host's
// (`db1 = "ssh-ed25519 …";` → `db3 = "ssh-ed25519 …";` on the next line), and the new binding
// in every list that names the like host's (`[ db1 db2 ]` → `[ db1 db3 db2 ]`), so each rule
// that lists the like host lists the new one. A key written inline in a list gets the new key
// beside it. Edits are token-exact: comments, strings and layout stay as they were. Pure.
import { ConfigError } from "../../errors/index.js";
import type { FileEdit } from "./listing.js";
import { isNixIdentifier } from "./names.js";
import { enclosingBracket, lineOf, lineStarts, type NixToken, scanNix, stringContent } from "./nix-scan.js";

export interface AgenixEditInput {
  /** Repo-relative path of secrets.nix. */
  readonly file: string;
  readonly text: string;
  readonly like: string;
  readonly name: string;
  /** The like host's public key, as `type base64 [comment]`. */
  readonly likeKey: string;
  /** The new host's public key line. */
  readonly newKey: string;
}

export interface AgenixEdit extends FileEdit {
  /** The binding added (undefined when the key was only written inline). */
  readonly binding?: string;
  /** 1-based lines (of the old text) of the lists the new host was added to. */
  readonly listLines: readonly number[];
}

function refuse(file: string, line: number, message: string): never {
  throw new ConfigError(`${file}:${line}: ${message}`, {
    code: "E_NEW_HOST_AGENIX",
    hints: ["Add the new host's key to secrets.nix by hand (or fix the line above), then run it again."],
  });
}

const fieldsOf = (key: string) => key.trim().split(/\s+/);

/** The like host's key in the new host's spelling: same fields, the new key, a comment if it had one. */
function spelled(likeString: string, newKey: string): string {
  const [type, base64, ...comment] = fieldsOf(newKey);
  return fieldsOf(likeString).length > 2 && comment.length > 0
    ? `${type} ${base64} ${comment.join(" ")}`
    : `${type} ${base64}`;
}

/** The edit, or undefined when secrets.nix does not hold the like host's key at all. */
export function planAgenixEdit(input: AgenixEditInput): AgenixEdit | undefined {
  const { text, file } = input;
  const tokens = scanNix(text);
  const starts = lineStarts(text);
  const likeBase64 = fieldsOf(input.likeKey)[1];
  const isLikeKey = (t: NixToken) => t.kind === "string" && fieldsOf(stringContent(t))[1] === likeBase64;
  const keyAt = tokens.flatMap((t, i) => (isLikeKey(t) ? [i] : []));
  if (likeBase64 === undefined || keyAt.length === 0) return undefined;

  const inserts: { at: number; text: string }[] = [];
  const listLines: number[] = [];
  const bound = new Set(
    tokens.filter((t, i) => t.kind === "ident" && tokens[i + 1]?.text === "=").map((t) => t.text),
  );
  let binding: string | undefined;
  for (const i of keyAt) {
    const key = tokens[i]!;
    const line = lineOf(starts, key.start);
    const ident = tokens[i - 2];
    if (ident?.kind === "ident" && tokens[i - 1]?.text === "=" && tokens[i + 1]?.text === ";") {
      if (binding !== undefined) refuse(file, line, `${input.like}'s key is bound twice`);
      if (lineOf(starts, ident.start) !== line)
        refuse(file, line, `the binding of ${ident.text} spans lines`);
      binding = ident.text.includes(input.like) ? ident.text.replace(input.like, input.name) : input.name;
      if (!isNixIdentifier(binding)) refuse(file, line, `'${binding}' cannot be a Nix binding`);
      if (bound.has(binding)) refuse(file, line, `secrets.nix already binds ${binding}`);
      const lineStart = starts[line - 1]!;
      const lineEnd = line < starts.length ? starts[line]! - 1 : text.length;
      // The binding up to its `;`: a comment after it is about the like host.
      const copy =
        text.slice(lineStart, ident.start) +
        binding +
        text.slice(ident.end, key.start) +
        `"${spelled(stringContent(key), input.newKey)}"` +
        text.slice(key.end, tokens[i + 1]!.end);
      inserts.push({ at: lineEnd, text: `\n${copy}` });
      for (const [j, t] of tokens.entries()) {
        const isReference =
          t.kind === "ident" &&
          t.text === ident.text &&
          j !== i - 2 &&
          tokens[j - 1]?.text !== "." &&
          tokens[j + 1]?.text !== "=";
        if (isReference && enclosingBracket(tokens, j) === "[") {
          inserts.push({ at: t.end, text: ` ${binding}` });
          listLines.push(lineOf(starts, t.start));
        }
      }
    } else if (enclosingBracket(tokens, i) === "[") {
      // Written inline in a list: the new key beside it.
      inserts.push({ at: key.end, text: ` "${spelled(stringContent(key), input.newKey)}"` });
      listLines.push(line);
    }
  }
  if (inserts.length === 0) return undefined;
  let after = text;
  for (const insert of [...inserts].sort((a, b) => b.at - a.at)) {
    after = after.slice(0, insert.at) + insert.text + after.slice(insert.at);
  }
  return { file, before: text, after, ...(binding ? { binding } : {}), listLines };
}
