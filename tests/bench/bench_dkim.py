#!/usr/bin/python3
"""tests/bench/bench_dkim.py — peak memory of a DKIM-signed send next to an unsigned one.

    /usr/bin/python3 tests/bench/bench_dkim.py                # 100 MiB and 10 MiB, 3 runs each (~1-2 min)
    /usr/bin/python3 tests/bench/bench_dkim.py --runs 5 --sizes 100,10,1 --budget-mib 32

The figure for the acceptance item "signing a 100 MB message keeps peak memory within 32 MB of
an unsigned send". Every party is the `mvsmtp send` program, one process per send, measured
the same way (whole process: peak RSS from the kernel's rusage, wall time from spawn to reap):

  smtp-sink  unsigned, rsa-sha256 (selector rsa), ed25519-sha256 (selector ed) — sent with
             --tls off to the rig's smtp-sink 127.0.0.1:2500, which accepts and discards
  outbox     the same three with no server (--outbox DIR): the stored copy is signed too

The message is one text line plus an attachment of SIZE MiB of deterministic pseudo-random
bytes (seeded, so every run and every machine sends the same message). Parties run
interleaved, N runs each; the table gives median and max peak RSS, median wall time, and
signed − unsigned on the same path against the budget. A second, smaller size shows whether
the peak grows with the message (it should not: the body is hashed while it streams).

Every send is checked: exit status 0; "Status: SENT" (or STORED); a signed party must print
its "DKIM:" line with the right algorithm, and its stored .eml must start with DKIM-Signature.

Exit 0: every send worked and every signed party is within the budget; 1: a signed party is
over the budget; 2: a send failed (or bad usage); 77: skipped (no mvsmtp binary, smtp-sink not
reachable, or the rig's DKIM keys missing/unreadable). Environment: MVSMTP_BUILD_DIR (default
./build: the program is $MVSMTP_BUILD_DIR/gci/mvsmtp), MVSMTP_TESTBED (default
/tmp/mvsmtp-testbed: the keys are $MVSMTP_TESTBED/dkim/{rsa,ed25519}.key), TMPDIR (where the
attachment and the outbox go: about 2 × SIZE of disk). Never starts or stops the rig.
Python 3 standard library only; Linux only (rusage, prctl)."""
import argparse
import ctypes
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from rig_paths import CLI, TESTBED, reachable  # noqa: E402

SINK_HOST, SINK_PORT = "127.0.0.1", 2500
FROM, TO = "billing@example.test", "bob@example.test"
DOMAIN = "example.test"
KEYS = {"rsa": ("rsa", os.path.join(TESTBED, "dkim", "rsa.key"), "rsa-sha256"),
        "ed25519": ("ed", os.path.join(TESTBED, "dkim", "ed25519.key"), "ed25519-sha256")}
SEED = 20261130      # the attachment's bytes depend on this and the size only: same message everywhere
MIB = 1024 * 1024
PR_SET_CHILD_SUBREAPER = 36

EXIT_OVER_BUDGET, EXIT_FAILED, EXIT_SKIP = 1, 2, 77


def say(text):
    print(text, flush=True)


def fail(text):
    print("tests/bench/bench_dkim.py: error: " + text, file=sys.stderr, flush=True)
    sys.exit(EXIT_FAILED)


def skip(text):
    print("skipped: " + text, flush=True)
    sys.exit(EXIT_SKIP)


# ------------------------------------------------------------------ measuring one process
#
# Why not simply fork/posix_spawn mvsmtp and read ru_maxrss from wait4: on exec, Linux records
# the high-water RSS of the address space being replaced into the new program's maxrss
# (fs/exec.c, setmax_mm_hiwater_rss). A child forked from this interpreter carries ~8 MiB of
# Python pages into that figure; a vfork/posix_spawn child shares our address space and carries
# all of it. So a `/bin/true` spawned from here reports ~10 MiB — a floor that would hide
# anything below it and shrink the signed − unsigned difference.
#
# Instead: we become a child subreaper, /bin/sh (already exec'd, ~1 MiB) forks mvsmtp in the
# background, prints its pid and exits; mvsmtp is reparented to us and we wait4() for it
# directly. Its maxrss then starts from sh's ~1 MiB, not ours. Identical for every party.
_libc = ctypes.CDLL(None, use_errno=True)


def become_subreaper():
    if _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        fail("prctl(PR_SET_CHILD_SUBREAPER): %s" % os.strerror(ctypes.get_errno()))


_running = None   # the pid being measured, killed if we are interrupted


def measure(argv, cwd, out_path):
    """Runs argv as its own process (stdout+stderr to out_path, stdin /dev/null); returns
    (exit status or -signal, peak RSS KiB, wall seconds)."""
    global _running
    launcher = 'cd "$CWD" || exit 1; exec 3>&1; "$@" </dev/null >"$OUT" 2>&1 3>&- & echo $! >&3'
    env = dict(os.environ, OUT=out_path, CWD=cwd)
    r, w = os.pipe()
    t0 = time.perf_counter()
    sh = os.posix_spawn("/bin/sh", ["/bin/sh", "-c", launcher, "sh"] + argv, env,
                        file_actions=[(os.POSIX_SPAWN_DUP2, w, 1), (os.POSIX_SPAWN_CLOSE, r)])
    os.close(w)
    with os.fdopen(r, "rb") as pipe:
        text = pipe.read()
    _, sh_status, _ = os.wait4(sh, 0)
    if os.waitstatus_to_exitcode(sh_status) != 0 or not text.strip().isdigit():
        fail("the launcher /bin/sh failed (status %d, said %r)" % (sh_status, text))
    _running = int(text)
    # sh has exited: the child is ours now (subreaper), running or already a zombie
    _, status, usage = os.wait4(_running, 0)
    wall = time.perf_counter() - t0
    _running = None
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss, wall


# ------------------------------------------------------------------ the parties
def make_attachment(path, size):
    """SIZE bytes from a seeded PRNG (every size a prefix of the same stream), written 1 MiB
    at a time so our own RSS stays small."""
    rng = random.Random(SEED)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, MIB)
            f.write(rng.randbytes(n))
            left -= n


def parties():
    """(name, path, key) in the order they run: sink then outbox, unsigned first on each."""
    out = []
    for path in ("smtp-sink", "outbox"):
        for key in (None, "rsa", "ed25519"):
            out.append(("%s, %s" % (path, KEYS[key][2] if key else "unsigned"), path, key))
    return out


def command(path, key, attachment, outbox, config):
    argv = [CLI, "send", "--config", config]
    if path == "smtp-sink":
        argv += ["--server", "smtp://%s:%d" % (SINK_HOST, SINK_PORT), "--tls", "off"]
    else:
        argv += ["--outbox", outbox]
    argv += ["--from", FROM, "--to", TO, "--subject", "bench", "--body", "x",
             "--attach", attachment, "--max-size", "200M"]
    if key:
        selector, key_file, _ = KEYS[key]
        argv += ["--dkim-domain", DOMAIN, "--dkim-selector", selector, "--dkim-key", key_file]
    return argv


def check(path, key, status, out_path, outbox):
    """None when the send did what it should, else why not. Empties the outbox."""
    with open(out_path, encoding="utf-8", errors="replace") as f:
        output = f.read()
    stored = sorted(os.listdir(outbox))
    emls = [n for n in stored if n.endswith(".eml")]
    try:
        if status != 0:
            return "exit status %d: %s" % (status, output.strip())
        want = "SENT" if path == "smtp-sink" else "STORED"
        if not re.search(r"^Status:\s+%s\b" % want, output, re.M):
            return "no 'Status: %s' in: %s" % (want, output.strip())
        if key and "a=" + KEYS[key][2] not in output:
            return "not signed with %s: %s" % (KEYS[key][2], output.strip())
        if not key and "DKIM:" in output:
            return "signed although no key was given: %s" % output.strip()
        if path == "outbox":
            if len(emls) != 1:
                return "expected one .eml in the outbox, found %r" % stored
            with open(os.path.join(outbox, emls[0]), "rb") as f:
                head = f.read(16)
            if bool(key) != head.startswith(b"DKIM-Signature:"):
                return "stored copy %s a DKIM-Signature first" % ("lacks" if key else "has")
        elif stored:
            return "sent to a server, yet the outbox holds %r" % stored
        return None
    finally:
        for n in stored:  # each run starts from an empty outbox
            os.unlink(os.path.join(outbox, n))


def eml_size(outbox):
    emls = [n for n in os.listdir(outbox) if n.endswith(".eml")]
    return os.path.getsize(os.path.join(outbox, emls[0])) if emls else None


# ------------------------------------------------------------------ main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[2],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=int(os.environ.get("MVSMTP_BENCH_REPS", "3")),
                    help="runs per party and size, interleaved (default $MVSMTP_BENCH_REPS or 3)")
    ap.add_argument("--sizes", default="100,10",
                    help="attachment sizes in MiB, comma-separated, each judged against the budget (default 100,10)")
    ap.add_argument("--budget-mib", type=float, default=32.0,
                    help="allowed signed − unsigned peak RSS, MiB (default 32)")
    args = ap.parse_args()
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        ap.error("--sizes: whole MiB, comma-separated")
    if args.runs < 1 or not sizes or min(sizes) < 1:
        ap.error("--runs and every size must be at least 1")

    if not os.access(CLI, os.X_OK):
        skip("no mvsmtp program at %s (set MVSMTP_BUILD_DIR)" % CLI)
    if not reachable(SINK_PORT, SINK_HOST):
        skip("smtp-sink %s:%d does not answer (bash tests/testbed/rig.sh start)" % (SINK_HOST, SINK_PORT))
    for _, key_file, _ in KEYS.values():
        if not os.access(key_file, os.R_OK):
            skip("DKIM key %s missing or unreadable (the rig's keys are root-only)" % key_file)
    become_subreaper()

    work = tempfile.mkdtemp(prefix="mvsmtp-bench-dkim-")
    outbox = os.path.join(work, "outbox")
    os.mkdir(outbox, 0o700)
    config = os.path.join(work, "empty.ini")   # no profile (./mvsmtp.ini, ~/.mvsmtp.ini) can add a key or a server
    open(config, "w").close()
    out_path = os.path.join(work, "child.out")
    try:
        return run(args, sizes, work, outbox, config, out_path)
    except KeyboardInterrupt:
        if _running:
            os.kill(_running, 9)
            os.waitpid(_running, 0)
        raise
    finally:
        for dirpath, dirnames, filenames in os.walk(work, topdown=False):
            for n in filenames:
                os.unlink(os.path.join(dirpath, n))
            os.rmdir(dirpath)


def run(args, sizes, work, outbox, config, out_path):
    attachments = {}
    for size in sizes:
        attachments[size] = os.path.join(work, "attachment-%dMiB.bin" % size)
        say("== writing the %d MiB attachment (seed %d) to %s" % (size, SEED, attachments[size]))
        make_attachment(attachments[size], size * MIB)

    version = subprocess.run([CLI, "--version"], capture_output=True, text=True).stdout.strip()
    # The program's own floor, measured the same way: what it costs with no message at all.
    floor = [measure([CLI, "--version"], work, out_path)[1] for _ in range(args.runs)]

    say("== commands (SIZE = the attachment; each run as its own process, whole process measured):")
    for name, path, key in parties():
        say("+ " + " ".join(command(path, key, "SIZE", outbox, config)))
    say("== %d run(s) per party and size, interleaved" % args.runs)
    rss = {}     # (size, name) -> [KiB]
    wall = {}    # (size, name) -> [s]
    wire = {}    # size -> bytes of the stored message (unsigned)
    for rep in range(1, args.runs + 1):
        for size in sizes:
            for name, path, key in parties():
                argv = command(path, key, attachments[size], outbox, config)
                status, kib, secs = measure(argv, work, out_path)
                if path == "outbox" and not key:
                    wire[size] = eml_size(outbox)
                problem = check(path, key, status, out_path, outbox)
                if problem:
                    fail("%d MiB, %s, run %d: %s" % (size, name, rep, problem))
                rss.setdefault((size, name), []).append(kib)
                wall.setdefault((size, name), []).append(secs)
                say("   run %d  %4d MiB  %-28s peak RSS %8.1f MiB  %7.2f s" % (rep, size, name, kib / 1024, secs))

    # ------------------------------------------------------------------ the table
    mib = lambda kib: kib / 1024.0
    load = open("/proc/loadavg").read().split()[:3]
    say("")
    say("DKIM signing, peak memory — %s — %d cores, %s, load average %s — %s" % (
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.cpu_count(), platform.release(),
        " ".join(load), version))
    say("program: %s; every party one process, peak RSS = wait4() ru_maxrss, wall = spawn to reap" % CLI)
    say("program floor (`mvsmtp --version`, same measurement): %.1f MiB median" % mib(statistics.median(floor)))
    over = False
    for size in sizes:
        say("")
        say("%d MiB attachment (%s on the wire unsigned), %d run(s) each — budget: signed − unsigned <= %g MiB"
            % (size, "%.1f MiB" % (wire[size] / MIB) if wire.get(size) else "?", args.runs, args.budget_mib))
        say("  %-28s %4s %10s %8s %8s %12s %11s  %s" % ("party", "runs", "RSS med", "max", "wall s",
                                                        "signed−uns.", "worst case", "verdict"))
        for name, path, key in parties():
            r = rss[(size, name)]
            line = "  %-28s %4d %10.1f %8.1f %8.2f" % (name, len(r), mib(statistics.median(r)), mib(max(r)),
                                                       statistics.median(wall[(size, name)]))
            if key:
                base = rss[(size, "%s, unsigned" % path)]
                diff = mib(statistics.median(r) - statistics.median(base))
                # judged on the worst pairing (highest signed, lowest unsigned): noise cannot pass it
                worst = mib(max(r) - min(base))
                ok = worst <= args.budget_mib
                over |= not ok
                line += " %+11.1f %+11.1f  %s" % (diff, worst, "PASS" if ok else "FAIL")
            say(line)
    if len(sizes) > 1:
        big, small = max(sizes), min(sizes)
        say("")
        say("Does the peak grow with the message? median peak RSS, %d MiB vs %d MiB attachment" % (small, big))
        say("  %-28s %10s %10s %10s" % ("party", "%d MiB" % small, "%d MiB" % big, "growth"))
        for name, _, _ in parties():
            a, b = statistics.median(rss[(small, name)]), statistics.median(rss[(big, name)])
            say("  %-28s %10.1f %10.1f %+10.1f" % (name, mib(a), mib(b), mib(b - a)))
    say("")
    say("bench_dkim: %s" % ("FAIL: a signed send is over the budget" if over else
                            "PASS: every signed send within %g MiB of the unsigned one" % args.budget_mib))
    return EXIT_OVER_BUDGET if over else 0


if __name__ == "__main__":
    sys.exit(main())
