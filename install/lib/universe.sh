# install/lib/universe.sh - the plat_* hooks for Rocket UniVerse (sourced by lib/common.sh).
#
# What differs from the other engines: how a TCL command is run, the program file, the
# catalog commands, the GCI registration and the uvsh relink. Facts and their status are
# in docs/platforms.md 1.1 and 3.2 (catalog: normal, never global, so CALL SENDMAIL keeps
# its name); the GCI routine is gci/platforms/universe/gci-definitions.txt.
P_TITLE=UniVerse
P_ENGINE_ENV=UVHOME
# Output lines that mean a TCL step failed, whatever the exit status (UNVERIFIED on a real UniVerse: compiler error counts and failures, missing records or files, refusals).
P_TCL_ERRORS='[1-9][0-9]* errors?|[Ff]ailed|not found|[Cc]annot|[Uu]nable to|[Ii]nvalid|not compiled|[Aa]borted'

plat_account_check() { mv_check "$ACCOUNT/VOC exists (a UniVerse account)" test -f "$ACCOUNT/VOC"; }

plat_env_note() {
  note "TCL lines are typed into $ENGINE/bin/uv started in $ACCOUNT, one session per line (UNVERIFIED: a LOGIN paragraph that prompts would take the command as its answer)"
}

plat_tcl() { printf '%s\n' "$1" | (cd "$ACCOUNT" && UVHOME=$ENGINE "$ENGINE/bin/uv"); }

plat_engine_binary() { printf '%s' "$ENGINE/bin/uvsh"; }   # what a native relink replaces
plat_prepare() { :; }

plat_create_progfile() {
  # Type 19: a directory, one OS file per item. BASIC keeps objects in MVSMTP.BP.O, which
  # it creates on the first compile (UNVERIFIED on UniVerse 11).
  step_tcl "CREATE.FILE $PROGFILE 19" "TCL DELETE.FILE $PROGFILE"
  undo "TCL DELETE.FILE $PROGFILE.O"
  note "program file $PROGFILE is the directory $ACCOUNT/$PROGFILE"
}


# Normal catalog: the object goes to catalog space as *account*NAME, with a VOC verb here.
# Word order "file catalog.name program.name" as docs/platforms.md 1.1 assumes; FORCE
# (replace without asking) and DECATALOG for a normal catalog entry are UNVERIFIED.
plat_catalog() { step_tcl "CATALOG $PROGFILE $1 $1 FORCE" "TCL DECATALOG $PROGFILE $1"; }

plat_register() {
  local c
  for c in "${CFUNC[@]}"; do
    note "GCI routine ${c%% *} calls C ${c#* } (definition sheet: $SHARE/glue/gci-definitions.txt)"
  done
  note "enter it through the GCI Administration menu: the GCI file's layout is UNVERIFIED (docs/platforms.md 1.1), so the installer does not write it"
  undo "NOTE remove the GCI routine ${CFUNC[0]%% *} through the GCI Administration menu"
}

plat_relink() {
  local uvsh=$ENGINE/bin/uvsh
  step_relink "uvsh with the GCI routine, all users logged off; the installer does not run this; UNVERIFIED on UniVerse 11 (docs/platforms.md 1.1):" \
    "1. cp -p $uvsh $uvsh.pre-mvsmtp" \
    "2. rebuild uvsh from the GCI Administration menu, linking -L$PREFIX/lib -lmvsmtp -Wl,--disable-new-dtags,-rpath,$PREFIX/lib" \
    "3. restart UniVerse; in $ACCOUNT: SMTP.TEST PROFILE <name>"
  undo "RELINK put the old uvsh back, all users logged off: cp -p $uvsh.pre-mvsmtp $uvsh"
}

plat_after() {
  local names
  names=$(mv_catalogued_names)
  note "other accounts: a normally catalogued name is found through the VOC of the calling account; copy these VOC entries from $ACCOUNT to each account that uses mvsmtp:$names"
}
