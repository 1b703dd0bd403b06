// The Nix text of a generated benchmark fleet. Pure: fleet.ts writes these to disk. The module
// system, the package set and the core modules are copied from examples/fleet, so the benchmark
// exercises the same kind of code as a real fleet instead of a second, simpler one.
import {
  type FleetOptions,
  foldLength,
  hostName,
  programsOf,
  roleOf,
  selfHostIndex,
  sharedOfRole,
} from "./fleet-layout.js";

/** Files copied verbatim from examples/fleet (relative to it). */
export const COPIED_FROM_EXAMPLE = [
  "lib",
  "pkgs",
  "modules/environment.nix",
  "modules/system.nix",
  "modules/base.nix",
  "modules/networking.nix",
  "modules/ssh.nix",
  "modules/nix-settings.nix",
] as const;

/** The lock file of a flake without inputs. */
export const FLAKE_LOCK = `${JSON.stringify({ nodes: { root: {} }, root: "root", version: 7 }, null, 2)}\n`;

/** Packages of pkgs/default.nix the generated modules pick from. */
const PACKAGES = ["bash", "curl", "git", "htop", "jq", "nginx", "python3", "rsync", "tmux", "zsh"];

export function flakeNix(options: FleetOptions): string {
  return `{
  description = "infra benchmark fleet: ${options.hosts} hosts, ${options.roles} roles, ${options.sharedModules} shared modules";

  inputs = { };

  outputs = { self }:
    let
      lib = import ./lib;

      # Loaded on every host, after hosts/<name>/default.nix (see lib/mkHost.nix).
      sharedModules = [
        ./modules/base.nix
        ./modules/networking.nix
        ./modules/ssh.nix
        ./modules/nix-settings.nix
        ./modules/fleet.nix
      ];

      mkHost = import ./lib/mkHost.nix {
        inherit lib self sharedModules;
        hostsDir = ./hosts;
      };

      # Every directory in hosts/ is a machine.
      hostNames = builtins.attrNames
        (lib.filterAttrs (_: type: type == "directory") (builtins.readDir ./hosts));
    in
    {
      inherit lib;
      nixosConfigurations = lib.genAttrs hostNames mkHost;
    };
}
`;
}

/**
 * Options every host shares, and the benchmark's weight: a strict fold whose result is an option
 * value, so it lands in the toplevel derivation's configuration dump and Nix cannot skip it.
 */
export const FLEET_MODULE = `# Fleet-wide options, and the benchmark's knob: \`fleet.work\` steps of a strict fold per host.
# Its result is an option value, so it ends up in the toplevel derivation (system.nix dumps the
# configuration into it) and Nix cannot skip the work.
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
  cfg = config.fleet;
  seed = builtins.stringLength config.networking.hostName + cfg.hardwareRevision;
in
{
  options.fleet = {
    role = mkOption { type = types.str; default = "none"; };
    work = mkOption { type = types.int; default = 0; description = "Steps of the busy fold."; };
    checksum = mkOption {
      type = types.int;
      default = builtins.foldl' (acc: x: builtins.bitXor acc (x * 31)) seed
        (builtins.genList (i: i + seed) cfg.work);
    };
    hardwareRevision = mkOption { type = types.int; default = 0; };
    tags = mkOption { type = types.listOf types.str; default = [ ]; };
  };

  config.environment.etc."fleet/host.json".text = builtins.toJSON {
    inherit (cfg) role tags;
    host = config.networking.hostName;
  };
}
`;

export function sharedModuleNix(i: number): string {
  const pkg = PACKAGES[i % PACKAGES.length]!;
  return `# Shared module ${i}: imported by the roles (see roles/). Edits bump \`revision\`.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkIf mkOption types;
  cfg = config.fleet.shared.s${i};
  revision = 0;
in
{
  options.fleet.shared.s${i} = {
    enable = mkOption { type = types.bool; default = true; };
    level = mkOption { type = types.int; default = ${i % 5}; };
    peers = mkOption { type = types.listOf types.str; default = [ ]; };
  };

  config = mkIf cfg.enable {
    environment.systemPackages = [ pkgs.${pkg} ];
    environment.variables.FLEET_SHARED_${i} = "level-\${toString cfg.level}-rev-\${toString revision}";
    environment.shellAliases.s${i} = "echo shared-${i}";
    environment.etc."fleet/shared-${i}.conf".text = ''
      # shared module ${i}
      level = \${toString cfg.level}
      host = \${config.networking.hostName}
      peers = \${lib.concatStringsSep "," cfg.peers}
    '';
    fleet.tags = [ "shared-${i}" ];
  };
}
`;
}

export function roleNix(role: number, options: FleetOptions): string {
  const imports = sharedOfRole(role, options).map((s) => `    ../modules/shared-${s}.nix`);
  const first = sharedOfRole(role, options)[0];
  const peers =
    first === undefined ? "" : `\n  fleet.shared.s${first}.peers = [ "role-${role}-a" "role-${role}-b" ];`;
  return `# Role ${role}: a few shared modules and role-wide settings.
{ config, lib, ... }:
{
  imports = [
${imports.join("\n")}
  ];

  fleet.role = "role-${role}";${peers}
  environment.variables.FLEET_ROLE = "role-${role}";
  nix.settings.max-jobs = lib.mkDefault ${1 + (role % 4)};
}
`;
}

export function programNix(i: number): string {
  return `# prog-${i}: a package and its configuration file (edit ./config).
{ pkgs, ... }:
{
  environment.systemPackages = [ (pkgs.mkPackage "prog-${i}" "1.${i}.0") ];
  environment.etc."prog-${i}/config".text = builtins.readFile ./config;
}
`;
}

export function programConfig(i: number): string {
  const lines = [`# configuration of prog-${i}`];
  for (let k = 0; k < 8; k++) lines.push(`option_${k} = ${(i * 13 + k * 7) % 97}`);
  return `${lines.join("\n")}\n`;
}

export function hostNix(i: number, options: FleetOptions): string {
  const self = selfHostIndex(options) === i;
  const programs = programsOf(i, options).map((p) => `    ../../programs/prog-${p}`);
  const selfLines = self
    ? `
  # Embeds the flake itself: ANY change to ANY tracked file re-evaluates this host.
  system.configurationRevision = self.rev or "dirty";
  environment.etc."flake-source".text = "\${self}";
`
    : "";
  return `# ${hostName(i)}: role ${roleOf(i, options)}.
{ ${self ? "self, " : ""}... }:
{
  imports = [
    ./hardware.nix
    ../../roles/role-${roleOf(i, options)}.nix
${programs.join("\n")}
  ];

  networking.interfaces.eth0.ipv4 = [ "10.${Math.floor(i / 250)}.${i % 250}.10/16" ];
  fleet.work = ${foldLength(options.weight)}; # about ${options.weight} ms of Nix CPU time
${selfLines}
  system.stateVersion = "23.11";
}
`;
}

export function hardwareNix(i: number, revision = 0): string {
  const uuid = `${(0x1000_0000 + i * 7919).toString(16)}-5d2f-4e8a-9c61-${(0xabc000000000 + i).toString(16)}`;
  return `# Hardware of ${hostName(i)} (generated).
{ ... }:
{
  boot.initrd.availableKernelModules = [ "nvme" "xhci_pci" "virtio_blk" ];
  boot.kernelModules = [ "kvm-${i % 2 === 0 ? "amd" : "intel"}" ];
  fileSystems."/" = {
    device = "/dev/disk/by-uuid/${uuid}";
    fsType = "ext4";
  };
  hardware.cpu = "${i % 2 === 0 ? "amd" : "intel"}";
  hardware.datacenter = "dc-${i % 5}";
  fleet.hardwareRevision = ${revision};
}
`;
}

/** The shared module's text with its `revision` set to `revision` (what an edit changes). */
export function withSharedRevision(text: string, revision: number): string {
  const next = text.replace(/^ {2}revision = \d+;$/m, `  revision = ${revision};`);
  if (next === text && !text.includes(`  revision = ${revision};`)) {
    throw new Error("shared module has no `revision = N;` line to edit");
  }
  return next;
}

export function readme(options: FleetOptions): string {
  return `# Generated benchmark fleet

Written by infra's bench/fleet.ts; do not edit by hand. ${options.hosts} hosts (hosts/hNNN/), each
with a role (roles/), one or two programs (programs/) and ~${options.weight} ms of extra
evaluation work (\`fleet.work\` in modules/fleet.nix). lib/, pkgs/ and the core modules are copies
from examples/fleet.
`;
}
