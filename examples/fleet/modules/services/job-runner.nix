# The in-house queue worker. Used by roles/worker.nix.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkIf mkOption types;
  cfg = config.services.job-runner;
in
{
  options.services.job-runner = {
    enable = lib.mkEnableOption "the job runner";
    concurrency = mkOption { type = types.int; default = 4; };
    queues = mkOption { type = types.listOf types.str; default = [ "default" ]; };
    brokerUrl = mkOption { type = types.str; default = "redis://queue.fleet.example.net:6379/0"; };
  };

  config = mkIf cfg.enable {
    environment.systemPackages = [ pkgs.python3 ];
    users.users.jobs = { isSystemUser = true; uid = 900; };
    environment.etc."job-runner/config.json".text = builtins.toJSON {
      inherit (cfg) concurrency queues brokerUrl;
    };
  };
}
