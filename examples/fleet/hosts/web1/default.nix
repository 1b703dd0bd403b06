# web1 — public frontend, Falkenstein.
{ ... }:
{
  imports = [
    ./hardware.nix
    ../../roles/web.nix
  ];

  networking.interfaces.enp0s31f6.ipv4 = [ "203.0.113.11/24" ];
  services.nginx.virtualHosts."www.example.com".serverAliases = [ "example.com" ];

  age.secrets.api-token.file = ../../secrets/api-token.age;

  system.stateVersion = "23.05";
}
