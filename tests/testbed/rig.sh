#!/bin/bash
# tests/testbed/rig.sh {install|start|stop|restart|status|env}
#
# Loopback-only mail servers for the mvsmtp integration tests (Debian 12, run as root, no
# systemd needed). Nothing here talks to a real mail server or to public DNS.
#
#   127.0.0.1:2525   Postfix  STARTTLS; AUTH PLAIN/LOGIN/CRAM-MD5 only after STARTTLS; AUTH required
#   127.0.0.1:2465   Postfix  implicit TLS; AUTH required
#   127.0.0.1:2526   Postfix  cleartext, no STARTTLS, AUTH offered; 127.0.0.0/8 may send without AUTH
#   127.0.0.1:2587   Postfix  STARTTLS; AUTH XOAUTH2/OAUTHBEARER only after STARTTLS; AUTH required
#                             (a second Dovecot checks the bearer token at 9443/introspect)
#   127.0.0.2:25     Postfix  "mx1.example.test" (no AUTH)
#   127.0.0.3:25     Postfix  "mx2.example.test" (no AUTH)
#   127.0.0.4:25     nothing: "mx-refuse.example.test", connection refused (start/status check it)
#   127.0.0.5:25     Postfix  "mx-defer.example.test": MAIL FROM -> 450 4.3.2 (no AUTH)
#   127.0.0.6:25     Postfix  "mx-nosender.example.test": MAIL FROM -> 554 5.7.1 (no AUTH)
#   127.0.0.7:25     Postfix  "mx-strict.example.test": of strict.example.test only alice and bob
#                             are accepted, any other -> 550 5.1.1 User unknown (no AUTH)
#   127.0.0.9:25     fault_servers.py "mx-silent.example.test": accepts, never sends a byte
#   127.0.0.1:2500   smtp-sink (accepts and discards; no TLS, no AUTH)
#   127.0.0.1:5353   dnsmasq (udp+tcp): MX/A/TXT records for example.test (list: dns_records);
#                    names it does not know under example.test are NXDOMAIN, nothing is forwarded
#                    out but dnsdown.example.test, to 5355 (so it is SERVFAIL)
#                    and DKIM key records, TXT at <selector>._domainkey.<domain> (DKIM_RECORDS):
#                      selector domain             key file
#                      rsa      example.test       rsa.key      RSA 2048
#                      ed       example.test       ed25519.key  Ed25519, raw 32-byte p= (RFC 8463)
#                      sel2     other.example.test other.key    RSA 2048, a second signing domain
#                      stale    example.test       other.key    does not match rsa.key
#                      revoked  example.test       -            empty p=: revoked
#                      short    example.test       rsa1024.key  RSA 1024 (our signer refuses it)
#   127.0.0.1:5355   fault_servers.py (udp+tcp): DNS answering every query SERVFAIL
#   127.0.0.1:5356   fault_servers.py (udp+tcp): DNS that never answers
#   127.0.0.1:8025   aiosmtpd capture server, STARTTLS, AUTH required  (capture_server.py)
#   127.0.0.1:8465   aiosmtpd capture server, implicit TLS, AUTH required
#   127.0.0.1:9443   HTTPS OAuth 2.0 authorization server for tests (oauth_server.py: token,
#                    device code, introspection endpoints and a /_test/ control API)
#
# On every Postfix listener: RCPT reject@example.test -> 550 5.1.1, tempfail@example.test -> 450 4.2.1.
# Postfix log (one "disconnect from ... commands=N" line per session): $MVSMTP_TESTBED/log/postfix.log
# Postfix delivery: $MVSMTP_TESTBED/vmail/<domain>/<user>/new (testuser, alice, bob, carol, dave at
# example.test), any other address (alice@strict.example.test too) -> $MVSMTP_TESTBED/vmail/catchall/new.
# Nothing is relayed out. (127.0.0.5 and 127.0.0.6 refuse MAIL, so their RCPT answers never come.)
# aiosmtpd delivery (raw bytes as received): $MVSMTP_TESTBED/aiosmtpd-maildir/new
# SASL users: testuser@example.test/testpass, alice@example.test/alicepass.
# OAuth (2587): any username whose access token oauth_server.py (after POST /_test/reset) issued.
# Trust anchor for the server certificate: $MVSMTP_TESTBED/tls/ca.crt
# DKIM private keys (PEM PKCS#8, 0600 root): $MVSMTP_TESTBED/dkim/{rsa,ed25519,other,rsa1024}.key;
# each published record, exactly as served: $MVSMTP_TESTBED/dkim/<selector>.<domain>.txt (0644).
# Verifiers: tests/testbed/dkim_verify.py (python3-dkim) and dkim_verify.pl (Mail::DKIM).
set -euo pipefail

TB=${MVSMTP_TESTBED:-/tmp/mvsmtp-testbed}
case "$TB" in /*) ;; *) TB="$(pwd)/$TB" ;; esac
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PFCONF="$TB/postfix"            # our own Postfix config directory (postfix -c); /etc/postfix is untouched
DCONF="$TB/dovecot/dovecot.conf"
DRUN="$TB/dovecot/run"          # Dovecot base_dir
OCONF="$TB/dovecot-oauth/dovecot.conf"   # second Dovecot: XOAUTH2/OAUTHBEARER via introspection
ORUN="$TB/dovecot-oauth/run"
LOG="$TB/log"
RIGLOG="$LOG/rig.log"           # output of the commands this script runs

# every socket the rig provides: "protocol address process-name"
LISTENERS=("tcp 127.0.0.1:2525 master" "tcp 127.0.0.1:2465 master" "tcp 127.0.0.1:2526 master"
           "tcp 127.0.0.1:2587 master"
           "tcp 127.0.0.2:25 master" "tcp 127.0.0.3:25 master"
           "tcp 127.0.0.5:25 master" "tcp 127.0.0.6:25 master" "tcp 127.0.0.7:25 master"
           "tcp 127.0.0.1:2500 smtp-sink"
           "tcp 127.0.0.1:8025 python3" "tcp 127.0.0.1:8465 python3"
           "tcp 127.0.0.1:9443 python3"
           "tcp 127.0.0.1:5353 dnsmasq" "udp 127.0.0.1:5353 dnsmasq"
           "tcp 127.0.0.1:5355 python3" "udp 127.0.0.1:5355 python3"
           "tcp 127.0.0.1:5356 python3" "udp 127.0.0.1:5356 python3"
           "tcp 127.0.0.9:25 python3")
# sockets that must stay unbound: the "connection refused" mail exchanger
ABSENT=("tcp 127.0.0.4:25")
PACKAGES=(postfix dovecot-core python3-aiosmtpd openssl ca-certificates procps iproute2 tmux
          dnsmasq-base swaks libnet-ssleay-perl libio-socket-ssl-perl libauthen-sasl-perl curl
          python3-cryptography python3-dkim python3-dnspython python3-nacl libmail-dkim-perl
          libnet-dns-perl libcryptx-perl)
MAILBOX_USERS=(testuser alice bob carol dave)

die() { echo "rig.sh: error: $*" >&2; exit 1; }
# run CMD...: run quietly, output to the rig log; on failure show the tail of that output
run() {
  mkdir -p "$LOG"
  local start=0
  [ -f "$RIGLOG" ] && start=$(wc -c <"$RIGLOG")
  echo "+ $*" >>"$RIGLOG"
  if ! "$@" </dev/null >>"$RIGLOG" 2>&1; then
    tail -c +"$((start + 1))" "$RIGLOG" | tail -n 15 >&2
    die "command failed: $* (full log: $RIGLOG)"
  fi
}
need_root() { [ "$(id -u)" -eq 0 ] || die "must run as root (binds privileged ports, starts Postfix/Dovecot)"; }

# ---------------------------------------------------------------- install
missing_packages() {
  local p st
  for p in "${PACKAGES[@]}"; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$st" = "install ok installed" ] || echo "$p"
  done
}

cmd_install() {
  need_root
  local missing; missing=$(missing_packages)
  [ -z "$missing" ] && return 0
  export DEBIAN_FRONTEND=noninteractive
  # Packages must not try to start daemons (no init system; we start what we need ourselves).
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# installed by mvsmtp tests/testbed/rig.sh: never start services from maintainer scripts\nexit 101\n' \
      >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
  fi
  # Postfix: install without generating a system configuration; the rig writes its own.
  mkdir -p "$TB"
  printf '%s\n' 'postfix postfix/main_mailer_type select No configuration' \
                'postfix postfix/mailname string mail.example.test' >"$TB/postfix.preseed"
  run debconf-set-selections "$TB/postfix.preseed"
  # shellcheck disable=SC2086
  echo "rig.sh: installing:" $missing >&2
  run apt-get update -qq
  # shellcheck disable=SC2086
  run apt-get install -y -qq --no-install-recommends $missing
  missing=$(missing_packages)
  [ -z "$missing" ] || die "packages still missing after apt-get install: $missing"
}

# ---------------------------------------------------------------- helpers
# pid_alive PIDFILE [CMDLINE-SUBSTRING]: the recorded process exists, is not a zombie, and
# (when given) its command line contains the substring -- guards against recycled pids.
pid_alive() {
  local f=$1 want=${2:-} p st
  [ -s "$f" ] || return 1
  p=$(tr -dc '0-9' 2>/dev/null <"$f"); [ -n "$p" ] || return 1
  st=$(ps -o stat= -p "$p" 2>/dev/null) || return 1
  case "$st" in Z*|"") return 1 ;; esac
  [ -z "$want" ] || tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$want"
}

# stop_pidfile PIDFILE [CMDLINE-SUBSTRING]: TERM the recorded process, KILL it after 5 s
stop_pidfile() {
  local f=$1 want=${2:-} p i
  if pid_alive "$f" "$want"; then
    p=$(tr -dc '0-9' 2>/dev/null <"$f" || true)
    kill "$p" 2>/dev/null || true
    for i in $(seq 50); do pid_alive "$f" "$want" || break; sleep 0.1; done
    if pid_alive "$f" "$want"; then kill -9 "$p" 2>/dev/null || true; sleep 0.1; fi
  fi
  rm -f "$f"
}

# sockets: "protocol address processes" for every listening TCP / bound UDP socket;
# processes is a comma list of every process holding it (Postfix's master shares its
# listeners with the smtpd children), or "?" when ss cannot tell (not root)
sockets() {
  ss -Hlnptu 2>/dev/null | awk '{
    rest = $0; names = ""
    while (match(rest, /\("[^"]+"/)) {
      names = names "," substr(rest, RSTART + 2, RLENGTH - 3)
      rest = substr(rest, RSTART + RLENGTH)
    }
    print $1, $5, (names == "" ? "?" : substr(names, 2)) }'
}

# missing_listeners: one line per expected socket that is not (yet) ours
missing_listeners() {
  local have entry proto addr name owner
  have=$(sockets)
  for entry in "${LISTENERS[@]}"; do
    read -r proto addr name <<<"$entry"
    owner=$(awk -v p="$proto" -v a="$addr" '$1 == p && $2 == a { print $3; exit }' <<<"$have")
    if [ -z "$owner" ]; then echo "$proto $addr (not listening)"
    elif [ "$owner" != "?" ] && [[ ",$owner," != *",$name,"* ]]; then
      echo "$proto $addr (held by $owner, not $name)"
    fi
  done
}

# bound_absent: one line per socket of ABSENT that something holds (it must be refused)
bound_absent() {
  local have entry proto addr owner
  have=$(sockets)
  for entry in "${ABSENT[@]}"; do
    read -r proto addr <<<"$entry"
    owner=$(awk -v p="$proto" -v a="$addr" '$1 == p && $2 == a { print $3; exit }' <<<"$have")
    [ -z "$owner" ] || echo "$proto $addr (held by $owner, must be refused)"
  done
}

# wait_listeners: until every socket is up; fails at once if a server we started has died
wait_listeners() {
  local i missing=""
  for i in $(seq 150); do
    missing=$(missing_listeners)
    [ -z "$missing" ] && return 0
    pid_alive "$TB/smtp-sink.pid" smtp-sink || die_log "smtp-sink exited" "$LOG/smtp-sink.log"
    pid_alive "$TB/capture.pid" capture_server.py || die_log "capture_server.py exited" "$LOG/capture.log"
    pid_alive "$TB/oauth.pid" oauth_server.py || die_log "oauth_server.py exited" "$LOG/oauth.log"
    pid_alive "$TB/fault.pid" fault_servers.py || die_log "fault_servers.py exited" "$LOG/fault.log"
    pid_alive "$TB/dnsmasq.pid" dnsmasq || die_log "dnsmasq exited" "$LOG/dnsmasq.log"
    sleep 0.1
  done
  die "after 15 s: $(tr '\n' ';' <<<"$missing") (logs in $LOG)"
}

die_log() { tail -n 5 "$2" >&2 2>/dev/null || true; die "$1 (see $2)"; }

# put_file DEST: replace DEST with stdin if the content differs; sets CHANGED=1 when it did.
# A new file is backdated 5 s: Postfix dozes until a freshly written config or table file
# is at least a second old (it may still be being edited), costing ~2 s per start.
put_file() {
  local dest=$1 tmp="$1.new.$$"
  cat >"$tmp"
  if [ -f "$dest" ] && cmp -s "$tmp" "$dest"; then rm -f "$tmp"; return 0; fi
  touch -d "@$(( $(date +%s) - 5 ))" "$tmp"
  mv -f "$tmp" "$dest"
  CHANGED=1
}

# close_inherited_fds: close every descriptor of this (sub)shell above stderr. Servers that
# daemonize (Dovecot) or run long (smtp-sink, the Python servers) would otherwise keep the
# caller's pipes and locks open for as long as they run (one once held a build lock and
# stalled every later build).
close_inherited_fds() {
  local fd
  for fd in /proc/$BASHPID/fd/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null
  done
  return 0
}
# without_inherited_fds CMD...: run CMD with only stdin, stdout and stderr
without_inherited_fds() { ( close_inherited_fds; exec "$@" ); }

postfix_running() { postfix -c "$PFCONF" status >/dev/null 2>&1; }
dovecot_running() { pid_alive "$DRUN/master.pid" dovecot; }
dovecot_oauth_running() { pid_alive "$ORUN/master.pid" dovecot; }

# ---------------------------------------------------------------- certificates
make_certs() {
  local d="$TB/tls"
  if [ -s "$d/server.crt" ] && [ -s "$d/server.key" ] && [ -s "$d/ca.crt" ] &&
     openssl verify -CAfile "$d/ca.crt" "$d/server.crt" >/dev/null 2>&1; then
    return 0
  fi
  rm -rf "$d"; mkdir -p "$d"
  CERTS_CHANGED=1   # running servers must pick up the new certificate
  run openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/O=mvsmtp test rig/CN=mvsmtp Test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$d/ca.key" -out "$d/ca.crt"
  run openssl req -newkey rsa:2048 -nodes -sha256 -subj "/O=mvsmtp test rig/CN=mail.example.test" \
    -keyout "$d/server.key" -out "$d/server.csr"
  cat >"$d/server.ext" <<'EOF'
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, DNS:mail.example.test, DNS:mx1.example.test, DNS:mx2.example.test, IP:127.0.0.1, IP:127.0.0.2, IP:127.0.0.3
EOF
  # 825 days: the longest validity some TLS stacks accept for a leaf certificate
  run openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 825 -sha256 -extfile "$d/server.ext" -out "$d/server.crt"
  run openssl verify -CAfile "$d/ca.crt" "$d/server.crt"
  chmod 0644 "$d/ca.crt" "$d/server.crt"
  chmod 0600 "$d/ca.key" "$d/server.key"
}

# ---------------------------------------------------------------- DKIM keys
# DKIM_KEYS: "file openssl-genpkey-arguments" for every signing key in $TB/dkim. rsa1024.key is
# there for the signer to refuse (RFC 8301 wants at least 1024 bits; mvsmtp asks for 2048).
DKIM_KEYS=("rsa.key -algorithm RSA -pkeyopt rsa_keygen_bits:2048"
           "ed25519.key -algorithm ED25519"
           "other.key -algorithm RSA -pkeyopt rsa_keygen_bits:2048"
           "rsa1024.key -algorithm RSA -pkeyopt rsa_keygen_bits:1024")
# DKIM_RECORDS: "selector domain key-file" for every key record dnsmasq serves at
# <selector>._domainkey.<domain>; key-file "-" publishes a revoked key (empty p=)
DKIM_RECORDS=("rsa example.test rsa.key"
              "ed example.test ed25519.key"
              "sel2 other.example.test other.key"
              "stale example.test other.key"
              "revoked example.test -"
              "short example.test rsa1024.key")

# dkim_record KEY-FILE: the TXT value publishing the public half of $TB/dkim/KEY-FILE
dkim_record() {
  local spki
  [ "$1" = - ] && { echo "v=DKIM1; k=rsa; p="; return 0; }
  spki=$(openssl pkey -in "$TB/dkim/$1" -pubout -outform DER | base64 -w0) && [ -n "$spki" ] ||
    return 1
  case "$spki" in
    # an Ed25519 SubjectPublicKeyInfo is 12 bytes of header (302a300506032b6570032100, base64
    # "MCowBQYDK2VwAyEA") and the raw key; RFC 8463 section 4.2 publishes only the raw 32 bytes
    MCowBQYDK2VwAyEA*) echo "v=DKIM1; k=ed25519; p=${spki#MCowBQYDK2VwAyEA}" ;;
    *) echo "v=DKIM1; k=rsa; p=$spki" ;;
  esac
}

# make_dkim_keys: the signing keys (made once, kept across starts: tests may hold signed mail)
# and $TB/dkim/<selector>.<domain>.txt, a world-readable copy of every record dnsmasq serves
make_dkim_keys() {
  local d="$TB/dkim" entry file args sel dom value
  install -d -m 0755 "$d"
  for entry in "${DKIM_KEYS[@]}"; do
    read -r file args <<<"$entry"
    [ -s "$d/$file" ] && continue
    # written aside and renamed: a test never sees half a key; umask: never readable by others
    # shellcheck disable=SC2086
    ( umask 077; run openssl genpkey $args -out "$d/$file.new" )
    chown root:root "$d/$file.new"
    mv -f "$d/$file.new" "$d/$file"
  done
  for entry in "${DKIM_RECORDS[@]}"; do
    read -r sel dom file <<<"$entry"
    value=$(dkim_record "$file") || die "cannot read the public key of $d/$file"
    printf '%s\n' "$value" | put_file "$d/$sel.$dom.txt"
    chmod 0644 "$d/$sel.$dom.txt"
  done
}

# ---------------------------------------------------------------- Dovecot (SASL only)
# dovecot_sasl_service SOCKET: the end of both instances' configurations — the static userdb,
# no per-client auth penalty, and the auth socket Postfix uses (private/SOCKET)
dovecot_sasl_service() {
  cat <<EOF
userdb {
  driver = static
  args = uid=vmail gid=vmail home=$TB/vmail/%d/%n
}
service anvil {
  # no per-client auth penalty
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service auth {
  unix_listener /var/spool/postfix/private/$1 {
    mode = 0660
    user = postfix
    group = postfix
  }
}
EOF
}

start_dovecot() {
  mkdir -p "$TB/dovecot/state" "$DRUN"
  # {PLAIN} storage so CRAM-MD5 works too
  CHANGED=0
  printf '%s\n' 'testuser@example.test:{PLAIN}testpass' 'alice@example.test:{PLAIN}alicepass' |
    put_file "$TB/dovecot/users"
  chown root:dovecot "$TB/dovecot/users"; chmod 0640 "$TB/dovecot/users"
  put_file "$DCONF" <<EOF
# Generated by tests/testbed/rig.sh: authentication service for Postfix only, no IMAP/POP3.
base_dir = $DRUN
state_dir = $TB/dovecot/state
log_path = $LOG/dovecot.log
protocols =
listen = 127.0.0.1
ssl = no
# Postfix decides where AUTH may happen (2526 deliberately allows it in cleartext).
disable_plaintext_auth = no
auth_mechanisms = plain login cram-md5
auth_verbose = yes
# no delay after a failed attempt: tests of wrong passwords must not slow the suite
auth_failure_delay = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $TB/dovecot/users
}
$(dovecot_sasl_service auth)
EOF
  dovecot_up "$DCONF" "$DRUN" dovecot
}

# dovecot_up CONF BASE_DIR LOGNAME: reload the instance when CHANGED=1, start it if it is down.
# A reload leaves the old auth process serving the Postfix smtpd processes that are already
# connected to it, so a reload also sets DOVECOT_RELOADED=1 (start_postfix then reloads Postfix).
dovecot_up() {
  local conf=$1 base=$2 name=$3
  if pid_alive "$base/master.pid" dovecot; then
    [ "$CHANGED" = 0 ] || { run doveadm -c "$conf" reload; DOVECOT_RELOADED=1; }
  else
    rm -f "$base/master.pid"
    # Detached stdio: a Dovecot holding the caller's stdout open would hang pipelines and CI.
    if ! without_inherited_fds dovecot -c "$conf" </dev/null >"$LOG/$name-start.log" 2>&1; then
      tail -n 5 "$LOG/$name-start.log" >&2
      die "$name failed to start (see $LOG/$name-start.log and $LOG/$name.log)"
    fi
  fi
}

# Second instance for 127.0.0.1:2587: XOAUTH2 and OAUTHBEARER only; every bearer token is
# checked by RFC 7662 introspection at oauth_server.py (127.0.0.1:9443), so tests control the
# outcome through its /_test/ API (revoke, reject_all_tokens, ...).
start_dovecot_oauth() {
  local d="$TB/dovecot-oauth"
  mkdir -p "$d/state" "$ORUN"
  CHANGED=$CERTS_CHANGED   # the oauth2 passdb reads the CA when the auth process starts
  put_file "$d/oauth2.conf.ext" <<EOF
# Generated by tests/testbed/rig.sh: oauth2 passdb of the second Dovecot (Dovecot 2.3.19).
# No tokeninfo_url: with force_introspection every token goes to the introspection endpoint,
# POSTed as form "token=<token>" (the token is never in a URL, so never in a log line).
introspection_url = https://127.0.0.1:9443/introspect
introspection_mode = post
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
tls_ca_cert_file = $TB/tls/ca.crt
timeout_msecs = 10000
# debug = yes would log the introspection answers; keep it off
debug = no
EOF
  chown root:dovecot "$d/oauth2.conf.ext"; chmod 0640 "$d/oauth2.conf.ext"
  put_file "$OCONF" <<EOF
# Generated by tests/testbed/rig.sh: OAuth 2.0 bearer-token authentication for Postfix (2587).
instance_name = mvsmtp-oauth
base_dir = $ORUN
state_dir = $d/state
log_path = $LOG/dovecot-oauth.log
protocols =
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = xoauth2 oauthbearer
# failures are logged with the reason, never with the token (no auth_debug, no
# auth_verbose_passwords: those would show the SASL response)
auth_verbose = yes
auth_verbose_passwords = no
auth_debug = no
auth_debug_passwords = no
auth_failure_delay = 0
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $d/oauth2.conf.ext
}
$(dovecot_sasl_service auth-oauth)
EOF
  dovecot_up "$OCONF" "$ORUN" dovecot-oauth
}

# ---------------------------------------------------------------- Postfix
write_postfix_config() {
  local u
  mkdir -p "$PFCONF"
  put_file "$PFCONF/main.cf" <<EOF
# Generated by tests/testbed/rig.sh (config directory for "postfix -c $PFCONF").
compatibility_level = 3.6
myhostname = mail.example.test
mydomain = example.test
myorigin = \$myhostname
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
biff = no

# logging without syslog
maillog_file = $LOG/postfix.log
maillog_file_prefixes = $LOG

# hermetic: no DNS, no outbound mail
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
smtp_helo_name = mail.example.test
lmtp_lhlo_name = mail.example.test
default_transport = error:5.7.1 outbound delivery is disabled in the mvsmtp test rig
relay_transport = \$default_transport

# every domain is a virtual mailbox domain: Maildirs under $TB/vmail
virtual_mailbox_domains = static:all
virtual_mailbox_base = $TB/vmail
virtual_mailbox_maps = texthash:$PFCONF/vmailbox, static:catchall/
virtual_uid_maps = static:$(id -u vmail)
virtual_gid_maps = static:$(id -g vmail)
virtual_mailbox_limit = 0
message_size_limit = 52428800

# TLS (STARTTLS offered wherever a service does not override it)
smtpd_tls_cert_file = $TB/tls/server.crt
smtpd_tls_key_file = $TB/tls/server.key
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes

# SASL through Dovecot; enabled per service in master.cf
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_sasl_auth_enable = no
smtpd_sasl_security_options = noanonymous

# Submission services replace the relay rule with "authenticated only" (master.cf).
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject
# Scripted answers for chosen recipients, on every listener, authenticated or not.
smtpd_recipient_restrictions = check_recipient_access texthash:$PFCONF/recipient_access, permit
# mx-strict (127.0.0.7) knows its users: strict_recipients lists them and refuses the rest of
# strict.example.test (a parameter of our own, as master.cf -o values cannot hold spaces)
mx_strict_recipient_restrictions = check_recipient_access texthash:$PFCONF/recipient_access,
  check_recipient_access texthash:$PFCONF/strict_recipients, permit

# fast failures, no throttling
smtpd_error_sleep_time = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_connection_count_limit = 0
in_flow_delay = 0
EOF
  for u in "${MAILBOX_USERS[@]}"; do
    printf '%s@example.test example.test/%s/\n' "$u" "$u"
  done | put_file "$PFCONF/vmailbox"
  put_file "$PFCONF/recipient_access" <<'EOF'
reject@example.test   550 5.1.1 no such user (test rig)
tempfail@example.test 450 4.2.1 mailbox temporarily unavailable (test rig)
EOF
  # the address lines win over the domain line (access(5) looks up the full address first)
  put_file "$PFCONF/strict_recipients" <<'EOF'
alice@strict.example.test OK
bob@strict.example.test   OK
strict.example.test       550 5.1.1 User unknown (test rig)
EOF
  put_file "$PFCONF/master.cf" <<'EOF'
# Generated by tests/testbed/rig.sh. Nothing is chrooted (no chroot jail is populated).
# service         type  private unpriv chroot wakeup maxproc command
127.0.0.1:2525    inet  n       -      n      -      -       smtpd
  -o syslog_name=postfix/starttls2525
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
127.0.0.1:2465    inet  n       -      n      -      -       smtpd
  -o syslog_name=postfix/smtps2465
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
127.0.0.1:2526    inet  n       -      n      -      -       smtpd
  -o syslog_name=postfix/plain2526
  -o smtpd_tls_security_level=none
  -o smtpd_sasl_auth_enable=yes
127.0.0.1:2587    inet  n       -      n      -      -       smtpd
  -o syslog_name=postfix/oauth2587
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_path=private/auth-oauth
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
127.0.0.2:25      inet  n       -      n      -      -       smtpd
  -o syslog_name=postfix/mx1
  -o myhostname=mx1.example.test
127.0.0.3:25      inet  n       -      n      -      -       smtpd
  -o syslog_name=postfix/mx2
  -o myhostname=mx2.example.test
# Misbehaving exchangers for direct (MX) delivery. smtpd_delay_reject=no: the sender
# restrictions answer MAIL FROM itself, not the first RCPT TO. 127.0.0.4 is left unbound.
127.0.0.5:25      inet  n       -      n      -      -       smtpd
  -o syslog_name=postfix/mx-defer
  -o myhostname=mx-defer.example.test
  -o smtpd_delay_reject=no
  -o smtpd_sender_restrictions=defer
127.0.0.6:25      inet  n       -      n      -      -       smtpd
  -o syslog_name=postfix/mx-nosender
  -o myhostname=mx-nosender.example.test
  -o smtpd_delay_reject=no
  -o smtpd_sender_restrictions=reject
127.0.0.7:25      inet  n       -      n      -      -       smtpd
  -o syslog_name=postfix/mx-strict
  -o myhostname=mx-strict.example.test
  -o smtpd_recipient_restrictions=$mx_strict_recipient_restrictions
pickup            unix  n       -      n      60     1       pickup
cleanup           unix  n       -      n      -      0       cleanup
qmgr              unix  n       -      n      300    1       qmgr
tlsmgr            unix  -       -      n      1000?  1       tlsmgr
rewrite           unix  -       -      n      -      -       trivial-rewrite
bounce            unix  -       -      n      -      0       bounce
defer             unix  -       -      n      -      0       bounce
trace             unix  -       -      n      -      0       bounce
verify            unix  -       -      n      -      1       verify
flush             unix  n       -      n      1000?  0       flush
proxymap          unix  -       -      n      -      -       proxymap
proxywrite        unix  -       -      n      -      1       proxymap
smtp              unix  -       -      n      -      -       smtp
relay             unix  -       -      n      -      -       smtp
showq             unix  n       -      n      -      -       showq
error             unix  -       -      n      -      -       error
retry             unix  -       -      n      -      -       error
discard           unix  -       -      n      -      -       discard
local             unix  -       n      n      -      -       local
virtual           unix  -       n      n      -      -       virtual
lmtp              unix  -       -      n      -      -       lmtp
anvil             unix  -       -      n      -      1       anvil
scache            unix  -       -      n      -      1       scache
postlog           unix-dgram n  -      n      -      1       postlogd
EOF
}

start_postfix() {
  id vmail >/dev/null 2>&1 ||
    run useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin vmail
  install -d -o vmail -g vmail -m 0755 "$TB/vmail"
  CHANGED=0
  write_postfix_config
  if postfix_running; then
    [ "$CHANGED$CERTS_CHANGED$DOVECOT_RELOADED" = 000 ] || run postfix -c "$PFCONF" reload
  else
    # "postfix start" runs Postfix's own integrity checks (postfix-script check-fatal/-warn)
    run postfix -c "$PFCONF" start
  fi
}

# ---------------------------------------------------------------- smtp-sink, dnsmasq, aiosmtpd
# daemon LOG CMD...: start CMD in the background, detached: setsid gives it its own session
# (a CI step killing its process group does not take it along; no fork, since the subshell is
# not a group leader, so $! is the server's pid), stdin /dev/null, output to LOG, none of the
# caller's other descriptors (close_inherited_fds).
daemon() {
  local log=$1
  shift
  ( close_inherited_fds; exec setsid "$@" </dev/null >"$log" 2>&1 ) &
}

start_sink() {
  pid_alive "$TB/smtp-sink.pid" smtp-sink && return 0
  # -a: do not announce AUTH (smtp-sink's AUTH is a stub that answers 250 instead of 235)
  daemon "$LOG/smtp-sink.log" smtp-sink -u postfix -a -h sink.example.test 127.0.0.1:2500 256
  echo $! >"$TB/smtp-sink.pid"
}

# dns_records: dnsmasq's options for the zone, one a line. Under --local=/example.test/ a
# name without records is NXDOMAIN and a name with other types only is NODATA; nothing but
# dnsdown.example.test is forwarded (the more specific --server wins over --local).
# One option a line, passed as is: no shell quoting (a TXT value must not contain quotes, and a
# comma would split it into two strings). tests/testbed/check_dns.py checks what is served.
# The DKIM key records follow, computed from the key files (make_dkim_keys must have run).
dns_records() {
  local entry sel dom file value
  cat <<'EOF'
--local=/example.test/
--local-ttl=60
--mx-host=example.test,mx1.example.test,10
--mx-host=example.test,mx2.example.test,20
--mx-host=badmx.example.test,nonexistent.example.test,5
--host-record=mail.example.test,127.0.0.1
--host-record=mx1.example.test,127.0.0.2
--host-record=mx2.example.test,127.0.0.3
--txt-record=example.test,v=spf1 ip4:127.0.0.0/8 -all
--host-record=mx-refuse.example.test,127.0.0.4
--host-record=mx-defer.example.test,127.0.0.5
--host-record=mx-nosender.example.test,127.0.0.6
--host-record=mx-strict.example.test,127.0.0.7
--host-record=mx-silent.example.test,127.0.0.9
--mx-host=refused.example.test,mx-refuse.example.test,10
--mx-host=refused.example.test,mx1.example.test,20
--mx-host=deferred.example.test,mx-defer.example.test,10
--mx-host=deferred.example.test,mx1.example.test,20
--mx-host=silent.example.test,mx-silent.example.test,10
--mx-host=silent.example.test,mx1.example.test,20
--mx-host=unreachable.example.test,mx-refuse.example.test,10
--mx-host=unreachable.example.test,mx-defer.example.test,20
--dns-rr=nullmx.example.test,15,000000
--host-record=nomx.example.test,127.0.0.2
--txt-record=noaddress.example.test,exists but has no MX and no address
--mx-host=nosender.example.test,mx-nosender.example.test,10
--mx-host=strict.example.test,mx-strict.example.test,10
--mx-host=equal.example.test,mx1.example.test,10
--mx-host=equal.example.test,mx2.example.test,10
--mx-host=xn--bcher-kva.example.test,mx1.example.test,10
--server=/dnsdown.example.test/127.0.0.1#5355
EOF
  for entry in "${DKIM_RECORDS[@]}"; do
    read -r sel dom file <<<"$entry"
    value=$(dkim_record "$file") || return 1
    # A character-string holds at most 255 octets and an RSA 2048 record is ~410: dnsmasq makes
    # one string of each comma-separated part, and verifiers concatenate them (RFC 6376 3.6.2.2).
    # Base64 and "v=DKIM1; k=...; p=" hold no comma.
    echo "--txt-record=$sel._domainkey.$dom,$(printf '%s' "$value" | fold -w 250 | paste -sd, -)"
  done
}

# start_dns: dnsmasq with dns_records; restarted when they changed since it was started
# (dnsmasq has no reload for command-line records)
start_dns() {
  local -a records
  local out stamp
  out=$(dns_records) || die "cannot list the DNS records (DKIM keys in $TB/dkim?)"
  mapfile -t records <<<"$out"
  stamp=$(printf '%s\n' "$out" | cksum)
  if pid_alive "$TB/dnsmasq.pid" dnsmasq; then
    [ "$(cat "$TB/dnsmasq.stamp" 2>/dev/null)" = "$stamp" ] && return 0
    stop_pidfile "$TB/dnsmasq.pid" dnsmasq
  fi
  rm -f "$TB/dnsmasq.pid"
  printf '%s\n' "$stamp" >"$TB/dnsmasq.stamp"
  run dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
    --listen-address=127.0.0.1 --bind-interfaces --port=5353 \
    --pid-file="$TB/dnsmasq.pid" --log-facility="$LOG/dnsmasq.log" --log-queries \
    "${records[@]}"
}

# start_python_server NAME SCRIPT [MKDIR]: run tests/testbed/SCRIPT detached, pid in NAME.pid,
# output in log/NAME.log; restarted when the script (or the certificate) changed since it
# was started
start_python_server() {
  local name=$1 script=$2 stamp
  stamp="$(cksum <"$HERE/$script") $HERE"
  if pid_alive "$TB/$name.pid" "$script"; then
    if [ "$CERTS_CHANGED" = 0 ] && [ "$(cat "$TB/$name.stamp" 2>/dev/null)" = "$stamp" ]; then
      return 0
    fi
    stop_pidfile "$TB/$name.pid" "$script"
  fi
  [ -x /usr/bin/python3 ] || die "/usr/bin/python3 missing (run: $0 install)"
  printf '%s\n' "$stamp" >"$TB/$name.stamp"
  daemon "$LOG/$name.log" env MVSMTP_TESTBED="$TB" /usr/bin/python3 "$HERE/$script"
  echo $! >"$TB/$name.pid"
}

start_capture() {
  mkdir -p "$TB/aiosmtpd-maildir"
  start_python_server capture capture_server.py
}

start_oauth() { start_python_server oauth oauth_server.py; }

# DNS servers that fail (SERVFAIL, silence) and the mute exchanger 127.0.0.9:25
start_faults() { start_python_server fault fault_servers.py; }

cmd_start() {
  need_root
  local tool
  for tool in postfix dovecot doveadm smtp-sink dnsmasq openssl ss; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found (run: $0 install)"
  done
  mkdir -p "$TB" "$LOG"
  chmod 0755 "$TB"
  : >"$RIGLOG"
  CERTS_CHANGED=0 DOVECOT_RELOADED=0
  make_certs
  make_dkim_keys    # before start_dns: dnsmasq publishes their public halves
  start_dovecot
  start_dovecot_oauth
  start_postfix
  start_sink
  start_dns
  start_capture
  start_oauth
  start_faults
  wait_listeners
  local absent; absent=$(bound_absent)
  [ -z "$absent" ] || die "$(tr '\n' ';' <<<"$absent")"
  postfix_running || die_log "postfix is not running" "$LOG/postfix.log"
  dovecot_running || die_log "dovecot is not running" "$LOG/dovecot.log"
  dovecot_oauth_running || die_log "dovecot (oauth) is not running" "$LOG/dovecot-oauth.log"
  echo "mvsmtp test rig running in $TB"
}

cmd_stop() {
  need_root
  # Dovecot's master takes ~1 s to exit: signal it first, wait for it last.
  local dovecot_was_running=0 oauth_was_running=0
  if dovecot_running; then dovecot_was_running=1; kill "$(tr -dc '0-9' 2>/dev/null <"$DRUN/master.pid")" 2>/dev/null || true; fi
  if dovecot_oauth_running; then oauth_was_running=1; kill "$(tr -dc '0-9' 2>/dev/null <"$ORUN/master.pid")" 2>/dev/null || true; fi
  stop_pidfile "$TB/capture.pid" capture_server.py
  stop_pidfile "$TB/oauth.pid" oauth_server.py
  stop_pidfile "$TB/fault.pid" fault_servers.py
  stop_pidfile "$TB/smtp-sink.pid" smtp-sink
  stop_pidfile "$TB/dnsmasq.pid" dnsmasq
  if [ -f "$PFCONF/main.cf" ] && postfix_running; then run postfix -c "$PFCONF" stop; fi
  [ "$dovecot_was_running" = 0 ] || stop_pidfile "$DRUN/master.pid" dovecot
  [ "$oauth_was_running" = 0 ] || stop_pidfile "$ORUN/master.pid" dovecot
  # everything we started is gone once none of our sockets is bound
  local i still=""
  for i in $(seq 50); do
    still=$(missing_listeners | grep -v '(not listening)' || true)
    [ -z "$still" ] && break
    sleep 0.1
  done
  [ -z "$still" ] || die "still listening after stop: $(tr '\n' ';' <<<"$still")"
  echo "mvsmtp test rig stopped"
}

cmd_status() {
  local have entry proto addr name missing
  have=$(sockets)
  for entry in "${LISTENERS[@]}"; do
    read -r proto addr name <<<"$entry"
    awk -v p="$proto" -v a="$addr" '$1 == p && $2 == a { print; exit }' <<<"$have"
  done
  missing=$(missing_listeners; bound_absent)
  if [ -n "$missing" ]; then
    echo "rig.sh: not ready: $(tr '\n' ';' <<<"$missing")" >&2
    return 3
  fi
}

cmd_env() {
  printf 'MVSMTP_TESTBED=%q\n' "$TB"
  printf 'MVSMTP_TEST_CA=%q\n' "$TB/tls/ca.crt"
}

case "${1:-}" in
  install) cmd_install ;;
  start)   cmd_start ;;
  stop)    cmd_stop ;;
  restart) cmd_stop; cmd_start ;;
  status)  cmd_status ;;
  env)     cmd_env ;;
  *) echo "usage: $0 {install|start|stop|restart|status|env}" >&2; exit 2 ;;
esac
