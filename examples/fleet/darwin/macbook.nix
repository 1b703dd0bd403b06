# alice's MacBook (nix-darwin style). Shares programs/ and nix settings
# with the servers.
{ pkgs, ... }:
{
  imports = [
    ../modules/nix-settings.nix
    ../programs/git
    ../programs/zsh
  ];

  networking.hostName = "macbook";
  networking.computerName = "Alice's MacBook Pro";

  environment.systemPackages = [ pkgs.jq pkgs.vim ];
  homebrew.casks = [ "firefox" "1password" "wezterm" ];

  system.defaults = {
    dock.autohide = true;
    dock.show-recents = false;
    finder.AppleShowAllExtensions = true;
  };

  nix.gc.automatic = false; # laptop: collect by hand
}
