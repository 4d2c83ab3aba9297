/*
 * lan_probe: the LAN module on its own, for network tests.
 *
 *   lan_probe [-v] [-t SECONDS] [-x HEX | -f FILE] [-4 | -6] [-u ADDR] [-d DELAY]
 *             [-r INTERVAL] IFACE...
 *
 * Listens for mDNS on the interfaces and prints, one line each (stdout, flushed):
 *   iface NAME index=N up=0|1 mtu4=N mtu6=N addr4=A addr6=A   at start
 *   ready                                                    once listening
 *   recv if=NAME af=4|6 src=ADDR:PORT dst=ADDR mcast=0|1 len=N head=HEX
 *   sent if=NAME af=4|6 len=N rc=0|-ERRNO
 *   link if=NAME index=N up=0|1                              interface events
 *   stats in=N ...                                           whenever a counter changes
 * With -x or -f it sends that datagram (hex digits, or a file's bytes) to the mDNS
 * group on every interface (-4 / -6: one family only; -u ADDR: unicast to ADDR port
 * 5353 instead), DELAY seconds after start and then every INTERVAL seconds.
 * Exits 0 after SECONDS (default 10) or on SIGTERM / SIGINT, 1 on a setup error.
 */
#include "config.h"

#include "reflector/lan.h"
#include "reflector/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

struct probe {
	struct event_base *base;
	struct event *snd;
	double interval;
	struct lan *lan;
	uint8_t *out;
	size_t outlen;
	int families; /* 1: IPv4, 2: IPv6 */
	struct sockaddr_storage to;
	int have_to;
	struct lan_stats last;
};

static void usage(void)
{
	fprintf(stderr, "usage: lan_probe [-v] [-t SECONDS] [-x HEX | -f FILE] [-4 | -6] "
	                "[-u ADDR] [-d DELAY] [-r INTERVAL] IFACE...\n");
	exit(1);
}

static void fmt_addr(const struct sockaddr_storage *ss, int with_port, char *out,
                     size_t n)
{
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		port = ntohs(s->sin_port);
		if (with_port)
			snprintf(out, n, "%s:%u", a, port);
		else
			snprintf(out, n, "%s", a);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		port = ntohs(s->sin6_port);
		if (with_port)
			snprintf(out, n, "[%s]:%u", a, port);
		else
			snprintf(out, n, "%s", a);
	} else {
		snprintf(out, n, "-");
	}
}

static void on_packet(void *arg, const struct lan_pkt *p)
{
	(void)arg;
	char src[80], dst[80], head[33];
	size_t i;

	fmt_addr(&p->src, 1, src, sizeof(src));
	fmt_addr(&p->dst, 0, dst, sizeof(dst));
	for (i = 0; i < p->len && i < 16; i++)
		snprintf(head + 2 * i, 3, "%02x", p->data[i]);
	head[2 * i] = '\0';
	printf("recv if=%s af=%d src=%s dst=%s mcast=%d len=%zu head=%s\n", p->ifname,
	       p->af == AF_INET ? 4 : 6, src, dst, p->multicast, p->len, head);
	fflush(stdout);
}

static void on_link(void *arg, int ifindex, const char *name, int up)
{
	(void)arg;
	printf("link if=%s index=%d up=%d\n", name, ifindex, up);
	fflush(stdout);
}

static void print_stats(struct probe *pr, int always)
{
	struct lan_stats s;

	lan_stats(pr->lan, &s);
	if (!always && memcmp(&s, &pr->last, sizeof(s)) == 0)
		return;
	pr->last = s;
	printf(
	    "stats in=%llu bytes_in=%llu out=%llu bytes_out=%llu own=%llu offlink=%llu "
	    "truncated=%llu notconf=%llu overflow=%llu senderr=%llu rejoins=%llu\n",
	    (unsigned long long)s.packets_in, (unsigned long long)s.bytes_in,
	    (unsigned long long)s.packets_out, (unsigned long long)s.bytes_out,
	    (unsigned long long)s.drop_own, (unsigned long long)s.drop_offlink,
	    (unsigned long long)s.drop_truncated, (unsigned long long)s.drop_ifnotconf,
	    (unsigned long long)s.drop_overflow, (unsigned long long)s.send_errors,
	    (unsigned long long)s.rejoins);
	fflush(stdout);
}

static void send_one(void *arg, int ifindex, const char *name, int up)
{
	struct probe *pr = arg;
	(void)up;

	for (int af = AF_INET; af; af = af == AF_INET ? AF_INET6 : 0) {
		if (!(pr->families & (af == AF_INET ? 1 : 2)))
			continue;
		if (pr->have_to && pr->to.ss_family != af)
			continue;
		int rc = lan_send(pr->lan, ifindex, af,
		                  pr->have_to ? (const struct sockaddr *)&pr->to : NULL,
		                  pr->out, pr->outlen);
		printf("sent if=%s af=%d len=%zu rc=%d\n", name, af == AF_INET ? 4 : 6,
		       pr->outlen, rc);
	}
	fflush(stdout);
}

static struct timeval tv_of(double s)
{
	struct timeval tv;
	tv.tv_sec = (time_t)s;
	tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
	return tv;
}

static void on_send(evutil_socket_t fd, short what, void *arg)
{
	struct probe *pr = arg;
	(void)fd;
	(void)what;
	lan_foreach_interface(pr->lan, send_one, pr);
	if (pr->interval > 0) {
		struct timeval r = tv_of(pr->interval);
		event_add(pr->snd, &r);
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	print_stats(arg, 0);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct probe *pr = arg;
	(void)fd;
	(void)what;
	event_base_loopbreak(pr->base);
}

static void describe(void *arg, int ifindex, const char *name, int up)
{
	struct probe *pr = arg;
	char a4[80] = "-", a6[80] = "-";
	struct sockaddr_storage ss;

	if (lan_interface_addr(pr->lan, ifindex, AF_INET, &ss) == 0)
		fmt_addr(&ss, 0, a4, sizeof(a4));
	if (lan_interface_addr(pr->lan, ifindex, AF_INET6, &ss) == 0)
		fmt_addr(&ss, 0, a6, sizeof(a6));
	printf("iface %s index=%d up=%d mtu4=%d mtu6=%d addr4=%s addr6=%s\n", name,
	       ifindex, up, lan_mtu(pr->lan, ifindex, AF_INET),
	       lan_mtu(pr->lan, ifindex, AF_INET6), a4, a6);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_hex(const char *s, struct probe *pr)
{
	size_t n = strlen(s);
	pr->out = malloc(n / 2 + 1);
	if (!pr->out)
		return -1;
	pr->outlen = 0;
	for (size_t i = 0; i < n;) {
		if (s[i] == ' ' || s[i] == '\n' || s[i] == ':') {
			i++;
			continue;
		}
		int hi = hexval(s[i]), lo = i + 1 < n ? hexval(s[i + 1]) : -1;
		if (hi < 0 || lo < 0)
			return -1;
		pr->out[pr->outlen++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return pr->outlen ? 0 : -1;
}

static int read_file(const char *path, struct probe *pr)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	pr->out = malloc(LAN_MAX_DATAGRAM + 1);
	if (!pr->out) {
		fclose(f);
		return -1;
	}
	pr->outlen = fread(pr->out, 1, LAN_MAX_DATAGRAM + 1, f);
	int err = ferror(f);
	fclose(f);
	return err || pr->outlen == 0 ? -1 : 0;
}

static int parse_to(const char *s, struct probe *pr)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&pr->to;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&pr->to;

	memset(&pr->to, 0, sizeof(pr->to));
	if (inet_pton(AF_INET, s, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(LAN_MDNS_PORT);
	} else if (inet_pton(AF_INET6, s, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(LAN_MDNS_PORT);
	} else {
		return -1;
	}
	pr->have_to = 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct probe pr;
	double timeout = 10, delay = 0;
	int verbose = 0, c, rc = 1;

	memset(&pr, 0, sizeof(pr));
	pr.families = 3;
	while ((c = getopt(argc, argv, "vt:x:f:46u:d:r:")) != -1) {
		switch (c) {
		case 'v':
			verbose++;
			break;
		case 't':
			timeout = atof(optarg);
			break;
		case 'x':
			if (pr.out || parse_hex(optarg, &pr) < 0)
				usage();
			break;
		case 'f':
			if (pr.out || read_file(optarg, &pr) < 0) {
				fprintf(stderr, "lan_probe: cannot read %s\n", optarg);
				return 1;
			}
			break;
		case '4':
			pr.families = 1;
			break;
		case '6':
			pr.families = 2;
			break;
		case 'u':
			if (parse_to(optarg, &pr) < 0)
				usage();
			break;
		case 'd':
			delay = atof(optarg);
			break;
		case 'r':
			pr.interval = atof(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind >= argc || timeout <= 0)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init(1, verbose, "lan_probe");

	struct event *stop = NULL, *tick = NULL, *sigterm = NULL, *sigint = NULL;
	pr.base = event_base_new();
	if (!pr.base)
		goto out;
	pr.lan = lan_new(pr.base, on_packet, &pr);
	if (!pr.lan) {
		fprintf(stderr, "lan_probe: cannot open mDNS sockets: %s\n",
		        strerror(errno));
		goto out;
	}
	lan_set_iface_cb(pr.lan, on_link, &pr);
	for (int i = optind; i < argc; i++) {
		int err = lan_add_interface(pr.lan, argv[i]);
		if (err < 0) {
			fprintf(stderr, "lan_probe: %s: %s\n", argv[i], strerror(-err));
			goto out;
		}
	}
	lan_foreach_interface(pr.lan, describe, &pr);

	struct timeval tv = tv_of(timeout), tick_tv = tv_of(0.1);
	stop = evtimer_new(pr.base, on_stop, &pr);
	tick = event_new(pr.base, -1, EV_PERSIST, on_tick, &pr);
	sigterm = evsignal_new(pr.base, SIGTERM, on_stop, &pr);
	sigint = evsignal_new(pr.base, SIGINT, on_stop, &pr);
	if (!stop || !tick || !sigterm || !sigint || evtimer_add(stop, &tv) < 0 ||
	    event_add(tick, &tick_tv) < 0 || event_add(sigterm, NULL) < 0 ||
	    event_add(sigint, NULL) < 0)
		goto out;
	if (pr.out) {
		struct timeval d = tv_of(delay);
		pr.snd = evtimer_new(pr.base, on_send, &pr);
		if (!pr.snd || evtimer_add(pr.snd, &d) < 0)
			goto out;
	}
	printf("ready\n");
	fflush(stdout);
	event_base_dispatch(pr.base);
	print_stats(&pr, 1);
	rc = 0;
out:
	if (pr.snd)
		event_free(pr.snd);
	if (stop)
		event_free(stop);
	if (tick)
		event_free(tick);
	if (sigterm)
		event_free(sigterm);
	if (sigint)
		event_free(sigint);
	lan_free(pr.lan);
	if (pr.base)
		event_base_free(pr.base);
	free(pr.out);
	return rc;
}
