# nix.conf for every machine (also used by the Mac, see darwin/macbook.nix).
{ lib, ... }:
let
  inherit (lib) mkDefault mkOption types;
in
{
  options.nix = {
    settings = mkOption {
      type = types.attrsOf types.unspecified;
      default = { };
      description = "Written to nix.conf. Lists from several modules are concatenated.";
    };
    gc = {
      automatic = mkOption { type = types.bool; default = false; };
      dates = mkOption { type = types.str; default = "weekly"; };
      options = mkOption { type = types.str; default = ""; };
    };
  };

  config.nix = {
    settings = {
      experimental-features = [ "nix-command" "flakes" ];
      trusted-users = [ "root" "@wheel" ];
      substituters = [ "https://cache.nixos.org" "https://cache.fleet.example.net" ];
      auto-optimise-store = mkDefault true;
    };
    gc = {
      automatic = mkDefault true;
      options = mkDefault "--delete-older-than 30d";
    };
  };
}
