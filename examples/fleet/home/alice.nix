# alice's home-manager profile on her Linux laptop (homeConfigurations."alice@laptop").
{ pkgs, ... }:
{
  imports = [
    ../programs/git
    ../programs/zsh
    ../programs/tmux
  ];

  home.username = "alice";
  home.sessionVariables = {
    EDITOR = "vim";
    PAGER = "less -R";
  };

  environment.systemPackages = [ pkgs.jq pkgs.python3 ];
}
