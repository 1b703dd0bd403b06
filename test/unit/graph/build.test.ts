import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildGraph } from "../../../graph/build.js";
import type { GraphInput } from "../../../graph/types.js";
import { readSample, SAMPLE_FILES, sampleInput } from "./sample.js";

const build = () => buildGraph(sampleInput(), { readFile: readSample });

describe("buildGraph", () => {
  it("makes a host node per target, with the target's attributes", () => {
    const graph = build();
    expect(graph.nodes("host").map((n) => n.id)).toEqual([
      "host:web1",
      "host:web2",
      "host:db1",
      "host:flake-b#alpha",
      "host:macbook",
    ]);
    expect(graph.node("host:web1")).toEqual({
      id: "host:web1",
      kind: "host",
      label: "web1",
      name: "web1",
      targetKind: "nixos",
      flake: ".",
      status: "ok",
      drvPath: "/nix/store/aaaa-nixos-system-web1.drv",
    });
    expect(graph.node("host:db1")).toMatchObject({ status: "failed" });
    expect(graph.node("host:db1")).not.toHaveProperty("drvPath");
    expect(graph.node("host:flake-b#alpha")).toMatchObject({ targetKind: "home", flake: "flake-b" });
    expect(graph.node("host:macbook")).toMatchObject({ status: "unknown", targetKind: "darwin" });
    expect(graph.dependencies("host:macbook")).toEqual([]);
  });

  it("classifies paths: read .nix files are modules, secret files by folder or .age, listings are dirs", () => {
    const graph = build();
    const kind = (path: string) => graph.node(`path:${path}`)?.kind;
    expect(kind("hosts/web1/default.nix")).toBe("module");
    expect(kind("flake.nix")).toBe("module");
    expect(kind("secrets/api-token.age")).toBe("secret-file");
    expect(kind("hosts")).toBe("dir");
    expect(kind("modules/extra")).toBe("dir");
    expect(kind("hosts/web1/hardware.nix/default.nix")).toBe("file");
    expect(kind("flake-b/current")).toBe("file");
  });

  it("draws declared secrets host → secret → file, one node per file and sops key, with each host's verdict", () => {
    const input = sampleInput();
    const [web1, web2, db1] = input.targets;
    web1!.secrets = [
      { name: "api-token", backend: "agenix", file: "secrets/api-token.age", status: "ok" },
      { name: "tls", backend: "sops", file: "secrets/web.yaml", key: "tls/key", status: "ok" },
    ];
    web2!.secrets = [
      { name: "token", backend: "agenix", file: "secrets/api-token.age", status: "not-for-host" },
      { name: "tls-cert", backend: "sops", file: "secrets/web.yaml", key: "tls/cert", status: "missing" },
    ];
    db1!.secrets = [{ name: "pg", backend: "sops", file: "../outside.yaml", key: "pg", status: "invalid" }];
    const graph = buildGraph(input, { readFile: readSample });
    expect(graph.nodes("secret").map((n) => n.id)).toEqual([
      "secret:secrets/api-token.age",
      "secret:secrets/web.yaml#tls/key",
      "secret:secrets/web.yaml#tls/cert",
      "secret:../outside.yaml#pg",
    ]);
    expect(graph.node("secret:secrets/api-token.age")).toMatchObject({
      label: "api-token",
      backend: "agenix",
      path: "secrets/api-token.age",
      secretStatus: "not-for-host",
      checks: "web1 ok, web2 not-for-host",
    });
    expect(graph.node("secret:secrets/web.yaml#tls/key")).toMatchObject({
      secretStatus: "ok",
      secretKey: "tls/key",
    });
    expect(graph.edge("host:web2", "secret:secrets/api-token.age")?.kind).toBe("declares");
    expect(graph.edge("secret:secrets/api-token.age", "path:secrets/api-token.age")?.kind).toBe("stored-in");
    expect(graph.edge("secret:secrets/web.yaml#tls/cert", "path:secrets/web.yaml")?.kind).toBe("stored-in");
    // A file no host read still gets its node, absent when it is not tracked.
    expect(graph.node("path:secrets/web.yaml")).toMatchObject({ kind: "secret-file" });
    expect(graph.node("path:../outside.yaml")).toMatchObject({ exists: false });
  });

  it("marks existence-checked paths as absent unless tracked", () => {
    const graph = build();
    expect(graph.node("path:hosts/web1/hardware.nix/default.nix")?.exists).toBe(false);
    expect(graph.node("path:flake-b/current")?.exists).toBe(false);
    expect(graph.node("path:hosts/web1/default.nix")?.exists).toBe(true);
  });

  it("types edges by what the evaluation did", () => {
    const graph = build();
    expect(graph.edge("host:web1", "path:hosts/web1/default.nix")?.kind).toBe("reads");
    expect(graph.edge("host:web1", "path:secrets/api-token.age")?.kind).toBe("reads");
    expect(graph.edge("host:web1", "path:hosts")?.kind).toBe("lists");
    expect(graph.edge("host:web1", "path:hosts/web1/hardware.nix/default.nix")?.kind).toBe("stats");
    expect(graph.edge("host:flake-b#alpha", "path:flake-b/current")?.kind).toBe("stats");
    expect(graph.edge("host:web1", "input:flake.lock#nixpkgs")?.kind).toBe("uses-input");
    expect(graph.edge("host:web1", "path:roles/web.nix")?.kind).toBe("reads");
  });

  it("makes input nodes per lock entry and leaves out the lock's root", () => {
    const graph = build();
    expect(graph.nodes("input").map((n) => n.id)).toEqual([
      "input:flake.lock#nixpkgs",
      "input:flake-b/flake.lock#nixpkgs",
      "input:flake-b/flake.lock#netlib",
    ]);
    expect(graph.node("input:flake-b/flake.lock#netlib")).toMatchObject({
      flake: "flake-b",
      lockNode: "netlib",
    });
    expect(graph.node("input:flake.lock#nixpkgs")).toMatchObject({ flake: ".", lockNode: "nixpkgs" });
    expect(graph.hasNode("input:flake.lock#root")).toBe(false);
  });

  it("adds imports edges from the static scan, following modules no host read", () => {
    const graph = build();
    const imports = graph.edges("imports").map((e) => `${e.source} -> ${e.target}`);
    expect(imports).toEqual(
      expect.arrayContaining([
        "path:hosts/web1/default.nix -> path:hosts/web1/hardware.nix",
        "path:hosts/web1/default.nix -> path:roles/web.nix",
        "path:roles/web.nix -> path:modules/monitoring/default.nix",
        "path:modules/services/nginx.nix -> path:hosts/web1/hardware.nix",
        "path:flake-b/home.nix -> path:modules/base.nix",
      ]),
    );
    expect(graph.node("path:modules/monitoring/default.nix")).toMatchObject({ kind: "module", exists: true });
    expect(graph.dependents("path:modules/monitoring/default.nix", "reads")).toEqual([]);
    // Tree and git dependencies make no node; the unread, un-imported file is not in the graph.
    expect(graph.hasNode("path:.")).toBe(false);
    expect(graph.hasNode("path:HEAD")).toBe(false);
    expect(graph.hasNode("path:modules/unused.nix")).toBe(false);
  });

  it("makes no imports edges when the scan is off", () => {
    const graph = buildGraph(sampleInput(), { readFile: false });
    expect(graph.edges("imports")).toEqual([]);
    expect(graph.hasNode("path:modules/monitoring/default.nix")).toBe(false);
  });

  it("keeps the strongest edge and the read node when a path is both checked and read", () => {
    const input: GraphInput = {
      repoDir: "/nowhere",
      trackedFiles: ["a.nix"],
      targets: [
        {
          id: "1",
          name: "one",
          kind: "nixos",
          flake: ".",
          status: "ok",
          deps: [
            { kind: "type", path: "./a.nix" },
            { kind: "file", path: "a.nix" },
            { kind: "type", path: "b.nix" },
          ],
        },
        {
          id: "2",
          name: "two",
          kind: "nixos",
          flake: ".",
          status: "ok",
          deps: [{ kind: "file", path: "b.nix" }],
        },
      ],
    };
    const graph = buildGraph(input, { readFile: false });
    expect(graph.edge("host:one", "path:a.nix")?.kind).toBe("reads");
    expect(graph.node("path:a.nix")).toMatchObject({ kind: "module", exists: true });
    expect(graph.edge("host:one", "path:b.nix")?.kind).toBe("stats");
    expect(graph.node("path:b.nix")).toMatchObject({ kind: "module", exists: true });
    expect(graph.size).toBe(3);
  });

  it("reads modules from the repo folder by default", () => {
    const repo = mkdtempSync(join(tmpdir(), "infra-graph-build-"));
    try {
      for (const [path, text] of Object.entries(SAMPLE_FILES)) {
        mkdirSync(dirname(join(repo, path)), { recursive: true });
        writeFileSync(join(repo, path), text);
      }
      const graph = buildGraph({ ...sampleInput(), repoDir: repo });
      expect(graph.edge("path:roles/web.nix", "path:modules/services/nginx.nix")?.kind).toBe("imports");
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
