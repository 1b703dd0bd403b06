# Accounts. The admins below exist on every server; hosts and roles add
# service or deploy users. Keys are the same ones listed in secrets/secrets.nix.
{ config, lib, ... }:
let
  inherit (lib) mkDefault mkOption types;

  admins = {
    alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBq3xV0ZsYc2x6Zb0q2cWj7k0fXr6F1dVv0H9pQe1mAl alice@laptop";
    bob = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH8bq9tPzKc2Yd0Zr3v1Lw6nQm4sTj7uFx2aRb5eC0Bb bob@desktop";
  };

  userOpts = { name, config, ... }: {
    options = {
      uid = mkOption { type = types.nullOr types.int; default = null; };
      isNormalUser = mkOption { type = types.bool; default = false; };
      isSystemUser = mkOption { type = types.bool; default = false; };
      description = mkOption { type = types.str; default = ""; };
      home = mkOption {
        type = types.str;
        default = if config.isNormalUser then "/home/${name}" else "/var/empty";
      };
      shell = mkOption { type = types.str; default = "bash"; };
      extraGroups = mkOption { type = types.listOf types.str; default = [ ]; };
      openssh.authorizedKeys.keys = mkOption { type = types.listOf types.str; default = [ ]; };
    };
  };
in
{
  options.users = {
    users = mkOption {
      type = types.attrsOf (types.submodule userOpts);
      default = { };
    };
    defaultUserShell = mkOption { type = types.str; default = "bash"; };
    mutableUsers = mkOption { type = types.bool; default = false; };
  };

  config.users.users = lib.mapAttrs (name: key: {
    isNormalUser = true;
    extraGroups = [ "wheel" ];
    shell = mkDefault config.users.defaultUserShell;
    openssh.authorizedKeys.keys = [ key ];
  }) admins // {
    root.openssh.authorizedKeys.keys = lib.attrValues admins;
  };
}
