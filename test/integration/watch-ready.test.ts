// `ready` keeps its promise: a save made the moment it is printed is seen, even on a cold cache,
// where the folders a target depends on are only known after its first evaluation.
import { afterAll, describe, expect, it } from "vitest";
import { nixEvalDrv } from "../helpers/nix.js";
import { fixtures } from "../helpers/repo.js";
import { WatchSession } from "../helpers/watch.js";

const made = fixtures();
afterAll(() => made.cleanup());

const ROUNDS = 20;

describe("infra watch's ready line", () => {
  it(`sees an edit written as soon as ready arrives, on a cold cache (${ROUNDS} times)`, async () => {
    const repo = made.make("examples/fleet");
    for (let round = 1; round <= ROUNDS; round++) {
      // A new cache each round: nothing is known before the first evaluation.
      const cacheDir = `${repo.dir}.cache-${round}`;
      const session = new WatchSession(["web1", "--repo", repo.dir, "--cache-dir", cacheDir, "--no-serve"]);
      try {
        await session.next((l) => l.type === "ready", "ready");
        repo.append("hosts/web1/hardware.nix", `\n# round ${round}\n`);
        const change = await session.next((l) => l.type === "change", `round ${round}: the change`);
        expect(change.paths, `round ${round}`).toContain("hosts/web1/hardware.nix");
        const result = await session.next(
          (l) => l.type === "result" && l.name === "web1",
          `round ${round}: web1`,
        );
        expect(result.status, `round ${round}`).toBe("evaluated");
        expect(result.drvPath, `round ${round}`).toBe(nixEvalDrv(repo.dir, result.attr).drvPath);
      } finally {
        await session.stop("SIGINT");
      }
    }
  }, 600_000);
});
