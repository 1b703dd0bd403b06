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

const backend = z.enum(["ssh", "nixos-rebuild", "colmena", "deploy-rs"]);
const buildOn = z.enum(["local", "remote"]);

const deployTarget = z
  .object({
    /** Host name or address (default: the flake's deploy-rs/colmena setting, else the name). */
    host: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    user: z.string().min(1).optional(),
    /** ssh arguments for this target, before the fleet's (so they win). */
    sshOptions: z.array(z.string()).optional(),
    backend: backend.optional(),
    buildOn: buildOn.optional(),
    /** The host's public key (`ssh-ed25519 AAAA…`): ssh then accepts this key only. */
    hostKey: z.string().min(1).optional(),
    /** The profile to set (default: the system profile; home-manager's for home targets). */
    profile: z.string().min(1).optional(),
    /** Tags: `@tag` on the command line selects every target carrying it. */
    tags: z.array(name).optional(),
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
    /** Where each target is and how to deploy it (`infra deploy`, `infra plan`). */
    deploy: z
      .object({
        /** Who copies and activates, unless a target says otherwise. */
        backend: backend.default("ssh"),
        goal: z.enum(["switch", "boot", "test", "dry-activate"]).default("switch"),
        /** Targets deployed at once. */
        jobs: z.number().int().positive().max(BOUNDS.jobs).default(4),
        buildOn: buildOn.default("local"),
        /** ssh arguments for every target, after a target's own (ssh keeps the first value it gets). */
        sshOptions: z.array(z.string()).default([]),
        /** ssh's ConnectTimeout: how long an unreachable target may take to fail. */
        connectTimeoutSeconds: z.number().int().positive().max(3600).default(10),
        /** Per target (by name): overrides what the flake's deploy-rs or colmena settings say. */
        targets: z.record(name, deployTarget).default({}),
      })
      .strict()
      .default({
        backend: "ssh",
        goal: "switch",
        jobs: 4,
        buildOn: "local",
        sshOptions: [],
        connectTimeoutSeconds: 10,
        targets: {},
      }),
    /** The secret contract (`infra secrets`): where host keys, rules and admins are. */
    secrets: z
      .object({
        /** A host's public SSH key, `{name}` standing for the target's name. */
        hostKeys: z.string().min(1).default("hosts/{name}/ssh_host_ed25519_key.pub"),
        /** agenix's rule files (default: every tracked secrets.nix). */
        agenixRules: z.array(z.string().min(1)).optional(),
        /** sops' creation rules. */
        sopsConfig: z.string().min(1).default(".sops.yaml"),
        /** People (or CI) who may hold secrets: name → SSH key lines, age recipients or .pub files. */
        admins: z.record(name, z.array(z.string().min(1))).default({}),
        /** Check secrets before deploying (`--skip-secrets-check` overrides, loudly). */
        gateDeploy: z.boolean().default(true),
        /** Report failed secret checks in `infra ci`. */
        gateCi: z.boolean().default(true),
      })
      .strict()
      .default({
        hostKeys: "hosts/{name}/ssh_host_ed25519_key.pub",
        sopsConfig: ".sops.yaml",
        admins: {},
        gateDeploy: true,
        gateCi: true,
      }),
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
