import { describe, expect, it } from "vitest";
import { UsageError } from "../../../errors/index.js";
import { buildGraph } from "../../../graph/build.js";
import { focusSubgraph, resolveNode } from "../../../graph/focus.js";
import { readSample, sampleInput } from "./sample.js";

const graph = buildGraph(sampleInput(), { readFile: readSample });
const ids = (g: ReturnType<typeof focusSubgraph>) =>
  g
    .nodes()
    .map((n) => n.id)
    .sort();

describe("resolveNode", () => {
  it("takes ids, host names, paths, input ids and unique path suffixes", () => {
    expect(resolveNode(graph, "host:web1")).toBe("host:web1");
    expect(resolveNode(graph, "web1")).toBe("host:web1");
    expect(resolveNode(graph, "flake-b#alpha")).toBe("host:flake-b#alpha");
    expect(resolveNode(graph, "./roles/web.nix")).toBe("path:roles/web.nix");
    expect(resolveNode(graph, "flake.lock#nixpkgs")).toBe("input:flake.lock#nixpkgs");
    expect(resolveNode(graph, "web.nix")).toBe("path:roles/web.nix");
    expect(resolveNode(graph, "services/nginx.nix")).toBe("path:modules/services/nginx.nix");
  });

  it("says what matched when a name is ambiguous or unknown", () => {
    expect(() => resolveNode(graph, "default.nix")).toThrow(UsageError);
    expect(() => resolveNode(graph, "default.nix")).toThrow(
      /matches several nodes: .*hosts\/web1\/default\.nix/,
    );
    expect(() => resolveNode(graph, "nope.nix")).toThrow(/no host, path or input .* "nope.nix"/);
  });
});

describe("focusSubgraph", () => {
  it("keeps the node alone at depth 0", () => {
    expect(ids(focusSubgraph(graph, "web1", 0))).toEqual(["host:web1"]);
  });

  it("follows edges both ways up to the depth, keeping the edges among the nodes kept", () => {
    const one = focusSubgraph(graph, "roles/web.nix", 1);
    expect(ids(one)).toEqual([
      "host:web1",
      "host:web2",
      "path:hosts/web1/default.nix",
      "path:hosts/web2/default.nix",
      "path:modules/base.nix",
      "path:modules/monitoring/default.nix",
      "path:modules/services/nginx.nix",
      "path:roles/web.nix",
    ]);
    // Edges among kept nodes come along, even those not through the focus node.
    expect(one.edge("host:web1", "path:modules/base.nix")?.kind).toBe("reads");
    expect(one.targets.map((t) => t.name)).toEqual(["web1", "web2"]);
    expect(one.size).toBe(graph.edges().filter((e) => one.hasNode(e.source) && one.hasNode(e.target)).length);
  });

  it("reaches other hosts through shared dependencies at depth 2", () => {
    const two = focusSubgraph(graph, "web1", 2);
    expect(two.hasNode("host:web2")).toBe(true);
    expect(two.hasNode("host:db1")).toBe(true); // through hosts (listing) and modules/base.nix
    expect(two.hasNode("host:macbook")).toBe(false); // never evaluated: no edges
    expect(focusSubgraph(graph, "web1", 1).hasNode("host:web2")).toBe(false);
  });
});
