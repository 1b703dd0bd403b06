// infra.json from the repo folder, if there is one: defaults without it (zod is not even
// loaded), every problem with its line otherwise.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../errors/index.js";
import type { InfraConfig } from "./config.js";
import { DEFAULT_CONFIG } from "./config-defaults.js";

export async function loadConfig(repoDir: string): Promise<InfraConfig> {
  const file = join(repoDir, "infra.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return DEFAULT_CONFIG;
  }
  const { parseConfig } = await import("./config.js");
  const parsed = parseConfig(text);
  if (parsed.config) return parsed.config;
  const lines = parsed.errors.map(
    (e) => `${file}:${e.line}:${e.column}: ${e.path ? `${e.path}: ` : ""}${e.message}`,
  );
  throw new ConfigError(`infra.json is not valid:\n${lines.join("\n")}`, {
    hints: ["Fix the settings named above; the schema is in schema/infra.schema.json."],
  });
}
