// `infra new host` as a library: what the CLI (and tests) call. Kept beside the engine rather
// than on it: it drives an Engine through its public functions only.

export { validateHostName } from "./names.js";
export { newHost } from "./new-host.js";
export type { NewHostOptions, NewHostReport, RekeyStep, SecretNote, SkippedNote } from "./types.js";
