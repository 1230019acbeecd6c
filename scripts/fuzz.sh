#!/bin/bash
# scripts/fuzz.sh [--long] [--seconds N] [target ...]   -- the libFuzzer targets of tests/fuzz/.
#
#   scripts/fuzz.sh                 every target for $MVSMTP_FUZZ_SECONDS (20) seconds: the
#                                   bounded run of scripts/test.sh
#   scripts/fuzz.sh --long          every target for $MVSMTP_FUZZ_LONG_SECONDS (1800) seconds
#   scripts/fuzz.sh --seconds 300 reply mime     chosen targets (reply dynarray address ini mime)
#
#   1. build   clang + libFuzzer (Debian: clang, libclang-rt-14-dev; scripts/bootstrap.sh installs
#              them) into ./build-fuzz: -DMVSMTP_FUZZ=ON, only the fuzz_* targets
#   2. run     $MVSMTP_FUZZ_JOBS (2) targets at a time, each on its committed seeds
#              (tests/fuzz/corpus/<target>/, read only) plus build-fuzz/corpus/<target>/ (what
#              earlier runs found; new inputs go there), -timeout=10 per input, 2 GB RSS limit.
#              A crash, a sanitizer report, a broken invariant or a slow input is saved as
#              build-fuzz/artifacts/<target>-crash-<sha1> (rerun it: build-fuzz/tests/fuzz/fuzz_<target> <file>)
#   3. check   fuzz_mime keeps a sample of the messages it wrote; tests/fuzz/check_mime.py parses
#              them with Python's email package and compares every field (must hold >= 1 message),
#              and verifies each DKIM-signed one with python3-dkim against the saved key records;
#              a message that fails is kept as build-fuzz/artifacts/mime-check-N.eml (+ .fields)
#   4. report  one line per target: seconds, executions, executions/s, corpus size, result
#
# Exit status: 0 when every target ran its time without a finding, 1 otherwise.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="$ROOT/build-fuzz"
ALL_TARGETS=(reply dynarray address ini mime)
SECONDS_EACH=${MVSMTP_FUZZ_SECONDS:-20}
JOBS=${MVSMTP_FUZZ_JOBS:-2}
targets=()
while [ $# -gt 0 ]; do
  case $1 in
    --long) SECONDS_EACH=${MVSMTP_FUZZ_LONG_SECONDS:-1800} ;;
    --seconds) SECONDS_EACH=$2; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")

say() { printf '== %s\n' "$*"; }
fail() { echo "scripts/fuzz.sh: $*" >&2; exit 1; }

# ------------------------------------------------------------------ 1. build
command -v clang++ >/dev/null || fail "clang++ is missing (apt-get install clang libclang-rt-14-dev, or scripts/bootstrap.sh)"
say "build: $BUILD (clang, -fsanitize=fuzzer,address,undefined)"
mkdir -p "$BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DMVSMTP_FUZZ=ON -DBUILD_TESTING=OFF >"$BUILD/configure.log" 2>&1 ||
  { tail -30 "$BUILD/configure.log" >&2; fail "cmake configure of $BUILD failed"; }
build_targets=()
for t in "${targets[@]}"; do build_targets+=("fuzz_$t"); done
if ! cmake --build "$BUILD" -j2 --target "${build_targets[@]}" >"$BUILD/build.log" 2>&1; then
  grep -E -B2 -A6 "error|Error" "$BUILD/build.log" | tail -60 >&2
  fail "build failed (full log: $BUILD/build.log)"
fi

# ------------------------------------------------------------------ 2. run
say "run: ${targets[*]}, ${SECONDS_EACH} s each, $JOBS at a time"
WORK=$(mktemp -d /tmp/mvsmtp-fuzz-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$BUILD/artifacts" "$WORK/mime-out"
run_one() {
  local t=$1
  mkdir -p "$BUILD/corpus/$t"
  local env=()
  [ "$t" = mime ] && env=(MVSMTP_FUZZ_MIME_OUT="$WORK/mime-out")
  # halt_on_error: the first report ends the run; detect_leaks: a leak is a finding too
  local rc=0
  env "${env[@]}" ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$BUILD/tests/fuzz/fuzz_$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/$t-" \
    "$BUILD/corpus/$t" "$ROOT/tests/fuzz/corpus/$t" >"$WORK/$t.log" 2>&1 || rc=$?
  echo "$rc" >"$WORK/$t.rc"
}
running=0
for t in "${targets[@]}"; do
  [ -x "$BUILD/tests/fuzz/fuzz_$t" ] || fail "no fuzz target $t (targets: ${ALL_TARGETS[*]})"
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then wait -n || true; running=$((running - 1)); fi
done
wait || true

# ------------------------------------------------------------------ 3. Python round trip
status=0
mime_check=""
if printf '%s\n' "${targets[@]}" | grep -qx mime; then
  if /usr/bin/python3 "$ROOT/tests/fuzz/check_mime.py" "$WORK/mime-out" >"$WORK/check_mime.log" 2>&1; then
    mime_check="$(tail -1 "$WORK/check_mime.log")"
  else
    mime_check="FAILED: $(tail -1 "$WORK/check_mime.log")"
    status=1
    # Keep what failed (the message, the fields it was written from, the key records): the
    # input that made it is usually not in the corpus, and $WORK goes when this script ends.
    sed -n 's/^FAIL \([^:]*\.eml\): .*/\1/p' "$WORK/check_mime.log" | while read -r eml; do
      n=$(basename "$eml" .eml)
      cp "$eml" "$BUILD/artifacts/mime-check-$n.eml" 2>/dev/null || true
      cp "${eml%.eml}.fields" "$BUILD/artifacts/mime-check-$n.fields" 2>/dev/null || true
    done
    cp "$WORK"/mime-out/dkim-*.txt "$BUILD/artifacts/" 2>/dev/null || true
  fi
fi

# ------------------------------------------------------------------ 4. report
stat() { sed -n "s/^stat::$1: *\([0-9]*\).*/\1/p" "$WORK/$2.log" | tail -1; }
echo
printf '%-10s %8s %12s %10s %8s  %s\n' target seconds executions "exec/s" corpus result
for t in "${targets[@]}"; do
  rc=$(cat "$WORK/$t.rc" 2>/dev/null || echo 1)
  execs=$(stat number_of_executed_units "$t"); execs=${execs:-0}
  secs=$(stat total_time "$t" 2>/dev/null); secs=${secs:-$SECONDS_EACH}
  corpus=$(find "$BUILD/corpus/$t" "$ROOT/tests/fuzz/corpus/$t" -type f | wc -l)
  if [ "$rc" = 0 ]; then result=ok; else result="FAILED (exit $rc)"; status=1; fi
  printf '%-10s %8s %12s %10s %8s  %s\n' "$t" "$SECONDS_EACH" "$execs" \
    "$(awk -v e="$execs" -v s="$SECONDS_EACH" 'BEGIN { printf "%.0f", e / s }')" "$corpus" "$result"
done
[ -n "$mime_check" ] && echo "mime round trip through Python's email parser and python3-dkim: $mime_check"
for t in "${targets[@]}"; do
  if [ "$(cat "$WORK/$t.rc" 2>/dev/null || echo 1)" != 0 ]; then
    echo; echo "--- fuzz_$t (last 40 lines of its log; artifacts in $BUILD/artifacts/)"
    tail -40 "$WORK/$t.log"
  fi
done
if [ -n "$mime_check" ] && [ "${mime_check#FAILED}" != "$mime_check" ]; then
  echo; echo "--- check_mime.py (failing messages kept as $BUILD/artifacts/mime-check-N.eml/.fields)"
  head -20 "$WORK/check_mime.log"
fi
exit "$status"
