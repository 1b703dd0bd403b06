// The secrets contract check, for the engine and the CLI: summarize the declared files
// (readDeclaredFiles, the only I/O), then checkSecrets (pure). Everything else is exported
// for tests and for callers that already hold summaries.
export {
  AGE_HEADER_LIMIT,
  type AgeFileSummary,
  type AgeHeader,
  type AgeStanza,
  parseAgeHeader,
} from "./age.js";
export { checkSecrets } from "./check.js";
export { identifyKey, type KeyIdentity } from "./keyring.js";
export { normalizeRepoPath } from "./paths.js";
export {
  type ReadDeclaredOptions,
  type ReadSecretOptions,
  readDeclaredFiles,
  readSecretFile,
} from "./read-header.js";
export {
  lookupSopsKey,
  parseSopsFile,
  type SopsFileSummary,
  type SopsFormat,
  type SopsKeyEntry,
  sopsFormatForPath,
} from "./sops.js";
export { findCreationRule, parseSopsConfig, type SopsConfig, type SopsCreationRule } from "./sops-config.js";
export {
  ageSshTag,
  normalizeAgeRecipient,
  parseSshPublicKey,
  requireSshPublicKey,
  type SshPublicKey,
  sshToAgeRecipient,
} from "./ssh-keys.js";
export type {
  AgenixRules,
  HostKey,
  InvalidProblem,
  RefusedProblem,
  SecretBackend,
  SecretCheckInput,
  SecretCheckReport,
  SecretDeclaration,
  SecretFileFacts,
  SecretResult,
  SecretStatus,
  SecretWarning,
} from "./types.js";
export { SECRET_STATUSES } from "./types.js";
