// Writes schema/infra.schema.json from the zod schema in engine/fleet/config.ts (run after a build).
import { writeFileSync } from "node:fs";
import { configJsonSchema } from "../dist/engine/fleet/config.js";

const schema = {
  $id: "https://infra.invalid/schema/infra.schema.json",
  title: "infra.json",
  ...configJsonSchema(),
};
writeFileSync(
  new URL("../schema/infra.schema.json", import.meta.url),
  `${JSON.stringify(schema, null, 2)}\n`,
);
