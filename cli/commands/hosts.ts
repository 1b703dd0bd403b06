import type { CliContext } from "../context.js";
import { openEngine, printWarnings, writeJson } from "../context.js";
import { formatHostError } from "../render/error.js";
import { makeStyle } from "../render/style.js";
import { oneLine } from "../render/terminal.js";

export async function hostsCommand(ctx: CliContext): Promise<number> {
  const engine = await openEngine(ctx);
  const offWarnings = printWarnings(ctx, engine);
  try {
    const { hosts, errors } = await engine.hosts();
    if (ctx.options.json) {
      const out: Record<string, unknown> = {
        hosts: hosts.map((h) => ({ name: h.name, kind: h.kind, flake: h.flake, attr: h.attr })),
      };
      if (errors.length > 0) out.errors = errors;
      writeJson(ctx, out);
    } else {
      const style = makeStyle(ctx.stdout);
      const rows = hosts.map((h) => ({
        name: oneLine(h.name),
        kind: h.kind,
        where: `${h.flake === "." ? "" : oneLine(`${h.flake}#`)}${oneLine(h.attr)}`,
      }));
      const width = Math.max(4, ...rows.map((r) => r.name.length));
      const kindWidth = Math.max(4, ...rows.map((r) => r.kind.length));
      for (const r of rows) {
        ctx.stdout.write(
          `${r.name.padEnd(width)}  ${style.gray(r.kind.padEnd(kindWidth))}  ${style.gray(r.where)}\n`,
        );
      }
      if (hosts.length === 0 && errors.length === 0)
        ctx.stdout.write("no targets (no nixosConfigurations, darwinConfigurations or homeConfigurations)\n");
    }
    const style = makeStyle(ctx.stderr);
    for (const failure of errors) {
      ctx.stderr.write(
        `${style.red("✗")} could not list the targets of flake ${failure.flake}\n${formatHostError(failure.error, style)}\n`,
      );
    }
    return errors.length > 0 ? 1 : 0;
  } finally {
    offWarnings();
    await engine.close();
  }
}
