# htop with per-core meters (edit ./htoprc).
{ pkgs, ... }:
{
  environment.systemPackages = [ pkgs.htop ];
  environment.etc."htoprc".text = builtins.readFile ./htoprc;
}
