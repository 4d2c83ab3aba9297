/*
 * flood: mDNS traffic at a set rate from a LAN host, for the flood tests and the
 * benchmarks (tests/net/f5_floods.sh, tests/bench/run).
 *
 *   flood [-i IFACE] [-s SRC[+N]]... [-r PACKETS/S] [-d SECONDS] [-k RECORDS]
 *         [-n SERVICES] [-b BASE] [-t TYPE] [-u DST] [-w FILE] [-a SECONDS] MODE
 *
 * Sends datagrams to the mDNS group (224.0.0.251 or ff02::fb, by the family of the
 * sources) out of IFACE (default eth0), from port 5353 of each source address in
 * turn (SRC+N: N consecutive IPv4 addresses from SRC; the addresses must be on the
 * host), IP TTL / hop limit 255, at PACKETS/S (default 1000) for SECONDS (default
 * 10); with -u, to DST port 5353 instead (unicast, say to the gateway alone). Names
 * are compressed as responders compress them. Modes:
 *
 *   records   RECORDS (default 25) records never sent before in every datagram, in
 *             turn: complete services of TYPE (PTR, SRV, TXT and A; two of them,
 *             the rest A records), PTRs naming instances of TYPE that nothing
 *             describes, and A records of hosts that no SRV names
 *   query     the same question every time: PTR TYPE.local
 *   services  SERVICES (default 10000) services of TYPE, each announced once
 *             (PTR, SRV, TXT and A in one datagram), then the program exits; with
 *             -a SECONDS it then stays a responder for that long: a question for
 *             PTR TYPE.local (or ANY) is answered with every service the asker
 *             did not list as a known answer (RFC 6762 §7.1, a TC question waits
 *             up to 500 ms for the rest of the list), and the service type
 *             enumeration with TYPE, multicast from the first source at
 *             PACKETS/S, one service a datagram as announced
 *   steady    what a busy LAN carries: 20 services of TYPE, on 20 hosts (the first
 *             20 sources, which steady needs), each re-announced every second
 *             (PTR, SRV, TXT, A, AAAA); the other datagrams alternate between
 *             a question from a client (the other sources, or the service hosts
 *             when there are no others) and the answer from the service it names:
 *             PTR of the type, SRV and TXT of an instance, A and AAAA of a host,
 *             the service type enumeration
 *
 * BASE (default 0) offsets the numbers in names, so that two runs send different
 * services. TYPE defaults to _ipp._tcp. At the end it prints one line:
 *   sent packets=N bytes=B records=R questions=Q seconds=S
 * bytes being the sum of the UDP payloads (with -a, then
 *   answered questions=Q known=K services=S packets=N
 * for the questions heard, the known answers they listed and the services sent
 * in answer). With -w, nothing is sent: the datagrams
 * are written to FILE as they would have been sent, each as its IPv4 source address
 * (4 bytes), its length (2 bytes, network order) and its payload, for
 * tests/bench/bench_proxy to replay; no interface is needed then.
 * Exits 0, or 1 on a setup or send error.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOURCES 256
#define MAX_PACKET 1472
#define NAME_TAB 128
#define STEADY_SERVICES 20

enum rrtype { T_A = 1, T_PTR = 12, T_TXT = 16, T_AAAA = 28, T_SRV = 33 };

struct wire {
	uint8_t buf[MAX_PACKET];
	size_t len;
	unsigned counts[4]; /* question, answer, authority, additional */
	bool full;
	struct {
		uint16_t off;
		char name[256];
	} tab[NAME_TAB];
	unsigned ntab;
};

static struct {
	const char *iface, *type, *mode, *write_to, *unicast;
	double rate, seconds, answer_s;
	unsigned per_packet, services, base;
	int af;
	struct sockaddr_storage src[MAX_SOURCES];
	unsigned nsrc;
} opt = {.iface = "eth0",
         .type = "_ipp._tcp",
         .rate = 1000,
         .seconds = 10,
         .per_packet = 25,
         .services = 10000};

static int fds[MAX_SOURCES];
static unsigned ifindex;
static uint64_t sent_packets, sent_bytes, sent_records, sent_questions;

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("flood: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* ---------------------------------------------------------------- DNS writer */

static void w_start(struct wire *w)
{
	memset(w->buf, 0, 12);
	w->len = 12;
	memset(w->counts, 0, sizeof(w->counts));
	w->full = false;
	w->ntab = 0;
}

static void w_bytes(struct wire *w, const void *p, size_t n)
{
	if (w->full || w->len + n > sizeof(w->buf)) {
		w->full = true;
		return;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void w_u16(struct wire *w, unsigned v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	w_bytes(w, b, 2);
}

static void w_u32(struct wire *w, uint32_t v)
{
	w_u16(w, v >> 16);
	w_u16(w, v & 0xffff);
}

/* A dotted name (labels hold no dots), compressed against the names written before. */
static void w_name(struct wire *w, const char *name)
{
	const char *s = name;
	while (*s) {
		for (unsigned i = 0; i < w->ntab; i++) {
			if (strcasecmp(w->tab[i].name, s) == 0) {
				w_u16(w, 0xc000u | w->tab[i].off);
				return;
			}
		}
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		if (l == 0 || l > 63)
			die("bad label in %s", name);
		if (w->ntab < NAME_TAB && w->len < 0x3fff && strlen(s) < 256) {
			w->tab[w->ntab].off = (uint16_t)w->len;
			strcpy(w->tab[w->ntab].name, s);
			w->ntab++;
		}
		uint8_t lb = (uint8_t)l;
		w_bytes(w, &lb, 1);
		w_bytes(w, s, l);
		s += l + (dot ? 1 : 0);
	}
	w_bytes(w, "", 1);
}

static void w_question(struct wire *w, const char *name, unsigned type)
{
	w_name(w, name);
	w_u16(w, type);
	w_u16(w, 1);
	w->counts[0]++;
	sent_questions++;
}

/* The start of a record; w_rr_end() fills in its rdata length. */
static size_t w_rr(struct wire *w, int sec, const char *owner, unsigned type, bool flush,
                   uint32_t ttl)
{
	w_name(w, owner);
	w_u16(w, type);
	w_u16(w, flush ? 0x8001 : 1);
	w_u32(w, ttl);
	w_u16(w, 0);
	w->counts[sec]++;
	return w->len;
}

static void w_rr_end(struct wire *w, size_t rdstart)
{
	if (w->full)
		return;
	size_t n = w->len - rdstart;
	w->buf[rdstart - 2] = (uint8_t)(n >> 8);
	w->buf[rdstart - 1] = (uint8_t)n;
	sent_records++;
}

static void w_finish(struct wire *w, bool response)
{
	if (response)
		w->buf[2] = 0x84; /* QR, AA */
	for (int i = 0; i < 4; i++) {
		w->buf[4 + 2 * i] = (uint8_t)(w->counts[i] >> 8);
		w->buf[5 + 2 * i] = (uint8_t)w->counts[i];
	}
}

/* ---------------------------------------------------------------- records */

static void instance_name(char *out, size_t n, const char *label, unsigned i)
{
	snprintf(out, n, "%s %u.%s.local", label, i, opt.type);
}

static void rr_ptr(struct wire *w, int sec, const char *owner, const char *target,
                   uint32_t ttl)
{
	size_t rd = w_rr(w, sec, owner, T_PTR, false, ttl);
	w_name(w, target);
	w_rr_end(w, rd);
}

static void rr_srv(struct wire *w, int sec, const char *inst, const char *host)
{
	size_t rd = w_rr(w, sec, inst, T_SRV, true, 120);
	w_u16(w, 0);
	w_u16(w, 0);
	w_u16(w, 631);
	w_name(w, host);
	w_rr_end(w, rd);
}

static void rr_txt(struct wire *w, int sec, const char *inst, unsigned i)
{
	char s[6][96];
	snprintf(s[0], sizeof(s[0]), "txtvers=1");
	snprintf(s[1], sizeof(s[1]), "rp=ipp/print");
	snprintf(s[2], sizeof(s[2]), "ty=Office Printer Model %u", i % 50);
	snprintf(s[3], sizeof(s[3]), "pdl=application/pdf,image/urf,image/pwg-raster");
	snprintf(s[4], sizeof(s[4]), "UUID=6c8a2e10-9c1b-4f7a-8000-%012x", i);
	snprintf(s[5], sizeof(s[5]), "note=Floor %u", i % 7);
	size_t rd = w_rr(w, sec, inst, T_TXT, true, 4500);
	for (int k = 0; k < 6; k++) {
		uint8_t l = (uint8_t)strlen(s[k]);
		w_bytes(w, &l, 1);
		w_bytes(w, s[k], l);
	}
	w_rr_end(w, rd);
}

/* Host i's addresses: 192.168.1.0/24 style v4 from the first source's /16, v6 ULA. */
static void rr_a(struct wire *w, int sec, const char *host, unsigned i)
{
	uint8_t a[4] = {192, 168, (uint8_t)(100 + (i >> 16) % 100), 0};
	a[3] = (uint8_t)(1 + i % 250);
	if (opt.af == AF_INET) {
		const struct sockaddr_in *s = (const void *)&opt.src[0];
		memcpy(a, &s->sin_addr, 3);
		a[3] = (uint8_t)(1 + i % 250);
	}
	size_t rd = w_rr(w, sec, host, T_A, true, 120);
	w_bytes(w, a, 4);
	w_rr_end(w, rd);
}

static void rr_aaaa(struct wire *w, int sec, const char *host, unsigned i)
{
	uint8_t a[16] = {0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
	a[12] = (uint8_t)(i >> 24);
	a[13] = (uint8_t)(i >> 16);
	a[14] = (uint8_t)(i >> 8);
	a[15] = (uint8_t)i;
	size_t rd = w_rr(w, sec, host, T_AAAA, true, 120);
	w_bytes(w, a, 16);
	w_rr_end(w, rd);
}

static char type_local[300];

/* PTR, SRV, TXT, A (and AAAA) of service i, as one responder announces it. */
static void service(struct wire *w, const char *label, const char *hostlabel, unsigned i,
                    bool aaaa, int ptrsec, int restsec)
{
	char inst[300], host[100];
	instance_name(inst, sizeof(inst), label, i);
	snprintf(host, sizeof(host), "%s-%u.local", hostlabel, i);
	rr_ptr(w, ptrsec, type_local, inst, 4500);
	rr_srv(w, restsec, inst, host);
	rr_txt(w, restsec, inst, i);
	rr_a(w, restsec, host, i);
	if (aaaa)
		rr_aaaa(w, restsec, host, i);
}

/* ---------------------------------------------------------------- modes */

/* Builds datagram k of the run into w; returns the source to send it from. */
typedef unsigned (*build_fn)(struct wire *w, uint64_t k);

static uint64_t counter; /* records mode: the next new number */

static unsigned build_records(struct wire *w, uint64_t k)
{
	char name[300], target[300];
	unsigned n = opt.per_packet;
	w_start(w);
	switch (k % 3) {
	case 0: /* complete services (two fit a datagram with their TXT), strays */
		for (unsigned j = 0; j + 4 <= n && j < 8; j += 4)
			service(w, "Flood", "flood", opt.base + (unsigned)counter++,
			        false, 1, 1);
		for (unsigned j = n < 8 ? n - n % 4 : 8; j < n; j++) {
			snprintf(name, sizeof(name), "stray-%u.local",
			         opt.base + (unsigned)counter);
			rr_a(w, 1, name, opt.base + (unsigned)counter++);
		}
		break;
	case 1: /* instances nothing describes */
		for (unsigned j = 0; j < n; j++) {
			instance_name(target, sizeof(target), "Lone",
			              opt.base + (unsigned)counter++);
			rr_ptr(w, 1, type_local, target, 4500);
		}
		break;
	default: /* hosts nothing names */
		for (unsigned j = 0; j < n; j++) {
			snprintf(name, sizeof(name), "stray-%u.local",
			         opt.base + (unsigned)counter);
			rr_a(w, 1, name, opt.base + (unsigned)counter++);
		}
	}
	if (w->full)
		die("%u records do not fit one datagram", n);
	w_finish(w, true);
	return (unsigned)(k % opt.nsrc);
}

static unsigned build_query(struct wire *w, uint64_t k)
{
	w_start(w);
	w_question(w, type_local, T_PTR);
	w_finish(w, false);
	return (unsigned)(k % opt.nsrc);
}

static unsigned build_services(struct wire *w, uint64_t k)
{
	w_start(w);
	service(w, "Service", "host", opt.base + (unsigned)k, false, 1, 1);
	w_finish(w, true);
	return (unsigned)(k % opt.nsrc);
}

static unsigned build_steady(struct wire *w, uint64_t k)
{
	/* Every service announced once a second, evenly spread. */
	uint64_t per_s = opt.rate < STEADY_SERVICES ? 1 : (uint64_t)opt.rate;
	uint64_t slot = k % per_s, gap = per_s / STEADY_SERVICES;
	char inst[300], host[100];
	unsigned nclients = opt.nsrc - STEADY_SERVICES;

	w_start(w);
	if (gap && slot % gap == 0 && slot / gap < STEADY_SERVICES) {
		unsigned i = (unsigned)(slot / gap);
		service(w, "Service", "host", opt.base + i, true, 1, 1);
		w_finish(w, true);
		return i;
	}
	/* Question and answer pairs: q is the question's number. */
	uint64_t q = k / 2;
	unsigned i = (unsigned)(q % STEADY_SERVICES), kind = (unsigned)(q / 7 % 5);
	unsigned id = opt.base + i;
	instance_name(inst, sizeof(inst), "Service", id);
	snprintf(host, sizeof(host), "host-%u.local", id);
	if (k % 2 == 0) {
		switch (kind) {
		case 0:
			w_question(w, type_local, T_PTR);
			break;
		case 1:
			w_question(w, inst, T_SRV);
			w_question(w, inst, T_TXT);
			break;
		case 2:
			w_question(w, host, T_A);
			w_question(w, host, T_AAAA);
			break;
		case 3:
			w_question(w, "_services._dns-sd._udp.local", T_PTR);
			break;
		default:
			w_question(w, type_local, T_PTR);
		}
		w_finish(w, false);
		return nclients ? STEADY_SERVICES + (unsigned)(q % nclients) : i;
	}
	switch (kind) {
	case 0:
	case 4:
		service(w, "Service", "host", id, true, 1, 3);
		break;
	case 1:
		rr_srv(w, 1, inst, host);
		rr_txt(w, 1, inst, id);
		rr_a(w, 3, host, id);
		rr_aaaa(w, 3, host, id);
		break;
	case 2:
		rr_a(w, 1, host, id);
		rr_aaaa(w, 1, host, id);
		break;
	default:
		rr_ptr(w, 1, "_services._dns-sd._udp.local", type_local, 4500);
	}
	w_finish(w, true);
	return i;
}

/* ---------------------------------------------------------------- responder */

static double now_s(void);

/* The dotted name at off in msg (pointers followed, at most 32); 0 when malformed. */
static size_t r_name(const uint8_t *msg, size_t len, size_t off, char *out, size_t n)
{
	size_t o = off, end = 0, w = 0;
	for (int hops = 0; hops < 32 && o < len;) {
		uint8_t l = msg[o];
		if ((l & 0xc0) == 0xc0) {
			if (o + 1 >= len)
				return 0;
			if (!end)
				end = o + 2;
			o = (size_t)(l & 0x3f) << 8 | msg[o + 1];
			hops++;
			continue;
		}
		if (l & 0xc0)
			return 0;
		if (l == 0) {
			if (w == 0 && n)
				out[w++] = '.';
			out[w ? w - 1 : 0] = '\0';
			return end ? end : o + 1;
		}
		if (o + 1 + l > len || w + l + 1 >= n)
			return 0;
		memcpy(out + w, msg + o + 1, l);
		w += l;
		out[w++] = '.';
		o += 1 + l;
	}
	return 0;
}

static unsigned answered_q, answered_known, answered_services;

/*
 * One datagram heard: questions for the type (or the enumeration) set *ask / *enm,
 * known answers for instances of the type clear them from want. Returns whether
 * the datagram is a query (so that its TC bit means more known answers follow).
 */
static bool r_query(const uint8_t *m, size_t len, uint8_t *want, bool *ask, bool *enm,
                    bool *tc)
{
	char name[300], target[300], prefix[64];
	if (len < 12 || (m[2] & 0x80) || (m[2] & 0x78) || (m[3] & 0x0f))
		return false;
	unsigned qd = (unsigned)m[4] << 8 | m[5], an = (unsigned)m[6] << 8 | m[7];
	size_t o = 12;
	*tc = (m[2] & 0x02) != 0;
	for (unsigned i = 0; i < qd; i++) {
		if (!(o = r_name(m, len, o, name, sizeof(name))) || o + 4 > len)
			return false;
		unsigned type = (unsigned)m[o] << 8 | m[o + 1];
		o += 4;
		answered_q++;
		if (strcasecmp(name, type_local) == 0 && (type == T_PTR || type == 255))
			*ask = true;
		if (strcasecmp(name, "_services._dns-sd._udp.local") == 0 &&
		    (type == T_PTR || type == 255))
			*enm = true;
	}
	snprintf(prefix, sizeof(prefix), "Service ");
	for (unsigned i = 0; i < an; i++) {
		if (!(o = r_name(m, len, o, name, sizeof(name))) || o + 10 > len)
			return true;
		unsigned type = (unsigned)m[o] << 8 | m[o + 1];
		size_t rdlen = (size_t)m[o + 8] << 8 | m[o + 9];
		size_t rd = o + 10;
		o = rd + rdlen;
		if (o > len)
			return true;
		if (type != T_PTR || strcasecmp(name, type_local) != 0 ||
		    !r_name(m, len, rd, target, sizeof(target)))
			continue;
		/* "Service N.TYPE.local" */
		char *sp = strchr(target, '.');
		unsigned long k;
		char *endp;
		if (!sp || strncmp(target, prefix, strlen(prefix)) != 0 ||
		    strcasecmp(sp + 1, type_local) != 0)
			continue;
		k = strtoul(target + strlen(prefix), &endp, 10);
		if (endp != sp || k < opt.base || k - opt.base >= opt.services)
			continue;
		answered_known++;
		want[k - opt.base] = 0;
	}
	return true;
}

/* -a: answer questions for opt.answer_s seconds from the first source. */
static void respond(const struct sockaddr *group, socklen_t glen)
{
	int one = 1;
	if (opt.af != AF_INET)
		die("-a needs IPv4 sources");
	int rfd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in any = {.sin_family = AF_INET, .sin_port = htons(5353)};
	struct ip_mreqn mr = {.imr_ifindex = (int)ifindex};
	if (rfd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(rfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(rfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(rfd, (struct sockaddr *)&any, sizeof(any)) < 0)
		die("bind port 5353: %s", strerror(errno));
	inet_pton(AF_INET, "224.0.0.251", &mr.imr_multiaddr);
	if (setsockopt(rfd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
		die("IP_ADD_MEMBERSHIP: %s", strerror(errno));

	uint8_t *want = calloc(opt.services ? opt.services : 1, 1);
	uint8_t *queue = calloc(opt.services ? opt.services : 1, 1);
	if (!want || !queue)
		die("out of memory");
	static struct wire w;
	double end = now_s() + opt.answer_s, wait_until = 0, t_send = 0;
	bool asked = false, enm = false;
	unsigned next = 0, queued = 0, packets = 0;
	while (now_s() < end) {
		struct pollfd pf = {.fd = rfd, .events = POLLIN};
		if (poll(&pf, 1, 1) > 0) {
			uint8_t m[9000];
			ssize_t n = recv(rfd, m, sizeof(m), 0);
			bool tc = false, ask = false;
			if (n > 0) {
				if (!asked && !wait_until)
					memset(want, 1, opt.services);
				if (r_query(m, (size_t)n, want, &ask, &enm, &tc)) {
					asked |= ask;
					if (asked || enm)
						wait_until = tc ? now_s() + 0.5 : now_s();
				}
			}
		}
		if ((asked || enm) && wait_until && now_s() >= wait_until) {
			if (enm) {
				w_start(&w);
				rr_ptr(&w, 1, "_services._dns-sd._udp.local", type_local,
				       4500);
				w_finish(&w, true);
				sendto(fds[0], w.buf, w.len, 0, group, glen);
				packets++;
			}
			for (unsigned i = 0; asked && i < opt.services; i++)
				if (want[i] && !queue[i]) {
					queue[i] = 1;
					queued++;
				}
			asked = enm = false;
			wait_until = 0;
		}
		/* queued answers, paced at the rate */
		while (queued && now_s() >= t_send) {
			while (!queue[next])
				next = (next + 1) % opt.services;
			queue[next] = 0;
			queued--;
			w_start(&w);
			service(&w, "Service", "host", opt.base + next, false, 1, 1);
			w_finish(&w, true);
			if (sendto(fds[0], w.buf, w.len, 0, group, glen) >= 0) {
				packets++;
				answered_services++;
			}
			t_send = (t_send ? t_send : now_s()) + 1.0 / opt.rate;
			if (t_send < now_s() - 0.01)
				t_send = now_s();
		}
	}
	printf("answered questions=%u known=%u services=%u packets=%u\n", answered_q,
	       answered_known, answered_services, packets);
	free(want);
	free(queue);
	close(rfd);
}

/* ---------------------------------------------------------------- sending */

static void add_sources(const char *arg)
{
	char a[INET6_ADDRSTRLEN + 8];
	unsigned n = 1;
	snprintf(a, sizeof(a), "%s", arg);
	char *plus = strchr(a, '+');
	if (plus) {
		*plus = '\0';
		n = (unsigned)strtoul(plus + 1, NULL, 10);
	}
	for (unsigned i = 0; i < n; i++) {
		if (opt.nsrc == MAX_SOURCES)
			die("more than %d sources", MAX_SOURCES);
		struct sockaddr_storage *ss = &opt.src[opt.nsrc];
		struct sockaddr_in *s4 = (void *)ss;
		struct sockaddr_in6 *s6 = (void *)ss;
		if (inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
			s4->sin_family = AF_INET;
			s4->sin_port = htons(5353);
			s4->sin_addr.s_addr = htonl(ntohl(s4->sin_addr.s_addr) + i);
		} else if (!plus && inet_pton(AF_INET6, a, &s6->sin6_addr) == 1) {
			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons(5353);
		} else {
			die("bad source %s", arg);
		}
		if (opt.af && opt.af != ss->ss_family)
			die("sources of both families");
		opt.af = ss->ss_family;
		opt.nsrc++;
	}
}

static void open_sockets(void)
{
	int one = 1, ttl = 255, zero = 0;
	for (unsigned i = 0; i < opt.nsrc; i++) {
		int fd = socket(opt.af, SOCK_DGRAM, 0);
		if (fd < 0)
			die("socket: %s", strerror(errno));
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
		if (opt.af == AF_INET6) {
			struct sockaddr_in6 *s6 = (void *)&opt.src[i];
			if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr))
				s6->sin6_scope_id = ifindex;
			setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex,
			           sizeof(ifindex));
			setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl,
			           sizeof(ttl));
			setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &zero,
			           sizeof(zero));
		} else {
			struct ip_mreqn m = {.imr_ifindex = (int)ifindex};
			setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof(m));
			setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
			setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero,
			           sizeof(zero));
		}
		socklen_t sl = opt.af == AF_INET ? sizeof(struct sockaddr_in)
		                                 : sizeof(struct sockaddr_in6);
		if (bind(fd, (struct sockaddr *)&opt.src[i], sl) < 0) {
			char a[INET6_ADDRSTRLEN];
			const void *p =
			    opt.af == AF_INET
			        ? (const void *)&((struct sockaddr_in *)&opt.src[i])
			              ->sin_addr
			        : (const void *)&((struct sockaddr_in6 *)&opt.src[i])
			              ->sin6_addr;
			inet_ntop(opt.af, p, a, sizeof(a));
			die("bind %s port 5353: %s", a, strerror(errno));
		}
		fds[i] = fd;
	}
}

/* -w: the datagrams in a file instead of on the wire. */
static int write_file(build_fn build, uint64_t total)
{
	static struct wire w;
	FILE *f = fopen(opt.write_to, "wb");
	if (!f)
		die("%s: %s", opt.write_to, strerror(errno));
	if (opt.af != AF_INET)
		die("-w needs IPv4 sources");
	for (uint64_t k = 0; k < total; k++) {
		unsigned s = build(&w, k);
		const struct sockaddr_in *src = (const void *)&opt.src[s];
		uint8_t len[2] = {(uint8_t)(w.len >> 8), (uint8_t)w.len};
		if (w.full)
			die("datagram %llu too large", (unsigned long long)k);
		fwrite(&src->sin_addr, 4, 1, f);
		fwrite(len, 2, 1, f);
		fwrite(w.buf, w.len, 1, f);
		sent_packets++;
		sent_bytes += w.len;
	}
	if (fclose(f) != 0)
		die("%s: %s", opt.write_to, strerror(errno));
	printf("wrote packets=%llu bytes=%llu records=%llu questions=%llu\n",
	       (unsigned long long)sent_packets, (unsigned long long)sent_bytes,
	       (unsigned long long)sent_records, (unsigned long long)sent_questions);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: flood [-i IFACE] [-s SRC[+N]]... [-r PACKETS/S] [-d SECONDS] "
	        "[-k RECORDS] [-n SERVICES] [-b BASE] [-t TYPE] [-u DST] [-w FILE] "
	        "[-a SECONDS] "
	        "records|query|services|steady\n");
	exit(1);
}

int main(int argc, char **argv)
{
	int c;
	while ((c = getopt(argc, argv, "i:s:r:d:k:n:b:t:u:w:a:")) != -1) {
		switch (c) {
		case 'a':
			opt.answer_s = strtod(optarg, NULL);
			break;
		case 'i':
			opt.iface = optarg;
			break;
		case 's':
			add_sources(optarg);
			break;
		case 'r':
			opt.rate = strtod(optarg, NULL);
			break;
		case 'd':
			opt.seconds = strtod(optarg, NULL);
			break;
		case 'k':
			opt.per_packet = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'n':
			opt.services = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'b':
			opt.base = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 't':
			opt.type = optarg;
			break;
		case 'w':
			opt.write_to = optarg;
			break;
		case 'u':
			opt.unicast = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc || opt.rate <= 0 || opt.seconds < 0 || !opt.per_packet)
		usage();
	opt.mode = argv[optind];
	if (!opt.nsrc)
		die("no source address (-s)");
	if (!opt.write_to && !(ifindex = if_nametoindex(opt.iface)))
		die("no interface %s", opt.iface);
	snprintf(type_local, sizeof(type_local), "%s.local", opt.type);

	build_fn build;
	uint64_t total = (uint64_t)(opt.rate * opt.seconds + 0.5);
	if (strcmp(opt.mode, "records") == 0) {
		build = build_records;
	} else if (strcmp(opt.mode, "query") == 0) {
		build = build_query;
	} else if (strcmp(opt.mode, "services") == 0) {
		build = build_services;
		total = opt.services;
	} else if (strcmp(opt.mode, "steady") == 0) {
		build = build_steady;
		if (opt.nsrc < STEADY_SERVICES)
			die("steady needs at least %d sources", STEADY_SERVICES);
	} else {
		usage();
	}
	if (opt.write_to)
		return write_file(build, total);
	open_sockets();

	struct sockaddr_storage dst = {0};
	socklen_t dlen;
	if (opt.af == AF_INET) {
		struct sockaddr_in *d = (void *)&dst;
		d->sin_family = AF_INET;
		d->sin_port = htons(5353);
		if (inet_pton(AF_INET, opt.unicast ? opt.unicast : "224.0.0.251",
		              &d->sin_addr) != 1)
			die("bad destination %s", opt.unicast);
		dlen = sizeof(*d);
	} else {
		struct sockaddr_in6 *d = (void *)&dst;
		d->sin6_family = AF_INET6;
		d->sin6_port = htons(5353);
		d->sin6_scope_id = ifindex;
		if (inet_pton(AF_INET6, opt.unicast ? opt.unicast : "ff02::fb",
		              &d->sin6_addr) != 1)
			die("bad destination %s", opt.unicast);
		dlen = sizeof(*d);
	}

	static struct wire w;
	double t0 = now_s();
	uint64_t k = 0;
	while (k < total) {
		/* Whatever is due by now, then a millisecond's sleep. */
		uint64_t due = (uint64_t)((now_s() - t0) * opt.rate) + 1;
		if (due > total)
			due = total;
		for (; k < due; k++) {
			unsigned s = build(&w, k);
			if (w.full)
				die("datagram %llu too large", (unsigned long long)k);
			ssize_t r = sendto(fds[s], w.buf, w.len, 0,
			                   (struct sockaddr *)&dst, dlen);
			if (r < 0) {
				if (errno == ENOBUFS || errno == EAGAIN)
					continue;
				die("sendto: %s", strerror(errno));
			}
			sent_packets++;
			sent_bytes += w.len;
		}
		struct timespec ts = {0, 1000000};
		if (k < total)
			nanosleep(&ts, NULL);
	}
	printf("sent packets=%llu bytes=%llu records=%llu questions=%llu seconds=%.3f\n",
	       (unsigned long long)sent_packets, (unsigned long long)sent_bytes,
	       (unsigned long long)sent_records, (unsigned long long)sent_questions,
	       now_s() - t0);
	if (build == build_services && opt.answer_s > 0)
		respond((struct sockaddr *)&dst, dlen);
	return 0;
}
