#!/bin/bash
# tests/bench/soak.sh [COUNT]   -- many SENDMAIL calls in one process: does anything grow?
#
#   bash tests/bench/soak.sh            10,000 calls (routine run, ~15 s)
#   bash tests/bench/soak.sh 100000     the DESIGN §5 figure (100,000 calls in one process)
#
#   1. build    cmake --build build -j2 --target mvsmtp_bench mvsmtp (bootstrap first if no build)
#   2. server   the rig's smtp-sink on 127.0.0.1:2500 (tests/testbed/rig.sh start when it is not
#               running; stopped again afterwards in that case)
#   3. soak     mvsmtp_bench soak --count COUNT: one mvs_sendmail per call (connect, EHLO, MAIL,
#               RCPT, DATA, QUIT; TLS off), every 100th to a closed port (the error path), every
#               1,000th an SMTP.OPEN / SEND / CLOSE; RSS, descriptors and threads at the start,
#               after warm-up and at the end
#
# Exit 1 when the run failed or anything grew: descriptors or threads at the end differ from the
# start, or RSS grew by more than $MVSMTP_SOAK_MAX_GROWTH_KB (default 2048) after warm-up.
# Loopback only; needs root when it has to start the rig.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${MVSMTP_BUILD_DIR:-$ROOT/build}
RIG="$ROOT/tests/testbed/rig.sh"
COUNT=${1:-10000}
MAX_GROWTH=${MVSMTP_SOAK_MAX_GROWTH_KB:-2048}

say() { printf '== %s\n' "$*"; }
fail() { echo "tests/bench/soak.sh: error: $*" >&2; exit 1; }

say "build"
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  bash "$ROOT/scripts/bootstrap.sh" || fail "scripts/bootstrap.sh failed"
fi
cmake --build "$BUILD" -j2 --target mvsmtp_bench mvsmtp >/dev/null || fail "build failed"

rig_started=0
cleanup() { [ "$rig_started" = 0 ] || "$RIG" stop >/dev/null 2>&1 || true; }
trap cleanup EXIT
if ! "$RIG" status >/dev/null 2>&1; then
  say "starting the test rig (smtp-sink 127.0.0.1:2500)"
  "$RIG" install && "$RIG" start || fail "rig.sh start failed"
  rig_started=1
fi

say "soak: $COUNT calls"
CMD=("$BUILD/tests/bench/mvsmtp_bench" soak --server smtp://127.0.0.1:2500 --count "$COUNT")
echo "+ ${CMD[*]}"
out=$("${CMD[@]}") || fail "the soak run failed: $out"
echo "$out" | grep -v '^BENCH'
line=$(grep '^BENCH' <<<"$out")
val() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<"$line"; }
problems=()
[ "$(val fd_before)" = "$(val fd_after)" ] || problems+=("descriptors $(val fd_before) -> $(val fd_after)")
[ "$(val threads_before)" = "$(val threads_after)" ] || problems+=("threads $(val threads_before) -> $(val threads_after)")
[ "$(val rss_growth_kb)" -le "$MAX_GROWTH" ] || problems+=("RSS grew $(val rss_growth_kb) kB after warm-up (limit $MAX_GROWTH)")
if [ ${#problems[@]} -gt 0 ]; then
  echo "soak: FAILED: ${problems[*]}"
  exit 1
fi
echo "soak: ok (descriptors and threads unchanged, RSS growth after warm-up $(val rss_growth_kb) kB <= $MAX_GROWTH kB)"
