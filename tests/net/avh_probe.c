/*
 * avh_probe: the Avahi module (reflector/avahi.c) on its own, for network tests.
 *
 *   avh_probe [-v] [-b] [-t SECONDS] FIFO
 *
 * Reads commands from FIFO, one per line, fields separated by tabs:
 *   set KEY NAME TYPE HOST PORT ADDRS SUBTYPES [TXT...]
 *                      ADDRS and SUBTYPES comma-separated, "-" for none
 *   remove KEY
 *   browse | unbrowse
 *   stats
 *   quit
 * and prints, one line each (stdout, flushed):
 *   ready
 *   running 0|1
 *   set key=KEY rc=N | remove key=KEY rc=N
 *   renamed key=KEY name=NAME | hostrenamed host=HOST name=NAME
 *   found NEW|REMOVED if=IFACE af=4|6 name="NAME" type=T domain=D host=H addr=A port=P
 *         local=0|1 txt="..." "..."
 *   stats running=N services=N ...
 * The module logs to stderr. -b browses from the start. Exits 0 after SECONDS
 * (default 120), on "quit" or on SIGTERM / SIGINT, after freeing the module.
 */
#include "config.h"

#include "reflector/avahi.h"
#include "reflector/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#define MAXF 64

struct probe {
	struct event_base *base;
	struct avh *avh;
	int fd;
	char buf[8192];
	size_t len;
};

static void usage(void)
{
	fprintf(stderr, "usage: avh_probe [-v] [-b] [-t SECONDS] FIFO\n");
	exit(1);
}

static void on_renamed(void *arg, const char *key, const char *name)
{
	(void)arg;
	printf("renamed key=%s name=%s\n", key, name);
}

static void on_host_renamed(void *arg, const char *host, const char *name)
{
	(void)arg;
	printf("hostrenamed host=%s name=%s\n", host, name);
}

static void on_running(void *arg, int running)
{
	(void)arg;
	printf("running %d\n", running);
}

static void on_found(void *arg, const struct avh_found *f)
{
	char ifname[IF_NAMESIZE] = "?", addr[INET6_ADDRSTRLEN] = "?";
	const struct dnssd_service *s = &f->svc;
	size_t i, j;

	(void)arg;
	if (!if_indextoname((unsigned)f->ifindex, ifname))
		snprintf(ifname, sizeof(ifname), "%d", f->ifindex);
	if (s->naddrs)
		inet_ntop(s->addrs[0].af, s->addrs[0].a, addr, sizeof(addr));
	printf("found %s if=%s af=%d name=\"%s\" type=%s domain=%s host=%s addr=%s "
	       "port=%u local=%d "
	       "txt=",
	       f->event == AVH_NEW ? "NEW" : "REMOVED", ifname, f->af == AF_INET6 ? 6 : 4,
	       s->name, s->type, s->domain, s->host, addr, s->port, f->local);
	for (i = 0; i < s->ntxt; i++) {
		putchar(i ? ' ' : '"');
		if (i)
			putchar('"');
		for (j = 0; j < s->txt[i].len; j++) {
			unsigned char c = s->txt[i].data[j];
			if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
				printf("\\%03o", c);
			else
				putchar(c);
		}
		putchar('"');
	}
	putchar('\n');
}

static size_t split(char *s, char sep, char **f, size_t max)
{
	size_t n = 0;

	while (n < max) {
		f[n++] = s;
		s = strchr(s, sep);
		if (!s)
			break;
		*s++ = '\0';
	}
	return n;
}

static int parse_addrs(char *s, struct dnssd_addr *out, size_t max, size_t *n)
{
	char *f[MAXF];
	size_t i, k;

	*n = 0;
	if (!strcmp(s, "-"))
		return 0;
	k = split(s, ',', f, max < MAXF ? max : MAXF);
	for (i = 0; i < k; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		if (inet_pton(AF_INET, f[i], out[i].a) == 1)
			out[i].af = AF_INET;
		else if (inet_pton(AF_INET6, f[i], out[i].a) == 1)
			out[i].af = AF_INET6;
		else
			return -1;
	}
	*n = k;
	return 0;
}

static void command(struct probe *p, char *line)
{
	char *f[MAXF];
	size_t n;

	log_debug("command: %s", line);
	n = split(line, '\t', f, MAXF);

	if (!strcmp(f[0], "set") && n >= 8) {
		struct dnssd_addr addrs[MAXF];
		struct dnssd_txt txt[MAXF];
		char *subs[MAXF];
		struct dnssd_service s = {0};
		size_t i;
		int rc;

		s.name = f[2];
		s.type = f[3];
		s.host = f[4];
		s.port = (uint16_t)atoi(f[5]);
		if (parse_addrs(f[6], addrs, MAXF, &s.naddrs) < 0) {
			printf("set key=%s rc=bad-address\n", f[1]);
			return;
		}
		s.addrs = addrs;
		if (strcmp(f[7], "-")) {
			s.nsubtypes = split(f[7], ',', subs, MAXF);
			s.subtypes = (const char *const *)subs;
		}
		for (i = 8; i < n; i++) {
			txt[i - 8].data = (const uint8_t *)f[i];
			txt[i - 8].len = strlen(f[i]);
		}
		s.txt = txt;
		s.ntxt = n - 8;
		rc = avh_service_set(p->avh, f[1], &s);
		printf("set key=%s rc=%d\n", f[1], rc);
	} else if (!strcmp(f[0], "remove") && n == 2) {
		printf("remove key=%s rc=%d\n", f[1], avh_service_remove(p->avh, f[1]));
	} else if (!strcmp(f[0], "browse")) {
		printf("browse rc=%d\n", avh_browse_start(p->avh, on_found));
	} else if (!strcmp(f[0], "unbrowse")) {
		avh_browse_stop(p->avh);
		printf("unbrowse\n");
	} else if (!strcmp(f[0], "stats")) {
		struct avh_stats st;

		avh_get_stats(p->avh, &st);
		printf(
		    "stats running=%d services=%u established=%u hosts=%u collisions=%u "
		    "txt_updates=%u republished=%u reconnects=%u found=%u "
		    "duplicates=%u\n",
		    st.running, st.services, st.established, st.hosts, st.collisions,
		    st.txt_updates, st.republished, st.reconnects, st.found,
		    st.duplicates);
	} else if (!strcmp(f[0], "quit")) {
		event_base_loopbreak(p->base);
	} else if (f[0][0]) {
		printf("error unknown command %s\n", f[0]);
	}
}

static void on_fifo(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;
	ssize_t r;
	char *nl;

	(void)what;
	r = read(fd, p->buf + p->len, sizeof(p->buf) - 1 - p->len);
	if (r <= 0)
		return;
	p->len += (size_t)r;
	p->buf[p->len] = '\0';
	while ((nl = strchr(p->buf, '\n'))) {
		*nl = '\0';
		command(p, p->buf);
		memmove(p->buf, nl + 1, p->len - (size_t)(nl + 1 - p->buf) + 1);
		p->len -= (size_t)(nl + 1 - p->buf);
	}
	if (p->len == sizeof(p->buf) - 1)
		p->len = 0; /* a line too long: dropped */
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
	struct probe p = {0};
	struct avh_callbacks cbs = {on_renamed, on_host_renamed, on_running};
	struct event *ev_fifo, *ev_term, *ev_int, *ev_time;
	struct timeval tv = {120, 0};
	int c, verbose = 0, browse = 0;

	while ((c = getopt(argc, argv, "vbt:")) != -1) {
		switch (c) {
		case 'v':
			verbose++;
			break;
		case 'b':
			browse = 1;
			break;
		case 't':
			tv.tv_sec = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init(1, verbose, "avh_probe");
	/* Read-write: the FIFO never reports end of file between writers. */
	p.fd = open(argv[optind], O_RDWR | O_NONBLOCK);
	if (p.fd < 0) {
		fprintf(stderr, "avh_probe: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	p.base = event_base_new();
	if (!p.base || !(p.avh = avh_new(p.base, &cbs, &p))) {
		fprintf(stderr, "avh_probe: out of memory\n");
		return 1;
	}
	if (browse)
		avh_browse_start(p.avh, on_found);
	ev_fifo = event_new(p.base, p.fd, EV_READ | EV_PERSIST, on_fifo, &p);
	ev_term = evsignal_new(p.base, SIGTERM, on_stop, p.base);
	ev_int = evsignal_new(p.base, SIGINT, on_stop, p.base);
	ev_time = evtimer_new(p.base, on_stop, p.base);
	event_add(ev_fifo, NULL);
	event_add(ev_term, NULL);
	event_add(ev_int, NULL);
	event_add(ev_time, &tv);
	printf("ready\n");
	event_base_dispatch(p.base);
	avh_free(p.avh);
	event_free(ev_fifo);
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_time);
	event_base_free(p.base);
	close(p.fd);
	printf("exit\n");
	return 0;
}
