#!/usr/bin/python3
"""Independent MIME check for the mvsmtp tests: parse one RFC 5322 message with Python's
email package (policy=email.policy.default) and print ONE JSON object describing it.

    inspect_message.py MESSAGE-FILE

Top level:
  size, headers            [[name, decoded value], ...] in file order
  raw_headers              {lower-case name: ["Name: raw value (folding kept)", ...]}
  subject, from            subject decoded; from = {display_name, address} (first From address)
  to, cc                   [{display_name, address}, ...]
  has_bcc_header, message_id, date, date_valid, mime_version
  defects                  ["<part path>: <DefectClass>: <text>", ...] over all parts and headers
  max_line_octets          longest line of the raw file, line ending excluded
  bare_lf, bare_cr         true if some line ends in LF without CR / CR without LF
  line_endings             {"crlf": n, "lf": n (bare), "cr": n (bare)}
  parts                    leaf parts in order: {path, content_type, charset, filename, name,
                           disposition, transfer_encoding, content_id, size, sha256, text,
                           raw_headers}
                           size/sha256 are of the DECODED payload; text only for text/* parts
                           whose decoded size is < 64 KiB (CRLF shown as LF). message/rfc822 parts are leaves
                           (size/sha256 of the embedded message bytes).

Note: Postfix stores Maildir files with LF line endings, so bare_lf is expected to be true for
its deliveries; the aiosmtpd capture keeps the client's line endings exactly.
"""
import codecs
import email
import email.policy
import hashlib
import json
import sys

TEXT_LIMIT = 64 * 1024


def clean(value):
    """JSON-safe text: undecodable bytes (surrogate escapes) become U+FFFD."""
    if value is None:
        return None
    value = str(value)
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def line_stats(data):
    crlf = data.count(b"\r\n")
    bare_lf = data.count(b"\n") - crlf
    bare_cr = data.count(b"\r") - crlf
    longest = 0
    # bytes.split is C speed even for tens of megabytes
    for line in data.split(b"\n"):
        n = len(line)
        if n and line[-1] == 13:  # CR of a CRLF ending
            n -= 1
        if n > longest:
            longest = n
    return longest, {"crlf": crlf, "lf": bare_lf, "cr": bare_cr}


def addresses(msg, name):
    out = []
    for header in msg.get_all(name, []):
        try:
            for a in header.addresses:
                out.append({"display_name": clean(a.display_name), "address": clean(a.addr_spec)})
        except Exception as e:  # unparsable address header: keep the text visible
            out.append({"display_name": None, "address": None, "error": clean(repr(e)),
                        "value": clean(header)})
    return out


def header_value(msg, name):
    try:
        v = msg[name]
    except Exception as e:
        return "<unparsable: %r>" % (e,)
    return None if v is None else clean(str(v))


def raw_header_lines(msg):
    out = {}
    for name, value in msg.raw_items():
        out.setdefault(name.lower(), []).append(clean("%s: %s" % (name, value)))
    return out


def decoded_headers(msg):
    out = []
    for name, value in msg.raw_items():
        try:
            decoded = str(msg.policy.header_fetch_parse(name, value))
        except Exception as e:
            decoded = "<unparsable: %r>" % (e,)
        out.append([clean(name), clean(decoded)])
    return out


def collect_defects(part, path, sink):
    where = path or "message"
    for d in part.defects:
        sink.append(clean("%s: %s: %s" % (where, type(d).__name__, d)))
    for name, value in part.raw_items():
        try:
            h = part.policy.header_fetch_parse(name, value)
        except Exception as e:
            sink.append(clean("%s: header %s: %r" % (where, name, e)))
            continue
        for d in getattr(h, "defects", ()):
            sink.append(clean("%s: header %s: %s: %s" % (where, name, type(d).__name__, d)))


def describe_leaf(part, path):
    ctype = part.get_content_type()
    if ctype == "message/rfc822" or part.is_multipart():
        inner = part.get_payload()
        if isinstance(inner, list):
            inner = inner[0] if inner else None
        payload = inner.as_bytes() if inner is not None else b""
    else:
        payload = part.get_payload(decode=True) or b""
    cte = part.get("content-transfer-encoding")
    try:
        filename = part.get_filename()
    except Exception:
        filename = None
    try:
        name = part["content-type"].params.get("name") if part["content-type"] else None
    except Exception:
        name = None
    info = {
        "path": path or "1",
        "content_type": ctype,
        "charset": part.get_content_charset(),
        "filename": clean(filename),
        "name": clean(name),
        "disposition": part.get_content_disposition(),
        "transfer_encoding": str(cte).strip().lower() if cte is not None else None,
        "content_id": header_value(part, "content-id"),
        "size": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
        "text": None,
        "raw_headers": [clean("%s: %s" % (n, v)) for n, v in part.raw_items()],
    }
    if part.get_content_maintype() == "text" and len(payload) < TEXT_LIMIT:
        try:
            info["text"] = clean(part.get_content()).replace("\r\n", "\n")
        except Exception:
            info["text"] = payload.decode(info["charset"] or "ascii", "replace") \
                if _known_codec(info["charset"]) else payload.decode("utf-8", "replace")
            info["text"] = info["text"].replace("\r\n", "\n")
    return info


def _known_codec(name):
    try:
        codecs.lookup(name or "ascii")
        return True
    except LookupError:
        return False


def walk(part, path, parts, defects):
    collect_defects(part, path, defects)
    if part.is_multipart() and part.get_content_type() != "message/rfc822":
        for i, child in enumerate(part.get_payload(), 1):
            walk(child, "%s.%d" % (path, i) if path else str(i), parts, defects)
        return
    if part.get_content_type() == "message/rfc822":
        # report the embedded message's own defects, but list it as one leaf
        for sub in part.walk():
            if sub is not part:
                collect_defects(sub, (path or "1") + ".rfc822", defects)
    parts.append(describe_leaf(part, path))


def inspect(data):
    msg = email.message_from_bytes(data, policy=email.policy.default)
    longest, endings = line_stats(data)
    from_list = addresses(msg, "from")
    date = msg["date"] if "date" in msg else None
    parts, defects = [], []
    walk(msg, "", parts, defects)
    return {
        "size": len(data),
        "headers": decoded_headers(msg),
        "raw_headers": raw_header_lines(msg),
        "subject": header_value(msg, "subject"),
        "from": from_list[0] if from_list else None,
        "to": addresses(msg, "to"),
        "cc": addresses(msg, "cc"),
        "has_bcc_header": "bcc" in msg,
        "message_id": header_value(msg, "message-id"),
        "date": clean(str(date)) if date is not None else None,
        "date_valid": bool(date is not None and getattr(date, "datetime", None) is not None),
        "mime_version": header_value(msg, "mime-version"),
        "defects": defects,
        "max_line_octets": longest,
        "bare_lf": endings["lf"] > 0,
        "bare_cr": endings["cr"] > 0,
        "line_endings": endings,
        "parts": parts,
    }


def main(argv):
    if len(argv) != 2:
        print("usage: inspect_message.py MESSAGE-FILE", file=sys.stderr)
        return 2
    try:
        with open(argv[1], "rb") as f:
            data = f.read()
    except OSError as e:
        print("inspect_message.py: %s" % (e,), file=sys.stderr)
        return 1
    result = inspect(data)
    sys.stdout.buffer.write(json.dumps(result, ensure_ascii=False).encode("utf-8") + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
