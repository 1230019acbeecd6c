#!/usr/bin/python3
"""Verifies every DKIM-Signature of mail files with python3-dkim (RFC 6376 rsa-sha256, RFC 8463
ed25519-sha256, simple and relaxed canonicalisation), asking one DNS server only for the keys:
the loopback test rig's dnsmasq unless told otherwise. Debian's /usr/bin/python3 with
python3-dkim, python3-dnspython and python3-nacl (tests/testbed/rig.sh installs them).

    /usr/bin/python3 tests/testbed/dkim_verify.py [--dns ADDR[:PORT]] [--record NAME=TXT ...]
                                                  [--expect-fail] FILE...

  --dns ADDR[:PORT]  the DNS server asked for key records (default 127.0.0.1:5353, rig.sh's
                     dnsmasq; port 53 when left out; an IPv6 address goes in brackets). The
                     system resolver and /etc/resolv.conf are never used.
  --record NAME=TXT  answer the TXT query for NAME (e.g. sel._domainkey.example.test) with TXT
                     instead of asking DNS: for keys that are not published. Repeatable.
  --expect-fail      succeed only when every file is signed and every signature fails

One line per signature, in header order (the first DKIM-Signature first):

    FILE: pass d=<domain> s=<selector> a=<algorithm>
    FILE: fail d=<domain> s=<selector> (<reason>)
    FILE: none                         no DKIM-Signature at all
    FILE: error (<reason>)             not a message python3-dkim can parse

Exit 0 when every file has at least one signature and all of them pass (--expect-fail: all of
them fail); 1 otherwise; 2 on a usage error or a FILE that cannot be read. Files may have CRLF
or LF line ends (python3-dkim reads a bare LF as CRLF). tests/testbed/dkim_verify.pl is the
same program on Perl's Mail::DKIM: a second, independent implementation.
"""
import argparse
import ipaddress
import os
import sys

import dkim
import dkim.util
import dns.exception
import dns.resolver

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from dkim_signature import one_line, verify_signature  # noqa: E402

DEFAULT_DNS = "127.0.0.1:5353"


def parse_server(text):
    """(address, port) of ADDR[:PORT] or [IPV6][:PORT]: an address, as a host name would need
    the system resolver."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else rest
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, ""
    try:
        return str(ipaddress.ip_address(host)), int(port or 53)
    except ValueError:
        raise argparse.ArgumentTypeError("not an address[:port]: %r" % text)


def parse_record(text):
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError("not NAME=TXT: %r" % text)
    return name.rstrip(".").lower(), value


def txt_lookup(server, records):
    """The dnsfunc python3-dkim calls: name (bytes, with the final dot) -> TXT bytes or None."""
    resolver = dns.resolver.Resolver(configure=False)   # never reads /etc/resolv.conf
    resolver.nameservers = [server[0]]
    resolver.port = server[1]

    def lookup(name, timeout=5):
        key = name.decode("ascii", "replace").rstrip(".").lower()
        if key in records:
            return records[key].encode("utf-8")
        try:
            answer = resolver.resolve(key + ".", "TXT", lifetime=timeout, search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None                     # python3-dkim: "missing public key"
        except (dns.resolver.NoNameservers, dns.exception.Timeout) as e:
            # SERVFAIL or silence: a temporary failure, not a missing key (RFC 6376 6.1.2)
            raise dkim.DnsTimeoutError("%s: %s" % (key, e))
        # RFC 6376 3.6.2.2: the strings of one TXT record are concatenated
        return b"".join(answer[0].strings)

    return lookup


def verify_file(path, message, lookup):
    """Prints one line per signature; returns the list of results ("pass"/"fail"), or None
    when the message cannot be parsed at all."""
    try:
        signatures = [v for k, v in dkim.DKIM(message).headers if k.lower() == b"dkim-signature"]
    except dkim.DKIMException as e:
        print("%s: error (%s)" % (path, one_line(e)))
        return None
    if not signatures:
        print("%s: none" % path)
    results = []
    for idx, header in enumerate(signatures):
        try:
            tags = dkim.util.parse_tag_value(header)
        except dkim.util.InvalidTagValueList:
            tags = {}
        d, s, a = (tags.get(t, b"?").decode("ascii", "replace") for t in (b"d", b"s", b"a"))
        ok, reason = verify_signature(message, idx, lookup)
        if ok:
            print("%s: pass d=%s s=%s a=%s" % (path, d, s, a))
        else:
            print("%s: fail d=%s s=%s (%s)" % (path, d, s, one_line(reason)))
        results.append("pass" if ok else "fail")
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dns", type=parse_server, default=parse_server(DEFAULT_DNS),
                    metavar="ADDR[:PORT]")
    ap.add_argument("--record", type=parse_record, action="append", default=[],
                    metavar="NAME=TXT")
    ap.add_argument("--expect-fail", action="store_true")
    ap.add_argument("files", nargs="+", metavar="FILE")
    args = ap.parse_args()     # exits 2 on a usage error

    messages = []
    for path in args.files:
        try:
            with open(path, "rb") as f:
                messages.append((path, f.read()))
        except OSError as e:
            print("dkim_verify.py: %s" % e, file=sys.stderr)
            return 2
    lookup = txt_lookup(args.dns, dict(args.record))
    wanted = "fail" if args.expect_fail else "pass"
    good = True
    for path, message in messages:
        results = verify_file(path, message, lookup)
        good = good and bool(results) and all(r == wanted for r in results)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
