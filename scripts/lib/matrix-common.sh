# shellcheck shell=bash
# Messages for scripts/nix-matrix and its helpers: one prefix, on stderr.
matrix_log() { printf 'nix-matrix: %s\n' "$*" >&2; }
matrix_err() { printf 'nix-matrix: error: %s\n' "$*" >&2; }
matrix_die() {
  matrix_err "$*"
  exit 2
}
