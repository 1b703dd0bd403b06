# Prometheus node exporter (auto-imported by ./default.nix).
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkIf mkOption types;
  cfg = config.services.prometheus.exporters.node;
in
{
  options.services.prometheus.exporters.node = {
    enable = mkOption { type = types.bool; default = config.monitoring.enable; };
    port = mkOption { type = types.port; default = 9100; };
    enabledCollectors = mkOption {
      type = types.listOf types.str;
      default = [ "systemd" "processes" "filesystem" ];
    };
    labels = mkOption { type = types.attrsOf types.str; default = { }; };
  };

  config = mkIf cfg.enable {
    environment.systemPackages = [ pkgs.prometheus-node-exporter ];
    networking.firewall.allowedTCPPorts = [ cfg.port ];
    services.prometheus.exporters.node.labels = {
      host = config.networking.hostName;
      components = lib.concatStringsSep "," config.monitoring.components;
    };
  };
}
