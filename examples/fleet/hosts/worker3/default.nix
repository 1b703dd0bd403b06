# worker3 — the big box in the office closet (GPU jobs). Behind the office
# NAT, so no host firewall; people sit on it in tmux for hours.
{ lib, ... }:
{
  imports = [
    ./hardware.nix
    ../../roles/worker.nix
    ../../programs/tmux
  ];

  networking.domain = "office.example.net";
  networking.firewall.enable = lib.mkForce false;
  networking.interfaces.eno1.ipv4 = [ "192.168.10.5/24" ];

  services.job-runner = {
    concurrency = 2;
    queues = [ "gpu" ];
  };
  nix.settings.max-jobs = 32;
}
