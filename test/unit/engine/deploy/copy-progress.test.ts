// Bytes copied, from Nix's machine-readable log (`--log-format internal-json`).
import { describe, expect, it } from "vitest";
import { CopyProgress } from "../../../../engine/deploy/copy.js";

describe("CopyProgress", () => {
  it("sums the bytes done and expected of every path being copied, and keeps Nix's errors", () => {
    const progress = new CopyProgress();
    const lines = [
      '@nix {"action":"start","id":1,"level":3,"text":"copying 2 paths","type":103}',
      '@nix {"action":"start","fields":["/nix/store/a-x","local","ssh://h"],"id":2,"level":3,"text":"copying path","type":100}',
      '@nix {"action":"result","fields":[512,2048],"id":2,"type":105}',
      '@nix {"action":"start","fields":["/nix/store/b-y","local","ssh://h"],"id":3,"level":3,"text":"copying path","type":100}',
      '@nix {"action":"result","fields":[100,1000],"id":3,"type":105}',
      '@nix {"action":"result","fields":[1,2,0,0],"id":1,"type":105}',
      '@nix {"action":"msg","level":0,"msg":"\\u001b[31;1merror:\\u001b[0m cannot add path"}',
    ];
    const changed = lines.map((l) => progress.line(l));
    expect(changed).toEqual([false, false, true, false, true, false, false]);
    expect(progress.bytes).toEqual({ done: 612, expected: 3048 });
    expect(progress.messages).toEqual(["error: cannot add path"]);
    expect(progress.line("not json at all")).toBe(false);
  });
});
