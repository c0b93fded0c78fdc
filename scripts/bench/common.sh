# shellcheck shell=bash
# Shared setup for scripts/bench/*.sh (sourced). Finds or builds the release taps-cat,
# installs missing Debian packages, and sources tests/cli/lib.sh for its helpers
# ($TMP with cleanup of every process the script started, wait_for_listen_port,
# start_port_listener, ...).
#
# Environment: BUILD_DIR (default build/release, relative to the repository root).

set -euo pipefail

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-build/release}
[[ $BUILD_DIR == /* ]] || BUILD_DIR="$BENCH_ROOT/$BUILD_DIR"

# ensure_pkg PATH_OR_CMD PACKAGE: install PACKAGE with apt-get when the command is missing.
ensure_pkg() {
  local cmd=$1 pkg=$2
  if [[ $cmd == /* ]]; then [[ -x $cmd ]] && return 0; else command -v "$cmd" >/dev/null 2>&1 && return 0; fi
  echo "bench: '$cmd' is missing; installing Debian package '$pkg'" >&2
  local sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo -n)
  if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "$pkg" >&2; then
    "${sudo[@]}" apt-get update >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "$pkg" >&2
  fi
}

# The taps-cat under test: the release build (built here when missing).
TAPS_CAT="$BUILD_DIR/apps/taps-cat/taps-cat"
if [[ ! -x $TAPS_CAT ]]; then
  if [[ $BUILD_DIR != "$BENCH_ROOT/build/release" ]]; then
    echo "bench: $TAPS_CAT not found (BUILD_DIR=$BUILD_DIR)" >&2
    exit 1
  fi
  echo "bench: building the release preset (no $TAPS_CAT yet)" >&2
  (cd "$BENCH_ROOT" && cmake --preset release >&2 && cmake --build --preset release -j2 >&2)
fi
export TAPS_CAT
export TAPS_SOURCE_DIR=$BENCH_ROOT
export TAPS_TIMEOUT=${TAPS_TIMEOUT:-300}

# shellcheck source=../../tests/cli/lib.sh
source "$BENCH_ROOT/tests/cli/lib.sh"

# median: numbers on stdin, one per line -> their median.
median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit }
    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# build_type: CMAKE_BUILD_TYPE of BUILD_DIR, for the report.
build_type() {
  sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || echo "?"
}
