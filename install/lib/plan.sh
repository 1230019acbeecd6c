# install/lib/plan.sh - the install plan, the same for every platform.
#
#   plan_guards; plan_detect; plan_install    # install/install
#   QUIET=1 plan_install                      # install/uninstall with no installed list:
#                                             # replays the plan only to collect UNDO
#
# The order: runtime files into the prefix, the program file and its items, the C
# functions (native mode), compile, catalog, the relink plan (native mode), notes, and
# last the record MVSMTP.VERSION and the installed list, so that an install which stopped
# half-way is never taken for a complete one. The plat_* hooks are in lib/<platform>.sh.

plan_guards() {
  [ -n "$PROGFILE" ] || mv_die "$(mv_manifest_file) has no program-file line"
  if [ -z "$ENGINE" ]; then
    [ "$MODE" = external ] || [ "$PLATFORM" = qm ] || mv_refuse "native mode registers C functions with the engine and needs its relink plan: give --engine-home (or set $P_ENGINE_ENV)"
    [ "$DRY" = 1 ] || mv_refuse "TCL commands run through the engine: give --engine-home (or set $P_ENGINE_ENV)"
    ENGINE="<engine-home>"
  fi
  plan_header
  if [ "$DRY" = 0 ] && [ -f "$SRC/BUNDLE" ]; then
    [ "$(head -n 1 "$SRC/BUNDLE")" = "$VERSION" ] && [ -f "$SRC/lib/libmvsmtp.so.$VERSION" ] && [ -x "$SRC/bin/mvsmtp" ] \
      || mv_refuse "this bundle ($SRC) is not a whole mvsmtp $VERSION (BUNDLE, lib/libmvsmtp.so.$VERSION, bin/mvsmtp): unpack it again"
  elif [ "$DRY" = 0 ]; then
    [ -f "$BUILD/gci/libmvsmtp.so.$VERSION" ] && [ -x "$BUILD/gci/mvsmtp" ] \
      || mv_refuse "no libmvsmtp.so.$VERSION and mvsmtp in $BUILD/gci: build first (scripts/bootstrap.sh), give --build, or install from a release bundle"
    grep -q '"runtime"' "$BUILD/cmake_install.cmake" 2>/dev/null && command -v cmake >/dev/null \
      || mv_refuse "the binaries are staged with 'cmake --install $BUILD --component runtime': needs cmake and a build configured with cmake/Package.cmake (scripts/bootstrap.sh)"
  fi
  mv_check_sources
  plat_account_check
  # One install per platform and prefix: its list must be this account's.
  if [ -f "$LIST" ] && ! grep -qxF "account $ACCOUNT" "$LIST"; then
    mv_refuse "$LIST belongs to $(sed -n 's/^account //p' "$LIST"): uninstall that first, or use another --prefix"
  fi
  if plat_progfile_exists && [ ! -f "$(plat_items_dir)/MVSMTP.VERSION" ] && [ "$FORCE" = 0 ] \
     && ! grep -qx 'status incomplete' "$LIST" 2>/dev/null; then
    mv_refuse "$PROGFILE ($(plat_items_dir)) exists and was not made by mvsmtp: rename it, or --force to add our items to it"
  fi
}

# The record says what is in place: the same version and mode with its installed list
# means there is nothing to do; anything else is refused unless --force.
plan_detect() {
  local rec v m
  rec=$(plat_items_dir)/MVSMTP.VERSION
  if [ ! -f "$rec" ]; then
    note "check: install record $rec: none, so this is a new install"
    if [ -f "$LIST" ] && grep -qx 'status incomplete' "$LIST"; then
      note "an earlier install stopped part-way: its steps stay in $LIST"
    fi
    return 0
  fi
  { read -r v; read -r m; } <"$rec"
  if [ "$v" = "$VERSION" ] && { [ "$m" = "$MODE" ] || [ "$MODE" = auto ]; } && [ -f "$LIST" ] && [ "$FORCE" = 0 ]; then
    note "mvsmtp $v ($m) is already installed ($rec, $LIST): nothing to do (--force installs again)"
    exit 0
  fi
  [ "$FORCE" = 1 ] || mv_refuse "mvsmtp $v ($m) is installed ($rec): run install/uninstall first, or --force"
  note "mvsmtp $v ($m) is installed: installing $VERSION ($MODE) over it (--force)"
}

plan_header() {
  note "mvsmtp $VERSION for $P_TITLE: mode $MODE, account $ACCOUNT, prefix $PREFIX, engine home $ENGINE, catalog $CATALOG_SCOPE"
  plat_env_note
}

plan_install() {
  plan_binaries
  plan_spool
  plat_prepare
  plan_program_file
  if [ "$MODE" = native ]; then plan_glue; plat_register; fi
  plan_compile_catalog
  plat_choose_mode
  if [ "$MODE" = native ]; then plat_relink; fi
  plat_after
  plan_record
}

# The binaries are a release bundle's: this tree's lib/ and bin/ when it is one ($SRC/BUNDLE),
# else a bundle staged from the build tree (its binaries carry build-tree rpaths; the
# install rules of cmake/Package.cmake give them $ORIGIN ones). bin/mvsmtp is the program
# itself: it finds libmvsmtp.so and the Poco libraries in ../lib through its rpath.
plan_binaries() {
  local d lib=libmvsmtp.so.$VERSION f from=$SRC stage=""
  for d in "$PREFIX" "$PREFIX/lib" "$PREFIX/bin" "$PREFIX/include" "$PREFIX/share" "$SHARE"; do
    step_mkdir "$d"
  done
  undo "SHELL rm -f $LIST $SHARE/install-$PLATFORM.log"
  if [ ! -f "$SRC/BUNDLE" ]; then
    stage="<stage>"
    if [ "$DRY" = 0 ] && [ "$QUIET" = 0 ]; then
      stage=$(mktemp -d "${TMPDIR:-/tmp}/mvsmtp-stage.XXXXXX") || mv_die "cannot make a staging directory"
    fi
    step_shell "cmake --install $BUILD --prefix $stage --component runtime"
    from=$stage
  fi
  if [ "$from" -ef "$PREFIX" ]; then   # the .deb's /opt/mvsmtp with the default --prefix
    note "binaries: the prefix $PREFIX is this bundle: its lib/, bin/ and include/ are used where they are"
    return 0
  fi
  step_copy "$from/lib/$lib" "$PREFIX/lib/$lib"
  step_shell "ln -sf $lib $PREFIX/lib/libmvsmtp.so.$MAJOR" "SHELL rm -f $PREFIX/lib/libmvsmtp.so.$MAJOR"
  step_shell "ln -sf libmvsmtp.so.$MAJOR $PREFIX/lib/libmvsmtp.so" "SHELL rm -f $PREFIX/lib/libmvsmtp.so"
  if [ "$DRY" = 1 ] || [ "$QUIET" = 1 ]; then
    mv_out "COPY $from/lib/libPoco*.so.* $PREFIX/lib/"
    undo "SHELL rm -f $PREFIX/lib/libPoco*.so.*"
  else
    for f in "$from"/lib/libPoco*.so.*; do
      [ -f "$f" ] && step_copy "$f" "$PREFIX/lib/${f##*/}"
    done
  fi
  note "runtime libraries: the Poco libraries libmvsmtp.so needs come with it and are found beside it (rpath \$ORIGIN); OpenSSL, libstdc++, zlib, PCRE and expat stay the system's (Debian 12: libssl3 libstdc++6 zlib1g libpcre3 libexpat1)"
  step_copy "$from/bin/mvsmtp" "$PREFIX/bin/mvsmtp" 755
  step_copy "$from/include/mvsmtp.h" "$PREFIX/include/mvsmtp.h"
  [ -z "$stage" ] || step_shell "rm -rf $stage"
}

# Out-of-process requests live in <prefix>/spool/<uid>/, one owner-only folder per OS user
# that the mvsmtp program makes (0700) and checks on every run; the root is like /tmp
# without listing (1733): any user may make their own folder, nobody can read another's.
plan_spool() {
  if [ -d "$PREFIX/spool" ] && [ "$QUIET" = 0 ]; then return 0; fi
  # Taken back whole: the users' folders, their prepared (empty) request files and any
  # session socket go with it.
  step_shell "mkdir -m 1733 $PREFIX/spool" "SHELL rm -rf $PREFIX/spool"
}

# Items need their own undo step only in a program file that was there before: one this
# install makes is deleted whole (DELETE.FILE; D3: the staging directory too).
plan_program_file() {
  local dir i
  dir=$(plat_items_dir)
  ITEM_UNDO=""
  if plat_progfile_exists && [ "$QUIET" = 0 ]; then
    note "program file $PROGFILE is already there ($dir): its items are replaced"
    ITEM_UNDO=yes
  else
    plat_create_progfile
  fi
  for i in $(mv_items include subroutine verb); do
    step_copy "$SRC/basic/${ITEM_SRC[$i]}" "$dir/${ITEM_NAME[$i]}" "" "${ITEM_UNDO:+SHELL rm -f $dir/${ITEM_NAME[$i]}}"
  done
  for i in $(mv_items generated); do
    [ "${ITEM_NAME[$i]}" = MVSMTP.CONFIG.H ] || mv_die "the installer knows how to write MVSMTP.CONFIG.H only, not ${ITEM_NAME[$i]}"
    step_write "$dir/MVSMTP.CONFIG.H" "$(plan_config_h)" "${ITEM_UNDO:+SHELL rm -f $dir/MVSMTP.CONFIG.H}"
  done
  plat_load_items "*"
}

# MVSMTP.CONFIG.H: the source tree's copy with this installation's six values.
plan_config_h() {
  local cli=$PREFIX/bin/mvsmtp upper mode=$MODE
  [ "$mode" = auto ] && mode=external   # until the platform's probe says otherwise
  upper=$(printf '%s' "$PLATFORM $mode" | tr '[:lower:]' '[:upper:]')
  awk -v mode="${upper#* }" -v cli="$cli" -v plat="${upper% *}" -v ver="$VERSION" \
      -v lib="$PREFIX/lib/libmvsmtp.so" -v spool="$PREFIX/spool" \
      -v who="$PLATFORM, mode $MODE, version $VERSION" '
    NR == 1 { print; print "* Written by install/install for " who "."; next }
    /^EQU MVSMTP\.(MODE|CLI|PLATFORM|VERSION|LIBRARY|SPOOL) TO / {
      v = ($2 == "MVSMTP.MODE") ? mode : ($2 == "MVSMTP.CLI") ? cli : ($2 == "MVSMTP.PLATFORM") ? plat : \
          ($2 == "MVSMTP.LIBRARY") ? lib : ($2 == "MVSMTP.SPOOL") ? spool : ver
      if (!($2 in seen)) { seen[$2] = 1; n++ }
      match($0, /'"'"'[^'"'"']*'"'"'/)
      col = index($0, ";")
      head = substr($0, 1, RSTART) v "'"'"'"
      if (col > 0) {   # keep the comment in its column where the new value allows
        while (length(head) < col - 1) head = head " "
        if (length(head) >= col) head = head " "
        $0 = head substr($0, col)
      } else $0 = head substr($0, RSTART + RLENGTH)
    }
    { print }
    END { if (n != 6) exit 1 }' "$SRC/basic/MVSMTP.CONFIG.H" \
    || mv_die "basic/MVSMTP.CONFIG.H lacks one of the EQU lines MVSMTP.MODE, .CLI, .PLATFORM, .VERSION, .LIBRARY, .SPOOL"
}

# Native mode: the platform's C glue or definition sheet, kept in the prefix.
plan_glue() {
  local g
  [ ${#GLUE[@]} -gt 0 ] || return 0
  step_mkdir "$SHARE/glue"
  for g in "${GLUE[@]}"; do step_copy "$SRC/$g" "$SHARE/glue/${g##*/}"; done
}

plan_compile_catalog() {
  local i
  for i in $(mv_items subroutine verb); do plat_compile "${ITEM_NAME[$i]}"; done
  for i in $(mv_items subroutine); do plat_catalog "${ITEM_NAME[$i]}" subroutine; done
  for i in $(mv_items verb); do plat_catalog "${ITEM_NAME[$i]}" verb; done
}

plan_record() {
  step_write "$(plat_items_dir)/MVSMTP.VERSION" "$(printf '%s\n' "$VERSION" "$MODE" "$PLATFORM" "$PREFIX" "$LIST")" \
    "${ITEM_UNDO:+SHELL rm -f $(plat_items_dir)/MVSMTP.VERSION}"
  plat_load_items MVSMTP.VERSION
  [ "$QUIET" = 1 ] && return 0
  mv_out "FILE-WRITE $LIST"
  local line
  while IFS= read -r line; do mv_out "  | $line"; done < <(plan_list complete | sed -n '/^status /q;p')
  mv_out "  | status complete"
  mv_out "  | (then ${#UNDO[@]} undo lines: install/uninstall --dry-run prints them as it would run them)"
  mv_run "FILE-WRITE $LIST" mv_write_file "$LIST" "$(plan_list complete)"
}

# The installed list: a header, then one "undo" line per step (uninstall runs them
# bottom-up). The undo steps of an earlier install (--force, or one that stopped
# part-way) are kept in front, so nothing it did is forgotten.
plan_list() {
  local u old=()
  if [ -f "$LIST" ] && { [ "$FORCE" = 1 ] || grep -qx 'status incomplete' "$LIST"; }; then
    mapfile -t old < <(sed -n 's/^undo //p' "$LIST")
  fi
  printf '%s\n' "# mvsmtp installed list: written by install/install, read by install/uninstall," \
    "# which runs the undo lines from the bottom up. One step per line; do not edit." \
    "version $VERSION" "platform $PLATFORM" "mode $MODE" "account $ACCOUNT" "prefix $PREFIX" \
    "engine-home $ENGINE" \
    "runtime-libs Poco from the bundle, beside libmvsmtp.so (rpath); OpenSSL, libstdc++, zlib, PCRE, expat from the system" \
    "status $1"
  for u in "${old[@]}"; do
    printf '%s\n' "${UNDO[@]}" | grep -qxF -- "$u" || printf 'undo %s\n' "$u"
  done
  printf 'undo %s\n' "${UNDO[@]}"
}

# A real install that stops part-way still leaves its list (status incomplete), so
# install/uninstall can take back what was done.
plan_on_exit() {
  local rc=$?
  if [ "$rc" != 0 ] && [ "$DRY" = 0 ] && [ -d "$SHARE" ] && [ ${#UNDO[@]} -gt 0 ]; then
    plan_list incomplete >"$LIST" || true
  fi
  if [ -n "$TMPLOG" ] && [ -f "$TMPLOG" ]; then
    if [ "$TOOL" = install ] && [ -d "$SHARE" ]; then
      { echo "== install/$TOOL $(date -u '+%Y-%m-%d %H:%M:%S UTC'), exit $rc"; cat "$TMPLOG"; } >>"$SHARE/install-$PLATFORM.log"
    fi
    rm -f "$TMPLOG"
  fi
}
