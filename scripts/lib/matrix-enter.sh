#!/usr/bin/env bash
# One nix-matrix run, inside its own private mount and PID namespace (scripts/nix-matrix starts
# it with `unshare --mount --propagation private --pid --fork --kill-child`). Every mount below
# exists only in that namespace: the trap unmounts them in order, and should this script be
# killed outright, the kernel drops them with the namespace. Nothing leaks into the host's view.
#
#   matrix-enter.sh host   FRESH REPO -- COMMAND...   Nix of the host, fresh empty /nix
#   matrix-enter.sh chroot FRESH REPO ROOT -- COMMAND...   Nix of ROOT (chroot), fresh empty /nix
#
# FRESH is an empty folder made for this run; it receives nix/ (the store and its database),
# home/ (HOME inside the root, so ~/.cache/nix starts empty too), tmp/ (/tmp inside the root),
# and upper/, work/, merged/ (the run's writable overlay on the cached root).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/matrix-common.sh
. "$here/matrix-common.sh"

mode=$1 fresh=$2 repo=$3
shift 3
root=""
if [ "$mode" = chroot ]; then
  root=$1
  shift
fi
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || matrix_die "matrix-enter: no command"

mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount -R "${mounted[$i]}" 2>/dev/null || umount -R -l "${mounted[$i]}" 2>/dev/null || true
  done
  mounted=()
}
cmd_pid=""
# TERM (nix-matrix forwards Ctrl-C so): end the command, unmount, exit. Leaving this process
# (PID 1 of the run's namespace) ends whatever else is still running in it.
stop() {
  [ -n "$cmd_pid" ] && kill -TERM "$cmd_pid" 2>/dev/null
  exit "$1"
}
trap cleanup EXIT
if [ -n "${INFRA_MATRIX_INTERACTIVE:-}" ]; then
  trap '' INT
else
  trap 'stop 130' INT
fi
trap 'stop 143' TERM

# Runs the command so that a signal is handled at once (in the background, then wait), except
# for an interactive shell, which needs the terminal in the foreground.
run_cmd() {
  if [ -n "${INFRA_MATRIX_INTERACTIVE:-}" ]; then
    "$@"
    return
  fi
  "$@" &
  cmd_pid=$!
  local status=0
  wait "$cmd_pid" || status=$?
  cmd_pid=""
  return "$status"
}

# mnt TYPE-ARGS... TARGET: mounts and remembers TARGET for the trap.
mnt() {
  local target=${*: -1}
  mount "$@" || matrix_die "mount $* failed"
  mounted+=("$target")
}

mkdir -p "$fresh/nix" "$fresh/home" "$fresh/tmp" "$fresh/cache-nix"

# Both modes run the same preflight before the command, in the same environment as the command.
# shellcheck disable=SC2016
preflight='
set -e
[ -z "$(ls -A /nix 2>/dev/null)" ] || { echo "nix-matrix: /nix is not empty: the store is not cold" >&2; exit 1; }
v=$(nix --version 2>&1) || { echo "nix-matrix: nix --version failed: $v" >&2; exit 127; }
echo "nix-matrix: using $v ($(command -v nix-instantiate)), node $(node --version 2>&1) ($(command -v node)), cold store (empty /nix)" >&2
if [ -d node_modules/lmdb ]; then
  node -e "
    const { open } = require(\"lmdb\");
    const dir = require(\"fs\").mkdtempSync(require(\"os\").tmpdir() + \"/nix-matrix-lmdb-\");
    const db = open({ path: dir });
    db.putSync(\"k\", { a: [1, 2, 3] });
    const ok = JSON.stringify(db.get(\"k\")) === JSON.stringify({ a: [1, 2, 3] });
    db.close();
    require(\"fs\").rmSync(dir, { recursive: true });
    let extract = \"absent\";
    try { extract = typeof require(\"msgpackr-extract\").extractStrings === \"function\" ? \"native\" : \"loaded\"; } catch (e) { extract = \"failed: \" + e.message; }
    if (!ok) throw new Error(\"lmdb round trip gave a different value\");
    const fs = require(\"fs\");
    const version = JSON.parse(fs.readFileSync(\"node_modules/lmdb/package.json\", \"utf8\")).version;
    const natives = [...new Set(fs.readFileSync(\"/proc/self/maps\", \"utf8\").split(\"\\n\").map((l) => l.split(/ +/)[5] || \"\").filter((f) => f.endsWith(\".node\")).map((f) => f.replace(process.cwd() + \"/\", \"\")))];
    console.error(\"nix-matrix: native modules load: lmdb \" + version + \" round trip ok, msgpackr-extract \" + extract + \" (\" + natives.join(\", \") + \")\");
  " || { echo "nix-matrix: the native modules in node_modules do not load under this node" >&2; exit 1; }
fi
'

case "$mode" in
host)
  # Nix 2.8 of the host. A private /nix; ~/.cache/nix (the fetcher and eval caches, which
  # remember store paths and git revisions) is made fresh too, or the store would be half warm.
  mnt --bind "$fresh/nix" /nix
  # This run has its own PID namespace: a /proc of it, so ps and /proc/self agree.
  mnt -t proc proc /proc
  cache_home=${XDG_CACHE_HOME:-${HOME:-/root}/.cache}
  mkdir -p "$cache_home/nix"
  mnt --bind "$fresh/cache-nix" "$cache_home/nix"
  cd "$repo"
  rc=0
  bash -c "$preflight" || rc=$?
  if [ "$rc" -eq 0 ]; then
    run_cmd "$@" || rc=$?
  fi
  exit "$rc"
  ;;
chroot)
  [ -f "$root/.infra-matrix-complete" ] || matrix_die "$root is not a complete nix-matrix root"
  case "$repo/" in
  /nix/* | /proc/* | /dev/* | /sys/*) matrix_die "the repository cannot live under /nix, /proc, /dev or /sys: $repo" ;;
  esac
  # The cached root is the lower layer of an overlay whose upper layer is this run's: a run may
  # write anywhere (useradd, apt-get, /etc), and none of it outlives the run or reaches the cache.
  mkdir -p "$fresh/upper" "$fresh/work" "$fresh/merged"
  mnt -t overlay overlay -o "lowerdir=$root,upperdir=$fresh/upper,workdir=$fresh/work" "$fresh/merged"
  top=$fresh/merged
  mnt -t proc proc "$top/proc"
  mnt --rbind /dev "$top/dev"
  mnt --rbind /sys "$top/sys"
  # /tmp on disk, not tmpfs: tests set file attributes (chattr) there, which tmpfs lacks.
  chmod 1777 "$fresh/tmp"
  mnt --bind "$fresh/tmp" "$top/tmp"
  mnt -t tmpfs -o mode=755 tmpfs "$top/run"
  mnt --bind "$fresh/home" "$top/root"
  mnt --bind "$fresh/nix" "$top/nix"
  # The repository (and any --bind folder) at the same absolute path as on the host, after
  # /tmp, which may hold it.
  mapfile -t extra < <(printf '%s\n' "${INFRA_MATRIX_BINDS:-}" | grep -v '^$' || true)
  for dir in "$repo" "${extra[@]}"; do
    case "$dir/" in
    /nix/* | /proc/* | /dev/* | /sys/*) matrix_die "cannot bind $dir: it is under /nix, /proc, /dev or /sys" ;;
    esac
    mkdir -p "$top$dir"
    mnt --rbind "$dir" "$top$dir"
  done
  env_args=(
    HOME=/root USER=root LOGNAME=root SHELL=/bin/bash
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    LANG=C.UTF-8 TMPDIR=/tmp
  )
  # Pass on what tells programs how to behave, not where the host keeps things.
  for name in TERM CI COLORTERM FORCE_COLOR NO_COLOR VITEST_MAX_WORKERS $(compgen -e | grep -E '^INFRA_' | grep -v '^INFRA_MATRIX_' || true); do
    [ -n "${!name+x}" ] && env_args+=("$name=${!name}")
  done
  rc=0
  run_cmd chroot "$top" /usr/bin/env -i "${env_args[@]}" /bin/bash -c "cd \"\$1\" && shift && { $preflight } && exec \"\$@\"" \
    nix-matrix "$repo" "$@" || rc=$?
  exit "$rc"
  ;;
*)
  matrix_die "matrix-enter: unknown mode $mode"
  ;;
esac
