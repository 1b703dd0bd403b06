import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkLayering, orphans, topModules } from "../../../graph/analyze.js";
import { buildGraph } from "../../../graph/build.js";
import type { GraphInput } from "../../../graph/types.js";
import { readSample, sampleInput } from "./sample.js";

describe("topModules", () => {
  it("ranks modules by the hosts that read them, ties by path", () => {
    const graph = buildGraph(sampleInput(), { readFile: readSample });
    expect(topModules(graph, 4)).toEqual([
      { id: "path:modules/base.nix", path: "modules/base.nix", hosts: 4 },
      { id: "path:flake.nix", path: "flake.nix", hosts: 3 },
      { id: "path:modules/services/nginx.nix", path: "modules/services/nginx.nix", hosts: 2 },
      { id: "path:roles/web.nix", path: "roles/web.nix", hosts: 2 },
    ]);
  });

  it("counts direct reads only (a module imported by no read module has no hosts)", () => {
    const graph = buildGraph(sampleInput(), { readFile: readSample });
    const all = topModules(graph, 100);
    expect(all.find((m) => m.path === "modules/monitoring/default.nix")?.hosts).toBe(0);
    expect(all).toHaveLength(graph.nodes("module").length);
    expect(topModules(graph, 0)).toEqual([]);
  });
});

describe("orphans", () => {
  it("lists tracked .nix files no target read, leaving out flake.nix files", () => {
    expect(orphans(sampleInput())).toEqual(["modules/monitoring/default.nix", "modules/unused.nix"]);
  });
});

describe("checkLayering", () => {
  const rules = [
    { from: "modules/**", mustNotImport: "hosts/**", description: "shared modules stay host-agnostic" },
    { from: "hosts/**", mustNotImport: "secrets/**" },
  ];

  it("names each import edge that breaks a rule", () => {
    const graph = buildGraph(sampleInput(), { readFile: readSample });
    expect(checkLayering(graph, rules)).toEqual([
      { rule: rules[0], from: "modules/services/nginx.nix", to: "hosts/web1/hardware.nix" },
    ]);
    expect(checkLayering(graph, [{ from: "hosts/**", mustNotImport: "roles/**" }])).toEqual([
      {
        rule: { from: "hosts/**", mustNotImport: "roles/**" },
        from: "hosts/web1/default.nix",
        to: "roles/web.nix",
      },
      {
        rule: { from: "hosts/**", mustNotImport: "roles/**" },
        from: "hosts/web2/default.nix",
        to: "roles/web.nix",
      },
    ]);
  });

  it("finds the violation in the layering fixture from its files on disk", () => {
    const repoDir = fileURLToPath(new URL("../../fixtures/layering", import.meta.url));
    const read = (path: string) => ({ kind: "file" as const, path });
    const input: GraphInput = {
      repoDir,
      trackedFiles: [],
      targets: [
        {
          id: "a",
          name: "alpha",
          kind: "nixos",
          flake: ".",
          status: "ok",
          deps: ["machines/alpha.nix", "machines/shared.nix", "programs/editor.nix"].map(read),
        },
        {
          id: "b",
          name: "beta",
          kind: "nixos",
          flake: ".",
          status: "ok",
          deps: ["machines/beta.nix", "machines/shared.nix", "programs/shell.nix"].map(read),
        },
      ],
    };
    const rule = { from: "programs/**", mustNotImport: "machines/**" };
    expect(checkLayering(buildGraph(input), [rule])).toEqual([
      { rule, from: "programs/editor.nix", to: "machines/shared.nix" },
    ]);
  });
});
