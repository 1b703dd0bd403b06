// infra's command line as a function: parses, dispatches to a command, and maps errors to exit
// codes in one place. Commands load lazily, so `infra --help` never opens a cache or starts Nix.
// It touches no process globals: main.ts runs it for this process, cli/server.ts for a client.
import { Command, CommanderError } from "commander";
import pkg from "../package.json" with { type: "json" };
import type { CliContext, CliIO, GlobalOptions } from "./context.js";
import { formatFatal } from "./render/error.js";
import { makeStyle } from "./render/style.js";

const EXAMPLES = `
Examples:
  infra hosts                      list every NixOS, nix-darwin and home-manager target
  infra eval                       evaluate everything; only what changed runs Nix again
  infra eval web1 db1 --json       evaluate two hosts, machine-readable
  infra affected modules/base.nix  which targets a change reaches (from the recorded traces)
  infra graph --out fleet.html     an interactive picture of who depends on what
  infra watch                      keep every target current while you edit
  infra ci --since origin/main     measure what a change affects against a baseline
  infra plan                       what a deploy would change on each machine, with closure diffs
  infra deploy @web                deploy a group; only machines not running their toplevel change
  infra cache stats                where the cache is and what it holds

Every command takes --repo DIR (default: the current folder), --json and --cache-dir DIR.
Exit codes: 0 ok, 1 an evaluation failed, 2 usage or config error, 70 internal error, 130 interrupted.`;

function withCommon(cmd: Command): Command {
  return cmd
    .option("--repo <dir>", "the fleet's folder (default: current folder)")
    .option("--json", "machine-readable output on stdout")
    .option("--cache-dir <dir>", "cache root (default: $INFRA_CACHE_DIR or ~/.cache/infra)")
    .option("--debug", "show stack traces for errors")
    .option("--no-server", "run here even when a warm server (infra serve) runs for this repository");
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const { stdout, stderr } = io;
  let debug = argv.includes("--debug");
  let exitCode = 0;
  const ctxFor = (cmd: Command): CliContext => {
    const options = cmd.optsWithGlobals() as GlobalOptions;
    debug = options.debug === true;
    return {
      options,
      stdout,
      stderr,
      human: options.json ? stderr : stdout,
      signal: io.signal,
      cwd: io.cwd,
      env: io.env,
      engines: io.engines,
      run: runCli,
    };
  };

  const program = new Command("infra")
    .description("Fast, incremental evaluation of Nix fleets, with a dependency graph you can query.")
    .version(pkg.version, "-V, --version", "print infra's version")
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: (text) => stdout.file(text), writeErr: (text) => stderr.file(text) })
    .addHelpText("after", EXAMPLES);
  withCommon(program);

  withCommon(program.command("hosts"))
    .description("list the targets every flake in the repo defines")
    .addHelpText(
      "after",
      `
Targets are the entries of nixosConfigurations, darwinConfigurations and homeConfigurations in
every tracked flake.nix below --repo. Names clash? Then kind:name, or <flake folder>#name.
JSON: {"hosts":[{"name","kind","flake","attr"}]}`,
    )
    .action(async (_opts, cmd: Command) => {
      const { hostsCommand } = await import("./commands/hosts.js");
      exitCode = await hostsCommand(ctxFor(cmd));
    });

  withCommon(program.command("eval"))
    .description("evaluate targets with real Nix, re-using every result whose inputs did not change")
    .argument("[names...]", "targets (names, kind:name, flake#name or infra.json groups); default: all")
    .option("-j, --jobs <n>", "parallel evaluations (default: number of cores)")
    .option("--no-cache", "evaluate everything again (the results are still recorded)")
    .option("--timeout <seconds>", "stop an evaluation after this long (default 300)")
    .option("--max-memory <mb>", "memory limit per evaluation (default 4096)")
    .option("--exact", "evaluate as `nix eval` does, from a store copy of the tree (slower; for checking)")
    .addHelpText(
      "after",
      `
Each target is evaluated in its own nix process while infra records every file, folder and
flake input it read; the next run re-evaluates only targets whose recorded inputs changed.
Failures are cached too, until something they read changes.

JSON: {"hosts":[{"name","kind","attr","status":"evaluated"|"cached"|"failed","drvPath",
       "outPath","durationMs","dependencies","error":{"message","file","line","column"}}],
       "summary":{"evaluated","cached","failed","durationMs"}}
Exit: 0 when every target evaluated, 1 when one failed.`,
    )
    .action(async (names: string[], opts, cmd: Command) => {
      const { evalCommand } = await import("./commands/eval.js");
      exitCode = await evalCommand(ctxFor(cmd), names, opts);
    });

  withCommon(program.command("affected"))
    .description("which targets a change affects, answered from the recorded traces")
    .argument("[paths...]", "changed paths (relative to the current folder)")
    .option("--since <ref>", "everything that changed since this git ref (committed and not)")
    .option("--eval", "evaluate never-evaluated targets first instead of reporting them as unknown")
    .addHelpText(
      "after",
      `
A target is affected when its last evaluation read a given path, listed the folder a path was
added to or removed from, used a changed flake.lock input, or used self (every tracked file).
Nothing is evaluated: targets never evaluated are reported as unknown (and counted as affected).

JSON: {"hosts":[names],"reasons":{"<name>":["<path>"]},"unknown":[names],"changes":[...],"ignored":[...]}`,
    )
    .action(async (paths: string[], opts, cmd: Command) => {
      const { affectedCommand } = await import("./commands/affected.js");
      exitCode = await affectedCommand(ctxFor(cmd), paths, opts);
    });

  withCommon(program.command("graph"))
    .description("export or analyse the dependency graph (hosts → modules → files → inputs)")
    .option(
      "--format <format>",
      "dot | mermaid | graphml | gexf | json | html (default: from --out, else dot)",
    )
    .option("--out <file>", "write to a file instead of stdout")
    .option("--focus <name|path>", "only the neighbourhood of a host, module, file or input")
    .option("--depth <n>", "neighbourhood depth for --focus (default 2)")
    .option("--top [n]", "modules ranked by how many targets read them (blast radius)")
    .option("--orphans", "tracked .nix files that no target reads")
    .option("--check", "check the layering rules of infra.json; exit 1 naming each offending import")
    .addHelpText(
      "after",
      `
Built from the recorded traces (run infra eval first); module → module imports come from a
static scan of imports = [ ... ] lists. The html format is one self-contained interactive page.

Examples:
  infra graph --out fleet.html                 open it in a browser: search, click, explore
  infra graph --focus modules/base.nix --format mermaid
  infra graph --top 10
  infra graph --check                          e.g. {"layering":[{"from":"programs/**","mustNotImport":"machines/**"}]}`,
    )
    .action(async (opts, cmd: Command) => {
      const { graphCommand } = await import("./commands/graph.js");
      exitCode = await graphCommand(ctxFor(cmd), opts);
    });

  withCommon(program.command("ci"))
    .description("evaluate what changed and fail when a target's evaluation time or memory regresses")
    .argument("[names...]", "targets to measure (default: all, or what --since affects)")
    .option("--since <ref>", "measure only the targets affected by changes since this git ref")
    .option("--baseline <file>", "baseline to compare with (default: infra-baseline.json in the repo folder)")
    .option("--update-baseline", "write the measurements to the baseline file")
    .option("--junit <file>", "write JUnit XML (one test case per measured target)")
    .option("--summary <file>", "write a markdown summary for a pull-request comment")
    .addHelpText(
      "after",
      `
Each measured target is evaluated without the cache and its evaluation time and peak memory
(the nix process's max RSS) are compared with the baseline, within the budgets of infra.json
("ci": {"budget": {"timePercent", "timeMs", "memoryPercent", "memoryMB"}, "hosts": {...},
"samples"}). A target is over budget only when both its relative and absolute growth exceed
them; close calls are sampled again (up to "samples" times) and judged on the median.
Exit 1 when an evaluation fails or a budget is broken.`,
    )
    .action(async (names: string[], opts, cmd: Command) => {
      const { ciCommand } = await import("./commands/ci.js");
      exitCode = await ciCommand(ctxFor(cmd), names, opts);
    });

  withCommon(program.command("deploy"))
    .description("deploy evaluated targets to their machines: only those not running their toplevel")
    .argument("[names...]", "targets (names, @group, @tag); default: all")
    .option(
      "--goal <goal>",
      "switch | boot | test | dry-activate (default: infra.json deploy.goal, else switch)",
    )
    .option(
      "--backend <backend>",
      "ssh | nixos-rebuild | colmena | deploy-rs (default: infra.json, else ssh)",
    )
    .option("--dry-run", "print the plan (as infra plan does) and change nothing")
    .option("-j, --jobs <n>", "targets built, copied and activated at once (default 4)")
    .option("--skip-secrets-check", "deploy even where the secrets check would refuse (says so loudly)")
    .addHelpText(
      "after",
      `
Per target, in parallel, one failure never stopping the others: its evaluation (from the cache
when it still holds; a failed one is skipped, never deployed), one ssh round trip asking what it
runs (the same toplevel: up to date, nothing else happens), a local build of the derivation,
nix copy, the profile, the activation. A failed activation puts the previous generation back and
activates it again. ssh is your own: your ssh_config, agent and known_hosts.

Where each target is: infra.json deploy.targets.<name> (host, port, user, sshOptions, backend,
buildOn, hostKey, profile, tags), else the flake's deploy-rs deploy.nodes.<name> or colmena hive,
else the target's name as the host.

JSON: {"hosts":[{"name","host","status":"deployed"|"up-to-date"|"failed"|"skipped","current",
       "next","goal","backend","durationMs","error","rolledBack"}],
       "summary":{"deployed","upToDate","failed","skipped","durationMs"}}
Exit: 0 when every target is deployed or up to date, 1 when one failed or was skipped.`,
    )
    .action(async (names: string[], opts, cmd: Command) => {
      const { deployCommand } = await import("./commands/deploy.js");
      exitCode = await deployCommand(ctxFor(cmd), names, opts);
    });

  withCommon(program.command("plan"))
    .description("what infra deploy would do on each machine, with the closure diff; changes nothing there")
    .argument("[names...]", "targets (names, @group, @tag); default: all")
    .option("--goal <goal>", "the goal deploy would use (decides what counts as up to date)")
    .option("-j, --jobs <n>", "targets built at once (default 4)")
    .addHelpText(
      "after",
      `
Per target: new (nothing deployed), up-to-date, changed (with the packages whose versions or
size change and the closure size before and after), unreachable (asked, never guessed), or
skipped (its evaluation failed). The next toplevel is built locally; the running closure is
read from the target with nix-store; nothing is copied to or activated on a target.

JSON: {"hosts":[{"name","host","status","current","next","sizeDelta",
       "packages":[{"name","before","after","sizeDelta"}],"closureSize":{"before","after"},"error"}],
       "summary":{"new","upToDate","changed","unreachable","skipped"}}
Exit: 1 when a target is unreachable or skipped, else 0.`,
    )
    .action(async (names: string[], opts, cmd: Command) => {
      const { planCommand } = await import("./commands/plan.js");
      exitCode = await planCommand(ctxFor(cmd), names, opts);
    });

  withCommon(program.command("watch"))
    .description("evaluate, then re-evaluate exactly what each saved change affects")
    .argument("[names...]", "targets to keep current (default: all)")
    .option("--debounce <ms>", "quiet time after the last change before evaluating (default 80)")
    .option("-j, --jobs <n>", "parallel evaluations (default: number of cores)")
    .option("--no-serve", "do not answer this repository's other commands meanwhile (see infra serve)")
    .addHelpText(
      "after",
      `
While it watches, it also serves: hosts, eval, affected, graph and ci of this repository run in
its warm engine (as with infra serve), unless --no-serve.

Watches exactly what the evaluations read (files, listed folders, flake.nix/flake.lock, and git's
index so that \`git add\` is seen). A change to a target that is being evaluated cancels and
re-queues it. Ctrl-C stops (exit 130); nix processes are killed and the cache stays consistent.

--json prints one object per line: {"type":"result",...eval's host fields} for the first
evaluation, then {"type":"ready"}, and for each batch of changes {"type":"change","paths":[...]},
a "result" line per re-evaluated target, and {"type":"idle"}.`,
    )
    .action(async (names: string[], opts, cmd: Command) => {
      const { watchCommand } = await import("./commands/watch.js");
      exitCode = await watchCommand(ctxFor(cmd), names, opts);
    });

  withCommon(program.command("secrets"))
    .description("check that every host's declared secrets exist, are encrypted, and are encrypted for it")
    .argument("[names...]", "targets to check (default: all)")
    .option("--out <file.html>", "also write the secret browser: a searchable page of hosts and secrets")
    .addHelpText(
      "after",
      `
Declarations come from each host's evaluation (sops-nix sops.secrets.<name>, agenix
age.secrets.<name>), cached like any other; the files are checked from their headers only (at
most 64 KiB each): tracked by git, really encrypted, encrypted for the host's key (from
infra.json secrets.hostKeys, default hosts/{name}/ssh_host_ed25519_key.pub), the sops key
present, agenix's secrets.nix and .sops.yaml agreeing with the files. infra never decrypts or
reads a secret's value.

Statuses: ok, missing, untracked, plaintext, not-for-host, no-such-key, unknown-host-key,
invalid; each failure comes with the command that fixes it (agenix --rekey, sops updatekeys).
Exit 1 when a check fails.`,
    )
    .action(async (names: string[], opts, cmd: Command) => {
      const { secretsCommand } = await import("./commands/secrets.js");
      exitCode = await secretsCommand(ctxFor(cmd), names, opts);
    });

  withCommon(program.command("serve"))
    .description("keep this repository's engine warm for every other command (a resident server)")
    .option("--status", "say whether a server runs for this repository, and what it has done")
    .option("--stop", "stop the server of this repository")
    .option("-j, --jobs <n>", "parallel evaluations (default: number of cores)")
    .addHelpText(
      "after",
      `
Runs in the foreground until Ctrl-C or \`infra serve --stop\`. While it runs, hosts, eval, affected,
graph and ci for the same repository and cache run inside it: the cache stays open and the
worker threads warm, so a command costs its evaluations and little else. Output, JSON and exit
codes are exactly those of running in-process, and every answer is verified as a cold one is.

It listens on a Unix socket in the repository's cache folder (mode 0600: only you can use it).
A client uses it only when it runs the same build of infra with the same Nix and settings;
otherwise, and with --no-server or INFRA_NO_SERVER=1, the command runs in its own process.
Nothing starts a server by itself: run infra serve (or infra watch, which serves too).`,
    )
    .action(async (opts, cmd: Command) => {
      const { serveCommand } = await import("./commands/serve.js");
      exitCode = await serveCommand(ctxFor(cmd), opts);
    });

  const create = program.command("new").description("add to the fleet in the repository's own layout");
  withCommon(create.command("host"))
    .description(
      "add a host like an existing one: its files, its SSH key pair, its place among the recipients",
    )
    .argument("<name>", "the new host's name (letters, digits, '_' and '-'; not starting with '-')")
    .option("--like <host>", "the host whose layout and files to copy (default: the first target of --kind)")
    .option(
      "--kind <kind>",
      "nixos | darwin | home: the kind of host to copy when --like is not given (default nixos)",
    )
    .option(
      "--key-dir <dir>",
      "where the private key goes (default: $XDG_DATA_HOME/infra/host-keys/<repo>/<name>/)",
    )
    .addHelpText(
      "after",
      `
The layout is learned from the --like host's recorded evaluation: the files and folders named
after it are copied under the new name (its name replaced as a whole word; secrets and key
files never copied); if the flake lists its hosts folder (builtins.readDir) nothing else is
needed, else the one line that names the like host gets a twin beside it. ssh-keygen makes the
host's ed25519 key pair: the private key goes to --key-dir (outside the repository, or a folder
git ignores), the public key where infra.json secrets.hostKeys says. agenix's secrets.nix and
.sops.yaml list the new host wherever they list the like host. Then it prints what needs
re-encrypting (agenix --rekey, sops updatekeys FILE), stages exactly what it wrote and
evaluates the new host. It never overwrites anything: if a destination exists it writes nothing.

JSON: {"name","kind","like","written":[paths],"hostKey":{"public","private"},
       "recipientsUpdated":[paths],"rekey":[{"secret","file","command","cwd"}],
       "evaluation":{"status","drvPath","error"},"listing","skipped","secretProblems","notes"}
Exit: 0 written and evaluated, 1 written but the new host does not evaluate, 2 refused.`,
    )
    .action(async (name: string, opts, cmd: Command) => {
      const { newHostCommand } = await import("./commands/new-host.js");
      exitCode = await newHostCommand(ctxFor(cmd), name, opts);
    });

  const cache = program.command("cache").description("inspect or reset the evaluation cache");
  for (const [action, description] of [
    ["stats", "where the cache is and how much it holds"],
    ["prune", "drop old traces (keeps the newest --keep per target)"],
    ["clear", "forget everything (results are computed again on the next run)"],
  ] as const) {
    const sub = withCommon(cache.command(action)).description(description);
    if (action === "prune") {
      sub.option("--keep <n>", "traces to keep per target (default 4)");
      sub.option("--older-than <days>", "also drop traces not used for this many days");
    }
    sub.action(async (opts, cmd: Command) => {
      const { cacheCommand } = await import("./commands/cache.js");
      exitCode = await cacheCommand(ctxFor(cmd), action, opts);
    });
  }

  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return 2;
    }
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    const style = makeStyle(stderr);
    if (error instanceof CommanderError) {
      // Help and --version are not errors; anything else commander rejects is a usage error.
      return error.exitCode === 0 ||
        error.code === "commander.helpDisplayed" ||
        error.code === "commander.version"
        ? 0
        : 2;
    }
    const { isInfraError, ExitCode } = await import("../errors/index.js");
    if (isInfraError(error)) {
      if (error.exitCode === ExitCode.interrupted || io.signal.aborted) return ExitCode.interrupted;
      stderr.write(formatFatal(error, style, debug));
      return error.exitCode;
    }
    if (io.signal.aborted) return ExitCode.interrupted;
    const err = error as Error;
    stderr.write(
      formatFatal(
        {
          message: `internal error: ${err?.message ?? String(error)}`,
          hints: debug ? [] : ["Run again with --debug for details, and please report it."],
          stack: err?.stack,
        },
        style,
        debug,
      ),
    );
    return ExitCode.internal;
  }
}
