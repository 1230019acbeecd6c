#!/bin/bash
# scripts/bootstrap.sh — install what is missing (Debian 12, as root) and build into ./build.
#
#   scripts/bootstrap.sh            packages for building, then cmake configure + build
#   MVSMTP_BUILD_TYPE=Debug scripts/bootstrap.sh
#
# Idempotent: a second run installs nothing and rebuilds only what changed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="$ROOT/build"
# clang + libclang-rt-14-dev: the libFuzzer targets (scripts/fuzz.sh; libclang_rt.fuzzer-x86_64.a
# is in libclang-rt-14-dev, which clang-14 only recommends). Always installed, because
# scripts/test.sh always runs the bounded fuzzing stage.
PACKAGES=(g++ make cmake pkg-config libpoco-dev libboost-test-dev libssl-dev libc-ares-dev
          libidn2-dev ca-certificates python3 clang libclang-rt-14-dev)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "== building into $BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE="${MVSMTP_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
if ! cmake --build "$BUILD" -j2 > "$BUILD/build.log" 2>&1; then
  grep -E -B2 -A6 "error|Error" "$BUILD/build.log" | tail -60 >&2
  echo "scripts/bootstrap.sh: build failed (full log: $BUILD/build.log)" >&2
  exit 1
fi
echo "== built: $BUILD/gci/libmvsmtp.so, $BUILD/gci/mvsmtp"
