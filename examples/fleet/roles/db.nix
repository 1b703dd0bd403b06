# Role: PostgreSQL servers (db1 is the primary, db2 a streaming replica).
{ config, lib, ... }:
{
  imports = [
    ../modules/monitoring
    ../modules/services/postgresql.nix
    ../programs/tmux
    ../programs/htop
  ];

  services.postgresql = {
    enable = true;
    ensureDatabases = [ "app" "metrics" ];
    authentication = ''
      local all all peer
      host  all all 10.0.0.0/8 scram-sha-256
    '';
  };

  monitoring.alerts.PostgresDown = {
    expr = "pg_up == 0";
    severity = "critical";
    for = "1m";
  };

  # Collect garbage on Sunday night, away from peak database load.
  nix.gc.dates = "Sun 04:00";
}
