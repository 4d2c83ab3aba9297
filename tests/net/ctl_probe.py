#!/usr/bin/env python3
"""ctl_probe.py: the control socket's answers to requests no sitecastctl sends.

ctl_probe.py SOCKET: sends each malformed or oversized request on its own
connection and checks that the daemon answers with one line "error: ..." (or, for
a connection that sends nothing, closes it). Prints one line per case; exits 1 if
any case got another answer.
"""
import socket
import sys

path = sys.argv[1]


def ask(data, shut=True, timeout=5.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    if shut:
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except ConnectionResetError:
        pass
    s.close()
    return out


cases = [
    ("empty line", b"\n"),
    ("unknown command", b"reboot now\n"),
    ("unknown option", b"status xml\n"),
    ("option twice", b"status json json\n"),
    ("two spaces", b"status  json\n"),
    ("leading space", b" status\n"),
    ("NUL inside", b"status\0json\n"),
    ("control byte", b"sta\x01tus\n"),
    ("non-ASCII", "stätus\n".encode()),
    ("argument to metrics", b"metrics all\n"),
    ("unknown option to services", b"services xml\n"),
    ("explain without a name", b"explain\n"),
    ("explain with two words", b"explain Printer A._ipp._tcp.local\n"),
    ("explain, bad escape", b"explain Printer%2._ipp._tcp.local\n"),
    ("explain, escaped NUL", b"explain a%00b._ipp._tcp.local\n"),
    ("explain, not an instance", b"explain _ipp._tcp.local\n"),
    ("explain, label over 63 bytes", b"explain " + b"x" * 70 + b"._ipp._tcp.local\n"),
    ("explain, escaped line feed", b"explain a%0Aerror:%20b\n"),
    ("512 bytes, no line end", b"s" * 512),
    ("oversized line", b"status " + b"x" * 5000 + b"\n"),
    ("one megabyte", b"A" * (1 << 20)),
    ("no line end, then EOF", b"statu"),
]
failed = 0
for name, data in cases:
    out = ask(data)
    ok = out.startswith(b"error: ") and out.endswith(b"\n") and out.count(b"\n") == 1
    print("%s: %s -> %r" % ("ok" if ok else "BAD", name, out[:120]))
    failed |= not ok

# A client that connects and sends nothing is dropped after the daemon's timeout.
out = ask(b"", shut=False, timeout=10.0)
ok = out == b""
print("%s: silent client -> %r" % ("ok" if ok else "BAD", out[:120]))
failed |= not ok
sys.exit(1 if failed else 0)
