// `infra new host NAME`: the boilerplate of a new host in the repository's own layout, its key
// pair, its place in the recipient lists, and what to re-key. The engine does the work and
// reports; this prints the report.
import type { NewHostReport } from "../../engine/new-host/index.js";
import type { CliContext } from "../context.js";
import { openEngine, pathArg, printWarnings, writeJson } from "../context.js";
import { makeStyle, type Style } from "../render/style.js";
import { type Out, oneLine } from "../render/terminal.js";

export interface NewHostFlags {
  like?: string;
  kind?: string;
  keyDir?: string;
}

const KINDS = ["nixos", "darwin", "home"] as const;
type Kind = (typeof KINDS)[number];

/** The --json contract: the report as it is, its fields in this order. */
function jsonOf(report: NewHostReport): Record<string, unknown> {
  return {
    name: report.name,
    kind: report.kind,
    like: report.like,
    written: report.written,
    hostKey: report.hostKey,
    recipientsUpdated: report.recipientsUpdated,
    rekey: report.rekey,
    evaluation: report.evaluation,
    listing: report.listing,
    skipped: report.skipped,
    secretProblems: report.secretProblems,
    notes: report.notes,
  };
}

function render(report: NewHostReport, out: Out, style: Style): void {
  const ok = report.evaluation.status === "evaluated" || report.evaluation.status === "cached";
  out.write(
    `${style.bold(`new ${report.kind} host ${oneLine(report.name)}`)} ${style.gray(`(like ${oneLine(report.like)})`)}\n`,
  );
  const edited = new Set([
    ...report.recipientsUpdated,
    ...(report.listing.file ? [report.listing.file] : []),
  ]);
  for (const file of report.written)
    out.write(`  ${edited.has(file) ? style.yellow("~") : style.green("+")} ${oneLine(file)}\n`);
  for (const s of report.skipped)
    out.write(`  ${style.gray(`not copied: ${oneLine(s.path)} (${s.reason})`)}\n`);
  const listed =
    report.listing.how === "auto"
      ? "listed by the flake itself (its hosts folder is read), nothing to add"
      : `listed at ${oneLine(report.listing.file ?? "")}:${report.listing.line}`;
  out.write(`  ${listed}\n`);
  out.write(
    `  host key: ${oneLine(report.hostKey.public)}; private key: ${oneLine(report.hostKey.private)}\n`,
  );
  if (report.recipientsUpdated.length > 0)
    out.write(
      `  recipients: ${report.recipientsUpdated.map(oneLine).join(", ")} now list ${oneLine(report.name)}\n`,
    );
  out.write(`  staged with git add: ${report.written.length} file(s)\n`);
  if (report.rekey.length > 0) {
    out.write(`\n${style.bold("re-encrypt for the new host")} (infra never decrypts):\n`);
    for (const r of report.rekey) {
      const where = r.cwd === "." ? "" : style.gray(` (in ${oneLine(r.cwd)}/)`);
      out.write(`  ${oneLine(r.secret)} ${style.gray(oneLine(r.file))}: ${oneLine(r.command)}${where}\n`);
    }
  }
  for (const p of report.secretProblems)
    out.write(`  ${style.yellow("!")} ${oneLine(p.secret)} (${p.status}): ${oneLine(p.detail)}\n`);
  for (const note of report.notes) out.write(`  ${style.yellow("note:")} ${oneLine(note)}\n`);
  out.write("\n");
  if (ok)
    out.write(
      `${style.green("✓")} ${oneLine(report.name)} evaluates: ${style.gray(report.evaluation.drvPath ?? "")}\n`,
    );
  else
    out.write(
      `${style.red("✗")} ${oneLine(report.name)} does not evaluate (the files stay, staged): ${oneLine(report.evaluation.error ?? "")}\n`,
    );
}

export async function newHostCommand(ctx: CliContext, name: string, flags: NewHostFlags): Promise<number> {
  const { newHost, validateHostName } = await import("../../engine/new-host/index.js");
  // Bad input is refused before a cache is opened or Nix started.
  validateHostName(name);
  if (flags.kind !== undefined && !(KINDS as readonly string[]).includes(flags.kind)) {
    const { UsageError } = await import("../../errors/index.js");
    throw new UsageError(`--kind expects nixos, darwin or home, got '${flags.kind}'`);
  }
  if (flags.keyDir !== undefined && flags.keyDir.trim() === "") {
    const { UsageError } = await import("../../errors/index.js");
    // An empty path would be the current folder: likely inside the repository.
    throw new UsageError("--key-dir needs a folder, got an empty path", {
      hints: ["Leave it out for the default ($XDG_DATA_HOME/infra/host-keys/<repo>/<name>/)."],
    });
  }
  const engine = await openEngine(ctx);
  const offWarnings = printWarnings(ctx, engine);
  try {
    const report = await newHost(engine, {
      name,
      like: flags.like,
      kind: flags.kind as Kind | undefined,
      keyDir: flags.keyDir === undefined ? undefined : pathArg(ctx, flags.keyDir),
      env: ctx.env,
    });
    if (ctx.options.json) writeJson(ctx, jsonOf(report));
    else render(report, ctx.stdout, makeStyle(ctx.stdout));
    const ok = report.evaluation.status === "evaluated" || report.evaluation.status === "cached";
    return ok ? 0 : 1;
  } finally {
    offWarnings();
    await engine.close();
  }
}
