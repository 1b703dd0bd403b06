# Host name, domain and the firewall. Services open their own ports by
# adding to networking.firewall.allowedTCPPorts (lists are concatenated).
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
  cfg = config.networking;
in
{
  options.networking = {
    hostName = mkOption { type = types.str; };
    domain = mkOption { type = types.str; default = "fleet.example.net"; };
    fqdn = mkOption { type = types.str; default = "${cfg.hostName}.${cfg.domain}"; };
    nameservers = mkOption { type = types.listOf types.str; default = [ "9.9.9.9" "1.1.1.1" ]; };
    firewall = {
      enable = mkOption { type = types.bool; default = true; };
      allowedTCPPorts = mkOption { type = types.listOf types.port; default = [ ]; };
      allowedUDPPorts = mkOption { type = types.listOf types.port; default = [ ]; };
    };
    interfaces = mkOption {
      default = { };
      type = types.attrsOf (types.submodule {
        options.ipv4 = mkOption { type = types.listOf types.str; default = [ ]; };
        options.ipv6 = mkOption { type = types.listOf types.str; default = [ ]; };
      });
    };
  };

  config.assertions = [{
    assertion = builtins.match "[a-z][a-z0-9-]*" cfg.hostName != null;
    message = "networking.hostName `${cfg.hostName}' is not a valid host name";
  }];
}
