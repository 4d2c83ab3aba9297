#!/usr/bin/env python3
"""bulk_publish.py: N services of one type published at once through Avahi's D-Bus
API by one client, in one entry group, as a print server with many queues does.

  bulk_publish.py N TYPE PORT     publish "Queue 0" .. "Queue N-1" (TXT q=I);
                                  prints "committed" when the group is committed
                                  and "established" when Avahi says so; then waits
                                  until stdin closes

The avahi-daemon must allow that many entries per group and objects per client
(entries-per-entry-group-max, objects-per-client-max in its [server] section).
"""
import sys


def main(n, stype, port):
    import time
    import dbus
    bus = dbus.SystemBus()
    server = dbus.Interface(bus.get_object("org.freedesktop.Avahi", "/"),
                            "org.freedesktop.Avahi.Server")
    group = dbus.Interface(bus.get_object("org.freedesktop.Avahi", server.EntryGroupNew()),
                           "org.freedesktop.Avahi.EntryGroup")
    for i in range(n):
        txt = dbus.Array([dbus.Array([dbus.Byte(b) for b in ("q=%d" % i).encode()],
                                     signature="y")], signature="ay")
        group.AddService(-1, -1, dbus.UInt32(0), "Queue %d" % i, stype, "", "",
                         dbus.UInt16(port), txt)
    group.Commit()
    print("committed", flush=True)
    # states: 1 registering, 2 established, 3 collision, 4 failure
    while group.GetState() == 1:
        time.sleep(0.05)
    st = group.GetState()
    print("established" if st == 2 else "failed %d" % st, flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]))
