#!/usr/bin/python3
"""`mvsmtp dkim check` and `mvsmtp dkim keygen` against the loopback rig's DNS (tests/testbed/rig.sh:
dnsmasq on 127.0.0.1:5353 publishes the DKIM key records, fault_servers.py answers SERVFAIL on
5355). Python standard library; tests/testbed/dkim_verify.py (python3-dkim) judges signatures.

    MVSMTP_BUILD_DIR=build /usr/bin/python3 tests/dkim/test_dkim_cli.py

check  the rig's selectors with the rig's keys: rsa and ed (and sel2 under other.example.test)
       match (exit 0); stale with rsa.key is a mismatch (91); revoked is revoked (92); a selector
       with no record is not found (90); a DNS answering SERVFAIL is unavailable (21); the
       1024-bit key and a key file others can read are refused (89, 82); --profile finds the
       key covering a domain (a subdomain too), a profile without one is 66; usage errors 60
keygen rsa and ed25519: a new file of mode 0600; the private key never reaches stdout; the
       zone-file record has strings of at most 255 octets that concatenate to a record of the
       key: a message `mvsmtp send --outbox` signs with the new key passes dkim_verify.py given
       that record (--record), and fails with the rig's rsa record; an existing file is never
       overwritten; --bits 1024 and --bits with ed25519 are refused and leave no file

One line per check ("ok"/"FAIL"), then "N passed, N failed". Exit 0 when all pass, 1 when one
fails, 77 (skipped) when the rig's DNS is not running, the CLI is not built or the rig's keys
cannot be read.
"""
import glob
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from rig_paths import CLI, TESTBED, reachable  # noqa: E402

CLI = os.path.abspath(CLI)  # keygen's default --out is tested from another folder

KEYS = os.path.join(TESTBED, "dkim")
DNS = "127.0.0.1:5353"
SERVFAIL_DNS = "127.0.0.1:5355"
VERIFY = ["/usr/bin/python3", os.path.join(ROOT, "tests", "testbed", "dkim_verify.py")]

PASSED = []
FAILED = []


def check(label, ok, detail=""):
    print(("ok    " if ok else "FAIL  ") + label + ("" if ok else "\n      " + detail.replace("\n", "\n      ")))
    (PASSED if ok else FAILED).append(label)


def mvsmtp(*args, cwd=None):
    r = subprocess.run([CLI] + list(args), capture_output=True, text=True, cwd=cwd, timeout=120)
    return r.returncode, r.stdout, r.stderr


def dkim_check(*args):
    return mvsmtp("dkim", "check", "--dns-server", DNS, "--dns-timeout", "10", *args)


def key(name):
    return os.path.join(KEYS, name)


def published(selector, domain="example.test"):
    with open(os.path.join(KEYS, "%s.%s.txt" % (selector, domain))) as f:
        return f.read().strip()


# ---------------------------------------------------------------- check

def test_check_verdicts():
    cases = [  # label, domain, selector, key file, exit status, verdict
        ("rsa with rsa.key", "example.test", "rsa", "rsa.key", 0, "match"),
        ("ed with ed25519.key", "example.test", "ed", "ed25519.key", 0, "match"),
        ("sel2 with other.key", "other.example.test", "sel2", "other.key", 0, "match"),
        ("stale with rsa.key", "example.test", "stale", "rsa.key", 91, "mismatch"),
        ("ed with rsa.key", "example.test", "ed", "rsa.key", 91, "mismatch"),
        ("revoked with rsa.key", "example.test", "revoked", "rsa.key", 92, "revoked"),
        ("no such selector", "example.test", "nosuch%d" % os.getpid(), "rsa.key", 90, "not found"),
    ]
    for label, domain, selector, keyfile, status, verdict in cases:
        rc, out, err = dkim_check("--domain", domain, "--selector", selector, "--key", key(keyfile))
        detail = "exit %d\n%s%s" % (rc, out, err)
        check("check %s: exit %d" % (label, status), rc == status, detail)
        check("check %s: asks %s._domainkey.%s" % (label, selector, domain),
              "Asked:     TXT %s._domainkey.%s -> " % (selector, domain) in out, detail)
        check("check %s: verdict %s" % (label, verdict), ("Verdict:   %s: " % verdict) in out, detail)
        if status in (0, 91, 92):
            check("check %s: prints the record as published" % label,
                  "Record:    " + published(selector, domain) + "\n" in out, detail)
        # What to publish is the public key: said for every failure but a DNS one.
        check("check %s: says what to publish only when it is not there" % label,
              ("To publish this key:" in out) == (status != 0), detail)
        check("check %s: no private key on any output" % label, "PRIVATE KEY" not in out + err, detail)
    rc, out, err = dkim_check("--domain", "example.test", "--selector", "nosuch", "--key", key("rsa.key"))
    check("check no such selector: NXDOMAIN", "-> NXDOMAIN" in out, out)


def test_check_dns_unavailable():
    rc, out, err = mvsmtp("dkim", "check", "--dns-server", SERVFAIL_DNS, "--dns-timeout", "10",
                          "--domain", "example.test", "--selector", "rsa", "--key", key("rsa.key"))
    detail = "exit %d\n%s%s" % (rc, out, err)
    check("check via a SERVFAIL server: exit 21", rc == 21, detail)
    check("check via a SERVFAIL server: verdict DNS unavailable", "Verdict:   DNS unavailable: " in out, detail)
    check("check via a SERVFAIL server: names the resolver", "Resolver:  " + SERVFAIL_DNS in out, detail)


def test_check_bad_keys(tmp):
    rc, out, err = dkim_check("--domain", "example.test", "--selector", "short", "--key", key("rsa1024.key"))
    check("check with the 1024-bit key: exit 89 DKIM.KEY", rc == 89, "exit %d\n%s%s" % (rc, out, err))
    shared = os.path.join(tmp, "shared.key")
    shutil.copy(key("rsa.key"), shared)
    os.chmod(shared, 0o644)
    rc, out, err = dkim_check("--domain", "example.test", "--selector", "rsa", "--key", shared)
    check("check with a key others can read: exit 82 CONFIG.INSECURE", rc == 82, "exit %d\n%s%s" % (rc, out, err))
    check("check with a key others can read: says chmod 600", "chmod 600" in err, err)
    rc, out, err = dkim_check("--domain", "example.test", "--selector", "rsa", "--key", os.path.join(tmp, "none.key"))
    check("check with a missing key file: exit 89", rc == 89, "exit %d\n%s%s" % (rc, out, err))


def test_check_profile(tmp):
    ini = os.path.join(tmp, "mvsmtp.ini")
    with open(ini, "w") as f:
        f.write("[signer]\ndkim_domain = example.test\ndkim_selector = rsa\ndkim_key_file = %s\n"
                "[plain]\nfrom = a@example.test\n"
                "[two]\ndkim_domain = example.test, other.example.test\ndkim_selector = rsa, sel2\n"
                "dkim_key_file = %s, %s\n" % (key("rsa.key"), key("rsa.key"), key("other.key")))
    os.chmod(ini, 0o600)
    rc, out, err = dkim_check("--domain", "example.test", "--profile", "signer", "--config", ini)
    detail = "exit %d\n%s%s" % (rc, out, err)
    check("check --profile: the profile's selector and key match (exit 0)", rc == 0, detail)
    check("check --profile: says which key the profile signs with",
          "Profile:   [signer] signs example.test's mail with d=example.test s=rsa key " + key("rsa.key") in out, detail)
    rc, out, err = dkim_check("--domain", "sub.example.test", "--profile", "signer", "--config", ini)
    check("check --profile: a subdomain is checked at its signing domain (exit 0)",
          rc == 0 and "TXT rsa._domainkey.example.test" in out, "exit %d\n%s%s" % (rc, out, err))
    rc, out, err = dkim_check("--domain", "example.test", "--selector", "stale", "--profile", "signer", "--config", ini)
    check("check --profile --selector stale: mismatch (exit 91)", rc == 91, "exit %d\n%s%s" % (rc, out, err))
    rc, out, err = dkim_check("--domain", "example.test", "--profile", "plain", "--config", ini)
    check("check --profile without dkim keys: exit 66 BAD.OPTION", rc == 66, "exit %d\n%s%s" % (rc, out, err))
    check("check --profile without dkim keys: says so", "has no DKIM key for example.test" in err, err)
    # Without --domain: the profile's one DKIM domain; with several, the caller must choose.
    rc, out, err = dkim_check("--profile", "signer", "--config", ini)
    check("check --profile, no --domain, one dkim_domain: that domain is checked (exit 0)",
          rc == 0 and "TXT rsa._domainkey.example.test" in out, "exit %d\n%s%s" % (rc, out, err))
    rc, out, err = dkim_check("--profile", "two", "--config", ini)
    check("check --profile, no --domain, two dkim_domains: exit 60 naming both",
          rc == 60 and "example.test" in err and "other.example.test" in err, "exit %d\n%s%s" % (rc, out, err))
    rc, out, err = dkim_check("--domain", "other.example.test", "--profile", "two", "--config", ini)
    check("check --profile two --domain other.example.test: sel2 with other.key (exit 0)",
          rc == 0 and "TXT sel2._domainkey.other.example.test" in out, "exit %d\n%s%s" % (rc, out, err))
    rc, out, err = dkim_check("--profile", "plain", "--config", ini)
    check("check --profile without dkim keys, no --domain: exit 66", rc == 66, "exit %d\n%s%s" % (rc, out, err))


def test_check_usage():
    for label, args in [("no key", ["--domain", "example.test", "--selector", "rsa"]),
                        ("--key without --selector", ["--domain", "example.test", "--key", key("rsa.key")]),
                        ("no domain", ["--selector", "rsa", "--key", key("rsa.key")]),
                        ("--key and --profile", ["--domain", "example.test", "--selector", "rsa",
                                                 "--key", key("rsa.key"), "--profile", "x"])]:
        rc, out, err = dkim_check(*args)
        check("check usage, %s: exit 60" % label, rc == 60, "exit %d\n%s%s" % (rc, out, err))
    rc, out, err = dkim_check("--domain", "bad domain!", "--selector", "rsa", "--key", key("rsa.key"))
    check("check a domain that is no domain: exit 62", rc == 62, "exit %d\n%s%s" % (rc, out, err))
    rc, out, err = mvsmtp("dkim", "--help")
    check("dkim --help: exit 0 and both subcommands",
          rc == 0 and "mvsmtp dkim keygen" in out and "mvsmtp dkim check" in out, out + err)
    rc, out, err = mvsmtp("--help")
    check("mvsmtp --help lists dkim", "mvsmtp dkim keygen" in out and "mvsmtp dkim check" in out, out)


# ---------------------------------------------------------------- keygen

def zone_record(out, name):
    """The TXT value of the zone-file record for name in keygen's output, and its strings."""
    m = re.search(re.escape(name) + r"\. IN TXT \((.*?)\)\n", out, re.S)
    if not m:
        return None, []
    strings = [re.sub(r"\\(.)", r"\1", s) for s in re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))]
    return "".join(strings), strings


def signed_message(tmp, label, keyfile, domain, selector):
    """A message `mvsmtp send` signs with keyfile into a fresh outbox; its path (or None)."""
    outbox = os.path.join(tmp, "outbox-" + label)
    config = os.path.join(tmp, "empty.ini")   # no profile server: the message goes to the outbox
    open(config, "a").close()
    rc, out, err = mvsmtp("send", "--config", config, "--outbox", outbox, "--dkim-domain", domain,
                          "--dkim-selector", selector, "--dkim-key", keyfile, "--from", "a@" + domain,
                          "--to", "b@example.test", "--subject", "x", "--body", "y")
    files = sorted(glob.glob(os.path.join(outbox, "*.eml")))   # beside each: its .envelope
    check("keygen %s: send --outbox signs with the new key" % label,
          rc == 0 and "DKIM:" in out and len(files) == 1, "exit %d\n%s%s\n%s" % (rc, out, err, files))
    return files[0] if len(files) == 1 else None


def test_keygen(tmp, label, extra, key_type):
    domain, selector = "example.test", "kg-%s-%d" % (label, os.getpid())
    name = "%s._domainkey.%s" % (selector, domain)
    out_path = os.path.join(tmp, label + ".key")
    rc, out, err = mvsmtp("dkim", "keygen", "--domain", domain, "--selector", selector, "--out", out_path, *extra)
    detail = "exit %d\n%s%s" % (rc, out, err)
    check("keygen %s: exit 0" % label, rc == 0, detail)
    if rc != 0:
        return
    mode = stat.S_IMODE(os.stat(out_path).st_mode)
    check("keygen %s: the key file is mode 0600" % label, mode == 0o600, oct(mode))
    with open(out_path) as f:
        pem = f.read()
    check("keygen %s: the file is a PKCS#8 PEM" % label, pem.startswith("-----BEGIN PRIVATE KEY-----\n"), pem[:40])
    body = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    check("keygen %s: no private key material on stdout or stderr" % label,
          "PRIVATE KEY" not in out + err and not any(line in out + err for line in body), out)
    value, strings = zone_record(out, name)
    check("keygen %s: prints the zone-file record for %s" % (label, name), value is not None, out)
    if value is None:
        return
    check("keygen %s: each string is at most 255 octets" % label, all(len(s) <= 255 for s in strings),
          str([len(s) for s in strings]))
    check("keygen %s: the record is v=DKIM1; k=%s; p=..." % (label, key_type),
          value.startswith("v=DKIM1; k=%s; p=" % key_type), value)
    check("keygen %s: prints the profile lines" % label,
          "dkim_domain   = %s\ndkim_selector = %s\ndkim_key_file = %s\n" % (domain, selector, out_path) in out, out)

    # The record printed publishes the key written: a signature by that key verifies with it.
    eml = signed_message(tmp, label, out_path, domain, selector)
    if eml:
        r = subprocess.run(VERIFY + ["--record", "%s=%s" % (name, value), eml], capture_output=True, text=True)
        check("keygen %s: dkim_verify.py passes the signature with the printed record" % label,
              r.returncode == 0 and ("pass d=%s s=%s" % (domain, selector)) in r.stdout, r.stdout + r.stderr)
        r = subprocess.run(VERIFY + ["--expect-fail", "--record", "%s=%s" % (name, published("rsa")), eml],
                           capture_output=True, text=True)
        check("keygen %s: and fails it with another key's record" % label, r.returncode == 0, r.stdout + r.stderr)

    # Never over an existing file: the key stays as it was.
    rc, out2, err2 = mvsmtp("dkim", "keygen", "--domain", domain, "--selector", selector, "--out", out_path, *extra)
    with open(out_path) as f:
        unchanged = f.read() == pem
    check("keygen %s again to the same file: refused (exit 60), key unchanged" % label,
          rc == 60 and unchanged and "already exists" in err2, "exit %d\n%s%s" % (rc, out2, err2))


def test_keygen_default_path_and_refusals(tmp):
    work = os.path.join(tmp, "cwd")
    os.mkdir(work)
    rc, out, err = mvsmtp("dkim", "keygen", "--domain", "Example.TEST", "--selector", "def", "--type", "ed25519", cwd=work)
    path = os.path.join(work, "def._domainkey.example.test.key")
    check("keygen default --out: ./S._domainkey.D.key", rc == 0 and os.path.isfile(path),
          "exit %d\n%s%s\n%s" % (rc, out, err, os.listdir(work)))
    for label, args in [("--bits 1024", ["--bits", "1024"]),
                        ("--bits with ed25519", ["--type", "ed25519", "--bits", "2048"]),
                        ("--type dsa", ["--type", "dsa"]),
                        ("no --selector", None)]:
        target = os.path.join(tmp, "refused.key")
        argv = ["dkim", "keygen", "--domain", "example.test", "--out", target]
        argv += ["--selector", "x"] + args if args is not None else []
        rc, out, err = mvsmtp(*argv)
        check("keygen %s: refused (exit 60), no file" % label, rc == 60 and not os.path.exists(target),
              "exit %d\n%s%s" % (rc, out, err))
    rc, out, err = mvsmtp("dkim", "keygen", "--domain", "example.test", "--selector", "x",
                          "--out", os.path.join(tmp, "no", "such", "dir.key"))
    check("keygen into a missing folder: exit 60 with the reason", rc == 60 and "No such file" in err,
          "exit %d\n%s%s" % (rc, out, err))


def main():
    if not os.access(CLI, os.X_OK):
        print("skipped: no mvsmtp program at %s (build first, or set MVSMTP_BUILD_DIR)" % CLI)
        return 77
    if not reachable(5353):
        print("skipped: the rig's DNS (127.0.0.1:5353) is not running (tests/testbed/rig.sh start)")
        return 77
    if not os.access(key("rsa.key"), os.R_OK):
        print("skipped: cannot read the rig's DKIM keys in %s (root only)" % KEYS)
        return 77
    tmp = tempfile.mkdtemp(prefix="mvsmtp-dkim-cli-")
    try:
        test_check_verdicts()
        test_check_dns_unavailable()
        test_check_bad_keys(tmp)
        test_check_profile(tmp)
        test_check_usage()
        test_keygen(tmp, "rsa", [], "rsa")
        test_keygen(tmp, "rsa3072", ["--type", "rsa", "--bits", "3072"], "rsa")
        test_keygen(tmp, "ed25519", ["--type", "ed25519"], "ed25519")
        test_keygen_default_path_and_refusals(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (len(PASSED), len(FAILED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
