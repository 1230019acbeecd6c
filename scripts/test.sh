#!/bin/bash
# scripts/test.sh [extra ctest arguments]   -- the whole test suite, from any directory.
#
#   1. build          scripts/bootstrap.sh (build dependencies + build into ./build)
#   2. mail servers   tests/testbed/rig.sh install && tests/testbed/rig.sh start
#   3. tests          ctest --test-dir build --output-on-failure -j2 [extra arguments]
#   4. clean up       stops the rig again, unless MVSMTP_KEEP_RIG=1 or it was already
#                     running before this script started
#
# Exit status: ctest's (or that of the step that failed). Needs root (Debian 12).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RIG="$ROOT/tests/testbed/rig.sh"
BUILD="$ROOT/build"

step() { printf '== %s\n' "$*"; }
fail() { echo "scripts/test.sh: $*" >&2; exit 1; }

cd "$ROOT"

step "build"
if [ -x "$ROOT/scripts/bootstrap.sh" ]; then
  "$ROOT/scripts/bootstrap.sh" || fail "scripts/bootstrap.sh failed"
else
  # until a bootstrap script exists: configure and build with what is installed
  cmake -S "$ROOT" -B "$BUILD" || fail "cmake configure failed"
  cmake --build "$BUILD" -j2 || fail "build failed"
fi
[ -f "$BUILD/CTestTestfile.cmake" ] || fail "no CTest files in $BUILD (did the build configure tests?)"

step "test rig"
"$RIG" install || fail "tests/testbed/rig.sh install failed"
rig_was_running=0
"$RIG" status >/dev/null 2>&1 && rig_was_running=1
stop_rig() {
  if [ "${MVSMTP_KEEP_RIG:-0}" = 1 ] || [ "$rig_was_running" = 1 ]; then
    echo "test rig left running (stop it with: $RIG stop)"
  else
    "$RIG" stop >/dev/null || echo "scripts/test.sh: warning: rig.sh stop failed" >&2
  fi
}
trap stop_rig EXIT
"$RIG" start || fail "tests/testbed/rig.sh start failed"
# MVSMTP_TESTBED / MVSMTP_TEST_CA for the tests
set -a
eval "$("$RIG" env)"
set +a

step "ctest"
status=0
ctest --test-dir "$BUILD" --output-on-failure -j2 "$@" || status=$?
exit "$status"
