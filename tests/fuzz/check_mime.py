#!/usr/bin/python3
"""Round trip of fuzz_mime's kept messages through Python's email parser.

    /usr/bin/python3 tests/fuzz/check_mime.py DIR      (scripts/fuzz.sh runs it after fuzz_mime)

DIR holds N.eml (what mvsmtp's MIME writer wrote) beside N.fields (the fuzzed inputs: one
"name hex" line per field). Each message is parsed with email.policy.default and must:
  - parse without defects (no missing/duplicate boundary, no bad base64/QP, no bad header);
  - give back the Subject, each extra header's value, the text and HTML bodies and every
    attachment's file name and bytes exactly (line ends normalised to LF, a header's blank
    runs to one space: folding and RFC 2047 may change those, nothing else).
Prints one line per failure and a summary "check_mime: N messages, M failures"; exit 1 on any
failure or when DIR holds no message at all (the check must check something)."""
import email
import email.policy
import glob
import os
import re
import sys


SMTPUTF8_DEFECTS = {"NonASCIILocalPartDefect", "UndecodableBytesDefect"}
ADDRESS_HEADERS = {"from", "to", "cc", "reply-to"}


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


def check(eml, fields):
    problems = []
    with open(eml, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    for part in msg.walk():
        for d in part.defects:
            problems.append("defect in %s: %s" % (part.get_content_type(), type(d).__name__))
        for name, value in part.items():
            for d in getattr(value, "defects", ()):
                # raw UTF-8 in an address header is what SMTPUTF8 (RFC 6531) means; the parser
                # reads headers as ASCII, so it flags those bytes: expected, not a defect of ours
                if type(d).__name__ in SMTPUTF8_DEFECTS and name.lower() in ADDRESS_HEADERS:
                    continue
                problems.append("defect in header %s: %s" % (name, type(d).__name__))
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
    return problems


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check_mime.py DIR")
    emls = sorted(glob.glob(os.path.join(sys.argv[1], "*.eml")), key=lambda p: int(os.path.basename(p)[:-4]))
    failures = 0
    for eml in emls:
        try:
            problems = check(eml, read_fields(eml[:-4] + ".fields"))
        except Exception as e:   # the parser itself choking is a failure of the round trip too
            problems = ["parser raised %s: %s" % (type(e).__name__, e)]
        if problems:
            failures += 1
            print("FAIL %s: %s" % (eml, "; ".join(problems[:4])))
    print("check_mime: %d messages, %d failures" % (len(emls), failures))
    return 1 if failures or not emls else 0


if __name__ == "__main__":
    sys.exit(main())
