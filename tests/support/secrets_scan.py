"""secrets_scan.py — find secrets in texts: in clear, URL-encoded and base64 at every alignment.

    import sys; sys.path.insert(0, "<repo>/tests/support"); import secrets_scan
    found = secrets_scan.find_secrets({"s3cret-value...": "password"}, [("RESULT", text), ...])
    missed, false_hits = secrets_scan.selftest()      # both empty when the scanner works

Used by tests/oauth/test_oauth.py (case 8) and tests/secrets/scan_suite.py. A secret inside a
base64 string (AUTH PLAIN, XOAUTH2, a LOGIN answer) starts at byte offset 0, 1 or 2 of a 3-byte
group depending on what precedes it, so each alignment gives a different encoding: the scan
looks for the part of each encoding that lies wholly inside the secret (standard and base64url
alphabets). Patterns shorter than min_length (16) are dropped, since short ones match by
chance; pass a smaller min_length for a short secret whose clear form is distinctive enough.
Python standard library only."""
import base64
import secrets
import urllib.parse


def patterns_of(value, min_length=16):
    raw = value.encode("utf-8")
    pats = {value, urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)}
    for pad in (0, 1, 2):
        enc = base64.b64encode(b"\0" * pad + raw).decode()
        g_start = (pad + 2) // 3            # first 3-byte group that lies inside the value
        g_end = (pad + len(raw)) // 3       # groups that end inside it
        middle = enc[4 * g_start:4 * g_end]
        if len(middle) >= min_length:
            pats.add(middle)
            pats.add(middle.replace("+", "-").replace("/", "_"))   # base64url
    if min_length < 16:   # a short secret: its whole standalone encoding is distinctive too
        pats.add(base64.b64encode(raw).decode())
    return [p for p in pats if len(p) >= min_length]


def find_secrets(secret_map, texts, min_length=16):
    """secret_map: value -> label; texts: [(where, text)]. Returns [(label, where)] found."""
    found = []
    for value, label in secret_map.items():
        pats = patterns_of(value, min_length)
        for where, text in texts:
            if any(p in text for p in pats):
                found.append((label, where))
    return found


def selftest():
    """Plants a value in clear, URL-encoded and in base64 at every offset mod 3 (twice): returns
    (forms missed, false hits on unrelated base64). Both must be empty."""
    planted = "planted-" + secrets.token_urlsafe(30) + "/+=&"
    raw = planted.encode()
    forms = [("clear", "x " + planted + " y"), ("url", "a=" + urllib.parse.quote(planted, safe="") + "&b")]
    for k in range(6):   # an XOAUTH2-like string: the value at every offset mod 3, twice
        enc = base64.b64encode(b"user=a@b\x01auth=Bearer "[:k] + raw + b"\x01\x01").decode()
        forms.append(("base64 +%d" % k, "C: " + enc))
    missed = [name for name, text in forms if not find_secrets({planted: "planted"}, [(name, text)])]
    clean = find_secrets({planted: "planted"}, [("other", "C: " + base64.b64encode(b"other " * 20).decode())])
    return missed, clean, len(forms)
