// The `deploys` sub-database: created by the first deployment recorded, never by a read (a
// repository that never deploys keeps its environment as it was), newest first, cleared with
// the rest, readable from a read-only cache.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkDataFile } from "../../../cache/lmdb-file.js";
import { LmdbStore } from "../../../cache/lmdb-store.js";
import { openLmdbStore } from "../../../cache/open.js";
import { ReadOnlyStore } from "../../../cache/read-only-store.js";
import type { DeployRecord } from "../../../cache/records.js";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const record = (at: number, outcome: DeployRecord["outcome"] = "deployed"): DeployRecord => ({
  at,
  target: "web1",
  host: "web1",
  backend: "ssh",
  goal: "switch",
  storePath: `/nix/store/${"a".repeat(32)}-nixos-system-web1`,
  previous: null,
  running: `/nix/store/${"a".repeat(32)}-nixos-system-web1`,
  outcome,
  rolledBack: false,
  durationMs: 12,
  error: null,
});

describe("deployment records", () => {
  it("are kept per target, newest first, in a sub-database the first record creates", async () => {
    const dir = mkdtempSync(join(tmpdir(), "infra-deploys-"));
    dirs.push(dir);
    const store = openLmdbStore(dir);
    expect(store.deploys("t1", 5)).toEqual([]);
    store.putMeta("k", 1);
    await store.flush();
    expect(checkDataFile(join(dir, "v1", "data.mdb")).databases).not.toContain("deploys");
    store.appendDeploy("t1", record(1));
    store.appendDeploy("t1", record(3, "up-to-date"));
    store.appendDeploy("t2", record(2, "failed"));
    await store.close();

    const again = openLmdbStore(dir);
    expect(again.deploys("t1", 5).map((r) => [r.at, r.outcome])).toEqual([
      [3, "up-to-date"],
      [1, "deployed"],
    ]);
    expect(again.deploys("t1", 1)).toHaveLength(1);
    expect(again.deploys("t2", 5)[0]?.outcome).toBe("failed");
    again.clear();
    expect(again.deploys("t1", 5)).toEqual([]);
    await again.close();
  });

  it("are read from a cache opened read-only, with or without the sub-database, and kept in memory there", async () => {
    for (const withRecords of [true, false]) {
      const dir = mkdtempSync(join(tmpdir(), "infra-deploys-ro-"));
      dirs.push(dir);
      const store = openLmdbStore(dir);
      if (withRecords) store.appendDeploy("t1", record(1));
      store.putMeta("k", 1);
      await store.close();
      const path = join(dir, "v1");
      const readOnly = new ReadOnlyStore(path, "a test says so", new LmdbStore(path, { readOnly: true }));
      expect(readOnly.deploys("t1", 5).map((r) => r.at)).toEqual(withRecords ? [1] : []);
      readOnly.appendDeploy("t1", record(5));
      expect(readOnly.deploys("t1", 5).map((r) => r.at)).toEqual(withRecords ? [5, 1] : [5]);
      await readOnly.close();
      // Nothing reached the disk.
      const reopened = openLmdbStore(dir);
      expect(reopened.deploys("t1", 5).map((r) => r.at)).toEqual(withRecords ? [1] : []);
      await reopened.close();
    }
  });
});
