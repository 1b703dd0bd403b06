// The settings infra uses without an infra.json. A plain object, so a run without a config file
// never loads zod; a unit test checks it equals what the schema fills in.
import type { InfraConfig } from "./config.js";

/** The bounds of the numbers a user can set (flags and infra.json alike). */
export const BOUNDS = {
  /** The longest a Node timer waits (2^31-1 ms): a longer timeout would fire at once. */
  timeoutSeconds: 2_147_483,
  /** 1 TiB. */
  memoryMB: 1_048_576,
  jobs: 1024,
  debounceMs: 60_000,
} as const;

export const DEFAULT_CONFIG: InfraConfig = {
  ignore: [],
  hosts: {},
  groups: {},
  meta: {},
  limits: { timeoutSeconds: 300, memoryMB: 4096 },
  layering: [],
  ci: { budget: { timePercent: 25, timeMs: 200, memoryPercent: 20, memoryMB: 64 }, hosts: {}, samples: 3 },
  deploy: { backend: "nixos-rebuild", hosts: {} },
};
