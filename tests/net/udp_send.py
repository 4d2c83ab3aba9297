"""udp_send.py [-p PORT] [-s SPORT] [-t TTL] [-e] IFACE SRC DST HEX...

Sends one UDP datagram per HEX argument (hex digits of the payload) from address SRC
("" or "::" or "0.0.0.0": let the kernel choose) and source port SPORT (default 0:
any) to DST port PORT (default 5353), out of IFACE when DST is multicast or
link-local; with -e, each from a new socket (so a new source port). Used by the
network tests (tests/net/lib.sh, net_udp_send) to play a LAN host that sends what a
test needs: from any address, port or TTL.
"""
import argparse
import socket
import struct


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-p", type=int, default=5353)
    ap.add_argument("-s", type=int, default=0)
    ap.add_argument("-t", type=int, default=255)
    ap.add_argument("-e", action="store_true")
    ap.add_argument("iface")
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("payload", nargs="+")
    a = ap.parse_args()
    if a.e:
        for h in a.payload:
            send(a, [h])
    else:
        send(a, a.payload)


def send(a, payloads):
    idx = socket.if_nametoindex(a.iface)
    if ":" in a.dst:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        src = a.src or "::"
        s.bind((src, a.s, 0, idx if src.lower().startswith("fe80") else 0))
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, a.t)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, a.t)
        scope = idx if a.dst.lower().startswith(("ff02", "fe80")) else 0
        dst = (a.dst, a.p, 0, scope)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a.src or "0.0.0.0", a.s))
        mreqn = struct.pack("=4s4si", bytes(4), bytes(4), idx)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, mreqn)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, a.t)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, a.t)
        dst = (a.dst, a.p)
    for h in payloads:
        s.sendto(bytes.fromhex(h), dst)
    s.close()


if __name__ == "__main__":
    main()
