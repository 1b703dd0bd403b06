# PostgreSQL, primary or streaming replica. Used by roles/db.nix.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkIf mkOption types;
  cfg = config.services.postgresql;
in
{
  options.services.postgresql = {
    enable = lib.mkEnableOption "PostgreSQL";
    package = mkOption { type = types.package; default = pkgs.postgresql_15; };
    port = mkOption { type = types.port; default = 5432; };
    ensureDatabases = mkOption { type = types.listOf types.str; default = [ ]; };
    settings = mkOption { type = types.attrsOf types.unspecified; default = { }; };
    authentication = mkOption { type = types.lines; default = ""; };
    replication = {
      role = mkOption { type = types.enum [ "primary" "replica" ]; default = "primary"; };
      primaryHost = mkOption { type = types.nullOr types.str; default = null; };
    };
  };

  config = mkIf cfg.enable {
    environment.systemPackages = [ cfg.package ];
    networking.firewall.allowedTCPPorts = [ cfg.port ];
    users.users.postgres = { isSystemUser = true; uid = 71; home = "/var/lib/postgresql"; };
    services.postgresql.settings = {
      max_connections = lib.mkDefault 200;
      shared_buffers = lib.mkDefault "1GB";
      wal_level = "replica";
    };
    assertions = [{
      assertion = cfg.replication.role == "primary" || cfg.replication.primaryHost != null;
      message = "services.postgresql.replication.primaryHost must be set on a replica";
    }];
  };
}
