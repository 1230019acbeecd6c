#!/usr/bin/python3
"""The durable queue (issue 11) end to end: libmvsmtp.so's mvs_sendmail (through ctypes, in
this process) and the `mvsmtp queue` / `mvsmtp send` commands against
tests/testbed/counting_relay.py, an SMTP server on a free loopback port that writes every
message it receives to a folder (envelope recipients and receive time in front).

    /usr/bin/python3 tests/queue/test_queue.py [CASE...]   # ctest: integration.queue

Every case has a temporary folder with a profile INI (server smtp://127.0.0.1:P, tls off,
queue = <folder>/queue) and its relay's folder; every message carries a unique token in
its Subject, so deliveries are counted by token. Cases:
  a outage     relay down: 200 sends return S.QUEUED with distinct ids; relay up, `queue
               flush --all`: each delivered exactly once, the queue folder left empty
  b partial    one recipient accepted, one answered 451: S.QUEUED, RCPT.STATUS 0 for the
               first, RCPT.QUEUED for the second; after the flush the relay got the message
               again with ONLY the deferred recipient in the envelope
  c crash      60 queued, relay up (reply to "." held back 100 ms), `queue flush --all`
               SIGKILLed at random moments (0-300 ms) 100 times, then one flush without
               kills: every message delivered at least once (duplicates counted and
               reported), no leftover file in the queue folder, the final flush not blocked
  d rate       rate_limit = 10/2s: 40 messages from two sending processes, then two
               flushers: at least 6 s from first to last, none refused, and no 2-second
               window of the relay's receive times holds more than 10
  e permanent  550 answers are never queued: S.FAILED / S.PARTIAL, no R.QUEUE.ID, nothing
               in the queue; with a 451 beside it only the deferred recipient is queued
               (flushed through mvs_queue FLUSH, BASIC's SMTP.QUEUE.CONTROL)
  f recipients recipient_limit = 6/2s: 6 messages of 3 recipients, the flush paces them
  g failover   server lists a down relay, then an up one: sent, not queued; both down:
               queued, and `mvsmtp queue run` delivers them when the relay is back
  h options    a message queued with O.SERVER is retried there, not at the profile's
               server; one with O.PASSWORD is not queued (the secret never reaches disk)

Prints one PASS/FAIL line per check and last "N passed, M failed"; exit 1 on any failure,
77 when the build or python3-aiosmtpd is missing. Environment: MVSMTP_BUILD_DIR (default
./build). Loopback only; needs none of the rig's servers."""
import ctypes
import os
import random
import re
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from rig_paths import CLI, LIB  # noqa: E402
RELAY = os.path.join(ROOT, "tests", "testbed", "counting_relay.py")
RUN_ID = secrets.token_hex(4)
AM, VM, SM = "\x1e", "\x1d", "\x1c"
# RESULT field positions (gci/abi/layout.def)
R_STATUS, R_ERROR, R_ERROR_NAME, R_MESSAGE = 1, 2, 3, 4
R_RCPT_ADDRESS, R_RCPT_STATUS, R_RCPT_CODE, R_TRANSIENT = 8, 9, 10, 15
R_QUEUE_ID, R_RCPT_QUEUED, R_QUEUE_COUNTS = 25, 26, 32
S_SENT, S_PARTIAL, S_STORED, S_FAILED, S_QUEUED = "0", "1", "2", "3", "4"
# OPTIONS positions
O_PROFILE, O_CONFIG = 1, 2

passed, failed = [], []
KEEP = os.environ.get("MVSMTP_KEEP_TEMP") == "1"


def say(text=""):
    print(text, flush=True)


def check(name, ok, detail=""):
    (passed if ok else failed).append(name)
    say(("PASS %s" % name) if ok else ("FAIL %s%s" % (name, "  " + str(detail)[:900] if detail != "" else "")))
    return ok


def note(text):
    say("  .. %s" % text)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- RESULT ---------------------------------------------------------------------------------
def parse_result(text):
    return [""] + text.rstrip("\n").split(AM)   # 1-based


def field(result, n):
    return result[n] if n < len(result) else ""


def values(result, n):
    return field(result, n).split(VM)


def summary(result):
    return "STATUS=%s ERROR=%s %s MESSAGE=%s QUEUE.ID=%s" % (
        field(result, R_STATUS), field(result, R_ERROR), field(result, R_ERROR_NAME),
        field(result, R_MESSAGE)[:300], field(result, R_QUEUE_ID))


_lib = []


def lib():
    if not _lib:
        l = ctypes.CDLL(LIB)
        l.mvs_sendmail.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_char_p, ctypes.c_int]
        l.mvs_sendmail.restype = ctypes.c_int
        l.mvs_fetch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        l.mvs_fetch.restype = ctypes.c_int
        _lib.append(l)
    return _lib[0]


def sendmail(message_fields, body, options_fields):
    """mvs_sendmail in this process; message_fields / options_fields: {position: value}"""
    def dyn(d):
        out = [""] * max(d)
        for k, v in d.items():
            out[k - 1] = v
        return AM.join(out).encode()
    cap = 8192
    buf = ctypes.create_string_buffer(cap)
    n = lib().mvs_sendmail(dyn(message_fields), body.encode(), dyn(options_fields), buf, cap)
    data = buf.value
    while 0 < n and len(data) < n:
        more = ctypes.create_string_buffer(cap)
        if lib().mvs_fetch(len(data), more, cap) <= 0:
            break
        data += more.value
    return parse_result(data.decode("utf-8", "replace"))


def queue_abi(command, options_fields):
    """mvs_queue (SMTP.QUEUE.CONTROL) in this process: COMMAND as a list of attributes"""
    l = lib()
    l.mvs_queue.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
    l.mvs_queue.restype = ctypes.c_int
    opts = [""] * max(options_fields)
    for k, v in options_fields.items():
        opts[k - 1] = v
    cap = 1 << 20
    buf = ctypes.create_string_buffer(cap)
    n = l.mvs_queue(AM.join(command).encode(), AM.join(opts).encode(), buf, cap)
    data = buf.value
    while 0 < n and len(data) < n:
        more = ctypes.create_string_buffer(cap)
        if l.mvs_fetch(len(data), more, cap) <= 0:
            break
        data += more.value
    return parse_result(data.decode("utf-8", "replace"))


# --- the relay ------------------------------------------------------------------------------
class Relay:
    def __init__(self, folder, port, defer_file=None, data_delay_ms=0):
        self.folder, self.port, self.defer_file, self.delay = folder, port, defer_file, data_delay_ms
        self.proc = None

    def start(self):
        cmd = ["/usr/bin/python3", RELAY, "--port", str(self.port), "--dir", self.folder]
        if self.defer_file:
            cmd += ["--defer-file", self.defer_file]
        if self.delay:
            cmd += ["--data-delay", str(self.delay)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.time() + 15
        line = b""
        while time.time() < deadline:
            r, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if r:
                line = self.proc.stdout.readline()
                if line.strip() == b"ready":
                    return self
                if not line:
                    break
        raise RuntimeError("counting_relay did not start: %r" % line)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def messages(self):
        """every message received so far: dicts subject, rcpts, at, name"""
        out = []
        for name in sorted(os.listdir(self.folder)):
            if not name.endswith(".eml") or name.startswith("."):
                continue
            with open(os.path.join(self.folder, name), "rb") as f:
                head = f.read(65536).split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
            head = re.sub(r"\r\n[ \t]+", " ", head)
            get = lambda h: (re.search(r"^%s: ?(.*)$" % h, head, re.M | re.I) or [None, ""])[1].strip()
            out.append({"name": name, "subject": get("Subject"), "at": float(get("X-Received-At") or 0),
                        "rcpts": [r.strip() for r in get("X-Envelope-To").split(",") if r.strip()]})
        return out

    def counts(self):
        c = {}
        for m in self.messages():
            c[m["subject"]] = c.get(m["subject"], 0) + 1
        return c

    def wait_count(self, n, timeout=20):
        deadline = time.time() + timeout
        while len(self.messages()) < n and time.time() < deadline:
            time.sleep(0.1)
        return len(self.messages())


# --- a case: a temporary folder with a profile INI, a queue folder and a relay folder ---------
CASES = []


class Case:
    def __init__(self, name, **keys):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="mvsmtp-queue-%s-" % name)
        self.queue = os.path.join(self.dir, "queue")
        self.relay_dir = os.path.join(self.dir, "relay")
        os.mkdir(self.relay_dir)
        self.port = free_port()
        self.ini = os.path.join(self.dir, "mvsmtp.ini")
        self.profile = "q"
        self.n = 0
        base = {"server": "smtp://127.0.0.1:%d" % self.port, "tls": "off", "from": "db@example.test",
                "helo": "db.example.test", "queue": self.queue, "connect_timeout": "5", "timeout": "20"}
        base.update(keys)
        with open(self.ini, "w") as f:
            f.write("[q]\n" + "".join("%s = %s\n" % kv for kv in base.items() if kv[1] is not None))
        os.chmod(self.ini, 0o600)
        self.relays = []
        CASES.append(self)

    def relay(self, **kw):
        r = Relay(self.relay_dir, self.port, **kw).start()
        self.relays.append(r)
        return r

    def token(self, tag=""):
        self.n += 1
        return "qtest-%s-%s%s-%04d" % (RUN_ID, self.name, tag, self.n)

    def send(self, to, token):
        """mvs_sendmail with this case's profile: the RESULT"""
        return sendmail({1: "", 2: VM.join(to) if isinstance(to, list) else to, 5: token},
                        "queue test body %s\n" % token, {O_PROFILE: self.profile, O_CONFIG: self.ini})

    def queue_abi(self, *command):
        return queue_abi(list(command), {O_PROFILE: self.profile, O_CONFIG: self.ini})

    def cli(self, *args, timeout=120):
        """mvsmtp ARGS --config INI --profile q: (exit status, stdout+stderr, seconds)"""
        t0 = time.time()
        p = subprocess.run([CLI] + list(args) + ["--config", self.ini, "--profile", self.profile],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
        return p.returncode, p.stdout.decode("utf-8", "replace"), time.time() - t0

    def flush(self, *extra, timeout=120):
        return self.cli("queue", "flush", "--all", *extra, timeout=timeout)

    def flush_cmd(self):
        return [CLI, "queue", "flush", "--all", "--config", self.ini, "--profile", self.profile]

    def queue_files(self):
        """every file under the queue folder (relative paths), failed/ included"""
        out = []
        for top, dirs, files in os.walk(self.queue):
            for f in files:
                out.append(os.path.relpath(os.path.join(top, f), self.queue))
        return sorted(out)

    def leftovers(self):
        """queue files that must not be there once everything is delivered: messages,
        metadata, temporary files, anything in failed/"""
        return [f for f in self.queue_files() if not is_state_file(f)]

    def close(self):
        for r in self.relays:
            r.stop()
        if not KEEP:
            shutil.rmtree(self.dir, ignore_errors=True)


def is_state_file(rel):
    """files the queue keeps while empty: the shared rate-limit state and its lock file"""
    return rel in STATE_FILES


STATE_FILES = {"rate.state", "rate.state.lock"}


# --- cases ----------------------------------------------------------------------------------
def case_outage():
    say("== a: relay down, 200 queued, relay up, one flush")
    c = Case("a")
    t0 = time.time()
    ids, tokens, bad = [], [], []
    for i in range(200):
        tok = c.token()
        res = c.send("rcpt%d@x.test" % (i % 7), tok)
        tokens.append(tok)
        if field(res, R_STATUS) != S_QUEUED or not field(res, R_QUEUE_ID):
            bad.append(summary(res))
        ids.append(field(res, R_QUEUE_ID))
    took = time.time() - t0
    check("a: 200 sends with the relay down all return S.QUEUED with a R.QUEUE.ID (%.1f s)" % took, not bad,
          "%d not queued, first: %s" % (len(bad), bad[:1]))
    check("a: the 200 queue ids are distinct", len(set(i for i in ids if i)) == 200, "%d distinct" % len(set(ids)))
    rc, out, _ = c.cli("queue", "list")
    listed = sum(1 for i in set(ids) if i and i in out)
    check("a: mvsmtp queue list shows all 200 ids", rc == 0 and listed == 200, "exit %s, %d listed: %s" % (rc, listed, out[-300:]))
    res = c.queue_abi("LIST")
    got = [i for i in values(res, R_QUEUE_ID) if i]
    check("a: mvs_queue LIST (SMTP.QUEUE.CONTROL) returns the same 200 ids",
          field(res, R_STATUS) == "0" and sorted(got) == sorted(ids), "%s, %d ids" % (summary(res), len(got)))
    relay = c.relay()
    rc, out, took = c.flush(timeout=100)
    check("a: mvsmtp queue flush --all exits 0 (%.1f s)" % took, rc == 0, "exit %s: %s" % (rc, out[-500:]))
    relay.wait_count(200, 10)
    counts = relay.counts()
    missing = [t for t in tokens if counts.get(t, 0) == 0]
    dups = [t for t in tokens if counts.get(t, 0) > 1]
    check("a: all 200 delivered exactly once", not missing and not dups,
          "missing %d, duplicated %d (e.g. %s)" % (len(missing), len(dups), (missing + dups)[:3]))
    left = c.leftovers()
    check("a: the queue folder is empty after the flush (no .eml/.json/.tmp)", not left, left[:10])
    c.close()


def case_partial():
    say("== b: one recipient accepted, one deferred (451), then flushed")
    c = Case("b")
    defer = os.path.join(c.dir, "defer")
    open(defer, "w").close()
    relay = c.relay(defer_file=defer)
    tok = c.token()
    res = c.send(["accepted@x.test", "defer1@x.test"], tok)
    check("b: R.STATUS is S.QUEUED with a R.QUEUE.ID", field(res, R_STATUS) == S_QUEUED and field(res, R_QUEUE_ID) != "",
          summary(res))
    addrs, sts, qd = values(res, R_RCPT_ADDRESS), values(res, R_RCPT_STATUS), values(res, R_RCPT_QUEUED)
    note("RCPT.ADDRESS %s RCPT.STATUS %s RCPT.CODE %s RCPT.QUEUED %s" % (addrs, sts, values(res, R_RCPT_CODE), qd))
    check("b: recipient 1 accepted (RCPT.STATUS 0, RCPT.QUEUED not 1)",
          addrs[:1] == ["accepted@x.test"] and sts[:1] == ["0"] and (qd + [""])[0] in ("", "0"), (addrs, sts, qd))
    check("b: recipient 2 queued (RCPT.STATUS not 0, RCPT.QUEUED 1)",
          addrs[1:2] == ["defer1@x.test"] and sts[1:2] not in (["0"], ["" ]) and qd[1:2] == ["1"], (addrs, sts, qd))
    first = relay.messages()
    check("b: the relay got the message once, envelope accepted@x.test only",
          len(first) == 1 and first[0]["rcpts"] == ["accepted@x.test"] and first[0]["subject"] == tok,
          [(m["subject"], m["rcpts"]) for m in first])
    qid = field(res, R_QUEUE_ID)
    rc, out, _ = c.cli("queue", "show", qid)
    check("b: mvsmtp queue show ID names the deferred recipient (and not the accepted one as pending)",
          rc == 0 and "defer1@x.test" in out, "exit %s: %s" % (rc, out[-400:]))
    rc, out, _ = c.flush()
    left = c.queue_files()
    check("b: a flush while the relay still defers keeps the message queued",
          any(f.endswith(".eml") for f in left) and len(relay.messages()) == 1,
          "exit %s, files %s, relay %d: %s" % (rc, left, len(relay.messages()), out[-300:]))
    os.unlink(defer)
    rc, out, took = c.flush()
    check("b: flush after the defer file is gone exits 0 (%.1f s)" % took, rc == 0, "exit %s: %s" % (rc, out[-400:]))
    relay.wait_count(2, 5)
    msgs = relay.messages()
    second = [m for m in msgs if m["subject"] == tok][1:]
    check("b: the relay got the message a second time with ONLY defer1@x.test in the envelope",
          len(msgs) == 2 and len(second) == 1 and second[0]["rcpts"] == ["defer1@x.test"],
          [(m["subject"], m["rcpts"]) for m in msgs])
    left = c.leftovers()
    check("b: the queue folder is empty afterwards", not left, left)
    c.close()


def session_members(sid):
    """pids (other than sid itself) still alive in the session sid"""
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) == sid:
            continue
        try:
            stat = open("/proc/%s/stat" % p).read()
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[3]) == sid and fields[0] != "Z":
                out.append(int(p))
        except (OSError, ValueError, IndexError):
            pass
    return out


def case_crash(n=60, kills=100):
    say("== c: %d queued, `queue flush --all` SIGKILLed %d times at random moments, then one clean flush" % (n, kills))
    c = Case("c")
    tokens, bad = [], []
    for i in range(n):
        tok = c.token()
        tokens.append(tok)
        res = c.send("crash%d@x.test" % i, tok)
        if field(res, R_STATUS) != S_QUEUED:
            bad.append(summary(res))
    check("c: %d sends with the relay down return S.QUEUED" % n, not bad, bad[:1])
    relay = c.relay(data_delay_ms=100)
    rnd = random.Random(RUN_ID)
    t0 = time.time()
    orphans, exited = [], 0
    for k in range(kills):
        p = subprocess.Popen(c.flush_cmd(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
        time.sleep(rnd.uniform(0, 0.3))
        if p.poll() is not None:
            exited += 1
        else:
            p.send_signal(signal.SIGKILL)
        p.wait()
        left = session_members(p.pid)
        if left:
            orphans.append((p.pid, left))
            for q in left:               # children this test's flusher started: end them
                try:
                    os.kill(q, signal.SIGKILL)
                except OSError:
                    pass
    note("%d kills in %.1f s (%d flushers had already finished); relay has %d messages"
         % (kills, time.time() - t0, exited, len(relay.messages())))
    check("c: a SIGKILLed flusher leaves no process of its own behind", not orphans, orphans[:5])
    mid = [f for f in c.queue_files() if "tmp" in f.lower()]
    note("after the kills: %d files in the queue folder, %d temporary: %s"
         % (len(c.queue_files()), len(mid), mid[:5]))
    rc, out, took = c.flush(timeout=60)
    check("c: the final flush (no kills) completes, exit 0 (%.1f s), not blocked by a dead flusher's lock" % took,
          rc == 0 and took < 60, "exit %s: %s" % (rc, out[-500:]))
    note("final flush said: %s" % " | ".join(out.strip().splitlines()[-4:]))
    time.sleep(0.3)
    counts = relay.counts()
    lost = [t for t in tokens if counts.get(t, 0) == 0]
    dups = sum(counts.get(t, 0) - 1 for t in tokens if counts.get(t, 0) > 1)
    dup_msgs = sum(1 for t in tokens if counts.get(t, 0) > 1)
    check("c: every one of the %d messages delivered at least once (none lost)" % n, not lost, "lost %d: %s" % (len(lost), lost[:5]))
    say("  DUPLICATES (crash test): %d extra copies of %d messages (%d deliveries for %d messages)"
        % (dups, dup_msgs, sum(counts.get(t, 0) for t in tokens), n))
    check("c: at most one duplicate per kill (a flusher has one message in the window at a time): %d <= %d"
          % (dups, kills - exited), dups <= kills - exited, dups)
    strangers = [s for s in counts if s not in tokens]
    check("c: the relay got nothing else", not strangers, strangers[:5])
    left = c.leftovers()
    check("c: no *.tmp* and no stray file left in the queue folder", not left, left[:10])
    c.close()
    return dups


def windows_over(times, limit, period, tol=0.25):
    """the largest number of receive times in any window [t, t + period - tol). tol: the
    limiter counts a message when it starts, the relay stamps it at the final "."; a slow
    transaction followed by a fast one may land them closer than the limiter spaced them
    (a fixed-window or token-bucket limiter would put up to twice the limit in a window)"""
    times = sorted(times)
    worst, j = 0, 0
    for i in range(len(times)):
        while j < len(times) and times[j] < times[i] + period - tol:
            j += 1
        worst = max(worst, j - i)
    return worst


def case_rate(n=40, limit=10, period=2.0):
    say("== d: rate_limit = %d/%ds, %d messages from two senders, then two flushers" % (limit, period, n))
    c = Case("d", rate_limit="%d/%ds" % (limit, period), queue_retry="1")
    relay = c.relay()
    results, lock = [], threading.Lock()

    def sender(k):
        for i in range(n // 2):
            tok = "qtest-%s-d%d-%04d" % (RUN_ID, k, i)
            p = subprocess.run([CLI, "send", "--config", c.ini, "--profile", c.profile, "--to", "rate%d@x.test" % i,
                                "--subject", tok, "--body", "rate " + tok, "--result"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            with lock:
                results.append((tok, p.returncode, parse_result(p.stdout.decode("utf-8", "replace"))))

    t0 = time.time()
    ts = [threading.Thread(target=sender, args=(k,)) for k in (1, 2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    sent_took = time.time() - t0
    tokens = [r[0] for r in results]
    st = {}
    for _, _, res in results:
        st[field(res, R_STATUS)] = st.get(field(res, R_STATUS), 0) + 1
    note("two senders: %d sends in %.1f s, statuses %s" % (len(results), sent_took, st))
    check("d: every send returns S.SENT or S.QUEUED (none refused or failed)",
          set(st) <= {S_SENT, S_QUEUED} and len(results) == n,
          [summary(r) for _, _, r in results if field(r, R_STATUS) not in (S_SENT, S_QUEUED)][:2])
    check("d: the senders were held to the limit: some sends were queued", st.get(S_QUEUED, 0) > 0, st)
    deadline = time.time() + 45
    rounds = 0
    while time.time() < deadline and len(relay.messages()) < n:
        rounds += 1
        procs = [subprocess.Popen(c.flush_cmd(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in (1, 2)]
        for p in procs:
            p.communicate(timeout=60)
        if len(relay.messages()) < n:
            time.sleep(0.3)
    msgs = relay.messages()
    times = [m["at"] for m in msgs]
    span = (max(times) - min(times)) if times else 0
    need = period * ((n - 1) // limit)
    note("%d rounds of two flushers; relay got %d messages over %.2f s" % (rounds, len(msgs), span))
    counts = relay.counts()
    check("d: all %d delivered exactly once" % n,
          all(counts.get(t, 0) == 1 for t in tokens) and len(msgs) == n,
          "got %d, missing %s" % (len(msgs), [t for t in tokens if not counts.get(t)][:3]))
    check("d: first to last delivery took at least %.0f s (%.2f s)" % (need, span), span >= need - 0.1, span)
    worst = windows_over(times, limit, period)
    note("strict (no tolerance): the fullest %gs window holds %d" % (period, windows_over(times, limit, period, 0)))
    check("d: no %gs window of the relay's receive times holds more than %d (worst %d)" % (period, limit, worst),
          worst <= limit, worst)
    left = c.leftovers()
    check("d: the queue folder is empty afterwards", not left, left[:10])
    c.close()


def case_recipients(n=6, per=3, limit=6, period=2.0):
    say("== f: recipient_limit = %d/%ds, %d messages of %d recipients each, then a flush" % (limit, period, n, per))
    c = Case("f", recipient_limit="%d/%ds" % (limit, period))
    relay = c.relay()
    st, tokens = [], []
    for i in range(n):
        tok = c.token()
        tokens.append(tok)
        res = c.send(["r%d-%d@x.test" % (i, k) for k in range(per)], tok)
        st.append(field(res, R_STATUS))
    check("f: the first %d messages sent, the rest queued (S.QUEUED), none failed" % (limit // per),
          st[:limit // per] == [S_SENT] * (limit // per) and set(st[limit // per:]) == {S_QUEUED}, st)
    rc, out, took = c.flush()
    check("f: mvsmtp queue flush --all waits for recipient slots and exits 0 (%.1f s)" % took, rc == 0,
          "exit %s: %s" % (rc, out[-300:]))
    relay.wait_count(n, 5)
    msgs = relay.messages()
    counts = relay.counts()
    check("f: all %d delivered exactly once" % n, all(counts.get(t) == 1 for t in tokens) and len(msgs) == n,
          counts)
    times = sorted(t for m in msgs for t in [m["at"]] * len(m["rcpts"]))
    worst = windows_over(times, limit, period)
    check("f: no %gs window holds more than %d recipients (worst %d)" % (period, limit, worst), worst <= limit, worst)
    left = c.leftovers()
    check("f: the queue folder is empty afterwards", not left, left[:10])
    c.close()


def case_failover():
    say("== g: two relays in server (the first down), then `queue run` while both are down")
    down = free_port()
    c = Case("g", queue_retry="1", queue_retry_max="2")
    with open(c.ini) as f:
        text = f.read()
    with open(c.ini, "w") as f:
        f.write(text.replace("server = smtp://127.0.0.1:%d" % c.port,
                             "server = smtp://127.0.0.1:%d, smtp://127.0.0.1:%d" % (down, c.port)))
    relay = c.relay()
    tok = c.token()
    res = c.send("first@x.test", tok)
    check("g: the first relay down, the second up: S.SENT, not queued",
          field(res, R_STATUS) == S_SENT and field(res, R_QUEUE_ID) == "" and relay.counts().get(tok) == 1,
          "%s, relay %s" % (summary(res), relay.counts()))
    relay.stop()
    tokens = [c.token() for _ in range(3)]
    st = [field(c.send("later%d@x.test" % i, t), R_STATUS) for i, t in enumerate(tokens)]
    check("g: both relays down: S.QUEUED", st == [S_QUEUED] * 3, st)
    run = subprocess.Popen([CLI, "queue", "run", "--interval", "1", "--config", c.ini, "--profile", c.profile],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    time.sleep(0.5)
    relay = c.relay()
    t0 = time.time()
    deadline = t0 + 15
    while time.time() < deadline and not all(relay.counts().get(t) for t in tokens):
        time.sleep(0.2)
    counts = relay.counts()
    check("g: `mvsmtp queue run --interval 1` delivers them once the relay is back (%.1f s)" % (time.time() - t0),
          all(counts.get(t) == 1 for t in tokens), counts)
    run.send_signal(signal.SIGTERM)
    try:
        out = run.communicate(timeout=10)[0].decode("utf-8", "replace")
        rc = run.returncode
    except subprocess.TimeoutExpired:
        run.kill()
        out, rc = run.communicate()[0].decode("utf-8", "replace"), "timeout"
    check("g: queue run ends with exit 0 on SIGTERM", rc == 0, "exit %s: %s" % (rc, out[-300:]))
    left = c.leftovers()
    check("g: the queue folder is empty afterwards", not left, left[:10])
    c.close()


def case_options():
    say("== h: a queued message keeps the call's options (O.SERVER); O.PASSWORD is never written")
    c = Case("h")
    other_dir = os.path.join(c.dir, "relay-profile")
    os.mkdir(other_dir)
    other = Relay(other_dir, free_port()).start()          # where the profile points
    c.relays.append(other)
    with open(c.ini) as f:
        text = f.read()
    with open(c.ini, "w") as f:
        f.write(text.replace("server = smtp://127.0.0.1:%d" % c.port, "server = smtp://127.0.0.1:%d" % other.port))
    tok = c.token()
    opts = {O_PROFILE: c.profile, O_CONFIG: c.ini, 3: "smtp://127.0.0.1:%d" % c.port, 5: "off"}
    res = sendmail({2: "opt@x.test", 5: tok}, "options " + tok, opts)
    check("h: O.SERVER (down) given as an option: S.QUEUED", field(res, R_STATUS) == S_QUEUED, summary(res))
    relay = c.relay()
    rc, out, _ = c.flush()
    relay.wait_count(1, 5)
    check("h: the flush sends it to the O.SERVER of the call, not to the profile's server",
          rc == 0 and relay.counts().get(tok) == 1 and not other.counts(),
          "exit %s, call's relay %s, profile's relay %s: %s" % (rc, relay.counts(), other.counts(), out[-200:]))
    relay.stop()
    secret = "pw-%s-never-on-disk" % secrets.token_hex(6)
    tok2 = c.token()
    opts.update({6: "someone", 7: secret, 10: "1"})
    res = sendmail({2: "pw@x.test", 5: tok2}, "password " + tok2, opts)
    note("O.PASSWORD given, relay down: %s" % summary(res))
    found = []
    for top, _, files in os.walk(c.queue):
        for name in files:
            with open(os.path.join(top, name), "rb") as f:
                if secret.encode() in f.read():
                    found.append(name)
    check("h: O.PASSWORD given: not queued (the failure is returned; no secret is written)",
          field(res, R_STATUS) != S_QUEUED and field(res, R_QUEUE_ID) == "" and not c.leftovers() and not found,
          "%s; queue files %s; secret in %s" % (summary(res), c.leftovers(), found))
    c.close()


def case_permanent():
    say("== e: permanent failures (550) are never queued")
    c = Case("e")
    defer = os.path.join(c.dir, "defer")
    relay = c.relay(defer_file=defer)
    tok = c.token()
    res = c.send("reject1@x.test", tok)
    check("e: one recipient refused with 550: S.FAILED, RCPT.CODE 550, no R.QUEUE.ID",
          field(res, R_STATUS) == S_FAILED and values(res, R_RCPT_CODE) == ["550"] and field(res, R_QUEUE_ID) == "",
          "%s RCPT.CODE %s" % (summary(res), values(res, R_RCPT_CODE)))
    check("e: RCPT.QUEUED is not 1 for it", "1" not in values(res, R_RCPT_QUEUED), values(res, R_RCPT_QUEUED))
    check("e: nothing in the queue folder", not c.queue_files(), c.queue_files())
    tok = c.token()
    res = c.send(["accepted@x.test", "reject2@x.test"], tok)
    check("e: one accepted, one 550: S.PARTIAL, no R.QUEUE.ID",
          field(res, R_STATUS) == S_PARTIAL and field(res, R_QUEUE_ID) == "", summary(res))
    check("e: still nothing in the queue folder", not c.queue_files(), c.queue_files())
    open(defer, "w").close()
    tok3 = c.token()
    res = c.send(["accepted@x.test", "reject3@x.test", "defer3@x.test"], tok3)
    qd = values(res, R_RCPT_QUEUED) + ["", "", ""]
    check("e: accepted + 550 + 451: S.QUEUED, RCPT.QUEUED only for the 451 one",
          field(res, R_STATUS) == S_QUEUED and field(res, R_QUEUE_ID) != "" and qd[0] in ("", "0")
          and qd[1] in ("", "0") and qd[2] == "1",
          "%s RCPT.STATUS %s RCPT.QUEUED %s" % (summary(res), values(res, R_RCPT_STATUS), qd[:3]))
    os.unlink(defer)
    res = c.queue_abi("FLUSH", "ALL")       # the ABI's FLUSH (BASIC's SMTP.QUEUE.CONTROL)
    counts = values(res, R_QUEUE_COUNTS)
    check("e: mvs_queue FLUSH ALL: S.OK, R.QUEUE.COUNTS due 1, delivered 1",
          field(res, R_STATUS) == "0" and counts[:2] == ["1", "1"], "%s COUNTS %s" % (summary(res), counts))
    relay.wait_count(3, 5)
    envs = [m["rcpts"] for m in relay.messages() if m["subject"] == tok3]
    check("e: the flush sends it to defer3@x.test only; reject3@x.test is never retried",
          sorted(map(tuple, envs)) == [("accepted@x.test",), ("defer3@x.test",)], "envelopes %s" % envs)
    left = c.leftovers()
    check("e: the queue folder is empty afterwards (failed/ included)", not left, left)
    c.close()


CASE_FUNCS = {"a": case_outage, "b": case_partial, "c": case_crash, "d": case_rate, "e": case_permanent,
              "f": case_recipients, "g": case_failover,
              "h": case_options}


def main():
    if not (os.path.exists(CLI) and os.path.exists(LIB)):
        say("SKIP: no build at %s / %s (set MVSMTP_BUILD_DIR)" % (CLI, LIB))
        return 77
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        say("SKIP: python3-aiosmtpd is not installed (counting_relay.py needs it)")
        return 77
    chosen = sys.argv[1:] or sorted(CASE_FUNCS)
    t_all = time.time()
    for name in chosen:
        t0 = time.time()
        try:
            CASE_FUNCS[name]()
        except Exception as e:  # one broken case must not hide the others
            check("%s: ran to the end" % name, False, "%s: %s" % (type(e).__name__, e))
        say("  (case %s: %.1f s)" % (name, time.time() - t0))
    for c in CASES:
        c.close()
    say("%d passed, %d failed (%.1f s)" % (len(passed), len(failed), time.time() - t_all))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
