import type { CliContext } from "../context.js";
import { openEngine, writeJson } from "../context.js";
import { formatHostError } from "../render/error.js";
import { makeStyle } from "../render/style.js";

export async function hostsCommand(ctx: CliContext): Promise<number> {
  const engine = await openEngine(ctx);
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
      const width = Math.max(4, ...hosts.map((h) => h.name.length));
      const kindWidth = Math.max(4, ...hosts.map((h) => h.kind.length));
      for (const h of hosts) {
        ctx.stdout.write(
          `${h.name.padEnd(width)}  ${style.gray(h.kind.padEnd(kindWidth))}  ${style.gray(h.flake === "." ? "" : `${h.flake}#`)}${h.attr}\n`,
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
    await engine.close();
  }
}
