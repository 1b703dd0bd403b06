# The cross-platform core: packages, /etc files, variables and aliases.
# NixOS, the Mac (darwin/) and home-manager (home/) all load this module,
# which is what lets the modules in programs/ be shared between them.
{ lib, ... }:
let
  inherit (lib) mkOption types;
in
{
  options.environment = {
    systemPackages = mkOption {
      type = types.listOf types.package;
      default = [ ];
      description = "Packages installed system-wide (definitions are concatenated).";
    };

    etc = mkOption {
      default = { };
      description = "Files placed under /etc (or ~/.config for home-manager).";
      type = types.attrsOf (types.submodule ({ name, ... }: {
        options = {
          target = mkOption { type = types.str; default = name; description = "Path relative to /etc."; };
          text = mkOption { type = types.nullOr types.lines; default = null; };
          source = mkOption { type = types.nullOr types.path; default = null; };
          mode = mkOption { type = types.str; default = "symlink"; };
        };
      }));
    };

    variables = mkOption {
      type = types.attrsOf types.str;
      default = { };
    };

    shellAliases = mkOption {
      type = types.attrsOf types.str;
      default = { };
    };
  };
}
