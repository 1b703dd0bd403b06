// The deploy view: on a terminal each target's step, with bytes while copying; off a terminal,
// plain lines.
import { describe, expect, it } from "vitest";
import { formatBytes } from "../../../../cli/render/deploy.js";
import { createDeployProgress } from "../../../../cli/render/deploy-progress.js";
import type { Out } from "../../../../cli/render/terminal.js";
import type { DeployStatus, EngineEvent } from "../../../../engine/index.js";

function out(isTTY: boolean): Out & { text: () => string } {
  let text = "";
  return {
    isTTY,
    color: false,
    esc: "<ESC>",
    write: (t) => {
      text += t;
    },
    json: () => {},
    file: () => {},
    text: () => text,
  };
}

const result = (name: string, status: DeployStatus): EngineEvent => ({
  type: "deploy-result",
  result: {
    name,
    host: name,
    status,
    current: null,
    next: null,
    goal: "switch",
    backend: "ssh",
    durationMs: 1,
    error: null,
    rolledBack: false,
  },
});

describe("the deploy progress view", () => {
  it("shows each target's step and the bytes copied on a terminal", () => {
    const stream = out(true);
    const view = createDeployProgress(stream);
    view.handle({ type: "deploy-step", name: "web1", step: "building" });
    view.handle({
      type: "deploy-step",
      name: "web2",
      step: "copying",
      bytes: { done: 1536, expected: 3 * 1024 * 1024 },
    });
    expect(stream.text()).toMatch(/web1 building/);
    expect(stream.text()).toMatch(/web2 copying 1\.5 KiB \/ 3\.0 MiB/);
    view.handle(result("web1", "deployed"));
    view.stop();
    expect(stream.text()).toMatch(/✓ web1 deployed/);
  });

  it("prints one plain line per step and per target elsewhere", () => {
    const stream = out(false);
    const view = createDeployProgress(stream);
    view.handle({ type: "deploy-step", name: "web1", step: "asking" });
    view.handle({ type: "deploy-step", name: "web1", step: "copying", bytes: { done: 1, expected: 2 } });
    view.handle({ type: "deploy-step", name: "web1", step: "copying", bytes: { done: 2, expected: 2 } });
    view.handle(result("web1", "up-to-date"));
    view.stop();
    expect(stream.text()).toBe("web1 asking\nweb1 copying\n· web1 up-to-date\n");
  });

  it("formats sizes", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1024 * 1024 * 5.25)).toBe("5.3 MiB");
  });
});
