// infra.json: optional settings, validated with zod. Parsing is pure and returns every problem,
// each with the line it is on, instead of stopping at the first.
import {
  findNodeAtLocation,
  getNodeValue,
  type Node,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from "jsonc-parser";
import { z } from "zod";
import { BOUNDS } from "./bounds.js";

const name = z.string().min(1);
const glob = z.string().min(1);

const budget = z
  .object({
    /** Allowed growth of evaluation time, in percent of the baseline. */
    timePercent: z.number().nonnegative().optional(),
    /** ...and in milliseconds; a breach needs both to be exceeded. */
    timeMs: z.number().nonnegative().optional(),
    memoryPercent: z.number().nonnegative().optional(),
    memoryMB: z.number().nonnegative().optional(),
  })
  .strict();

export const configSchema = z
  .object({
    $schema: z.string().optional(),
    /** Folders (globs relative to the repo) not searched for flakes. */
    ignore: z.array(glob).default([]),
    /** Per-target settings, by target name. */
    hosts: z.record(name, z.object({ tags: z.array(name).default([]) }).strict()).default({}),
    /** Named groups of targets, usable wherever a name is. */
    groups: z.record(name, z.array(name)).default({}),
    /** Extra attributes to record with each value, as dotted paths from the configuration. */
    meta: z
      .record(name, z.string().regex(/^[^.]+(\.[^.]+)*$/, "expected a dotted attribute path"))
      .default({}),
    limits: z
      .object({
        timeoutSeconds: z.number().positive().max(BOUNDS.timeoutSeconds).default(300),
        memoryMB: z.number().int().positive().max(BOUNDS.memoryMB).default(4096),
      })
      .strict()
      .default({ timeoutSeconds: 300, memoryMB: 4096 }),
    /** Layering rules checked by `infra graph --check`. */
    layering: z
      .array(z.object({ from: glob, mustNotImport: glob, description: z.string().optional() }).strict())
      .default([]),
    ci: z
      .object({
        budget: budget.default({ timePercent: 25, timeMs: 200, memoryPercent: 20, memoryMB: 64 }),
        hosts: z.record(name, budget).default({}),
        samples: z.number().int().positive().max(20).default(3),
      })
      .strict()
      .default({
        budget: { timePercent: 25, timeMs: 200, memoryPercent: 20, memoryMB: 64 },
        hosts: {},
        samples: 3,
      }),
    deploy: z
      .object({
        backend: z.enum(["nixos-rebuild", "deploy-rs", "colmena"]).default("nixos-rebuild"),
        hosts: z
          .record(name, z.object({ targetHost: z.string().optional(), backend: z.string().optional() }))
          .default({}),
      })
      .default({ backend: "nixos-rebuild", hosts: {} }),
  })
  .strict();

export type InfraConfig = z.infer<typeof configSchema>;

export interface ConfigProblem {
  /** `hosts.web.tags[0]`-style path, "" for the whole file. */
  path: string;
  message: string;
  line: number;
  column: number;
}

export interface ParsedConfig {
  config: InfraConfig | undefined;
  errors: ConfigProblem[];
  warnings: ConfigProblem[];
}

function formatPath(path: PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join("");
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return { line, column };
}

/** Validates the text of an infra.json. */
export function parseConfig(text: string): ParsedConfig {
  const syntax: ParseError[] = [];
  const tree: Node | undefined = parseTree(text, syntax, {
    allowTrailingComma: false,
    disallowComments: true,
  });
  if (syntax.length > 0 || tree === undefined) {
    const first = syntax[0];
    const at = lineColumn(text, first?.offset ?? 0);
    return {
      config: undefined,
      errors: [
        {
          path: "",
          message: first ? `invalid JSON: ${printParseErrorCode(first.error)}` : "empty file",
          ...at,
        },
      ],
      warnings: [],
    };
  }
  const result = configSchema.safeParse(getNodeValue(tree));
  if (result.success) return { config: result.data, errors: [], warnings: [] };
  const errors = result.error.issues.map((issue) => {
    // Point at the deepest part of the path that exists in the file.
    let node: Node | undefined;
    for (let depth = issue.path.length; depth >= 0 && node === undefined; depth--) {
      node = findNodeAtLocation(tree, issue.path.slice(0, depth) as (string | number)[]);
    }
    let message = issue.message;
    if (issue.code === "unrecognized_keys")
      message = `unknown setting ${issue.keys.map((k) => `'${k}'`).join(", ")}`;
    return { path: formatPath(issue.path), message, ...lineColumn(text, node?.offset ?? 0) };
  });
  return { config: undefined, errors, warnings: [] };
}

/** The JSON schema published for editors (schema/infra.schema.json). */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: "input" });
}
