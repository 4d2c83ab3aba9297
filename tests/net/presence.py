#!/usr/bin/env python3
"""presence.py: a chat presence published as iChat and libpurple do, through
Avahi's D-Bus API: a _presence._tcp service and the buddy icon as a NULL record
on the instance name.

  presence.py publish NAME ICONFILE [TTL]
                                       publish (the icon with TTL seconds, default
                                       120); then each line on stdin
                                       "txt K=V ..." replaces the TXT record
  presence.py query NAME TYPE          one legacy unicast mDNS question for NAME
                                       (type number) on this host's LAN; prints
                                       the rdata of each answer in hex
"""
import socket
import sys


def publish(name, iconfile, ttl=120):
    import dbus
    bus = dbus.SystemBus()
    server = dbus.Interface(bus.get_object("org.freedesktop.Avahi", "/"),
                            "org.freedesktop.Avahi.Server")
    group = dbus.Interface(bus.get_object("org.freedesktop.Avahi", server.EntryGroupNew()),
                           "org.freedesktop.Avahi.EntryGroup")
    stype = "_presence._tcp"
    icon = open(iconfile, "rb").read()

    def txt(items):
        return dbus.Array([dbus.Array([dbus.Byte(b) for b in s.encode()], signature="y")
                           for s in items], signature="ay")
    # interface -1 and protocol -1: all; flags 0.
    group.AddService(-1, -1, dbus.UInt32(0), name, stype, "", "", dbus.UInt16(5298),
                     txt(["txtvers=1", "status=avail"]))
    full = name.replace("\\", "\\\\").replace(".", "\\.") + "." + stype + ".local"
    group.AddRecord(-1, -1, dbus.UInt32(0), full, dbus.UInt16(1), dbus.UInt16(10),
                    dbus.UInt32(int(ttl)), dbus.Array([dbus.Byte(b) for b in icon], signature="y"))
    group.Commit()
    print("committed", flush=True)
    for line in sys.stdin:
        words = line.split()
        if words and words[0] == "txt":
            group.UpdateServiceTxt(-1, -1, dbus.UInt32(0), name, stype, "", txt(words[1:]))
            print("txt updated", flush=True)


def query(name, rtype):
    import dns.message
    import dns.rdatatype
    q = dns.message.make_query(name, int(rtype))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    # From an ephemeral port: a legacy unicast query, answered to this port.
    s.sendto(q.to_wire(), ("224.0.0.251", 5353))
    try:
        while True:
            data, src = s.recvfrom(9000)
            r = dns.message.from_wire(data)
            if r.id != q.id:
                continue
            for rrset in r.answer:
                if rrset.rdtype == int(rtype):
                    for rd in rrset:
                        print(rd.to_wire().hex() if hasattr(rd, "to_wire") else rd.data.hex())
            return
    except socket.timeout:
        return


if __name__ == "__main__":
    if sys.argv[1] == "publish":
        publish(*sys.argv[2:5])
    else:
        query(sys.argv[2], sys.argv[3])
