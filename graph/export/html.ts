// A self-contained interactive page (sigma.js over graphology): the graph data and the bundled
// browser code are inlined, and a Content-Security-Policy forbids any network access.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { InternalError } from "../../errors/index.js";
import { graphologyOf, type InfraGraph } from "../infra-graph.js";
import { htmlText, jsonText } from "./escape.js";
import { PAYLOAD_ELEMENT_ID, type PagePayload } from "./html-payload.js";
import { initialLayout } from "./layout.js";

export interface HtmlOptions {
  /** The page title; "infra graph" by default. */
  title?: string;
  /** The bundled browser code; read from the build output by default (see `loadHtmlClient`). */
  clientScript?: string;
}

// Built by scripts/build-client.mjs next to this module's compiled form; when this module runs
// from its TypeScript source (tests), the build output lives under dist/.
const CLIENT_LOCATIONS = ["./html-client.js", "../../dist/graph/export/html-client.js"] as const;

/** The browser bundle's text. Throws when it was not built. */
export function loadHtmlClient(): string {
  for (const location of CLIENT_LOCATIONS) {
    try {
      return readFileSync(fileURLToPath(new URL(location, import.meta.url)), "utf8");
    } catch {
      // try the next place
    }
  }
  throw new InternalError("the graph page's browser code (html-client.js) is missing", {
    hints: ["Run `npm run build`: it bundles graph/export/html-client/ into dist/graph/export/."],
  });
}

/** One HTML document showing `graph`; opens from disk with no network. */
export function toHtml(graph: InfraGraph, options: HtmlOptions = {}): string {
  const title = options.title ?? "infra graph";
  const client = options.clientScript ?? loadHtmlClient();
  const payload: PagePayload = { format: "infra-graph/1", title, graph: pageGraph(graph) };
  // `<` escaped as \u003c: the JSON can then never close its <script> element early (jsonText
  // escapes what a terminal printing the page could obey).
  const data = jsonText(payload).replace(/</g, "\\u003c");
  const script = client.replace(/<\/script/gi, "<\\/script");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:">
<title>${htmlText(title)}</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<aside id="sidebar">
<h1>${htmlText(title)}</h1>
<input id="search" type="search" placeholder="Find a host, module or path…" autocomplete="off" aria-label="Search">
<ul id="results" aria-label="Matches"></ul>
<section id="details" aria-live="polite"><p class="hint">Click a node or search for one.</p></section>
<section id="legend" aria-label="Legend"></section>
<p id="status"></p>
</aside>
<main id="graph"></main>
<script type="application/json" id="${PAYLOAD_ELEMENT_ID}">${data}</script>
<script>${script}</script>
</body>
</html>
`;
}

function pageGraph(graph: InfraGraph): PagePayload["graph"] {
  const inner = graphologyOf(graph);
  const positions = initialLayout(graph);
  const nodes: PagePayload["graph"]["nodes"] = [];
  inner.forEachNode((key, attributes) => {
    const { x, y } = positions.get(key)!;
    // Hosts stand out; other nodes grow with the number of their dependents.
    const size = attributes.kind === "host" ? 7 : 2 + Math.min(8, Math.sqrt(inner.inDegree(key)));
    nodes.push({ key, attributes: { ...attributes, x, y, size } });
  });
  const edges: PagePayload["graph"]["edges"] = [];
  inner.forEachEdge((_key, attributes, source, target) => {
    edges.push({ source, target, attributes });
  });
  return {
    options: { type: inner.type, multi: inner.multi, allowSelfLoops: inner.allowSelfLoops },
    attributes: inner.getAttributes(),
    nodes,
    edges,
  };
}

const PAGE_CSS = `
*{box-sizing:border-box}
html,body{margin:0;height:100%;font:13px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222}
body{display:flex}
#sidebar{width:340px;min-width:340px;height:100%;overflow:auto;padding:12px;border-right:1px solid #ddd;background:#fafafa}
#sidebar h1{font-size:16px;margin:0 0 8px}
#graph{flex:1;height:100%;position:relative}
#search{width:100%;padding:6px 8px;border:1px solid #bbb;border-radius:4px;font:inherit}
#results{list-style:none;margin:4px 0;padding:0;max-height:220px;overflow:auto}
#results li,#details li{padding:3px 6px;cursor:pointer;border-radius:3px;word-break:break-all}
#results li:hover,#details li:hover{background:#e8eefc}
.swatch{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px;vertical-align:middle}
#details{margin:10px 0;padding:8px;border:1px solid #ddd;border-radius:4px;background:#fff}
#details h2{font-size:15px;margin:0 0 6px;word-break:break-all}
#details dl{display:grid;grid-template-columns:auto 1fr;gap:2px 8px;margin:0 0 6px}
#details dt{color:#666}
#details dd{margin:0;word-break:break-all}
#details h3{font-size:13px;margin:8px 0 2px}
#details ul{list-style:none;margin:0;padding:0;max-height:200px;overflow:auto}
.hint,#status{color:#777}
#legend div{margin:2px 0}
`;
