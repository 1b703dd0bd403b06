// The contract of the secrets check. Every input is a declaration or a *summary*: no type here
// has a field that could hold a file's content or a decrypted value. Summaries are made by the
// header parsers (age.ts, sops.ts) from at most 64 KiB and keep key names, recipients, tags
// and lines only, so the check cannot leak a secret because it never receives one.
import type { AgeFileSummary } from "./age.js";
import type { SopsFileSummary, SopsFormat } from "./sops.js";
import type { SopsConfig } from "./sops-config.js";

export type SecretBackend = "sops" | "agenix";

/** One `sops.secrets.<name>` or `age.secrets.<name>` of one host, as evaluated. */
export interface SecretDeclaration {
  /** The target (host) that declares it. */
  readonly host: string;
  /** The attribute name under sops.secrets / age.secrets. */
  readonly name: string;
  /** sops-nix or agenix. */
  readonly backend: SecretBackend;
  /** The encrypted file, relative to the repository root, `/`-separated. */
  readonly file: string;
  /** sops only: sops-nix's `key` (nested keys joined by `/`; "" means the whole file). */
  readonly key?: string;
  /** sops only: sops-nix's `format` (its default is yaml, whatever the extension). */
  readonly format?: SopsFormat;
  /** The owner, when declared. */
  readonly owner?: string;
  /** The octal mode, when declared (e.g. "0400"). */
  readonly mode?: string;
}

/** Why a file was not read. */
export type RefusedProblem =
  /** The path is absolute or climbs out of the repository with `..`. */
  | "outside-repo"
  /** The path, or a folder on the way, is a symlink that resolves outside the repository. */
  | "symlink-outside-repo"
  /** A folder, FIFO, device or socket. */
  | "not-a-regular-file";

/** What infra knows about one repository file, from read-header.ts (plus git). */
export type SecretFileFacts =
  | {
      /** The normalized repo-relative path. */
      readonly path: string;
      /** Nothing at that path. */
      readonly state: "missing";
      /** Whether git tracks the path (undefined: unknown). */
      readonly tracked?: boolean;
      /** The path is a symlink whose target does not exist. */
      readonly danglingSymlink?: boolean;
    }
  | {
      /** The path as asked (or normalized). */
      readonly path: string;
      /** infra would not open it. */
      readonly state: "refused";
      /** Why it was refused. */
      readonly problem: RefusedProblem;
      /** Whether git tracks the path. */
      readonly tracked?: boolean;
    }
  | {
      /** The normalized repo-relative path. */
      readonly path: string;
      /** Opened and summarized. */
      readonly state: "read";
      /** The size from fstat, in bytes. */
      readonly size: number;
      /** The file is longer than what was read (64 KiB). */
      readonly truncated: boolean;
      /** When the path went through a symlink: the repo-relative file it resolved to. */
      readonly resolvedTo?: string;
      /** Whether git tracks the path. */
      readonly tracked?: boolean;
      /** The age header summary, when the file was read as an age file. */
      readonly age?: AgeFileSummary;
      /** The sops structure summary, when the file was read as a sops file. */
      readonly sops?: SopsFileSummary;
    };

/** A host's SSH host key. */
export interface HostKey {
  /** The `ssh-ed25519 AAAA… comment` line. */
  readonly line: string;
  /** Where it came from, for messages (e.g. hosts/web1/ssh_host_ed25519_key.pub). */
  readonly source?: string;
}

/** agenix's secrets.nix, already evaluated: which keys each file must be encrypted to. */
export interface AgenixRules {
  /** Repo-relative path of secrets.nix; rule names are relative to its folder. */
  readonly file: string;
  /** File name (as written in secrets.nix) → its publicKeys (SSH lines or age1 recipients). */
  readonly rules: Readonly<Record<string, { readonly publicKeys: readonly string[] }>>;
}

export interface SecretCheckInput {
  /** Every declaration of every host. */
  readonly declarations: readonly SecretDeclaration[];
  /** Facts by repo-relative path, for every declared file (and any other known secret file). */
  readonly files: ReadonlyMap<string, SecretFileFacts>;
  /** Host keys by host name; a host without one gets `unknown-host-key`. */
  readonly hostKeys: Readonly<Record<string, HostKey | undefined>>;
  /** People (or CI) allowed to hold secrets: name → SSH lines or age1 recipients. */
  readonly admins?: Readonly<Record<string, readonly string[]>>;
  /** agenix's secrets.nix, evaluated; without it agenix fixes are worded generically. */
  readonly agenix?: AgenixRules;
  /** The parsed .sops.yaml; without it sops fixes are worded generically. */
  readonly sopsConfig?: SopsConfig;
  /** Other files known to be secrets (e.g. matched by .sops.yaml), for "no host declares it". */
  readonly knownSecretFiles?: readonly string[];
  /** Where a host's key is expected, `{host}` replaced; for hints. */
  readonly hostKeyPathTemplate?: string;
  /** Larger age files are `invalid` (too large to be a secret). Default 16 MiB. */
  readonly maxAgeFileBytes?: number;
}

/** Why a secret is `invalid`. */
export type InvalidProblem =
  | RefusedProblem
  /** Bigger than a secret can plausibly be (a sops file must fit in the 64 KiB read). */
  | "too-large"
  /** The age header, the sops metadata or a wrapped data key is broken. */
  | "damaged";

interface ResultBase {
  /** The declaring host. */
  readonly host: string;
  /** The secret's attribute name. */
  readonly name: string;
  /** sops-nix or agenix. */
  readonly backend: SecretBackend;
  /** The declared file, normalized when it is inside the repository. */
  readonly file: string;
  /** One or two sentences: what is wrong and the command or edit that fixes it. */
  readonly detail: string;
  /** The declared owner, when there is one. */
  readonly owner?: string;
  /** The declared mode, when there is one. */
  readonly mode?: string;
}

/** The verdict for one (host, secret). */
export type SecretResult = ResultBase &
  (
    | {
        /** The host can decrypt it and (sops) the key exists. */
        readonly status: "ok";
        /** How it was proven: a stanza with the host's tag, the host in the sops metadata, or
         * only the agenix rule (X25519 stanzas cannot be attributed without a private key). */
        readonly evidence: "header" | "metadata" | "rule";
      }
    | { readonly status: "missing" }
    | { readonly status: "untracked" }
    | {
        readonly status: "plaintext";
        /** For a sops file: the first key whose value is not encrypted (never the value). */
        readonly plaintextKey?: string;
      }
    | { readonly status: "unknown-host-key" }
    | {
        readonly status: "not-for-host";
        /** What the host would need: its age recipient (sops) or stanza tag (agenix). */
        readonly hostRecipient?: string;
      }
    | { readonly status: "no-such-key"; readonly key: string; readonly problem: "missing" | "not-a-string" }
    | { readonly status: "invalid"; readonly problem: InvalidProblem }
  );

export type SecretStatus = SecretResult["status"];

/** Every status, in the order a report lists them (worst first). */
export const SECRET_STATUSES = [
  "plaintext",
  "invalid",
  "missing",
  "untracked",
  "unknown-host-key",
  "not-for-host",
  "no-such-key",
  "ok",
] as const satisfies readonly SecretStatus[];

/** Fleet-wide findings that are not one host's verdict. */
export type SecretWarning = {
  /** What is wrong and how to fix it, one sentence. */
  readonly message: string;
  /** The file it is about (repo-relative). */
  readonly file?: string;
  /** The host it is about. */
  readonly host?: string;
} & (
  | { readonly kind: "undeclared-secret"; readonly file: string }
  | {
      readonly kind: "unowned-recipient";
      readonly file: string;
      /** Where the recipient is listed. */
      readonly source: "header" | "sops-metadata" | "secrets.nix" | ".sops.yaml";
      /** The age1 recipient, SSH key (abbreviated) or stanza tag. */
      readonly recipient: string;
    }
  | {
      readonly kind: "rule-header-mismatch";
      readonly file: string;
      /** rule-only: the rule lists a key the file is not encrypted to; header-only: the reverse. */
      readonly direction: "rule-only" | "header-only";
      /** Host or admin name, when the key is known. */
      readonly owner?: string;
    }
  | { readonly kind: "passphrase-encrypted"; readonly file: string }
  | { readonly kind: "invalid-key"; readonly source: string }
  | { readonly kind: "world-readable"; readonly host: string; readonly file: string }
);

export interface SecretCheckReport {
  /** One per declaration, in declaration order. */
  readonly results: readonly SecretResult[];
  /** Fleet-wide findings, grouped by kind. */
  readonly warnings: readonly SecretWarning[];
  /** How many results have each status. */
  readonly counts: Readonly<Record<SecretStatus, number>>;
}

type DeclarationFields = "host" | "name" | "backend" | "file" | "owner" | "mode";
/** A result without the declaration's fields: what a check step decides. */
export type Verdict = SecretResult extends infer R
  ? R extends SecretResult
    ? Omit<R, DeclarationFields>
    : never
  : never;
