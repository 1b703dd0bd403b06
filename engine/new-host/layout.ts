// The repository's own layout, learned from what the like host's evaluation read: the files
// named after it (its folder, or its file, and the hardware file beside it) are its own and are
// copied under the new name; the folder they sit in, if the evaluation listed it, is how the
// flake finds its hosts. Nothing is guessed from conventions. Pure.
import { posix } from "node:path";
import { hasWord, renamePath } from "./names.js";

/** One dependency as the engine reports it (paths relative to the repo folder). */
export interface LayoutDependency {
  readonly kind: string;
  readonly path: string;
}

/** One of the like host's own places: a folder named after it, or a file. */
export interface OwnUnit {
  readonly kind: "folder" | "file";
  /** Repo-relative path of the like host's. */
  readonly from: string;
  /** The same place for the new host. */
  readonly to: string;
}

export interface CopyPlan {
  readonly from: string;
  readonly to: string;
}

export interface SkippedFile {
  readonly path: string;
  /** Why it is not copied (a secret, a key). */
  readonly reason: string;
}

export interface Layout {
  readonly units: readonly OwnUnit[];
  readonly copies: readonly CopyPlan[];
  readonly skipped: readonly SkippedFile[];
  /** A unit sits in a folder the like host's evaluation listed (`builtins.readDir ./hosts`). */
  readonly autoDiscovered: boolean;
  /** Files the evaluation read that are not the like host's own (where a listing may be). */
  readonly sharedReads: readonly string[];
}

export interface LayoutInput {
  readonly like: string;
  readonly name: string;
  /** Every other target's configuration name. */
  readonly otherNames: ReadonlySet<string>;
  /** The like host's recorded dependencies. */
  readonly dependencies: readonly LayoutDependency[];
  /** Repo-relative files other targets' recorded evaluations read: a shared file is nobody's own. */
  readonly readByOthers: ReadonlySet<string>;
  /** Tracked files, repo-relative. */
  readonly tracked: readonly string[];
  /** Why a file must not be copied (a secret, a key), or undefined. */
  readonly secretReason: (path: string) => string | undefined;
}

const inRepo = (path: string) => path !== ".." && !path.startsWith("../") && !posix.isAbsolute(path);

/** The like host's own unit a read file belongs to, if any. */
function unitOf(path: string, input: LayoutInput): Omit<OwnUnit, "to"> | undefined {
  const segments = path.split("/");
  const folder = segments.slice(0, -1).indexOf(input.like);
  if (folder >= 0) return { kind: "folder", from: segments.slice(0, folder + 1).join("/") };
  const base = segments[segments.length - 1]!;
  if (posix.basename(path) === "flake.nix" || input.readByOthers.has(path)) return undefined;
  return hasWord(base, input.like, input.otherNames) ? { kind: "file", from: path } : undefined;
}

export function learnLayout(input: LayoutInput): Layout {
  const reads = input.dependencies.filter((d) => d.kind === "file" && inRepo(d.path)).map((d) => d.path);
  const listed = new Set(
    input.dependencies.filter((d) => d.kind === "dir" && inRepo(d.path)).map((d) => d.path),
  );
  const units = new Map<string, OwnUnit>();
  const sharedReads: string[] = [];
  for (const path of reads) {
    const unit = unitOf(path, input);
    if (unit === undefined) sharedReads.push(path);
    else if (!units.has(unit.from))
      units.set(unit.from, { ...unit, to: renamePath(unit.from, input.like, input.name, input.otherNames) });
  }
  const copies: CopyPlan[] = [];
  const skipped: SkippedFile[] = [];
  const seen = new Set<string>();
  for (const unit of units.values()) {
    // A folder brings every tracked file in it (a README the evaluation never read too).
    const files =
      unit.kind === "folder" ? input.tracked.filter((f) => f.startsWith(`${unit.from}/`)) : [unit.from];
    for (const from of files) {
      if (seen.has(from)) continue;
      seen.add(from);
      const reason = input.secretReason(from);
      if (reason !== undefined) skipped.push({ path: from, reason });
      else copies.push({ from, to: renamePath(from, input.like, input.name, input.otherNames) });
    }
  }
  const parentOf = (p: string) => (posix.dirname(p) === "." ? "." : posix.dirname(p));
  const autoDiscovered = [...units.values()].some((u) => listed.has(parentOf(u.from)));
  return { units: [...units.values()], copies, skipped, autoDiscovered, sharedReads };
}

/** What a file is, when it must never be copied; `head` is the start of its text. */
export function secretKind(
  path: string,
  head: string | undefined,
  facts: { hostKeyPath?: string; sopsManaged?: (path: string) => boolean },
): string | undefined {
  const base = posix.basename(path);
  if (path === facts.hostKeyPath) return "the host's public key; the new host gets its own";
  if (base.startsWith("ssh_host_")) return "an SSH host key";
  if (base.endsWith(".age")) return "an age-encrypted secret";
  if (facts.sopsManaged?.(path)) return "a sops file (.sops.yaml has a creation rule for it)";
  if (head !== undefined) {
    if (head.includes("PRIVATE KEY-----")) return "a private key";
    if (head.includes("ENC[AES256_GCM,") || /(^|\n)sops_version=|"sops"\s*:\s*\{|(^|\n)sops:\s*$/m.test(head))
      return "a sops-encrypted file";
    if (head.startsWith("age-encryption.org/") || head.startsWith("-----BEGIN AGE ENCRYPTED FILE-----"))
      return "an age-encrypted secret";
  }
  return undefined;
}
