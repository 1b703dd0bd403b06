// `infra secrets`: what each host declares (from its evaluation, cached like any other), what the
// repository provides (headers only), and whether the two meet. Nothing here reads a value.
import { existsSync, readFileSync } from "node:fs";
import type { Evaluation } from "../../cache/records.js";
import { InfraError } from "../../errors/index.js";
import { selectTargets } from "../fleet/select.js";
import type { Target } from "../fleet/targets.js";
import type { Workspace } from "../repo/workspace.js";
import type { EngineContext } from "../run/context.js";
import { rulesJob } from "../run/job.js";
import { checkSecrets } from "./check.js";
import { type KeyParse, learnedKeys, rememberKeys } from "./keyring.js";
import { readDeclaredFiles, type SummaryMemo } from "./read-header.js";

/** Cache meta keys: file summaries by digest, and parsed public keys (see keyring.ts). */
const SUMMARY_PREFIX = "secrets-summary:";
const KEYS_META = "secrets-keys";
const KEYS_KEPT = 20_000;

import { parseSopsConfig, type SopsConfig } from "./sops-config.js";
import type {
  AgenixRules,
  HostKey,
  SecretCheckReport,
  SecretDeclaration,
  SecretResult,
  SecretWarning,
} from "./types.js";

export interface SecretsOptions {
  /** Targets to check (names as on the command line); default: all. */
  names?: string[] | undefined;
  /** No result events for the evaluations it needs (the deploy gate: deploy reports those). */
  quiet?: boolean | undefined;
}

/** A problem that is not one secret's verdict: a rule file that does not parse, a host that fails. */
export interface SecretsProblem {
  /** The file (repo-relative) or host it is about. */
  where: string;
  message: string;
}

export interface SecretsReport {
  results: SecretResult[];
  warnings: SecretWarning[];
  counts: SecretCheckReport["counts"];
  problems: SecretsProblem[];
  /** Targets checked, and those whose evaluation failed (their declarations are unknown). */
  hosts: string[];
  unevaluated: string[];
}

/** Statuses that fail the check (exit 1, a refused deploy, a failed ci). */
export function isSecretFailure(result: SecretResult): boolean {
  return result.status !== "ok";
}

export function declarationsOf(target: Target, evaluation: Evaluation): SecretDeclaration[] {
  return (evaluation.secrets ?? []).map((s) => ({
    host: target.name,
    name: s.name,
    backend: s.backend === "sops" ? "sops" : "agenix",
    file: s.file ?? "",
    ...(s.backend === "sops"
      ? {
          key: s.key ?? s.name,
          ...(s.format ? { format: s.format as SecretDeclaration["format"] & string } : {}),
        }
      : {}),
    ...(s.owner ? { owner: s.owner } : {}),
    ...(s.mode ? { mode: s.mode } : {}),
  }));
}

/** A key given inline (`ssh-ed25519 …`, `age1…`) or as a repo-relative file holding one. */
function keyText(ws: Workspace, value: string): string | undefined {
  const text = value.trim();
  if (/^(ssh-|age1)/.test(text)) return text;
  const abs = ws.snapshot.abs(text);
  return existsSync(abs) ? readFileSync(abs, "utf8").trim() : undefined;
}

function hostKeysFor(
  ctx: EngineContext,
  ws: Workspace,
  targets: Target[],
): Record<string, HostKey | undefined> {
  const keys: Record<string, HostKey | undefined> = {};
  const template = ctx.config.secrets.hostKeys;
  for (const target of targets) {
    const deployed = ctx.config.deploy.targets[target.name]?.hostKey;
    if (deployed !== undefined) {
      keys[target.name] = { line: deployed, source: `infra.json deploy.targets.${target.name}.hostKey` };
      continue;
    }
    const path = template.replaceAll("{name}", target.attrName);
    const abs = ws.snapshot.abs(path);
    if (existsSync(abs)) keys[target.name] = { line: readFileSync(abs, "utf8").trim(), source: path };
  }
  return keys;
}

async function agenixRules(
  ctx: EngineContext,
  ws: Workspace,
  problems: SecretsProblem[],
): Promise<AgenixRules | undefined> {
  const configured = ctx.config.secrets.agenixRules;
  // agenix's convention: secrets.nix beside the .age files it rules (a module of the same name
  // elsewhere is not one).
  const tracked = [...(ws.tracked?.files ?? [])];
  const folderOf = (f: string) => (f.includes("/") ? f.slice(0, f.lastIndexOf("/")) : "");
  const ageFolders = new Set(tracked.filter((f) => f.endsWith(".age")).map(folderOf));
  const files =
    configured ??
    tracked
      .filter((f) => (f === "secrets.nix" || f.endsWith("/secrets.nix")) && ageFolders.has(folderOf(f)))
      .sort();
  if (files.length === 0) return undefined;
  const results = await ctx.scheduler.run(
    ws,
    files.map((file) => rulesJob(ws, file)),
    { signal: ctx.signal },
  );
  for (const { job, evaluation } of results) {
    if (evaluation.error) {
      const at = evaluation.error.line ? `:${evaluation.error.line}` : "";
      problems.push({
        where: `${job.label}${at}`,
        message: `agenix rules do not evaluate: ${evaluation.error.message.replaceAll(`${ws.top}/`, "")}`,
      });
      continue;
    }
    const file = job.attrPath[0]!;
    const rules = Object.fromEntries(
      Object.entries(evaluation.rules ?? {}).map(([name, publicKeys]) => [name, { publicKeys }]),
    );
    // One rules file per repository is what agenix uses; a second one is named, not merged.
    if (results.length > 1)
      problems.push({
        where: file,
        message: `${results.length} agenix rule files found; checking against ${file} (set secrets.agenixRules in infra.json)`,
      });
    return { file, rules };
  }
  return undefined;
}

function sopsConfig(ctx: EngineContext, ws: Workspace, problems: SecretsProblem[]): SopsConfig | undefined {
  const rel = ctx.config.secrets.sopsConfig;
  const abs = ws.snapshot.abs(rel);
  if (!existsSync(abs)) return undefined;
  try {
    return parseSopsConfig(readFileSync(abs, "utf8"), rel);
  } catch (error) {
    problems.push({ where: rel, message: error instanceof InfraError ? error.message : String(error) });
    return undefined;
  }
}

export async function runSecrets(ctx: EngineContext, options: SecretsOptions = {}): Promise<SecretsReport> {
  const ws = await ctx.openWorkspace();
  const { hosts, errors } = await ctx.discover(ws);
  const targets = selectTargets(hosts, options.names ?? [], ctx.config.groups, errors);
  const declarations: SecretDeclaration[] = [];
  const unevaluated: string[] = [];
  const problems: SecretsProblem[] = [];
  await ctx.runRound(ws, targets, {
    onResult: (result) => {
      if (!options.quiet) ctx.events.emit({ type: "result", result });
    },
    onEvaluation: (target, evaluation) => {
      if (evaluation.error) {
        unevaluated.push(target.name);
        problems.push({
          where: target.name,
          message: `evaluation failed, so its secrets are unknown: ${evaluation.error.message}`,
        });
      } else declarations.push(...declarationsOf(target, evaluation));
    },
  });
  ctx.checkSignal();
  // Every host's key, not only the checked ones': a recipient is someone's even when not asked about.
  const report = await checkDeclared(ctx, ws, hosts, declarations, problems);
  await ctx.store.flush();
  return {
    results: [...report.results],
    warnings: [...report.warnings],
    counts: report.counts,
    problems,
    hosts: targets.map((t) => t.name),
    unevaluated,
  };
}

/**
 * The check of `declarations` against what the repository provides (headers only). The agenix
 * rules are evaluated (and cached) like a host; everything else is read here.
 */
export async function checkDeclared(
  ctx: EngineContext,
  ws: Workspace,
  targets: Target[],
  declarations: SecretDeclaration[],
  problems: SecretsProblem[],
): Promise<SecretCheckReport> {
  const agenix = await agenixRules(ctx, ws, problems);
  const sops = sopsConfig(ctx, ws, problems);
  const admins = Object.fromEntries(
    Object.entries(ctx.config.secrets.admins).map(([name, keys]) => [
      name,
      keys.flatMap((k) => keyText(ws, k) ?? []),
    ]),
  );
  const store = ctx.store;
  const memo: SummaryMemo = {
    get: (key) => store.getMeta(`${SUMMARY_PREFIX}${key}`),
    set: (key, summary) => store.putMeta(`${SUMMARY_PREFIX}${key}`, summary),
  };
  rememberKeys(store.getMeta<Record<string, KeyParse>>(KEYS_META) ?? {});
  const files = await readDeclaredFiles(ws.top, declarations, {
    memo,
    isTracked: (p) => ws.snapshot.isTrackedFile(p),
    extra: agenix
      ? Object.keys(agenix.rules).map((name) => ({ path: joinRel(agenix.file, name), age: true }))
      : [],
  });
  const report = checkSecrets({
    declarations,
    files,
    hostKeys: hostKeysFor(ctx, ws, targets),
    admins,
    ...(agenix ? { agenix } : {}),
    ...(sops ? { sopsConfig: sops } : {}),
    hostKeyPathTemplate: ctx.config.secrets.hostKeys.replaceAll("{name}", "{host}"),
  });
  const learned = learnedKeys();
  if (Object.keys(learned).length > 0) {
    const kept = { ...store.getMeta<Record<string, KeyParse>>(KEYS_META), ...learned };
    const names = Object.keys(kept);
    // Bounded: the newest parses win when a fleet has more keys than that.
    const trimmed =
      names.length > KEYS_KEPT ? Object.fromEntries(names.slice(-KEYS_KEPT).map((n) => [n, kept[n]!])) : kept;
    store.putMeta(KEYS_META, trimmed);
  }
  return report;
}

/** `name` (as written in the rules file) relative to the repository top. */
function joinRel(rulesFile: string, name: string): string {
  const slash = rulesFile.lastIndexOf("/");
  return slash < 0 ? name : `${rulesFile.slice(0, slash)}/${name}`;
}
