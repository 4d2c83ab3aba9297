"""wan_emu.py TUN PARAMS: delay and loss for the WAN router, where tc netem is missing.

Run inside the router namespace (lib.sh's node "wan"). It creates the TUN device TUN
(layer 3, no packet information header); sites.sh routes every packet the router would
forward into it (policy routing on the arrival interface), and what this program writes
back to TUN the kernel forwards as usual, out of the right interface. In between each
packet is dropped with the loss probability or held for the delay, as netem's
"delay D loss L" does on one interface, here for both directions.

PARAMS is a file holding "DELAY_MS LOSS_PERCENT" (such as "200 20", "0 100" for a cut),
read again whenever it changes, so that a test changes the conditions by rewriting it
(write another file and rename it over PARAMS). Prints "ready" once TUN exists, then one
line per change of the conditions, with counts of packets passed and dropped.
"""
import fcntl
import heapq
import os
import random
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def read_params(path, old):
    try:
        st = os.stat(path)
        with open(path) as f:
            delay, loss = f.read().split()[:2]
        return (st.st_mtime_ns, st.st_ino), float(delay) / 1000, float(loss) / 100
    except (OSError, ValueError):
        return old


def send(fd, pkt):
    try:
        os.write(fd, pkt)
    except OSError as e:  # what the kernel refuses is lost, as on a wire
        print("write: %s" % e, flush=True)


def main():
    name, path = sys.argv[1], sys.argv[2]
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    os.set_blocking(fd, False)
    params = read_params(path, (None, 0.0, 0.0))
    print("ready", flush=True)
    queue, seq, passed, dropped = [], 0, 0, 0
    next_check = 0.0
    while True:
        now = time.monotonic()
        if now >= next_check:
            new = read_params(path, params)
            if new[0] != params[0]:
                print("delay %d ms loss %d%% (so far %d passed, %d dropped)" % (
                    new[1] * 1000, new[2] * 100, passed, dropped), flush=True)
                params = new
            next_check = now + 0.05
        while queue and queue[0][0] <= now:
            send(fd, heapq.heappop(queue)[2])
        timeout = min(next_check, queue[0][0] if queue else next_check) - now
        if not select.select([fd], [], [], max(timeout, 0))[0]:
            continue
        while True:
            try:
                pkt = os.read(fd, 65536)
            except BlockingIOError:
                break
            if random.random() < params[2]:
                dropped += 1
                continue
            passed += 1
            if params[1] <= 0 and not queue:
                send(fd, pkt)
            else:
                seq += 1
                heapq.heappush(queue, (time.monotonic() + params[1], seq, pkt))


if __name__ == "__main__":
    main()
