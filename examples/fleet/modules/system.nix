# NixOS core: the `system.*` options and system.build.toplevel, the
# derivation `nixos-rebuild` would build. Its attributes hold a JSON dump of
# the whole configuration, so any change to any option changes the drvPath.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption types;

  # /etc entries: `source` files are copied to the store on their own
  # (content-addressed), `text` becomes a small writeText derivation.
  etcEntries = lib.mapAttrs (name: f: {
    inherit (f) target mode;
    source =
      if f.source != null then "${f.source}"
      else if f.text != null then pkgs.writeText "etc-${lib.replaceStrings [ "/" ] [ "-" ] name}" f.text
      else throw "environment.etc.\"${name}\" needs either `text' or `source'.";
  }) config.environment.etc;

  etc = derivation {
    name = "etc";
    system = pkgs.system;
    builder = "/bin/sh";
    args = [ "-c" "printf '%s\\n' \"$entries\" > $out" ];
    entries = builtins.toJSON etcEntries;
  };

  # Everything except the build products themselves.
  configuration = builtins.toJSON (builtins.removeAttrs config [ "system" "environment" "assertions" "warnings" ] // {
    system = { inherit (config.system) stateVersion configurationRevision; inherit (config.system.nixos) label; };
    environment = { inherit (config.environment) variables shellAliases; };
  });

  toplevel = derivation {
    name = "nixos-system-${config.networking.hostName}-${config.system.nixos.label}";
    system = pkgs.system;
    builder = "/bin/sh";
    args = [ "-c" "printf '%s\\n' \"$configuration\" > $out" ];
    inherit configuration etc;
    packages = lib.unique config.environment.systemPackages;
  };

  failed = map (a: a.message) (builtins.filter (a: !a.assertion) config.assertions);
in
{
  options = {
    system.stateVersion = mkOption { type = types.str; default = "23.11"; };
    system.nixos.label = mkOption { type = types.str; default = "24.05.fleet"; };
    system.configurationRevision = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "Git revision of the flake this system was built from.";
    };
    system.build = mkOption {
      type = types.attrsOf types.unspecified;
      default = { };
      description = "Build products (toplevel, etc).";
    };
    assertions = mkOption {
      type = types.listOf types.unspecified;
      default = [ ];
      description = "List of { assertion = bool; message = str; }, checked when building toplevel.";
    };
    warnings = mkOption { type = types.listOf types.str; default = [ ]; };
  };

  config.system.build = {
    inherit etc;
    toplevel =
      if failed != [ ] then throw "\nFailed assertions:\n${lib.concatMapStrings (m: "- ${m}\n") failed}"
      else lib.foldr (w: drv: builtins.trace "warning: ${w}" drv) toplevel config.warnings;
  };
}
