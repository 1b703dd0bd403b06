{
  description = "infra: fast, incremental, traced evaluation of Nix fleets";

  # Not locked in the repository (infra's own machines have no network to lock nixpkgs);
  # the first `nix run` / `nix develop` writes flake.lock.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      # What infra runs at evaluation time: Nix itself, strace to record reads, GNU time for peak
      # memory, git for flake semantics.
      runtimeTools = pkgs: with pkgs; [ nix strace time git ];
    in
    {
      packages = forAllSystems (pkgs: {
        default = pkgs.buildNpmPackage {
          pname = "infra";
          version = (builtins.fromJSON (builtins.readFile ./package.json)).version;
          src = nixpkgs.lib.cleanSourceWith {
            src = ./.;
            filter = path: _type:
              let base = baseNameOf path; in
              !(builtins.elem base [ "node_modules" "dist" "examples" "test" ".ci" ]);
          };
          nodejs = pkgs.nodejs_20;
          # Dependencies come from package-lock.json's download addresses and integrity hashes,
          # so no separately maintained npmDepsHash is needed.
          npmDeps = pkgs.importNpmLock { npmRoot = ./.; };
          npmConfigHook = pkgs.importNpmLock.npmConfigHook;
          makeWrapperArgs = [ "--prefix" "PATH" ":" (pkgs.lib.makeBinPath (runtimeTools pkgs)) ];
          meta = {
            description = "Fast, incremental, traced evaluation of Nix fleets";
            mainProgram = "infra";
          };
        };
      });

      apps = forAllSystems (pkgs: {
        default = {
          type = "app";
          program = "${self.packages.${pkgs.stdenv.hostPlatform.system}.default}/bin/infra";
        };
      });

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          packages = [ pkgs.nodejs_20 pkgs.graphviz ] ++ runtimeTools pkgs;
        };
      });
    };
}
