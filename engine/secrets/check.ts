// The secrets contract check: pure, no I/O, no Nix. Given each host's declarations and the
// *summaries* of the files (see types.ts), it gives every (host, secret) one status with a
// sentence that says how to fix it, plus fleet-wide warnings (warnings.ts).
//
// The checks run in a fixed order, the first failing one decides the status:
//   path outside the repo → file missing → refused (symlink out, not a file) → too large →
//   plaintext (before `untracked`: a plaintext file must not be added) → untracked →
//   damaged header → no usable host key → not encrypted for the host → sops key missing → ok.
import { InternalError } from "../../errors/index.js";
import { AGE_HEADER_LIMIT } from "./age.js";
import { agenixVerdict } from "./check-agenix.js";
import { sopsVerdict } from "./check-sops.js";
import { buildContext, type CheckContext, fileOption, sopsCommand } from "./context.js";
import { normalizeRepoPath } from "./paths.js";
import {
  SECRET_STATUSES,
  type SecretCheckInput,
  type SecretCheckReport,
  type SecretDeclaration,
  type SecretResult,
  type SecretStatus,
  type Verdict,
} from "./types.js";
import { collectWarnings } from "./warnings.js";

function mib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

/** How to create a missing file with the backend's own tool. */
function createHint(ctx: CheckContext, d: SecretDeclaration, file: string): string {
  if (d.backend === "sops")
    return `create it with ${sopsCommand(ctx, "", file)} (the .sops.yaml rule picks its keys)`;
  const rules = ctx.input.agenix?.file ?? "secrets.nix";
  return `add its publicKeys to ${rules}, then create it with \`agenix -e ${ctx.agenixName(file)}\` in ${ctx.agenixWhere}`;
}

function plaintextVerdict(
  ctx: CheckContext,
  d: SecretDeclaration,
  file: string,
  tracked: boolean | undefined,
  key?: string,
): Verdict {
  const notYet =
    tracked === false
      ? " It is not tracked by git yet: do not add it."
      : tracked
        ? " Rotate the secret: git history keeps the plaintext."
        : " If it was ever committed, rotate the secret.";
  if (d.backend === "agenix") {
    return {
      status: "plaintext",
      detail: `${file} is not an age file, so it is stored in plaintext: encrypt its content with \`agenix -e ${ctx.agenixName(file)}\` in ${ctx.agenixWhere} and delete the plaintext.${notYet}`,
    };
  }
  if (key !== undefined) {
    return {
      status: "plaintext",
      plaintextKey: key,
      detail: `the value of ${key} in ${file} is not encrypted: delete it from the file and add it again with ${sopsCommand(ctx, "", file)}, which encrypts it.${notYet}`,
    };
  }
  return {
    status: "plaintext",
    detail: `${file} is not a sops file (no sops metadata), so it is stored in plaintext: encrypt it with ${sopsCommand(ctx, "--encrypt --in-place", file)}.${notYet}`,
  };
}

function checkOne(ctx: CheckContext, d: SecretDeclaration): Verdict {
  const file = normalizeRepoPath(d.file);
  if (!file) {
    return {
      status: "invalid",
      problem: "outside-repo",
      detail: `${d.file} is outside the repository: keep the encrypted file in the repository and point ${fileOption(d)} at it.`,
    };
  }
  const facts = ctx.input.files.get(file);
  if (!facts) throw new InternalError(`secrets check: no facts were gathered for ${file}`);
  if (facts.state === "missing") {
    const what = facts.danglingSymlink ? "is a symlink to a file that does not exist" : "does not exist";
    return {
      status: "missing",
      detail: `${file} ${what}: ${createHint(ctx, d, file)}, or fix ${fileOption(d)}.`,
    };
  }
  if (facts.state === "refused") {
    const detail =
      facts.problem === "symlink-outside-repo"
        ? `${file} is a symlink that leads outside the repository; infra does not follow it and a flake would not see its target: put the encrypted file itself in the repository.`
        : facts.problem === "not-a-regular-file"
          ? `${file} is not a regular file (a folder or a special file): point ${fileOption(d)} at the encrypted file.`
          : `${file} is outside the repository: point ${fileOption(d)} at a file inside it.`;
    return { status: "invalid", problem: facts.problem, detail };
  }
  const limit = d.backend === "sops" ? AGE_HEADER_LIMIT : ctx.maxAgeFileBytes;
  if (facts.size > limit) {
    return {
      status: "invalid",
      problem: "too-large",
      detail: `${file} is ${mib(facts.size)}, larger than a secret can be here (${mib(limit)}${d.backend === "sops" ? ": sops files are read whole" : ""}): check that ${fileOption(d)} names the right file.`,
    };
  }
  if (d.backend === "agenix" && facts.age?.kind === "not-age") {
    return plaintextVerdict(ctx, d, file, facts.tracked);
  }
  if (d.backend === "sops" && facts.sops?.kind === "not-sops") {
    return plaintextVerdict(ctx, d, file, facts.tracked);
  }
  if (d.backend === "sops" && facts.sops?.kind === "sops" && facts.sops.firstPlaintext) {
    return plaintextVerdict(ctx, d, file, facts.tracked, facts.sops.firstPlaintext.name);
  }
  if (facts.tracked === false) {
    return {
      status: "untracked",
      detail: `${file} is not tracked by git, so the flake cannot see it: run \`git add ${file}\`.`,
    };
  }
  const summary = d.backend === "agenix" ? facts.age : facts.sops;
  if (!summary) throw new InternalError(`secrets check: ${file} was not read as a ${d.backend} file`);
  if (summary.kind === "damaged") {
    const at = summary.line ? ` (line ${summary.line})` : "";
    return {
      status: "invalid",
      problem: "damaged",
      detail: `${file} is damaged: ${summary.reason}${at}. Restore it with \`git checkout -- ${file}\` or re-create it (${createHint(ctx, d, file)}).`,
    };
  }
  const host = ctx.keyring.hosts.get(d.host);
  if (!host) {
    return {
      status: "unknown-host-key",
      detail: `infra knows no SSH host key for ${d.host}, so it cannot tell whether ${d.host} can decrypt ${file}: add ${ctx.hostKeyPath(d.host)} (\`ssh-keyscan -t ed25519 <${d.host}'s address>\` prints it).`,
    };
  }
  if ("error" in host) {
    return {
      status: "unknown-host-key",
      detail: `${host.source} is not a usable host key (${host.error}), so infra cannot check ${file} for ${d.host}: replace it with the host's /etc/ssh/ssh_host_ed25519_key.pub.`,
    };
  }
  if (summary.kind === "age") return agenixVerdict(ctx, d, file, summary, host.id);
  if (summary.kind === "sops") return sopsVerdict(ctx, d, file, summary, host.id);
  throw new InternalError(`secrets check: unexpected summary for ${file}`);
}

/** Runs the check. Pure: same input, same report. */
export function checkSecrets(input: SecretCheckInput): SecretCheckReport {
  const ctx = buildContext(input);
  const results = input.declarations.map((d): SecretResult => {
    const base = {
      host: d.host,
      name: d.name,
      backend: d.backend,
      file: normalizeRepoPath(d.file) ?? d.file,
      ...(d.owner === undefined ? {} : { owner: d.owner }),
      ...(d.mode === undefined ? {} : { mode: d.mode }),
    };
    return { ...base, ...checkOne(ctx, d) } as SecretResult;
  });
  const counts = Object.fromEntries(SECRET_STATUSES.map((s) => [s, 0])) as Record<SecretStatus, number>;
  for (const r of results) counts[r.status]++;
  return { results, warnings: collectWarnings(ctx), counts };
}
