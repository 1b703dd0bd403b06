# Role: queue workers (worker1..3). Not monitored by the bundle in
# modules/monitoring (they push metrics to the gateway instead).
{ lib, ... }:
{
  imports = [
    ../modules/services/job-runner.nix
    ../programs/git
    ../programs/zsh
    ../programs/htop
  ];

  services.job-runner.enable = true;
  users.defaultUserShell = "zsh";
  nix.settings.max-jobs = lib.mkDefault 8;
}
