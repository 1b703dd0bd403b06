// Closure diffs as `nix store diff-closures` reports them: per package name, versions and size.
import { describe, expect, it } from "vitest";
import { diffClosures, splitStoreName } from "../../../../engine/deploy/closure-diff.js";

const p = (name: string, size: number) => ({ path: `/nix/store/${"a".repeat(32)}-${name}`, size });

describe("splitStoreName", () => {
  it("splits at the first dash not followed by a letter, as Nix's DrvName does", () => {
    expect(splitStoreName("/nix/store/abc-openssh-9.6p1")).toEqual({ name: "openssh", version: "9.6p1" });
    expect(splitStoreName("/nix/store/abc-nixos-system-web1")).toEqual({
      name: "nixos-system-web1",
      version: "",
    });
    expect(splitStoreName("/nix/store/abc-python3.11-requests-2.31.0")).toEqual({
      name: "python3.11-requests",
      version: "2.31.0",
    });
    expect(splitStoreName("/nix/store/abc-glibc-2.38-44-dev")).toEqual({ name: "glibc", version: "2.38-44" });
    expect(splitStoreName("/nix/store/abc-etc")).toEqual({ name: "etc", version: "" });
  });
});

describe("diffClosures", () => {
  it("reports changed, added and removed packages with their size change, and the closure sizes", () => {
    const before = [
      p("linux-6.1.0", 100_000),
      p("nginx-1.24.0", 50_000),
      p("openssh-9.6p1", 30_000),
      p("gone-1.0", 20_000),
    ];
    const after = [
      p("linux-6.6.1", 120_000),
      p("nginx-1.24.0", 50_000),
      p("openssh-9.6p1", 30_000),
      p("redis-7.2.4", 40_000),
    ];
    expect(diffClosures(before, after)).toEqual({
      packages: [
        { name: "gone", before: ["1.0"], after: [], sizeDelta: -20_000 },
        { name: "linux", before: ["6.1.0"], after: ["6.6.1"], sizeDelta: 20_000 },
        { name: "redis", before: [], after: ["7.2.4"], sizeDelta: 40_000 },
      ],
      sizeBefore: 200_000,
      sizeAfter: 240_000,
      sizeDelta: 40_000,
    });
  });

  it("leaves out size changes below 8 KiB of the same versions, keeps larger ones", () => {
    const { packages } = diffClosures([p("etc", 1000), p("sw", 10_000)], [p("etc", 1500), p("sw", 30_000)]);
    expect(packages).toEqual([{ name: "sw", before: [""], after: [""], sizeDelta: 20_000 }]);
  });
});
