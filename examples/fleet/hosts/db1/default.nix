# db1 — PostgreSQL primary.
{ pkgs, ... }:
{
  imports = [
    ./hardware.nix
    ../../roles/db.nix
  ];

  networking.interfaces.enp9s0.ipv4 = [ "10.0.1.21/16" ];

  services.postgresql = {
    package = pkgs.postgresql_16;
    settings.shared_buffers = "16GB";
  };

  age.secrets.db-password = {
    file = ../../secrets/db-password.age;
    owner = "postgres";
  };

  system.stateVersion = "23.05";
}
