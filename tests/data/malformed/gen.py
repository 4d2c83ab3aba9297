#!/usr/bin/env python3
"""Generate the corpus of malformed (and a few valid) mDNS datagrams.

Writes NN-short-description.bin next to this script and expected.txt, one
"file reason" line per datagram, where reason is the dnssd_reason_str() name the
decoder must give ("ok" for datagrams that must decode). tests/unit/test_msg.c
(suite "corpus") decodes every listed file and checks the reason.

Run it again after changing it: ./gen.py (python3, standard library only).
Each case breaks exactly one thing, either in a packet built the way Avahi and
Apple responders build theirs or in a minimal packet written byte by byte.
"""

import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

A, NS, CNAME, PTR, HINFO, TXT, AAAA, SRV, OPT, NSEC, ANY = (
    1, 2, 5, 12, 13, 16, 28, 33, 41, 47, 255)
IN = 1
FLUSH = 0x8000  # cache-flush bit of a record's class
QU = 0x8000  # unicast-response bit of a question's class
RESPONSE = 0x8400  # QR and AA
QD, AN, NS_, AR = range(4)


def labels(name):
    """'_ipp._tcp.local' -> [b'_ipp', b'_tcp', b'local']; lists pass through."""
    if isinstance(name, (list, tuple)):
        return [l.encode() if isinstance(l, str) else bytes(l) for l in name]
    return [l.encode() for l in name.split('.') if l]


class Msg:
    """A DNS message built front to back, with RFC 1035 name compression."""

    def __init__(self, flags=RESPONSE, ident=0):
        self.flags = flags
        self.ident = ident
        self.body = bytearray()
        self.counts = [0, 0, 0, 0]
        self.suffixes = {}
        self.marks = []  # offsets of structural points, for truncation cases

    @property
    def pos(self):
        return 12 + len(self.body)

    def mark(self, what):
        self.marks.append((what, self.pos))

    def name(self, name, compress=True):
        ls = labels(name)
        for i in range(len(ls)):
            key = tuple(l.lower() for l in ls[i:])
            if compress and key in self.suffixes:
                self.body += struct.pack('!H', 0xC000 | self.suffixes[key])
                return
            if self.pos < 0x4000:
                self.suffixes.setdefault(key, self.pos)
            self.body += bytes([len(ls[i])]) + ls[i]
        self.body += b'\0'

    def question(self, name, qtype, qclass=IN):
        self.mark('question')
        self.name(name)
        self.mark('qtype')
        self.body += struct.pack('!HH', qtype, qclass)
        self.counts[QD] += 1

    def rr(self, section, name, rtype, ttl, rdata, rclass=IN):
        """rdata: bytes, or a function writing it with this message's compression."""
        self.mark('record')
        self.name(name)
        self.mark('type')
        self.body += struct.pack('!HHI', rtype, rclass, ttl)
        self.mark('rdlength')
        at = len(self.body)
        self.body += b'\0\0'
        self.mark('rdata')
        if callable(rdata):
            rdata(self)
        else:
            self.body += rdata
        struct.pack_into('!H', self.body, at, len(self.body) - at - 2)
        self.mark('end')
        self.counts[section] += 1

    def wire(self, counts=None, flags=None, ident=None):
        c = self.counts if counts is None else counts
        return struct.pack('!HHHHHH', self.ident if ident is None else ident,
                           self.flags if flags is None else flags, *c) + bytes(self.body)


def a(addr):
    return bytes(int(x) for x in addr.split('.'))


def aaaa(hexstr):
    return bytes.fromhex(hexstr)


def txt(*strings):
    out = b''
    for s in strings:
        b = s.encode() if isinstance(s, str) else s
        out += bytes([len(b)]) + b
    return out


def ptr(target):
    return lambda m: m.name(target)


def srv(port, target, prio=0, weight=0):
    def write(m):
        m.body += struct.pack('!HHH', prio, weight, port)
        m.name(target)
    return write


def bitmap(types):
    windows = {}
    for t in types:
        w = windows.setdefault(t >> 8, bytearray(32))
        w[(t & 0xff) >> 3] |= 0x80 >> (t & 7)
    out = b''
    for win in sorted(windows):
        bits = bytes(windows[win]).rstrip(b'\0')
        out += bytes([win, len(bits)]) + bits
    return out


def nsec(next_name, types, compress=True):
    """Apple devices compress the next domain name (RFC 6762 §18.14 allows it)."""
    def write(m):
        m.name(next_name, compress)
        m.body += bitmap(types)
    return write


INSTANCE = ['Büro Drucker', '_ipp', '_tcp', 'local']
HOST = 'buero-drucker.local'
IPP_TXT = txt('txtvers=1', 'qtotal=1', 'rp=ipp/print', 'ty=Brother HL-L2350DW series',
              'product=(Brother HL-L2350DW series)', 'note=Büro 2. OG',
              'adminurl=http://buero-drucker.local./net/net/airprint.html',
              'pdl=application/octet-stream,image/urf,image/pwg-raster',
              'URF=W8,CP1,IS4-1,MT1-3-4-5-8,OB10,PQ4,RS300-600,V1.4,DM1',
              'UUID=e3248000-80ce-11db-8000-30055c773bcf', 'Color=F', 'Duplex=T')


def announcement():
    """The announcement of one IPP printer (answers PTR, SRV, TXT, A)."""
    m = Msg()
    m.rr(AN, '_ipp._tcp.local', PTR, 4500, ptr(INSTANCE))
    m.rr(AN, INSTANCE, SRV, 120, srv(631, HOST), IN | FLUSH)
    m.rr(AN, INSTANCE, TXT, 4500, IPP_TXT, IN | FLUSH)
    m.rr(AN, HOST, A, 120, a('192.168.1.20'), IN | FLUSH)
    return m


def query():
    m = Msg(flags=0)
    m.question('_ipp._tcp.local', PTR, IN | QU)
    m.question('_printer._tcp.local', PTR)
    return m


def header(flags=RESPONSE, counts=(0, 0, 0, 0), ident=0):
    return struct.pack('!HHHHHH', ident, flags, *counts)


def rr_raw(owner, rtype, rclass, ttl, rdata, rdlength=None):
    """A record from raw bytes: owner already in wire form."""
    n = len(rdata) if rdlength is None else rdlength
    return owner + struct.pack('!HHIH', rtype, rclass, ttl, n) + rdata


def wire_name(name):
    return b''.join(bytes([len(l)]) + l for l in labels(name)) + b'\0'


def cases():
    """Yield (short description, bytes, expected reason)."""
    base = announcement()
    good = base.wire()
    marks = dict()
    for what, off in base.marks:
        marks.setdefault(what, []).append(off)

    # Sizes and the header.
    yield 'empty-datagram', b'', 'short'
    yield 'header-11-bytes', good[:11], 'short'
    yield 'header-only', header(), 'empty'
    yield 'over-9000-bytes', good + b'\0' * (9001 - len(good)), 'too-long'

    # Truncations at every structural point of the announcement.
    srv_rec = 1  # the second record
    yield 'cut-in-first-owner', good[:marks['record'][0] + 3], 'truncated'
    yield 'cut-before-type', good[:marks['type'][0]], 'truncated'
    yield 'cut-in-class', good[:marks['type'][0] + 3], 'truncated'
    yield 'cut-in-ttl', good[:marks['type'][0] + 6], 'truncated'
    yield 'cut-before-rdlength', good[:marks['rdlength'][0]], 'truncated'
    yield 'cut-in-rdlength', good[:marks['rdlength'][0] + 1], 'truncated'
    yield 'cut-in-ptr-rdata', good[:marks['rdata'][0] + 4], 'truncated'
    yield 'cut-in-srv-rdata', good[:marks['rdata'][srv_rec] + 3], 'truncated'
    yield 'cut-in-owner-pointer', good[:marks['type'][srv_rec] - 1], 'truncated'
    yield 'cut-in-txt-rdata', good[:marks['rdata'][2] + 200], 'truncated'
    yield 'cut-last-byte', good[:-1], 'truncated'
    yield 'cut-at-record-boundary', good[:marks['end'][2]], 'counts'
    q = query().wire()
    yield 'cut-in-question-name', q[:12 + 5], 'truncated'
    yield 'cut-in-qtype', q[:query().marks[1][1] + 1], 'truncated'
    yield 'cut-in-qclass', q[:query().marks[1][1] + 3], 'truncated'

    # Counts that lie.
    yield 'ancount-one-too-many', base.wire(counts=[0, 5, 0, 0]), 'counts'
    yield 'ancount-65535', base.wire(counts=[0, 0xFFFF, 0, 0]), 'counts'
    yield 'qdcount-one-too-many', query().wire(counts=[3, 0, 0, 0]), 'counts'
    yield 'arcount-too-many', base.wire(counts=[0, 4, 0, 1]), 'counts'
    yield 'ancount-one-too-few', base.wire(counts=[0, 3, 0, 0]), 'counts'
    yield 'all-counts-zero-with-records', base.wire(counts=[0, 0, 0, 0]), 'counts'
    yield 'qdcount-one-too-few', query().wire(counts=[1, 0, 0, 0]), 'counts'

    # Bytes after the last record.
    yield 'trailing-zero-byte', good + b'\0', 'trailing'
    yield 'trailing-garbage', good + b'\xde\xad\xbe', 'trailing'
    yield 'trailing-half-record', good + good[marks['record'][3]:marks['rdata'][3]], 'trailing'

    # Compression pointers.
    loop = header(counts=(0, 1, 0, 0)) + rr_raw(b'\xc0\x0c', A, IN, 120, a('10.0.0.1'))
    yield 'pointer-to-itself', loop, 'pointer'
    # Two owners pointing at each other: 12: "a" -> 30, 30: "b" -> 12.
    cyc = header(counts=(0, 2, 0, 0))
    cyc += rr_raw(b'\x01a\xc0\x1e', A, IN, 120, a('10.0.0.1'))  # 12..29, points to 30
    cyc += rr_raw(b'\x01b\xc0\x0c', A, IN, 120, a('10.0.0.2'))  # 30.., points to 12
    yield 'pointer-two-cycle', cyc, 'pointer'
    three = header(counts=(0, 3, 0, 0))
    three += rr_raw(b'\x01a\xc0\x1e', A, IN, 1, a('10.0.0.1'))  # 12, points to 30
    three += rr_raw(b'\x01b\xc0\x30', A, IN, 1, a('10.0.0.2'))  # 30, points to 48
    three += rr_raw(b'\x01c\xc0\x0c', A, IN, 1, a('10.0.0.3'))  # 48, points to 12
    yield 'pointer-three-cycle', three, 'pointer'
    fwd = header(counts=(0, 2, 0, 0))
    fwd += rr_raw(b'\x01a\xc0\x1e', A, IN, 120, a('10.0.0.1'))  # 12, points to 30
    fwd += rr_raw(wire_name('host.local'), A, IN, 120, a('10.0.0.2'))
    yield 'pointer-forward-owner', fwd, 'pointer'
    yield 'pointer-past-end', header(counts=(0, 1, 0, 0)) + rr_raw(
        b'\xc1\x00', A, IN, 120, a('10.0.0.1')), 'pointer'
    yield 'pointer-max-offset', header(counts=(0, 1, 0, 0)) + rr_raw(
        b'\xff\xff', A, IN, 120, a('10.0.0.1')), 'pointer'
    yield 'pointer-into-header', header(counts=(0, 1, 0, 0)) + rr_raw(
        b'\xc0\x02', A, IN, 120, a('10.0.0.1')), 'pointer'
    own = header(counts=(0, 1, 0, 0)) + wire_name('_ipp._tcp.local')
    own += struct.pack('!HHIH', PTR, IN, 4500, 2) + struct.pack('!H', 0xC000 | len(own) + 10)
    yield 'pointer-ptr-rdata-to-itself', own, 'pointer'
    s = header(counts=(0, 2, 0, 0))
    first = wire_name(INSTANCE)
    s += rr_raw(first, SRV, IN | FLUSH, 120, struct.pack('!HHH', 0, 0, 631) + b'\xc0\x00', 8)
    target = len(s)  # forward, to the owner of the next record
    s = s[:len(s) - 2] + struct.pack('!H', 0xC000 | target)
    s += rr_raw(wire_name(HOST), A, IN | FLUSH, 120, a('192.168.1.20'))
    yield 'pointer-forward-srv-target', s, 'pointer'

    # Labels and names.
    yield 'label-64-bytes', header(counts=(0, 1, 0, 0)) + rr_raw(
        bytes([64]) + b'x' * 64 + wire_name('local'), A, IN, 120, a('10.0.0.1')), 'name'
    yield 'label-type-0x40', header(counts=(0, 1, 0, 0)) + rr_raw(
        b'\x41' + b'x' * 1 + wire_name('local'), A, IN, 120, a('10.0.0.1')), 'name'
    yield 'label-type-0x80', header(counts=(0, 1, 0, 0)) + rr_raw(
        b'\x80\x01' + wire_name('local'), A, IN, 120, a('10.0.0.1')), 'name'
    long_name = b''.join(bytes([63]) + b'x' * 63 for i in range(3)) + bytes([62]) + b'y' * 62 + b'\0'
    yield 'name-256-bytes', header(counts=(0, 1, 0, 0)) + rr_raw(
        long_name, A, IN, 120, a('10.0.0.1')), 'name'
    # Each owner is short, but the first name (250 bytes) plus one more label is too long.
    base_name = b''.join(bytes([49]) + bytes([0x61 + i]) * 49 for i in range(5)) + b'\0'
    over = header(counts=(0, 2, 0, 0)) + rr_raw(base_name, A, IN, 120, a('10.0.0.1'))
    over += rr_raw(b'\x05extra\xc0\x0c', A, IN, 120, a('10.0.0.2'))
    yield 'name-over-255-via-pointer', over, 'name'
    bad = header(counts=(0, 1, 0, 0)) + wire_name('_ipp._tcp.local')
    bad += struct.pack('!HHIH', PTR, IN, 4500, 4) + b'\x42ab\x00'
    yield 'label-type-in-ptr-rdata', bad, 'name'

    # Rdata that does not parse for its type.
    host = wire_name(HOST)
    one = header(counts=(0, 1, 0, 0))
    yield 'a-rdlength-0', one + rr_raw(host, A, IN | FLUSH, 120, b''), 'rdata'
    yield 'a-rdlength-3', one + rr_raw(host, A, IN | FLUSH, 120, b'\xc0\xa8\x01'), 'rdata'
    yield 'a-rdlength-5', one + rr_raw(host, A, IN | FLUSH, 120, a('192.168.1.20') + b'\0'), \
        'rdata'
    yield 'aaaa-rdlength-4', one + rr_raw(host, AAAA, IN | FLUSH, 120, a('10.0.0.1')), 'rdata'
    inst = wire_name(INSTANCE)
    yield 'srv-rdlength-0', one + rr_raw(inst, SRV, IN | FLUSH, 120, b''), 'rdata'
    yield 'srv-no-target', one + rr_raw(inst, SRV, IN | FLUSH, 120,
                                        struct.pack('!HHH', 0, 0, 631)), 'rdata'
    yield 'srv-target-past-rdlength', one + rr_raw(
        inst, SRV, IN | FLUSH, 120, struct.pack('!HHH', 0, 0, 631) + host, 6 + 4), 'rdata'
    yield 'ptr-bytes-after-name', one + rr_raw(
        wire_name('_ipp._tcp.local'), PTR, IN, 4500, inst + b'\0\0'), 'rdata'
    yield 'txt-string-past-rdlength', one + rr_raw(inst, TXT, IN | FLUSH, 4500,
                                                   b'\x09txtvers=1\x20qtotal=1'), 'rdata'
    yield 'txt-rdlength-past-end', one + rr_raw(inst, TXT, IN | FLUSH, 4500, IPP_TXT,
                                                0xFFFF), 'truncated'
    yield 'rdlength-past-end-by-one', one + rr_raw(host, A, IN, 120, a('10.0.0.1'), 5), \
        'truncated'
    yield 'nsec-window-length-0', one + rr_raw(host, NSEC, IN | FLUSH, 120,
                                               host + b'\x00\x00'), 'rdata'
    yield 'nsec-window-length-33', one + rr_raw(host, NSEC, IN | FLUSH, 120,
                                                host + b'\x00\x21' + b'\0' * 33), 'rdata'
    yield 'nsec-next-name-past-rdlength', one + rr_raw(host, NSEC, IN | FLUSH, 120, host,
                                                       len(host) - 3), 'rdata'
    yield 'hinfo-one-string', one + rr_raw(host, HINFO, IN | FLUSH, 120, txt('ARM')), 'rdata'
    yield 'opt-in-answer-section', one + rr_raw(b'\0', OPT, 1440, 4500, b''), 'rdata'
    two_opt = header(counts=(0, 1, 0, 2)) + rr_raw(host, A, IN, 120, a('10.0.0.1'))
    two_opt += rr_raw(b'\0', OPT, 1440, 4500, b'') * 2
    yield 'two-opt-records', two_opt, 'rdata'
    bad_opt = header(counts=(0, 1, 0, 1)) + rr_raw(host, A, IN, 120, a('10.0.0.1'))
    bad_opt += rr_raw(b'\0', OPT, 1440, 4500, struct.pack('!HH', 4, 20) + b'\0' * 8)
    yield 'opt-option-past-rdlength', bad_opt, 'rdata'

    # Opcodes and rcodes (RFC 6762 §18.3, §18.11).
    for op in (1, 2, 4, 5, 15):
        yield 'opcode-%d' % op, base.wire(flags=RESPONSE | op << 11), 'opcode'
    for rc in (1, 3, 5, 15):
        yield 'rcode-%d' % rc, base.wire(flags=RESPONSE | rc), 'rcode'
    ext = header(counts=(0, 1, 0, 1)) + rr_raw(host, A, IN, 120, a('10.0.0.1'))
    ext += rr_raw(b'\0', OPT, 1440, 0x01000000, b'')
    yield 'opt-extended-rcode', ext, 'rcode'

    # Corner cases that are valid and must decode.
    yield 'ok-announcement', good, 'ok'
    yield 'ok-query-qu-bit', q, 'ok'
    m = Msg(flags=0, ident=0x1d2b)
    m.question(HOST, A)
    yield 'ok-legacy-unicast-query', m.wire(), 'ok'
    m = Msg(flags=0x0200)  # TC: known answers continue in the next datagram
    m.question('_ipp._tcp.local', PTR)
    m.rr(AN, '_ipp._tcp.local', PTR, 4000, ptr(INSTANCE))
    yield 'ok-query-tc-known-answer', m.wire(), 'ok'
    m = Msg(flags=0)  # the continuation of a TC query: known answers only
    m.rr(AN, '_ipp._tcp.local', PTR, 4000, ptr(INSTANCE))
    yield 'ok-known-answers-only-query', m.wire(), 'ok'
    m = Msg(flags=0)
    m.question(INSTANCE, ANY, IN | QU)
    m.rr(NS_, INSTANCE, SRV, 120, srv(631, HOST))
    yield 'ok-probe', m.wire(), 'ok'
    m = Msg()
    m.rr(AN, '_ipp._tcp.local', PTR, 0, ptr(INSTANCE))
    yield 'ok-goodbye', m.wire(), 'ok'
    m = Msg()
    m.question('_ipp._tcp.local', PTR)
    m.rr(AN, '_ipp._tcp.local', PTR, 4500, ptr(INSTANCE))
    yield 'ok-response-with-question', m.wire(), 'ok'
    m = Msg(flags=0x0100)  # RD set: ignored in mDNS, not an error
    m.question(HOST, ANY, 255)
    yield 'ok-query-rd-class-any', m.wire(), 'ok'
    m = Msg()
    m.rr(AN, ['Printer.A', '_ipp', '_tcp', 'local'], TXT, 4500, b'', IN | FLUSH)
    m.rr(AN, 'printer-a.local', 65400, 120, b'\x01\x02\x03', IN | FLUSH)
    m.rr(AN, 'printer-a.local', 65401, 120, b'')
    m.rr(AR, ['Printer.A', '_ipp', '_tcp', 'local'], NSEC, 4500,
         nsec(['Printer.A', '_ipp', '_tcp', 'local'], [TXT, SRV]), IN | FLUSH)
    m.rr(AR, '', OPT, 0x1194, struct.pack('!HH', 4, 8) + bytes(8), 1440)
    yield 'ok-empty-txt-unknown-types-nsec-opt', m.wire(), 'ok'
    yield 'ok-label-63-name-255', header(counts=(0, 1, 0, 0)) + rr_raw(
        b''.join(bytes([63]) + b'x' * 63 for i in range(3)) + bytes([61]) + b'y' * 61 + b'\0',
        A, IN, 120, a('10.0.0.1')), 'ok'
    chain = header(counts=(0, 3, 0, 0))
    chain += rr_raw(wire_name('printer.local'), A, IN, 120, a('10.0.0.1'))  # name at 12
    chain += rr_raw(b'\x03ipp\xc0\x0c', A, IN, 120, a('10.0.0.2'))  # at 35
    chain += rr_raw(b'\x03web\xc0\x23', A, IN, 120, a('10.0.0.3'))  # -> 35 -> 12
    yield 'ok-pointer-chain', chain, 'ok'
    yield 'ok-max-size-txt', header(counts=(0, 1, 0, 0)) + rr_raw(
        inst, TXT, IN | FLUSH, 4500, txt(*['k%03d=' % i + 'v' * 250 for i in range(34)])), 'ok'


def main():
    for f in os.listdir(HERE):
        if f.endswith('.bin'):
            os.unlink(os.path.join(HERE, f))
    lines = []
    for i, (desc, data, reason) in enumerate(cases(), 1):
        fname = '%02d-%s.bin' % (i, desc)
        with open(os.path.join(HERE, fname), 'wb') as f:
            f.write(data)
        lines.append('%s %s\n' % (fname, reason))
    with open(os.path.join(HERE, 'expected.txt'), 'w') as f:
        f.writelines(lines)
    print('%d datagrams in %s' % (len(lines), HERE), file=sys.stderr)


if __name__ == '__main__':
    main()
