import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DirectedGraph } from "graphology";
import { describe, expect, it } from "vitest";
import { InternalError } from "../../../errors/index.js";
import { buildGraph } from "../../../graph/build.js";
import { loadHtmlClient, toHtml } from "../../../graph/export/html.js";
import { PAYLOAD_ELEMENT_ID, type PagePayload } from "../../../graph/export/html-payload.js";
import { awkwardInput, readSample } from "./sample.js";

const graph = buildGraph(awkwardInput(), { readFile: readSample });
const CLIENT = "window.clientRan = '</script>';";

function payloadOf(html: string): PagePayload {
  const open = `<script type="application/json" id="${PAYLOAD_ELEMENT_ID}">`;
  const start = html.indexOf(open) + open.length;
  return JSON.parse(html.slice(start, html.indexOf("</script>", start))) as PagePayload;
}

describe("toHtml", () => {
  const html = toHtml(graph, { title: 'fleet <&> "graph"', clientScript: CLIENT });

  it("is one document that forbids network access", () => {
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain(`content="default-src 'none'; script-src 'unsafe-inline'`);
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
    expect(html).toContain("<title>fleet &lt;&amp;&gt; &quot;graph&quot;</title>");
    for (const id of ["search", "results", "details", "legend", "graph"])
      expect(html).toContain(`id="${id}"`);
  });

  it("inlines the client without letting it close its script element", () => {
    expect(html).toContain("<script>window.clientRan = '<\\/script>';</script>");
  });

  it("embeds the graph with start positions and sizes, loadable by graphology", () => {
    const payload = payloadOf(html);
    expect(payload.format).toBe("infra-graph/1");
    const copy = DirectedGraph.from(payload.graph);
    expect(copy.order).toBe(graph.order);
    expect(copy.size).toBe(graph.size);
    expect(copy.getNodeAttributes("host:web1")).toMatchObject({ kind: "host", label: "web1", size: 7 });
    copy.forEachNode((_id, attributes) => {
      expect(Number.isFinite(attributes.x) && Number.isFinite(attributes.y)).toBe(true);
    });
    // "<" never appears raw inside the data, so a label cannot end the element early.
    const open = html.indexOf(`id="${PAYLOAD_ELEMENT_ID}">`);
    const data = html.slice(open, html.indexOf("</script>", open));
    expect(data.slice(data.indexOf(">") + 1)).not.toContain("<");
    expect(copy.getNodeAttribute('host:we"b\\1 & <co>', "label")).toBe('we"b\\1 & <co>');
  });

  it("places nodes deterministically", () => {
    const again = toHtml(buildGraph(awkwardInput(), { readFile: readSample }), {
      title: 'fleet <&> "graph"',
      clientScript: CLIENT,
    });
    expect(again).toBe(html);
  });
});

describe("loadHtmlClient", () => {
  const built = fileURLToPath(new URL("../../../dist/graph/export/html-client.js", import.meta.url));

  it("returns the bundle the build made, or says to build", () => {
    if (existsSync(built)) expect(loadHtmlClient().length).toBeGreaterThan(1000);
    else expect(() => loadHtmlClient()).toThrow(InternalError);
  });
});
