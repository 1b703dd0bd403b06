# The fleet's own small standard library. There is no nixpkgs in this repo,
# so the usual helpers (and a NixOS-style module system) live here.
#
#   lib = import ./lib;
#   lib.evalModules { modules = [ ... ]; }
#   lib.nixosSystem / lib.darwinSystem / lib.homeManagerConfiguration
let
  lib = builtins.foldl' (acc: file: acc // import file lib) { } [
    ./lists.nix
    ./strings.nix
    ./attrsets.nix
    ./modules.nix
    ./systems.nix
  ] // {
    types = import ./types.nix lib;
  };
in
lib
