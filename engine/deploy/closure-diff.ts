// What changes between two closures, package by package, as `nix store diff-closures` reports
// it: paths grouped by package name (the store name up to the first `-` that is not followed by
// a letter, as Nix's DrvName splits it, outputs such as `-dev` folded in), each name's versions
// and summed NAR size on both sides. Pure.
import type { PackageChange } from "./types.js";

export interface ClosurePath {
  path: string;
  /** NAR size in bytes. */
  size: number;
}

// Output names Nix gives derivation outputs besides `out`; `foo-1.2-dev` is package `foo`.
const OUTPUT = /-(dev|bin|lib|man|doc|info|debug|devdoc|static|out|lib32|lib64)$/;

/** `/nix/store/<hash>-name-1.2-dev` → `{ name: "name", version: "1.2" }`. */
export function splitStoreName(path: string): { name: string; version: string } {
  const base = path.slice(path.lastIndexOf("/") + 1);
  let name = base.slice(base.indexOf("-") + 1);
  // A trailing output name is stripped only when something versioned or named is left.
  const output = OUTPUT.exec(name);
  if (output && output.index > 0) name = name.slice(0, output.index);
  for (let i = 0; i + 1 < name.length; i++) {
    if (name[i] === "-" && !/[A-Za-z]/.test(name[i + 1]!))
      return { name: name.slice(0, i), version: name.slice(i + 1) };
  }
  return { name, version: "" };
}

interface Group {
  versions: Set<string>;
  size: number;
}

function group(closure: ClosurePath[]): Map<string, Group> {
  const out = new Map<string, Group>();
  for (const { path, size } of closure) {
    const { name, version } = splitStoreName(path);
    const g = out.get(name) ?? { versions: new Set<string>(), size: 0 };
    g.versions.add(version);
    g.size += size;
    out.set(name, g);
  }
  return out;
}

/** Size changes below this, with the same versions, are noise (diff-closures' own threshold). */
export const SIZE_THRESHOLD = 8 * 1024;

export interface ClosureDiff {
  packages: PackageChange[];
  sizeBefore: number;
  sizeAfter: number;
  sizeDelta: number;
}

const total = (closure: ClosurePath[]) => closure.reduce((sum, p) => sum + p.size, 0);

export function diffClosures(before: ClosurePath[], after: ClosurePath[]): ClosureDiff {
  const a = group(before);
  const b = group(after);
  const packages: PackageChange[] = [];
  for (const name of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const was = a.get(name);
    const now = b.get(name);
    const beforeVersions = [...(was?.versions ?? [])].sort();
    const afterVersions = [...(now?.versions ?? [])].sort();
    const sizeDelta = (now?.size ?? 0) - (was?.size ?? 0);
    const sameVersions =
      was !== undefined &&
      now !== undefined &&
      beforeVersions.length === afterVersions.length &&
      beforeVersions.every((v, i) => v === afterVersions[i]);
    if (sameVersions && Math.abs(sizeDelta) < SIZE_THRESHOLD) continue;
    packages.push({ name, before: beforeVersions, after: afterVersions, sizeDelta });
  }
  const sizeBefore = total(before);
  const sizeAfter = total(after);
  return { packages, sizeBefore, sizeAfter, sizeDelta: sizeAfter - sizeBefore };
}
