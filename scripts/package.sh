#!/bin/bash
# scripts/package.sh — the release bundle: build (scripts/bootstrap.sh), then cpack.
#
#   scripts/package.sh              build into ./build, then write
#                                     build/package/mvsmtp-<version>-linux-<arch>.tar.gz
#                                     build/package/mvsmtp_<version>_<debarch>.deb
#   MVSMTP_SKIP_BUILD=1 scripts/package.sh    package the existing build as it is
#
# The tarball unpacks to mvsmtp-<version>-linux-<arch>/ (lib/ with libmvsmtp.so and the Poco
# libraries it needs, bin/mvsmtp, include/, basic/, install/, docs/, README.md, BUNDLE); the
# .deb installs the same tree under /opt/mvsmtp. A database site runs install/install from
# either, with no compiler (cmake/Package.cmake has the rules). Prints the two paths.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="$ROOT/build"
VERSION=$(head -n 1 "$ROOT/install/VERSION")

if [ "${MVSMTP_SKIP_BUILD:-0}" != 1 ]; then
  bash "$ROOT/scripts/bootstrap.sh"
fi
[ -f "$BUILD/CPackConfig.cmake" ] || { echo "scripts/package.sh: no $BUILD/CPackConfig.cmake: build first" >&2; exit 1; }

echo "== packaging into $BUILD/package"
rm -f "$BUILD/package/mvsmtp-$VERSION-linux-"*.tar.gz "$BUILD/package/mvsmtp_${VERSION}_"*.deb
if ! (cd "$BUILD" && cpack --config CPackConfig.cmake) > "$BUILD/package.log" 2>&1; then
  tail -30 "$BUILD/package.log" >&2
  echo "scripts/package.sh: cpack failed (full log: $BUILD/package.log)" >&2
  exit 1
fi
tgz=$(ls "$BUILD/package/mvsmtp-$VERSION-linux-"*.tar.gz)
deb=$(ls "$BUILD/package/mvsmtp_${VERSION}_"*.deb)
echo "$tgz"
echo "$deb"
