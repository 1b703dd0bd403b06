// Limits of what a user can set, shared by the flag parser and the infra.json schema.

/** The bounds of the numbers a user can set (flags and infra.json alike). */
export const BOUNDS = {
  /** The longest a Node timer waits (2^31-1 ms): a longer timeout would fire at once. */
  timeoutSeconds: 2_147_483,
  /** 1 TiB. */
  memoryMB: 1_048_576,
  jobs: 1024,
  debounceMs: 60_000,
} as const;
