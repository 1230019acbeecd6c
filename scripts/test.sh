#!/bin/bash
# scripts/test.sh [extra ctest arguments]   -- the whole test suite, from any directory.
#
#   1. build          scripts/bootstrap.sh (build dependencies + build into ./build)
#   2. mail servers   tests/testbed/rig.sh install && tests/testbed/rig.sh start
#   3. tests          ctest --test-dir build --output-on-failure -j2 [extra arguments]
#   4. sanitizers     the unit and integration labels again, built with ASan + UBSan into
#                     ./build-asan (scripts/sanitize.sh; MVSMTP_SKIP_SANITIZERS=1 skips it)
#   5. fuzzing        every libFuzzer target of tests/fuzz/ for $MVSMTP_FUZZ_SECONDS (20) seconds
#                     (scripts/fuzz.sh; MVSMTP_SKIP_FUZZ=1 skips it)
#   6. clean up       stops the rig again, unless MVSMTP_KEEP_RIG=1 or it was already
#                     running before this script started
#
# Every stage runs even when an earlier one failed; a summary with each stage's result and time
# comes last. Exit status: 0 when every stage passed, else 1 (or that of the step that failed
# before the tests could start). Needs root (Debian 12).
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

SUMMARY=()
status=0
stage() {  # stage NAME COMMAND...: run it, time it, remember the result
  local name=$1 t0=$SECONDS rc=0
  shift
  step "$name"
  "$@" || rc=$?
  SUMMARY+=("$(printf '%-12s %-8s %5d s' "$name" "$([ "$rc" = 0 ] && echo passed || echo "FAILED")" $((SECONDS - t0)))")
  [ "$rc" = 0 ] || status=1
}
stage ctest ctest --test-dir "$BUILD" --output-on-failure -j2 "$@"
if [ "${MVSMTP_SKIP_SANITIZERS:-0}" != 1 ]; then
  stage sanitizers "$ROOT/scripts/sanitize.sh"
fi
if [ "${MVSMTP_SKIP_FUZZ:-0}" != 1 ]; then
  stage fuzzing "$ROOT/scripts/fuzz.sh"
fi
step "summary"
printf '%s\n' "${SUMMARY[@]}"
exit "$status"
