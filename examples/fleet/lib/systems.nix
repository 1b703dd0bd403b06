# Entry points that mirror the real world:
#   nixosSystem               (nixpkgs.lib.nixosSystem)
#   darwinSystem              (nix-darwin.lib.darwinSystem)      -> .system
#   homeManagerConfiguration  (home-manager.lib.homeManagerConfiguration) -> .activationPackage
# Each one adds its platform's core modules and a `pkgs` module argument.
lib:
let
  evalWith = { system, coreModules, modules, specialArgs }:
    lib.evalModules {
      modules = coreModules ++ modules;
      specialArgs = { pkgs = import ../pkgs { inherit system; }; } // specialArgs;
    };
in
{
  nixosSystem = { system ? "x86_64-linux", modules, specialArgs ? { } }:
    evalWith {
      inherit system modules specialArgs;
      coreModules = [ ../modules/environment.nix ../modules/system.nix ];
    } // { inherit lib; };

  darwinSystem = { system ? "aarch64-darwin", modules, specialArgs ? { } }:
    let
      eval = evalWith {
        inherit system modules specialArgs;
        coreModules = [ ../modules/environment.nix ../darwin/modules/system.nix ];
      };
    in
    eval // { system = eval.config.system.build.toplevel; };

  homeManagerConfiguration = { system ? "x86_64-linux", modules, extraSpecialArgs ? { } }:
    let
      eval = evalWith {
        inherit system modules;
        specialArgs = extraSpecialArgs;
        coreModules = [ ../modules/environment.nix ../home/modules/home.nix ];
      };
    in
    eval // { activationPackage = eval.config.home.activationPackage; };
}
