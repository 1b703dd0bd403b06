# db2 — streaming replica of db1. Still on PostgreSQL 15 until the upgrade.
{ lib, ... }:
{
  imports = [
    ./hardware.nix
    ../../roles/db.nix
  ];

  networking.interfaces.enp9s0.ipv4 = [ "10.0.1.22/16" ];

  services.postgresql = {
    replication.role = "replica";
    replication.primaryHost = "db1.fleet.example.net";
    settings.hot_standby = "on";
  };

  # The replica must never accept password logins, whatever a role says.
  services.openssh.settings.PasswordAuthentication = lib.mkForce false;

  age.secrets.db-password = {
    file = ../../secrets/db-password.age;
    owner = "postgres";
  };

  system.stateVersion = "23.05";
}
