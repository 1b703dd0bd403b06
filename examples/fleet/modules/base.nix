# Things every server has: locale, boot loader, file systems, a few tools.
# hosts/<name>/hardware.nix fills in the boot/fileSystems/hardware options.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkDefault mkOption types;
in
{
  options = {
    time.timeZone = mkOption { type = types.str; default = "UTC"; };
    i18n.defaultLocale = mkOption { type = types.str; default = "en_US.UTF-8"; };

    boot.loader.kind = mkOption { type = types.enum [ "grub" "systemd-boot" ]; default = "systemd-boot"; };
    boot.loader.grub.device = mkOption { type = types.nullOr types.str; default = null; };
    boot.kernelModules = mkOption { type = types.listOf types.str; default = [ ]; };
    boot.initrd.availableKernelModules = mkOption { type = types.listOf types.str; default = [ ]; };

    fileSystems = mkOption {
      default = { };
      type = types.attrsOf (types.submodule {
        options = {
          device = mkOption { type = types.str; };
          fsType = mkOption { type = types.str; default = "ext4"; };
          options = mkOption { type = types.listOf types.str; default = [ "defaults" ]; };
        };
      });
    };
    swapDevices = mkOption { type = types.listOf types.str; default = [ ]; };

    hardware.cpu = mkOption { type = types.enum [ "intel" "amd" "virtual" ]; default = "virtual"; };
    hardware.datacenter = mkOption { type = types.str; default = "unknown"; };
  };

  config = {
    environment.systemPackages = with pkgs; [ coreutils curl jq rsync vim ];
    environment.variables.EDITOR = mkDefault "vim";

    assertions = [
      {
        assertion = config.fileSystems ? "/";
        message = "${config.networking.hostName}: no root file system (see hosts/${config.networking.hostName}/hardware.nix)";
      }
      {
        assertion = config.boot.loader.kind != "grub" || config.boot.loader.grub.device != null;
        message = "boot.loader.grub.device must be set when using grub";
      }
    ];
  };
}
