# shellcheck shell=bash
# Builds (once) and finds the Debian 13 (trixie) root that gives scripts/nix-matrix its Nix 2.26.
# Sourced by scripts/nix-matrix; needs root, debootstrap, util-linux (unshare, mount) and flock.
#
# The root lives outside the clone, in $MATRIX_DIR/trixie-<key>, where <key> hashes everything
# that decides its content (suite, mirror, package list, recipe version): a changed package list
# gives a new key, so a new root. It is built in $MATRIX_DIR/.partial-trixie-<key>.XXXXXX and
# renamed into place only when complete (a root is "complete" when it has the stamp file), so an
# interrupted build leaves only a .partial-* folder, which the next build removes. The build runs
# in a private mount namespace, so its /proc and /dev mounts vanish with it even on SIGKILL.

TRIXIE_SUITE=${INFRA_MATRIX_SUITE:-trixie}
TRIXIE_MIRROR=${INFRA_MATRIX_MIRROR:-http://deb.debian.org/debian}
TRIXIE_SECURITY=${INFRA_MATRIX_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# Bump when the recipe below changes in a way that must rebuild existing roots.
TRIXIE_RECIPE=3
# What the test suite needs inside, plus what later work will use (age, ssh) so the cached root
# need not be rebuilt for it. Sorted, one per word; INFRA_MATRIX_EXTRA_PACKAGES adds more.
TRIXIE_PACKAGES=(
  age
  bubblewrap
  ca-certificates
  chromium
  e2fsprogs
  fonts-dejavu-core
  git
  graphviz
  nix-bin
  nodejs
  openssh-client
  openssh-server
  passwd
  procps
  strace
  time
)
# shellcheck disable=SC2206
[ -n "${INFRA_MATRIX_EXTRA_PACKAGES:-}" ] && TRIXIE_PACKAGES+=(${INFRA_MATRIX_EXTRA_PACKAGES})

# Nix runs as root, single-user, inside the root. infra and the tests' helpers set NIX_CONFIG
# for their own nix processes; this file is for everything else (a developer's shell, a plain
# `nix eval`, `nix flake lock` in a test) so that no nix inside ever looks for nixbld users.
TRIXIE_NIX_CONF='# Written by scripts/nix-matrix: single-user Nix as root, no daemon, no build users.
build-users-group =
experimental-features = nix-command flakes
sandbox = false
warn-dirty = false
'

trixie_key() {
  {
    echo "suite=$TRIXIE_SUITE mirror=$TRIXIE_MIRROR security=$TRIXIE_SECURITY recipe=$TRIXIE_RECIPE"
    printf '%s\n' "${TRIXIE_PACKAGES[@]}" | LC_ALL=C sort -u
    printf '%s' "$TRIXIE_NIX_CONF"
  } | sha256sum | cut -c1-16
}

trixie_root_path() { echo "$MATRIX_DIR/trixie-$(trixie_key)"; }

# True when nothing is mounted at or below $1 in this mount namespace.
nothing_mounted_under() {
  local dir
  dir=$(realpath -m "$1")
  ! awk -v d="$dir" '{ if ($5 == d || index($5, d "/") == 1) found = 1 } END { exit !found }' /proc/self/mountinfo
}

# Removes a folder tree that nix-matrix made, refusing if anything is mounted inside it (a bind
# mount of /dev or of the repository must never be recursed into).
safe_remove() {
  local dir=$1
  [ -e "$dir" ] || return 0
  if ! nothing_mounted_under "$dir"; then
    matrix_err "not removing $dir: something is still mounted inside it (see /proc/self/mountinfo)"
    return 1
  fi
  # A file a test left immutable (chattr +i) cannot be removed until the flag is cleared.
  rm -rf --one-file-system -- "$dir" 2>/dev/null || {
    chattr -R -i "$dir" 2>/dev/null || true
    rm -rf --one-file-system -- "$dir"
  }
}

# Prints the path of a complete trixie root, building it first when there is none for this key.
ensure_trixie_root() {
  local key root
  key=$(trixie_key)
  root="$MATRIX_DIR/trixie-$key"
  mkdir -p "$MATRIX_DIR"
  if [ -f "$root/.infra-matrix-complete" ]; then
    echo "$root"
    return 0
  fi
  exec 8>"$MATRIX_DIR/.trixie.lock"
  if ! flock -n 8; then
    matrix_log "another nix-matrix is building the trixie root; waiting for it"
    flock 8
  fi
  if [ ! -f "$root/.infra-matrix-complete" ]; then
    build_trixie_root "$key" "$root" >&2
  fi
  flock -u 8
  exec 8>&-
  echo "$root"
}

build_trixie_root() {
  local key=$1 root=$2 partial started rc stale
  command -v debootstrap >/dev/null 2>&1 ||
    matrix_die "debootstrap is missing: apt-get install -y debootstrap (it builds the Debian 13 root)"
  for stale in "$MATRIX_DIR"/.partial-trixie-*; do
    [ -e "$stale" ] || continue
    matrix_log "removing an interrupted build: $stale"
    safe_remove "$stale" || matrix_die "cannot remove $stale"
  done
  # A complete-looking folder without the stamp is an old interrupted layout: start over.
  [ -e "$root" ] && { safe_remove "$root" || matrix_die "cannot remove $root"; }
  partial=$(mktemp -d "$MATRIX_DIR/.partial-trixie-$key.XXXXXX")
  matrix_log "building the Debian $TRIXIE_SUITE root for Nix 2.26 (once; cached as $root)"
  matrix_log "packages: ${TRIXIE_PACKAGES[*]}"
  started=$(date +%s)
  rc=0
  # debootstrap and the apt-get inside run in a private mount and PID namespace: whatever they
  # mount (/proc, /dev) is gone when it ends, however it ends, and no service they start survives.
  unshare --mount --propagation private --pid --fork --kill-child -- \
    bash -c "$(declare -f matrix_log matrix_err); $(declare -f trixie_build_inside); trixie_build_inside \"\$@\"" \
    trixie-build "$partial/root" "$TRIXIE_SUITE" "$TRIXIE_MIRROR" "$TRIXIE_SECURITY" "$TRIXIE_NIX_CONF" \
    "${TRIXIE_PACKAGES[@]}" || rc=$?
  if [ "$rc" -ne 0 ]; then
    safe_remove "$partial" || true
    matrix_die "building the trixie root failed (exit $rc); nothing was kept, the next run starts over"
  fi
  {
    echo "key=$key"
    echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "seconds=$(($(date +%s) - started))"
    echo "packages=${TRIXIE_PACKAGES[*]}"
  } >"$partial/root/.infra-matrix-complete"
  mv -T "$partial/root" "$root"
  rmdir "$partial"
  ln -sfn "trixie-$key" "$MATRIX_DIR/.trixie.new" && mv -T "$MATRIX_DIR/.trixie.new" "$MATRIX_DIR/trixie"
  matrix_log "trixie root built in $(($(date +%s) - started)) s: $root"
  prune_old_trixie_roots "$root"
}

# Removes roots of other keys (older package lists), unless some run is using one right now.
prune_old_trixie_roots() {
  local keep=$1 old
  for old in "$MATRIX_DIR"/trixie-*; do
    [ -d "$old" ] && [ "$old" != "$keep" ] || continue
    if flock -n "$old/.infra-matrix-complete" true 2>/dev/null && nothing_mounted_under "$old"; then
      matrix_log "removing the root of an older package list: $old"
      safe_remove "$old" || true
    fi
  done
}

# Runs inside the private namespace (PID 1 there). $1 target, $2 suite, $3 mirror, $4 security
# mirror, $5 nix.conf text, then the packages.
trixie_build_inside() {
  set -euo pipefail
  local target=$1 suite=$2 mirror=$3 security=$4 nixconf=$5
  shift 5
  mkdir -p "$target"
  # minbase first, then the packages with apt inside the root: apt resolves the dependencies
  # (alternatives, virtual packages) that debootstrap's own resolver gets wrong for chromium.
  matrix_log "debootstrap --variant=minbase $suite from $mirror"
  debootstrap --variant=minbase --include=ca-certificates "$suite" "$target" "$mirror" >"$target.debootstrap.log" 2>&1 || {
    matrix_err "debootstrap failed; its log ends with:"
    tail -n 30 "$target.debootstrap.log" >&2
    return 1
  }
  # Never start a service inside the root (openssh-server's postinst would start sshd).
  printf '#!/bin/sh\nexit 101\n' >"$target/usr/sbin/policy-rc.d"
  chmod 755 "$target/usr/sbin/policy-rc.d"
  cat >"$target/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
EOF
  cp /etc/resolv.conf "$target/etc/resolv.conf" 2>/dev/null || true
  mount -t proc proc "$target/proc"
  mount --rbind /dev "$target/dev"
  matrix_log "apt-get install $*"
  chroot "$target" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 \
    /bin/sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" && apt-get clean' \
    apt "$@" >"$target.apt.log" 2>&1 || {
    matrix_err "apt-get inside the root failed; its log ends with:"
    tail -n 30 "$target.apt.log" >&2
    return 1
  }
  mkdir -p "$target/etc/nix"
  printf '%s' "$nixconf" >"$target/etc/nix/nix.conf"
  rm -rf "$target/var/lib/apt/lists/"* "$target/var/cache/apt/"*.bin
  # /nix is replaced by a fresh empty folder on every run; keep an empty mount point.
  rm -rf "$target/nix"
  mkdir -p "$target/nix"
  umount -R "$target/dev"
  umount "$target/proc"
  mv "$target.debootstrap.log" "$target.apt.log" "$target/var/log/" 2>/dev/null || true
}
