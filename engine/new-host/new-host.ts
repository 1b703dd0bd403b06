// `infra new host`: plan (every check, nothing written), then the key pair, the files, the
// recipient edits, `git add` of exactly those files, and the proof: the flake lists the new
// host, it evaluates, and the secrets check says what needs re-keying. The engine never prints:
// the report says everything.
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { ConfigError } from "../../errors/index.js";
import type { Engine } from "../engine.js";
import type { SecretResult } from "../secrets/types.js";
import { type AgenixEdit, planAgenixEdit } from "./agenix-edit.js";
import { KEY_FILE } from "./key-dir.js";
import type { CopyPlan } from "./layout.js";
import type { FileEdit } from "./listing.js";
import { replaceWord } from "./names.js";
import { type NewHostPlan, planNewHost, recipientOf } from "./plan.js";
import { planSopsEdit, type SopsEdit } from "./sops-edit.js";
import { generateHostKey, stage } from "./tools.js";
import type { NewHostOptions, NewHostReport, RekeyStep, SecretNote } from "./types.js";

/** Text files get the like host's name replaced; anything else is copied byte for byte. */
function copyOne(plan: NewHostPlan, copy: CopyPlan): void {
  const from = join(plan.top, copy.from);
  const to = join(plan.top, copy.to);
  mkdirSync(dirname(to), { recursive: true });
  const stat = lstatSync(from);
  if (stat.isSymbolicLink()) {
    symlinkSync(replaceWord(readlinkSync(from), plan.like.attrName, plan.name, plan.otherNames), to);
    return;
  }
  const bytes = readFileSync(from);
  let text: string | undefined;
  try {
    text = bytes.includes(0) ? undefined : new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {}
  const content =
    text === undefined ? bytes : replaceWord(text, plan.like.attrName, plan.name, plan.otherNames);
  // `wx`: never overwrite, even what appeared after the plan was made.
  writeFileSync(to, content, { flag: "wx", mode: stat.mode & 0o777 });
  chmodSync(to, stat.mode & 0o777);
}

/** The recipient edits with the real key (the plan checked them with a placeholder). */
function recipientEdits(plan: NewHostPlan, publicLine: string): { agenix?: AgenixEdit; sops?: SopsEdit } {
  const out: { agenix?: AgenixEdit; sops?: SopsEdit } = {};
  if (plan.likeKey === undefined) return out;
  const common = { like: plan.like.attrName, name: plan.name };
  if (plan.agenix) {
    const edit = planAgenixEdit({ ...plan.agenix, ...common, likeKey: plan.likeKey, newKey: publicLine });
    if (edit) out.agenix = edit;
  }
  const likeRecipient = recipientOf(plan.likeKey);
  const newRecipient = recipientOf(publicLine);
  if (plan.sops && likeRecipient && newRecipient) {
    const edit = planSopsEdit({ ...plan.sops, ...common, likeRecipient, newRecipient });
    if (edit) out.sops = edit;
  }
  return out;
}

function applyEdit(top: string, edit: FileEdit): void {
  const path = join(top, edit.file);
  if (readFileSync(path, "utf8") !== edit.before) {
    throw new ConfigError(`${edit.file} changed while infra new host ran; nothing more was written`, {
      hints: ["Run it again once the edit is done (the files written so far are listed above)."],
    });
  }
  writeFileSync(path, edit.after);
}

/** The re-encryption command a not-for-host verdict names (`agenix --rekey`, `sops updatekeys …`). */
function rekeyStep(result: SecretResult, show: (topRel: string) => string): RekeyStep | undefined {
  const commands = [
    ...result.detail.matchAll(/`((?:agenix|sops) [^`]*)`(?: in (the repository root|\S+\/))?/g),
  ];
  const last = commands[commands.length - 1];
  if (last === undefined) return undefined;
  const where = last[2] === undefined || last[2] === "the repository root" ? "." : last[2].slice(0, -1);
  return { secret: result.name, file: show(result.file), command: last[1]!, cwd: show(where) };
}

export async function newHost(engine: Engine, options: NewHostOptions): Promise<NewHostReport> {
  const plan = await planNewHost(engine, options);
  const { top, name, like } = plan;
  const show = (topRel: string) => relative(plan.repoDir, join(top, topRel)) || ".";
  const privatePath = join(plan.keyDir, KEY_FILE);
  mkdirSync(plan.keyDir, { recursive: true, mode: 0o700 });
  await generateHostKey(privatePath, `root@${name}`);
  const notes = [...plan.notes];
  let publicLine: string;
  let edits: { agenix?: AgenixEdit; sops?: SopsEdit };
  try {
    publicLine = readFileSync(`${privatePath}.pub`, "utf8").trim();
    edits = recipientEdits(plan, publicLine);
  } catch (error) {
    // Nothing of the repository was written: take the key back too, so a re-run is not refused.
    rmSync(privatePath, { force: true });
    rmSync(`${privatePath}.pub`, { force: true });
    throw error;
  }

  const written: string[] = [];
  for (const unit of plan.layout.units) {
    if (unit.kind !== "folder") continue;
    mkdirSync(dirname(join(top, unit.to)), { recursive: true });
    mkdirSync(join(top, unit.to));
  }
  for (const copy of plan.layout.copies) {
    copyOne(plan, copy);
    written.push(copy.to);
  }
  mkdirSync(dirname(join(top, plan.publicKeyPath)), { recursive: true });
  writeFileSync(join(top, plan.publicKeyPath), `${publicLine}\n`, { flag: "wx", mode: 0o644 });
  written.push(plan.publicKeyPath);
  const fileEdits = [plan.listing.edit, edits.agenix, edits.sops].filter(
    (e): e is FileEdit => e !== undefined,
  );
  for (const edit of fileEdits) {
    applyEdit(top, edit);
    written.push(edit.file);
  }
  if (edits.sops?.reformatted)
    notes.push(
      `${show(edits.sops.file)} was re-rendered by the YAML library around the edit: review its diff.`,
    );
  const isEdited = (f: string) => fileEdits.some((e) => e.file === f);
  await stage(
    top,
    written.filter((f) => !isEdited(f) || plan.tracked.has(f)),
  );

  const report: NewHostReport = {
    name,
    kind: like.kind,
    like: like.name,
    written: written.map(show),
    hostKey: { public: show(plan.publicKeyPath), private: privatePath },
    recipientsUpdated: [edits.agenix?.file, edits.sops?.file]
      .filter((f): f is string => f !== undefined)
      .map(show),
    rekey: [],
    listing: {
      how: plan.listing.how,
      ...(plan.listing.edit ? { file: show(plan.listing.edit.file), line: plan.listing.line! } : {}),
    },
    skipped: plan.layout.skipped.map((s) => ({ path: show(s.path), reason: s.reason })),
    secretProblems: [],
    notes,
    evaluation: { status: "not-listed", drvPath: null },
  };

  // The proof: the flake lists it, it evaluates, and what its secrets need.
  const { hosts } = await engine.hosts();
  const target = hosts.find((h) => h.attrName === name && h.flake === like.flake && h.kind === like.kind);
  if (target === undefined) {
    report.evaluation.error = `the flake does not list ${name} after the edit: check how ${like.name} is listed and add ${name} the same way`;
    return report;
  }
  const [result] = (await engine.evaluate({ names: [target.name] })).hosts;
  report.evaluation = {
    status: result?.status === "cached" ? "cached" : result?.status === "evaluated" ? "evaluated" : "failed",
    drvPath: result?.drvPath ?? null,
    ...(result?.error ? { error: result.error.message } : {}),
  };
  if (report.evaluation.status === "failed") {
    const secrets = plan.layout.skipped.filter((x) => !x.path.endsWith(".pub")).map((x) => show(x.path));
    if (secrets.length > 0)
      notes.push(
        `${like.name}'s ${secrets.join(", ")} ${secrets.length === 1 ? "was" : "were"} not copied (secrets and keys never are): create ${name}'s own if it needs them.`,
      );
    return report;
  }
  const secrets = await engine.secrets({ names: [target.name] });
  for (const r of secrets.results.filter((x) => x.host === target.name && x.status !== "ok")) {
    const step = r.status === "not-for-host" ? rekeyStep(r, show) : undefined;
    if (step) report.rekey.push(step);
    else {
      const note: SecretNote = { secret: r.name, file: show(r.file), status: r.status, detail: r.detail };
      report.secretProblems.push(note);
    }
  }
  for (const p of secrets.problems) notes.push(`secrets check: ${p.where}: ${p.message}`);
  return report;
}
