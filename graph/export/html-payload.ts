// The data the HTML exporter embeds and the browser page reads. Types only (plus two names), so
// the browser bundle can share them without pulling in Node code.
import type { SerializedGraph } from "graphology-types";
import type { EdgeAttributes, GraphAttributes, NodeAttributes } from "../infra-graph.js";

/** Node attributes in the page: the graph's, plus a start position and a size for sigma. */
export interface PageNodeAttributes extends NodeAttributes {
  x: number;
  y: number;
  size: number;
}

export interface PagePayload {
  format: "infra-graph/1";
  title: string;
  /** graphology's serialisation (edge keys left out: the page does not need them). */
  graph: SerializedGraph<PageNodeAttributes, EdgeAttributes, GraphAttributes>;
}

/** DOM id of the `<script type="application/json">` holding the payload. */
export const PAYLOAD_ELEMENT_ID = "infra-graph-data";

/**
 * What the page exposes as `window.__infraGraph`, so a test can drive and check it without
 * reading pixels.
 */
export interface PageHooks {
  /** True once the graph has been rendered the first time. */
  ready: boolean;
  /** The selected node's id, or null. */
  selected: string | null;
  /** The selected node and its direct neighbours (both directions), sorted; empty when none. */
  highlighted: string[];
  /** Types `query` into the search box; returns the ids listed in `#results`. */
  search(query: string): string[];
  /** Selects a node (centring the camera on it) or clears the selection with null. */
  select(id: string | null): void;
}
