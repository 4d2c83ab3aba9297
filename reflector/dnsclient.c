/* dnsclient.c: one DNS server over TCP on the event loop (see dnsclient.h). */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/rand.h>

#include "reflector/backoff.h"
#include "reflector/dnsclient.h"
#include "reflector/log.h"
#include "reflector/mono.h"

/* With nothing waiting this long, the connection is closed by us, not the server. */
#define DNSC_IDLE_MS 4000

enum dnsc_state {
	ST_IDLE,       /* no connection, none wanted */
	ST_CONNECTING, /* connect() under way */
	ST_UP,         /* connected */
	ST_DOWN,       /* unreachable, waiting for the next attempt */
};

struct dnsc_req {
	struct dnsc_req *next;
	struct dnsc *c;
	enum dnsc_kind kind;
	struct dnssd_wa_msg *msg;
	struct dnssd_wa_xfr *xfr;
	dnsc_cb cb;
	void *arg;
	struct event *timer;
	bool written;
};

struct dnsc {
	struct event_base *base;
	struct sockaddr_storage sa;
	socklen_t salen;
	char server[64];
	struct dnssd_wa_key key;
	bool signed_;
	struct dnsc_events ev;
	void *arg;
	enum dnsc_state state;
	bool ever_up;  /* events.up has been called once */
	bool reported; /* events.down called for the current outage */
	struct bufferevent *bev;
	struct event *retry, *idle, *connect_to;
	uint64_t backoff_ms;
	struct dnsc_req *reqs; /* in sending order */
	uint16_t next_id;
	struct dnsc_stats st;
	int connect_err; /* a connect() that failed at once, reported from the loop */
};

static void req_free(struct dnsc_req *r)
{
	if (!r)
		return;
	if (r->timer)
		event_free(r->timer);
	dnssd_wa_xfr_free(r->xfr);
	dnssd_wa_msg_free(r->msg);
	free(r);
}

static void unlink_req(struct dnsc *c, struct dnsc_req *r)
{
	for (struct dnsc_req **p = &c->reqs; *p; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			r->next = NULL;
			return;
		}
}

/* Finish r: out of the list, its callback, freed. */
static void complete(struct dnsc_req *r, const struct dnsc_result *res)
{
	struct dnsc *c = r->c;
	unlink_req(c, r);
	if (r->cb)
		r->cb(r->arg, res);
	req_free(r);
}

static void fail_req(struct dnsc_req *r, int err)
{
	struct dnsc_result res = {.err = err};
	complete(r, &res);
}

static void close_conn(struct dnsc *c)
{
	if (c->bev) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	evtimer_del(c->idle);
	evtimer_del(c->connect_to);
}

static void arm_idle(struct dnsc *c)
{
	if (c->state != ST_UP)
		return;
	if (c->reqs) {
		evtimer_del(c->idle);
		return;
	}
	mono_arm(c->idle, DNSC_IDLE_MS);
}

/* The server cannot be reached: everything waiting fails, and a later attempt. */
static void go_down(struct dnsc *c, int err)
{
	close_conn(c);
	c->state = ST_DOWN;
	c->st.failures++;
	/* Detach the list first: callbacks see the state down and cannot add to it. */
	struct dnsc_req *list = c->reqs;
	c->reqs = NULL;
	while (list) {
		struct dnsc_req *r = list;
		list = r->next;
		r->next = NULL;
		c->reqs = r; /* complete() unlinks it again */
		fail_req(r, err);
	}
	c->reqs = NULL;
	mono_arm(c->retry,
	         backoff_next(&c->backoff_ms, DNSC_BACKOFF_MIN_MS, DNSC_BACKOFF_MAX_MS));
	if (!c->reported) {
		c->reported = true;
		if (c->ev.down)
			c->ev.down(c->arg, err);
	}
}

static void arm_req_timer(struct dnsc_req *r)
{
	mono_arm(r->timer, DNSC_TIMEOUT_MS);
}

static int write_req(struct dnsc *c, struct dnsc_req *r)
{
	uint8_t len[2] = {(uint8_t)(r->msg->len >> 8), (uint8_t)r->msg->len};
	if (bufferevent_write(c->bev, len, 2) < 0 ||
	    bufferevent_write(c->bev, r->msg->wire, r->msg->len) < 0)
		return -ENOMEM;
	r->written = true;
	c->st.requests++;
	c->st.bytes_out += 2 + r->msg->len;
	arm_req_timer(r);
	return 0;
}

static void flush_queue(struct dnsc *c)
{
	for (struct dnsc_req *r = c->reqs; r; r = r->next)
		if (!r->written && write_req(c, r) < 0) {
			go_down(c, -ENOMEM);
			return;
		}
	arm_idle(c);
}

static struct dnsc_req *find_req(struct dnsc *c, uint16_t id)
{
	for (struct dnsc_req *r = c->reqs; r; r = r->next)
		if (r->written && r->msg->id == id)
			return r;
	return NULL;
}

/* One message from the server: to the request with its id (others are ignored). */
static void on_message(struct dnsc *c, const uint8_t *wire, size_t len)
{
	if (len < 12)
		return;
	struct dnsc_req *r = find_req(c, (uint16_t)(wire[0] << 8 | wire[1]));
	if (!r)
		return; /* an answer to a request given up on */
	/* Any answer shows the server works: the next outage starts from 1 s. */
	c->backoff_ms = DNSC_BACKOFF_MIN_MS;
	if (r->kind == DNSC_XFR) {
		int rc = dnssd_wa_xfr_feed(r->xfr, wire, len);
		struct dnsc_result res = {.err = 0};
		dnssd_wa_xfr_rcode(r->xfr, &res.rcode, &res.tsig_error);
		if (rc == 0) {
			arm_req_timer(r);
			return;
		}
		if (rc == 1)
			res.xfr = r->xfr;
		else if (rc != -ECONNREFUSED)
			res.err = rc;
		complete(r, &res);
		return;
	}
	struct dnssd_wa_answer a;
	int rc = dnssd_wa_answer_parse(wire, len, r->msg->id, c->signed_ ? &c->key : NULL,
	                               r->msg->mac, 1, &a);
	if (rc == -EPROTO)
		return; /* not an answer to it after all: wait on */
	struct dnsc_result res = {.err = rc};
	if (rc == 0) {
		res.rcode = a.rcode;
		res.tsig_error = a.tsig_error;
		res.answer = &a;
	}
	complete(r, &res);
	dnssd_wa_answer_clear(&a);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct dnsc *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hdr[2];

	while (c->bev == bev && evbuffer_get_length(in) >= 2) {
		evbuffer_copyout(in, hdr, 2);
		size_t len = (size_t)hdr[0] << 8 | hdr[1];
		if (evbuffer_get_length(in) < 2 + len)
			break;
		uint8_t *msg = malloc(len ? len : 1);
		if (!msg) {
			go_down(c, -ENOMEM);
			return;
		}
		evbuffer_drain(in, 2);
		evbuffer_remove(in, msg, len);
		c->st.bytes_in += 2 + len;
		on_message(c, msg, len);
		free(msg);
	}
	if (c->bev == bev)
		arm_idle(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct dnsc *c = arg;
	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		evtimer_del(c->connect_to);
		c->state = ST_UP;
		c->st.connects++;
		bool was_out = c->reported || !c->ever_up;
		c->reported = false;
		c->ever_up = true;
		flush_queue(c);
		if (was_out && c->ev.up)
			c->ev.up(c->arg);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		int err = EVUTIL_SOCKET_ERROR();
		bool connecting = c->state == ST_CONNECTING;
		if (!connecting && !c->reqs) {
			/* Closed by the server while nothing waited: not an outage. */
			close_conn(c);
			c->state = ST_IDLE;
			return;
		}
		go_down(c, connecting ? -(err ? err : ECONNREFUSED) : -ECONNRESET);
	}
}

static int open_conn(struct dnsc *c)
{
	c->bev = bufferevent_socket_new(c->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev)
		return -ENOMEM;
	bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->state = ST_CONNECTING;
	mono_arm(c->connect_to, DNSC_TIMEOUT_MS);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&c->sa, (int)c->salen) <
	    0) {
		/* Reported from the loop, so that dnsc_send() never calls back. */
		int err = EVUTIL_SOCKET_ERROR();
		c->connect_err = err ? err : ECONNREFUSED;
		evtimer_del(c->connect_to);
		mono_arm(c->connect_to, 0);
		return -ENOTCONN;
	}
	return 0;
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct dnsc *c = arg;
	(void)fd;
	(void)what;
	if (c->state == ST_DOWN && open_conn(c) == -ENOMEM)
		mono_arm(c->retry, c->backoff_ms);
}

static void on_idle(evutil_socket_t fd, short what, void *arg)
{
	struct dnsc *c = arg;
	(void)fd;
	(void)what;
	if (c->state == ST_UP && !c->reqs) {
		close_conn(c);
		c->state = ST_IDLE;
	}
}

static void on_connect_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct dnsc *c = arg;
	(void)fd;
	(void)what;
	int err = c->connect_err ? c->connect_err : ETIMEDOUT;
	c->connect_err = 0;
	if (c->state == ST_CONNECTING)
		go_down(c, -err);
}

/* No answer in time: the server (or the path to it) is taken to be down. */
static void on_req_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct dnsc_req *r = arg;
	(void)fd;
	(void)what;
	go_down(r->c, -ETIMEDOUT);
}

struct dnsc *dnsc_new(struct event_base *base, const char *host, uint16_t port,
                      const struct dnssd_wa_key *key, const struct dnsc_events *ev,
                      void *arg)
{
	struct dnsc *c = calloc(1, sizeof(*c));
	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)&c->sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&c->sa;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		c->salen = sizeof(*s4);
		snprintf(c->server, sizeof(c->server), "%s:%u", host, port);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		c->salen = sizeof(*s6);
		snprintf(c->server, sizeof(c->server), "[%s]:%u", host, port);
	} else {
		free(c);
		errno = EINVAL;
		return NULL;
	}
	if (key) {
		c->key = *key;
		c->signed_ = true;
	}
	if (ev)
		c->ev = *ev;
	c->arg = arg;
	c->base = base;
	c->backoff_ms = DNSC_BACKOFF_MIN_MS;
	if (RAND_bytes((unsigned char *)&c->next_id, sizeof(c->next_id)) != 1)
		c->next_id = (uint16_t)(uintptr_t)c;
	c->retry = evtimer_new(base, on_retry, c);
	c->idle = evtimer_new(base, on_idle, c);
	c->connect_to = evtimer_new(base, on_connect_timeout, c);
	if (!c->retry || !c->idle || !c->connect_to) {
		dnsc_free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

void dnsc_free(struct dnsc *c)
{
	if (!c)
		return;
	close_conn(c);
	while (c->reqs) {
		struct dnsc_req *r = c->reqs;
		c->reqs = r->next;
		req_free(r);
	}
	if (c->retry)
		event_free(c->retry);
	if (c->idle)
		event_free(c->idle);
	if (c->connect_to)
		event_free(c->connect_to);
	free(c);
}

uint16_t dnsc_next_id(struct dnsc *c)
{
	for (;;) {
		uint16_t id = c->next_id++;
		bool used = false;
		for (struct dnsc_req *r = c->reqs; r && !used; r = r->next)
			used = r->msg->id == id;
		if (!used)
			return id;
	}
}

const struct dnssd_wa_key *dnsc_key(const struct dnsc *c)
{
	return c->signed_ ? &c->key : NULL;
}

int dnsc_send(struct dnsc *c, enum dnsc_kind kind, struct dnssd_wa_msg *msg, dnsc_cb cb,
              void *arg)
{
	if (c->state == ST_DOWN) {
		dnssd_wa_msg_free(msg);
		return -ENOTCONN;
	}
	struct dnsc_req *r = calloc(1, sizeof(*r));
	if (!r) {
		dnssd_wa_msg_free(msg);
		return -ENOMEM;
	}
	r->c = c;
	r->kind = kind;
	r->msg = msg;
	r->cb = cb;
	r->arg = arg;
	r->timer = evtimer_new(c->base, on_req_timeout, r);
	if (!r->timer ||
	    (kind == DNSC_XFR && !(r->xfr = dnssd_wa_xfr_new(msg, dnsc_key(c))))) {
		req_free(r);
		return -ENOMEM;
	}
	struct dnsc_req **tail = &c->reqs;
	while (*tail)
		tail = &(*tail)->next;
	*tail = r;
	switch (c->state) {
	case ST_IDLE:
		/* A connect() failure reaches r's callback from the loop, through
		 * go_down. */
		if (open_conn(c) == -ENOMEM) {
			c->state = ST_IDLE;
			unlink_req(c, r);
			req_free(r);
			return -ENOMEM;
		}
		break;
	case ST_UP:
		if (write_req(c, r) < 0)
			go_down(c, -ENOMEM);
		else
			evtimer_del(c->idle);
		break;
	default:
		break;
	}
	return 0;
}

void dnsc_cancel(struct dnsc *c, const void *arg)
{
	for (struct dnsc_req **p = &c->reqs; *p;) {
		struct dnsc_req *r = *p;
		if (r->arg == arg) {
			*p = r->next;
			req_free(r);
		} else {
			p = &r->next;
		}
	}
	arm_idle(c);
}

const char *dnsc_server(const struct dnsc *c)
{
	return c->server;
}

bool dnsc_is_down(const struct dnsc *c)
{
	return c->state == ST_DOWN;
}

void dnsc_get_stats(const struct dnsc *c, struct dnsc_stats *out)
{
	*out = c->st;
}
