# zsh with a small shared zshrc (edit ./zshrc) and a few aliases.
{ pkgs, ... }:
{
  environment.systemPackages = [ pkgs.zsh ];
  environment.etc."zshrc".text = builtins.readFile ./zshrc;
  environment.shellAliases = {
    ll = "ls -lah";
    gs = "git status -sb";
  };
}
