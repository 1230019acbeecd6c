#!/usr/bin/python3
"""Secrets scan: the password and token paths of mvsmtp, run with distinctive secrets, and every
text they produce searched for those secrets (tests/support/secrets_scan.py: clear, URL-encoded,
base64 at the 3 alignments, base64url).

    /usr/bin/python3 tests/secrets/scan_suite.py     # ctest: integration.secrets_scan (root, the rig)

The rig's only password is "testpass" (user testuser@example.test), so the right password shows
the success paths and distinctive WRONG passwords (refused by AUTH) show the error paths:
  1 sendmail   CLI `mvsmtp send` with a profile password, AUTH PLAIN / LOGIN / CRAM-MD5, against
               Postfix 127.0.0.1:2525 (STARTTLS), right and wrong password; --password-file; the
               profile's transcript file
  2 in process libmvsmtp.so (ctypes): mvs_sendmail with O.PASSWORD and O.TRANSCRIPT = RESULT, each
               mechanism, right and wrong; SMTP.OPEN/SEND/CLOSE (mvs_open, mvs_send, mvs_close)
  3 outbox     no server: the message stored in an outbox folder with a password in OPTIONS
  4 token      a static OAuth token (oauth_token_file) refused by Postfix 127.0.0.1:2587
  5 SMTP.CMD   manual sessions on Postfix 127.0.0.1:2526 (cleartext, AUTH offered): "AUTH PLAIN
               <base64>" typed by hand in odd case and spacing, AUTH LOGIN answers on their own
               lines, an initial response after a bare "AUTH PLAIN"; REPLY, R.TRANSCRIPT and the
               transcript file
Scanned: every RESULT and REPLY, every transcript (RESULT and file), stdout/stderr of every CLI run,
every outbox file, the delivered messages, the rig's log lines written meanwhile and this test's
own output. A leak in a case that another change is known to fix is printed as "KNOWN:" and
still fails the test. Exit 1 on any failure, 77 when the rig is not running or there is no build.
Environment: MVSMTP_BUILD_DIR (./build), MVSMTP_TESTBED (/tmp/mvsmtp-testbed). Loopback only."""
import base64
import ctypes
import glob
import os
import secrets
import socket
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import secrets_scan  # noqa: E402

from rig_paths import BUILD, CA, CLI, LIB, MAILDIR, RIG_LOG, TESTBED, reachable  # noqa: E402
USER, RIGHT = "testuser@example.test", "testpass"
RUN_ID = secrets.token_hex(4)
AM, VM = "\x1e", "\x1d"
R_STATUS, R_ERROR, R_ERROR_NAME, R_MESSAGE, R_HANDLE, R_TRANSCRIPT = 1, 2, 3, 4, 17, 18
O_PROFILE, O_CONFIG, O_SERVER, O_TLS, O_USER, O_PASSWORD, O_AUTH, O_ALLOW_PLAIN, O_CA = 1, 2, 3, 5, 6, 7, 9, 10, 11
O_OUTBOX, O_FROM, O_TRANSCRIPT, O_MANUAL = 15, 17, 18, 21

passed, failed, known = [], [], []
OUTPUT, TEXTS = [], []
SECRETS = {}          # long distinctive values -> label
SHORT = {RIGHT: "the rig password"}   # short values: scanned with min_length 8
SUBJECTS = []
WORK = tempfile.mkdtemp(prefix="mvsmtp-secrets-")


def say(text=""):
    OUTPUT.append(text)
    print(text, flush=True)


def check(name, ok, detail=""):
    (passed if ok else failed).append(name)
    say("%s %s%s" % ("PASS" if ok else "FAIL", name, "" if ok else "  -- %s" % (detail,)))
    return ok


def secret(value, label):
    SECRETS[value] = label
    return value


def wrong_password(tag):
    return secret("Wr0ng-%s-%s-%s" % (tag, RUN_ID, secrets.token_urlsafe(18)), "wrong password (%s)" % tag)


def plain_blob(user, password):
    return base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()


def field(text, n):
    parts = text.rstrip("\n").split(AM)
    return parts[n - 1] if n - 1 < len(parts) else ""


def options(**kw):
    names = {"profile": O_PROFILE, "config": O_CONFIG, "server": O_SERVER, "tls": O_TLS, "user": O_USER,
             "password": O_PASSWORD, "auth": O_AUTH, "allow_plain": O_ALLOW_PLAIN, "ca": O_CA, "outbox": O_OUTBOX,
             "from_": O_FROM, "transcript": O_TRANSCRIPT, "manual": O_MANUAL}
    o = [""] * 22
    for k, v in kw.items():
        o[names[k] - 1] = v
    return AM.join(o)


def subject(tag):
    s = "secrets-scan %s %s %d" % (RUN_ID, tag, len(SUBJECTS) + 1)
    SUBJECTS.append(s)
    return s


def write_file(name, content):
    path = os.path.join(WORK, name)
    with open(path, "w") as f:
        f.write(content)
    os.chmod(path, 0o600)
    return path


# --- the library in process ------------------------------------------------------------------------
class Lib:
    def __init__(self):
        self.lib = ctypes.CDLL(LIB)
        for name, args in (("mvs_sendmail", [ctypes.c_char_p] * 4 + [ctypes.c_int]),
                           ("mvs_open", [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]),
                           ("mvs_send", [ctypes.c_int] + [ctypes.c_char_p] * 3 + [ctypes.c_int]),
                           ("mvs_cmd", [ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]),
                           ("mvs_close", [ctypes.c_int, ctypes.c_char_p, ctypes.c_int]),
                           ("mvs_fetch", [ctypes.c_int, ctypes.c_char_p, ctypes.c_int])):
            getattr(self.lib, name).argtypes = args
            getattr(self.lib, name).restype = ctypes.c_int

    def _result(self, label, call):
        cap = 4096
        buf = ctypes.create_string_buffer(cap)
        n = call(buf, cap)
        data = buf.value
        while 0 < n and len(data) < n:
            more = ctypes.create_string_buffer(cap)
            if self.lib.mvs_fetch(len(data), more, cap) <= 0:
                break
            data += more.value
        text = data.decode("utf-8", "replace")
        TEXTS.append((label, text))
        return text

    def sendmail(self, label, message, body, opts):
        return self._result(label, lambda b, c: self.lib.mvs_sendmail(message.encode(), body.encode(), opts.encode(), b, c))

    def open(self, label, opts):
        return self._result(label, lambda b, c: self.lib.mvs_open(opts.encode(), b, c))

    def send(self, label, handle, message, body):
        return self._result(label, lambda b, c: self.lib.mvs_send(handle, message.encode(), body.encode(), b, c))

    def cmd(self, label, handle, line):
        return self._result(label, lambda b, c: self.lib.mvs_cmd(handle, line.encode(), b, c))

    def close(self, label, handle):
        return self._result(label, lambda b, c: self.lib.mvs_close(handle, b, c))


def message(subj):
    return AM.join([USER, USER, "", "", subj])


# --- cases --------------------------------------------------------------------------------------------
def case_cli():
    say("== 1 sendmail through the CLI (profile password, --password-file), Postfix 127.0.0.1:2525")
    transcript = os.path.join(WORK, "cli-transcript.log")
    sections = []
    for mech in ("PLAIN", "LOGIN", "CRAM-MD5"):
        for kind, pw in (("right", RIGHT), ("wrong", wrong_password("cli-" + mech))):
            sections.append("[%s-%s]\nserver = smtp://127.0.0.1:2525\nca_file = %s\nuser = %s\npassword = %s\n"
                            "auth = %s\nfrom = %s\ntranscript = %s\n" % (mech, kind, CA, USER, pw, mech, USER, transcript))
    ini = write_file("mvsmtp.ini", "\n".join(sections))
    for mech in ("PLAIN", "LOGIN", "CRAM-MD5"):
        for kind in ("right", "wrong"):
            subj = subject("cli-%s-%s" % (mech, kind))
            out, err, rc = run_cli(["send", "--config", ini, "--profile", "%s-%s" % (mech, kind), "--to", USER,
                                    "--subject", subj, "--body", "secrets scan", "--result"], subj)
            want = "0" if kind == "right" else "AUTH.FAILED"
            got = field(out, R_STATUS) if kind == "right" else field(out, R_ERROR_NAME)
            check("1 CLI %s with the %s password: %s" % (mech, kind, want), got == want,
                  "exit %s, %s %s" % (rc, field(out, R_ERROR_NAME), field(out, R_MESSAGE)[:200]))
    pwfile = write_file("password", wrong_password("cli-file") + "\n")
    subj = subject("cli-password-file")
    out, err, rc = run_cli(["send", "--server", "smtp://127.0.0.1:2525", "--ca-file", CA, "--user", USER,
                            "--password-file", pwfile, "--from", USER, "--to", USER, "--subject", subj,
                            "--body", "x", "--result"], subj)
    check("1 CLI --password-file with a wrong password: AUTH.FAILED", field(out, R_ERROR_NAME) == "AUTH.FAILED",
          field(out, R_MESSAGE)[:200])
    TEXTS.append(("CLI transcript file", read(transcript)))
    check("1 the CLI transcript file was written (AUTH lines in it)", "AUTH" in read(transcript), transcript)


def run_cli(args, label):
    p = subprocess.run([CLI] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    TEXTS.append(("stdout of " + label, out))
    TEXTS.append(("stderr of " + label, err))
    return out, err, p.returncode


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def case_in_process(lib):
    say("== 2 in process: mvs_sendmail with O.PASSWORD, SMTP.OPEN/SEND/CLOSE, transcript in RESULT")
    for mech in ("PLAIN", "LOGIN", "CRAM-MD5"):
        for kind, pw in (("right", RIGHT), ("wrong", wrong_password("lib-" + mech))):
            subj = subject("lib-%s-%s" % (mech, kind))
            res = lib.sendmail("RESULT of mvs_sendmail " + subj, message(subj), "secrets scan",
                               options(server="smtp://127.0.0.1:2525", ca=CA, user=USER, password=pw, auth=mech,
                                       transcript="RESULT"))
            want = "0" if kind == "right" else "AUTH.FAILED"
            got = field(res, R_STATUS) if kind == "right" else field(res, R_ERROR_NAME)
            check("2 mvs_sendmail %s with the %s password: %s" % (mech, kind, want), got == want,
                  "%s %s" % (field(res, R_ERROR_NAME), field(res, R_MESSAGE)[:200]))
            check("2 mvs_sendmail %s %s: R.TRANSCRIPT holds the AUTH exchange" % (mech, kind),
                  "AUTH" in field(res, R_TRANSCRIPT), field(res, R_TRANSCRIPT)[:200])
    for kind, pw in (("right", RIGHT), ("wrong", wrong_password("lib-session"))):
        opened = lib.open("RESULT of mvs_open " + kind, options(server="smtp://127.0.0.1:2525", ca=CA, user=USER,
                                                                 password=pw, transcript="RESULT"))
        handle = field(opened, R_HANDLE)
        if kind == "wrong":
            check("2 mvs_open with a wrong password: AUTH.FAILED", field(opened, R_ERROR_NAME) == "AUTH.FAILED",
                  field(opened, R_MESSAGE)[:200])
            continue
        ok = check("2 mvs_open with the right password: a handle", handle.isdigit(), field(opened, R_MESSAGE)[:200])
        if ok:
            subj = subject("lib-session")
            sent = lib.send("RESULT of mvs_send", int(handle), message(subj), "secrets scan session")
            check("2 mvs_send on the session: sent", field(sent, R_STATUS) == "0", field(sent, R_MESSAGE)[:200])
            lib.close("RESULT of mvs_close", int(handle))


def case_outbox(lib):
    say("== 3 no server: stored in an outbox folder, a password in OPTIONS")
    outbox = os.path.join(WORK, "outbox")
    os.mkdir(outbox)
    pw = wrong_password("outbox")
    res = lib.sendmail("RESULT of mvs_sendmail (outbox)", message(subject("outbox")), "stored, not sent",
                       options(user=USER, password=pw, outbox=outbox, transcript="RESULT"))
    check("3 stored in the outbox (S.STORED = 2)", field(res, R_STATUS) == "2", field(res, R_MESSAGE)[:200])
    files = glob.glob(os.path.join(outbox, "**", "*"), recursive=True)
    for path in files:
        if os.path.isfile(path):
            TEXTS.append(("outbox file " + os.path.basename(path), read(path)))
    check("3 the outbox holds the message", any(os.path.isfile(p) for p in files), files)


def case_token():
    say("== 4 a static OAuth token refused by Postfix 127.0.0.1:2587")
    token = secret("mvsmtp-scan-token-%s-%s" % (RUN_ID, secrets.token_urlsafe(120)), "static OAuth token")
    tokfile = write_file("static.token", token + "\n")
    transcript = os.path.join(WORK, "token-transcript.log")
    ini = write_file("oauth.ini", "[static]\nserver = smtp://127.0.0.1:2587\nca_file = %s\nuser = %s\nfrom = %s\n"
                     "oauth_grant = static\noauth_token_file = %s\ntranscript = %s\n" % (CA, USER, USER, tokfile, transcript))
    for mech in ("XOAUTH2", "OAUTHBEARER"):
        subj = subject("token-" + mech)
        out, err, rc = run_cli(["send", "--config", ini, "--profile", "static", "--auth", mech, "--to", USER,
                                "--subject", subj, "--body", "x", "--result"], subj)
        check("4 %s with an unknown static token: refused (OAUTH.TOKEN.REJECTED or AUTH.FAILED)" % mech,
              field(out, R_ERROR_NAME) in ("OAUTH.TOKEN.REJECTED", "AUTH.FAILED"),
              "%s %s" % (field(out, R_ERROR_NAME), field(out, R_MESSAGE)[:200]))
    TEXTS.append(("token transcript file", read(transcript)))


# Hand-typed AUTH lines: (label, [lines after EHLO], known issue or None). Each runs in its own
# manual session on 2526 (a refused AUTH may end Postfix's patience with the connection).
def manual_cases():
    cases = []
    for label, fmt in (("AUTH PLAIN <b64>", "AUTH PLAIN %s"), ("auth plain <b64> (lower case)", "auth plain %s"),
                       ("Auth Plain <b64> (mixed case)", "Auth Plain %s"),
                       ("AUTH  PLAIN  <b64> (two spaces)", "AUTH  PLAIN  %s"),
                       ("AUTH\\tPLAIN <b64> (tab)", "AUTH\tPLAIN %s"), (" AUTH PLAIN <b64> (leading blank)", " AUTH PLAIN %s"),
                       ("AUTH PLAIN <b64>  (trailing blanks)", "AUTH PLAIN %s  ")):
        pw = wrong_password("cmd-" + str(len(cases)))
        cases.append((label, [fmt % plain_blob(USER, pw)]))
    pw = wrong_password("cmd-plain-next-line")
    cases.append(("AUTH PLAIN, then <b64> on its own line", ["AUTH PLAIN", plain_blob(USER, pw)]))
    pw = wrong_password("cmd-login")
    cases.append(("AUTH LOGIN, user and password lines",
                  ["AUTH LOGIN", base64.b64encode(USER.encode()).decode(), base64.b64encode(pw.encode()).decode()]))
    pw = wrong_password("cmd-login-lower")
    cases.append(("auth login <b64 user> (initial response), password line",
                  ["auth login " + base64.b64encode(USER.encode()).decode(), base64.b64encode(pw.encode()).decode()]))
    cases.append(("AUTH PLAIN <b64> with the right password", ["AUTH PLAIN " + plain_blob(USER, RIGHT)]))
    return cases


def case_cmd(lib):
    say("== 5 SMTP.CMD: AUTH typed by hand, Postfix 127.0.0.1:2526 (cleartext)")
    for n, (label, lines) in enumerate(manual_cases()):
        for mode in ("file", "RESULT"):
            # one transcript file per session, so a hit names the case that leaked
            transcript = os.path.join(WORK, "cmd-transcript-%d.log" % n) if mode == "file" else "RESULT"
            where = "%s, transcript %s" % (label, mode)
            leaks_before = len(leaks())
            opened = lib.open("RESULT of mvs_open (manual) " + where,
                              options(server="smtp://127.0.0.1:2526", tls="off", allow_plain="1", manual="1",
                                      transcript=transcript))
            handle = field(opened, R_HANDLE)
            if not check("5 %s: manual SMTP.OPEN" % where, handle.isdigit(), field(opened, R_MESSAGE)[:200]):
                continue
            h = int(handle)
            lib.cmd("REPLY to EHLO (%s)" % where, h, "EHLO scan.example.test")
            replies = [lib.cmd("REPLY to line %d (%s)" % (i + 1, where), h, l) for i, l in enumerate(lines)]
            lib.close("RESULT of mvs_close (manual) " + where, h)
            codes = [field(r, 5) for r in replies]
            check("5 %s: the server answered (%s)" % (where, " ".join(codes)), all(codes), replies[-1][:200])
            if mode == "file":
                TEXTS.append(("transcript file of " + where, read(transcript)))
            leaked = leaks()[leaks_before:]
            if leaked:
                # Named here so the report says which hand-typed form leaks; the final scan fails.
                known.append(where)
                say("KNOWN: %s: the secret reached %s (redaction of hand-typed AUTH lines is being fixed "
                    "separately)" % (where, sorted(set(w for _, w in leaked))[:3]))


def leaks():
    return secrets_scan.find_secrets(SECRETS, TEXTS) + secrets_scan.find_secrets(SHORT, TEXTS, min_length=8)


# --- the scan ----------------------------------------------------------------------------------------
def delivered_texts():
    out = []
    for path in glob.glob(os.path.join(MAILDIR, "*")):
        t = read(path)
        if any(s in t for s in SUBJECTS):
            out.append(("delivered " + os.path.basename(path), t))
            os.unlink(path)   # our own messages: do not let the mailbox grow
    return out


def case_scan(log_offsets):
    say("== the scan")
    missed, clean, n = secrets_scan.selftest()
    check("scan: the scanner finds a planted secret in all %d forms and nothing in unrelated base64" % n,
          not missed and not clean, (missed, clean))
    for name, off in sorted(log_offsets.items()):
        try:
            with open(os.path.join(RIG_LOG, name), "rb") as f:
                f.seek(off)
                TEXTS.append(("rig log " + name, f.read().decode("utf-8", "replace")))
        except OSError:
            pass
    TEXTS.extend(delivered_texts())
    TEXTS.append(("this test's output", "\n".join(OUTPUT)))
    found = leaks()
    say("secrets scan: %d secrets (+ the rig password) x %d texts: %d found" % (len(SECRETS), len(TEXTS), len(found)))
    check("scan: at least 20 distinct secrets were scanned for", len(SECRETS) >= 20, len(SECRETS))
    check("scan: at least 80 texts were scanned", len(TEXTS) >= 80, len(TEXTS))
    by_label = {}
    for label, where in found:
        by_label.setdefault(label, []).append(where)
    for label, wheres in sorted(by_label.items()):
        say("  %s found in: %s" % (label, "; ".join(sorted(set(wheres))[:5])))
    tag = "KNOWN: " if found and known else ""
    check("%sscan: no password, AUTH blob or token in any RESULT, REPLY, transcript, output, outbox file, "
          "message or log" % tag, not found, "%d hits" % len(found))


def main():
    if not all(reachable(p) for p in (2525, 2526, 2587)):
        print("skipped: the rig's 127.0.0.1:2525/2526/2587 are not reachable (bash tests/testbed/rig.sh start)")
        return 77
    if not (os.access(CLI, os.X_OK) and os.path.exists(LIB)):
        print("skipped: no build at %s (set MVSMTP_BUILD_DIR)" % BUILD)
        return 77
    log_offsets = {n: os.path.getsize(os.path.join(RIG_LOG, n)) for n in os.listdir(RIG_LOG)
                   if os.path.isfile(os.path.join(RIG_LOG, n))} if os.path.isdir(RIG_LOG) else {}
    lib = Lib()
    case_cli()
    case_in_process(lib)
    case_outbox(lib)
    case_token()
    case_cmd(lib)
    case_scan(log_offsets)
    if known:
        say("KNOWN: hand-typed AUTH lines whose secret leaked: %s" % "; ".join(known))
    say("%d passed, %d failed" % (len(passed), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        subprocess.run(["rm", "-rf", WORK])
