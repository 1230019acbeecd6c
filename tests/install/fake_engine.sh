#!/bin/bash
# tests/install/fake_engine.sh DIR jbase|universe|unidata - a stand-in engine for installer tests.
#
# Makes DIR/bin with the commands install/install runs, as small scripts that append what
# they were asked to DIR/engine.log and keep just enough state to check an install:
#   jbase:    CREATE-FILE, DELETE-FILE, BASIC, CATALOG, DECATALOG, jcompile (shell commands)
#   universe: uv, reading TCL lines on stdin: CREATE.FILE, DELETE.FILE, BASIC, CATALOG,
#             DECATALOG (objects in FILE.O)
#   unidata:  udt, the same with DELETE.CATALOG (objects beside the source as _NAME), and
#             DIR/work/cfuncdef_user holding a line of some other product
# BASIC needs the source item and writes an object; CATALOG needs the object and adds the
# name once to DIR/catalog.txt; DECATALOG takes it out. FAKE_FAIL=NAME makes BASIC of NAME
# fail (to test an install that stops half-way). No licensed engine is involved.
set -eu
DIR=$1
mkdir -p "$DIR/bin"
# One script answers every command; it looks at the name it was called by.
cat >"$DIR/bin/fake" <<'EOF'
#!/bin/bash
set -u
E=$(cd "$(dirname "$0")/.." && pwd)
cmd=$(basename "$0")
obj() {   # where BASIC leaves the object of item $2 of file $1
  case $cmd in uv) mkdir -p "$1.O"; echo "$1.O/$2" ;; udt) echo "$1/_$2" ;; *) echo "$1/\$$2" ;; esac
}
one() {   # the effect of one command line: $1 command, rest arguments
  local c=$1; shift
  echo "$c $* (in $PWD)" >>"$E/engine.log"
  case $c in
    CREATE-FILE|CREATE.FILE) [ "$1" != DIR ] || shift; mkdir "$1" ;;
    DELETE-FILE|DELETE.FILE) rm -rf "$1" ;;
    BASIC) [ -f "$1/$2" ] || { echo "no source $1/$2"; return 1; }
           [ "${FAKE_FAIL:-}" != "$2" ] || { echo "compile error in $2"; return 1; }
           cp "$1/$2" "$(obj "$1" "$2")" ;;
    CATALOG) local obj; obj=$(obj "$1" "$2")
             if [ "$cmd" = CATALOG ] && { [ ! -d "${JBCDEV_LIB:-}" ] || [ ! -d "${JBCDEV_BIN:-}" ]; }; then
               echo "CATALOG without JBCDEV_LIB/JBCDEV_BIN directories"; return 1
             fi
             [ -f "$obj" ] || { echo "no object $obj"; return 1; }
             touch "$E/catalog.txt"; grep -qxF "$2" "$E/catalog.txt" || echo "$2" >>"$E/catalog.txt" ;;
    DELETE.CATALOG) set -- - "$1" ;&
    DECATALOG) [ -f "$E/catalog.txt" ] && { grep -vxF "$2" "$E/catalog.txt" >"$E/catalog.new" || true; mv "$E/catalog.new" "$E/catalog.txt"; }
               [ -s "$E/catalog.txt" ] || rm -f "$E/catalog.txt" ;;
    jcompile) [ "$1" = -s ] && [ -f "$3" ] || { echo "usage: jcompile -s OUT SRC ..."; return 1; }; cp "$3" "$2" ;;
    *) echo "fake engine: unknown command $c"; return 1 ;;
  esac
}
if [ "$cmd" = uv ] || [ "$cmd" = udt ]; then
  while read -r line; do [ -z "$line" ] || one $line || exit 1; done
else
  one "$cmd" "$@"
fi
EOF
chmod +x "$DIR/bin/fake"
case $2 in
  jbase) for c in CREATE-FILE DELETE-FILE BASIC CATALOG DECATALOG jcompile; do ln -sf fake "$DIR/bin/$c"; done ;;
  universe) ln -sf fake "$DIR/bin/uv" ;;
  unidata) ln -sf fake "$DIR/bin/udt"; mkdir -p "$DIR/work"
           printf '%s\n' '$$FUN' 'other_func int other_func(int)' '$$OBJ' '/opt/other/other.o' >"$DIR/work/cfuncdef_user" ;;
  *) echo "fake_engine.sh: jbase, universe or unidata" >&2; exit 2 ;;
esac
