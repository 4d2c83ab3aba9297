"""mdns_sniff.py IFACE: print one line per mDNS (UDP port 5353) packet seen on IFACE.

Used by the network tests (tests/net/lib.sh, net_sniff), where tcpdump may be missing:
    t=SECONDS af=4|6 src=ADDR sport=N dst=ADDR dport=N ttl=N len=N head=HEX
len is the UDP payload length, ttl the IPv4 TTL or IPv6 hop limit, head the first 16
payload bytes. Prints "listening" once ready; runs until killed.
"""
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_PROMISC = 1
PACKET_OUTGOING = 4


def udp(payload, off):
    if len(payload) < off + 8:
        return None
    sport, dport, ulen = struct.unpack_from("!HHH", payload, off)
    return sport, dport, payload[off + 8:off + max(ulen, 8)]


def main():
    ifname = sys.argv[1]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    mreq = struct.pack("iHH8s", socket.if_nametoindex(ifname), PACKET_MR_PROMISC, 0, b"")
    s.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq)
    t0 = time.monotonic()
    print("listening", flush=True)
    while True:
        frame, addr = s.recvfrom(65535)
        if addr[2] == PACKET_OUTGOING or len(frame) < 14:
            continue
        etype = struct.unpack_from("!H", frame, 12)[0]
        p = frame[14:]
        if etype == 0x0800 and len(p) >= 20 and p[9] == 17:
            ihl = (p[0] & 0x0F) * 4
            u = udp(p, ihl)
            af, ttl = 4, p[8]
            src, dst = socket.inet_ntop(socket.AF_INET, p[12:16]), socket.inet_ntop(
                socket.AF_INET, p[16:20])
        elif etype == 0x86DD and len(p) >= 40 and p[6] == 17:
            u = udp(p, 40)
            af, ttl = 6, p[7]
            src, dst = socket.inet_ntop(socket.AF_INET6, p[8:24]), socket.inet_ntop(
                socket.AF_INET6, p[24:40])
        else:
            continue
        if not u or 5353 not in (u[0], u[1]):
            continue
        print("t=%.3f af=%d src=%s sport=%d dst=%s dport=%d ttl=%d len=%d head=%s" %
              (time.monotonic() - t0, af, src, u[0], dst, u[1], ttl, len(u[2]),
               u[2][:16].hex()), flush=True)


if __name__ == "__main__":
    main()
