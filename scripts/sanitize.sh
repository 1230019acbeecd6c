#!/bin/bash
# scripts/sanitize.sh [extra ctest arguments]   -- the unit and integration tests under ASan + UBSan.
#
#   1. build   ./build-asan: -DMVSMTP_SANITIZE=address,undefined (every target, libmvsmtp.so and
#              the CLI included; -fno-sanitize-recover: a UBSan report aborts), Debug at -O1 with
#              frame pointers; only what the tests need (mvsmtp_unit, mvsmtp_integration and the
#              library and CLI they load)
#   2. test    ctest -L 'unit|integration' on build-asan, with every report fatal:
#                ASAN_OPTIONS  halt_on_error=1 detect_leaks=1 abort_on_error=1 detect_stack_use_after_return=1
#                UBSAN_OPTIONS halt_on_error=1 print_stacktrace=1
#                LSAN_OPTIONS  suppressions=tests/sanitizers/lsan.supp
#              Not run here: integration.oauth, integration.queue and integration.secrets_scan load libmvsmtp.so into
#              /usr/bin/python3 through ctypes, and an ASan-instrumented library cannot be loaded
#              into an uninstrumented interpreter (ASan must come first in the process); they run
#              in the normal build. Nor the install, engine and package labels (ScarletDME, the
#              installer and cpack use the normal build).
#
# Needs the rig running for the integration tests (scripts/test.sh starts it; or
# `bash tests/testbed/rig.sh start` and eval "$(bash tests/testbed/rig.sh env)").
# Exit status: ctest's, or 1 when the build failed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="$ROOT/build-asan"
mkdir -p "$BUILD"
echo "== building $BUILD (ASan + UBSan)"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-g -O1" "-DCMAKE_C_FLAGS_DEBUG=-g -O1" \
  -DMVSMTP_SANITIZE=address,undefined >"$BUILD/configure.log" 2>&1 ||
  { tail -30 "$BUILD/configure.log" >&2; echo "scripts/sanitize.sh: cmake configure failed" >&2; exit 1; }
if ! cmake --build "$BUILD" -j2 --target mvsmtp_unit mvsmtp_integration >"$BUILD/build.log" 2>&1; then
  grep -E -B2 -A6 "error|Error" "$BUILD/build.log" | tail -60 >&2
  echo "scripts/sanitize.sh: build failed (full log: $BUILD/build.log)" >&2
  exit 1
fi
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$ROOT/tests/sanitizers/lsan.supp:print_suppressions=0"
echo "== ctest on $BUILD: labels unit and integration (ASAN_OPTIONS=$ASAN_OPTIONS)"
JUNIT="$BUILD/junit.xml"
rm -f "$JUNIT"
status=0
ctest --test-dir "$BUILD" --output-on-failure -j2 -L 'unit|integration' \
  -E '^integration\.(oauth|secrets_scan|queue)$' --output-junit "$JUNIT" "$@" || status=$?
[ "$status" = 0 ] && exit 0
if [ -f "$JUNIT" ] && names=$(/usr/bin/python3 "$ROOT/tests/sanitizers/tool_crashes.py" "$JUNIT"); then
  echo "== LeakSanitizer's tracer crashed at the exit of: $(echo $names) (no leak reported); running once more"
  regex="^($(printf '%s\n' $names | sed 's/[.]/\\./g' | paste -sd'|'))$"
  exec ctest --test-dir "$BUILD" --output-on-failure -R "$regex"
fi
exit "$status"
