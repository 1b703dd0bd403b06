# agenix-style secrets. Hosts list the secrets they need:
#
#   age.secrets.db-password.file = ../../secrets/db-password.age;
#
# The encrypted .age file is copied into the store (like agenix does) and its
# hash is recorded, so re-keying or rotating a secret changes exactly the
# systems that use it. secrets/secrets.nix (who may decrypt what) is read by the
# `agenix` CLI and by `infra secrets`, never by the evaluation.
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
  cfg = config.age;

  secretOpts = { name, config, ... }: {
    options = {
      name = mkOption { type = types.str; default = name; };
      file = mkOption { type = types.path; description = "The encrypted .age file."; };
      path = mkOption { type = types.str; default = "/run/agenix/${config.name}"; };
      owner = mkOption { type = types.str; default = "root"; };
      group = mkOption { type = types.str; default = "root"; };
      mode = mkOption { type = types.str; default = "0400"; };
    };
  };
in
{
  options.age = {
    identityPaths = mkOption {
      type = types.listOf types.str;
      default = [ "/etc/ssh/ssh_host_ed25519_key" ];
    };
    secrets = mkOption {
      type = types.attrsOf (types.submodule secretOpts);
      default = { };
    };
  };

  config = lib.mkIf (cfg.secrets != { }) {
    environment.etc."agenix/secrets.json".text = builtins.toJSON (lib.mapAttrs (_: s: {
      inherit (s) path owner group mode;
      source = "${s.file}";
      sha256 = builtins.hashFile "sha256" s.file;
    }) cfg.secrets);
  };
}
