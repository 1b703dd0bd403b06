# web2 — public frontend, Falkenstein. Also the box people ssh into to debug,
# hence htop.
{ ... }:
{
  imports = [
    ./hardware.nix
    ../../roles/web.nix
    ../../programs/htop
  ];

  networking.interfaces.enp0s31f6.ipv4 = [ "203.0.113.12/24" ];
  services.nginx.virtualHosts."www.example.com".serverAliases = [ "example.com" ];
  services.nginx.workerProcesses = "8";

  age.secrets.api-token.file = ../../secrets/api-token.age;

  system.stateVersion = "23.05";
}
