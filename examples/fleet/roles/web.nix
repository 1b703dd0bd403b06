# Role: public web frontend (web1, web2, web3).
{ config, lib, ... }:
{
  imports = [
    ../modules/monitoring
    ../modules/services/nginx.nix
    ../modules/ssh.nix # also in the shared list; imports are de-duplicated
    ../programs/git
    ../programs/tmux
  ];

  services.nginx = {
    enable = true;
    virtualHosts."${config.networking.hostName}.${config.networking.domain}" = {
      proxyPass = "http://127.0.0.1:8080";
    };
  };

  monitoring.alerts.NginxDown.expr = "nginx_up == 0";
  nix.settings.max-jobs = lib.mkDefault 2;
}
