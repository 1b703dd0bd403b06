# Builds one entry of `nixosConfigurations` from hosts/<name>/.
#
#   mkHost "web1" == lib.nixosSystem {
#     modules = [ ./hosts/web1 <host glue> ] ++ sharedModules;
#   }
#
# Every module can take `self` (this flake) and `hostName` as arguments.
{ lib, self, hostsDir, sharedModules }:
name:
let
  hostDir = hostsDir + "/${name}";
in
lib.nixosSystem {
  system = "x86_64-linux";
  modules = [
    hostDir
    {
      _file = "lib/mkHost.nix";
      networking.hostName = lib.mkDefault name;
      # Like system.copySystemConfiguration: the host's own folder is copied
      # into the system, so /etc/nixos/host shows what the box was built from.
      environment.etc."nixos/host".source = hostDir;
    }
  ] ++ sharedModules;
  specialArgs = { inherit self; hostName = name; };
}
