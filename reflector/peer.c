/* peer.c: authenticated peer links over libevent's bufferevent_openssl (see peer.h). */
#include "config.h"

#include "reflector/peer.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <openssl/err.h>

#include "reflector/backoff.h"
#include "reflector/log.h"
#include "reflector/mono.h"
#include "reflector/tls.h"

/* How long a closing link may take to deliver its BYE. */
#define DRAIN_MS 2000
#define REASON_MAX 384
/* At most one "too many pending connections" warning per this many seconds. */
#define OVERFLOW_LOG_INTERVAL 10
/*
 * Refused links are logged one by one up to this many a minute; beyond that a
 * host retrying with a bad key would fill the log. They are still counted
 * (sitecastctl status) and the last one kept.
 */
#define REFUSED_LOG_MAX 10
#define REFUSED_LOG_WINDOW 60

static const struct peer_tuning default_tuning = {
    .handshake_ms = 10000,
    .keepalive_ms = 10000,
    .dead_ms = 35000,
    .backoff_min_ms = 1000,
    .backoff_max_ms = 60000,
    .max_output = 4u << 20,
    .max_pending = 64,
    .max_pending_per_host = 8,
};

enum link_state {
	L_CONNECTING, /* outgoing TCP connect */
	L_HANDSHAKE,  /* TLS handshake */
	L_HELLO,      /* TLS up, waiting for the peer's HELLO */
	L_UP,
	L_DRAINING, /* BYE queued, waiting for it to be written */
	L_CLOSED,   /* I/O released; the struct is freed from the loop */
};

struct link {
	struct peer_mgr *mgr;
	struct peer
	    *peer; /* the peer dialed, or once authenticated the peer that dialed in */
	bool outgoing;
	bool pending; /* counted in mgr->npending */
	enum link_state state;
	evutil_socket_t fd; /* owned here until the bufferevent takes it */
	struct event *connect_ev;
	struct bufferevent *bev;
	/* Handshake deadline, then dead-peer check, then drain limit; or "close now". */
	struct event *timer;
	struct event *keepalive;
	uint64_t last_rx; /* mono_ms() of the last bytes read: the dead-peer check */
	char *doom; /* reason to close at the next turn of the loop */
	char addr[64];
	char fp[TLS_FINGERPRINT_SIZE];
	/* Traffic before an incoming link is authenticated, added to its peer's then. */
	uint64_t pre_bytes_in, pre_bytes_out, pre_frames_in, pre_frames_out;
	struct link *prev, *next; /* mgr->links, or mgr->dead (next only) */
};

struct peer {
	struct peer_mgr *mgr;
	unsigned id;
	char name[FRAME_SITE_MAX + 1];
	char *host; /* NULL: wait for the peer to dial */
	uint16_t port;
	char fp[256]; /* the accepted fingerprints, for log lines ("A or B") */
	const struct policy_peer *cfg;
	struct link *link; /* the link in use */
	struct link *dial; /* the outgoing attempt under way */
	struct event *retry;
	uint64_t next_delay_ms; /* backoff_next(); 0: dial at once */
	unsigned attempts;
	unsigned fail_streak;
	bool seen, removing, attaching;
	struct peer_stats st;
	struct peer *next;
};

struct peer_mgr {
	struct event_base *base;
	SSL_CTX *ctx;
	char own_site[FRAME_SITE_MAX + 1];
	struct peer_callbacks cb;
	void *arg;
	struct peer_tuning tune;
	struct peer *peers;
	struct link *links;
	struct link *dead;
	struct event *reaper;
	struct evconnlistener *listener;
	struct event *listen_pause;
	uint16_t listen_port;
	unsigned next_id;
	unsigned npending;
	struct log_limit overflow_log;
	struct log_limit refused_log;
	bool freeing;
	struct peer_mgr_stats st;
	uint8_t buf[FRAME_MAX];
};

static void link_read_cb(struct bufferevent *bev, void *arg);
static void link_event_cb(struct bufferevent *bev, short what, void *arg);
static void peer_schedule(struct peer *p);

/* ---------------------------------------------------------------- helpers */

static void sockaddr_str(const struct sockaddr *sa, socklen_t len, char *out,
                         size_t outlen)
{
	char host[INET6_ADDRSTRLEN], serv[8];
	if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
	                NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(out, outlen, "?");
		return;
	}
	if (sa->sa_family == AF_INET6)
		snprintf(out, outlen, "[%s]:%s", host, serv);
	else
		snprintf(out, outlen, "%s:%s", host, serv);
}

/* Whether two "host:port" / "[host]:port" strings name the same host. */
static bool same_host(const char *a, const char *b)
{
	const char *ea = strrchr(a, ':'), *eb = strrchr(b, ':');
	size_t la = ea ? (size_t)(ea - a) : strlen(a),
	       lb = eb ? (size_t)(eb - b) : strlen(b);
	return la == lb && memcmp(a, b, la) == 0;
}

const char *peer_state_name(enum peer_state s)
{
	switch (s) {
	case PEER_DOWN:
		return "down";
	case PEER_BACKOFF:
		return "backoff";
	case PEER_CONNECTING:
		return "connecting";
	case PEER_HANDSHAKE:
		return "handshake";
	case PEER_UP:
		return "up";
	}
	return "?";
}

static struct peer *peer_by_id(const struct peer_mgr *mgr, unsigned id)
{
	for (struct peer *p = mgr->peers; p; p = p->next)
		if (p->id == id)
			return p;
	return NULL;
}

static struct peer *peer_by_name(const struct peer_mgr *mgr, const char *name)
{
	for (struct peer *p = mgr->peers; p; p = p->next)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

/* ---------------------------------------------------------------- link lifetime */

static void link_timer_cb(evutil_socket_t fd, short what, void *arg);
static void link_keepalive_cb(evutil_socket_t fd, short what, void *arg);

static struct link *link_new(struct peer_mgr *mgr, bool outgoing)
{
	struct link *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->mgr = mgr;
	l->outgoing = outgoing;
	l->fd = -1;
	l->timer = evtimer_new(mgr->base, link_timer_cb, l);
	l->keepalive = event_new(mgr->base, -1, EV_PERSIST, link_keepalive_cb, l);
	if (!l->timer || !l->keepalive) {
		if (l->timer)
			event_free(l->timer);
		if (l->keepalive)
			event_free(l->keepalive);
		free(l);
		return NULL;
	}
	l->next = mgr->links;
	if (mgr->links)
		mgr->links->prev = l;
	mgr->links = l;
	return l;
}

/* Release the connection now; the struct itself goes when no callback can be using it. */
static void link_dispose(struct link *l)
{
	struct peer_mgr *mgr = l->mgr;
	if (l->state == L_CLOSED)
		return;
	if (l->pending) {
		l->pending = false;
		mgr->npending--;
	}
	if (l->connect_ev) {
		event_free(l->connect_ev);
		l->connect_ev = NULL;
	}
	if (l->bev) {
		SSL *ssl = bufferevent_openssl_get_ssl(l->bev);
		/* close_notify where TLS is up: an orderly end, best effort. */
		if (ssl && (l->state == L_HELLO || l->state == L_UP) && !l->doom)
			SSL_shutdown(ssl);
		ERR_clear_error();
		bufferevent_setcb(l->bev, NULL, NULL, NULL, NULL);
		bufferevent_free(l->bev);
		l->bev = NULL;
	} else if (l->fd >= 0) {
		evutil_closesocket(l->fd);
	}
	l->fd = -1;
	evtimer_del(l->timer);
	event_del(l->keepalive);
	l->state = L_CLOSED;

	if (l->prev)
		l->prev->next = l->next;
	else
		mgr->links = l->next;
	if (l->next)
		l->next->prev = l->prev;
	l->prev = NULL;
	l->next = mgr->dead;
	mgr->dead = l;
	if (!mgr->freeing)
		event_active(mgr->reaper, EV_TIMEOUT, 1);
}

static void link_free(struct link *l)
{
	event_free(l->timer);
	event_free(l->keepalive);
	free(l->doom);
	free(l);
}

static void reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer_mgr *mgr = arg;
	(void)fd;
	(void)what;
	while (mgr->dead) {
		struct link *l = mgr->dead;
		mgr->dead = l->next;
		link_free(l);
	}
}

static void peer_count_out(struct link *l, size_t len)
{
	if (l->peer) {
		l->peer->st.bytes_out += len;
		l->peer->st.frames_out++;
	} else {
		l->pre_bytes_out += len;
		l->pre_frames_out++;
	}
}

static void peer_count_in(struct link *l, size_t len)
{
	if (l->peer) {
		l->peer->st.bytes_in += len;
		l->peer->st.frames_in++;
	} else {
		l->pre_bytes_in += len;
		l->pre_frames_in++;
	}
}

/* Queue a frame. -ENOTCONN, -ENOMEM, or -ENOBUFS when the peer has stopped reading. */
static int link_send(struct link *l, const uint8_t *buf, size_t len)
{
	if (!l || !l->bev || (l->state != L_UP && l->state != L_HELLO))
		return -ENOTCONN;
	if (l->doom)
		return -ENOBUFS;
	if (bufferevent_write(l->bev, buf, len) < 0)
		return -ENOMEM;
	peer_count_out(l, len);
	size_t waiting = evbuffer_get_length(bufferevent_get_output(l->bev));
	if (waiting > l->mgr->tune.max_output) {
		char reason[REASON_MAX];
		snprintf(reason, sizeof(reason),
		         "peer is not reading: %zu bytes waiting to be sent", waiting);
		/* Closed from the loop: no callback runs inside a peer_send_*(). */
		l->doom = strdup(reason);
		event_active(l->timer, EV_TIMEOUT, 1);
		return -ENOBUFS;
	}
	return 0;
}

static void link_drained(struct link *l)
{
	if (l->bev) {
		SSL *ssl = bufferevent_openssl_get_ssl(l->bev);
		/* close_notify, best effort: the socket is non-blocking. */
		if (ssl)
			SSL_shutdown(ssl);
		ERR_clear_error();
	}
	link_dispose(l);
}

static void drain_write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	link_drained(arg);
}

static void drain_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	link_drained(arg);
}

static void peer_link_gone(struct peer *p, struct link *l, bool was_up,
                           const char *reason);

/*
 * End a link. With bye, a link that has finished its handshake is told why
 * (BYE) before it is closed. The peer's on_down runs when this was its link.
 */
static void link_close(struct link *l, const char *reason, bool bye)
{
	if (l->state == L_CLOSED || l->state == L_DRAINING)
		return;
	struct peer *p = l->peer;
	bool was_up = p && p->link == l;

	if (bye && l->bev && !l->doom && (l->state == L_UP || l->state == L_HELLO)) {
		int len = frame_encode_bye(l->mgr->buf, sizeof(l->mgr->buf), reason);
		if (len > 0 && bufferevent_write(l->bev, l->mgr->buf, (size_t)len) == 0)
			peer_count_out(l, (size_t)len);
		if (l->pending) {
			l->pending = false;
			l->mgr->npending--;
		}
		l->state = L_DRAINING;
		bufferevent_disable(l->bev, EV_READ);
		bufferevent_setcb(l->bev, NULL, drain_write_cb, drain_event_cb, l);
		event_del(l->keepalive);
		mono_arm(l->timer, DRAIN_MS);
	} else {
		link_dispose(l);
	}
	l->peer = NULL;
	if (p)
		peer_link_gone(p, l, was_up, reason);
}

static void link_closef(struct link *l, bool bye, const char *fmt, ...) LOG_FMT(3, 4);
static void link_closef(struct link *l, bool bye, const char *fmt, ...)
{
	char reason[REASON_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	link_close(l, reason, bye);
}

/* An outgoing attempt that did not come up: retried with backoff. */
static void link_failf(struct link *l, const char *fmt, ...) LOG_FMT(2, 3);
static void link_failf(struct link *l, const char *fmt, ...)
{
	char reason[REASON_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	struct peer *p = l->peer;
	if (p && !p->link) {
		/* The first failure of a series is news; the retries are not. */
		if (p->fail_streak++ == 0)
			log_warnx("peer %s: %s; retrying", p->name, reason);
		else
			log_debug("peer %s: %s; retrying", p->name, reason);
	} else {
		log_debug("peer link %s: %s", l->addr, reason);
	}
	link_close(l, reason, false);
}

static void log_refusal(struct peer_mgr *mgr, const char *msg)
{
	uint64_t quiet = 0;
	enum log_limit_verdict v = log_limit_pass(&mgr->refused_log, &quiet);
	if (v == LOG_LIMIT_QUIET)
		return;
	if (quiet)
		log_warnx("peer refused: %" PRIu64 " more connections in the last "
		          "%d s were refused without a log line",
		          quiet, REFUSED_LOG_WINDOW);
	if (v == LOG_LIMIT_LAST)
		log_warnx(
		    "peer refused: %s; that is %d in %d s, the next ones are counted "
		    "(sitecastctl status) but not logged",
		    msg, REFUSED_LOG_MAX + 1, REFUSED_LOG_WINDOW);
	else
		log_warnx("peer refused: %s", msg);
}

/*
 * Refuse a link that failed authentication: logged with what it presented,
 * counted, and noted on the peer it claimed to be (named) or was dialed as.
 */
static void link_refusef(struct link *l, struct peer *named, const char *fmt, ...)
    LOG_FMT(3, 4);
static void link_refusef(struct link *l, struct peer *named, const char *fmt, ...)
{
	struct peer_mgr *mgr = l->mgr;
	char msg[REASON_MAX - 16];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_refusal(mgr, msg);
	mgr->st.refused++;
	snprintf(mgr->st.last_refused, sizeof(mgr->st.last_refused), "%s", msg);
	if (named)
		snprintf(named->st.last_error, sizeof(named->st.last_error),
		         "refused: %s", msg);
	if (l->peer) {
		l->peer->fail_streak++;
		char reason[REASON_MAX];
		snprintf(reason, sizeof(reason), "refused: %s", msg);
		link_close(l, reason, false);
	} else {
		/* The dialer learns that it was refused, not why. */
		link_close(l, "refused: key or site not accepted here", true);
	}
}

/* ---------------------------------------------------------------- peers */

static void peer_link_gone(struct peer *p, struct link *l, bool was_up,
                           const char *reason)
{
	struct peer_mgr *mgr = p->mgr;
	if (p->dial == l)
		p->dial = NULL;
	snprintf(p->st.last_error, sizeof(p->st.last_error), "%s", reason);
	if (was_up) {
		p->link = NULL;
		p->st.since = time(NULL);
		p->st.address[0] = '\0';
		/* Our own decisions are news; a lost link is trouble. */
		if (mgr->freeing || p->removing || p->attaching)
			log_info("peer %s down: %s", p->name, reason);
		else
			log_warnx("peer %s down: %s", p->name, reason);
	}
	if (!p->attaching && !p->removing)
		peer_schedule(p);
	if (was_up && mgr->cb.on_down && !mgr->freeing)
		mgr->cb.on_down(mgr->arg, p->id, p->name, reason);
}

static void peer_retry_cb(evutil_socket_t fd, short what, void *arg);

static uint64_t jitter(uint64_t ms)
{
	uint32_t r;
	evutil_secure_rng_get_bytes(&r, sizeof(r));
	/* 80% to 120%: peers that lost each other at once do not redial in step. */
	return ms * (800 + r % 401) / 1000;
}

/* Arm the next dial attempt when the peer has neither a link nor an attempt under way. */
static void peer_schedule(struct peer *p)
{
	struct peer_mgr *mgr = p->mgr;
	if (p->link || p->dial || !p->host || p->removing || mgr->freeing ||
	    evtimer_pending(p->retry, NULL))
		return;
	uint64_t d = jitter(backoff_next(&p->next_delay_ms, mgr->tune.backoff_min_ms,
	                                 mgr->tune.backoff_max_ms));
	mono_arm(p->retry, d < mgr->tune.backoff_max_ms ? d : mgr->tune.backoff_max_ms);
}

static void connect_cb(evutil_socket_t fd, short what, void *arg);

static void peer_dial(struct peer *p)
{
	struct peer_mgr *mgr = p->mgr;
	if (p->link || p->dial || !p->host)
		return;

	char port[8];
	snprintf(port, sizeof(port), "%u", p->port);
	struct evutil_addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = EVUTIL_AI_ADDRCONFIG | EVUTIL_AI_NUMERICSERV;
	/* Blocking for DNS names; peers are few and usually given as addresses. */
	int rc = evutil_getaddrinfo(p->host, port, &hints, &res);
	if (rc != 0 || !res) {
		char reason[REASON_MAX];
		snprintf(reason, sizeof(reason), "cannot resolve %s: %s", p->host,
		         evutil_gai_strerror(rc));
		snprintf(p->st.last_error, sizeof(p->st.last_error), "%s", reason);
		if (p->fail_streak++ == 0)
			log_warnx("peer %s: %s; retrying", p->name, reason);
		peer_schedule(p);
		return;
	}
	/* Successive attempts go through the addresses in turn. */
	size_t n = 0;
	for (struct evutil_addrinfo *ai = res; ai; ai = ai->ai_next)
		n++;
	struct evutil_addrinfo *ai = res;
	for (size_t i = p->attempts++ % n; i > 0; i--)
		ai = ai->ai_next;

	struct link *l = link_new(mgr, true);
	if (!l) {
		evutil_freeaddrinfo(res);
		log_warnx("peer %s: out of memory", p->name);
		peer_schedule(p);
		return;
	}
	l->peer = p;
	p->dial = l;
	l->state = L_CONNECTING;
	sockaddr_str(ai->ai_addr, (socklen_t)ai->ai_addrlen, l->addr, sizeof(l->addr));
	mono_arm(l->timer, mgr->tune.handshake_ms);

	l->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err = 0;
	if (l->fd < 0 || (connect(l->fd, ai->ai_addr, (socklen_t)ai->ai_addrlen) < 0 &&
	                  errno != EINPROGRESS))
		err = errno;
	evutil_freeaddrinfo(res);
	if (!err) {
		l->connect_ev = event_new(mgr->base, l->fd, EV_WRITE, connect_cb, l);
		if (!l->connect_ev || event_add(l->connect_ev, NULL) < 0)
			err = ENOMEM;
	}
	if (err)
		link_failf(l, "connect to %s: %s", l->addr, strerror(err));
}

static void peer_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	peer_dial(arg);
}

static struct peer *peer_new(struct peer_mgr *mgr, const struct policy_peer *pp)
{
	struct peer *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->mgr = mgr;
	p->retry = evtimer_new(mgr->base, peer_retry_cb, p);
	if (!p->retry) {
		free(p);
		return NULL;
	}
	p->id = ++mgr->next_id;
	snprintf(p->name, sizeof(p->name), "%s", policy_peer_name(pp));
	p->st.id = p->id;
	memcpy(p->st.name, p->name, sizeof(p->name));
	p->st.since = time(NULL);
	return p;
}

/*
 * Whether fp (as presented) is one of the fingerprints configured for p: a
 * list, so that a gateway's key can be replaced without downtime. Each is
 * compared in constant time.
 */
static bool peer_fp_accepted(const struct policy_peer *pp, const char *fp)
{
	bool ok = false;
	for (size_t i = 0; i < policy_peer_nfingerprints(pp); i++)
		ok |= tls_fingerprint_equal(fp, policy_peer_fingerprint_at(pp, i));
	return ok;
}

/*
 * Whether a reload to pp can keep p's link: only the fingerprints changed and
 * the key of the link up now is still among them.
 */
static bool peer_keeps_link(const struct peer *p, const struct policy_peer *pp)
{
	const char *h0 = policy_peer_connect_host(p->cfg),
	           *h1 = policy_peer_connect_host(pp);
	if ((h0 == NULL) != (h1 == NULL) || (h0 && strcmp(h0, h1)) ||
	    policy_peer_connect_port(p->cfg) != policy_peer_connect_port(pp))
		return false;
	return p->link && p->link->state == L_UP && peer_fp_accepted(pp, p->link->fp);
}

/* Copy the link settings; the next attempt starts at once. */
static int peer_configure(struct peer *p, const struct policy_peer *pp)
{
	const char *host = policy_peer_connect_host(pp);
	char *h = host ? strdup(host) : NULL;
	if (host && !h)
		return -ENOMEM;
	free(p->host);
	p->host = h;
	p->port = policy_peer_connect_port(pp);
	size_t off = 0;
	p->fp[0] = '\0';
	for (size_t i = 0; i < policy_peer_nfingerprints(pp) && off < sizeof(p->fp);
	     i++) {
		int w = snprintf(p->fp + off, sizeof(p->fp) - off, "%s%s",
		                 i ? " or " : "", policy_peer_fingerprint_at(pp, i));
		off += w > 0 ? (size_t)w : 0;
	}
	p->cfg = pp;
	p->next_delay_ms = 0;
	p->fail_streak = 0;
	p->attempts = 0;
	return 0;
}

static void peer_drop_links(struct peer *p, const char *reason)
{
	evtimer_del(p->retry);
	if (p->dial)
		link_close(p->dial, reason, false);
	if (p->link)
		link_close(p->link, reason, true);
}

static void peer_free(struct peer *p)
{
	if (!p)
		return;
	event_free(p->retry);
	free(p->host);
	free(p);
}

/* ---------------------------------------------------------------- link events */

static int link_send_hello(struct link *l)
{
	struct peer_mgr *mgr = l->mgr;
	int len = frame_encode_hello(mgr->buf, sizeof(mgr->buf), FRAME_VERSION, 0,
	                             mgr->own_site);
	if (len < 0)
		return len;
	return link_send(l, mgr->buf, (size_t)len);
}

static bool dialed_by_first_site(const struct link *l, const struct peer *p)
{
	const char *dialer = l->outgoing ? l->mgr->own_site : p->name;
	const char *other = l->outgoing ? p->name : l->mgr->own_site;
	return strcmp(dialer, other) < 0;
}

/*
 * Whether a newly authenticated link should replace the peer's current one:
 * a newer link in the same direction does (the peer restarted); of two links
 * dialed in opposite directions both sites keep the one dialed by the site
 * whose name sorts first, so they agree without talking about it.
 */
static bool link_wins(const struct link *l, const struct peer *p)
{
	const struct link *old = p->link;
	if (!old || old->outgoing == l->outgoing)
		return true;
	return dialed_by_first_site(l, p);
}

static void link_up(struct link *l, struct peer *p)
{
	struct peer_mgr *mgr = l->mgr;
	if (l->pending) {
		l->pending = false;
		mgr->npending--;
	}
	l->peer = p;
	p->st.bytes_in += l->pre_bytes_in;
	p->st.bytes_out += l->pre_bytes_out;
	p->st.frames_in += l->pre_frames_in;
	p->st.frames_out += l->pre_frames_out;
	l->pre_bytes_in = l->pre_bytes_out = l->pre_frames_in = l->pre_frames_out = 0;
	if (p->link) {
		p->attaching = true;
		link_close(p->link, "replaced by a newer link", true);
		p->attaching = false;
		/* on_down may have reconfigured things under us. */
		if (l->state != L_HELLO || l->peer != p || p->link)
			return;
	}
	if (p->dial == l)
		p->dial = NULL;
	evtimer_del(p->retry);
	p->link = l;
	p->next_delay_ms = mgr->tune.backoff_min_ms;
	p->fail_streak = 0;
	l->state = L_UP;
	p->st.since = time(NULL);
	p->st.incoming = !l->outgoing;
	p->st.ups++;
	snprintf(p->st.address, sizeof(p->st.address), "%s", l->addr);

	l->last_rx = mono_ms();
	mono_arm(l->timer, mgr->tune.dead_ms);
	mono_arm(l->keepalive, mgr->tune.keepalive_ms);
	log_info("peer %s up (%s %s)", p->name,
	         l->outgoing ? "connected to" : "connection from", l->addr);
	if (mgr->cb.on_up)
		mgr->cb.on_up(mgr->arg, p->id, p->name);
}

static void link_on_hello(struct link *l, struct frame *f)
{
	struct peer_mgr *mgr = l->mgr;
	if (f->version != FRAME_VERSION) {
		link_refusef(
		    l, l->peer,
		    "%s presented fingerprint %s and speaks protocol version %u, not %u",
		    l->addr, l->fp, f->version, FRAME_VERSION);
		return;
	}
	if (l->outgoing) {
		struct peer *p = l->peer;
		if (strcmp(f->site, p->name)) {
			link_refusef(
			    l, p, "%s at %s presented fingerprint %s but names itself %s",
			    p->name, l->addr, l->fp, f->site);
			return;
		}
		if (!link_wins(l, p)) {
			link_closef(l, true,
			            "duplicate link: keeping the one dialed by %s",
			            p->name);
			return;
		}
		link_up(l, p);
		return;
	}

	struct peer *p = peer_by_name(mgr, f->site);
	if (!p) {
		link_refusef(l, NULL,
		             "%s presented fingerprint %s and names itself %s, which is "
		             "not a configured peer",
		             l->addr, l->fp, f->site);
		return;
	}
	if (!peer_fp_accepted(p->cfg, l->fp)) {
		link_refusef(l, p,
		             "%s presented fingerprint %s as %s, whose configured "
		             "fingerprint is %s",
		             l->addr, l->fp, p->name, p->fp);
		return;
	}
	if (!link_wins(l, p)) {
		log_debug(
		    "peer %s: keeping the link dialed by %s, closing the one from %s",
		    p->name, mgr->own_site, l->addr);
		link_closef(l, true, "duplicate link: keeping the one dialed by %s",
		            mgr->own_site);
		return;
	}
	if (link_send_hello(l) < 0) {
		link_close(l, "could not send HELLO", false);
		return;
	}
	link_up(l, p);
}

static void link_protocol_error(struct link *l, const char *what)
{
	if (l->state == L_UP) {
		log_warnx("peer %s: protocol error: %s; closing the link", l->peer->name,
		          what);
		link_closef(l, true, "protocol error: %s", what);
	} else if (!l->outgoing) {
		link_refusef(l, NULL, "%s presented fingerprint %s but then %s", l->addr,
		             l->fp, what);
	} else {
		link_failf(l, "%s: protocol error: %s", l->addr, what);
	}
}

static void link_on_bye(struct link *l, struct frame *f)
{
	/* The peer's free text goes into the log: printable ASCII only. */
	log_clean(f->reason, LOG_CLEAN_ASCII);
	if (l->state == L_UP)
		link_closef(l, false, "closed by the peer: %s", f->reason);
	else if (l->outgoing)
		link_failf(l, "%s closed the link: %s", l->addr, f->reason);
	else
		link_close(l, "closed by the peer before HELLO", false);
}

static void link_on_records(struct link *l, struct frame *f)
{
	struct peer_mgr *mgr = l->mgr;
	if (mgr->cb.on_records)
		mgr->cb.on_records(mgr->arg, l->peer->id, f->site, f->hops, f->rrs,
		                   f->nrr);
}

static void link_on_withdraw(struct link *l, struct frame *f)
{
	struct peer_mgr *mgr = l->mgr;
	if (mgr->cb.on_withdraw)
		mgr->cb.on_withdraw(mgr->arg, l->peer->id, f->site, f->rrs, f->nrr);
}

static void link_on_questions(struct link *l, struct frame *f)
{
	struct peer_mgr *mgr = l->mgr;
	if (mgr->cb.on_questions)
		mgr->cb.on_questions(mgr->arg, l->peer->id, f->rrs, f->nrr);
}

/*
 * What a link does with each frame type (frame.c's table has the codec's
 * row). A frame the link's state does not accept is a protocol error.
 */
struct frame_handler {
	void (*handle)(struct link *l, struct frame *f); /* NULL: nothing to do */
	bool before_hello; /* accepted while the link waits for HELLO */
	bool when_up;      /* accepted once the link is up */
	/* The peer_stats counters of the records carried in and out (0: none). */
	size_t in_stat, out_stat;
};

#define STAT(field) offsetof(struct peer_stats, field)

static const struct frame_handler handlers[FRAME_TYPE_END] = {
    [FRAME_HELLO] = {link_on_hello, true, false, 0, 0},
    [FRAME_RECORDS] = {link_on_records, false, true, STAT(records_in), STAT(records_out)},
    [FRAME_WITHDRAW] = {link_on_withdraw, false, true, STAT(withdrawn_in),
                        STAT(withdrawn_out)},
    [FRAME_QUESTIONS] = {link_on_questions, false, true, STAT(questions_in),
                         STAT(questions_out)},
    [FRAME_KEEPALIVE] = {NULL, false, true, 0, 0},
    [FRAME_BYE] = {link_on_bye, true, true, 0, 0},
};

static void stat_add(struct peer_stats *st, size_t off, uint64_t n)
{
	if (off)
		*(uint64_t *)(void *)((char *)st + off) += n;
}

/* f->type is known: frame_decode_payload() refuses the others. */
static void link_dispatch(struct link *l, struct frame *f)
{
	const struct frame_handler *h = &handlers[f->type];
	if (l->state == L_HELLO && !h->before_hello) {
		link_protocol_error(l, "sent a frame before HELLO");
		return;
	}
	if (l->state == L_UP && !h->when_up) {
		char what[64];
		snprintf(what, sizeof(what), "sent %s again", frame_type_name(f->type));
		link_protocol_error(l, what);
		return;
	}
	if (l->state == L_UP)
		stat_add(&l->peer->st, h->in_stat, f->nrr);
	if (h->handle)
		h->handle(l, f);
}

static void link_read_cb(struct bufferevent *bev, void *arg)
{
	struct link *l = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	l->last_rx = mono_ms();

	/* Each step re-checks the state: a callback may have closed the link. */
	while (l->state == L_HELLO || l->state == L_UP) {
		size_t avail = evbuffer_get_length(in);
		if (avail < FRAME_HEADER_LEN)
			return;
		const uint8_t *h = evbuffer_pullup(in, FRAME_HEADER_LEN);
		int type = 0;
		size_t plen = 0;
		int rc = frame_header(h, FRAME_HEADER_LEN, &type, &plen);
		if (rc < 0) {
			char what[96];
			snprintf(what, sizeof(what), "%s (type %u)", frame_strerror(rc),
			         h[0]);
			link_protocol_error(l, what);
			return;
		}
		/* Before HELLO, nothing larger than a HELLO is buffered. */
		size_t hello_max = 0;
		frame_type_known(FRAME_HELLO, NULL, &hello_max);
		if (l->state == L_HELLO && !l->peer && plen > hello_max) {
			link_protocol_error(l, "sent an oversized first frame");
			return;
		}
		if (avail < FRAME_HEADER_LEN + plen)
			return;
		const uint8_t *buf =
		    evbuffer_pullup(in, (ev_ssize_t)(FRAME_HEADER_LEN + plen));
		struct frame f;
		rc = frame_decode_payload(type, buf + FRAME_HEADER_LEN, plen, &f);
		evbuffer_drain(in, FRAME_HEADER_LEN + plen);
		peer_count_in(l, FRAME_HEADER_LEN + plen);
		if (rc < 0) {
			char what[128];
			snprintf(what, sizeof(what), "bad %s frame: %s",
			         frame_type_name(type), frame_strerror(rc));
			link_protocol_error(l, what);
			return;
		}
		link_dispatch(l, &f);
		frame_clear(&f);
	}
}

static void link_error_text(struct link *l, short what, char *out, size_t outlen)
{
	unsigned long e = bufferevent_get_openssl_error(l->bev);
	if (e) {
		const char *r = ERR_reason_error_string(e);
		char buf[256];
		if (!r) {
			ERR_error_string_n(e, buf, sizeof(buf));
			r = buf;
		}
		snprintf(out, outlen, "TLS: %.160s", r);
		while (bufferevent_get_openssl_error(l->bev))
			;
	} else if (what & BEV_EVENT_EOF) {
		snprintf(out, outlen, "connection closed by the peer");
	} else {
		int err = EVUTIL_SOCKET_ERROR();
		snprintf(out, outlen, "%s",
		         err ? evutil_socket_error_to_string(err) : "connection error");
	}
	ERR_clear_error();
}

static void link_tls_ready(struct link *l)
{
	SSL *ssl = bufferevent_openssl_get_ssl(l->bev);
	if (!ssl || tls_peer_fingerprint(ssl, l->fp, sizeof(l->fp)) < 0) {
		link_refusef(l, l->peer, "%s presented no certificate", l->addr);
		return;
	}
	l->state = L_HELLO;
	if (l->outgoing) {
		struct peer *p = l->peer;
		if (!peer_fp_accepted(p->cfg, l->fp)) {
			link_refusef(l, p,
			             "%s at %s presented fingerprint %s, not the one "
			             "configured for it (%s)",
			             p->name, l->addr, l->fp, p->fp);
			return;
		}
		/* We speak first; the accepting side answers once it knows us. */
		if (link_send_hello(l) < 0) {
			link_failf(l, "%s: could not send HELLO", l->addr);
			return;
		}
	}
	if (evbuffer_get_length(bufferevent_get_input(l->bev)) > 0)
		link_read_cb(l->bev, l);
}

static void link_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct link *l = arg;
	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		if (l->state == L_HANDSHAKE)
			link_tls_ready(l);
		return;
	}
	char text[200];
	link_error_text(l, what, text, sizeof(text));
	switch (l->state) {
	case L_UP:
		link_close(l, text, false);
		break;
	case L_HANDSHAKE:
		if (l->outgoing)
			link_failf(l, "TLS handshake with %s failed: %s", l->addr, text);
		else
			link_refusef(l, NULL, "%s: TLS handshake failed: %s", l->addr,
			             text);
		break;
	case L_HELLO:
		if (l->outgoing)
			link_failf(l,
			           "%s closed the link before HELLO (is our fingerprint "
			           "configured there?): %s",
			           l->addr, text);
		else
			link_refusef(l, NULL,
			             "%s presented fingerprint %s but sent no HELLO: %s",
			             l->addr, l->fp, text);
		break;
	default:
		link_close(l, text, false);
		break;
	}
}

static int link_start_tls(struct link *l, enum bufferevent_ssl_state how)
{
	SSL *ssl = SSL_new(l->mgr->ctx);
	if (!ssl)
		return -ENOMEM;
	l->bev = bufferevent_openssl_socket_new(l->mgr->base, l->fd, ssl, how,
	                                        BEV_OPT_CLOSE_ON_FREE |
	                                            BEV_OPT_DEFER_CALLBACKS);
	if (!l->bev) {
		SSL_free(ssl);
		return -ENOMEM;
	}
	l->fd = -1;
	/* Frames carry their lengths: a missing close_notify truncates nothing unseen. */
	bufferevent_openssl_set_allow_dirty_shutdown(l->bev, 1);
	bufferevent_setcb(l->bev, link_read_cb, NULL, link_event_cb, l);
	bufferevent_enable(l->bev, EV_READ | EV_WRITE);
	l->state = L_HANDSHAKE;
	return 0;
}

static void connect_cb(evutil_socket_t fd, short what, void *arg)
{
	struct link *l = arg;
	(void)what;
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	event_free(l->connect_ev);
	l->connect_ev = NULL;
	if (err) {
		link_failf(l, "connect to %s: %s", l->addr, strerror(err));
		return;
	}
	if (link_start_tls(l, BUFFEREVENT_SSL_CONNECTING) < 0)
		link_failf(l, "%s: out of memory", l->addr);
}

static void link_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct link *l = arg;
	struct peer_mgr *mgr = l->mgr;
	(void)fd;
	(void)what;
	if (l->doom && l->state != L_CLOSED && l->state != L_DRAINING) {
		char reason[REASON_MAX];
		snprintf(reason, sizeof(reason), "%s", l->doom);
		if (l->peer && l->peer->link == l)
			log_warnx("peer %s: %s; closing the link", l->peer->name, reason);
		link_close(l, reason, false);
		return;
	}
	switch (l->state) {
	case L_CONNECTING:
	case L_HANDSHAKE:
	case L_HELLO:
		if (l->outgoing)
			link_failf(l, "%s: no TLS handshake and HELLO within %u ms",
			           l->addr, mgr->tune.handshake_ms);
		else
			link_refusef(l, NULL,
			             "%s%s%s: no TLS handshake and HELLO within %u ms",
			             l->addr, l->fp[0] ? " presented fingerprint " : "",
			             l->fp, mgr->tune.handshake_ms);
		break;
	case L_UP: {
		uint64_t silent = mono_ms() - l->last_rx;
		if (silent >= mgr->tune.dead_ms) {
			link_closef(l, true, "peer silent for %u ms", mgr->tune.dead_ms);
			return;
		}
		mono_arm(l->timer, mgr->tune.dead_ms - silent);
		break;
	}
	case L_DRAINING:
		link_drained(l);
		break;
	case L_CLOSED:
		break;
	}
}

static void link_keepalive_cb(evutil_socket_t fd, short what, void *arg)
{
	struct link *l = arg;
	(void)fd;
	(void)what;
	int len = frame_encode_keepalive(l->mgr->buf, sizeof(l->mgr->buf));
	if (len > 0)
		link_send(l, l->mgr->buf, (size_t)len);
}

/* ---------------------------------------------------------------- listening */

static void accept_cb(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
	struct peer_mgr *mgr = arg;
	(void)lis;
	char addr[64];
	sockaddr_str(sa, (socklen_t)salen, addr, sizeof(addr));
	mgr->st.accepted++;
	/* One host may not hold every slot: the real peers must still get in. */
	unsigned from_host = 0;
	for (struct link *o = mgr->links; o; o = o->next)
		if (o->pending && same_host(o->addr, addr))
			from_host++;
	if (mgr->npending >= mgr->tune.max_pending ||
	    (mgr->tune.max_pending_per_host &&
	     from_host >= mgr->tune.max_pending_per_host)) {
		evutil_closesocket(fd);
		mgr->st.overflow++;
		log_limit_warnx(&mgr->overflow_log,
		                "peer links: %u connections awaiting authentication "
		                "(%u from %s); closing new ones (%" PRIu64 " so far)",
		                mgr->npending, from_host, addr, mgr->st.overflow);
		return;
	}
	struct link *l = link_new(mgr, false);
	if (!l) {
		evutil_closesocket(fd);
		return;
	}
	l->fd = fd;
	l->pending = true;
	mgr->npending++;
	snprintf(l->addr, sizeof(l->addr), "%s", addr);
	mono_arm(l->timer, mgr->tune.handshake_ms);
	if (link_start_tls(l, BUFFEREVENT_SSL_ACCEPTING) < 0)
		link_close(l, "out of memory", false);
	else
		log_debug("peer links: connection from %s", addr);
}

static void listen_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer_mgr *mgr = arg;
	(void)fd;
	(void)what;
	if (mgr->listener)
		evconnlistener_enable(mgr->listener);
}

static void accept_error_cb(struct evconnlistener *lis, void *arg)
{
	struct peer_mgr *mgr = arg;
	/* Out of descriptors, most likely: pause rather than spin on the ready socket. */
	log_warn("peer links: accept failed; pausing for a second");
	evconnlistener_disable(lis);
	mono_arm(mgr->listen_pause, 1000);
}

void peer_mgr_unlisten(struct peer_mgr *mgr)
{
	if (!mgr || !mgr->listener)
		return;
	evconnlistener_free(mgr->listener);
	mgr->listener = NULL;
	mgr->listen_port = 0;
	evtimer_del(mgr->listen_pause);
}

int peer_mgr_listen(struct peer_mgr *mgr, const char *host, uint16_t port)
{
	peer_mgr_unlisten(mgr);
	char portstr[8];
	snprintf(portstr, sizeof(portstr), "%u", port);
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	int rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0)
		return rc == EAI_MEMORY ? -ENOMEM : -EINVAL;

	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, err = 0;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 64) < 0)
		err = -errno;
	freeaddrinfo(res);
	if (err) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	mgr->listener =
	    evconnlistener_new(mgr->base, accept_cb, mgr,
	                       LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (!mgr->listener) {
		close(fd);
		return -ENOMEM;
	}
	evconnlistener_set_error_cb(mgr->listener, accept_error_cb);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		mgr->listen_port = ntohs(ss.ss_family == AF_INET6
		                             ? ((struct sockaddr_in6 *)&ss)->sin6_port
		                             : ((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

uint16_t peer_mgr_listen_port(const struct peer_mgr *mgr)
{
	return mgr ? mgr->listen_port : 0;
}

/* ---------------------------------------------------------------- manager */

struct peer_mgr *peer_mgr_new(struct event_base *base, SSL_CTX *ctx, const char *own_site,
                              const struct peer_callbacks *cb, void *arg)
{
	if (!base || !ctx || !frame_site_valid(own_site))
		return NULL;
	struct peer_mgr *mgr = calloc(1, sizeof(*mgr));
	if (!mgr)
		return NULL;
	mgr->base = base;
	mgr->overflow_log = (struct log_limit)LOG_LIMIT_INIT(1, OVERFLOW_LOG_INTERVAL);
	/* The line that says the rest are not logged is one more. */
	mgr->refused_log =
	    (struct log_limit)LOG_LIMIT_INIT(REFUSED_LOG_MAX + 1, REFUSED_LOG_WINDOW);
	mgr->reaper = event_new(base, -1, 0, reap_cb, mgr);
	mgr->listen_pause = evtimer_new(base, listen_resume_cb, mgr);
	if (!mgr->reaper || !mgr->listen_pause || !SSL_CTX_up_ref(ctx)) {
		if (mgr->reaper)
			event_free(mgr->reaper);
		if (mgr->listen_pause)
			event_free(mgr->listen_pause);
		free(mgr);
		return NULL;
	}
	mgr->ctx = ctx;
	snprintf(mgr->own_site, sizeof(mgr->own_site), "%s", own_site);
	if (cb)
		mgr->cb = *cb;
	mgr->arg = arg;
	mgr->tune = default_tuning;
	return mgr;
}

/* Hand what is queued (and the BYE) to the kernel now, if it takes it without waiting. */
static void link_flush_now(struct link *l)
{
	SSL *ssl = bufferevent_openssl_get_ssl(l->bev);
	struct evbuffer *out = bufferevent_get_output(l->bev);
	size_t n = evbuffer_get_length(out);
	if (!ssl)
		return;
	if (n > 0 && n <= INT32_MAX) {
		const uint8_t *data = evbuffer_pullup(out, (ev_ssize_t)n);
		if (data)
			SSL_write(ssl, data, (int)n);
	}
	SSL_shutdown(ssl);
	ERR_clear_error();
}

void peer_mgr_free(struct peer_mgr *mgr)
{
	if (!mgr)
		return;
	mgr->freeing = true;
	peer_mgr_unlisten(mgr);
	while (mgr->links) {
		struct link *l = mgr->links;
		if (l->bev && (l->state == L_UP || l->state == L_DRAINING)) {
			if (l->state == L_UP) {
				int len = frame_encode_bye(mgr->buf, sizeof(mgr->buf),
				                           "shutting down");
				if (len > 0)
					bufferevent_write(l->bev, mgr->buf, (size_t)len);
			}
			link_flush_now(l);
		}
		link_dispose(l);
	}
	reap_cb(-1, 0, mgr);
	while (mgr->peers) {
		struct peer *p = mgr->peers;
		mgr->peers = p->next;
		peer_free(p);
	}
	event_free(mgr->reaper);
	event_free(mgr->listen_pause);
	SSL_CTX_free(mgr->ctx);
	free(mgr);
}

int peer_mgr_set_peers(struct peer_mgr *mgr, const struct policy_config *cfg)
{
	const char *site = policy_config_site(cfg);
	if (site && frame_site_valid(site) && strcmp(site, mgr->own_site)) {
		snprintf(mgr->own_site, sizeof(mgr->own_site), "%s", site);
		for (struct peer *p = mgr->peers; p; p = p->next) {
			p->next_delay_ms = 0;
			peer_drop_links(p, "this site's name changed");
		}
	}

	for (struct peer *p = mgr->peers; p; p = p->next)
		p->seen = false;

	/* The new list, in configuration order; peers not in it are dropped after. */
	struct peer *head = NULL, **tail = &head;
	size_t n = policy_config_npeers(cfg);
	int err = 0;
	for (size_t i = 0; i < n; i++) {
		const struct policy_peer *pp = policy_config_peer(cfg, i);
		struct peer **pos = &mgr->peers, *p;
		while (*pos && strcmp((*pos)->name, policy_peer_name(pp)))
			pos = &(*pos)->next;
		if ((p = *pos)) {
			*pos = p->next;
			p->seen = true;
			if (!policy_peer_link_equal(p->cfg, pp)) {
				if (peer_keeps_link(p, pp)) {
					log_info("peer %s: fingerprints changed; the "
					         "link's key "
					         "is still accepted, the link is kept",
					         p->name);
				} else {
					log_info("peer %s: link settings changed; "
					         "reconnecting",
					         p->name);
					peer_drop_links(p, "link settings changed");
				}
				if (peer_configure(p, pp) < 0)
					err = -ENOMEM;
			}
			p->cfg = pp;
		} else {
			p = peer_new(mgr, pp);
			if (!p || peer_configure(p, pp) < 0) {
				peer_free(p);
				err = -ENOMEM;
				continue;
			}
			p->seen = true;
		}
		p->next = NULL;
		*tail = p;
		tail = &p->next;
	}
	struct peer *old = mgr->peers;
	mgr->peers = head;
	while (old) {
		struct peer *p = old;
		old = p->next;
		p->removing = true;
		log_info("peer %s: removed from the configuration", p->name);
		peer_drop_links(p, "removed from the configuration");
		peer_free(p);
	}
	for (struct peer *p = mgr->peers; p; p = p->next)
		if (!p->link && !p->dial && !evtimer_pending(p->retry, NULL))
			peer_schedule(p);
	return err;
}

unsigned peer_mgr_find(const struct peer_mgr *mgr, const char *name)
{
	const struct peer *p = peer_by_name(mgr, name);
	return p ? p->id : 0;
}

const char *peer_mgr_name(const struct peer_mgr *mgr, unsigned id)
{
	const struct peer *p = peer_by_id(mgr, id);
	return p ? p->name : NULL;
}

bool peer_is_up(const struct peer_mgr *mgr, unsigned id)
{
	const struct peer *p = peer_by_id(mgr, id);
	return p && p->link && p->link->state == L_UP;
}

/* ---------------------------------------------------------------- sending */

static int send_list(struct peer_mgr *mgr, unsigned id, int type, const char *origin,
                     unsigned hops, const ldns_rr *const *rrs, size_t n)
{
	struct peer *p = peer_by_id(mgr, id);
	if (!p)
		return -ENOENT;
	if (!p->link || p->link->state != L_UP)
		return -ENOTCONN;
	if ((type != FRAME_QUESTIONS && !frame_site_valid(origin)) || hops > UINT8_MAX)
		return -EINVAL;
	struct frame_out f = {
	    .type = (enum frame_type)type, .site = origin, .hops = (uint8_t)hops};
	int ret = 0;
	size_t i = 0;
	while (i < n) {
		size_t taken = 0;
		f.rrs = rrs + i;
		f.nrr = n - i;
		int len = frame_encode(mgr->buf, sizeof(mgr->buf), &f, &taken);
		if (len == -EMSGSIZE) {
			log_debug("peer %s: a record too large for a frame was not sent",
			          p->name);
			ret = -EMSGSIZE;
			i++;
			continue;
		}
		if (len < 0)
			return len;
		int err = link_send(p->link, mgr->buf, (size_t)len);
		if (err)
			return err;
		stat_add(&p->st, handlers[type].out_stat, taken);
		i += taken;
	}
	return ret;
}

int peer_send_records(struct peer_mgr *mgr, unsigned id, const char *origin,
                      unsigned hops, const ldns_rr *const *rrs, size_t n)
{
	return send_list(mgr, id, FRAME_RECORDS, origin, hops, rrs, n);
}

int peer_send_withdraw(struct peer_mgr *mgr, unsigned id, const char *origin,
                       const ldns_rr *const *rrs, size_t n)
{
	return send_list(mgr, id, FRAME_WITHDRAW, origin, 0, rrs, n);
}

int peer_send_questions(struct peer_mgr *mgr, unsigned id, const ldns_rr *const *qs,
                        size_t n)
{
	return send_list(mgr, id, FRAME_QUESTIONS, NULL, 0, qs, n);
}

/* ---------------------------------------------------------------- stats and tuning */

static void fill_stats(const struct peer *p, struct peer_stats *out)
{
	*out = p->st;
	if (p->link)
		out->state = PEER_UP;
	else if (p->dial)
		out->state =
		    p->dial->state == L_CONNECTING ? PEER_CONNECTING : PEER_HANDSHAKE;
	else if (p->host)
		out->state = PEER_BACKOFF;
	else
		out->state = PEER_DOWN;
}

int peer_get_stats(const struct peer_mgr *mgr, unsigned id, struct peer_stats *out)
{
	const struct peer *p = peer_by_id(mgr, id);
	if (!p)
		return -ENOENT;
	fill_stats(p, out);
	return 0;
}

void peer_mgr_foreach(const struct peer_mgr *mgr,
                      void (*fn)(void *arg, const struct peer_stats *st), void *arg)
{
	for (const struct peer *p = mgr->peers; p; p = p->next) {
		struct peer_stats st;
		fill_stats(p, &st);
		fn(arg, &st);
	}
}

void peer_mgr_get_stats(const struct peer_mgr *mgr, struct peer_mgr_stats *out)
{
	*out = mgr->st;
	out->pending = mgr->npending;
}

void peer_mgr_get_tuning(const struct peer_mgr *mgr, struct peer_tuning *out)
{
	*out = mgr->tune;
}

void peer_mgr_set_tuning(struct peer_mgr *mgr, const struct peer_tuning *t)
{
	mgr->tune = *t;
	if (mgr->tune.backoff_min_ms == 0)
		mgr->tune.backoff_min_ms = 1;
	if (mgr->tune.backoff_max_ms < mgr->tune.backoff_min_ms)
		mgr->tune.backoff_max_ms = mgr->tune.backoff_min_ms;
}
