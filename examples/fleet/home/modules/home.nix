# home-manager-like core: home.* options and home.activationPackage.
# `environment.etc.<name>` entries coming from shared programs/ modules are
# installed as ~/.config/<name> here, and environment.systemPackages become
# the profile's packages.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  cfg = config.home;
in
{
  options.home = {
    username = mkOption { type = types.str; };
    homeDirectory = mkOption { type = types.str; default = "/home/${cfg.username}"; };
    stateVersion = mkOption { type = types.str; default = "23.11"; };
    sessionVariables = mkOption { type = types.attrsOf types.str; default = { }; };
    activationPackage = mkOption { type = types.package; };
  };

  config.home.activationPackage = derivation {
    name = "home-manager-generation";
    system = pkgs.system;
    builder = "/bin/sh";
    args = [ "-c" "printf '%s\\n' \"$configuration\" > $out" ];
    configuration = builtins.toJSON {
      inherit (cfg) username homeDirectory stateVersion sessionVariables;
      inherit (config.environment) shellAliases;
      files = lib.mapAttrs' (name: f:
        lib.nameValuePair "${cfg.homeDirectory}/.config/${f.target}"
          (if f.source != null then "${f.source}" else f.text))
        config.environment.etc;
    };
    packages = lib.unique config.environment.systemPackages;
  };
}
