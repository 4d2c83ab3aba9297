/* ctl.c: the control socket and the status report (see ctl.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "policy/config.h"
#include "reflector/ctl.h"
#include "reflector/lan.h"
#include "reflector/log.h"
#include "reflector/peer.h"
#include "engine/proxy.h"

#define CTL_REQUEST_MAX 64
#define CTL_CLIENT_TIMEOUT_S 2
#define CTL_MAX_CLIENTS 8

struct ctl_client {
	struct ctl_client *next;
	struct ctl *ctl;
	int fd;
	struct event *ev;
	char req[CTL_REQUEST_MAX];
	size_t len;
};

struct ctl {
	struct event_base *base;
	const struct policy_config *cfg;
	struct lan *lan;
	struct peer_mgr *peers;
	struct proxy *proxy;
	char *path;
	char *dir; /* the socket's directory when ctl_new() made it, else NULL */
	int fd;
	struct event *ev;
	struct ctl_client *clients_head;
	unsigned clients;
};

/* ---- report ---- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void fmt_time(time_t t, char *buf, size_t len)
{
	struct tm tm;
	if (t == 0 || !gmtime_r(&t, &tm) ||
	    !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "never");
}

struct report {
	const struct ctl *ctl;
	FILE *f;
	int json;
	int first;
};

static void report_peer(void *arg, const struct peer_stats *st)
{
	struct report *r = arg;
	FILE *f = r->f;
	char since[32];
	struct proxy_peer_stats ps = {0};
	size_t cached = 0;

	fmt_time(st->since, since, sizeof(since));
	for (size_t i = 0; i < policy_config_npeers(r->ctl->cfg); i++)
		if (strcmp(policy_peer_name(policy_config_peer(r->ctl->cfg, i)),
		           st->name) == 0 &&
		    proxy_get_peer_stats(r->ctl->proxy, (unsigned)i, &ps) == 0)
			cached = ps.cached;
	if (r->json) {
		fprintf(f, "%s{\"name\":", r->first ? "" : ",");
		json_str(f, st->name);
		fprintf(
		    f, ",\"state\":\"%s\",\"since\":\"%s\",\"incoming\":%s,\"address\":",
		    peer_state_name(st->state), since, st->incoming ? "true" : "false");
		json_str(f, st->address);
		fprintf(f, ",\"last_error\":");
		json_str(f, st->last_error);
		/* A link that is up keeps the error of an attempt before it: say so. */
		fprintf(f, ",\"last_error_before_up\":%s",
		        st->state == PEER_UP && st->last_error[0] ? "true" : "false");
		fprintf(
		    f,
		    ",\"records_in\":%llu,\"records_out\":%llu,\"withdrawn_in\":%llu,"
		    "\"withdrawn_out\":%llu,\"questions_in\":%llu,\"questions_out\":%llu,"
		    "\"bytes_in\":%llu,\"bytes_out\":%llu,\"cached\":%zu,\"grace\":%s}",
		    (unsigned long long)st->records_in,
		    (unsigned long long)st->records_out,
		    (unsigned long long)st->withdrawn_in,
		    (unsigned long long)st->withdrawn_out,
		    (unsigned long long)st->questions_in,
		    (unsigned long long)st->questions_out,
		    (unsigned long long)st->bytes_in, (unsigned long long)st->bytes_out,
		    cached, ps.grace_running ? "true" : "false");
	} else {
		fprintf(f, "  %-20s %-10s since %s%s%s%s\n", st->name,
		        peer_state_name(st->state), since,
		        st->address[0] ? (st->incoming ? " from " : " to ") : "",
		        st->address,
		        ps.grace_running ? " (records kept: grace period)" : "");
		fprintf(f,
		        "    records in %llu out %llu, withdrawn in %llu out %llu, "
		        "questions in %llu out %llu\n",
		        (unsigned long long)st->records_in,
		        (unsigned long long)st->records_out,
		        (unsigned long long)st->withdrawn_in,
		        (unsigned long long)st->withdrawn_out,
		        (unsigned long long)st->questions_in,
		        (unsigned long long)st->questions_out);
		fprintf(f, "    bytes in %llu out %llu, cached from it %zu\n",
		        (unsigned long long)st->bytes_in,
		        (unsigned long long)st->bytes_out, cached);
		if (st->last_error[0])
			fprintf(f, "    last error%s: %s\n",
			        st->state == PEER_UP ? " before up" : "", st->last_error);
	}
	r->first = 0;
}

static void report_iface(void *arg, int ifindex, const char *name, int up)
{
	struct report *r = arg;
	if (r->json)
		fprintf(r->f, "%s{\"name\":\"%s\",\"index\":%d,\"up\":%s}",
		        r->first ? "" : ",", name, ifindex, up ? "true" : "false");
	else
		fprintf(r->f, " %s(%s)", name, up ? "up" : "down");
	r->first = 0;
}

char *ctl_status(const struct ctl *c, int json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct report r = {.ctl = c, .f = f, .json = json, .first = 1};
	struct proxy_stats ps;
	struct lan_stats ls;
	struct peer_mgr_stats ms;

	if (!f)
		return NULL;
	proxy_get_stats(c->proxy, &ps);
	lan_stats(c->lan, &ls);
	peer_mgr_get_stats(c->peers, &ms);

	/* Drops by reason: the LAN module's, the decoder's, the engine's. */
	struct {
		const char *name;
		unsigned long long n;
	} drops[3 + 4 + DNSSD_R_MAX + PROXY_DROP_MAX];
	size_t nd = 0;
	drops[nd].name = "own";
	drops[nd++].n = ls.drop_own;
	drops[nd].name = "off-link";
	drops[nd++].n = ls.drop_offlink;
	drops[nd].name = "oversize";
	drops[nd++].n = ls.drop_truncated;
	drops[nd].name = "other-interface";
	drops[nd++].n = ls.drop_ifnotconf;
	drops[nd].name = "receive-overflow";
	drops[nd++].n = ls.drop_overflow;
	for (int i = 1; i < DNSSD_R_MAX; i++) {
		drops[nd].name = dnssd_reason_str((enum dnssd_reason)i);
		drops[nd++].n = ps.decode_drops[i];
	}
	for (int i = 0; i < PROXY_DROP_MAX; i++) {
		drops[nd].name = proxy_drop_str((enum proxy_drop)i);
		drops[nd++].n = ps.drops[i];
	}

	if (json) {
		fprintf(f, "{\"site\":");
		json_str(f, policy_config_site(c->cfg));
		fprintf(f, ",\"interfaces\":[");
		lan_foreach_interface(c->lan, report_iface, &r);
		fprintf(f, "],\"peers\":[");
		r.first = 1;
		peer_mgr_foreach(c->peers, report_peer, &r);
		fprintf(f,
		        "],\"cache\":{\"local\":%zu,\"remote\":%zu},"
		        "\"counters\":{\"packets_in\":%llu,\"packets_out\":%llu,"
		        "\"bytes_in\":%llu,\"bytes_out\":%llu,\"send_errors\":%llu,"
		        "\"answers_multicast\":%llu,\"answers_unicast\":%llu,"
		        "\"questions_forwarded\":%llu,"
		        "\"connections_refused\":%llu,\"connections_overflow\":%llu},"
		        "\"dropped\":{",
		        ps.local_records, ps.remote_records,
		        (unsigned long long)ls.packets_in,
		        (unsigned long long)ls.packets_out,
		        (unsigned long long)ls.bytes_in, (unsigned long long)ls.bytes_out,
		        (unsigned long long)ls.send_errors,
		        (unsigned long long)ps.answers_multicast,
		        (unsigned long long)ps.answers_unicast,
		        (unsigned long long)ps.questions_forwarded,
		        (unsigned long long)ms.refused, (unsigned long long)ms.overflow);
		for (size_t i = 0; i < nd; i++)
			fprintf(f, "%s\"%s\":%llu", i ? "," : "", drops[i].name,
			        drops[i].n);
		fprintf(f, "}}\n");
	} else {
		fprintf(f, "site %s\ninterfaces:", policy_config_site(c->cfg));
		lan_foreach_interface(c->lan, report_iface, &r);
		fprintf(f, "\npeers:\n");
		peer_mgr_foreach(c->peers, report_peer, &r);
		fprintf(f, "cache: %zu local records, %zu remote records\n",
		        ps.local_records, ps.remote_records);
		fprintf(f,
		        "packets: in %llu out %llu, bytes in %llu out %llu, send errors "
		        "%llu\n",
		        (unsigned long long)ls.packets_in,
		        (unsigned long long)ls.packets_out,
		        (unsigned long long)ls.bytes_in, (unsigned long long)ls.bytes_out,
		        (unsigned long long)ls.send_errors);
		fprintf(f,
		        "answers from cache: multicast %llu unicast %llu; questions "
		        "forwarded %llu\n",
		        (unsigned long long)ps.answers_multicast,
		        (unsigned long long)ps.answers_unicast,
		        (unsigned long long)ps.questions_forwarded);
		fprintf(
		    f,
		    "peer connections refused %llu, closed at once (too many) %llu%s%s\n",
		    (unsigned long long)ms.refused, (unsigned long long)ms.overflow,
		    ms.last_refused[0] ? "; last refused: " : "", ms.last_refused);
		fprintf(f, "dropped:");
		int any = 0;
		for (size_t i = 0; i < nd; i++)
			if (drops[i].n) {
				fprintf(f, "%s %s %llu", any ? "," : "", drops[i].name,
				        drops[i].n);
				any = 1;
			}
		fprintf(f, "%s\n", any ? "" : " none");
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- socket ---- */

static void client_free(struct ctl_client *cl)
{
	for (struct ctl_client **pp = &cl->ctl->clients_head; *pp; pp = &(*pp)->next)
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	cl->ctl->clients--;
	event_free(cl->ev);
	close(cl->fd);
	free(cl);
}

static void client_answer(struct ctl_client *cl)
{
	char *line = cl->req;
	line[strcspn(line, "\r\n")] = '\0';
	char *out;
	if (strcmp(line, "status") == 0)
		out = ctl_status(cl->ctl, 0);
	else if (strcmp(line, "status json") == 0)
		out = ctl_status(cl->ctl, 1);
	else if (asprintf(&out, "error: unknown request '%s'\n", line) < 0)
		out = NULL;
	if (!out)
		return;
	/* The report is small; a client that does not read within the timeout loses it.
	 */
	struct timeval tv = {.tv_sec = CTL_CLIENT_TIMEOUT_S};
	setsockopt(cl->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	int fl = fcntl(cl->fd, F_GETFL);
	fcntl(cl->fd, F_SETFL, fl & ~O_NONBLOCK);
	size_t len = strlen(out), off = 0;
	while (off < len) {
		ssize_t w = send(cl->fd, out + off, len - off, MSG_NOSIGNAL);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(out);
}

static void on_client(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_client *cl = arg;
	if (what & EV_TIMEOUT) {
		client_free(cl);
		return;
	}
	ssize_t n = recv(fd, cl->req + cl->len, sizeof(cl->req) - 1 - cl->len, 0);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		client_free(cl);
		return;
	}
	cl->len += (size_t)n;
	cl->req[cl->len] = '\0';
	if (!memchr(cl->req, '\n', cl->len) && cl->len < sizeof(cl->req) - 1)
		return;
	client_answer(cl);
	client_free(cl);
}

static void on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct ctl *c = arg;
	(void)what;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	if (c->clients >= CTL_MAX_CLIENTS) {
		close(cfd);
		return;
	}
	struct ctl_client *cl = calloc(1, sizeof(*cl));
	if (!cl) {
		close(cfd);
		return;
	}
	cl->ctl = c;
	cl->fd = cfd;
	cl->ev = event_new(c->base, cfd, EV_READ | EV_PERSIST, on_client, cl);
	struct timeval tv = {.tv_sec = CTL_CLIENT_TIMEOUT_S};
	if (!cl->ev || event_add(cl->ev, &tv) < 0) {
		if (cl->ev)
			event_free(cl->ev);
		close(cfd);
		free(cl);
		return;
	}
	cl->next = c->clients_head;
	c->clients_head = cl;
	c->clients++;
}

struct ctl *ctl_new(struct event_base *base, const char *path,
                    const struct policy_config *cfg, struct lan *lan,
                    struct peer_mgr *peers, struct proxy *proxy)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct ctl *c;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("control socket path %s is too long", path);
		return NULL;
	}
	strcpy(sun.sun_path, path);
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->base = base;
	c->cfg = cfg;
	c->lan = lan;
	c->peers = peers;
	c->proxy = proxy;
	c->fd = -1;
	c->path = strdup(path);
	if (!c->path)
		goto fail;

	/* The directory is ours to make (/run/sitecast); its parent must exist. */
	char *dir = strdup(path);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0750) == 0) {
			c->dir = dir;
			dir = NULL;
		} else if (errno != EEXIST) {
			log_warn("cannot create %s", dir);
		}
	}
	free(dir);

	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		log_warn("control socket %s", path);
		goto fail;
	}
	/* A socket file left by a daemon that died is replaced; a live daemon's is not.
	 */
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		close(probe);
		log_warnx("control socket %s is in use by another sitecastd", path);
		goto fail;
	}
	if (probe >= 0)
		close(probe);
	unlink(path);
	mode_t old = umask(0177);
	int rc = bind(c->fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc < 0) {
		log_warn("cannot bind control socket %s", path);
		goto fail;
	}
	if (chmod(path, 0600) < 0 || listen(c->fd, 8) < 0) {
		log_warn("control socket %s", path);
		goto fail;
	}
	c->ev = event_new(base, c->fd, EV_READ | EV_PERSIST, on_accept, c);
	if (!c->ev || event_add(c->ev, NULL) < 0)
		goto fail;
	return c;
fail:
	if (c->fd >= 0)
		close(c->fd);
	if (c->dir)
		rmdir(c->dir);
	free(c->dir);
	free(c->path);
	free(c);
	return NULL;
}

int ctl_chown(struct ctl *c, uid_t uid, gid_t gid)
{
	if (chown(c->path, uid, gid) < 0)
		return -errno;
	if (c->dir && chown(c->dir, uid, gid) < 0)
		return -errno;
	return 0;
}

void ctl_set_config(struct ctl *c, const struct policy_config *cfg)
{
	if (c)
		c->cfg = cfg;
}

void ctl_free(struct ctl *c)
{
	if (!c)
		return;
	while (c->clients_head)
		client_free(c->clients_head);
	if (c->ev)
		event_free(c->ev);
	if (c->fd >= 0)
		close(c->fd);
	/* After a drop of privileges this works when the directory was ours (see
	 * ctl_chown()); otherwise the file stays and the next start replaces it. */
	if (unlink(c->path) < 0 && errno != ENOENT)
		log_debug("control socket %s not removed: %s", c->path, strerror(errno));
	if (c->dir)
		rmdir(c->dir);
	free(c->dir);
	free(c->path);
	free(c);
}
