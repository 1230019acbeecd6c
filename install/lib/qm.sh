# install/lib/qm.sh - the plat_* hooks for OpenQM and ScarletDME (sourced by lib/common.sh).
#
# What differs: the VOC is a directory; TCL lines run as `qm -QUIET "command"` in the
# account directory (the exit status is 0 even when BASIC or CATALOG failed, so each step
# is judged by its output: P_TCL_ERRORS); the program file is a DIRECTORY file whose
# objects go to MVSMTP.BP.OUT; the private catalogue; in-process calls through CCALL,
# chosen only after MVSMTP.PROBE worked (stock ScarletDME truncates CCALL pointers to 32
# bits and the engine process dies on the first call). Everything here was run on
# ScarletDME (tests/engine/); docs/install-qm.md.
P_TITLE="OpenQM / ScarletDME"
P_ENGINE_ENV=QMSYS
# Output lines that mean a TCL step failed (verified on ScarletDME 38cc96b): compiler
# errors, missing records or files, CREATE.FILE over an existing file, aborts.
P_TCL_ERRORS='^[1-9][0-9]* error\(s\)|Cannot read source record|not found|No VOC record|already exists|Unrecognised|Unable to|Abort|Process terminated|Non-numeric'

plat_account_check() { mv_check "$ACCOUNT/VOC is a directory (an OpenQM or ScarletDME account)" test -d "$ACCOUNT/VOC"; }

plat_env_note() {
  note "TCL lines run as $ENGINE/bin/qm -QUIET \"<command>\" in $ACCOUNT${SCARLET_CONFIG:+ (SCARLET_CONFIG=$SCARLET_CONFIG)}, each judged by its output"
}

plat_tcl() { (cd "$ACCOUNT" && "$ENGINE/bin/qm" -QUIET "$1" </dev/null); }

plat_engine_binary() { :; }   # nothing is relinked
plat_prepare() { :; }

plat_create_progfile() {
  step_tcl "CREATE.FILE $PROGFILE DIRECTORY" "TCL DELETE.FILE $PROGFILE"
  # The first compile makes $PROGFILE.OUT (objects) with a VOC entry of its own.
  undo "TCL DELETE.FILE $PROGFILE.OUT"
  note "program file $PROGFILE is the directory $ACCOUNT/$PROGFILE; objects go to $PROGFILE.OUT"
}

plat_catalog() { step_tcl "CATALOG $PROGFILE $1" "TCL DELETE.CATALOG $1"; }

# After everything is compiled and catalogued (MVSMTP.CONFIG.H says EXTERNAL unless
# --mode native): auto (the default) and native run the probe, external does not. The
# probe loads the installed library through CCALL and asks for its version; nothing is
# sent. When it works, auto becomes native: MVSMTP.CONFIG.H is rewritten and MVSMTP.CALL,
# which reads MVSMTP.MODE, compiled and catalogued again.
plat_choose_mode() {
  local out rc why
  [ "$MODE" = external ] && return 0
  step_copy "$SRC/basic/platform/qm/MVSMTP.PROBE" "$(plat_items_dir)/MVSMTP.PROBE" "" \
    "${ITEM_UNDO:+SHELL rm -f $(plat_items_dir)/MVSMTP.PROBE}"
  step_tcl "BASIC $PROGFILE MVSMTP.PROBE"
  mv_out "TCL RUN $PROGFILE MVSMTP.PROBE   (the in-process probe: mvs_version through CCALL)"
  if [ "$DRY" = 1 ] || [ "$QUIET" = 1 ]; then
    note "a real run keeps native mode only when the probe prints: MVSMTP.PROBE OK $VERSION"
    [ "$MODE" = auto ] && { MODE=native; qm_switch_to_native; }
    return 0
  fi
  out=$(plat_tcl "RUN $PROGFILE MVSMTP.PROBE" 2>&1 | tr -d '\r'; exit "${PIPESTATUS[0]}") && rc=0 || rc=$?
  printf '%s\n' "$out" >>"${TMPLOG:-/dev/null}"
  if [ "$rc" = 0 ] && grep -qx "MVSMTP.PROBE OK $VERSION" <<<"$out"; then
    note "probe: in-process calls work (CCALL into $PREFIX/lib/libmvsmtp.so): mode native"
    [ "$MODE" = auto ] && { MODE=native; qm_switch_to_native; }
    return 0
  fi
  why="the probe call through CCALL failed (exit status $rc: $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-160)); stock ScarletDME truncates CCALL pointers to 32 bits and dies here (../shared/engines/scarletdme/build.sh has the fix)"
  [ "$MODE" = native ] && mv_die "--mode native refused: $why"
  note "probe: $why: keeping mode external (the mvsmtp program, out of process)"
  MODE=external
}

qm_switch_to_native() {
  step_write "$(plat_items_dir)/MVSMTP.CONFIG.H" "$(plan_config_h)" ""
  step_tcl "BASIC $PROGFILE MVSMTP.CALL"
  step_tcl "CATALOG $PROGFILE MVSMTP.CALL"
}

plat_register() { note "no C registration on OpenQM/ScarletDME: CCALL loads $PREFIX/lib/libmvsmtp.so at the first call"; }
plat_relink() { note "no engine relink on OpenQM/ScarletDME"; }

plat_after() {
  note "other accounts: the private catalogue serves this account only; in another account run the installer again, or CATALOG MVSMTP.BP <name> GLOBAL there by hand:$(mv_catalogued_names)"
}
