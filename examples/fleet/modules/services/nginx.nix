# nginx with a tiny virtual-host abstraction. Used by roles/web.nix.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkIf mkOption types;
  cfg = config.services.nginx;

  vhostOpts = { name, ... }: {
    options = {
      serverName = mkOption { type = types.str; default = name; };
      serverAliases = mkOption { type = types.listOf types.str; default = [ ]; };
      enableACME = mkOption { type = types.bool; default = true; };
      forceSSL = mkOption { type = types.bool; default = true; };
      root = mkOption { type = types.nullOr types.str; default = null; };
      proxyPass = mkOption { type = types.nullOr types.str; default = null; };
    };
  };
in
{
  options.services.nginx = {
    enable = lib.mkEnableOption "the nginx web server";
    package = mkOption { type = types.package; default = pkgs.nginx; };
    workerProcesses = mkOption { type = types.str; default = "auto"; };
    recommendedTlsSettings = mkOption { type = types.bool; default = true; };
    virtualHosts = mkOption { type = types.attrsOf (types.submodule vhostOpts); default = { }; };
  };

  config = mkIf cfg.enable {
    environment.systemPackages = [ cfg.package ];
    networking.firewall.allowedTCPPorts = [ 80 443 ];
    users.users.nginx = { isSystemUser = true; uid = 60; };
  };
}
