// A cheap, deterministic starting layout; the page refines it with ForceAtlas2 in the browser
// (running ForceAtlas2 here would blow the < 1 s export budget on large fleets).
import type { InfraGraph } from "../infra-graph.js";

const RING_RADIUS = { input: 40, host: 100, other: 220 } as const;

/**
 * Hosts on one ring, inputs on a small inner ring, every path on an outer ring in path order (so
 * the files of a folder start next to each other).
 */
export function initialLayout(graph: InfraGraph): Map<string, { x: number; y: number }> {
  const rings: Record<keyof typeof RING_RADIUS, { id: string; sortKey: string }[]> = {
    input: [],
    host: [],
    other: [],
  };
  for (const node of graph.nodes()) {
    const ring = node.kind === "host" ? "host" : node.kind === "input" ? "input" : "other";
    rings[ring].push({ id: node.id, sortKey: node.path ?? node.label });
  }
  const positions = new Map<string, { x: number; y: number }>();
  for (const [ring, members] of Object.entries(rings) as [keyof typeof RING_RADIUS, typeof rings.host][]) {
    members.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    const radius = RING_RADIUS[ring];
    members.forEach((member, index) => {
      const angle = (2 * Math.PI * index) / Math.max(1, members.length);
      positions.set(member.id, { x: radius * Math.cos(angle), y: radius * Math.sin(angle) });
    });
  }
  return positions;
}
