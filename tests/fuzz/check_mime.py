#!/usr/bin/python3
"""Round trip of fuzz_mime's kept messages through Python's email parser and python3-dkim.

    /usr/bin/python3 tests/fuzz/check_mime.py DIR      (scripts/fuzz.sh runs it after fuzz_mime)

DIR holds N.eml (what mvsmtp's MIME writer wrote) beside N.fields (the fuzzed inputs: one
"name hex" line per field; "dkim" is the signer's description "d=D s=S a=A c=C", empty when
the message was written unsigned; files without that line are unsigned, as before DKIM), and
dkim-<selector>.txt, the TXT text of each key record. A message whose N.fields says
"dkim-only" (a signed one whose fields the email parser cannot take: not UTF-8, control
characters) is checked for its signature alone. Each other message is parsed with
email.policy.default and must:
  - parse without defects (no missing/duplicate boundary, no bad base64/QP, no bad header);
  - give back the Subject, each extra header's value, the text and HTML bodies and every
    attachment's file name and bytes exactly (line ends normalised to LF, a header's blank
    runs to one space: folding and RFC 2047 may change those, nothing else);
  - signed: start with the DKIM-Signature field, whose d=, s=, a= and c= are the ones asked
    for, and verify with python3-dkim (Debian's, an implementation independent of ours); the
    key is looked up only as S._domainkey.D. and answered from dkim-S.txt, never from DNS;
  - unsigned: have no DKIM-Signature field (unless the fuzzed input added one as a header).
Prints one line per failure and a summary "check_mime: N messages (S signed, V verified),
M failures"; exit 1 on any failure or when DIR holds no message at all (the check must check
something) or no signed one while key records are present (the DKIM check must too)."""
import email
import email.policy
import glob
import os
import re
import sys

import dkim
import dkim.util

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from dkim_signature import one_line, verify_signature  # noqa: E402


SMTPUTF8_DEFECTS = {"NonASCIILocalPartDefect", "UndecodableBytesDefect"}
ADDRESS_HEADERS = {"from", "to", "cc", "reply-to"}
# A non-ASCII attachment name is also written as name="=?UTF-8?...?=" on Content-Type, beside
# the standard RFC 2231 filename*= on Content-Disposition, because Outlook reads only the
# former (Thunderbird writes the same). Python flags encoded words inside a quoted string; the
# round trip still compares the name through filename*=. test_message_fidelity tolerates the
# same two defects, and nothing else.
LEGACY_NAME_DEFECTS = {"encoded word inside quoted string", "missing trailing whitespace after encoded-word"}


def legacy_name_defect(header, raw_value, defect):
    """The one tolerated defect: Python on our legacy encoded-word name= (see above)."""
    return (header.lower() == "content-type" and str(defect) in LEGACY_NAME_DEFECTS
            and re.search(r'\bname="=\?UTF-8\?', raw_value) is not None)


def norm_header(s):
    return re.sub(r"\s+", " ", s).strip()


def norm_body(s):
    return s.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")


def read_fields(path):
    fields = []
    with open(path) as f:
        for line in f:
            name, _, value = line.rstrip("\n").partition(" ")
            fields.append((name, bytes.fromhex(value)))
    return fields


def check_dkim(raw, description, records):
    """Problems with the message's signature: description is what fuzz_mime signed with
    ("d=D s=S a=A c=C"), records {selector: TXT text}. Returns (problems, verified)."""
    want = dict(word.split("=", 1) for word in description.split())
    if not raw.startswith(b"DKIM-Signature:"):
        return ["signed, but the first field is not DKIM-Signature"], False
    d = dkim.DKIM(raw)
    signatures = [v for k, v in d.headers if k.lower() == b"dkim-signature"]
    try:
        tags = dkim.util.parse_tag_value(signatures[0])
    except dkim.util.InvalidTagValueList as e:
        return ["DKIM-Signature tags do not parse: %s" % one_line(e)], False
    problems = []
    for tag in ("d", "s", "a", "c"):
        got = tags.get(tag.encode(), b"").decode("ascii", "replace")
        if got != want.get(tag):
            problems.append("DKIM-Signature %s=%s, signed with %s=%s" % (tag, got, tag, want.get(tag)))
    if want["s"] not in records:
        return problems + ["no key record dkim-%s.txt" % want["s"]], False
    # Only the one name the signer published is answered: a d= or s= of the wrong signer
    # gets "missing public key" rather than a key it was not made with.
    key_name = ("%s._domainkey.%s." % (want["s"], want["d"])).encode("ascii")

    def dnsfunc(name, timeout=5):
        return records[want["s"]] if name.lower() == key_name.lower() else None

    ok, reason = verify_signature(raw, 0, dnsfunc)
    if not ok:
        problems.append("DKIM (%s) does not verify: %s" % (description, one_line(reason)))
    return problems, ok


def check(eml, fields, records):
    """Problems with one kept message; also whether it was signed and its signature verified."""
    problems = []
    with open(eml, "rb") as f:
        raw = f.read()
    signed_with = dict(fields).get("dkim", b"").decode("ascii")
    if "dkim-only" in dict(fields):
        # fields the email parser cannot take (not UTF-8, control characters): signature only
        problems, verified = check_dkim(raw, signed_with, records)
        return problems, True, verified
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    for part in msg.walk():
        for d in part.defects:
            problems.append("defect in %s: %s" % (part.get_content_type(), type(d).__name__))
        raw_headers = dict((n.lower(), v) for n, v in part.raw_items())
        for name, value in part.items():
            for d in getattr(value, "defects", ()):
                if legacy_name_defect(name, raw_headers.get(name.lower(), ""), d):
                    continue
                # raw UTF-8 in an address header is what SMTPUTF8 (RFC 6531) means; the parser
                # reads headers as ASCII, so it flags those bytes: expected, not a defect of ours
                if type(d).__name__ in SMTPUTF8_DEFECTS and name.lower() in ADDRESS_HEADERS:
                    continue
                problems.append("defect in header %s: %s" % (name, type(d).__name__))
    verified = False
    if signed_with:
        dkim_problems, verified = check_dkim(raw, signed_with, records)
        problems += dkim_problems
    else:
        custom = sum(1 for name, _ in fields if name.lower() == "header:dkim-signature")
        if len(msg.get_all("DKIM-Signature", [])) != custom:
            problems.append("unsigned, but it has a DKIM-Signature field")
    texts, htmls, atts = [], [], []
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.get_content_disposition() == "attachment" or part.get_filename() is not None:
            atts.append((part.get_filename() or "", part.get_payload(decode=True) or b""))
        elif part.get_content_type() == "text/html":
            htmls.append(part.get_content())
        elif part.get_content_type() == "text/plain":
            texts.append(part.get_content())
    want_atts = []
    for name, raw in fields:
        value = raw.decode("utf-8")
        if name == "subject":
            got = norm_header(str(msg.get("Subject", "")))
            if got != norm_header(value):
                problems.append("subject %r != %r" % (got[:80], norm_header(value)[:80]))
        elif name.startswith("header:"):
            h = name[len("header:"):]
            got = [norm_header(str(v)) for v in msg.get_all(h, [])]
            if norm_header(value) not in got:
                problems.append("header %s: %r not in %r" % (h, norm_header(value)[:80], [g[:80] for g in got]))
        elif name == "text" and value:
            if norm_body(value) not in [norm_body(t) for t in texts]:
                problems.append("text body differs (%d parts)" % len(texts))
        elif name == "html" and value:
            if norm_body(value) not in [norm_body(t) for t in htmls]:
                problems.append("html body differs (%d parts)" % len(htmls))
        elif name == "attachment-name":
            want_atts.append([value, None])
        elif name == "attachment-data":
            want_atts[-1][1] = raw
    got_data = [d for _, d in atts]
    for want_name, want_data in want_atts:
        if want_data not in got_data:
            problems.append("attachment %r: bytes differ or missing" % want_name[:40])
        if want_name and norm_header(want_name) not in [norm_header(n) for n, _ in atts]:
            problems.append("attachment name %r not in %r" % (want_name[:40], [n[:40] for n, _ in atts]))
    return problems, bool(signed_with), verified


def read_records(folder):
    """{selector: TXT text as bytes} from dkim-<selector>.txt."""
    records = {}
    for path in glob.glob(os.path.join(folder, "dkim-*.txt")):
        with open(path, "rb") as f:
            records[os.path.basename(path)[len("dkim-"):-len(".txt")]] = f.read()
    return records


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check_mime.py DIR")
    emls = sorted(glob.glob(os.path.join(sys.argv[1], "*.eml")), key=lambda p: int(os.path.basename(p)[:-4]))
    records = read_records(sys.argv[1])
    failures = signed = verified = 0
    for eml in emls:
        try:
            problems, was_signed, ok = check(eml, read_fields(eml[:-4] + ".fields"), records)
            signed += was_signed
            verified += ok
        except Exception as e:   # the parser itself choking is a failure of the round trip too
            problems = ["parser raised %s: %s" % (type(e).__name__, e)]
        if problems:
            failures += 1
            print("FAIL %s: %s" % (eml, "; ".join(problems[:4])))
    if records and emls and not signed:
        failures += 1
        print("FAIL %s: key records but no signed message: the DKIM check checked nothing" % sys.argv[1])
    print("check_mime: %d messages (%d signed, %d verified), %d failures" % (len(emls), signed, verified, failures))
    return 1 if failures or not emls else 0


if __name__ == "__main__":
    sys.exit(main())
