# OpenSSH: on by default everywhere, keys only.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkDefault mkIf mkOption types;
  cfg = config.services.openssh;
in
{
  options.services.openssh = {
    enable = mkOption { type = types.bool; default = true; };
    ports = mkOption { type = types.listOf types.port; default = [ 22 ]; };
    openFirewall = mkOption { type = types.bool; default = true; };
    settings = {
      PasswordAuthentication = mkOption { type = types.bool; default = false; };
      PermitRootLogin = mkOption {
        type = types.enum [ "yes" "no" "prohibit-password" ];
        default = "prohibit-password";
      };
      X11Forwarding = mkOption { type = types.bool; default = false; };
    };
  };

  config = mkIf cfg.enable {
    environment.systemPackages = [ pkgs.openssh ];
    networking.firewall.allowedTCPPorts = mkIf cfg.openFirewall cfg.ports;
  };
}
