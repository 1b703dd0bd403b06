# worker2 — batch/report worker; CI deploys reports to it as `deploy`.
{ ... }:
{
  imports = [
    ./hardware.nix
    ../../roles/worker.nix
  ];

  networking.interfaces.ens3.ipv4 = [ "10.0.2.32/16" ];
  services.job-runner = {
    concurrency = 16;
    queues = [ "reports" "exports" ];
  };

  users.users.deploy = {
    isNormalUser = true;
    openssh.authorizedKeys.keys = [
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN0tArEaLkEyJuStAfIxTuReCiDePlOy0000000000 ci@deploy"
    ];
  };
}
