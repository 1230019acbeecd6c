# install/lib/jbase.sh - the plat_* hooks for jBASE 4/5 (sourced by lib/common.sh).
#
# What differs: jBASE "TCL" commands (CREATE-FILE, BASIC, CATALOG, jcompile) are programs
# run by a shell in the account directory; CATALOG puts subroutines into a shared library
# directory and main programs into a bin directory (one pair for every account, found
# through JBCOBJECTLIST and PATH); native mode is a DEFC glue library, no engine relink.
# Facts and their status: docs/platforms.md 1.4 and 3.5; gci/platforms/jbase/.
P_TITLE=jBASE
P_ENGINE_ENV=JBCRELEASEDIR
# Output lines that mean a TCL step failed, whatever the exit status (UNVERIFIED on a real jBASE: compiler and catalog errors, missing records or files).
P_TCL_ERRORS='[Ee]rror|not found|[Cc]annot|[Uu]nable to|[Ff]ailed'
JLIB=$PREFIX/jbase/lib
JBIN=$PREFIX/jbase/bin
JGLUE=libmvsmtp_jbase.so

plat_account_check() { mv_check "$ACCOUNT holds MD or VOC (a jBASE account)" j_account_ok; }
j_account_ok() { [ -e "$ACCOUNT/MD" ] || [ -e "$ACCOUNT/MD]D" ] || [ -e "$ACCOUNT/VOC" ] || [ -e "$ACCOUNT/VOC]D" ]; }

j_clib() { [ "$MODE" = native ] && printf '%s' "-L$PREFIX/lib -lmvsmtp_jbase -lmvsmtp"; }

plat_env_note() {
  local env="JBCRELEASEDIR=$ENGINE JBCGLOBALDIR=$ENGINE PATH=$ENGINE/bin:\$PATH JBCDEV_LIB=$JLIB JBCDEV_BIN=$JBIN JBCOBJECTLIST=$JLIB LD_LIBRARY_PATH=$PREFIX/lib:$ENGINE/lib"
  [ "$MODE" = external ] || env+=" JBCDEV_CLIB=\"$(j_clib)\""
  note "TCL lines run as shell commands in $ACCOUNT with $env"
}

plat_tcl() {
  (cd "$ACCOUNT" && JBCRELEASEDIR=$ENGINE JBCGLOBALDIR=$ENGINE PATH=$ENGINE/bin:$PATH \
    JBCDEV_LIB=$JLIB JBCDEV_BIN=$JBIN JBCOBJECTLIST=$JLIB JBCDEV_CLIB="$(j_clib)" \
    LD_LIBRARY_PATH=$PREFIX/lib:$ENGINE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} bash -c "$1")
}

plat_engine_binary() { :; }   # native mode relinks nothing

# The catalog's library and bin directories: ours alone, so removed whole by uninstall.
plat_prepare() {
  if [ -d "$PREFIX/jbase" ] && [ "$QUIET" = 0 ]; then return 0; fi
  step_shell "mkdir -p $JLIB $JBIN" "SHELL rm -rf $PREFIX/jbase"
}


plat_create_progfile() {
  # TYPE=UD: a directory file; BASIC writes each object beside its source as $NAME.
  step_tcl "CREATE-FILE $PROGFILE TYPE=UD" "TCL DELETE-FILE $PROGFILE"
  note "program file $PROGFILE is the directory $ACCOUNT/$PROGFILE (TYPE=UD UNVERIFIED)"
}

plat_catalog() { step_tcl "CATALOG $PROGFILE $1" "TCL DECATALOG $PROGFILE $1"; }

# DEFC functions live in the glue library; CATALOG links the subroutines against it
# (JBCDEV_CLIB above), and the loader finds it through LD_LIBRARY_PATH.
plat_register() {
  local c
  for c in "${CFUNC[@]}"; do note "DEFC ${c%% *} is C ${c#* } in $PREFIX/lib/$JGLUE"; done
  step_tcl "jcompile -s $PREFIX/lib/$JGLUE $SHARE/glue/mvsmtp_jbase.c -I$PREFIX/include -L$PREFIX/lib -lmvsmtp" \
    "SHELL rm -f $PREFIX/lib/$JGLUE"
}

plat_relink() { note "no engine relink on jBASE: the DEFC glue is a shared library"; }

plat_after() {
  step_write "$SHARE/jbase-env.sh" "$(cat <<EOF
# mvsmtp for jBASE: source this in each user's profile (or set the same in the SYSTEM
# file, attributes 25 and 26), so CALL SENDMAIL and the verbs are found in every account.
JBCOBJECTLIST=$JLIB:\${JBCOBJECTLIST:-\$HOME/lib}
PATH=$JBIN:\$PATH
LD_LIBRARY_PATH=$PREFIX/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}
export JBCOBJECTLIST PATH LD_LIBRARY_PATH
EOF
)"
  note "every account: users source $SHARE/jbase-env.sh (JBCOBJECTLIST, PATH, LD_LIBRARY_PATH); 'jshow -c SENDMAIL' shows which copy is found"
}
