# A stand-in for nixpkgs. Every "package" is a trivial derivation built with
# /bin/sh, so configurations evaluate to real .drv files offline. Bumping a
# version here changes every system that installs that package.
{ system }:
let
  mkPackage = pname: version: derivation {
    name = "${pname}-${version}";
    inherit system pname version;
    builder = "/bin/sh";
    args = [ "-c" "echo ${pname} ${version} > $out" ];
  };

  # Like pkgs.writeText: a store file with the given contents.
  writeText = name: text: derivation {
    inherit name system text;
    builder = "/bin/sh";
    args = [ "-c" "printf '%s' \"$text\" > $out" ];
  };
in
{
  inherit system mkPackage writeText;

  bash = mkPackage "bash" "5.2.26";
  coreutils = mkPackage "coreutils" "9.4";
  curl = mkPackage "curl" "8.6.0";
  git = mkPackage "git" "2.44.0";
  htop = mkPackage "htop" "3.3.0";
  jq = mkPackage "jq" "1.7.1";
  nginx = mkPackage "nginx" "1.24.0";
  openssh = mkPackage "openssh" "9.6p1";
  postgresql_15 = mkPackage "postgresql" "15.6";
  postgresql_16 = mkPackage "postgresql" "16.2";
  prometheus-node-exporter = mkPackage "node_exporter" "1.7.0";
  python3 = mkPackage "python3" "3.11.8";
  rsync = mkPackage "rsync" "3.2.7";
  tmux = mkPackage "tmux" "3.4";
  vim = mkPackage "vim" "9.1.0";
  zsh = mkPackage "zsh" "5.9";
}
