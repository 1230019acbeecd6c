# install/lib/d3.sh - the plat_* hooks for Rocket D3 on UNIX/Linux (sourced by lib/common.sh).
#
# What differs: D3 accounts live inside the database, not in an OS directory, so the
# account is the last part of --account (/accounts/DEMO -> DEMO); the items are staged in
# <prefix>/share/mvsmtp/d3/MVSMTP.BP and copied into a D3 file through OSFI (unix:);
# catalog is per account; C functions are user built-ins (addbi in dm) and need a new
# monitor. Facts and their status: docs/platforms.md 1.3 and 3.4; gci/platforms/d3/.
P_TITLE=D3
P_ENGINE_ENV=D3HOME
# Output lines that mean a TCL step failed, whatever the exit status (UNVERIFIED on a real D3: B-numbered compiler messages ([B100] Compilation aborted), missing items or files).
P_TCL_ERRORS='\[B[0-9]+\]|[Aa]borted|not on file|not found|[Cc]annot|[Uu]nable to'
D3ACCT=${ACCOUNT##*/}
D3USER=${MVSMTP_D3_USER:-dm}
D3VM=${MVSMTP_D3_VM:-pick0}

# A TCL line (and the answer to its prompt) typed into a D3 session of account $D3_IN:
# the logon data go in d3's -d argument. UNVERIFIED: -d semantics, and a logon that asks
# for a password would stop here (docs/platforms.md 3.6).
plat_tcl() {
  local cr=$'\r'
  "$ENGINE/bin/d3" -n "$D3VM" -d "$D3USER$cr${D3_IN:-$D3ACCT}$cr$1$cr${2:+$2$cr}off$cr"
}

plat_account_check() {
  note "D3 account $D3ACCT (the last part of --account; D3 accounts are not OS directories)"
  mv_check "D3 answers 'who' in account $D3ACCT" d3_account_ok
}
d3_account_ok() { plat_tcl who | grep -q "$D3ACCT"; }

plat_env_note() {
  note "TCL lines are typed into '$ENGINE/bin/d3 -n $D3VM -d <user, account, line, off>' as user $D3USER (UNVERIFIED)"
}

D3STAGE() { printf '%s' "$SHARE/d3/$PROGFILE"; }
plat_engine_binary() { printf '%s' "$ENGINE/bin/d3"; }   # what a native relink replaces
plat_prepare() {   # the staging directory is ours alone: removed whole by uninstall
  if [ -d "$SHARE/d3" ] && [ "$QUIET" = 0 ]; then return 0; fi
  step_shell "mkdir -p $(D3STAGE)" "SHELL rm -rf $SHARE/d3"
}
plat_items_dir() { D3STAGE; }
plat_progfile_exists() { [ -f "$(D3STAGE)/MVSMTP.VERSION" ]; }

plat_create_progfile() {
  step_tcl "create-file $PROGFILE 1 7" "TCL delete-file $PROGFILE"
  note "program file $PROGFILE is a D3 file in $D3ACCT; its items are staged in $(D3STAGE)"
}

# copy from the host directory into the D3 file; the second line answers copy's "to:".
plat_load_items() { step_tcl "copy unix:$(D3STAGE) $1 (o" "" "($PROGFILE" "to:"; }

plat_compile() { step_tcl "compile $PROGFILE $1"; }

# Every external subroutine must be catalogued, in the MD of each calling account
# (docs/platforms.md 1.3: "Catalog / TCL verb"); recompiling needs no re-catalog.
plat_catalog() { step_tcl "catalog $PROGFILE $1" "TCL decatalog $PROGFILE $1"; }

plat_register() {
  local c names=""
  for c in "${CFUNC[@]}"; do
    names+=" ${c%% *}"
    note "user built-in %${c%% *} is C ${c#* }"
  done
  note "the next TCL line runs in the dm account"
  D3_IN=dm step_tcl "addbi$names"
  undo "NOTE take${names} out of dm,messages user.builtin (no documented reverse of addbi) before the monitor is relinked"
}

plat_relink() {
  local mon=$ENGINE/bin/d3
  step_relink "a new D3 monitor with the user built-ins, D3 stopped; the installer does not run this; again after every D3 release; link command UNVERIFIED (docs/platforms.md 1.3):" \
    "1. cp -p $mon $mon.pre-mvsmtp" \
    "2. link the monitor from px_user.c (written by addbi) with -L$PREFIX/lib -lmvsmtp -Wl,--disable-new-dtags,-rpath,$PREFIX/lib as the D3 manual's \"Creating user-defined C functions (D3 UNIX)\" directs" \
    "3. start D3; in $D3ACCT: SMTP.TEST PROFILE <name>"
  undo "RELINK put the old monitor back, D3 stopped: cp -p $mon.pre-mvsmtp $mon"
}

plat_after() {
  local names
  names=$(mv_catalogued_names)
  note "other accounts: in each account that uses mvsmtp, catalog the same names from this file: catalog $D3ACCT,$PROGFILE,$names (file reference syntax UNVERIFIED)"
}
