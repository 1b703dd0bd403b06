# web3 — canary frontend in Helsinki. New nginx settings land here first.
#
# This host embeds the flake itself (`self`, passed by lib/mkHost.nix): it
# ships the full source so the canary can be rebuilt offline, and records the
# git revision. So ANY change to ANY tracked file in the repo rebuilds web3.
{ self, lib, ... }:
{
  imports = [
    ./hardware.nix
    ../../roles/web.nix
  ];

  networking.interfaces.ens3.ipv4 = [ "198.51.100.23/24" ];
  services.nginx.virtualHosts."canary.example.com" = {
    enableACME = true;
    proxyPass = "http://127.0.0.1:8081";
  };
  services.nginx.recommendedTlsSettings = lib.mkForce false; # testing cipher changes

  age.secrets.api-token = {
    file = ../../secrets/api-token.age;
    owner = "nginx";
  };

  system.configurationRevision = self.rev or "dirty";
  environment.etc."flake-source".text = "${self}";

  system.stateVersion = "23.11";
}
