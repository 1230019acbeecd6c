#!/bin/bash
# tests/install/run_golden.sh [--update] - the installer's dry-runs against expected output.
#
# For each platform P in universe unidata d3 jbase qm (qm: also --mode auto, its default):
#   install/install   --platform P --account /accounts/DEMO --engine-home /opt/P
#                     --prefix /opt/mvsmtp --mode native|external --dry-run  -> expected/P-MODE.out
#   install/uninstall (same arguments, --mode native) --dry-run             -> expected/P-uninstall.out
# Every difference is printed (diff -u) and the exit status is 1; so is anything a dry-run
# writes to stderr (e.g. a manifest naming a missing basic/ file), and a cfunction whose
# BASIC name or C symbol the platform's BASIC or glue does not use. --update rewrites the
# expected files: review every changed line against docs/platforms.md before committing.
# A dry-run reads the machine (is the account there? an installed list?), so /accounts/DEMO
# and /opt/mvsmtp must not exist: else exit 77 (CTest: skipped).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
EXPECTED=$HERE/expected
UPDATE=0; [ "${1-}" = --update ] && UPDATE=1
for p in /accounts/DEMO /opt/mvsmtp; do
  [ -e "$p" ] && { echo "skipped: $p exists on this machine, so the dry-runs would differ"; exit 77; }
done
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
status=0

check() {   # NAME COMMAND...
  local name=$1; shift
  MVSMTP_BUILD_DIR='' "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
  if [ -s "$TMP/$name.err" ]; then echo "FAIL $name: stderr:"; cat "$TMP/$name.err"; status=1; fi
  if [ "$UPDATE" = 1 ]; then cp "$TMP/$name.out" "$EXPECTED/$name.out"; echo "updated $name"; return; fi
  if diff -u "$EXPECTED/$name.out" "$TMP/$name.out"; then echo "ok   $name"; else echo "FAIL $name"; status=1; fi
}

for p in universe unidata d3 jbase qm; do
  args=(--platform "$p" --account /accounts/DEMO --engine-home "/opt/$p" --prefix /opt/mvsmtp --dry-run)
  check "$p-native" "$SRC/install/install" "${args[@]}" --mode native
  check "$p-external" "$SRC/install/install" "${args[@]}" --mode external
  check "$p-uninstall" "$SRC/install/uninstall" "${args[@]}" --mode native
done
check "qm-auto" "$SRC/install/install" --platform qm --account /accounts/DEMO --engine-home /opt/qm \
  --prefix /opt/mvsmtp --dry-run

# The manifest's cfunction names must be the ones the BASIC calls and the C side exports.
for p in universe unidata d3 jbase qm; do
  while read -r _ basic csym _; do
    grep -rqF -- "$basic" "$SRC/basic/platform/$p" \
      || { echo "FAIL manifest $p: BASIC never uses $basic"; status=1; }
    grep -rqF -- "$csym" "$SRC/gci/abi/mvsmtp.h" "$SRC/gci/platforms/$p" \
      || { echo "FAIL manifest $p: no C symbol $csym in gci/abi/mvsmtp.h or gci/platforms/$p"; status=1; }
  done < <(grep '^cfunction' "$SRC/install/manifests/$p.manifest")
done
[ "$status" = 0 ] && echo "install.golden: all dry-runs match"
exit "$status"
