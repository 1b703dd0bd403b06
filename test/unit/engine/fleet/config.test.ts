import { describe, expect, it } from "vitest";
import { configSchema, parseConfig } from "../../../../engine/fleet/config.js";
import { DEFAULT_CONFIG } from "../../../../engine/fleet/config-defaults.js";

describe("parseConfig", () => {
  it("fills the same defaults as a run without infra.json", () => {
    expect(parseConfig("{}")).toEqual({ config: DEFAULT_CONFIG, errors: [], warnings: [] });
    expect(DEFAULT_CONFIG.limits).toEqual({ timeoutSeconds: 300, memoryMB: 4096 });
  });

  it("names the path and line of a wrong value", () => {
    const text = '{\n  "hosts": {\n    "web": { "tags": [3] }\n  }\n}\n';
    const { errors } = parseConfig(text);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ path: "hosts.web.tags[0]", line: 3 });
    expect(errors[0]!.message).toMatch(/expected string/);
  });

  it("names unknown settings", () => {
    const { errors } = parseConfig('{\n  "limits": { "timeout": 5 }\n}');
    expect(errors[0]).toMatchObject({ path: "limits", line: 2, message: "unknown setting 'timeout'" });
  });

  it("reports broken JSON with its line", () => {
    const { errors, config } = parseConfig('{\n  "ignore": ["a",]\n}');
    expect(config).toBeUndefined();
    expect(errors[0]).toMatchObject({ path: "", line: 2 });
    expect(errors[0]!.message).toMatch(/invalid JSON/);
  });

  it("accepts a full example", () => {
    const config = configSchema.parse({
      ignore: ["vendor"],
      groups: { prod: ["web1"] },
      meta: { hostName: "config.networking.hostName" },
      layering: [{ from: "programs/**", mustNotImport: "machines/**" }],
      ci: { budget: { timePercent: 10 }, hosts: { web1: { memoryMB: 100 } } },
    });
    expect(config.layering[0]!.mustNotImport).toBe("machines/**");
  });
});

describe("the published JSON schema", () => {
  it("is up to date with the zod schema (regenerate with npm run schema)", async () => {
    const { readFileSync } = await import("node:fs");
    const { configJsonSchema } = await import("../../../../engine/fleet/config.js");
    const published = JSON.parse(
      readFileSync(new URL("../../../../schema/infra.schema.json", import.meta.url), "utf8"),
    );
    const { $id: _id, title: _title, ...rest } = published;
    expect(rest).toEqual(JSON.parse(JSON.stringify(configJsonSchema())));
  });
});
