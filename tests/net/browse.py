"""browse.py: reads the parsable output of avahi-browse -p (-r) for the net tests.

    browse.py table [FILE]
        one line per event of avahi-browse -p output (stdin without FILE), the
        fields split and the service name unescaped, separated by tabs:
        EVENT IFACE PROTO NAME TYPE DOMAIN [HOST ADDRESS PORT TXT]
    browse.py state FILE NAME [ADDRESS-REGEXP]
        what the output so far of a running avahi-browse -rp says of the service
        instance NAME now, on any interface and protocol:
          resolved ADDR[,ADDR...]  resolved (with an address matching the regexp)
          listed                   browsed, not resolved (or not to such an address)
          gone                     seen, then removed everywhere
          absent                   never seen
    browse.py names FILE
        every instance name that output lists now (seen and not removed
        everywhere), sorted, one a line: NAME, a tab, and its state as above
        ("resolved ADDR[,ADDR...]" or "listed")

avahi-browse -p escapes the service name as avahi_escape_label does: "\\." and
"\\\\" for dots and backslashes, "\\DDD" (decimal) for any other byte that is not a
letter, digit, '-' or '_'. Lines that are not events (errors, notices) are skipped.
"""
import re
import sys

ESCAPE = re.compile(rb"\\(\d{3}|.)")


def unescape(field):
    def one(m):
        g = m.group(1)
        return bytes([int(g)]) if len(g) == 3 else g
    return ESCAPE.sub(one, field.encode("utf-8", "surrogateescape")).decode(
        "utf-8", "replace")


def events(lines):
    for line in lines:
        line = line.rstrip("\n")
        if len(line) < 2 or line[0] not in "+-=" or line[1] != ";":
            continue
        f = line.split(";", 9)
        if len(f) < 6:
            continue
        f[3] = unescape(f[3])
        yield f


def state(lines, name, addr_re):
    seen = {}  # (iface, proto, type) -> "listed" | ("resolved", addr) | "gone"
    for f in events(lines):
        if f[3] != name:
            continue
        key = (f[1], f[2], f[4])
        if f[0] == "+":
            seen[key] = "listed"
        elif f[0] == "-":
            seen[key] = "gone"
        elif len(f) >= 8:
            seen[key] = ("resolved", f[7])
    if not seen:
        return "absent"
    addrs = sorted({s[1] for s in seen.values() if isinstance(s, tuple) and
                    (addr_re is None or re.search(addr_re, s[1]))})
    if addrs:
        return "resolved " + ",".join(addrs)
    if all(s == "gone" for s in seen.values()):
        return "gone"
    return "listed"


def names(lines):
    lines = list(lines)
    out = []
    for name in sorted({f[3] for f in events(lines)}):
        st = state(lines, name, None)
        if st not in ("gone", "absent"):
            out.append(name + "\t" + st)
    return out


def main(argv):
    if len(argv) >= 2 and argv[1] == "table":
        src = open(argv[2], errors="surrogateescape") if len(argv) > 2 else sys.stdin
        for f in events(src):
            print("\t".join(f))
        return 0
    if len(argv) in (4, 5) and argv[1] == "state":
        try:
            with open(argv[2], errors="surrogateescape") as src:
                lines = src.readlines()
        except FileNotFoundError:
            lines = []
        print(state(lines, argv[3], argv[4] if len(argv) == 5 else None))
        return 0
    if len(argv) == 3 and argv[1] == "names":
        try:
            with open(argv[2], errors="surrogateescape") as src:
                lines = src.readlines()
        except FileNotFoundError:
            lines = []
        for line in names(lines):
            print(line)
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
