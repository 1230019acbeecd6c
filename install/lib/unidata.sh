# install/lib/unidata.sh - the plat_* hooks for Rocket UniData (sourced by lib/common.sh).
#
# What differs: TCL (ECL) through udt, a DIR program file, global CATALOG, the CALLC
# function in $UDTHOME/work/cfuncdef_user, and the udt relink. Facts and their status are
# in docs/platforms.md 1.2 and 3.3; the lead's sample lines: gci/platforms/unidata/.
P_TITLE=UniData
P_ENGINE_ENV=UDTHOME
# Output lines that mean a TCL step failed, whatever the exit status (UNVERIFIED on a real UniData: compiler error counts and failures, missing records or files, refusals).
P_TCL_ERRORS='[1-9][0-9]* errors?|[Ss]yntax error|[Ff]ailed|not found|[Cc]annot|[Uu]nable to|[Ii]nvalid|not compiled|[Aa]borted'

plat_account_check() { mv_check "$ACCOUNT/VOC exists (a UniData account)" test -f "$ACCOUNT/VOC"; }

plat_env_note() {
  note "TCL lines are typed into $ENGINE/bin/udt (UDTHOME=$ENGINE, UDTBIN=$ENGINE/bin) started in $ACCOUNT, one session per line (UNVERIFIED)"
}

plat_tcl() { printf '%s\n' "$1" | (cd "$ACCOUNT" && UDTHOME=$ENGINE UDTBIN=$ENGINE/bin "$ENGINE/bin/udt"); }

plat_engine_binary() { printf '%s' "$ENGINE/bin/udt"; }   # what a native relink replaces
plat_prepare() { :; }

plat_create_progfile() {
  # A DIR file: one OS file per item; BASIC writes each object beside it as _NAME.
  step_tcl "CREATE.FILE DIR $PROGFILE" "TCL DELETE.FILE $PROGFILE"
  note "program file $PROGFILE is the directory $ACCOUNT/$PROGFILE (CREATE.FILE DIR syntax UNVERIFIED)"
}


# GLOBAL (the default: the system CTLG, so every account can CALL SENDMAIL and use the
# verbs) is from memory, UNVERIFIED (docs/platforms.md 1.2); FORCE replaces an older copy.
plat_catalog() { step_tcl "CATALOG $PROGFILE $1 FORCE" "TCL DELETE.CATALOG $1"; }

# cfuncdef_user lines from the manifest: $$FUN "BASIC RET C(ARGS)" as in
# gci/platforms/unidata/cfuncdef_user, and the library under $$LIB. The $$LIB rpath is
# an old-style DT_RPATH (--disable-new-dtags) so that udt also finds the Poco libraries
# beside libmvsmtp.so, which the library itself does not name a path for.
ud_lines() {
  local c name csym sig
  echo '$$FUN'
  for c in "${CFUNC[@]}"; do
    read -r name csym sig <<<"$c"
    sig=$(sed 's/out:[0-9]*//g' <<<"$sig")
    echo "$name ${sig%%(*} $csym($(sed 's/,/, /g' <<<"${sig#*(}")"
  done
  echo '$$LIB'
  echo "-L$PREFIX/lib -lmvsmtp -Wl,--disable-new-dtags,-rpath,$PREFIX/lib"
}

# Our lines are kept in the prefix, so uninstall takes out exactly what install put in.
plat_register() {
  local f=$ENGINE/work/cfuncdef_user ours=$SHARE/cfuncdef_user.mvsmtp
  step_write "$ours" "$(ud_lines)"
  mv_out "FILE-WRITE $f (adds each line of $ours once, under its section; other lines stay)"
  mv_run "FILE-WRITE $f" ud_edit add "$f" "$ours"
  undo "CALL plat_cfuncdef_remove $f $ours"
}

plat_cfuncdef_remove() {   # FILE OURS
  mv_out "FILE-WRITE $1 (the lines of $2 taken out)"
  mv_run "CALL plat_cfuncdef_remove $1 $2" ud_edit remove "$1" "$2"
}

# ud_edit add|remove FILE OURS: each non-header line of OURS goes into FILE once, right
# under its section header (the header is appended when FILE lacks it), or comes out
# again, with any of our headers left empty; a FILE left with no entries is removed.
ud_edit() {
  local tmp=$2.mvsmtp-new
  [ -f "$2" ] || { [ "$1" = remove ] && return 0; : >"$2"; }
  awk -v op="$1" '
    FNR == NR { if ($0 ~ /^\$\$/) { sec = $0; ourhdr[sec] = 1 } else { want[$0] = sec; order[++n] = $0 }; next }
    { if (op == "remove" && ($0 in want)) next
      have[$0] = 1; lines[++m] = $0 }
    END {
      for (i = 1; i <= m; i++) {
        if (op == "remove" && (lines[i] in ourhdr) && (i == m || lines[i + 1] ~ /^\$\$/)) continue
        print lines[i]
        if (op == "add" && lines[i] ~ /^\$\$/) {
          hdr[lines[i]] = 1
          for (j = 1; j <= n; j++) if (want[order[j]] == lines[i] && !(order[j] in have)) print order[j]
        }
      }
      if (op == "add") for (j = 1; j <= n; j++) {
        s = want[order[j]]
        if ((order[j] in have) || (s in hdr)) continue
        if (!(s in done)) { print s; done[s] = 1 }
        print order[j]
      }
    }' "$3" "$2" >"$tmp" && mv -f "$tmp" "$2" || return 1
  if [ "$1" = remove ] && ! grep -qv -e '^[$][$]' -e '^[[:space:]]*$' "$2"; then rm -f "$2"; fi
}

plat_relink() {
  local udt=$ENGINE/bin/udt
  step_relink "udt with the CALLC function, all users logged off; the installer does not run this; commands UNVERIFIED (docs/platforms.md 1.2):" \
    "1. cp -p $udt $udt.pre-mvsmtp" \
    "2. cd $ENGINE/work && $ENGINE/bin/gencdef" \
    "3. cd $ENGINE/work && $ENGINE/bin/makeudt" \
    "4. restart UniData; in $ACCOUNT: SMTP.TEST PROFILE <name>"
  undo "RELINK put the old udt back, all users logged off: cp -p $udt.pre-mvsmtp $udt (or run makeudt again)"
}

plat_after() {
  note "catalogued globally (system CTLG): CALL SENDMAIL and the verbs work in every account once this is confirmed on a real engine (UNVERIFIED default; else run CATALOG ... LOCAL per account)"
}
