#!/bin/bash
# tests/install/test_idempotent.sh - real (not dry-run) installs against a fake engine.
#
# For jBASE native (glue compiled, catalogued into a library directory), UniVerse external
# (TCL typed into uv) and UniData native (udt, and our lines in a cfuncdef_user that already
# holds another product's), with tests/install/fake_engine.sh standing in for the engine:
#   1. install into a temporary account and prefix; the installed mvsmtp runs through its $ORIGIN rpath
#   2. install again: "nothing to do", and not one file or engine command changes
#   3. install --force: the same files and catalog, nothing registered twice
#   4. uninstall: the prefix is gone, the account holds only what it had, the catalog is empty
#   5. an install whose compile fails half-way leaves an "incomplete" list; uninstall
#      takes back what it did
# Needs the build (libmvsmtp.so and mvsmtp in $MVSMTP_BUILD_DIR/gci or ./build/gci): exit 77
# (CTest: skipped) without it. Prints each check; exit 1 on the first failure.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=${MVSMTP_BUILD_DIR:-$SRC/build}
VERSION=$(head -n 1 "$SRC/install/VERSION")
[ -f "$BUILD/gci/libmvsmtp.so.$VERSION" ] && [ -x "$BUILD/gci/mvsmtp" ] \
  || { echo "skipped: no build in $BUILD/gci"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*"; [ -f "$T/out" ] && sed 's/^/    /' "$T/out"; exit 1; }
ok() { echo "ok   $*"; }
# Every file under the temporary tree with its content hash, and the fake engine's state;
# the install log is left out (each run appends to it by design).
snapshot() {
  (cd "$T" && find . -path ./out -prune -o -name 'install-*.log' -prune -o -print0 | sort -z |
    xargs -0 -I{} sh -c 'if [ -f "{}" ]; then printf "%s %s\n" "{}" "$(md5sum <"{}" | cut -c1-32)"; else echo "{}"; fi')
}

# UniData: our cfuncdef_user lines appear once beside the other product's, and go again.
cfuncdef_check() {   # PLATFORM once|restored
  local f=$T/engine/work/cfuncdef_user
  [ "$1" = unidata ] || return 0
  grep -qxF 'other_func int other_func(int)' "$f" || fail "cfuncdef_user lost the other product's line"
  if [ "$2" = once ]; then
    [ "$(grep -c 'mvs_shim_call' "$f")" = 1 ] && [ "$(grep -c -- '-lmvsmtp' "$f")" = 1 ] \
      && [ "$(grep -cxF '$$FUN' "$f")" = 1 ] || fail "cfuncdef_user: our lines not there exactly once: $(cat "$f")"
  else
    [ "$(cat "$f")" = "$(printf '%s\n' '$$FUN' 'other_func int other_func(int)' '$$OBJ' '/opt/other/other.o')" ] \
      || fail "cfuncdef_user not as before: $(cat "$f")"
  fi
}

run_case() {   # PLATFORM MODE ACCOUNT-MARKER-FILE
  local p=$1 mode=$2 marker=$3 names
  rm -rf "${T:?}"/*
  bash "$HERE/fake_engine.sh" "$T/engine" "$p"
  mkdir -p "$T/acct"; : >"$T/acct/$marker"
  local args=(--platform "$p" --account "$T/acct" --engine-home "$T/engine" --prefix "$T/prefix"
              --build "$BUILD" --mode "$mode")
  names=$(grep -Ec "^(subroutine|verb) " "$SRC/install/manifests/$p.manifest")
  [ "$mode" = native ] || names=$((names - $(grep -Ec '^(subroutine|verb) .*when=native' "$SRC/install/manifests/$p.manifest")))

  "$SRC/install/install" "${args[@]}" >"$T/out" 2>&1 || fail "$p $mode: first install"
  [ "$("$T/prefix/bin/mvsmtp" --version 2>&1)" != "" ] || fail "$p $mode: installed mvsmtp does not run"
  "$T/prefix/bin/mvsmtp" --version | grep -qF "$VERSION" || fail "$p $mode: installed mvsmtp is not $VERSION"
  ls "$T/prefix/lib"/libPoco*.so.* >/dev/null 2>&1 || fail "$p $mode: no Poco libraries beside libmvsmtp.so"
  grep -q "MVSMTP.MODE TO '${mode^^}'" "$T/acct/MVSMTP.BP/MVSMTP.CONFIG.H" || fail "$p $mode: MVSMTP.CONFIG.H mode"
  grep -q "MVSMTP.CLI TO '$T/prefix/bin/mvsmtp'" "$T/acct/MVSMTP.BP/MVSMTP.CONFIG.H" || fail "$p $mode: MVSMTP.CONFIG.H path"
  [ "$(wc -l <"$T/engine/catalog.txt")" = "$names" ] || fail "$p $mode: $names names catalogued"
  grep -q '^status complete' "$T/prefix/share/mvsmtp/installed-$p.txt" || fail "$p $mode: installed list"
  ok "$p $mode: install ($names names catalogued, mvsmtp $VERSION runs from the prefix)"
  cfuncdef_check "$p" once

  local before; before=$(snapshot)
  "$SRC/install/install" "${args[@]}" >"$T/out" 2>&1 || fail "$p $mode: second install"
  grep -q "nothing to do" "$T/out" || fail "$p $mode: second install did not see the record"
  [ "$(snapshot)" = "$before" ] || fail "$p $mode: second install changed files: $(diff <(echo "$before") <(snapshot))"
  ok "$p $mode: second install changes nothing"

  "$SRC/install/install" "${args[@]}" --force >"$T/out" 2>&1 || fail "$p $mode: install --force"
  [ "$(wc -l <"$T/engine/catalog.txt")" = "$names" ] || fail "$p $mode: --force catalogued names twice"
  [ "$(sort "$T/engine/catalog.txt" | uniq -d)" = "" ] || fail "$p $mode: duplicate catalog entries"
  cfuncdef_check "$p" once
  ok "$p $mode: install --force registers nothing twice"

  "$SRC/install/uninstall" --platform "$p" --account "$T/acct" --prefix "$T/prefix" >"$T/out" 2>&1 \
    || fail "$p $mode: uninstall"
  [ ! -e "$T/prefix" ] || fail "$p $mode: uninstall left $(cd "$T" && find prefix | head -5)"
  [ "$(ls -A "$T/acct")" = "$marker" ] || fail "$p $mode: uninstall left in the account: $(ls -A "$T/acct")"
  [ ! -e "$T/engine/catalog.txt" ] || fail "$p $mode: still catalogued: $(cat "$T/engine/catalog.txt")"
  cfuncdef_check "$p" restored
  ok "$p $mode: uninstall removes everything"

  FAKE_FAIL=SMTP.TEST "$SRC/install/install" "${args[@]}" >"$T/out" 2>&1 && fail "$p $mode: a failing compile went unnoticed"
  grep -q '^status incomplete' "$T/prefix/share/mvsmtp/installed-$p.txt" || fail "$p $mode: no incomplete list"
  "$SRC/install/uninstall" --platform "$p" --account "$T/acct" --prefix "$T/prefix" >"$T/out" 2>&1 \
    || fail "$p $mode: uninstall after a failed install"
  [ ! -e "$T/prefix" ] && [ "$(ls -A "$T/acct")" = "$marker" ] || fail "$p $mode: leftovers after a failed install"
  ok "$p $mode: a failed install is taken back by uninstall"
}

run_case jbase native MD
run_case universe external VOC
run_case unidata native VOC
echo "install.idempotent: all checks passed"
