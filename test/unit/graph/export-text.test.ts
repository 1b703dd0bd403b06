import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { DirectedGraph } from "graphology";
import { describe, expect, it } from "vitest";
import { buildGraph } from "../../../graph/build.js";
import { quote, toDot } from "../../../graph/export/dot.js";
import { JSON_FORMAT, toJson } from "../../../graph/export/json.js";
import { escapeLabel, toMermaid } from "../../../graph/export/mermaid.js";
import { awkwardInput, readSample } from "./sample.js";

const graph = buildGraph(awkwardInput(), { readFile: readSample });
const DOT = "/usr/bin/dot";

describe("toDot", () => {
  it("quotes ids and labels, escaping quotes and backslashes", () => {
    expect(quote('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
    const dot = toDot(graph);
    expect(dot.startsWith("digraph infra {\n")).toBe(true);
    expect(dot).toContain('"host:we\\"b\\\\1 & <co>" [label="we\\"b\\\\1 & <co>", shape=box');
    expect(dot).toContain('"path:hosts/web1/hardware.nix/default.nix" [');
    expect(dot).toMatch(/"host:db1" \[label="db1 \(failed\)"/);
  });

  it("renders with Graphviz: one SVG node per node, one edge per edge", ({ skip }) => {
    skip(!existsSync(DOT), `Graphviz not found at ${DOT}: the DOT output was not rendered`);
    const svg = execFileSync(DOT, ["-Tsvg"], { input: toDot(graph), encoding: "utf8" });
    expect(svg).toContain("<svg");
    expect(svg.match(/class="node"/g)).toHaveLength(graph.order);
    expect(svg.match(/class="edge"/g)).toHaveLength(graph.size);
    expect(svg).toContain("we&quot;b\\1 &amp; &lt;co&gt;");
  });
});

describe("toMermaid", () => {
  const mermaid = toMermaid(graph);
  const lines = mermaid.trimEnd().split("\n");
  const nodeLine = /^ {2}n\d+\["[^"]*"\]:::(host|module|file|dir|secret|secret_file|input)$/;
  const edgeLine =
    /^ {2}n\d+ (-->|==>|-\.->)\|(reads|lists|stats|uses-input|imports|declares|stored-in)\| n\d+$/;

  it("is a graph LR with one line per node and per edge", () => {
    expect(lines[0]).toBe("graph LR");
    expect(lines.filter((l) => nodeLine.test(l))).toHaveLength(graph.order);
    expect(lines.filter((l) => edgeLine.test(l))).toHaveLength(graph.size);
    const classDefs = lines.filter((l) => l.startsWith("  classDef "));
    expect(classDefs).toHaveLength(7);
    expect(lines).toHaveLength(1 + classDefs.length + graph.order + graph.size);
  });

  it("escapes labels so no quote, #, < or > reaches Mermaid raw", () => {
    expect(escapeLabel('a"b#c<d>e`f')).toBe("a#quot;b#35;c#lt;d#gt;e#96;f");
    for (const line of lines.filter((l) => nodeLine.test(l))) {
      const label = line.slice(line.indexOf('["') + 2, line.lastIndexOf('"]'));
      expect(label).not.toMatch(/["<>`]/);
      expect(label.replace(/#(quot|lt|gt|\d+);/g, "")).not.toContain("#");
    }
    expect(mermaid).toContain('["we#quot;b\\1 & #lt;co#gt;"]:::host');
  });

  it("can leave edge labels out", () => {
    expect(toMermaid(graph, { edgeLabels: false })).toMatch(/^ {2}n\d+ --> n\d+$/m);
  });
});

describe("toJson", () => {
  it("round-trips through graphology with the same nodes, edges and attributes", () => {
    const parsed = JSON.parse(toJson(graph, { indent: 2 }));
    expect(parsed.format).toBe(JSON_FORMAT);
    const copy = DirectedGraph.from(parsed);
    expect(copy.type).toBe("directed");
    expect(copy.multi).toBe(false);
    expect(copy.order).toBe(graph.order);
    expect(copy.size).toBe(graph.size);
    for (const node of graph.nodes()) {
      const { id, ...attributes } = node;
      expect(copy.getNodeAttributes(id)).toEqual(attributes);
    }
    for (const edge of graph.edges()) {
      expect(copy.source(edge.id)).toBe(edge.source);
      expect(copy.target(edge.id)).toBe(edge.target);
      expect(copy.getEdgeAttributes(edge.id)).toEqual({ kind: edge.kind });
    }
  });

  it("is compact by default and has graphology's top-level shape", () => {
    const text = toJson(graph);
    expect(text).not.toContain("\n");
    expect(Object.keys(JSON.parse(text))).toEqual(["format", "options", "attributes", "nodes", "edges"]);
  });
});
