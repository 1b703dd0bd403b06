# tmux with the team's config (edit ./tmux.conf).
{ pkgs, ... }:
{
  environment.systemPackages = [ pkgs.tmux ];
  environment.etc."tmux.conf".text = builtins.readFile ./tmux.conf;
}
