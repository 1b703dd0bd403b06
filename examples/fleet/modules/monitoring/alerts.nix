# Alerting rules shipped to Prometheus (auto-imported by ./default.nix).
# Roles add their own rules, e.g. roles/db.nix adds PostgresDown.
{ config, lib, ... }:
let
  inherit (lib) mkIf mkOption types;

  ruleOpts = {
    options = {
      expr = mkOption { type = types.str; };
      for = mkOption { type = types.str; default = "5m"; };
      severity = mkOption { type = types.enum [ "info" "warning" "critical" ]; default = "warning"; };
    };
  };
in
{
  options.monitoring.alerts = mkOption {
    type = types.attrsOf (types.submodule ruleOpts);
    default = { };
  };

  config = mkIf config.monitoring.enable {
    monitoring.alerts = {
      HostDown = { expr = "up{job=\"node\"} == 0"; severity = "critical"; };
      DiskAlmostFull = { expr = "node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.1"; for = "15m"; };
      HighLoad.expr = "node_load15 > 2 * count(node_cpu_seconds_total{mode=\"idle\"}) without (cpu, mode)";
    };
    environment.etc."prometheus/alerts.json".text = builtins.toJSON config.monitoring.alerts;
  };
}
