{
  description = "Example fleet: 8 NixOS servers, a Mac and a home-manager profile";

  # No inputs on purpose: lib/ ships a small NixOS-style module system and
  # pkgs/ a stand-in package set, so everything evaluates offline.
  inputs = { };

  outputs = { self }:
    let
      lib = import ./lib;

      modules = {
        environment = ./modules/environment.nix;
        system = ./modules/system.nix;
        base = ./modules/base.nix;
        users = ./modules/users.nix;
        networking = ./modules/networking.nix;
        ssh = ./modules/ssh.nix;
        nix-settings = ./modules/nix-settings.nix;
        secrets = ./modules/secrets.nix;
        # Opt-in (imported by the roles):
        monitoring = ./modules/monitoring;
        nginx = ./modules/services/nginx.nix;
        postgresql = ./modules/services/postgresql.nix;
        job-runner = ./modules/services/job-runner.nix;
      };

      # Loaded on every NixOS host, after hosts/<name>/default.nix. Kept as
      # paths so that a role importing e.g. ../modules/ssh.nix again is
      # de-duplicated.
      sharedModules = with modules; [ base users networking ssh nix-settings secrets ];

      mkHost = import ./lib/mkHost.nix {
        inherit lib self sharedModules;
        hostsDir = ./hosts;
      };

      # Every directory in hosts/ is a machine.
      hostNames = builtins.attrNames
        (lib.filterAttrs (_: type: type == "directory") (builtins.readDir ./hosts));
    in
    {
      inherit lib;

      # For other flakes: `imports = [ fleet.nixosModules.monitoring ];`
      nixosModules = builtins.mapAttrs (_: path: { imports = [ path ]; }) modules;

      nixosConfigurations = lib.genAttrs hostNames mkHost;

      darwinConfigurations.macbook = lib.darwinSystem {
        modules = [ ./darwin/macbook.nix ];
      };

      homeConfigurations."alice@laptop" = lib.homeManagerConfiguration {
        modules = [ ./home/alice.nix ];
      };
    };
}
