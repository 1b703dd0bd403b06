# git + the shared /etc/gitconfig (edit ./gitconfig).
{ pkgs, ... }:
{
  environment.systemPackages = [ pkgs.git ];
  environment.etc."gitconfig".text = builtins.readFile ./gitconfig;
}
