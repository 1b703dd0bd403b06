import { writeFileSync } from "node:fs";
import { extname } from "node:path";
import type { CliContext } from "../context.js";
import { numberOption, openEngine, pathArg, printWarnings, writeJson } from "../context.js";
import { makeStyle } from "../render/style.js";
import { oneLine } from "../render/terminal.js";

const FORMATS = ["dot", "mermaid", "graphml", "gexf", "json", "html"] as const;
type Format = (typeof FORMATS)[number];
const BY_EXTENSION: Record<string, Format> = {
  ".dot": "dot",
  ".gv": "dot",
  ".mmd": "mermaid",
  ".mermaid": "mermaid",
  ".graphml": "graphml",
  ".gexf": "gexf",
  ".json": "json",
  ".html": "html",
  ".htm": "html",
};

export interface GraphFlags {
  format?: string;
  out?: string;
  focus?: string;
  depth?: string;
  top?: string | boolean;
  orphans?: boolean;
  check?: boolean;
}

export async function graphCommand(ctx: CliContext, flags: GraphFlags): Promise<number> {
  const { UsageError } = await import("../../errors/index.js");
  const format = (flags.format ??
    (flags.out ? BY_EXTENSION[extname(flags.out).toLowerCase()] : undefined) ??
    "dot") as Format;
  if (!FORMATS.includes(format)) {
    throw new UsageError(`unknown format '${flags.format}'`, {
      hints: [`Use one of: ${FORMATS.join(", ")}.`],
    });
  }
  const depth = (await numberOption("--depth", flags.depth, { integer: true, min: 0 })) ?? 2;
  const engine = await openEngine(ctx);
  const offWarnings = printWarnings(ctx, engine);
  try {
    const graphLib = await import("../../graph/index.js");
    const input = await engine.graphData();
    const full = graphLib.buildGraph(input);
    const style = makeStyle(ctx.stdout);

    if (flags.check) {
      const violations = graphLib.checkLayering(full, engine.config.layering);
      if (ctx.options.json)
        writeJson(ctx, {
          rules: engine.config.layering.length,
          violations: violations.map((v) => ({ from: v.from, to: v.to, rule: v.rule })),
        });
      else if (engine.config.layering.length === 0)
        ctx.stdout.write(
          'no layering rules in infra.json ("layering": [{ "from": "programs/**", "mustNotImport": "machines/**" }])\n',
        );
      else {
        for (const v of violations) {
          ctx.stdout.write(
            `${style.red("✗")} ${oneLine(v.from)} imports ${oneLine(v.to)}: breaks "${v.rule.from} must not import ${v.rule.mustNotImport}"${v.rule.description ? ` (${v.rule.description})` : ""}\n`,
          );
        }
        ctx.stdout.write(
          violations.length === 0
            ? `${style.green("✓")} ${engine.config.layering.length} layering rule(s) hold\n`
            : `${violations.length} violation(s)\n`,
        );
      }
      return violations.length > 0 ? 1 : 0;
    }
    if (flags.top !== undefined) {
      const n =
        typeof flags.top === "string"
          ? ((await numberOption("--top", flags.top, { integer: true, min: 1 })) ?? 20)
          : 20;
      const top = graphLib.topModules(full, n);
      if (ctx.options.json) writeJson(ctx, { modules: top.map((m) => ({ path: m.path, hosts: m.hosts })) });
      else for (const m of top) ctx.stdout.write(`${String(m.hosts).padStart(5)}  ${oneLine(m.path)}\n`);
      return 0;
    }
    if (flags.orphans) {
      const list = graphLib.orphans(input);
      if (ctx.options.json) writeJson(ctx, { orphans: list });
      else {
        for (const p of list) ctx.stdout.write(`${oneLine(p)}\n`);
        ctx.human.write(`${list.length} tracked .nix file(s) no target read\n`);
      }
      return 0;
    }

    const graph = flags.focus ? graphLib.focusSubgraph(full, flags.focus, depth) : full;
    const render: Record<Format, () => string> = {
      dot: () => graphLib.toDot(graph),
      mermaid: () => graphLib.toMermaid(graph),
      graphml: () => graphLib.toGraphml(graph),
      gexf: () => graphLib.toGexf(graph),
      json: () => graphLib.toJson(graph),
      html: () => graphLib.toHtml(graph, { title: `infra graph: ${engine.repoDir.split("/").pop()}` }),
    };
    const text = render[format]();
    if (flags.out) {
      writeFileSync(pathArg(ctx, flags.out), text);
      ctx.human.write(`wrote ${flags.out} (${format}, ${graph.order} nodes, ${graph.size} edges)\n`);
    } else ctx.stdout.file(text.endsWith("\n") ? text : `${text}\n`);
    return 0;
  } finally {
    offWarnings();
    await engine.close();
  }
}
