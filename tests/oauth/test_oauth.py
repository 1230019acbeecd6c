#!/usr/bin/python3
"""OAuth 2.0 SMTP AUTH end to end: the mvsmtp CLI (and libmvsmtp.so through ctypes) against
the rig's Postfix on 127.0.0.1:2587 (XOAUTH2/OAUTHBEARER checked by a Dovecot that
introspects tokens) and its test authorization server on https://127.0.0.1:9443.

    /usr/bin/python3 tests/oauth/test_oauth.py     # ctest: integration.oauth (root, the rig)

Every case makes a fresh temporary folder (profile INI, secret files, token cache), resets
the test OAuth server with secrets of its own (POST /_test/reset) and finds the mail it
sent by a unique Subject in $MVSMTP_TESTBED/vmail/example.test/testuser/new. Token requests
are counted by the server (GET /_test/stats). Cases:
  1 flows      client credentials (secret; XOAUTH2 and OAUTHBEARER; RS256 certificate
               assertion), refresh token seeded from a file (rotation: the new refresh token
               is used next time), device code (mvsmtp oauth login + /_test/approve); 2,500-
               character tokens; transcript: "C: AUTH XOAUTH2" alone, then "C: <redacted>"
  2 expiry     a cached token is reused until it expires, then refreshed exactly once
  3 rejection  a revoked token: one refresh + one retry; every token refused: 47, once
  4 errors     invalid_client 45, invalid_grant 46, 5xx/unavailable/slow 20 (transient,
               bounded time), no refresh token 88, static token (works; refused: 47)
  5 concurrency ten processes on an empty cache make one token request (also when slow)
  6 cache      0600 file in a 0700 folder, reused by new processes, 0644 refused (82),
               unreadable by another user (runuser -u nobody)
  7 status     mvsmtp oauth status / logout
  8 secrets    every output, RESULT, transcript, status, rig log line written meanwhile and
               this test's own output scanned for every secret and token (clear, base64 in
               the 3 alignments, URL-encoded)
  + ctypes     mvs_sendmail in process, RESULT parity with the CLI

Prints one PASS/FAIL line per check ("KNOWN:" marks a failure caused by a known product bug)
and last "N passed, M failed"; exit 1 on any failure, 77 when the rig's 2587/9443 are not
reachable. Environment: MVSMTP_BUILD_DIR (default ./build), MVSMTP_TESTBED (default
/tmp/mvsmtp-testbed). Loopback only."""
import ctypes
import glob
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import secrets_scan  # noqa: E402  (tests/support/secrets_scan.py, shared with tests/secrets/scan_suite.py)
from rig_paths import BUILD, CA, CLI, LIB, MAILDIR, RIG_LOG, TESTBED, reachable  # noqa: E402
OAUTH = "https://127.0.0.1:9443"
SMTP_PORT, OAUTH_PORT = 2587, 9443
MAILBOX = "testuser@example.test"
DELEGATED_SCOPE = "https://outlook.office.com/SMTP.Send offline_access"
RUN_ID = secrets.token_hex(4)
AM, VM, SM = "\x1e", "\x1d", "\x1c"
# RESULT field positions (gci/abi/layout.def)
R_STATUS, R_ERROR, R_ERROR_NAME, R_MESSAGE, R_REPLY_CODE, R_TRANSIENT, R_TRANSCRIPT = 1, 2, 3, 4, 5, 15, 18

passed, failed = [], []
OUTPUT = []          # everything this test printed (scanned in case 8)
TEXTS = []           # (label, text): every output, RESULT, transcript, status... to scan
SECRETS = {}         # value -> label: every client secret, refresh token, access token, key
FAILED_SUBJECTS = []  # subjects of sends that must NOT arrive
RESETS = [0]


def say(text=""):
    OUTPUT.append(text)
    print(text, flush=True)


def check(name, ok, detail="", known=None):
    """known: text of a known product bug that makes this check fail (printed as KNOWN:)"""
    (passed if ok else failed).append(name)
    if ok:
        say("PASS %s" % name)
    else:
        say("FAIL %s%s" % (name, "  " + str(detail)[:700] if detail != "" else ""))
        if known:
            say("  KNOWN: %s" % known)
    return ok


def note(text):
    say("  .. %s" % text)


def secret(value, label):
    if value and value not in SECRETS:
        SECRETS[value] = label
    return value


# --- the test OAuth server ----------------------------------------------------------------
_TLS = None


def tls_context():
    global _TLS
    if _TLS is None:
        _TLS = ssl.create_default_context(cafile=CA)
        _TLS.check_hostname = False   # the rig's certificate is for mail.example.test
    return _TLS


def api(path, body=None, method=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(OAUTH + path, data=data, method=method or ("GET" if body is None else "POST"),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, context=tls_context(), timeout=30) as r:
            return r.status, json.loads(r.read().decode() or "{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode() or "{}")


def reset(cfg):
    cfg = dict(cfg)
    cfg.setdefault("token_length", 2500)
    for rt in (cfg.get("refresh_tokens") or {}):
        secret(rt, "seed refresh token")
    for c in (cfg.get("clients") or {}).values():
        if c.get("secret"):
            secret(c["secret"], "client secret")
    st, out = api("/_test/reset", cfg)
    RESETS[0] += 1
    if st != 200:
        raise RuntimeError("reset failed: %s %s" % (st, out))


def stats():
    return api("/_test/stats")[1]


def mode(**kw):
    st, out = api("/_test/mode", kw)
    if st != 200:
        raise RuntimeError("mode failed: %s %s" % (st, out))
    return out


def token_by_form(path, form):
    """a token request made by the test itself (for the static grant)"""
    req = urllib.request.Request(OAUTH + path, data=urllib.parse.urlencode(form).encode(), method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, context=tls_context(), timeout=30) as r:
        return json.loads(r.read().decode())


# --- the mailbox ----------------------------------------------------------------------------
_seen = {}   # file name -> subject


def subjects_in_maildir():
    for name in os.listdir(MAILDIR):
        if name in _seen:
            continue
        try:
            with open(os.path.join(MAILDIR, name), "rb") as f:
                head = f.read(65536).split(b"\n\n", 1)[0].decode("utf-8", "replace")
        except OSError:
            continue
        m = re.search(r"^Subject: (.*)$", head, re.M)
        _seen[name] = m.group(1).strip() if m else ""
    counts = {}
    for s in _seen.values():
        counts[s] = counts.get(s, 0) + 1
    return counts


def wait_delivered(subjects, timeout=20):
    """subject -> copies delivered (waits until each has arrived or the timeout passes)"""
    deadline = time.time() + timeout
    while True:
        counts = subjects_in_maildir()
        got = dict((s, counts.get(s, 0)) for s in subjects)
        if all(got.values()) or time.time() > deadline:
            return got
        time.sleep(0.2)


def delivered(subject, timeout=20):
    return wait_delivered([subject], timeout)[subject]


def mail_texts(subjects):
    out = []
    for name, s in list(_seen.items()):
        if s in subjects:
            try:
                out.append(open(os.path.join(MAILDIR, name), "rb").read().decode("utf-8", "replace"))
            except OSError:
                pass
    return out


# --- a case: a temporary folder with a profile INI ------------------------------------------
class Case:
    def __init__(self, name):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="mvsmtp-oauth-%s-" % name)
        os.chmod(self.dir, 0o755)     # only the cache's own modes keep other users out
        self.cache = os.path.join(self.dir, "cache")
        self.transcript = os.path.join(self.dir, "transcript.log")
        self.ini = os.path.join(self.dir, "mvsmtp.ini")
        self.sections = []
        self.n = 0
        CASES.append(self)

    def file(self, name, content, mode=0o600):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(content)
        os.chmod(path, mode)
        return path

    def profile(self, name, **keys):
        base = {"server": "smtp://127.0.0.1:%d" % SMTP_PORT, "ca_file": CA, "user": MAILBOX, "from": MAILBOX,
                "oauth_provider": "microsoft", "oauth_authority": OAUTH, "oauth_tenant": "contoso.test",
                "oauth_ca_file": CA, "oauth_cache": self.cache, "transcript": self.transcript}
        base.update(keys)
        self.sections.append("[%s]\n%s\n" % (name, "".join("%s = %s\n" % kv for kv in base.items() if kv[1] is not None)))
        with open(self.ini, "w") as f:
            f.write("\n".join(self.sections))
        os.chmod(self.ini, 0o600)
        return name

    def subject(self, tag):
        self.n += 1
        return "oauth-test %s %s %s-%d" % (RUN_ID, self.name, tag, self.n)

    def cache_files(self):
        return sorted(p for p in glob.glob(os.path.join(self.cache, "*.json")))

    def cache_file(self, profile):
        found = glob.glob(os.path.join(self.cache, profile + "-*.json"))
        return found[0] if len(found) == 1 else None

    def cached(self, profile):
        path = self.cache_file(profile)
        if not path:
            return {}
        try:
            return json.load(open(path))
        except (OSError, ValueError):
            return {}

    def harvest(self):
        """tokens the cache legitimately holds: remembered for the secrets scan"""
        for path in self.cache_files():
            try:
                o = json.load(open(path))
            except (OSError, ValueError):
                continue
            secret(o.get("access_token"), "access token")
            secret(o.get("refresh_token"), "refresh token")

    def send_cmd(self, profile, subject, extra=()):
        return [CLI, "send", "--config", self.ini, "--profile", profile, "--to", MAILBOX,
                "--subject", subject, "--body", "OAuth test %s" % subject, "--result"] + list(extra)

    def send(self, profile, subject, extra=(), timeout=90):
        """runs mvsmtp send --result: (exit status, RESULT fields (1-based list), seconds)"""
        t0 = time.time()
        p = subprocess.run(self.send_cmd(profile, subject, extra), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        took = time.time() - t0
        return self.finish(p.returncode, p.stdout, p.stderr, "send " + subject) + (took,)

    def finish(self, rc, stdout, stderr, label):
        out = stdout.decode("utf-8", "replace")
        err = stderr.decode("utf-8", "replace")
        TEXTS.append(("stdout of " + label, out))
        TEXTS.append(("stderr of " + label, err))
        self.harvest()
        return rc, parse_result(out)

    def oauth(self, action, profile, *extra):
        p = subprocess.run([CLI, "oauth", action, "--config", self.ini, "--profile", profile] + list(extra),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=90)
        out = p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")
        TEXTS.append(("oauth %s %s" % (action, profile), out))
        self.harvest()
        return p.returncode, out

    def transcript_text(self):
        try:
            return open(self.transcript, encoding="utf-8", errors="replace").read()
        except OSError:
            return ""


CASES = []


def parse_result(text):
    text = text.rstrip("\n")
    return [""] + text.split(AM)   # 1-based


def field(result, n):
    return result[n] if n < len(result) else ""


def summary(result):
    return "ERROR=%s %s MESSAGE=%s" % (field(result, R_ERROR), field(result, R_ERROR_NAME),
                                      field(result, R_MESSAGE)[:300])


def sent_ok(case, name, rc, result, subject):
    """exit 0, RESULT S.SENT and the message in the mailbox"""
    ok = check("%s: exit 0, RESULT status 0" % name, rc == 0 and field(result, R_STATUS) == "0",
               "exit %s, %s" % (rc, summary(result)))
    got = delivered(subject) if ok else 0
    check("%s: delivered through Postfix+Dovecot (Subject %r)" % (name, subject), got == 1, "copies: %d" % got)
    return ok


def expect_stats(name, want, extra_keys=()):
    """want: token_requests and optionally by_grant counts"""
    s = stats()
    got = {"token_requests": s.get("token_requests")}
    for k in want:
        if k != "token_requests":
            got[k] = s.get("by_grant", {}).get(k, 0) if k in ("client_credentials", "refresh_token", "device_code") \
                else s.get(k)
    check("%s: server counted %s" % (name, ", ".join("%s=%s" % kv for kv in sorted(want.items()))),
          got == want, "got %s (errors %s)" % (got, s.get("errors")))
    return s


def rand_secret(tag):
    return secret("%s-%s-%s" % (tag, RUN_ID, secrets.token_urlsafe(24)), tag)


# --- case 1: the flows ------------------------------------------------------------------------
def transcript_auth_checks(name, text, mech):
    lines = [re.sub(r"^\S+ ", "", l) for l in text.splitlines()]
    idx = [i for i, l in enumerate(lines) if l.startswith("C: AUTH ")]
    ok = bool(idx) and all(lines[i] == "C: AUTH " + mech for i in idx)
    check("%s: transcript has \"C: AUTH %s\" alone (no initial response: it would pass 512 octets)" % (name, mech),
          ok, [lines[i][:80] for i in idx])
    after = [lines[i + 2] if i + 2 < len(lines) else "" for i in idx]
    check("%s: transcript answers the 334 with \"C: <redacted>\"" % name,
          bool(idx) and all(a == "C: <redacted>" for a in after) and all(
              lines[i + 1].startswith("S: 334") for i in idx if i + 1 < len(lines)), after)
    check("%s: transcript shows 235 after AUTH" % name, any(l.startswith("S: 235") for l in lines))


def token_length_check(name, case, profile):
    tok = case.cached(profile).get("access_token", "")
    check("%s: the access token used is 2500 characters" % name, len(tok) == 2500, len(tok))


def case_flows():
    say("== case 1: client credentials, refresh token and device code flows")
    # 1a client credentials with a secret, XOAUTH2 then OAUTHBEARER
    c = Case("cc")
    cid, sec = "app-cc-" + RUN_ID, rand_secret("client-secret-cc")
    reset({"clients": {cid: {"secret": sec, "username": MAILBOX}}, "token_length": 2500})
    sf = c.file("client.secret", sec + "\n")
    base = dict(oauth_grant="client_credentials", oauth_client_id=cid, oauth_client_secret_file=sf)
    px = c.profile("ccx", auth="XOAUTH2", **base)
    pb = c.profile("ccb", auth="OAUTHBEARER", **base)
    subj = c.subject("xoauth2")
    rc, res, took = c.send(px, subj)
    sent_ok(c, "1a client_credentials+secret XOAUTH2", rc, res, subj)
    token_length_check("1a XOAUTH2", c, px)
    expect_stats("1a XOAUTH2", {"token_requests": 1, "client_credentials": 1})
    text = c.transcript_text()
    check("1a: the server offers AUTH XOAUTH2 OAUTHBEARER after STARTTLS",
          re.search(r"S: 250-AUTH .*XOAUTH2.*OAUTHBEARER|S: 250-AUTH .*OAUTHBEARER.*XOAUTH2", text) is not None)
    transcript_auth_checks("1a XOAUTH2", text, "XOAUTH2")
    mark = len(text)
    subj = c.subject("oauthbearer")
    rc, res, took = c.send(pb, subj)
    sent_ok(c, "1a client_credentials+secret OAUTHBEARER", rc, res, subj)
    token_length_check("1a OAUTHBEARER", c, pb)
    expect_stats("1a OAUTHBEARER (its own cache file: one more request)", {"token_requests": 2, "client_credentials": 2})
    transcript_auth_checks("1a OAUTHBEARER", c.transcript_text()[mark:], "OAUTHBEARER")

    # 1b client credentials with a certificate (RS256 client assertion)
    c = Case("cert")
    cid = "app-cert-" + RUN_ID
    key, crt = os.path.join(c.dir, "client.key"), os.path.join(c.dir, "client.crt")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                        "-days", "2", "-subj", "/CN=mvsmtp oauth test " + RUN_ID],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    os.chmod(key, 0o600)
    if not check("1b: openssl made a key and a self-signed certificate", p.returncode == 0, p.stdout[-300:]):
        return
    key_lines = [l for l in open(key).read().splitlines() if not l.startswith("-----")]
    for l in key_lines[1:4]:
        secret(l, "client private key (PEM line)")
    reset({"clients": {cid: {"certificate_pem": open(crt).read(), "username": MAILBOX}}, "token_length": 2500})
    pc = c.profile("cert", oauth_grant="client_credentials", oauth_client_id=cid,
                   oauth_client_certificate=crt, oauth_client_key=key)
    subj = c.subject("cert")
    rc, res, took = c.send(pc, subj)
    sent_ok(c, "1b client_credentials+certificate", rc, res, subj)
    token_length_check("1b certificate", c, pc)
    s = expect_stats("1b certificate", {"token_requests": 1, "client_credentials": 1})
    check("1b: the server found no error in the client assertion", not s.get("errors"), s.get("errors"))
    transcript_auth_checks("1b certificate", c.transcript_text(), "XOAUTH2")

    # 1c refresh token grant seeded from a file; rotation
    c = Case("refresh")
    cid, rt0 = "app-del-" + RUN_ID, rand_secret("seed-refresh")
    reset({"clients": {cid: {"username": MAILBOX}}, "token_length": 2500, "expires_in": 4,
           "refresh_tokens": {rt0: {"client_id": cid, "username": MAILBOX, "scope": DELEGATED_SCOPE}}})
    rf = c.file("refresh.token", rt0 + "\n")
    pr = c.profile("deleg", oauth_grant="refresh_token", oauth_client_id=cid, oauth_refresh_token_file=rf)
    subj = c.subject("refresh1")
    rc, res, took = c.send(pr, subj)
    sent_ok(c, "1c refresh_token (seed file)", rc, res, subj)
    token_length_check("1c refresh_token", c, pr)
    expect_stats("1c first send", {"token_requests": 1, "refresh_token": 1})
    rt1 = c.cached(pr).get("refresh_token", "")
    check("1c: the cache holds the rotated refresh token (not the seed)", rt1 and rt1 != rt0)
    st, _ = api("/_test/revoke", {"token": rt0})
    check("1c: the server no longer knows the seed refresh token (rotation)", st == 404, st)
    time.sleep(4.2)   # past the 4 s access token
    subj = c.subject("refresh2")
    rc, res, took = c.send(pr, subj)
    sent_ok(c, "1c send after the access token expired", rc, res, subj)
    s = expect_stats("1c second send", {"token_requests": 2, "refresh_token": 2})
    check("1c: no invalid_grant (the rotated token was used, not the used-up seed)", not s.get("errors"), s.get("errors"))
    rt2 = c.cached(pr).get("refresh_token", "")
    check("1c: the refresh token rotated again", rt2 and rt2 not in (rt0, rt1))
    transcript_auth_checks("1c refresh_token", c.transcript_text(), "XOAUTH2")

    # 1d device code: mvsmtp oauth login, approve, send
    c = Case("device")
    cid = "app-dev-" + RUN_ID
    reset({"clients": {cid: {"username": MAILBOX}}, "token_length": 2500, "device_interval": 1})
    pd = c.profile("device", oauth_grant="refresh_token", oauth_client_id=cid)
    proc = subprocess.Popen([CLI, "oauth", "login", "--config", c.ini, "--profile", pd],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines, code = [], [None]
    got_code = threading.Event()

    def reader():
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace")
            lines.append(line)
            m = re.search(r"enter the code ([A-Z]{4}-[A-Z]{4})", line)
            if m and not code[0]:
                code[0] = m.group(1)
                got_code.set()
        got_code.set()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    got_code.wait(30)
    check("1d: oauth login prints \"open <url> ... enter the code ABCD-EFGH\"",
          code[0] is not None and re.search(r"open https://127\.0\.0\.1:9443/device", "".join(lines)), "".join(lines))
    if code[0]:
        st, out = api("/_test/approve", {"user_code": code[0]})
        check("1d: the test approves the code", st == 200, out)
    try:
        rc = proc.wait(40)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
    t.join(5)
    err = proc.stderr.read().decode("utf-8", "replace")
    TEXTS.append(("oauth login stdout", "".join(lines)))
    TEXTS.append(("oauth login stderr", err))
    c.harvest()
    check("1d: oauth login exits 0 after the approval", rc == 0, "exit %s %s" % (rc, err[:300]))
    check("1d: login stored a refresh token in the cache", bool(c.cached(pd).get("refresh_token")))
    s = stats()
    polls = s.get("by_grant", {}).get("device_code", 0)
    check("1d: one device authorization request, device code polled until approved",
          s.get("device_requests") == 1 and polls >= 1 and s.get("token_requests") == polls,
          s)
    note("device flow: %d token polls (errors %s)" % (polls, s.get("errors")))
    subj = c.subject("device")
    rc, res, took = c.send(pd, subj)
    sent_ok(c, "1d send after device login", rc, res, subj)
    token_length_check("1d device", c, pd)
    expect_stats("1d send uses the access token login stored", {"token_requests": polls, "refresh_token": 0})
    transcript_auth_checks("1d device", c.transcript_text(), "XOAUTH2")


# --- case 2: expiry ----------------------------------------------------------------------------
def case_expiry():
    say("== case 2: an expired cached token is refreshed")
    c = Case("expiry")
    cid, sec = "app-exp-" + RUN_ID, rand_secret("client-secret-exp")
    reset({"clients": {cid: {"secret": sec, "username": MAILBOX}}, "expires_in": 4})
    p = c.profile("exp", oauth_grant="client_credentials", oauth_client_id=cid,
                  oauth_client_secret_file=c.file("s", sec))
    subj = c.subject("first")
    rc, res, _ = c.send(p, subj)
    sent_ok(c, "2 first send", rc, res, subj)
    expect_stats("2 first send", {"token_requests": 1})
    first = c.cached(p).get("access_token")
    subj = c.subject("again")
    rc, res, _ = c.send(p, subj)
    sent_ok(c, "2 second send at once", rc, res, subj)
    expect_stats("2 second send reuses the cached token", {"token_requests": 1})
    time.sleep(4.2)
    subj = c.subject("expired")
    rc, res, _ = c.send(p, subj)
    sent_ok(c, "2 send after expiry", rc, res, subj)
    expect_stats("2 after expiry exactly one more request", {"token_requests": 2})
    check("2: the cache holds a new access token", c.cached(p).get("access_token") not in (None, "", first))


# --- case 3: rejection ----------------------------------------------------------------------------
def case_rejected():
    say("== case 3: a token the server rejects")
    c = Case("reject")
    cid, sec = "app-rej-" + RUN_ID, rand_secret("client-secret-rej")
    reset({"clients": {cid: {"secret": sec, "username": MAILBOX}}})
    p = c.profile("rej", oauth_grant="client_credentials", oauth_client_id=cid,
                  oauth_client_secret_file=c.file("s", sec))
    subj = c.subject("prime")
    rc, res, _ = c.send(p, subj)
    sent_ok(c, "3 priming send", rc, res, subj)
    expect_stats("3 priming", {"token_requests": 1})
    st, out = api("/_test/revoke", {"all": True})
    check("3: every issued access token revoked", st == 200 and out.get("revoked") == 1, out)
    subj = c.subject("revoked")
    rc, res, _ = c.send(p, subj)
    sent_ok(c, "3 send with the revoked cached token (refresh + retry)", rc, res, subj)
    expect_stats("3 revoked: exactly one more token request", {"token_requests": 2})
    mode(reject_all_tokens=True)
    subj = c.subject("rejectall")
    FAILED_SUBJECTS.append(subj)
    rc, res, _ = c.send(p, subj)
    mode(reject_all_tokens=False)
    check("3 every token refused: exit 47 OAUTH.TOKEN.REJECTED",
          rc == 47 and field(res, R_ERROR) == "47" and field(res, R_ERROR_NAME) == "OAUTH.TOKEN.REJECTED",
          "exit %s, %s" % (rc, summary(res)))
    expect_stats("3 every token refused: one refresh, not a loop", {"token_requests": 3})
    msg = field(res, R_MESSAGE)
    note("R.MESSAGE: %s" % msg[:300])
    check("3: R.MESSAGE holds the server's decoded JSON (\"status\":\"401\")",
          re.search(r'"status"\s*:\s*"401"', msg) is not None, msg[:300])


# --- case 4: errors ---------------------------------------------------------------------------------
def expect_error(name, rc, res, code, ename, texts=(), transient=None):
    ok = check("%s: exit %d %s" % (name, code, ename),
               rc == code and field(res, R_ERROR) == str(code) and field(res, R_ERROR_NAME) == ename,
               "exit %s, %s" % (rc, summary(res)))
    msg = field(res, R_MESSAGE)
    for t in texts:
        check("%s: R.MESSAGE has the provider's %r" % (name, t), t in msg, msg[:300])
    if transient is not None:
        check("%s: R.TRANSIENT = %d" % (name, transient), field(res, R_TRANSIENT) == str(transient),
              field(res, R_TRANSIENT))
    return ok


def case_errors():
    say("== case 4: error codes")
    c = Case("errors")
    cid, sec = "app-err-" + RUN_ID, rand_secret("client-secret-err")
    did, rt = "app-errdel-" + RUN_ID, rand_secret("seed-refresh-err")
    reset({"clients": {cid: {"secret": sec, "username": MAILBOX}, did: {"username": MAILBOX}},
           "refresh_tokens": {rt: {"client_id": did, "username": MAILBOX, "scope": DELEGATED_SCOPE}}})
    good = c.profile("good", oauth_grant="client_credentials", oauth_client_id=cid,
                     oauth_client_secret_file=c.file("good.secret", sec), timeout=2)
    wrong = c.profile("wrong", oauth_grant="client_credentials", oauth_client_id=cid,
                      oauth_client_secret_file=c.file("wrong.secret", rand_secret("wrong-secret")))
    deleg = c.profile("deleg", oauth_grant="refresh_token", oauth_client_id=did,
                      oauth_refresh_token_file=c.file("rt", rt))
    badrt = c.profile("badrt", oauth_grant="refresh_token", oauth_client_id=did,
                      oauth_refresh_token_file=c.file("badrt", rand_secret("unknown-refresh")))
    nort = c.profile("nort", oauth_grant="refresh_token", oauth_client_id=did)

    def failing(tag, prof, **kw):
        subj = c.subject(tag)
        FAILED_SUBJECTS.append(subj)
        return c.send(prof, subj, **kw)

    # invalid_client: a wrong secret, and injected
    rc, res, _ = failing("wrongsecret", wrong)
    expect_error("4 wrong client secret", rc, res, 45, "OAUTH.CLIENT.INVALID",
                 ("invalid_client", "client authentication failed"), transient=0)
    mode(fail="invalid_client")
    rc, res, _ = failing("invclient", good)
    expect_error("4 injected invalid_client", rc, res, 45, "OAUTH.CLIENT.INVALID",
                 ("invalid_client", "injected by /_test/mode"))
    # invalid_grant: an unknown refresh token, and injected
    mode(fail=None)
    rc, res, _ = failing("badrt", badrt)
    expect_error("4 unknown refresh token", rc, res, 46, "OAUTH.GRANT.INVALID",
                 ("invalid_grant", "unknown, used or revoked refresh token"), transient=0)
    mode(fail="invalid_grant")
    rc, res, _ = failing("invgrant", deleg)
    expect_error("4 injected invalid_grant (refresh_token profile)", rc, res, 46, "OAUTH.GRANT.INVALID",
                 ("invalid_grant", "injected by /_test/mode"))
    # transient
    for how in ("server_error", "unavailable"):
        mode(fail=how)
        before = stats()["token_requests"]
        rc, res, took = failing(how, good)
        expect_error("4 %s" % how, rc, res, 20, "OAUTH.UNAVAILABLE", transient=1)
        note("%s: %d token request(s), %.1f s, R.MESSAGE %r" % (how, stats()["token_requests"] - before, took,
                                                                field(res, R_MESSAGE)[:160]))
    mode(fail=None, slow=6)
    rc, res, took = failing("slow", good)
    mode(slow=0)
    expect_error("4 token endpoint slower than timeout = 2", rc, res, 20, "OAUTH.UNAVAILABLE", transient=1)
    # The whole token request has one deadline (the profile's timeout), not one per read:
    # Poco retries a timed-out TLS read once, which once made this 4.1 s.
    check("4 slow: gave up within the 2 s timeout (%.1f s < 2.0 s + 0.8 s)" % took, took < 2.8, "%.1f s" % took)
    note("slow: gave up after %.1f s = %.1f x the 2 s timeout" % (took, took / 2))
    # no refresh token: 88, no request
    before = stats()["token_requests"]
    rc, res, _ = failing("nort", nort)
    expect_error("4 delegated profile without a refresh token", rc, res, 88, "OAUTH.LOGIN.NEEDED")
    check("4 no refresh token: no token request made", stats()["token_requests"] == before)
    # static token
    tok = token_by_form("/contoso.test/oauth2/v2.0/token",
                        {"grant_type": "client_credentials", "client_id": cid, "client_secret": sec,
                         "scope": "https://outlook.office365.com/.default"})["access_token"]
    secret(tok, "static access token")
    st = c.profile("static", oauth_grant="static", oauth_token_file=c.file("static.token", tok + "\n"))
    before = stats()["token_requests"]
    subj = c.subject("static")
    rc, res, _ = c.send(st, subj)
    sent_ok(c, "4 static token (oauth_token_file)", rc, res, subj)
    check("4 static: no token request made", stats()["token_requests"] == before)
    api("/_test/revoke", {"token": tok})
    rc, res, _ = failing("staticrej", st)
    expect_error("4 static token refused", rc, res, 47, "OAUTH.TOKEN.REJECTED")
    check("4 static refused: no token request made", stats()["token_requests"] == before)


# --- case 5: concurrency ------------------------------------------------------------------------------
def case_concurrency(slow):
    tag = "slow" if slow else "fast"
    say("== case 5: ten processes on an empty cache (%s)" % tag)
    c = Case("conc-" + tag)
    cid, sec = "app-conc-%s-%s" % (tag, RUN_ID), rand_secret("client-secret-conc")
    reset({"clients": {cid: {"secret": sec, "username": MAILBOX}}})
    if slow:
        mode(slow=1)
    p = c.profile("conc", oauth_grant="client_credentials", oauth_client_id=cid,
                  oauth_client_secret_file=c.file("s", sec))
    subjects = [c.subject("p%d" % i) for i in range(10)]
    t0 = time.time()
    procs = [subprocess.Popen(c.send_cmd(p, s), stdout=subprocess.PIPE, stderr=subprocess.PIPE) for s in subjects]
    results = []
    for s, pr in zip(subjects, procs):
        out, err = pr.communicate(timeout=120)
        results.append(c.finish(pr.returncode, out, err, "concurrent send " + s))
    took = time.time() - t0
    if slow:
        mode(slow=0)
    bad = [(rc, summary(r)) for rc, r in results if rc != 0]
    check("5 %s: all 10 processes exit 0" % tag, not bad, bad[:3])
    s = expect_stats("5 %s: ten processes, one token request" % tag, {"token_requests": 1})
    got = wait_delivered(subjects)
    check("5 %s: 10 messages delivered" % tag, sum(1 for v in got.values() if v == 1) == 10, got)
    note("%s: 10 sends in %.1f s, token_requests %s" % (tag, took, s.get("token_requests")))


# --- case 6: the cache on disk -------------------------------------------------------------------------
def case_cache():
    say("== case 6: the token cache survives a restart and stays owner-only")
    c = Case("cache")
    cid, sec = "app-cache-" + RUN_ID, rand_secret("client-secret-cache")
    reset({"clients": {cid: {"secret": sec, "username": MAILBOX}}})
    p = c.profile("cache", oauth_grant="client_credentials", oauth_client_id=cid,
                  oauth_client_secret_file=c.file("s", sec))
    subj = c.subject("first")
    rc, res, _ = c.send(p, subj)
    sent_ok(c, "6 first send", rc, res, subj)
    path = c.cache_file(p)
    if not check("6: one cache file <profile>-<hash>.json", path is not None, c.cache_files()):
        return
    fst, dst = os.stat(path), os.stat(c.cache)
    check("6: cache file mode 0600, owned by this user",
          fst.st_mode & 0o777 == 0o600 and fst.st_uid == os.getuid(), oct(fst.st_mode))
    check("6: cache folder mode 0700, owned by this user",
          dst.st_mode & 0o777 == 0o700 and dst.st_uid == os.getuid(), oct(dst.st_mode))
    locks = glob.glob(path + "*.lock") + glob.glob(os.path.join(c.cache, "*.lock"))
    check("6: lock file(s) owner-only", all(os.stat(l).st_mode & 0o077 == 0 for l in locks),
          [(l, oct(os.stat(l).st_mode)) for l in locks])
    for i in range(2):   # new processes: the cache is what survives
        subj = c.subject("restart")
        rc, res, _ = c.send(p, subj)
        sent_ok(c, "6 new process %d" % (i + 1), rc, res, subj)
    expect_stats("6 new processes reuse the cached token", {"token_requests": 1})
    s0 = stats()
    os.chmod(path, 0o644)
    subj = c.subject("insecure")
    FAILED_SUBJECTS.append(subj)
    rc, res, _ = c.send(p, subj)
    expect_error("6 cache file chmod 644", rc, res, 82, "CONFIG.INSECURE")
    s1 = stats()
    check("6 chmod 644: the token was not used (no introspection, no token request)",
          s1["introspections"] == s0["introspections"] and s1["token_requests"] == s0["token_requests"],
          (s0["introspections"], s1["introspections"], s0["token_requests"], s1["token_requests"]))
    os.chmod(path, 0o600)
    for target in (path, c.cache):
        cmd = ["runuser", "-u", "nobody", "--", "cat" if target == path else "ls", target]
        p2 = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        out = p2.stdout.decode("utf-8", "replace")
        TEXTS.append(("runuser " + " ".join(cmd[4:]), out))
        check("6: user nobody cannot %s the cache %s" % (cmd[4], "file" if target == path else "folder"),
              p2.returncode != 0 and "Permission denied" in out, "exit %s: %s" % (p2.returncode, out[:200]))
    # the file alone (folder opened up for the check) still keeps nobody out
    os.chmod(c.cache, 0o755)
    p2 = subprocess.run(["runuser", "-u", "nobody", "--", "cat", path], stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT, timeout=30)
    os.chmod(c.cache, 0o700)
    out = p2.stdout.decode("utf-8", "replace")
    TEXTS.append(("runuser cat (folder 755)", out))
    check("6: with the folder opened to 0755, the 0600 file alone keeps nobody out",
          p2.returncode != 0 and "Permission denied" in out, "exit %s: %s" % (p2.returncode, out[:200]))


# --- case 7: oauth status / logout -----------------------------------------------------------------------
def case_status():
    say("== case 7: mvsmtp oauth status and logout")
    c = Case("status")
    cid, sec = "app-status-" + RUN_ID, rand_secret("client-secret-status")
    did, rt = "app-statusdel-" + RUN_ID, rand_secret("seed-refresh-status")
    reset({"clients": {cid: {"secret": sec, "username": MAILBOX}, did: {"username": MAILBOX}},
           "refresh_tokens": {rt: {"client_id": did, "username": MAILBOX, "scope": DELEGATED_SCOPE}}})
    p = c.profile("st", oauth_grant="client_credentials", oauth_client_id=cid,
                  oauth_client_secret_file=c.file("s", sec))
    d = c.profile("stdel", oauth_grant="refresh_token", oauth_client_id=did, oauth_refresh_token_file=c.file("rt", rt))
    subj = c.subject("status")
    rc, res, _ = c.send(p, subj)
    sent_ok(c, "7 send", rc, res, subj)
    path = c.cache_file(p)
    tok = c.cached(p).get("access_token", "")
    rc, out = c.oauth("status", p)
    check("7 status: exit 0", rc == 0, out[:300])
    for label, pattern in (("mailbox", r"^mailbox:\s+" + re.escape(MAILBOX)),
                           ("token is for", r"^token is for:\s+" + re.escape(MAILBOX)),
                           ("scopes", r"^scopes:\s+https://outlook\.office365\.com/\.default"),
                           ("expiry", r"^access token:\s+valid until \d{4}-\d\d-\d\dT"),
                           ("cache path", r"^cache:\s+" + re.escape(path or "?"))):
        check("7 status shows %s" % label, re.search(pattern, out, re.M) is not None, out)
    check("7 status never shows the token (nor 40 characters of it)",
          tok and not any(tok[i:i + 40] in out for i in range(0, len(tok) - 40, 20)))
    rc, out = c.oauth("status", d, "--refresh")
    check("7 status --refresh (delegated): exit 0, token for the mailbox, refresh token stored",
          rc == 0 and re.search(r"^token is for:\s+" + re.escape(MAILBOX), out, re.M)
          and re.search(r"^refresh token:\s+stored", out, re.M) and re.search(r"^scopes:.*SMTP\.Send", out, re.M), out)
    expect_stats("7 status --refresh obtained one token", {"token_requests": 2, "refresh_token": 1})
    rc, out = c.oauth("logout", p)
    check("7 logout: exit 0 and the cache file is gone", rc == 0 and path and not os.path.exists(path), out)
    rc, out = c.oauth("status", p)
    check("7 status after logout: no cached token, still no secret", rc == 0 and "token is for:" not in out, out[:300])


# --- in process -------------------------------------------------------------------------------------------
def case_ctypes():
    say("== in process: mvs_sendmail through ctypes")
    c = Case("ctypes")
    cid, sec = "app-ctypes-" + RUN_ID, rand_secret("client-secret-ctypes")
    reset({"clients": {cid: {"secret": sec, "username": MAILBOX}}})
    p = c.profile("inproc", oauth_grant="client_credentials", oauth_client_id=cid,
                  oauth_client_secret_file=c.file("s", sec))
    subj_cli = c.subject("cli")
    rc, cli_res, _ = c.send(p, subj_cli)
    sent_ok(c, "ctypes: CLI send (reference RESULT)", rc, cli_res, subj_cli)
    lib = ctypes.CDLL(LIB)
    lib.mvs_sendmail.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_char_p, ctypes.c_int]
    lib.mvs_sendmail.restype = ctypes.c_int
    lib.mvs_fetch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.mvs_fetch.restype = ctypes.c_int
    subj = c.subject("inproc")
    message = AM.join(["", MAILBOX, "", "", subj])
    options = [""] * 18
    options[0], options[1], options[17] = p, c.ini, "RESULT"
    cap = 4096
    buf = ctypes.create_string_buffer(cap)
    n = lib.mvs_sendmail(message.encode(), ("in-process OAuth test " + subj).encode(), AM.join(options).encode(), buf, cap)
    data = buf.value
    while 0 < n and len(data) < n:
        more = ctypes.create_string_buffer(cap)
        got = lib.mvs_fetch(len(data), more, cap)
        if got <= 0:
            break
        data += more.value
    text = data.decode("utf-8", "replace")
    TEXTS.append(("ctypes RESULT", text))
    c.harvest()
    res = parse_result(text)
    check("ctypes: mvs_sendmail returned the full RESULT length", n == len(data), (n, len(data)))
    sent_ok(c, "ctypes: mvs_sendmail", 0 if field(res, R_STATUS) == "0" else -1, res, subj)
    same = all(field(res, i) == field(cli_res, i) for i in (R_STATUS, R_ERROR, R_ERROR_NAME, R_REPLY_CODE, 6, 8, 9, 10,
                                                             R_TRANSIENT))
    check("ctypes: RESULT parity with the CLI (status, error, reply and recipient fields)", same,
          [(i, field(res, i), field(cli_res, i)) for i in range(1, 21) if field(res, i) != field(cli_res, i)][:8])
    tr = field(res, R_TRANSCRIPT).split(VM)
    check("ctypes: R.TRANSCRIPT (O.TRANSCRIPT = RESULT) has AUTH XOAUTH2 alone and <redacted>",
          any(re.search(r"C: AUTH XOAUTH2$", l) for l in tr) and any(re.search(r"C: <redacted>$", l) for l in tr),
          [l for l in tr if "AUTH" in l][:3])
    expect_stats("ctypes: the in-process send reused the CLI's cached token", {"token_requests": 1})


# --- case 8: the secrets scan (the scanner itself: tests/support/secrets_scan.py) -----------------------
find_secrets = secrets_scan.find_secrets


def scanner_selftest():
    """the scan must find a planted value in clear, in base64 at each alignment, URL-encoded"""
    missed, clean, n = secrets_scan.selftest()
    check("8: the scanner finds a planted secret in clear, URL-encoded and base64 at every alignment (%d forms)"
          % n, not missed and not clean, (missed, clean))


def case_scan(log_offsets, subjects):
    say("== case 8: secrets scan")
    scanner_selftest()
    texts = list(TEXTS)
    for c in CASES:
        texts.append(("transcript " + c.name, c.transcript_text()))
    for name, off in sorted(log_offsets.items()):
        try:
            with open(os.path.join(RIG_LOG, name), "rb") as f:
                f.seek(off)
                texts.append(("rig log " + name, f.read().decode("utf-8", "replace")))
        except OSError:
            pass
    for i, t in enumerate(mail_texts(subjects)):
        texts.append(("delivered message %d" % i, t))
    texts.append(("this test's output", "\n".join(OUTPUT)))
    found = find_secrets(SECRETS, texts)
    kinds = {}
    for label in SECRETS.values():
        kinds[label] = kinds.get(label, 0) + 1
    say("secrets scan: %d secrets x %d texts: %d found  (%s)" % (
        len(SECRETS), len(texts), len(found), ", ".join("%d %s" % (n, k) for k, n in sorted(kinds.items()))))
    check("8: at least 20 distinct secrets and tokens were scanned for", len(SECRETS) >= 20, len(SECRETS))
    check("8: the transcripts, outputs and logs were scanned (texts > 100)", len(texts) > 100, len(texts))
    check("8: no secret, refresh token or access token in any RESULT, transcript, output or log",
          not found, sorted(set(found))[:10])


# ---------------------------------------------------------------------------------------------------------
def main():
    if not (reachable(SMTP_PORT) and reachable(OAUTH_PORT)):
        print("skipped: the rig's 127.0.0.1:%d and 127.0.0.1:%d are not both reachable "
              "(bash tests/testbed/rig.sh start)" % (SMTP_PORT, OAUTH_PORT))
        return 77
    if not (os.access(CLI, os.X_OK) and os.path.exists(LIB)):
        print("skipped: no build at %s (set MVSMTP_BUILD_DIR)" % BUILD)
        return 77
    if os.getuid() != 0 or not os.path.isdir(MAILDIR):
        print("skipped: needs root and the rig's mailbox %s" % MAILDIR)
        return 77
    t_start = time.time()
    log_offsets = dict((n, os.path.getsize(os.path.join(RIG_LOG, n)))
                       for n in os.listdir(RIG_LOG) if n.endswith(".log"))
    subjects_in_maildir()                 # what is already there is not ours
    say("run %s, build %s" % (RUN_ID, BUILD))
    for case in (case_flows, case_expiry, case_rejected, case_errors, lambda: case_concurrency(False),
                 lambda: case_concurrency(True), case_cache, case_status, case_ctypes):
        t0 = time.time()
        try:
            case()
        except Exception as e:  # a broken case must not hide the others
            check("case %s ran to the end" % getattr(case, "__name__", "?"), False, "%s: %s" % (type(e).__name__, e))
            try:
                mode(fail=None, slow=0, reject_all_tokens=False)
            except Exception:
                pass
        note("%.1f s" % (time.time() - t0))
    time.sleep(1)
    counts = subjects_in_maildir()
    arrived = [s for s in FAILED_SUBJECTS if counts.get(s)]
    check("no message of a failed send arrived (%d failed sends)" % len(FAILED_SUBJECTS), not arrived, arrived)
    ours = [s for s in counts if s.startswith("oauth-test %s " % RUN_ID)]
    case_scan(log_offsets, set(ours))
    with open(os.path.join(RIG_LOG, "oauth.log"), errors="replace") as f:
        f.seek(log_offsets.get("oauth.log", 0))
        resets = sum(1 for l in f if "POST /_test/reset -> 200" in l)
    if resets != RESETS[0]:
        note("the OAuth server saw %d resets, this test made %d: someone else used it meanwhile "
             "(counts may be off)" % (resets, RESETS[0]))
    say("%d messages delivered, %.0f s" % (len(ours), time.time() - t_start))
    if not failed:
        for c in CASES:
            shutil.rmtree(c.dir, ignore_errors=True)
    else:
        say("temporary folders kept: %s" % " ".join(c.dir for c in CASES))
    say("%d passed, %d failed" % (len(passed), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
