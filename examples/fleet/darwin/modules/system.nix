# nix-darwin-like core for the Mac: a handful of macOS options and
# system.build.toplevel (exposed as darwinConfigurations.<name>.system).
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
in
{
  options = {
    networking.hostName = mkOption { type = types.str; };
    networking.computerName = mkOption { type = types.str; default = config.networking.hostName; };
    system.stateVersion = mkOption { type = types.int; default = 4; };
    system.defaults = mkOption {
      type = types.attrsOf (types.attrsOf types.unspecified);
      default = { };
      description = "`defaults write` settings, e.g. system.defaults.dock.autohide.";
    };
    homebrew.casks = mkOption { type = types.listOf types.str; default = [ ]; };
    system.build = mkOption { type = types.attrsOf types.unspecified; default = { }; };
  };

  config.system.build.toplevel = derivation {
    name = "darwin-system-${config.networking.hostName}";
    system = pkgs.system;
    builder = "/bin/sh";
    args = [ "-c" "printf '%s\\n' \"$configuration\" > $out" ];
    configuration = builtins.toJSON (builtins.removeAttrs config [ "system" ] // {
      system = { inherit (config.system) stateVersion defaults; };
    });
    packages = lib.unique config.environment.systemPackages;
  };
}
