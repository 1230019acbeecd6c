#!/usr/bin/python3
"""Checks the DNS the loopback test rig serves (tests/testbed/rig.sh; standard library only).

Every record of rig.sh's dns_records is asked from dnsmasq (127.0.0.1:5353, over UDP and over
TCP) and compared with what tests of direct (MX) delivery rely on: MX sets, host addresses,
NODATA for names with other types only, NXDOMAIN for unknown names, SERVFAIL for
dnsdown.example.test; the DKIM key records (each one TXT record whose strings concatenate to
$MVSMTP_TESTBED/dkim/<selector>.<domain>.txt; an RSA 2048 record needs two strings); then the
fault servers of fault_servers.py: 127.0.0.1:5355 answers SERVFAIL (ID and question echoed),
127.0.0.1:5356 never answers.

    /usr/bin/python3 tests/testbed/check_dns.py          # one line per check, exit 1 on a mismatch
    /usr/bin/python3 tests/testbed/check_dns.py --show   # also every answer as served

Exit 77 (skipped) when dnsmasq's TCP port is closed (rig not running).
"""
import base64
import os
import random
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "support"))
from rig_paths import TESTBED, reachable  # noqa: E402

DNSMASQ = ("127.0.0.1", 5353)
SERVFAIL_DNS = ("127.0.0.1", 5355)
SILENT_DNS = ("127.0.0.1", 5356)
TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


class NoAnswer(Exception):
    pass


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\0"


def decode_name(msg, pos):
    """(name, offset after it); "." for the root; follows compression pointers."""
    labels, end, hops = [], None, 0
    while True:
        n = msg[pos]
        if n & 0xC0 == 0xC0:
            if end is None:
                end = pos + 2
            pos = ((n & 0x3F) << 8) | msg[pos + 1]
            hops += 1
            if hops > 50:
                raise ValueError("compression loop")
            continue
        if n == 0:
            pos += 1
            break
        labels.append(msg[pos + 1:pos + 1 + n].decode("ascii", "replace"))
        pos += 1 + n
    return (".".join(labels) if labels else "."), (end if end is not None else pos)


def rdata(msg, rtype, pos, length):
    data = msg[pos:pos + length]
    if rtype == 1:
        return socket.inet_ntop(socket.AF_INET, data)
    if rtype == 28:
        return socket.inet_ntop(socket.AF_INET6, data)
    if rtype == 15:
        return (struct.unpack("!H", data[:2])[0], decode_name(msg, pos + 2)[0])
    if rtype in (2, 5):
        return decode_name(msg, pos)[0]
    if rtype == 16:
        # the character-strings as served: how a long value was split is part of the check
        strings, i = [], 0
        while i < len(data):
            strings.append(data[i + 1:i + 1 + data[i]].decode("utf-8", "replace"))
            i += 1 + data[i]
        return tuple(strings)
    if rtype == 6:
        return decode_name(msg, pos)[0]
    return data.hex()


def parse(msg, qid):
    got_id, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
    if got_id != qid:
        raise ValueError("answer ID %d for query ID %d" % (got_id, qid))
    pos = 12
    question = []
    for _ in range(qd):
        name, pos = decode_name(msg, pos)
        qtype, qclass = struct.unpack("!HH", msg[pos:pos + 4])
        question.append((name, qtype, qclass))
        pos += 4
    sections = []
    for count in (an, ns):
        records = []
        for _ in range(count):
            name, pos = decode_name(msg, pos)
            rtype, _rclass, ttl, length = struct.unpack("!HHIH", msg[pos:pos + 10])
            pos += 10
            records.append((name, rtype, rdata(msg, rtype, pos, length)))
            pos += length
        sections.append(records)
    return {"flags": flags, "rcode": RCODES.get(flags & 0xF, str(flags & 0xF)),
            "question": question, "answer": sections[0], "authority": sections[1]}


def query(name, qtype, server=DNSMASQ, tcp=False, timeout=3.0):
    qid = random.randrange(1, 0xFFFF)
    msg = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + encode_name(name) + \
        struct.pack("!HH", TYPES[qtype], 1)
    try:
        if tcp:
            with socket.create_connection(server, timeout=timeout) as s:
                s.sendall(struct.pack("!H", len(msg)) + msg)
                data = b""
                while len(data) < 2 or len(data) < 2 + struct.unpack("!H", data[:2])[0]:
                    chunk = s.recv(65535)
                    if not chunk:
                        raise NoAnswer("connection closed without an answer")
                    data += chunk
                return parse(data[2:], qid)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.sendto(msg, server)
            return parse(s.recvfrom(65535)[0], qid)
    except socket.timeout:
        raise NoAnswer("no answer within %.1f s" % timeout)


FAILURES = []
SHOW = "--show" in sys.argv


def check(label, ok, detail=""):
    print(("ok    " if ok else "FAIL  ") + label + ("" if ok else "  -- " + detail))
    if not ok:
        FAILURES.append(label)


def answers(r, qtype):
    return sorted(rd for _n, t, rd in r["answer"] if t == TYPES[qtype])


def expect(name, qtype, rcode="NOERROR", records=None):
    """records: the exact sorted answers of type qtype; [] means NODATA."""
    for tcp in (False, True):
        label = "%s %s (%s)" % (name, qtype, "tcp" if tcp else "udp")
        try:
            r = query(name, qtype, tcp=tcp)
        except (NoAnswer, OSError, ValueError) as e:
            check(label, False, str(e))
            continue
        got = answers(r, qtype)
        if SHOW:
            print("      %s %s" % (r["rcode"], got))
        ok = r["rcode"] == rcode and (records is None or got == sorted(records))
        check(label + " -> %s %s" % (rcode, "" if records is None else sorted(records)), ok,
              "served %s %s" % (r["rcode"], got))


# DKIM key records of rig.sh's DKIM_RECORDS: (selector, domain, k=, octets of the decoded p=).
# An RSA public key is published as its SubjectPublicKeyInfo DER (294 octets for 2048 bits,
# 162 for 1024), an Ed25519 key as its raw 32 octets (RFC 8463 section 4.2).
DKIM_RECORDS = [("rsa", "example.test", "rsa", 294), ("ed", "example.test", "ed25519", 32),
                ("sel2", "other.example.test", "rsa", 294), ("stale", "example.test", "rsa", 294),
                ("revoked", "example.test", "rsa", 0), ("short", "example.test", "rsa", 162)]


def dkim_tags(text):
    """The tag=value list of a DKIM record (RFC 6376 section 3.2) as a dict."""
    tags = (part.split("=", 1) for part in text.split(";") if "=" in part)
    return {k.strip(): "".join(v.split()) for k, v in tags}


def expect_dkim(selector, domain, k, octets):
    """One TXT record at <selector>._domainkey.<domain>, the concatenation of its strings equal
    to the copy rig.sh wrote, and that copy a key of type k whose p= decodes to octets bytes."""
    name = "%s._domainkey.%s" % (selector, domain)
    path = os.path.join(TESTBED, "dkim", "%s.%s.txt" % (selector, domain))
    try:
        with open(path) as f:
            want = f.read().rstrip("\n")
        tags = dkim_tags(want)
        key = base64.b64decode(tags.get("p", ""), validate=True)
        check("%s: %s key of %d octets" % (path, k, octets),
              tags.get("v") == "DKIM1" and tags.get("k") == k and len(key) == octets,
              "holds %r" % want)
    except (OSError, ValueError) as e:
        check(path, False, str(e))
        return
    for tcp in (False, True):
        # a string carries at most 255 octets: a longer record can only come as several
        label = "%s TXT (%s) -> strings joined = %s" % (name, "tcp" if tcp else "udp",
                                                        os.path.basename(path))
        try:
            r = query(name, "TXT", tcp=tcp)
        except (NoAnswer, OSError, ValueError) as e:
            check(label, False, str(e))
            continue
        got = answers(r, "TXT")
        if SHOW:
            print("      %s %s" % (r["rcode"], got))
        check(label, r["rcode"] == "NOERROR" and len(got) == 1 and "".join(got[0]) == want,
              "served %s %s" % (r["rcode"], got))


def main():
    if not reachable(DNSMASQ[1]):
        print("skipped: dnsmasq 127.0.0.1:5353 not reachable (run tests/testbed/rig.sh start)")
        return 77
    # the records that were there before issue 10
    expect("example.test", "MX", records=[(10, "mx1.example.test"), (20, "mx2.example.test")])
    expect("example.test", "TXT", records=[("v=spf1 ip4:127.0.0.0/8 -all",)])
    expect("badmx.example.test", "MX", records=[(5, "nonexistent.example.test")])
    expect("nonexistent.example.test", "A", "NXDOMAIN", [])
    for host, addr in (("mail", "127.0.0.1"), ("mx1", "127.0.0.2"), ("mx2", "127.0.0.3"),
                       ("mx-refuse", "127.0.0.4"), ("mx-defer", "127.0.0.5"),
                       ("mx-nosender", "127.0.0.6"), ("mx-strict", "127.0.0.7"),
                       ("mx-silent", "127.0.0.9")):
        expect(host + ".example.test", "A", records=[addr])
    expect("mx1.example.test", "AAAA", records=[])          # IPv4 only: NODATA
    # direct-delivery scenarios
    expect("refused.example.test", "MX",
           records=[(10, "mx-refuse.example.test"), (20, "mx1.example.test")])
    expect("deferred.example.test", "MX",
           records=[(10, "mx-defer.example.test"), (20, "mx1.example.test")])
    expect("silent.example.test", "MX",
           records=[(10, "mx-silent.example.test"), (20, "mx1.example.test")])
    expect("unreachable.example.test", "MX",
           records=[(10, "mx-refuse.example.test"), (20, "mx-defer.example.test")])
    expect("nullmx.example.test", "MX", records=[(0, ".")])  # RFC 7505 null MX
    expect("nomx.example.test", "MX", records=[])
    expect("nomx.example.test", "A", records=["127.0.0.2"])
    expect("noaddress.example.test", "MX", records=[])
    expect("noaddress.example.test", "A", records=[])
    expect("noaddress.example.test", "AAAA", records=[])
    expect("noaddress.example.test", "TXT", records=[("exists but has no MX and no address",)])
    expect("nosender.example.test", "MX", records=[(10, "mx-nosender.example.test")])
    expect("strict.example.test", "MX", records=[(10, "mx-strict.example.test")])
    expect("equal.example.test", "MX", records=[(10, "mx1.example.test"), (10, "mx2.example.test")])
    expect("xn--bcher-kva.example.test", "MX", records=[(10, "mx1.example.test")])
    expect("dnsdown.example.test", "MX", "SERVFAIL", [])
    expect("dnsdown.example.test", "A", "SERVFAIL", [])
    expect("nosuch.example.test", "MX", "NXDOMAIN", [])
    expect("nosuch.example.test", "A", "NXDOMAIN", [])
    # DKIM public keys (rig.sh make_dkim_keys)
    for record in DKIM_RECORDS:
        expect_dkim(*record)
    expect("nosuch._domainkey.example.test", "TXT", "NXDOMAIN", [])

    # the fault servers themselves
    for tcp in (False, True):
        proto = "tcp" if tcp else "udp"
        try:
            r = query("anything.example.test", "MX", SERVFAIL_DNS, tcp=tcp)
            ok = (r["rcode"] == "SERVFAIL" and r["flags"] & 0x8000 and
                  r["question"] == [("anything.example.test", 15, 1)] and not r["answer"])
            check("127.0.0.1:5355 (%s) -> SERVFAIL, question echoed" % proto, ok, str(r))
        except (NoAnswer, OSError, ValueError) as e:
            check("127.0.0.1:5355 (%s) -> SERVFAIL" % proto, False, str(e))
        try:
            r = query("anything.example.test", "MX", SILENT_DNS, tcp=tcp, timeout=1.0)
            check("127.0.0.1:5356 (%s) never answers" % proto, False, "answered " + str(r))
        except NoAnswer as e:
            check("127.0.0.1:5356 (%s) never answers" % proto, "within" in str(e), str(e))
        except (OSError, ValueError) as e:
            check("127.0.0.1:5356 (%s) never answers" % proto, False, str(e))

    print("%d failed" % len(FAILURES) if FAILURES else "all DNS checks passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
