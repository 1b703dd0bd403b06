// The contract of `infra new host`: what it is asked, and what it reports (the --json output).
import type { TargetKind } from "../fleet/targets.js";

export interface NewHostOptions {
  /** The new host's name (a plain host name). */
  name: string;
  /** The host whose layout and files are copied; default: the first target of `kind`. */
  like?: string | undefined;
  /** Picks the like host when `like` is not given (default nixos); must match it when it is. */
  kind?: TargetKind | undefined;
  /** Where the private key goes (default: $XDG_DATA_HOME/infra/host-keys/<repo>/<name>/). */
  keyDir?: string | undefined;
  /** The environment for XDG_DATA_HOME and HOME (default: this process's). */
  env?: Record<string, string | undefined> | undefined;
}

/** One secret the new host declares that is not yet encrypted for it. */
export interface RekeyStep {
  /** The secret's name (`age.secrets.<name>`, `sops.secrets.<name>`). */
  secret: string;
  /** The encrypted file, repo-relative. */
  file: string;
  /** The command that re-encrypts it (`agenix --rekey`, `sops updatekeys secrets/web.yaml`). */
  command: string;
  /** The folder to run it in, repo-relative ("." for the repo folder). */
  cwd: string;
}

/** A secret of the new host's that fails the check for another reason than re-keying. */
export interface SecretNote {
  secret: string;
  file: string;
  status: string;
  detail: string;
}

/** A file of the like host's that was not copied, and why. */
export interface SkippedNote {
  path: string;
  reason: string;
}

export interface NewHostReport {
  name: string;
  kind: TargetKind;
  /** The target the layout was learned from. */
  like: string;
  /** Every repository file created or changed, repo-relative (all of them staged). */
  written: string[];
  hostKey: {
    /** The public key, repo-relative (where secrets.hostKeys says host keys are). */
    public: string;
    /** The private key, absolute; never inside the repository unless git ignores it. */
    private: string;
  };
  /** Recipient files that now list the new host (secrets.nix, .sops.yaml), repo-relative. */
  recipientsUpdated: string[];
  rekey: RekeyStep[];
  /** How the flake finds the new host: its folder is listed (`auto`), or one line was added. */
  listing: { how: "auto" | "edit"; file?: string; line?: number };
  skipped: SkippedNote[];
  secretProblems: SecretNote[];
  /** Things worth a person's look (other lines that name the like host, a reformatted file). */
  notes: string[];
  evaluation: {
    status: "evaluated" | "cached" | "failed" | "not-listed";
    drvPath: string | null;
    /** Why it failed, when it did. */
    error?: string;
  };
}
