#!/usr/bin/python3
"""Proves the two DKIM verifiers the C++ tests call before they are trusted with mvsmtp's
signatures: tests/testbed/dkim_verify.py (python3-dkim) and tests/testbed/dkim_verify.pl
(Perl's Mail::DKIM), against the keys and DNS of the loopback rig (tests/testbed/rig.sh).

    /usr/bin/python3 tests/testbed/check_dkim_verifiers.py          # one line per check
    /usr/bin/python3 tests/testbed/check_dkim_verifiers.py --keep DIR  # and leave the .eml files

Sample messages are signed here with python3-dkim and the rig's private keys
($MVSMTP_TESTBED/dkim, readable by root only), then both verifiers must agree on each:
  pass  rsa-sha256 and ed25519-sha256, relaxed/relaxed and simple/simple, on a message with a
        line starting with "." and a long folded header; the same with LF line ends; a second
        domain (sel2, other.example.test); two signatures in one message; a key given with
        --record instead of DNS
  fail  one body byte changed; a signed header changed; the key of selector stale (another
        key); the revoked key (empty p=); a selector with no record; an Ed25519 signature
        under an RSA key and the reverse; a DNS server answering SERVFAIL (--dns); a message
        with one good and one bad signature (exit 1 either way); --expect-fail turns the
        failures into exit 0
  none  an unsigned message (exit 1)
  usage no FILE, an unreadable FILE, a bad --dns (exit 2)
  info  a signature by the 1024-bit key (selector short): printed, not judged (RFC 8301 lets a
        verifier accept 1024 bits; mvsmtp's signer refuses such a key)

Exit 77 (skipped) when dnsmasq's TCP port 5353 is closed (rig not running).
"""
import base64
import os
import subprocess
import sys
import tempfile

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "support"))
from rig_paths import TESTBED, reachable  # noqa: E402

KEYS = os.path.join(TESTBED, "dkim")
VERIFIERS = {"py": ["/usr/bin/python3", os.path.join(HERE, "dkim_verify.py")],
             "pl": ["/usr/bin/perl", os.path.join(HERE, "dkim_verify.pl")]}
SIGNED = [b"from", b"to", b"subject", b"date", b"message-id", b"mime-version",
          b"content-type", b"x-long"]

# CRLF throughout. The folded headers, runs of blanks, trailing blanks and trailing empty lines
# are where simple and relaxed canonicalisation (RFC 6376 3.4) differ; the body line starting
# with "." is sent dot-stuffed and must be signed and verified unstuffed (RFC 5321 4.5.2).
MESSAGE = b"\r\n".join([
    b"From: Alice <alice@example.test>",
    b"To: Bob <bob@example.test>",
    b"Subject: a DKIM sample whose subject is long enough to be folded over",
    b"  two lines,   with runs of blanks",
    b"Date: Sat, 29 Nov 2025 12:00:00 +0000",
    b"Message-ID: <dkim-sample@example.test>",
    b"MIME-Version: 1.0",
    b"Content-Type: text/plain; charset=us-ascii",
    b"X-Long: " + b" ".join(b"word%02d" % i for i in range(12)),
    b"\t" + b" ".join(b"more%02d" % i for i in range(12)),
    b"\t" + b" ".join(b"last%02d" % i for i in range(12)),
    b"",
    b"Hello Bob,",
    b".a line starting with a dot",
    b"..and one with two",
    b"trailing blanks   ",
    b"\tindented   with  runs of blanks",
    b"",
    b"",
    b""])

FAILURES = []


def check(label, ok, detail=""):
    print(("ok    " if ok else "FAIL  ") + label + ("" if ok else "  -- " + detail))
    if not ok:
        FAILURES.append(label)


def private_key(name):
    """(key for dkim.sign, algorithm) of $TB/dkim/NAME: python3-dkim wants an RSA key as PKCS#1
    PEM and an Ed25519 key as its base64 32-byte seed, rig.sh writes PKCS#8 PEM."""
    with open(os.path.join(KEYS, name), "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    none = serialization.NoEncryption()
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, none)
        return base64.b64encode(raw), b"ed25519-sha256"
    pem = key.private_bytes(serialization.Encoding.PEM,
                            serialization.PrivateFormat.TraditionalOpenSSL, none)
    return pem, b"rsa-sha256"


def sign(message, key, selector, domain=b"example.test", canon=b"relaxed/relaxed"):
    """message with a DKIM-Signature on top, made with $TB/dkim/KEY."""
    pk, algorithm = private_key(key)
    header = dkim.sign(message, selector, domain, pk, signature_algorithm=algorithm,
                       canonicalize=tuple(canon.split(b"/")), include_headers=SIGNED)
    return header + message


def run(verifier, args):
    r = subprocess.run(VERIFIERS[verifier] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


class Cases:
    def __init__(self, directory):
        self.dir = directory

    def write(self, name, data):
        path = os.path.join(self.dir, name + ".eml")
        with open(path, "wb") as f:
            f.write(data)
        return path

    def expect(self, name, data, want, lines, args=(), rc=None):
        """Both verifiers on one file: every output line must start with one of lines (in order,
        FILE: put in front) and the exit code be rc (default: 0 for pass, 1 otherwise)."""
        path = self.write(name, data)
        rc = (0 if want == "pass" else 1) if rc is None else rc
        for verifier in VERIFIERS:
            code, out, err = run(verifier, list(args) + [path])
            got = out.splitlines()
            ok = code == rc and len(got) == len(lines) and all(
                g.startswith("%s: %s" % (path, l)) for g, l in zip(got, lines))
            check("%s %-24s -> %s, exit %d" % (verifier, name, want, rc), ok,
                  "exit %d, %r %s" % (code, got, err.strip()))


def main():
    if not reachable(5353):
        print("skipped: dnsmasq 127.0.0.1:5353 not reachable (run tests/testbed/rig.sh start)")
        return 77
    keep = sys.argv[sys.argv.index("--keep") + 1] if "--keep" in sys.argv else None
    try:
        for key in ("rsa.key", "ed25519.key", "other.key", "rsa1024.key"):
            private_key(key)
    except (OSError, ValueError) as e:
        check("the rig's DKIM keys in " + KEYS, False,
              "%s (restart the rig with tests/testbed/rig.sh start; run as root)" % e)
        return 1
    if keep:
        os.makedirs(keep, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dkim-check-") as tmp:
        c = Cases(keep or tmp)
        rsa_pass = "pass d=example.test s=rsa a=rsa-sha256"
        ed_pass = "pass d=example.test s=ed a=ed25519-sha256"

        # good signatures
        for canon in (b"relaxed/relaxed", b"simple/simple"):
            tag = canon.split(b"/")[0].decode()
            for key, sel, line in (("rsa.key", b"rsa", rsa_pass), ("ed25519.key", b"ed", ed_pass)):
                signed = sign(MESSAGE, key, sel, canon=canon)
                name = "%s-%s" % (sel.decode(), tag)
                c.expect(name, signed, "pass", [line])
                c.expect(name + "-lf", signed.replace(b"\r\n", b"\n"), "pass", [line])
                # tampering: one body byte, one signed header
                c.expect(name + "-body", signed.replace(b"Hello Bob", b"Hello Rob"), "fail",
                         ["fail d=example.test s=%s (" % sel.decode()])
                c.expect(name + "-header", signed.replace(b"Subject: a DKIM", b"Subject: A DKIM"),
                         "fail", ["fail d=example.test s=%s (" % sel.decode()])
        c.expect("sel2-other-domain", sign(MESSAGE, "other.key", b"sel2", b"other.example.test"),
                 "pass", ["pass d=other.example.test s=sel2 a=rsa-sha256"])
        both = sign(sign(MESSAGE, "rsa.key", b"rsa"), "ed25519.key", b"ed")
        c.expect("two-signatures", both, "pass", [ed_pass, rsa_pass])

        # keys that do not fit
        for sel in (b"stale", b"revoked", b"nosuch"):
            c.expect("key-" + sel.decode(), sign(MESSAGE, "rsa.key", sel), "fail",
                     ["fail d=example.test s=%s (" % sel.decode()])
        c.expect("ed-signature-rsa-key", sign(MESSAGE, "ed25519.key", b"rsa"), "fail",
                 ["fail d=example.test s=rsa ("])
        c.expect("rsa-signature-ed-key", sign(MESSAGE, "rsa.key", b"ed"), "fail",
                 ["fail d=example.test s=ed ("])
        one_bad = sign(sign(MESSAGE, "rsa.key", b"rsa"), "rsa.key", b"stale")
        c.expect("one-good-one-bad", one_bad, "fail",
                 ["fail d=example.test s=stale (", rsa_pass])
        c.expect("one-good-one-bad-expect-fail", one_bad, "fail",
                 ["fail d=example.test s=stale (", rsa_pass], ["--expect-fail"], rc=1)
        c.expect("body-expect-fail", sign(MESSAGE, "rsa.key", b"rsa").replace(b"Bob,", b"Bob!"),
                 "fail", ["fail d=example.test s=rsa ("], ["--expect-fail"], rc=0)

        # the DNS server of --dns, and no other, is asked: 127.0.0.1:5355 answers SERVFAIL
        c.expect("dns-servfail", sign(MESSAGE, "rsa.key", b"rsa"), "fail",
                 ["fail d=example.test s=rsa ("], ["--dns", "127.0.0.1:5355"])

        # --record: a key that is not published, given on the command line
        with open(os.path.join(KEYS, "sel2.other.example.test.txt")) as f:
            other_record = f.read().strip()
        unpublished = sign(MESSAGE, "other.key", b"unpublished")
        c.expect("record-option", unpublished, "pass",
                 ["pass d=example.test s=unpublished a=rsa-sha256"],
                 ["--record", "unpublished._domainkey.example.test=" + other_record])
        c.expect("record-option-missing", unpublished, "fail",
                 ["fail d=example.test s=unpublished ("])
        c.expect("record-option-revoked", sign(MESSAGE, "rsa.key", b"rsa"), "fail",
                 ["fail d=example.test s=rsa ("],
                 ["--record", "rsa._domainkey.example.test.=v=DKIM1; k=rsa; p="])

        # no signature, usage errors
        c.expect("unsigned", MESSAGE, "none", ["none"])
        c.expect("unsigned-expect-fail", MESSAGE, "none", ["none"], ["--expect-fail"], rc=1)
        for label, args in (("no FILE", []), ("missing FILE", [os.path.join(c.dir, "nosuch")]),
                            ("bad --dns", ["--dns", "dns.example:53", c.write("x", MESSAGE)])):
            for verifier in VERIFIERS:
                code, out, err = run(verifier, args)
                check("%s %-24s -> exit 2" % (verifier, label), code == 2,
                      "exit %d %r %r" % (code, out, err))

        # informational: the 1024-bit key, which mvsmtp's signer must refuse to use
        short = c.write("short-1024", sign(MESSAGE, "rsa1024.key", b"short"))
        for verifier in VERIFIERS:
            code, out, _err = run(verifier, [short])
            print("info  %s on a 1024-bit RSA signature: exit %d, %s" % (
                verifier, code, out.strip().replace(short + ": ", "")))

    print("%d failed" % len(FAILURES) if FAILURES else "all DKIM verifier checks passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
