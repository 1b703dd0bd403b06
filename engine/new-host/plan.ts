// Everything `infra new host` decides before it writes a single file: the like host, its
// layout (learned from its recorded evaluation), how the flake lists hosts, which recipient
// files name it, and that no destination exists. Any refusal happens here, so a refused run
// leaves the repository and the key folder exactly as they were.
import { existsSync, lstatSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ed25519 } from "@noble/curves/ed25519.js";
import { ConfigError, UsageError } from "../../errors/index.js";
import type { Engine } from "../engine.js";
import { selectTargets } from "../fleet/select.js";
import type { Target } from "../fleet/targets.js";
import { findCreationRule, parseSopsConfig } from "../secrets/sops-config.js";
import { parseSshPublicKey, sshToAgeRecipient } from "../secrets/ssh-keys.js";
import { planAgenixEdit } from "./agenix-edit.js";
import { checkKeyDir, defaultKeyDir } from "./key-dir.js";
import { type Layout, learnLayout, secretKind } from "./layout.js";
import { type ListingPlan, planListing } from "./listing.js";
import { validateHostName } from "./names.js";
import { planSopsEdit } from "./sops-edit.js";
import { gitTop, ignoredPaths, trackedFiles, unstagedPaths } from "./tools.js";
import type { NewHostOptions } from "./types.js";

/** A recipient file that names the like host: its path (relative to the git top) and text. */
export interface RecipientFile {
  readonly file: string;
  readonly text: string;
}

export interface NewHostPlan {
  readonly name: string;
  readonly like: Target;
  /** Every other target's configuration name (whole-word matching). */
  readonly otherNames: ReadonlySet<string>;
  /** The git work tree; every path below is relative to it. */
  readonly top: string;
  readonly repoDir: string;
  readonly layout: Layout;
  readonly listing: ListingPlan;
  /** The private key's folder, absolute. */
  readonly keyDir: string;
  readonly publicKeyPath: string;
  /** The like host's public key line, when it has one. */
  readonly likeKey?: string;
  readonly agenix?: RecipientFile;
  readonly sops?: RecipientFile;
  /** Edited files git tracks (an untracked .sops.yaml is edited, not staged). */
  readonly tracked: ReadonlySet<string>;
  readonly notes: string[];
}

/**
 * A fresh, valid ed25519 public key line: the recipient edits are checked with it before the
 * real key exists (random, so it cannot be mistaken for a key the repository already lists).
 */
function placeholderKey(): string {
  const blob = (bytes: Uint8Array) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return Buffer.concat([length, bytes]);
  };
  const wire = Buffer.concat([
    blob(Buffer.from("ssh-ed25519")),
    blob(ed25519.getPublicKey(ed25519.utils.randomSecretKey())),
  ]);
  return `ssh-ed25519 ${wire.toString("base64")}`;
}

/** The age recipient of an ssh-ed25519 key line, if it is one. */
export function recipientOf(line: string): string | undefined {
  const parsed = parseSshPublicKey(line);
  return parsed.ok ? sshToAgeRecipient(parsed.key) : undefined;
}

function pickLike(hosts: Target[], options: NewHostOptions): Target {
  if (options.like !== undefined) {
    const [like] = selectTargets(hosts, [options.like]);
    if (options.kind !== undefined && like!.kind !== options.kind) {
      throw new UsageError(`${like!.name} is a ${like!.kind} target, not ${options.kind}`, {
        hints: ["Leave --kind out, or pick a --like host of that kind."],
      });
    }
    return like!;
  }
  const kind = options.kind ?? "nixos";
  const like = hosts.find((h) => h.kind === kind);
  if (like === undefined) {
    throw new UsageError(`there is no ${kind} target to learn the layout from`, {
      hints: ["Name one with --like HOST (`infra hosts` lists them)."],
    });
  }
  return like;
}

/** The text of a file, or undefined when it is not a readable text file. */
function readText(abs: string): string | undefined {
  try {
    const bytes = readFileSync(abs);
    if (bytes.includes(0)) return undefined;
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function exists(abs: string): boolean {
  try {
    lstatSync(abs);
    return true;
  } catch {
    return false;
  }
}

/** agenix's rules file, as `infra secrets` finds it: configured, else secrets.nix beside .age files. */
function agenixFile(engine: Engine, tracked: readonly string[]): string | undefined {
  const folderOf = (f: string) => (f.includes("/") ? f.slice(0, f.lastIndexOf("/")) : "");
  const ageFolders = new Set(tracked.filter((f) => f.endsWith(".age")).map(folderOf));
  const files =
    engine.config.secrets.agenixRules ??
    tracked
      .filter((f) => (f === "secrets.nix" || f.endsWith("/secrets.nix")) && ageFolders.has(folderOf(f)))
      .sort();
  return files[0];
}

export async function planNewHost(engine: Engine, options: NewHostOptions): Promise<NewHostPlan> {
  const { name } = options;
  validateHostName(name);
  const repoDir = engine.repoDir;
  const top = await gitTop(repoDir);
  if (top === undefined) {
    throw new UsageError(`${repoDir} is not in a git repository`, {
      hints: ["infra new host stages what it writes (flakes see tracked files only): run `git init` first."],
    });
  }
  const toTop = (rel: string) => relative(top, join(repoDir, rel)) || ".";
  const show = (topRel: string) => relative(repoDir, join(top, topRel)) || ".";
  const { hosts, errors } = await engine.hosts();
  if (errors.length > 0) {
    throw new ConfigError(
      `the targets of flake ${errors[0]!.flake} could not be listed: ${errors[0]!.error.message}`,
      {
        hints: [
          "Fix the flake first (`infra hosts` shows the error): a new host's name must not clash with one of its targets.",
        ],
      },
    );
  }
  const taken = hosts.find((h) => h.attrName === name || h.name === name);
  if (taken) {
    throw new UsageError(`${name} is already a target (${taken.attr} in flake ${taken.flake})`, {
      hints: ["Pick another name: infra new host never overwrites a host."],
    });
  }
  const like = pickLike(hosts, options);
  const otherNames = new Set(hosts.filter((h) => h.id !== like.id).map((h) => h.attrName));

  // The layout, from what the like host's evaluation read (cached when nothing changed).
  const [result] = (await engine.evaluate({ names: [like.name] })).hosts;
  if (result === undefined || result.status === "failed") {
    throw new ConfigError(
      `${like.name} does not evaluate, so its layout cannot be learned: ${result?.error?.message ?? "no result"}`,
      {
        hints: ["Fix it (`infra eval` shows the error), or pick another --like host."],
      },
    );
  }
  if (result.mode === "untraced" || !result.dependencies.some((d) => d.kind === "file")) {
    throw new ConfigError(
      `${like.name}'s evaluation recorded no files it read, so its layout cannot be learned`,
      {
        hints: ["Install strace (apt-get install strace): infra records what each evaluation reads with it."],
      },
    );
  }
  const tracked = await trackedFiles(top);
  const sopsRel = engine.config.secrets.sopsConfig;
  const sopsText = existsSync(join(top, sopsRel)) ? readText(join(top, sopsRel)) : undefined;
  const sopsConfig = sopsText === undefined ? undefined : parseSopsConfig(sopsText, sopsRel);
  const template = engine.config.secrets.hostKeys;
  const likeKeyPath = template.replaceAll("{name}", like.attrName);
  const publicKeyPath = template.replaceAll("{name}", name);
  const learn = (readByOthers: ReadonlySet<string>) =>
    learnLayout({
      like: like.attrName,
      name,
      otherNames,
      dependencies: result.dependencies.map((d) => ({ kind: d.kind, path: toTop(d.path) })),
      readByOthers,
      tracked,
      secretReason: (path) =>
        secretKind(path, readText(join(top, path))?.slice(0, 64 * 1024), {
          hostKeyPath: likeKeyPath,
          sopsManaged: (p) =>
            sopsConfig !== undefined && findCreationRule(sopsConfig, p).rule?.pathRegex !== undefined,
        }),
    });
  const readByOthers = async () => {
    const graph = await engine.graphData();
    const files = graph.targets
      .filter((t) => t.id !== like.id)
      .flatMap((t) => t.deps.filter((d) => d.kind === "file").map((d) => toTop(d.path)));
    const unknown = graph.targets.filter((t) => t.status === "unknown" && t.flake === like.flake);
    return { files: new Set(files), unknown: unknown.map((t) => t.name) };
  };
  let others = await readByOthers();
  let layout = learn(others.files);
  // A file named after the like host may be shared (`roles/web.nix` of a host called web): that
  // is known only from what the other hosts of its flake read, so those never evaluated are.
  if (layout.units.some((u) => u.kind === "file") && others.unknown.length > 0) {
    await engine.evaluate({ names: others.unknown });
    others = await readByOthers();
    layout = learn(others.files);
  }
  if (layout.units.length === 0) {
    throw new ConfigError(
      `could not learn ${like.name}'s layout: none of the files its evaluation read is named after it`,
      {
        hints: ["infra copies the files and folders named after the --like host; pick a host that has some."],
      },
    );
  }

  const flakeRel = toTop(like.flake);
  const inFlake = (p: string) => flakeRel === "." || p.startsWith(`${flakeRel}/`);
  const nixFiles = layout.sharedReads
    .filter((p) => p.endsWith(".nix") && inFlake(p))
    .flatMap((path) => {
      const text = readText(join(top, path));
      return text === undefined ? [] : [{ path, text }];
    });
  const notes: string[] = [];
  const listing = planListing({
    like: like.attrName,
    name,
    otherNames,
    files: nixFiles,
    autoDiscovered: layout.autoDiscovered,
  });

  // Recipients: the like host's key, where the repository lists it.
  const deployKey = engine.config.deploy.targets[like.name]?.hostKey;
  const likeKey =
    deployKey ?? (existsSync(join(top, likeKeyPath)) ? readText(join(top, likeKeyPath))?.trim() : undefined);
  let agenix: RecipientFile | undefined;
  let sops: RecipientFile | undefined;
  if (likeKey !== undefined && parseSshPublicKey(likeKey).ok) {
    const placeholder = placeholderKey();
    const rules = agenixFile(engine, tracked);
    const rulesText = rules === undefined ? undefined : readText(join(top, rules));
    if (rules !== undefined && rulesText !== undefined) {
      const edit = planAgenixEdit({
        file: rules,
        text: rulesText,
        like: like.attrName,
        name,
        likeKey,
        newKey: `${placeholder} root@${name}`,
      });
      if (edit) agenix = { file: rules, text: rulesText };
      else notes.push(`${show(rules)} does not list ${like.name}'s key, so ${name} was not added there.`);
    }
    const likeRecipient = recipientOf(likeKey);
    if (sopsText !== undefined && likeRecipient !== undefined) {
      const edit = planSopsEdit({
        file: sopsRel,
        text: sopsText,
        like: like.attrName,
        name,
        likeRecipient,
        newRecipient: recipientOf(placeholder)!,
      });
      if (edit) sops = { file: sopsRel, text: sopsText };
      else
        notes.push(
          `${show(sopsRel)} does not list ${like.name}'s age recipient, so ${name} was not added there.`,
        );
    }
  } else {
    notes.push(
      `${like.name} has no usable host key at ${show(likeKeyPath)}, so no recipient list was changed: add ${name}'s key where ${like.name}'s would be.`,
    );
  }

  // Nothing may exist where anything is written, and git must track what is written.
  const created = [...layout.units.map((u) => u.to), ...layout.copies.map((c) => c.to), publicKeyPath];
  const clashes = [...new Set(created)].filter((p) => exists(join(top, p)));
  if (clashes.length > 0) {
    throw new UsageError(
      `${clashes.map(show).join(", ")} already exist${clashes.length === 1 ? "s" : ""}: infra new host never overwrites anything`,
      {
        hints: ["Pick another name, or remove what is there if it is left over."],
      },
    );
  }
  const ignored = await ignoredPaths(top, [...new Set([...layout.copies.map((c) => c.to), publicKeyPath])]);
  if (ignored.length > 0) {
    throw new ConfigError(`git ignores ${ignored.join(", ")}, so the flake would not see it`, {
      hints: ["Change .gitignore so the new host's files can be tracked."],
    });
  }
  const edited = [listing.edit?.file, agenix?.file, sops?.file].filter((f): f is string => f !== undefined);
  if (new Set(edited).size < edited.length) {
    throw new ConfigError(
      `${edited.find((f, i) => edited.indexOf(f) !== i)} both lists hosts and holds recipients`,
      {
        hints: ["Add the new host to it by hand."],
      },
    );
  }
  const trackedSet = new Set(tracked);
  const dirty = await unstagedPaths(
    top,
    edited.filter((f) => trackedSet.has(f)),
  );
  if (dirty.length > 0) {
    throw new UsageError(
      `${dirty.join(", ")} ha${dirty.length === 1 ? "s" : "ve"} changes git has not staged; staging the new host's edit would stage them too`,
      {
        hints: ["Commit, stage or stash those changes first."],
      },
    );
  }
  const keyDir = await checkKeyDir(
    options.keyDir ?? defaultKeyDir(options.env ?? process.env, repoDir, name),
    top,
  );
  if (sops !== undefined && !trackedSet.has(sops.file))
    notes.push(`${show(sops.file)} is not tracked by git: it is edited, not staged.`);
  for (const m of listing.mentions)
    notes.push(`${show(m.file)}:${m.line} also names ${like.attrName}: ${m.text}`);
  return {
    name,
    like,
    otherNames,
    top,
    repoDir,
    layout,
    listing,
    keyDir,
    publicKeyPath,
    ...(likeKey !== undefined ? { likeKey } : {}),
    ...(agenix ? { agenix } : {}),
    ...(sops ? { sops } : {}),
    tracked: new Set(edited.filter((f) => trackedSet.has(f))),
    notes,
  };
}
