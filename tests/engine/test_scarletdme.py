#!/usr/bin/python3
"""The BASIC layer on a real MultiValue engine: ScarletDME (the GPL OpenQM line).

    tests/engine/test_scarletdme.py            # ctest: engine.scarletdme (needs root and the rig)

Builds ScarletDME from ../shared/engines/scarletdme (cached), starts it (one instance per
host: ctest serialises this test with RESOURCE_LOCK scarletdme, and the engine is stopped
at the end), and for each mode makes a fresh account, installs mvsmtp with the real
installer (install/install --platform qm: "auto" must choose in-process CCALL; then
--mode external), runs BASIC test programs (tests/engine/programs/) and checks what they
print and what the server received (tests/engine/capture_smtp.py: messages parsed with
Python's email package, connections counted), runs every verb from TCL and through
EXECUTE ... CAPTURING, verifies addresses with SMTP.VERIFY and the SMTP.VERIFY.ADDRESS verb
against the rig's mail exchangers and DNS (127.0.0.1:5353; the Postfix log must show no DATA)
and delivers one message with O.DELIVERY DIRECT, queues a message while its relay is down
(SENDMAIL gives S.QUEUED; SMTP.QUEUE.CONTROL and the SMTP.QUEUE verb list it) and flushes
it once a relay listens (delivered once, the queue then empty), signs with DKIM (T.DKIM:
RSA and Ed25519 keys into the outbox and through Postfix, each copy checked by
tests/testbed/dkim_verify.py against the rig's DNS; a 1024-bit key and a key others can read
are refused and nothing is stored; a From domain no key covers goes unsigned; the
SMTP.SENDMAIL verb with a profile's dkim_* keys), checks as a second OS user that request
and session files are out of reach and that no password is left in any file, times 20
SENDMAIL calls per mode, and
compares VOC and catalogue before install and after uninstall.

Prints one PASS/FAIL line per check and last "N passed, N failed"; exit 1 on any failure.
Environment: MVSMTP_BUILD_DIR (default ./build), MVSMTP_SHARED (default ../shared),
MVSMTP_TESTBED (the rig, for Postfix on 127.0.0.1:2526 and, for OAuth 2.0, Postfix on
127.0.0.1:2587 with the rig's test token service on https://127.0.0.1:9443)."""
import atexit
import json
import ssl
import urllib.request
import email
import email.policy
import glob
import hashlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("MVSMTP_BUILD_DIR", os.path.join(ROOT, "build"))
SHARED = os.environ.get("MVSMTP_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
PROGRAMS = os.path.join(ROOT, "tests", "engine", "programs")
POSTFIX_PLAIN = 2526                      # the rig's cleartext Postfix, AUTH offered
OTHER_USER = "mvsmtp-engine-other"
PASSWORD = "testpass"                     # the rig's SASL password for testuser@example.test
TESTBED = os.environ.get("MVSMTP_TESTBED", "/tmp/mvsmtp-testbed")
POSTFIX_OAUTH = 2587                      # the rig's Postfix whose SASL accepts only OAuth tokens
OAUTH_SECRET = "engine-oauth-client-secret-Jq7"

passed, failed = [], []


def check(name, ok, detail=""):
    (passed if ok else failed).append(name)
    print("%s %s%s" % ("PASS" if ok else "FAIL", name, "" if ok else "  " + str(detail)[:600]), flush=True)
    return ok


def run(cmd, env=None, cwd=None, timeout=300, input=None):
    p = subprocess.run(cmd, env=env, cwd=cwd, input=input, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout, shell=isinstance(cmd, str))
    return p.returncode, p.stdout.decode("utf-8", "replace").replace("\r", "")


# --- the engine -------------------------------------------------------------------------
def engine_env():
    rc, out = run(["bash", os.path.join(SHARED, "engines", "scarletdme", "build.sh")], timeout=600)
    if rc != 0:
        print(out)
        sys.exit("engine: ScarletDME build failed")
    env = dict(os.environ)
    for line in out.splitlines():
        m = re.match(r"export (\w+)=(.*)", line)
        if m:
            env[m.group(1)] = m.group(2).replace("$PATH", env.get("PATH", ""))
    return env


class Engine:
    def __init__(self, env):
        self.env = env
        self.qm = shutil.which("qm", path=env["PATH"])
        self.qmsys = os.path.dirname(os.path.dirname(self.qm))
        run([self.qm, "-stop"], env=env, cwd=self.qmsys)      # a leftover of an aborted run
        subprocess.run([self.qm, "-start"], env=env, cwd=self.qmsys, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        atexit.register(self.stop)

    def stop(self):
        run([self.qm, "-stop"], env=self.env, cwd=self.qmsys)

    def tcl(self, account, command, input=None, timeout=300):
        return run([self.qm, "-QUIET", command], env=self.env, cwd=account, timeout=timeout,
                   input=input)

    def create_account(self, name, path):
        return self.tcl(self.qmsys, "CREATE.ACCOUNT %s %s NO.QUERY" % (name, path))


# --- the capture server -----------------------------------------------------------------
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_capture(outdir):
    port = free_port()
    p = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "tests", "engine", "capture_smtp.py"),
                          str(port), outdir], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    atexit.register(p.kill)
    if p.stdout.readline().strip() != b"ready":
        sys.exit("capture server did not start")
    return port


def captured(outdir):
    """name -> (connection, parsed message, raw bytes, envelope recipients)"""
    out = {}
    for path in glob.glob(os.path.join(outdir, "c*-m*.eml")):
        raw = open(path, "rb").read()
        conn = int(re.match(r"c(\d+)-", os.path.basename(path)).group(1))
        env_to = re.findall(rb"^X-Envelope-To: (.*)\r\n", raw, re.M)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        out[path] = (conn, msg, raw, [t.decode() for t in env_to])
    return out


def find(messages, subject):
    return [m for m in messages.values() if str(m[1]["subject"]) == subject]


def checks_of(output):
    return dict((m.group(1), m.group(2).strip()) for m in re.finditer(r"^CHECK (\S+) ?(.*)$", output, re.M))


# --- account snapshots ------------------------------------------------------------------
def snapshot(engine, account):
    dump = os.path.join(account, "..", os.path.basename(account) + ".voc")
    if os.path.exists(dump):
        os.remove(dump)
    rc, out = engine.tcl(account, "RUN TESTS.BP T.DUMP.VOC " + dump)
    voc = sorted(l for l in open(dump, encoding="latin-1").read().splitlines() if l.startswith("VOC ")) if os.path.exists(dump) else [out]
    cat = []
    for path in sorted(glob.glob(os.path.join(account, "cat", "*"))):
        cat.append((os.path.basename(path), hashlib.sha256(open(path, "rb").read()).hexdigest()))
    return voc, cat


def compile_tests(engine, account, names):
    """TESTS.BP is made before the first snapshot and stays; T.DUMP.VOC needs no mvsmtp, the
    others include MVSMTP.BP SMTP.H and are compiled once mvsmtp is installed."""
    if not os.path.isdir(os.path.join(account, "TESTS.BP")):
        engine.tcl(account, "CREATE.FILE TESTS.BP DIRECTORY")
    for name in names:
        shutil.copy(os.path.join(PROGRAMS, name), os.path.join(account, "TESTS.BP", name))
    # At most 5 programs per BASIC command: its 3 lines a program must stay under the 24-line
    # page, or the engine waits at "Press RETURN" and the rest is never compiled.
    ok, outs = True, []
    for i in range(0, len(names), 5):
        batch = names[i:i + 5]
        rc, out = engine.tcl(account, "BASIC TESTS.BP " + " ".join(batch))
        ok = ok and "Compiled %d program(s) with no errors" % len(batch) in out
        outs.append(out)
    return check("compile %s" % ", ".join(names), ok, "".join(outs))


# --- one mode ---------------------------------------------------------------------------
def exercise_mode(engine, work, mode, port, capture_dir):
    tag = "%s-%d" % (mode, os.getpid())
    account = os.path.join(work, "ACC." + mode.upper())
    prefix = os.path.join(work, "prefix-" + mode)
    # Account names stay in the engine's register: a new name each run.
    rc, out = engine.create_account("MVT%d%s" % (os.getpid(), mode.upper()[:3]), account)
    if not check("%s: a fresh account" % mode, os.path.isdir(os.path.join(account, "VOC")), out):
        return
    if not compile_tests(engine, account, ["T.DUMP.VOC"]):
        return
    before = snapshot(engine, account)
    check("%s: VOC snapshot before install" % mode, len(before[0]) > 100, len(before[0]))

    args = ["bash", os.path.join(ROOT, "install", "install"), "--platform", "qm", "--account", account,
            "--engine-home", engine.qmsys, "--prefix", prefix, "--build", BUILD]
    if mode == "external":
        args += ["--mode", "external"]
    rc, out = run(args, env=engine.env, timeout=600)
    check("%s: install/install exits 0" % mode, rc == 0, out[-1500:])
    record = open(os.path.join(account, "MVSMTP.BP", "MVSMTP.VERSION")).read().split("\n")
    compile_tests(engine, account, sorted(n for n in os.listdir(PROGRAMS) if n != "T.DUMP.VOC"))
    check("%s: installed mode is %s" % (mode, "native (the probe worked)" if mode == "native" else mode),
          record[1] == mode, out[-800:])
    rc, again = run(args, env=engine.env, timeout=600)
    check("%s: a second install finds it done" % mode, rc == 0 and "nothing to do" in again, again[-500:])

    # The main scenarios.
    rc, out = engine.tcl(account, "RUN TESTS.BP T.MESSAGES %d %s %s" % (port, work, tag), timeout=600)
    c = checks_of(out)
    check("%s: T.MESSAGES ran to the end" % mode, "DONE" in out and rc == 0, out[-1500:])
    msgs = captured(capture_dir)
    full = find(msgs, "Grüße %s full" % tag)
    if check("%s: full message delivered once" % mode, len(full) == 1 and c.get("full", "").startswith("0 "), (c.get("full"), len(full))):
        conn, msg, raw, env_to = full[0]
        check("%s: To, Cc in headers, Bcc only in the envelope" % mode,
              "alice@example.test" in str(msg["to"]) and "bob@example.test" in str(msg["cc"]) and msg["bcc"] is None
              and b"carol" not in re.sub(rb"X-Envelope-To: .*\r\n", b"", raw.split(b"\r\n\r\n", 1)[0]) and "carol@example.test" in env_to, (msg["to"], msg["cc"], env_to))
        body = msg.get_body(("plain",)).get_content().splitlines()
        check("%s: @AM and @VM became line breaks" % mode, body[:3] == ["line one", "line two", "line three"], body)
        atts = {p.get_filename(): p.get_content() for p in msg.iter_attachments()}
        want = hashlib.sha256(open(os.path.join(work, "attach.bin"), "rb").read()).hexdigest()
        got = atts.get("attach.bin")
        check("%s: OS-file attachment arrives byte for byte" % mode,
              got is not None and hashlib.sha256(got).hexdigest() == want, list(atts))
        csv = atts.get("orders.csv")
        csv = csv.decode() if isinstance(csv, bytes) else csv
        check("%s: data attachment (@SM = line break)" % mode, csv is not None and csv.splitlines() == ["id,total", "1042,99.50"], csv)
    st = c.get("stored", "").split(" ", 1)
    check("%s: no server configured: S.STORED in the outbox" % mode,
          st[0] == "2" and len(st) == 2 and os.path.isfile(st[1]) and ("stored %s" % tag).encode() in open(st[1], "rb").read(), c.get("stored"))
    check("%s: one refused recipient: S.PARTIAL, statuses 0,32, code 550" % mode, c.get("partial") == "1 0,32 550", c.get("partial"))
    check("%s: partial: the accepted recipient got it" % mode, len(find(msgs, "partial " + tag)) == 1)
    check("%s: server down: CONNECT.FAILED (10), transient" % mode, c.get("down") == "3 10 1", c.get("down"))
    check("%s: bad option: BAD.OPTION (66)" % mode, c.get("badoption") == "3 66", c.get("badoption"))
    check("%s: bad address: BAD.ADDRESS (62)" % mode, c.get("badaddress") == "3 62", c.get("badaddress"))
    check("%s: header injection: HEADER.INJECTION (64)" % mode, c.get("injection") == "3 64", c.get("injection"))
    check("%s: SMTP.OPEN gives a handle" % mode, c.get("open") == "0 1", c.get("open"))
    check("%s: three SMTP.SEND accepted" % mode, all(c.get("send%d" % i, "").startswith("0") for i in (1, 2, 3)),
          [c.get("send%d" % i) for i in (1, 2, 3)])
    check("%s: SMTP.CMD NOOP answered 250" % mode, c.get("noop") == "0 250", c.get("noop"))
    check("%s: SMTP.CLOSE, then the handle is BAD.HANDLE" % mode, c.get("close") == "0 0" and c.get("closed") == "3 67",
          (c.get("close"), c.get("closed")))
    sess = [find(msgs, "session %s %d" % (tag, i)) for i in (1, 2, 3)]
    conns = {m[0][0] for m in sess if len(m) == 1}
    others = [m for m in msgs.values() if m[0] in conns and not str(m[1]["subject"]).startswith("session " + tag)]
    check("%s: the three SENDs travelled on ONE SMTP connection" % mode,
          all(len(m) == 1 for m in sess) and len(conns) == 1 and not others, (conns, [len(m) for m in sess]))

    # The verbs from TCL.
    rc, out = engine.tcl(account, 'SMTP.SENDMAIL SERVER 127.0.0.1:%d TLS off FROM accounts@example.test TO alice@example.test '
                                  'SUBJECT "verb %s tcl" BODY "from TCL"' % (port, tag))
    check("%s: SMTP.SENDMAIL from TCL" % mode, out.strip().startswith("OK") and len(find(captured(capture_dir), "verb %s tcl" % tag)) == 1, out)
    rc, out = engine.tcl(account, 'SMTP.SENDMAIL SERVER 127.0.0.1:%d TLS off TO alice@example.test SUBJECT x BODY y' % port)
    check("%s: SMTP.SENDMAIL without FROM says how to fix it" % mode, "ERROR 63" in out and "FROM" in out, out)
    # keywords added with issue 9: MAX.SIZE (a local limit, MESSAGE.TOO.LARGE) and FINAL.TIMEOUT
    rc, out = engine.tcl(account, 'SMTP.SENDMAIL SERVER 127.0.0.1:%d TLS off FROM a@example.test TO alice@example.test '
                                  'SUBJECT "too big %s" BODY "%s" MAX.SIZE 1K' % (port, tag, "x" * 1500))
    check("%s: SMTP.SENDMAIL MAX.SIZE 1K refuses a bigger message locally (34)" % mode,
          "ERROR 34" in out and not find(captured(capture_dir), "too big %s" % tag), out)
    rc, out = engine.tcl(account, 'SMTP.SENDMAIL SERVER 127.0.0.1:%d TLS off FROM a@example.test TO alice@example.test '
                                  'SUBJECT "final %s" BODY "y" FINAL.TIMEOUT 30' % (port, tag))
    check("%s: SMTP.SENDMAIL takes FINAL.TIMEOUT" % mode,
          out.strip().startswith("OK") and len(find(captured(capture_dir), "final %s" % tag)) == 1, out)
    rc, out = engine.tcl(account, "SMTP.TEST SERVER 127.0.0.1:%d TLS off RCPT alice@example.test" % port)
    check("%s: SMTP.TEST: relay PASS, auth SKIP without a user" % mode,
          "PASS relay" in out and "SKIP auth" in out and "PASS auth" not in out, out)
    rc, out = engine.tcl(account, "SMTP.TEST SERVER 127.0.0.1:%d TLS off RCPT reject@example.test" % port)
    check("%s: SMTP.TEST: a refused RCPT shows the server's code and words" % mode, "FAIL relay     550 5.1.1" in out, out)
    pwfile = os.path.join(work, "pw-" + mode)
    with open(pwfile, "w") as f:
        f.write(PASSWORD + "\n")
    os.chmod(pwfile, 0o600)
    rc, out = engine.tcl(account, "SMTP.TEST SERVER 127.0.0.1:%d TLS off USER testuser@example.test PASSWORD.FILE %s "
                                  "ALLOW.PLAINTEXT.AUTH 1" % (POSTFIX_PLAIN, pwfile))
    check("%s: SMTP.TEST: PASS auth when the server accepted AUTH" % mode, "PASS auth" in out, out)
    rc, out = engine.tcl(account, "SMTP.SHELL SERVER 127.0.0.1:%d TLS off" % port, input=b"EHLO engine.test\nNOOP\n.QUIT\n")
    check("%s: SMTP.SHELL from TCL: EHLO and NOOP answered" % mode, "250-" in out and re.search(r"^(smtp> )?250 ", out, re.M) is not None, out)
    rc, out = engine.tcl(account, "RUN TESTS.BP T.VERBS %d %s" % (port, tag))
    check("%s: SMTP.SENDMAIL through EXECUTE ... CAPTURING" % mode,
          "CAPTURED SMTP.SENDMAIL OK" in out and len(find(captured(capture_dir), "verb %s captured" % tag)) == 1, out)
    check("%s: SMTP.TEST through EXECUTE ... CAPTURING" % mode, "CAPTURED SMTP.TEST PASS relay" in out, out)

    exercise_verify(engine, account, work, mode)
    exercise_queue(engine, account, work, mode)
    exercise_dkim(engine, account, work, mode)
    exercise_oauth(engine, account, work, mode)
    exercise_examples(engine, account, work, mode, port, capture_dir)
    if mode == "external":
        exercise_privacy(engine, account, prefix)

    # 20 SENDMAIL calls, whole program timed; the same program with 0 calls is the base.
    t0 = time.monotonic()
    engine.tcl(account, "RUN TESTS.BP T.TIMING %d 0" % port)
    base = time.monotonic() - t0
    t0 = time.monotonic()
    rc, out = engine.tcl(account, "RUN TESTS.BP T.TIMING %d 20" % port)
    total = time.monotonic() - t0
    check("%s: 20 timed SENDMAIL calls all sent" % mode, checks_of(out).get("timing") == "0", out)
    print("FIGURE %s: 20 SENDMAIL calls %.3f s, program start %.3f s, %.4f s per call"
          % (mode, total, base, (total - base) / 20), flush=True)

    rc, out = run(["bash", os.path.join(ROOT, "install", "uninstall"), "--platform", "qm", "--account", account,
                   "--prefix", prefix], env=engine.env, timeout=600)
    check("%s: install/uninstall exits 0" % mode, rc == 0, out[-1500:])
    after = snapshot(engine, account)
    extra = sorted(set(after[0]) ^ set(before[0]))
    check("%s: uninstall leaves VOC exactly as before" % mode, not extra, extra[:5])
    check("%s: uninstall leaves the catalogue exactly as before" % mode, after[1] == before[1], (before[1], after[1]))
    check("%s: nothing left in the prefix" % mode, not os.path.exists(prefix), os.listdir(prefix) if os.path.exists(prefix) else "")


# --- SMTP.VERIFY and direct delivery, against the rig's exchangers and DNS (127.0.0.1:5353) -----
VERIFY_EXPECTED = [("alice@example.test", "6"), ("reject@example.test", "5"),
                   ("nobody@strict.example.test", "5"), ("alice@strict.example.test", "6"),
                   ("x@nullmx.example.test", "3"), ("x@nosuch.example.test", "3"),
                   ("x@dnsdown.example.test", "1"), ("x@unreachable.example.test", "2"),
                   ("x@nosender.example.test", "4")]


def postfix_log_size():
    try:
        return os.path.getsize(os.path.join(TESTBED, "log", "postfix.log"))
    except OSError:
        return 0


def postfix_sessions(offset, helo):
    """The Postfix smtpd sessions logged after byte OFFSET whose log names HELO (every probe
    session of SMTP.VERIFY has a refused RCPT or MAIL, and Postfix logs helo=<...> there):
    [(service, [lines])], each from its "connect from" to its "disconnect from" line. One
    smtpd process serves one connection at a time, so (service, pid) cuts the log."""
    with open(os.path.join(TESTBED, "log", "postfix.log"), "rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", "replace")
    open_, done = {}, []
    for line in text.splitlines():
        m = re.search(r" postfix/([\w.-]+)/smtpd\[(\d+)\]: (.*)$", line)
        if not m:
            continue
        key = (m.group(1), m.group(2))
        if m.group(3).startswith("connect from "):
            open_[key] = [line]
        elif key in open_:
            open_[key].append(line)
            if m.group(3).startswith("disconnect from "):
                done.append((m.group(1), open_.pop(key)))
    return [(svc, lines) for svc, lines in done if any("helo=<%s>" % helo in l for l in lines)]


def delivered_to(user, subject):
    found = []
    for f in glob.glob(os.path.join(TESTBED, "vmail", "example.test", user, "new", "*")):
        with open(f, "rb") as fh:
            if ("Subject: " + subject).encode() in fh.read():
                found.append(f)
    return found


def exercise_verify(engine, account, work, mode):
    ca = os.environ.get("MVSMTP_TEST_CA", os.path.join(TESTBED, "tls", "ca.crt"))
    helo = "verify-%s-%d.mvsmtp.test" % (mode, os.getpid())
    tag = "%s-%d" % (mode, os.getpid())
    offset = postfix_log_size()
    rc, out = engine.tcl(account, "RUN TESTS.BP T.VERIFY 127.0.0.1:5353 %s %s %s" % (ca, helo, tag), timeout=600)
    c = checks_of(out)
    check("%s: T.VERIFY ran to the end" % mode, "DONE" in out and rc == 0, out[-1500:])
    check("%s: SMTP.VERIFY: one result per address, attributes and values alike" % mode,
          c.get("verify.count") == str(len(VERIFY_EXPECTED)), c.get("verify.count"))
    for address, cls in VERIFY_EXPECTED:
        got = c.get("v." + address, "")
        check("%s: SMTP.VERIFY %s is class %s" % (mode, address, cls), got.split(" ")[:1] == [cls], got)
    catch = {a: (c.get("v." + a, "").split(" ") + ["", ""])[1] for a, _ in VERIFY_EXPECTED}
    check("%s: SMTP.VERIFY: example.test is a catch-all (1), strict.example.test is not (0)" % mode,
          catch["alice@example.test"] == "[1]" and catch["alice@strict.example.test"] == "[0]"
          and catch["nobody@strict.example.test"] == "[0]", catch)
    check("%s: SMTP.VERIFY: the exchanger that answered is named" % mode,
          "mx1.example.test" in c.get("v.alice@example.test", "") and "mx-strict.example.test" in c.get("v.alice@strict.example.test", ""),
          (c.get("v.alice@example.test"), c.get("v.alice@strict.example.test")))
    check("%s: SMTP.VERIFY: some accepted, some not: S.PARTIAL" % mode, c.get("verify.status", "").split(" ")[:1] == ["1"], c.get("verify.status"))
    # No DATA: every Postfix session of this run (found by its HELO) ended without one.
    deadline = time.monotonic() + 15
    sessions = []
    while time.monotonic() < deadline:
        sessions = postfix_sessions(offset, helo)
        if {"mx1", "mx-strict"} <= {svc for svc, _ in sessions}:
            break
        time.sleep(0.3)
    ends = [(svc, lines[-1]) for svc, lines in sessions]
    check("%s: SMTP.VERIFY's sessions with mx1 and mx-strict are in the Postfix log" % mode,
          {"mx1", "mx-strict"} <= {svc for svc, _ in sessions}, ends or "no session with helo=<%s>" % helo)
    print("POSTFIX %s:\n%s" % (mode, "\n".join("  %s: %s" % (svc, end.split(": ", 1)[-1]) for svc, end in ends)), flush=True)
    check("%s: SMTP.VERIFY sent no DATA (no data= in any of its disconnect lines)" % mode,
          sessions and not any("data=" in end for _, end in ends) and all("rcpt=" in end for svc, end in ends if svc in ("mx1", "mx-strict")),
          ends)
    # Direct delivery: straight to mx1, which delivers to alice's maildir.
    subject = "direct " + tag
    deadline = time.monotonic() + 15
    while not delivered_to("alice", subject) and time.monotonic() < deadline:
        time.sleep(0.2)
    check("%s: SENDMAIL with O.DELIVERY DIRECT: S.SENT, class 6" % mode, c.get("direct", "").split(" ")[:2] == ["0", "6"], c.get("direct"))
    check("%s: SENDMAIL DIRECT: the message is in alice's maildir at mx1" % mode, len(delivered_to("alice", subject)) == 1,
          delivered_to("alice", subject))
    # The verb, from TCL.
    rc, out = engine.tcl(account, "SMTP.VERIFY.ADDRESS alice@example.test reject@example.test x@nullmx.example.test "
                                  "nobody@strict.example.test DNS.SERVER 127.0.0.1:5353 MX.PORT 25 CA.FILE %s HELO verb-%s" % (ca, helo))
    print("VERB %s:\n%s" % (mode, out.rstrip()), flush=True)
    lines = [l for l in out.splitlines() if l.strip()]
    check("%s: SMTP.VERIFY.ADDRESS: one line per address, class, name, address, exchanger, reply" % mode,
          len(lines) == 5
          and re.match(r"6 ACCEPTED alice@example\.test mx1\.example\.test \[127\.0\.0\.2\] 250 .*\(catch-all\)$", lines[0])
          and re.match(r"5 RECIPIENT\.REJECTED reject@example\.test mx1\.example\.test \[127\.0\.0\.2\] 550 5\.1\.1 ", lines[1])
          and re.match(r"3 NO\.MAIL\.SERVER x@nullmx\.example\.test - ", lines[2])
          and re.match(r"5 RECIPIENT\.REJECTED nobody@strict\.example\.test mx-strict\.example\.test \[127\.0\.0\.7\] 550 5\.1\.1 ", lines[3])
          and sum("(catch-all)" in l for l in lines) == 1
          and lines[4] == "ERROR 32 RECIPIENT.REJECTED 1 of 4 accepted", out)
    rc, out = engine.tcl(account, "SMTP.VERIFY.ADDRESS alice@strict.example.test DNS.SERVER 127.0.0.1:5353 CA.FILE %s HELO verb-%s" % (ca, helo))
    check("%s: SMTP.VERIFY.ADDRESS: all accepted ends with OK" % mode,
          out.strip().splitlines()[-1:] == ["OK 1 of 1 accepted"] and "(catch-all)" not in out, out)
    rc, out = engine.tcl(account, "SMTP.VERIFY.ADDRESS DNS.SERVER 127.0.0.1:5353")
    check("%s: SMTP.VERIFY.ADDRESS without an address says how to use it" % mode, out.strip().startswith("ERROR 60 no address"), out)


# --- DKIM: signed from BASIC, verified against the rig's key records (DNS 127.0.0.1:5353) -----
DKIM_KEYS = ("rsa.key", "ed25519.key", "rsa1024.key")     # the rig's, in $MVSMTP_TESTBED/dkim


def dkim_verify(paths):
    """tests/testbed/dkim_verify.py on PATHS: (exit status, {path: its line after "path: "})."""
    rc, out = run(["/usr/bin/python3", os.path.join(ROOT, "tests", "testbed", "dkim_verify.py")] + list(paths), timeout=60)
    lines = {}
    for path in paths:
        for line in out.splitlines():
            if line.startswith(path + ": "):
                lines.setdefault(path, []).append(line[len(path) + 2:])
    return rc, lines, out


def outbox_files(folder):
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def dkim_fields(value):
    """A T.DKIM line "STATUS ERROR NAME | R.DKIM | R.OUTBOX.FILE | R.MESSAGE" as its parts."""
    parts = [p.strip() for p in (value or "").split(" | ")]
    return (parts[0].split() + ["", ""])[:2], parts[1:] + [""] * (3 - len(parts[1:]))


def exercise_dkim(engine, account, work, mode):
    tag = "%s-%d" % (mode, os.getpid())
    # The keys, owned by the user the engine runs BASIC as (this process's: qm is started from
    # here), 0600 in a 0700 folder; open.key is rsa.key readable by others (0644).
    keydir = os.path.join(work, "dkim-keys-" + mode)
    outdir = os.path.join(work, "dkim-out-" + mode)
    shutil.rmtree(keydir, ignore_errors=True)
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(keydir, mode=0o700)
    os.makedirs(outdir)
    for name in DKIM_KEYS:
        shutil.copyfile(os.path.join(TESTBED, "dkim", name), os.path.join(keydir, name))
        os.chmod(os.path.join(keydir, name), 0o600)
    shutil.copyfile(os.path.join(TESTBED, "dkim", "rsa.key"), os.path.join(keydir, "open.key"))
    os.chmod(os.path.join(keydir, "open.key"), 0o644)
    for name in os.listdir(keydir):
        os.chown(os.path.join(keydir, name), os.getuid(), os.getgid())

    rc, out = engine.tcl(account, "RUN TESTS.BP T.DKIM %s %s %d %s" % (keydir, outdir, POSTFIX_PLAIN, tag), timeout=300)
    c = checks_of(out)
    check("%s: T.DKIM ran to the end" % mode, "DONE" in out and rc == 0, out[-1500:])

    # 1, 2: stored and signed, RSA and Ed25519; the stored files verify against the rig's DNS.
    signed = []
    for case, selector, algorithm in (("rsa", "rsa", "rsa-sha256"), ("ed", "ed", "ed25519-sha256")):
        (status, error), (dkim, path, _) = dkim_fields(c.get(case))
        check("%s: DKIM %s: S.STORED, R.DKIM d=example.test s=%s a=%s" % (mode, case, selector, algorithm),
              status == "2" and error == "0" and dkim.startswith("d=example.test s=%s a=%s" % (selector, algorithm)),
              c.get(case))
        emls = [os.path.join(outdir, case, n) for n in outbox_files(os.path.join(outdir, case)) if n.endswith(".eml")]
        ok = len(emls) == 1 and path == emls[0]
        check("%s: DKIM %s: one .eml in its outbox folder, the one R.OUTBOX.FILE names" % (mode, case), ok,
              (path, outbox_files(os.path.join(outdir, case))))
        if ok:
            signed.append((case, path, "pass d=example.test s=%s a=%s" % (selector, algorithm)))
    if signed:
        rc, lines, vout = dkim_verify([p for _, p, _ in signed])
        for case, path, want in signed:
            check("%s: DKIM %s: dkim_verify.py: %s" % (mode, case, want), rc == 0 and lines.get(path) == [want], vout)

    # 3, 4: keys that must not be used: the error, and nothing in the outbox folder.
    for case, code, name, words in (("short", "89", "DKIM.KEY", "1024 bits"),
                                    ("open", "82", "CONFIG.INSECURE", "open.key")):
        (status, error), (dkim, path, message) = dkim_fields(c.get(case))
        check("%s: DKIM %s key: S.FAILED, %s (%s), the message says why" % (mode, case, name, code),
              status == "3" and error == code and c.get(case, "").split(" | ")[0].split()[2:3] == [name]
              and words in message and dkim == "" and path == "", c.get(case))
        check("%s: DKIM %s key: nothing stored in its outbox folder" % (mode, case),
              outbox_files(os.path.join(outdir, case)) == [], outbox_files(os.path.join(outdir, case)))

    # 5: a From domain no key covers: stored unsigned.
    (status, error), (dkim, path, _) = dkim_fields(c.get("elsewhere"))
    emls = [os.path.join(outdir, "elsewhere", n) for n in outbox_files(os.path.join(outdir, "elsewhere")) if n.endswith(".eml")]
    raw = open(emls[0], "rb").read() if len(emls) == 1 else b""
    check("%s: DKIM, From billing@elsewhere.test: S.STORED, R.DKIM empty, no DKIM-Signature in the file" % mode,
          status == "2" and error == "0" and dkim == "" and len(emls) == 1 and path == emls[0]
          and b"billing@elsewhere.test" in raw and b"dkim-signature:" not in raw.split(b"\r\n\r\n", 1)[0].lower(),
          (c.get("elsewhere"), outbox_files(os.path.join(outdir, "elsewhere"))))
    if emls:
        rc, lines, vout = dkim_verify(emls)
        check("%s: DKIM elsewhere: dkim_verify.py finds no signature" % mode, rc == 1 and lines.get(emls[0]) == ["none"], vout)

    # 6: through the rig's Postfix to dave: S.SENT, signed, and the delivered copy verifies.
    (status, error), (dkim, _, _) = dkim_fields(c.get("relay"))
    check("%s: DKIM through Postfix (%d): S.SENT, R.DKIM d=example.test s=rsa a=rsa-sha256" % (mode, POSTFIX_PLAIN),
          status == "0" and error == "0" and dkim.startswith("d=example.test s=rsa a=rsa-sha256"), c.get("relay"))
    subject = "dkim relay " + tag
    deadline = time.monotonic() + 15
    while not delivered_to("dave", subject) and time.monotonic() < deadline:
        time.sleep(0.2)
    got = delivered_to("dave", subject)
    if check("%s: DKIM: the signed message is in dave's maildir once" % mode, len(got) == 1, got):
        rc, lines, vout = dkim_verify(got)
        check("%s: DKIM: the delivered copy verifies (pass d=example.test s=rsa a=rsa-sha256)" % mode,
              rc == 0 and lines.get(got[0]) == ["pass d=example.test s=rsa a=rsa-sha256"], vout)

    # The SMTP.SENDMAIL verb takes DKIM through its generic CONFIG/PROFILE keywords (a profile
    # with dkim_domain, dkim_selector, dkim_key_file).
    ini = os.path.join(work, "dkim-%s.ini" % mode)
    with open(ini, "w") as f:
        f.write("[dkim]\ndkim_domain = example.test\ndkim_selector = ed\ndkim_key_file = %s\n"
                % os.path.join(keydir, "ed25519.key"))
    os.chmod(ini, 0o600)
    folder = os.path.join(outdir, "verb")
    rc, out = engine.tcl(account, 'SMTP.SENDMAIL CONFIG %s PROFILE dkim OUTBOX %s FROM accounts@example.test '
                                  'TO alice@example.test SUBJECT "dkim verb %s" BODY "signed by the profile"' % (ini, folder, tag))
    emls = [os.path.join(folder, n) for n in outbox_files(folder) if n.endswith(".eml")]
    verified = dkim_verify(emls) if len(emls) == 1 else (None, {}, "")
    check("%s: SMTP.SENDMAIL CONFIG ... PROFILE with dkim_* keys: OK, one stored .eml, it verifies (s=ed)" % mode,
          out.strip().startswith("OK") and len(emls) == 1 and verified[0] == 0
          and verified[1].get(emls[0]) == ["pass d=example.test s=ed a=ed25519-sha256"], (out, outbox_files(folder), verified[2]))
    # ... and through its own keywords DKIM.DOMAIN, DKIM.SELECTOR, DKIM.KEY.FILE (MVSMTP.OPTION).
    folder = os.path.join(outdir, "verb-kw")
    rc, out = engine.tcl(account, 'SMTP.SENDMAIL OUTBOX %s DKIM.DOMAIN example.test DKIM.SELECTOR rsa DKIM.KEY.FILE %s '
                                  'FROM accounts@example.test TO alice@example.test SUBJECT "dkim keywords %s" BODY y'
                         % (folder, os.path.join(keydir, "rsa.key"), tag))
    emls = [os.path.join(folder, n) for n in outbox_files(folder) if n.endswith(".eml")]
    verified = dkim_verify(emls) if len(emls) == 1 else (None, {}, "")
    check("%s: SMTP.SENDMAIL DKIM.DOMAIN/DKIM.SELECTOR/DKIM.KEY.FILE: OK, one stored .eml, it verifies (s=rsa)" % mode,
          out.strip().startswith("OK") and len(emls) == 1 and verified[0] == 0
          and verified[1].get(emls[0]) == ["pass d=example.test s=rsa a=rsa-sha256"], (out, outbox_files(folder), verified[2]))


# --- OAuth 2.0: a profile with a token grant, from BASIC, against Postfix + Dovecot ------------
# --- the durable queue: SENDMAIL while the relay is down, then FLUSH once it listens ------
QUEUE_PORT = 2598                          # + 0 native, + 1 external; must be closed at first


def port_closed(port):
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) != 0


def exercise_queue(engine, account, work, mode):
    tag = "%s-%d" % (mode, os.getpid())
    port = QUEUE_PORT + (0 if mode == "native" else 1)
    if not port_closed(port):
        port = free_port()                 # bound and released: nothing listens there now
    check("%s: queue: nothing listens on 127.0.0.1:%d" % (mode, port), port_closed(port))
    folder = os.path.join(work, "queue-" + mode)
    shutil.rmtree(folder, ignore_errors=True)
    rc, out = engine.tcl(account, "RUN TESTS.BP T.QUEUE SEND %d %s %s" % (port, folder, tag), timeout=300)
    c = checks_of(out)
    check("%s: T.QUEUE SEND ran to the end" % mode, "DONE" in out and rc == 0, out[-1500:])
    qid = c.get("send.id", "")
    check("%s: SENDMAIL with the relay down and O.QUEUE: S.QUEUED (4), the recipient queued, an id" % mode,
          c.get("send", "").split(" ")[:2] == ["4", "1"] and qid != "", (c.get("send"), qid))
    check("%s: SMTP.QUEUE.CONTROL LIST: one message, the same id" % mode,
          c.get("list", "").split(" ")[:2] == ["0", "1"] and ("list." + qid) in c, c.get("list"))
    check("%s: LIST: R.QUEUE.PENDING 1, R.QUEUE.CREATED and R.QUEUE.NEXT set" % mode,
          re.match(r"1 \d+ \| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d.* \| \d{4}-", c.get("list." + qid, "")) is not None,
          c.get("list." + qid))
    check("%s: SMTP.QUEUE.CONTROL DELETE of an unknown id is an error" % mode,
          c.get("delete.unknown", "").split(" ")[:1] == ["3"] and c.get("delete.unknown", "").split(" ")[1:2] != ["0"],
          c.get("delete.unknown"))
    check("%s: SMTP.QUEUE.CONTROL with an unknown command: BAD.ARGUMENT (60)" % mode,
          c.get("bogus", "").split(" ")[:2] == ["3", "60"], c.get("bogus"))
    rc, out = engine.tcl(account, "SMTP.QUEUE LIST QUEUE %s" % folder)
    print("VERB %s SMTP.QUEUE LIST:\n%s" % (mode, out.rstrip()), flush=True)
    lines = out.strip().splitlines()
    check("%s: SMTP.QUEUE LIST: one line for the message (id, pending 1), then OK 1 queued" % mode,
          len(lines) >= 2 and lines[-2].startswith(qid + " ") and "pending 1" in lines[-2] and " UTC " in lines[-2]
          and lines[-1].strip() == "OK 1 queued", out)
    rc, out = engine.tcl(account, "SMTP.QUEUE SHOW %s QUEUE %s" % (qid, folder))
    print("VERB %s SMTP.QUEUE SHOW:\n%s" % (mode, out.rstrip()), flush=True)
    lines = out.strip().splitlines() or [""]
    check("%s: SMTP.QUEUE SHOW id: its line, then OK" % mode,
          qid != "" and lines[0].startswith(qid + " ") and lines[-1].strip() == "OK", out)
    rc, out = engine.tcl(account, "SMTP.QUEUE DELETE no-such-id QUEUE %s" % folder)
    print("VERB %s SMTP.QUEUE DELETE no-such-id:\n%s" % (mode, out.rstrip()), flush=True)
    check("%s: SMTP.QUEUE DELETE of an unknown id ends with ERROR" % mode, (out.strip().splitlines() or [""])[-1].startswith("ERROR "), out)
    rc, out = engine.tcl(account, "SMTP.QUEUE PURGE soon QUEUE %s" % folder)
    check("%s: SMTP.QUEUE PURGE without seconds says how to use it" % mode, out.strip().startswith("ERROR 60"), out)
    # The SMTP.SENDMAIL verb with the QUEUE keyword says OK QUEUED and the id (its own folder,
    # so that the FLUSH below still finds exactly one message).
    verb_folder = folder + "-verb"
    shutil.rmtree(verb_folder, ignore_errors=True)
    rc, out = engine.tcl(account, "SMTP.SENDMAIL SERVER 127.0.0.1:%d TLS off QUEUE %s FROM accounts@example.test "
                                  "TO bob@example.test SUBJECT verbq-%s BODY queued" % (port, verb_folder, tag))
    print("VERB %s SMTP.SENDMAIL with the relay down:\n%s" % (mode, out.rstrip()), flush=True)
    verb_ids = [n[:-5] for n in os.listdir(verb_folder) if n.endswith(".json")] if os.path.isdir(verb_folder) else []
    check("%s: SMTP.SENDMAIL ... QUEUE folder with the relay down: OK QUEUED id, one message in the folder" % mode,
          len(verb_ids) == 1 and out.strip().startswith("OK QUEUED " + verb_ids[0]), (out, verb_ids))
    shutil.rmtree(verb_folder, ignore_errors=True)

    # Now a relay listens on that port: FLUSH ALL delivers the message once.
    relay_dir = os.path.join(work, "relay-" + mode)
    os.makedirs(relay_dir, exist_ok=True)
    relay = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "tests", "engine", "capture_smtp.py"),
                              str(port), relay_dir], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        if not check("%s: queue: a relay now listens on %d" % (mode, port), relay.stdout.readline().strip() == b"ready"):
            return
        rc, out = engine.tcl(account, "RUN TESTS.BP T.QUEUE FLUSH %d %s %s" % (port, folder, tag), timeout=300)
        c = checks_of(out)
        check("%s: T.QUEUE FLUSH ran to the end" % mode, "DONE" in out and rc == 0, out[-1500:])
        counts = (c.get("flush", "").split(" ") + ["", ""])[1].split(",")
        check("%s: SMTP.QUEUE.CONTROL FLUSH ALL: R.QUEUE.COUNTS 1 due, 1 delivered" % mode,
              c.get("flush", "").split(" ")[:1] == ["0"] and counts[:2] == ["1", "1"], c.get("flush"))
        check("%s: LIST after the flush: the queue is empty" % mode, c.get("after") == "0 0", c.get("after"))
        got = find(captured(relay_dir), "queued " + tag)
        check("%s: the relay received the queued message once" % mode, len(got) == 1, len(got))
        rc, out = engine.tcl(account, "SMTP.QUEUE LIST QUEUE %s" % folder)
        print("VERB %s SMTP.QUEUE LIST after FLUSH:\n%s" % (mode, out.rstrip()), flush=True)
        check("%s: SMTP.QUEUE LIST after the flush: OK 0 queued" % mode, out.strip() == "OK 0 queued", out)
        rc, out = engine.tcl(account, "SMTP.QUEUE PURGE 0 QUEUE %s" % folder)
        check("%s: SMTP.QUEUE PURGE 0 on the empty queue: OK 0 purged" % mode, out.strip().startswith("OK 0 "), out)
        rc, out = engine.tcl(account, "SMTP.QUEUE RETRY no-such-id QUEUE %s" % folder)
        check("%s: SMTP.QUEUE RETRY of an unknown id: ERROR 60" % mode, out.strip().startswith("ERROR 60 "), out)
        rc, out = engine.tcl(account, "SMTP.QUEUE FLUSH QUEUE %s" % folder)
        print("VERB %s SMTP.QUEUE FLUSH:\n%s" % (mode, out.rstrip()), flush=True)
        check("%s: SMTP.QUEUE FLUSH: a summary line, then OK" % mode,
              re.search(r"^due 0, delivered 0, deferred 0, failed 0, rate-limited 0$", out, re.M) is not None
              and (out.strip().splitlines() or [""])[-1].startswith("OK"), out)
    finally:
        relay.kill()
        relay.wait()


def oauth_control(path, body):
    ctx = ssl.create_default_context(cafile=os.path.join(TESTBED, "tls", "ca.crt"))
    req = urllib.request.Request("https://127.0.0.1:9443" + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        return json.loads(r.read())


def delivered(subject):
    found = []
    for f in glob.glob(os.path.join(TESTBED, "vmail", "example.test", "testuser", "new", "*")):
        with open(f, "rb") as fh:
            if ("Subject: " + subject).encode() in fh.read():
                found.append(f)
    return found


def exercise_oauth(engine, account, work, mode):
    oauth_control("/_test/reset", {"clients": {"engine-app": {"secret": OAUTH_SECRET, "username": "testuser@example.test"}},
                                   "token_length": 2500, "expires_in": 3600})
    secret = os.path.join(work, "oauth-secret-" + mode)
    with open(secret, "w") as f:
        f.write(OAUTH_SECRET + "\n")
    os.chmod(secret, 0o600)
    ini = os.path.join(work, "oauth-%s.ini" % mode)
    ca = os.path.join(TESTBED, "tls", "ca.crt")
    with open(ini, "w") as f:
        f.write("[m365]\nserver = smtp://127.0.0.1:%d\nca_file = %s\nuser = testuser@example.test\n"
                "from = testuser@example.test\noauth_grant = client_credentials\noauth_authority = https://127.0.0.1:9443\n"
                "oauth_tenant = engine.test\noauth_client_id = engine-app\noauth_client_secret_file = %s\n"
                "oauth_ca_file = %s\noauth_cache = %s\n" % (POSTFIX_OAUTH, ca, secret, ca, os.path.join(work, "tokens-" + mode)))
    os.chmod(ini, 0o600)
    rc, out = engine.tcl(account, "SMTP.TEST CONFIG %s PROFILE m365 RCPT testuser@example.test" % ini)
    check("%s: SMTP.TEST with an OAuth profile shows the token step, then PASS auth" % mode,
          "PASS token     new access token for testuser@example.test" in out and "PASS auth" in out and
          "PASS relay" in out, out)
    subject = "oauth from BASIC %s %d" % (mode, os.getpid())
    rc, out = engine.tcl(account, 'SMTP.SENDMAIL CONFIG %s PROFILE m365 TO testuser@example.test SUBJECT "%s" BODY "token"'
                         % (ini, subject))
    deadline = time.monotonic() + 10
    while not delivered(subject) and time.monotonic() < deadline:
        time.sleep(0.2)
    check("%s: SMTP.SENDMAIL with an OAuth profile is delivered through Postfix + Dovecot (XOAUTH2)" % mode,
          out.strip().startswith("OK") and len(delivered(subject)) == 1, out)
    stats = json.loads(urllib.request.urlopen(urllib.request.Request("https://127.0.0.1:9443/_test/stats"),
                                              context=ssl.create_default_context(cafile=ca), timeout=10).read())
    check("%s: one token request for both calls (the second used the cache)" % mode, stats["token_requests"] == 1, stats)
    oauth_control("/_test/mode", {"fail": "invalid_client"})
    try:
        rc, out = engine.tcl(account, "SMTP.TEST CONFIG %s PROFILE m365" % ini)
        check("%s: SMTP.TEST with a valid cached token asks the token endpoint nothing" % mode,
              "PASS token     cached access token" in out and "PASS auth" in out, out)
        shutil.rmtree(os.path.join(work, "tokens-" + mode), ignore_errors=True)
        rc, out = engine.tcl(account, "SMTP.TEST CONFIG %s PROFILE m365" % ini)
        check("%s: SMTP.TEST: invalid_client is FAIL token with the provider's error" % mode,
              "FAIL token" in out and "OAUTH.CLIENT.INVALID" in out and "invalid_client" in out and OAUTH_SECRET not in out, out)
    finally:
        oauth_control("/_test/mode", {"fail": None})


# --- basic/examples, as shipped, against their own files and profiles -----------------------
def exercise_examples(engine, account, work, mode, port, capture_dir):
    with open(os.path.join(account, "mvsmtp.ini"), "w") as f:
        for profile in ("default", "billing", "reports"):
            f.write("[%s]\nserver = smtp://127.0.0.1:%d\ntls = off\nfrom = Accounts <accounts@example.test>\n\n" % (profile, port))
    examples = sorted(os.listdir(os.path.join(ROOT, "basic", "examples")))
    for name in examples:
        shutil.copy(os.path.join(ROOT, "basic", "examples", name), os.path.join(account, "TESTS.BP", name))
    rc, out = engine.tcl(account, "BASIC TESTS.BP " + " ".join(examples))
    check("%s: the examples compile" % mode, "Compiled %d program(s) with no errors" % len(examples) in out, out)
    for name in examples:
        engine.tcl(account, "CATALOG TESTS.BP " + name)
    rc, out = engine.tcl(account, "RUN TESTS.BP T.SETUP " + os.path.join(work, "attach.bin"))
    check("%s: example data set up" % mode, "CHECK setup done" in out, out)
    before = len(captured(capture_dir))
    rc, out = engine.tcl(account, "INVOICE.MAILER 1042")
    msgs = captured(capture_dir)
    inv = find(msgs, "Invoice 1042")
    check("%s: INVOICE.MAILER sends the invoice with its PDF" % mode,
          "invoice 1042 sent" in out and inv and any(p.get_filename() == "attach.bin" for p in inv[-1][1].iter_attachments()), out)
    rc, out = engine.tcl(account, "BATCH.REPORT")
    msgs = captured(capture_dir)
    report = [m for m in msgs.values() if str(m[1]["subject"]).startswith("Orders for ")]
    check("%s: BATCH.REPORT mails the captured report to the list" % mode,
          "bob@example.test: sent" in out and "carol@example.test: sent" in out and len(report) >= 2, out)
    rc, out = engine.tcl(account, "RELAY.CHECK alice@example.test")
    check("%s: RELAY.CHECK asks the server" % mode, "relay to alice@example.test allowed" in out, out)
    rc, out = engine.tcl(account, "RELAY.CHECK reject@example.test")
    check("%s: RELAY.CHECK shows a refusal in the server's words" % mode, "refused: 550 5.1.1" in out, out)
    for name in examples:
        engine.tcl(account, "DELETE.CATALOG " + name)
    for name in ("INVOICES", "CUSTOMERS", "MAILING.LISTS", "ORDERS"):
        engine.tcl(account, "DELETE.FILE " + name)
    os.remove(os.path.join(account, "mvsmtp.ini"))


# --- a second OS user, and passwords in files ------------------------------------------
def as_other(cmd):
    return run(["setpriv", "--reuid=" + OTHER_USER, "--regid=" + OTHER_USER, "--clear-groups", "--",
                "/bin/sh", "-c", cmd], timeout=60)


def exercise_privacy(engine, account, prefix):
    try:
        pwd.getpwnam(OTHER_USER)
    except KeyError:
        run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", OTHER_USER])
    started = time.time() - 1
    own = os.path.join(prefix, "spool", str(os.getuid()))
    holder = subprocess.Popen([engine.qm, "-QUIET", "RUN TESTS.BP T.SECRET %d testuser@example.test %s 6"
                               % (POSTFIX_PLAIN, PASSWORD)], env=engine.env, cwd=account,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = []
    while True:
        line = holder.stdout.readline().decode("utf-8", "replace")
        lines.append(line)
        if not line or "HOLDING" in line:
            break
    sockets = glob.glob(os.path.join(own, "*.sock"))
    check("external: a session process listens in the caller's own folder", len(sockets) >= 1, (lines, os.listdir(own)))
    mode_of = oct(os.stat(own).st_mode & 0o777)
    check("external: the caller's spool folder is 0700", mode_of == "0o700", mode_of)
    rc, out = as_other("ls %s" % own)
    check("external: another user cannot list the caller's request folder", rc != 0 and "ermission denied" in out, out)
    rc, out = as_other("cat %s/*.req" % own)
    check("external: another user cannot read a request file", rc != 0, out)
    if sockets:
        probe = "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ntry:\n s.connect(sys.argv[1]); print('CONNECTED')\nexcept OSError as e:\n print('REFUSED', e)\n"
        rc, out = as_other("/usr/bin/python3 -c \"%s\" %s" % (probe.replace('"', '\\"'), sockets[0]))
        check("external: another user cannot reach the session socket", "REFUSED" in out, out)
    rc, out = as_other("%s/bin/mvsmtp machine --hex --spool %s/spool --next prepare" % (prefix, prefix))
    other = os.path.join(prefix, "spool", str(pwd.getpwnam(OTHER_USER).pw_uid))
    check("external: the other user gets a 0700 folder of their own",
          os.path.isdir(other) and oct(os.stat(other).st_mode & 0o777) == "0o700" and "NEXT " + other in out, out)
    rest = holder.communicate(timeout=120)[0].decode("utf-8", "replace")
    c = checks_of("".join(lines) + rest)
    check("external: SENDMAIL and a session with a password work", c.get("secret.sendmail", "").startswith("0")
          and c.get("secret.open", "").startswith("0") and c.get("secret.send", "").startswith("0"), c)
    time.sleep(0.5)
    check("external: the session process ended at SMTP.CLOSE", not glob.glob(os.path.join(own, "*.sock")), os.listdir(own))
    leaks = []
    # The prefix (spool), the account, and what mvsmtp once wrote in /tmp (mvsmtp-*).
    tops = [prefix, account] + glob.glob(os.path.join(tempfile.gettempdir(), "mvsmtp-*.req"))
    for top in tops:
        for dirpath, dirs, files in ([(os.path.dirname(top), [], [os.path.basename(top)])] if os.path.isfile(top) else os.walk(top)):
            for name in files:
                path = os.path.join(dirpath, name)
                try:
                    if os.path.basename(path).startswith("pw-"):
                        continue    # the test's own password file, given to SMTP.TEST
                    if os.lstat(path).st_mtime >= started and os.path.isfile(path) and not os.path.islink(path) \
                            and PASSWORD.encode() in open(path, "rb").read():
                        leaks.append(path)
                except OSError:
                    pass
    check("external: no file written during the run holds the password", not leaks, leaks)
    # Each process keeps one prepared, empty request file for its next call; none may hold data.
    full = [f for f in os.listdir(own) if f.endswith(".req") and os.path.getsize(os.path.join(own, f))]
    check("external: no request file with content is left behind", not full, full)


def main():
    if os.getuid() != 0:
        print("engine tests need root (the engine, a second OS user)")
        return 77
    if not os.path.isfile(os.path.join(SHARED, "engines", "scarletdme", "build.sh")):
        print("skipped: no ScarletDME snapshot at %s/engines/scarletdme (set MVSMTP_SHARED)" % SHARED)
        return 77
    env = engine_env()
    engine = Engine(env)
    work = tempfile.mkdtemp(prefix="mvsmtp-engine-")
    os.chmod(work, 0o755)
    with open(os.path.join(work, "attach.bin"), "wb") as f:
        f.write(os.urandom(50000) + bytes(range(256)))
    capture_dir = os.path.join(work, "captured")
    port = start_capture(capture_dir)
    for mode in ("native", "external"):
        exercise_mode(engine, work, mode, port, capture_dir)
    engine.stop()
    rc, out = run("ipcs -m")
    check("the engine is stopped (no shared memory segment 0x716d0101)", "0x716d0101" not in out, out)
    if not failed:
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (len(passed), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
