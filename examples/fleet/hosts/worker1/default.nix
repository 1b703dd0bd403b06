# worker1 — general queue worker.
{ ... }:
{
  imports = [
    ./hardware.nix
    ../../roles/worker.nix
  ];

  networking.interfaces.ens3.ipv4 = [ "10.0.2.31/16" ];
  services.job-runner.queues = [ "emails" ];
}
