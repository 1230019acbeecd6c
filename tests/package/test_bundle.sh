#!/bin/bash
# tests/package/test_bundle.sh - the release bundle (cmake/Package.cmake) as a site gets it.
#
# Runs cpack on the existing build (no rebuild from scratch; packages go to a temporary
# directory, not build/package), unpacks the tarball and checks:
#   1. the layout: lib/ bin/ include/ basic/ install/ docs/ README.md BUNDLE, and lib/ holds
#      libmvsmtp.so* and libPoco* only
#   2. readelf -d: libmvsmtp.so has rpath $ORIGIN, bin/mvsmtp $ORIGIN/../lib, the same tag
#   3. env -i PATH=/usr/bin:/bin bin/mvsmtp --version runs (no LD_LIBRARY_PATH)
#   4. ldd: every libPoco* of lib/libmvsmtp.so and bin/mvsmtp resolves inside lib/
#   5. python3 ctypes dlopen()s lib/libmvsmtp.so by absolute path and calls mvs_version
#   6. the installer, run from the bundle, takes its binaries from it (dry-run)
#   7. the .deb: dpkg-deb -c lists /opt/mvsmtp/{lib/libmvsmtp.so.*,bin/mvsmtp,basic/SENDMAIL,
#      install/install}; dpkg-deb -I shows Depends, with no Poco in it and equal to what
#      dpkg-shlibdeps derives with the bundled Poco left out
# The .deb is only read (dpkg-deb -c/-I/-x), never installed. Needs the build
# ($MVSMTP_BUILD_DIR or ./build, configured with cmake/Package.cmake): exit 77 (CTest:
# skipped) without it. Prints each check; exit 1 with the reason on the first failure.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=${MVSMTP_BUILD_DIR:-$SRC/build}
VERSION=$(head -n 1 "$SRC/install/VERSION")
[ -f "$BUILD/CPackConfig.cmake" ] && [ -f "$BUILD/gci/libmvsmtp.so.$VERSION" ] \
  || { echo "skipped: no build with CPackConfig.cmake in $BUILD"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok   $*"; }

# --- the packages -------------------------------------------------------------------------
(cd "$T" && cpack --config "$BUILD/CPackConfig.cmake" -B "$T/pkg" -D CPACK_OUTPUT_FILE_PREFIX="$T/pkg") \
  >"$T/cpack.log" 2>&1 || { tail -20 "$T/cpack.log"; fail "cpack failed"; }
NAME=mvsmtp-$VERSION-linux-$(uname -m)
TGZ=$T/pkg/$NAME.tar.gz
DEB=$(ls "$T/pkg/mvsmtp_${VERSION}_"*.deb 2>/dev/null | head -n 1)
[ -f "$TGZ" ] || fail "cpack made no $NAME.tar.gz: $(ls "$T/pkg")"
[ -n "$DEB" ] || fail "cpack made no mvsmtp_${VERSION}_<arch>.deb: $(ls "$T/pkg")"
ok "cpack: $(basename "$TGZ"), $(basename "$DEB")"

# --- 1. layout ----------------------------------------------------------------------------
mkdir "$T/x" && tar -xzf "$TGZ" -C "$T/x" || fail "cannot unpack $TGZ"
B=$T/x/$NAME
[ "$(ls "$T/x")" = "$NAME" ] || fail "the tarball's top folder is not $NAME/: $(ls "$T/x")"
for f in lib/libmvsmtp.so.$VERSION bin/mvsmtp include/mvsmtp.h basic/SENDMAIL basic/SMTP.H \
         install/install install/uninstall install/VERSION README.md BUNDLE; do
  [ -f "$B/$f" ] || fail "the bundle lacks $f"
done
[ -x "$B/bin/mvsmtp" ] && [ -x "$B/install/install" ] && [ -x "$B/install/uninstall" ] \
  || fail "bin/mvsmtp, install/install or install/uninstall is not executable"
[ -d "$B/docs" ] && [ -n "$(ls -A "$B/docs")" ] || fail "the bundle has no docs/"
[ "$(readlink "$B/lib/libmvsmtp.so.${VERSION%%.*}")" = "libmvsmtp.so.$VERSION" ] \
  && [ "$(readlink "$B/lib/libmvsmtp.so")" = "libmvsmtp.so.${VERSION%%.*}" ] \
  || fail "lib/libmvsmtp.so and .so.${VERSION%%.*} are not the symlinks to libmvsmtp.so.$VERSION"
[ "$(cat "$B/BUNDLE")" = "$VERSION" ] || fail "BUNDLE holds '$(cat "$B/BUNDLE")', not $VERSION"
others=$(cd "$B/lib" && ls | grep -v -E '^libmvsmtp\.so(\.|$)|^libPoco[A-Za-z]*\.so\.')
[ -z "$others" ] || fail "lib/ holds more than libmvsmtp and Poco: $others"
ls "$B/lib"/libPoco*.so.* >/dev/null 2>&1 || fail "no Poco libraries in lib/"
for f in "$B/lib"/libPoco*.so.*; do
  [ -L "$f" ] && fail "$(basename "$f") is a symlink, not the library"
  so=$(readelf -d "$f" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
  [ "$so" = "$(basename "$f")" ] || fail "lib/$(basename "$f") has SONAME '$so'"
done
ok "layout: $(cd "$B" && ls | tr '\n' ' ')| lib/: $(cd "$B/lib" && ls | tr '\n' ' ')"

# --- 2. rpaths ----------------------------------------------------------------------------
rpath_of() { readelf -d "$1" | sed -n 's/.*(\(RPATH\|RUNPATH\)).*\[\(.*\)\]/\1 \2/p'; }
lib_rp=$(rpath_of "$B/lib/libmvsmtp.so.$VERSION")
bin_rp=$(rpath_of "$B/bin/mvsmtp")
[ "${lib_rp#* }" = '$ORIGIN' ] || fail "lib/libmvsmtp.so.$VERSION: rpath '$lib_rp', not \$ORIGIN"
[ "${bin_rp#* }" = '$ORIGIN/../lib' ] || fail "bin/mvsmtp: rpath '$bin_rp', not \$ORIGIN/../lib"
[ "${lib_rp%% *}" = "${bin_rp%% *}" ] || fail "mixed tags: libmvsmtp.so has $lib_rp, mvsmtp $bin_rp"
ok "readelf: libmvsmtp.so $lib_rp; mvsmtp $bin_rp"

# --- 3. the program runs with a clean environment -----------------------------------------
out=$(env -i PATH=/usr/bin:/bin "$B/bin/mvsmtp" --version 2>&1) || fail "bin/mvsmtp --version: $out"
grep -qF "$VERSION" <<<"$out" || fail "bin/mvsmtp --version says '$out', not $VERSION"
ok "env -i bin/mvsmtp --version: $out"

# --- 4. ldd: Poco from the bundle ---------------------------------------------------------
ldd_check() {   # FILE: every libPoco* and libmvsmtp* it loads is the bundle's
  local out line name path n=0
  out=$(env -i PATH=/usr/bin:/bin ldd "$1" 2>&1) || fail "ldd $1: $out"
  grep -q 'not found' <<<"$out" && fail "ldd $1: $(grep 'not found' <<<"$out")"
  while read -r name _ path _; do
    [ -n "$path" ] || fail "ldd $1: $name has no path"
    [ "$(readlink -f "$path")" = "$(readlink -f "$B/lib/$name")" ] \
      || fail "ldd $1: $name comes from $path, not from the bundle's lib/"
    n=$((n + 1))
  done < <(grep -E '^\s*lib(Poco|mvsmtp)' <<<"$out")
  [ "$n" -gt 0 ] || fail "ldd $1 names no Poco library"
  echo "$n"
}
n_lib=$(ldd_check "$B/lib/libmvsmtp.so.$VERSION") || { echo "$n_lib"; exit 1; }
n_bin=$(ldd_check "$B/bin/mvsmtp") || { echo "$n_bin"; exit 1; }
ok "ldd: libmvsmtp.so loads $n_lib Poco libraries, mvsmtp $n_bin libraries, all from the bundle's lib/"

# --- 5. dlopen by absolute path -----------------------------------------------------------
out=$(env -i PATH=/usr/bin:/bin /usr/bin/python3 - "$B/lib/libmvsmtp.so" <<'EOF' 2>&1
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
buf = ctypes.create_string_buffer(64)
n = lib.mvs_version(buf, len(buf))
if n <= 0 or n >= len(buf):
    sys.exit("mvs_version returned %d" % n)
print(buf.value.decode())
EOF
) || fail "dlopen $B/lib/libmvsmtp.so and mvs_version: $out"
[ "$out" = "$VERSION" ] || fail "mvs_version through dlopen says '$out', not $VERSION"
ok "python3 ctypes dlopen(lib/libmvsmtp.so): mvs_version = $out"

# --- 6. the installer takes the bundle's binaries -----------------------------------------
out=$("$B/install/install" --platform universe --account "$T/acct" --engine-home "$T/uv" \
        --prefix "$T/prefix" --mode external --dry-run 2>/dev/null) || fail "install --dry-run from the bundle failed"
grep -qxF "COPY <src>/lib/libmvsmtp.so.$VERSION $T/prefix/lib/libmvsmtp.so.$VERSION" <<<"$out" \
  && grep -qxF "COPY <src>/bin/mvsmtp $T/prefix/bin/mvsmtp" <<<"$out" \
  || fail "install/install in the bundle does not copy lib/ and bin/ from it: $(grep -E '^COPY .*(mvsmtp|Poco)' <<<"$out")"
grep -q 'cmake --install\|LD_LIBRARY_PATH' <<<"$out" && fail "install/install in the bundle stages from a build or writes a launcher"
ok "install/install --dry-run from the bundle copies <src>/lib and <src>/bin"

# --- 7. the .deb ----------------------------------------------------------------------------
list=$(dpkg-deb -c "$DEB") || fail "dpkg-deb -c $DEB"
for f in "lib/libmvsmtp.so.$VERSION" bin/mvsmtp basic/SENDMAIL install/install include/mvsmtp.h BUNDLE; do
  grep -qE " \./opt/mvsmtp/$f( |$)" <<<"$list" || fail "the .deb does not hold /opt/mvsmtp/$f"
done
grep -qE ' \./opt/mvsmtp/lib/libPoco' <<<"$list" || fail "the .deb holds no Poco libraries"
info=$(dpkg-deb -I "$DEB") || fail "dpkg-deb -I $DEB"
grep -qE '^ Package: mvsmtp$' <<<"$info" || fail "the .deb's package name is not mvsmtp"
grep -qE '^ Maintainer: .+' <<<"$info" && grep -qE '^ Description: .+' <<<"$info" || fail "the .deb has no Maintainer or Description"
deps=$(sed -n 's/^ Depends: //p' <<<"$info")
[ -n "$deps" ] || fail "dpkg-deb -I shows no Depends"
grep -qi poco <<<"$deps" && fail "Depends names Poco, which the package carries: $deps"
# What dpkg-shlibdeps says the bundle needs, the Poco packages excluded.
mkdir -p "$T/deb" && dpkg-deb -x "$DEB" "$T/deb" && mkdir -p "$T/deb/DEBIAN" "$T/deb/debian" && : >"$T/deb/debian/control"
excl=$(cd "$B/lib" && dpkg -S libPoco*.so.* 2>/dev/null | cut -d: -f1 | tr ',' '\n' | sed 's/^ *//' | sort -u | sed 's/^/-x/')
[ -n "$excl" ] || fail "dpkg -S finds no package holding the system's copies of the bundled Poco"
derived=$(cd "$T/deb" && dpkg-shlibdeps $excl -lopt/mvsmtp/lib --ignore-missing-info -O \
            opt/mvsmtp/lib/libmvsmtp.so."$VERSION" opt/mvsmtp/lib/libPoco*.so.* opt/mvsmtp/bin/mvsmtp 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$derived" ] || fail "dpkg-shlibdeps derived nothing from the .deb's binaries"
[ "$deps" = "$derived" ] || fail "Depends is '$deps' but dpkg-shlibdeps derives '$derived': update CPACK_DEBIAN_PACKAGE_DEPENDS in cmake/Package.cmake"
ok "dpkg-deb: /opt/mvsmtp/{lib,bin,basic,install}; Depends: $deps"
echo "package.bundle: all checks passed"
