// `@group` and `@tag` on the deploy command line, and the limiter the pipeline runs under.
import { describe, expect, it } from "vitest";
import { limiter } from "../../../../engine/deploy/limit.js";
import { expandAtNames } from "../../../../engine/deploy/select.js";

describe("expandAtNames", () => {
  const groups = { web: ["web1", "web2"] };
  const tags = new Map([
    ["db", ["db1", "db2"]],
    ["web", ["web3"]],
  ]);
  it("expands groups and tags, keeps plain names, drops repeats", () => {
    expect(expandAtNames(["@web", "db1", "@db"], groups, tags)).toEqual([
      "web1",
      "web2",
      "web3",
      "db1",
      "db2",
    ]);
    expect(expandAtNames(["web"], groups, tags)).toEqual(["web"]);
  });
  it("names what exists when a group or tag does not", () => {
    expect(() => expandAtNames(["@nope"], groups, tags)).toThrow(/no group or tag named 'nope'/);
  });
});

describe("limiter", () => {
  it("never runs more than n at once, and runs everything", async () => {
    const limit = limiter(2);
    let running = 0;
    let most = 0;
    const done = await Promise.all(
      Array.from({ length: 9 }, (_, i) =>
        limit(async () => {
          running++;
          most = Math.max(most, running);
          await new Promise((r) => setTimeout(r, 5 + (i % 3)));
          running--;
          return i;
        }),
      ),
    );
    expect(most).toBe(2);
    expect(done).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
