// The side panel: legend, search results and the selected node's details. Text goes in through
// textContent only: labels are file names from the repo, never markup.
import type Graph from "graphology";
import { NODE_KINDS, NODE_STYLE, type NodeKind } from "../../kinds.js";
import type { PageNodeAttributes } from "../html-payload.js";

type PageGraph = Graph<PageNodeAttributes>;

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  className?: string,
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (text !== undefined) el.textContent = text;
  if (className !== undefined) el.className = className;
  return el;
}

function swatch(kind: NodeKind): HTMLSpanElement {
  const dot = element("span", undefined, "swatch");
  dot.style.background = NODE_STYLE[kind].colour;
  return dot;
}

/** One clickable list item per node: `li[data-node=<id>]`. */
function nodeItem(graph: PageGraph, id: string): HTMLLIElement {
  const attributes = graph.getNodeAttributes(id);
  const li = element("li");
  li.dataset.node = id;
  li.title = `${attributes.kind}: ${id}`;
  li.append(swatch(attributes.kind), document.createTextNode(attributes.label));
  return li;
}

export function renderLegend(container: HTMLElement, graph: PageGraph): void {
  const counts = new Map<NodeKind, number>();
  graph.forEachNode((_id, attributes) => counts.set(attributes.kind, (counts.get(attributes.kind) ?? 0) + 1));
  container.replaceChildren(element("h3", "Legend"));
  for (const kind of Object.values(NODE_KINDS)) {
    const row = element("div");
    row.dataset.kind = kind;
    row.append(swatch(kind), document.createTextNode(`${kind} (${counts.get(kind) ?? 0})`));
    container.append(row);
  }
}

export function renderResults(list: HTMLElement, graph: PageGraph, ids: readonly string[]): void {
  list.replaceChildren(...ids.map((id) => nodeItem(graph, id)));
}

/** What each node field is called in the panel, in display order. */
const FIELDS = [
  ["kind", "Kind"],
  ["name", "Name"],
  ["path", "Path"],
  ["targetKind", "Target kind"],
  ["flake", "Flake"],
  ["status", "Status"],
  ["drvPath", "drvPath"],
  ["deployedPath", "Deployed"],
  ["deployedAt", "Deployed at"],
  ["deployedCurrent", "Deployed is current"],
  ["lockNode", "Lock node"],
  ["backend", "Backend"],
  ["secretKey", "sops key"],
  ["secretStatus", "Secret check"],
  ["checks", "Per host"],
  ["exists", "Exists"],
] as const;

export function renderDetails(container: HTMLElement, graph: PageGraph, id: string | null): void {
  if (id === null) {
    container.replaceChildren(element("p", "Click a node or search for one.", "hint"));
    return;
  }
  const attributes = graph.getNodeAttributes(id);
  const fields = element("dl");
  for (const [field, title] of FIELDS) {
    const value = attributes[field];
    if (value === undefined) continue;
    fields.append(element("dt", title), element("dd", String(value)));
  }
  const dependencies = graph.outNeighbors(id).sort();
  const dependents = graph.inNeighbors(id).sort();
  fields.append(
    element("dt", "Dependencies"),
    element("dd", String(dependencies.length)),
    element("dt", "Dependents"),
    element("dd", String(dependents.length)),
  );
  const heading = element("h2");
  heading.append(swatch(attributes.kind), document.createTextNode(attributes.label));
  container.replaceChildren(heading, fields);
  for (const [title, ids] of [
    ["Depends on", dependencies],
    ["Depended on by", dependents],
  ] as const) {
    if (ids.length === 0) continue;
    const list = element("ul");
    list.className = "neighbours";
    list.append(...ids.map((neighbour) => nodeItem(graph, neighbour)));
    container.append(element("h3", `${title} (${ids.length})`), list);
  }
}
