import { describe, expect, it } from "vitest";
import { evaluatorKey, repoCacheName, targetKey, traceId } from "../../../cache/key.js";

const evaluator = {
  nixVersion: "2.8.0",
  system: "x86_64-linux",
  loaderHash: "h",
  infraVersion: "0.1.0",
  options: [],
};

describe("cache keys", () => {
  it("change with every part of the evaluator's identity", () => {
    const base = evaluatorKey(evaluator);
    for (const change of [
      { nixVersion: "2.9.0" },
      { system: "aarch64-linux" },
      { loaderHash: "g" },
      { infraVersion: "0.2.0" },
      { options: ["x"] },
    ]) {
      expect(evaluatorKey({ ...evaluator, ...change })).not.toBe(base);
    }
    expect(evaluatorKey({ ...evaluator })).toBe(base);
  });

  it("identify targets by flake, attribute path and recorded metadata", () => {
    const t = { want: "value" as const, flakeRel: "", attrPath: ["a"], meta: {} };
    expect(targetKey(t)).toBe(targetKey({ ...t }));
    expect(targetKey({ ...t, flakeRel: "sub" })).not.toBe(targetKey(t));
    expect(targetKey({ ...t, meta: { h: ["x"] } })).not.toBe(targetKey(t));
    expect(targetKey({ ...t, want: "list" })).not.toBe(targetKey(t));
  });

  it("name a trace by its fingerprints", () => {
    const deps = [{ kind: "file", key: "a", fp: "1" }];
    expect(traceId("e", deps)).toBe(traceId("e", [...deps]));
    expect(traceId("e", [{ ...deps[0]!, fp: "2" }])).not.toBe(traceId("e", deps));
  });

  it("name a repository's folder readably and uniquely", () => {
    expect(repoCacheName("/home/me/my fleet")).toMatch(/^my_fleet-[0-9a-f]{12}$/);
    expect(repoCacheName("/a/fleet")).not.toBe(repoCacheName("/b/fleet"));
  });
});
