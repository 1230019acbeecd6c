#!/usr/bin/python3
"""Misbehaving DNS servers and a mute mail exchanger for the mvsmtp test rig
(started by tests/testbed/rig.sh; Debian's /usr/bin/python3, standard library only).

  127.0.0.1:5355 udp+tcp  DNS: every query answered SERVFAIL (rcode 2; ID, opcode, RD and the
                          question echoed, QR set, no records). dnsmasq forwards
                          dnsdown.example.test here, so a lookup of it fails "server failure".
  127.0.0.1:5356 udp+tcp  DNS: reads every query and never answers ("silent resolver").
  127.0.0.9:25   tcp      "mx-silent.example.test": accepts connections and never sends a byte
                          (no greeting); a connection is closed when the peer closes it or
                          after HOLD_SECONDS.

Every event is one line on stdout (rig.sh sends it to $MVSMTP_TESTBED/log/fault.log).
"""
import signal
import socket
import struct
import sys
import threading
import time

HOLD_SECONDS = 120      # how long a silent TCP connection is kept open
SERVFAIL = 2


def log(*parts):
    print(time.strftime("%H:%M:%S"), *parts, flush=True)


def question_end(query):
    """Offset just past the question section of a DNS message (None if it is malformed)."""
    if len(query) < 12:
        return None
    qdcount = struct.unpack("!H", query[4:6])[0]
    pos = 12
    for _ in range(qdcount):
        while True:                         # a name: labels up to the root, or a pointer
            if pos >= len(query):
                return None
            n = query[pos]
            if n == 0:
                pos += 1
                break
            if n & 0xC0 == 0xC0:
                pos += 2
                break
            pos += 1 + n
        pos += 4                            # QTYPE, QCLASS
        if pos > len(query):
            return None
    return pos


def servfail(query):
    """The SERVFAIL answer to `query`, or None for something that is not a DNS query."""
    end = question_end(query)
    if end is None or query[2] & 0x80:      # malformed, or a response: never answer those
        return None
    qid, qdcount = query[0:2], query[4:6]
    opcode_rd = query[2] & 0x79             # opcode (bits 3-6) and RD (bit 0) as asked
    flags = bytes([0x80 | opcode_rd, 0x80 | SERVFAIL])   # QR; RA, rcode 2
    return qid + flags + qdcount + b"\0\0\0\0\0\0" + query[12:end]


def udp_server(port, answer):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    while True:
        query, peer = s.recvfrom(65535)
        reply = answer(query)
        log("udp", port, "query from", "%s:%d" % peer, "answered" if reply else "not answered")
        if reply:
            s.sendto(reply, peer)


def read_exactly(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def dns_tcp_connection(conn, peer, port, answer):
    """RFC 1035 4.2.2 framing: each message preceded by its 16-bit length."""
    try:
        while True:
            head = read_exactly(conn, 2)
            if head is None:
                break
            query = read_exactly(conn, struct.unpack("!H", head)[0])
            if query is None:
                break
            reply = answer(query)
            log("tcp", port, "query from", "%s:%d" % peer, "answered" if reply else "not answered")
            if reply:
                conn.sendall(struct.pack("!H", len(reply)) + reply)
    except OSError:                          # includes the HOLD_SECONDS timeout
        pass
    finally:
        conn.close()


def mute_connection(conn, peer, port, answer):
    """Read and discard until the peer closes or HOLD_SECONDS pass; never send anything."""
    log("tcp", port, "connection from", "%s:%d" % peer, "(never answered)")
    try:
        while conn.recv(4096):
            pass
    except OSError:
        pass
    finally:
        conn.close()
        log("tcp", port, "closed", "%s:%d" % peer)


def tcp_server(host, port, handler, answer=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(64)
    while True:
        conn, peer = s.accept()
        conn.settimeout(HOLD_SECONDS)
        threading.Thread(target=handler, args=(conn, peer, port, answer), daemon=True).start()


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    never = lambda query: None
    servers = [
        (udp_server, (5355, servfail)),
        (tcp_server, ("127.0.0.1", 5355, dns_tcp_connection, servfail)),
        (udp_server, (5356, never)),
        (tcp_server, ("127.0.0.1", 5356, dns_tcp_connection, never)),
        (tcp_server, ("127.0.0.9", 25, mute_connection)),
    ]
    threads = [threading.Thread(target=f, args=a, daemon=True) for f, a in servers]
    for t in threads:
        t.start()
    log("fault servers up: SERVFAIL DNS 127.0.0.1:5355, silent DNS 127.0.0.1:5356,"
        " silent SMTP 127.0.0.9:25")
    while all(t.is_alive() for t in threads):   # a server thread died (bind failed): exit
        time.sleep(1)
    log("a server thread exited; stopping")
    return 1


if __name__ == "__main__":
    sys.exit(main())
