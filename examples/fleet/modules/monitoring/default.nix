# Monitoring bundle, imported by roles/web.nix and roles/db.nix only.
#
# This module AUTO-DISCOVERS its parts: every other *.nix file in this folder
# is imported (node-exporter.nix, alerts.nix, ...). Dropping a new file here
# enables it on every monitored host; the discovered part names are also
# published as monitoring.components (a label on the node exporter).
{ lib, ... }:
let
  inherit (lib) mkOption types;

  parts = lib.filterAttrs
    (name: type: type == "regular" && lib.hasSuffix ".nix" name && name != "default.nix")
    (builtins.readDir ./.);
  partNames = builtins.attrNames parts;
in
{
  imports = map (name: ./. + "/${name}") partNames;

  options.monitoring = {
    enable = mkOption { type = types.bool; default = true; };
    components = mkOption { type = types.listOf types.str; default = [ ]; };
    prometheusUrl = mkOption { type = types.str; default = "https://prometheus.fleet.example.net"; };
    scrapeInterval = mkOption { type = types.str; default = "30s"; };
  };

  config.monitoring.components = map (lib.removeSuffix ".nix") partNames;
}
