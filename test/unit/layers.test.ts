// The layers hold: cli → engine → {cache, graph} → errors, nothing imports upwards or sideways
// between cache and graph, there are no import cycles, worker threads never reach the cache, and
// graphology and lmdb stay inside graph/ and cache/. Read from the sources' import statements.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/repo.js";

const LAYERS = { errors: 0, cache: 1, graph: 1, engine: 2, cli: 3 } as const;
type Layer = keyof typeof LAYERS;

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const rel = join(dir, name);
    if (statSync(join(ROOT, rel)).isDirectory()) {
      // The graph page's browser code is bundled on its own (it may only use graph/kinds.ts).
      if (rel !== join("graph", "export", "html-client")) out.push(...sources(rel));
    } else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(rel);
  }
  return out;
}

const FILES = Object.keys(LAYERS).flatMap((layer) => sources(layer));
const SPEC =
  /(?:^|\n)\s*(import|export)\s+(type\s+)?[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function importsOf(file: string): Import[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const out: Import[] = [];
  for (const m of text.matchAll(SPEC)) {
    const spec = m[3] ?? m[4]!;
    const typeOnly = m[2] !== undefined;
    if (!spec.startsWith(".")) {
      out.push({ from: file, to: spec, typeOnly });
      continue;
    }
    const target = relative(ROOT, resolve(ROOT, dirname(file), spec)).replace(/\.js$/, ".ts");
    out.push({ from: file, to: target, typeOnly });
  }
  return out;
}

const IMPORTS = FILES.flatMap(importsOf);
const layerOf = (file: string): Layer | undefined => {
  const top = file.split("/")[0];
  return top !== undefined && top in LAYERS ? (top as Layer) : undefined;
};

describe("the layers", () => {
  it("finds the sources and their imports", () => {
    expect(FILES.length).toBeGreaterThan(60);
    expect(IMPORTS.length).toBeGreaterThan(200);
  });

  it("never import upwards, nor between cache and graph", () => {
    const bad = IMPORTS.filter((i) => {
      const from = layerOf(i.from)!;
      const to = layerOf(i.to);
      if (to === undefined || to === from) return false;
      return LAYERS[to] >= LAYERS[from];
    }).map((i) => `${i.from} imports ${i.to}`);
    expect(bad).toEqual([]);
  });

  it("errors/ imports nothing of infra's", () => {
    expect(IMPORTS.filter((i) => i.from.startsWith("errors/") && !i.to.startsWith("node:"))).toEqual([]);
  });

  it("have no import cycles", () => {
    const edges = new Map<string, string[]>();
    for (const i of IMPORTS)
      if (FILES.includes(i.to)) edges.set(i.from, [...(edges.get(i.from) ?? []), i.to]);
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (file: string) => {
      state.set(file, "open");
      stack.push(file);
      for (const next of edges.get(file) ?? []) {
        if (state.get(next) === "open") cycles.push([...stack.slice(stack.indexOf(next)), next].join(" → "));
        else if (!state.has(next)) visit(next);
      }
      stack.pop();
      state.set(file, "done");
    };
    for (const file of FILES) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });

  it("keep worker threads away from the cache and the main thread's run loop", () => {
    const bad = IMPORTS.filter(
      (i) =>
        i.from.startsWith("engine/worker/") &&
        (/^cache\/(store|lmdb-store|open)\.ts$/.test(i.to) ||
          i.to.startsWith("engine/run/") ||
          i.to === "lmdb"),
    ).map((i) => `${i.from} imports ${i.to}`);
    expect(bad).toEqual([]);
  });

  it("keep the code that spawns Nix in engine/nix/", () => {
    const spawners = FILES.filter((f) =>
      /\bnix-instantiate\b|execa\(/.test(readFileSync(join(ROOT, f), "utf8")),
    );
    expect(spawners.filter((f) => !f.startsWith("engine/nix/"))).toEqual([]);
  });

  it("keep graphology inside graph/ and lmdb inside cache/", () => {
    const bad = IMPORTS.filter(
      (i) =>
        (i.to.startsWith("graphology") && !i.from.startsWith("graph/")) ||
        (i.to === "lmdb" && !i.from.startsWith("cache/")),
    ).map((i) => `${i.from} imports ${i.to}`);
    expect(bad).toEqual([]);
  });
});
