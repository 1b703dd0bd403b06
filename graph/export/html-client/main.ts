// The graph page's browser code, bundled by scripts/build-client.mjs and inlined by ../html.ts.
// It reads the embedded graph, refines the exporter's rough layout with a time-boxed ForceAtlas2,
// renders it with sigma, and wires search, selection and the side panel.
import Graph from "graphology";
import forceAtlas2 from "graphology-layout-forceatlas2";
import Sigma from "sigma";
import type { EdgeDisplayData, NodeDisplayData } from "sigma/types";
import type { EdgeAttributes, GraphAttributes } from "../../infra-graph.js";
import { EDGE_STYLE, NODE_STYLE } from "../../kinds.js";
import {
  PAYLOAD_ELEMENT_ID,
  type PageHooks,
  type PageNodeAttributes,
  type PagePayload,
} from "../html-payload.js";
import { renderDetails, renderLegend, renderResults } from "./panel.js";
import { searchNodes } from "./search.js";

declare global {
  interface Window {
    __infraGraph?: PageHooks;
  }
}

type PageGraph = Graph<PageNodeAttributes, EdgeAttributes, GraphAttributes>;

const DIMMED_NODE = "#e4e4e4";
// The layout runs before the first render: animating it would re-render every edge per step,
// which software WebGL cannot keep up with on a 1,000-host fleet. It runs in chunks so the page
// can show progress, and stops after an iteration count that suits the graph's size or after this
// long, whichever comes first (so small graphs always get the same picture).
const LAYOUT_BUDGET_MS = 2500;
const LAYOUT_CHUNK_MS = 60;

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the page has no #${id}`);
  return el as T;
}

function start(): void {
  const payload = JSON.parse(byId(PAYLOAD_ELEMENT_ID).textContent ?? "{}") as PagePayload;
  const graph: PageGraph = Graph.from(payload.graph);
  const status = byId("status");
  renderLegend(byId("legend"), graph);
  const hooks: PageHooks = {
    ready: false,
    selected: null,
    highlighted: [],
    search: () => [],
    select: () => undefined,
  };
  window.__infraGraph = hooks;
  runLayout(graph, status, () => {
    render(graph, hooks);
    status.textContent = `${graph.order} nodes, ${graph.size} edges`;
  });
}

function render(graph: PageGraph, hooks: PageHooks): void {
  const search = byId<HTMLInputElement>("search");
  const results = byId("results");
  const details = byId("details");
  let highlighted = new Set<string>();

  // The constructor renders once, synchronously.
  const renderer = new Sigma(graph, byId("graph"), {
    defaultEdgeType: "arrow",
    zIndex: true,
    labelRenderedSizeThreshold: 8,
    nodeReducer: (node, data): Partial<NodeDisplayData> => {
      const shown: Partial<NodeDisplayData> = { ...data, color: NODE_STYLE[data.kind].colour };
      if (hooks.selected === null) return shown;
      if (!highlighted.has(node)) return { ...shown, color: DIMMED_NODE, label: "", zIndex: 0 };
      return { ...shown, forceLabel: true, zIndex: 1, highlighted: node === hooks.selected };
    },
    edgeReducer: (edge, data): Partial<EdgeDisplayData> => {
      const shown: Partial<EdgeDisplayData> = { ...data, color: EDGE_STYLE[data.kind].colour, size: 0.5 };
      if (hooks.selected === null) return shown;
      const touches = graph.source(edge) === hooks.selected || graph.target(edge) === hooks.selected;
      return touches ? { ...shown, size: 1.5, zIndex: 1 } : { ...shown, hidden: true };
    },
  });

  function showResults(): string[] {
    const ids = searchNodes(graph, search.value);
    renderResults(results, graph, ids);
    return ids;
  }

  function select(id: string | null): void {
    const next = id !== null && graph.hasNode(id) ? id : null;
    hooks.selected = next;
    highlighted = next === null ? new Set() : new Set([next, ...graph.neighbors(next)]);
    hooks.highlighted = [...highlighted].sort();
    renderDetails(details, graph, next);
    for (const li of results.querySelectorAll<HTMLLIElement>("li[data-node]")) {
      li.setAttribute("aria-selected", String(li.dataset.node === next));
    }
    // Reducer output changed for (nearly) every node: re-run them all; positions did not move.
    renderer.refresh({ skipIndexation: true });
    if (next !== null) {
      const shown = renderer.getNodeDisplayData(next);
      if (shown !== undefined) {
        // Zoom in on large graphs only; never zoom out of a closer view the user chose.
        const camera = renderer.getCamera();
        const ratio = Math.min(camera.getState().ratio, graph.order > 300 ? 0.3 : 1);
        void camera.animate({ x: shown.x, y: shown.y, ratio }, { duration: 400 });
      }
    }
  }

  const pick = (event: Event): void => {
    const item = (event.target as Element | null)?.closest<HTMLElement>("li[data-node]");
    if (item?.dataset.node !== undefined) select(item.dataset.node);
  };
  search.addEventListener("input", () => void showResults());
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") select(showResults()[0] ?? null);
    else if (event.key === "Escape") select(null);
  });
  results.addEventListener("click", pick);
  details.addEventListener("click", pick);
  renderer.on("clickNode", ({ node }) => select(node));
  renderer.on("clickStage", () => select(null));

  hooks.search = (query) => {
    search.value = query;
    return showResults();
  };
  hooks.select = select;
  hooks.ready = true;
}

function runLayout(graph: PageGraph, status: HTMLElement, done: () => void): void {
  const total = graph.order <= 500 ? 300 : graph.order <= 3000 ? 120 : 60;
  // forceAtlas2.assign copies the graph into typed arrays on every call: not one call per iteration.
  const perCall = graph.order <= 500 ? 50 : graph.order <= 3000 ? 10 : 2;
  const settings = { ...forceAtlas2.inferSettings(graph), barnesHutOptimize: graph.order > 500 };
  const deadline = performance.now() + LAYOUT_BUDGET_MS;
  let iterations = 0;
  const step = (): void => {
    const chunkEnd = Math.min(deadline, performance.now() + LAYOUT_CHUNK_MS);
    while (iterations < total && graph.size > 0 && performance.now() < chunkEnd) {
      const count = Math.min(perCall, total - iterations);
      forceAtlas2.assign(graph, { iterations: count, settings });
      iterations += count;
    }
    if (iterations >= total || graph.size === 0 || performance.now() >= deadline) {
      done();
      return;
    }
    status.textContent = `Laying out ${graph.order} nodes… ${Math.round((100 * iterations) / total)}%`;
    setTimeout(step, 0);
  };
  status.textContent = `Laying out ${graph.order} nodes…`;
  setTimeout(step, 0);
}

start();
