# install/lib/common.sh - the machinery shared by install/install and install/uninstall.
#
#   . install/lib/common.sh
#   mv_parse_args install "$@"      # options -> PLATFORM ACCOUNT MODE ENGINE PREFIX DRY ...
#   mv_load_platform                # sources install/lib/<platform>.sh (the plat_* hooks)
#   mv_load_manifest                # install/manifests/<platform>.manifest -> ITEM_* arrays
#
# Every action is one step function below. A step prints one line (FILE-WRITE, COPY, TCL,
# SHELL, RELINK, NOTE), runs it unless --dry-run, and pushes the step that undoes it onto
# UNDO; install writes UNDO into <prefix>/share/mvsmtp/installed-<platform>.txt and
# uninstall runs it bottom-up. Paths inside this source tree print as <src>/..., so a
# dry-run prints the same text on every machine (tests/install/run_golden.sh relies on it).

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VERSION=$(head -n 1 "$SRC/install/VERSION")
MAJOR=${VERSION%%.*}
PLATFORMS="universe unidata d3 jbase qm"
UNDO=()
QUIET=0          # 1 while uninstall replays the install plan only to learn its undo steps
TOLERANT=0       # 1 in uninstall: a failed step is counted, the rest still run
FAILED=()
TMPLOG=""

mv_die()  { echo "${TOOL:-install}: $1" >&2; exit "${2:-1}"; }
mv_refuse() { echo "${TOOL:-install}: refused: $*" >&2; exit 3; }

mv_usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$SRC/install/$TOOL" >&2
  exit 2
}

# --- options ------------------------------------------------------------------------------
mv_parse_args() {
  TOOL=$1; shift
  PLATFORM="" ACCOUNT="" MODE="" ENGINE="" PREFIX=/opt/mvsmtp DRY=0 FORCE=0
  BUILD=${MVSMTP_BUILD_DIR:-$SRC/build}
  while [ $# -gt 0 ]; do
    case $1 in
      --platform) PLATFORM=${2-}; shift 2 ;;
      --account) ACCOUNT=${2-}; shift 2 ;;
      --mode) MODE=${2-}; shift 2 ;;
      --engine-home) ENGINE=${2-}; shift 2 ;;
      --prefix) PREFIX=${2-}; shift 2 ;;
      --build) BUILD=${2-}; shift 2 ;;
      --dry-run) DRY=1; shift ;;
      --force) FORCE=1; shift ;;
      -h|--help) mv_usage ;;
      *) echo "$TOOL: unknown argument: $1" >&2; mv_usage ;;
    esac
  done
  [ -n "$PLATFORM" ] && [ -n "$ACCOUNT" ] || { echo "$TOOL: --platform and --account are required" >&2; mv_usage; }
  case " $PLATFORMS " in *" $PLATFORM "*) ;; *) mv_die "unknown platform '$PLATFORM' (one of: $PLATFORMS)" 2 ;; esac
  case $MODE in ""|native|external) ;; auto) [ "$PLATFORM" = qm ] || mv_die "--mode auto is for qm only" 2 ;;
    *) mv_die "--mode is native or external (qm: also auto), not '$MODE'" 2 ;; esac
  # Paths end up in TCL and shell command lines: absolute, and nothing a shell or a TCL
  # parser would read twice (no blanks, quotes, $, ;).
  local p
  for p in "$ACCOUNT" "$PREFIX" "$BUILD" ${ENGINE:+"$ENGINE"}; do
    [[ $p =~ ^/[A-Za-z0-9._/+-]*$ ]] || mv_die "not an absolute path of plain characters: '$p'" 2
  done
  ACCOUNT=${ACCOUNT%/} PREFIX=${PREFIX%/} ENGINE=${ENGINE%/} BUILD=${BUILD%/}
  SHARE=$PREFIX/share/mvsmtp
  LIST=$SHARE/installed-$PLATFORM.txt
}

# Defaults for engines whose program file is an OS directory (UniVerse, UniData, jBASE):
# items are plain files in it and BASIC compiles them by name. D3 overrides all four.
plat_items_dir() { printf '%s' "$ACCOUNT/$PROGFILE"; }
plat_progfile_exists() { [ -d "$ACCOUNT/$PROGFILE" ]; }
plat_load_items() { :; }   # the items were copied straight into the directory
plat_compile() { step_tcl "BASIC $PROGFILE $1"; }
plat_choose_mode() { :; }  # qm: the in-process probe (lib/qm.sh)

# The subroutine and verb names this installation catalogues, space-separated (for the
# "other accounts" notes).
mv_catalogued_names() {
  local i names=""
  for i in $(mv_items subroutine verb); do names+=" ${ITEM_NAME[$i]}"; done
  printf '%s' "$names"
}

mv_load_platform() {
  # shellcheck source=/dev/null
  . "$SRC/install/lib/$PLATFORM.sh"
  [ -n "$ENGINE" ] || ENGINE=${!P_ENGINE_ENV:-}
  [ -n "$MODE" ] || MODE=$(mv_manifest_value default-mode)
}

# --- output -------------------------------------------------------------------------------
# This checkout's paths print as <src>/... (and a build tree elsewhere as <build>/...).
mv_disp() {
  local s=$*
  case $BUILD in "$SRC"/*) ;; *) s=${s//$BUILD\//<build>/} ;; esac
  s=${s//$SRC\//<src>/}
  printf '%s' "$s"
}

mv_out() {
  [ "$QUIET" = 1 ] && return 0
  local line
  line=$(mv_disp "$*")
  printf '%s\n' "$line"
  if [ -n "$TMPLOG" ]; then printf '%s\n' "$line" >>"$TMPLOG"; fi
}

note() { mv_out "NOTE $*"; }

# A guard: a real run refuses when the test fails; a dry-run prints the check and goes on.
mv_check() {
  local what=$1; shift
  if "$@" 2>/dev/null; then
    [ "$DRY" = 1 ] && note "check: $what: yes"
    return 0
  fi
  [ "$DRY" = 1 ] || mv_refuse "$what: no"
  note "check: $what: NO (a real run stops here)"
}

# --- running ------------------------------------------------------------------------------
mv_run() {   # $1 = what was printed, rest = command; output goes to the log
  if [ "$DRY" = 1 ] || [ "$QUIET" = 1 ]; then return 0; fi
  if "${@:2}" >>"${TMPLOG:-/dev/stderr}" 2>&1; then return 0; fi
  if [ "$TOLERANT" = 1 ]; then
    FAILED+=("$1"); echo "${TOOL}: failed (continuing): $(mv_disp "$1")" >&2; return 0
  fi
  mv_die "step failed: $(mv_disp "$1") (log: ${TMPLOG:-none})$([ -n "$TMPLOG" ] && printf '\n%s' "$(tail -n 6 "$TMPLOG")")"
}

undo() { [ $# -gt 0 ] && [ -n "$1" ] && UNDO+=("$*"); return 0; }

# --- steps: each prints, runs, and records how to undo itself -----------------------------
step_shell() {   # CMD [UNDO-STEP]
  mv_out "SHELL $1"
  mv_run "SHELL $1" bash -c "$1"
  undo "${2-}"
}

step_copy() {    # SRC DST [MODE] [UNDO-STEP] (default: remove DST)
  mv_out "COPY $1 $2"
  mv_run "COPY $1 $2" cp -fp "$1" "$2"
  [ -z "${3-}" ] || mv_run "chmod $3 $2" chmod "$3" "$2"
  undo "${4-SHELL rm -f $2}"
}

step_write() {   # PATH CONTENT [UNDO-STEP] (default: remove PATH); content is printed too
  mv_out "FILE-WRITE $1"
  local line
  while IFS= read -r line; do mv_out "  | $line"; done <<<"$2"
  mv_run "FILE-WRITE $1" mv_write_file "$1" "$2"
  undo "${3-SHELL rm -f $1}"
}
mv_write_file() { printf '%s\n' "$2" >"$1.mvsmtp-new" && mv -f "$1.mvsmtp-new" "$1"; }

step_tcl() {     # COMMAND [UNDO-STEP] [ANSWER [PROMPT]]: ANSWER is typed at the command's PROMPT
  mv_out "TCL $1"
  [ -z "${3-}" ] || mv_out "TCL   ${4:+$4 }$3"
  mv_run "TCL $1" mv_tcl "$1" "${3-}"
  undo "${2-}"
}

# A TCL step is judged by its output, not only by the engine's exit status (which is 0 even
# when BASIC or CATALOG reported errors): a line matching the platform's P_TCL_ERRORS fails
# it, and the lines are shown.
mv_tcl() {   # COMMAND [ANSWER]
  local out rc=0 bad
  out=$(plat_tcl "$1" "${2-}" 2>&1) || rc=$?
  printf '%s\n' "$out"
  bad=$(printf '%s\n' "$out" | grep -E -- "$P_TCL_ERRORS" | head -n 5 || true)
  if [ -n "$bad" ]; then echo "${TOOL}: the engine reported: $bad" >&2; return 1; fi
  return "$rc"
}

step_relink() {  # printed only: an engine relink needs all users off (docs/platforms.md 3.6)
  local line
  for line in "$@"; do mv_out "RELINK $line"; done
}

step_mkdir() {   # DIR: created (and later removed) only when it is not there yet
  if [ -d "$1" ] && [ "$QUIET" = 0 ]; then return 0; fi
  step_shell "mkdir $1" "SHELL rmdir $1"
}

# Replays one recorded undo step ("KIND text"). CALL names a plat_* function that prints
# and runs its own steps (e.g. taking our lines out of a file the engine owns).
mv_replay() {
  local kind=${1%% *} rest=${1#* }
  case $kind in
    SHELL) step_shell "$rest" ;;
    TCL) step_tcl "$rest" ;;
    RELINK) step_relink "$rest" ;;
    NOTE) note "$rest" ;;
    CALL) [[ ${rest%% *} == plat_* ]] || mv_die "not a platform hook: $1"
          # shellcheck disable=SC2086  # the hook's arguments are plain paths, split on blanks
          ${rest%% *} ${rest#* } ;;
    *) mv_die "unknown step in the installed list: $1" ;;
  esac
}

# --- manifest -----------------------------------------------------------------------------
# ITEM_KIND/NAME/SRC/WHEN: one entry per include, generated, subroutine and verb line;
# CFUNC: "BASIC C SIGNATURE" per cfunction line; GLUE: paths under gci/platforms/.
mv_manifest_file() { printf '%s' "$SRC/install/manifests/$PLATFORM.manifest"; }

mv_manifest_value() {   # first value of a one-word directive (program-file, catalog, ...)
  awk -v k="$1" '$1 == k { print $2; exit }' "$(mv_manifest_file)"
}

mv_load_manifest() {
  ITEM_KIND=() ITEM_NAME=() ITEM_SRC=() ITEM_WHEN=() CFUNC=() GLUE=()
  local kind name src when n=0 line
  while read -r line; do
    n=$((n + 1))
    line=${line%%#*}
    read -r kind name src when <<<"$line"
    [ -n "$kind" ] || continue
    case $src in when=*) when=$src; src="" ;; esac
    [ "$kind" = cfunction ] || when=${when:-when=always}
    case $kind in
      include|generated|subroutine|verb)
        [[ $name =~ ^[A-Za-z][A-Za-z0-9._]*$ ]] || mv_die "manifest line $n: bad item name '$name'"
        [[ ${src:-$name} =~ ^[A-Za-z][A-Za-z0-9._/]*$ && ${src:-$name} != *..* ]] \
          || mv_die "manifest line $n: bad source '$src'"
        case $when in when=always|when=native|when=external) ;;
          *) mv_die "manifest line $n: '$when' (when=native or when=external)" ;; esac
        # One program file holds every item: a name twice (a verb named like a subroutine)
        # would copy one over the other, unless one is native-only and the other external-only.
        local j
        for j in "${!ITEM_NAME[@]}"; do
          [ "${ITEM_NAME[$j]}" = "$name" ] || continue
          [[ "${ITEM_WHEN[$j]} ${when#when=}" == "native external" || "${ITEM_WHEN[$j]} ${when#when=}" == "external native" ]] \
            || mv_die "manifest line $n: '$name' is already an item of the program file (a verb cannot be named like a subroutine)"
        done
        ITEM_KIND+=("$kind") ITEM_NAME+=("$name") ITEM_SRC+=("${src:-$name}")
        ITEM_WHEN+=("${when#when=}") ;;
      cfunction) CFUNC+=("$name $src $when") ;;     # BASIC-name C-symbol signature
      glue) GLUE+=("$name") ;;
      platform|program-file|catalog|default-mode) ;;
      *) mv_die "manifest line $n: unknown directive '$kind'" ;;
    esac
  done <"$(mv_manifest_file)"
  PROGFILE=$(mv_manifest_value program-file)
  CATALOG_SCOPE=$(mv_manifest_value catalog)
  [ "$(mv_manifest_value platform)" = "$PLATFORM" ] || mv_die "$(mv_manifest_file): platform line is not '$PLATFORM'"
}

# Indexes of the items this mode installs, optionally only of some kinds.
mv_items() {   # [KIND...]
  local i kinds=" $* "
  for i in "${!ITEM_NAME[@]}"; do
    case ${ITEM_WHEN[$i]} in always|"$MODE") ;; *) continue ;; esac
    [ $# -eq 0 ] || [[ $kinds == *" ${ITEM_KIND[$i]} "* ]] || continue
    printf '%s\n' "$i"
  done
}

# A missing source is a manifest bug: a real run stops, a dry-run warns on stderr.
mv_check_sources() {
  local i missing=0
  for i in $(mv_items include subroutine verb); do
    [ -f "$SRC/basic/${ITEM_SRC[$i]}" ] && continue
    echo "$TOOL: manifest names a missing file: basic/${ITEM_SRC[$i]}" >&2; missing=1
  done
  if [ "$MODE" = native ]; then
    for i in "${GLUE[@]}"; do
      [ -f "$SRC/$i" ] || { echo "$TOOL: manifest names a missing file: $i" >&2; missing=1; }
    done
  fi
  [ "$missing" = 0 ] || [ "$DRY" = 1 ] || mv_refuse "the manifest names files this source tree lacks"
}
