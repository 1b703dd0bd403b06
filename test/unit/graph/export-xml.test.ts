import { XMLParser, XMLValidator } from "fast-xml-parser";
import { DirectedGraph } from "graphology";
import { parse as parseGexf } from "graphology-gexf";
import { parse as parseGraphml } from "graphology-graphml";
import { describe, expect, it } from "vitest";
import { buildGraph } from "../../../graph/build.js";
import { toGexf } from "../../../graph/export/gexf.js";
import { toGraphml } from "../../../graph/export/graphml.js";
import { awkwardInput, readSample } from "./sample.js";

const graph = buildGraph(awkwardInput(), { readFile: readSample });
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
});

/** The elements named `name` anywhere under `tree`. */
function elements(tree: unknown, name: string): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === "object") {
      for (const [key, child] of Object.entries(value)) {
        if (key === name && Array.isArray(child)) found.push(...(child as Record<string, unknown>[]));
        walk(child);
      }
    }
  };
  walk(tree);
  return found;
}

describe("toGraphml", () => {
  const xml = toGraphml(graph);

  it("is valid XML with a key per attribute and one element per node and edge", () => {
    expect(XMLValidator.validate(xml)).toBe(true);
    const tree = parser.parse(xml);
    expect(elements(tree, "node")).toHaveLength(graph.order);
    expect(elements(tree, "edge")).toHaveLength(graph.size);
    const keys = elements(tree, "key").map((k) => `${k["@_for"]}:${k["@_attr.name"]}`);
    expect(keys).toEqual(
      expect.arrayContaining(["node:kind", "node:label", "node:path", "node:status", "edge:kind"]),
    );
    expect(elements(tree, "graph")[0]?.["@_edgedefault"]).toBe("directed");
  });

  it("parses back with graphology-graphml: same nodes, edges and attributes", () => {
    const copy = parseGraphml(DirectedGraph, xml);
    expect(copy.order).toBe(graph.order);
    expect(copy.size).toBe(graph.size);
    expect(copy.getNodeAttributes('host:we"b\\1 & <co>')).toMatchObject({
      kind: "host",
      label: 'we"b\\1 & <co>',
    });
    expect(copy.getNodeAttributes("host:web1")).toMatchObject({
      kind: "host",
      status: "ok",
      targetKind: "nixos",
    });
    expect(copy.getNodeAttribute("path:hosts/web1/hardware.nix/default.nix", "exists")).toBe(false);
    expect(copy.getNodeAttribute("path:odd dir/ünïcødé <x> & y.conf", "kind")).toBe("file");
    const kinds = new Set(copy.mapEdges((_edge, attributes) => attributes.kind));
    expect(kinds).toEqual(new Set(["reads", "lists", "stats", "uses-input", "imports"]));
  });
});

describe("toGexf", () => {
  const xml = toGexf(graph);

  it("is valid XML with one element per node and edge", () => {
    expect(XMLValidator.validate(xml)).toBe(true);
    const tree = parser.parse(xml);
    expect(elements(tree, "node")).toHaveLength(graph.order);
    expect(elements(tree, "edge")).toHaveLength(graph.size);
    expect(xml).toContain("viz:color");
  });

  it("parses back with graphology-gexf: same nodes, edges and kinds", () => {
    const copy = parseGexf(DirectedGraph, xml);
    expect(copy.order).toBe(graph.order);
    expect(copy.size).toBe(graph.size);
    expect(copy.getNodeAttribute("host:web1", "kind")).toBe("host");
    expect(copy.getNodeAttribute("host:web1", "label")).toBe("web1");
    expect(copy.getNodeAttribute('input:flake.lock#nix"pkgs', "lockNode")).toBe('nix"pkgs');
  });
});
