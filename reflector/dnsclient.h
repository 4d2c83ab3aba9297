/*
 * dnsclient.h: the daemon's client of one unicast DNS server (wide-area DNS-SD),
 * on the libevent loop and never blocking.
 *
 * Requests (UPDATE, SOA queries, AXFR) go over one TCP connection with the
 * 2-byte length framing of RFC 1035 §4.2.2, pipelined; answers are matched by
 * message id and checked with TSIG (dnssd_wa_answer_parse, dnssd_wa_xfr_feed).
 * Each request has a timeout (for a transfer: between two of its messages).
 * The connection is opened when a request comes and closed after a few idle
 * seconds, so that the server's own idle close never races a request.
 *
 * A connection that cannot be made, that breaks while requests wait, or a
 * request that times out makes the server "down": every waiting request gets
 * its callback with the error, events.down is called once, and the client
 * tries again after 1 s, doubling up to 60 s, until a connection is made
 * (events.up). While down, dnsc_send() refuses with -ENOTCONN: the caller
 * waits for events.up, then brings the server up to date itself.
 *
 * Ownership: dnsc_new() allocates (dnsc_free(): waiting callbacks are not
 * called). dnsc_send() takes the message in every case. The result passed to a
 * callback and what it points to live during the callback only; the records
 * of a completed transfer may be taken (dnssd_wa_xfr_take()). The key is
 * copied. Callbacks may call dnsc_send() and dnsc_cancel(), not dnsc_free().
 */
#ifndef SITECAST_REFLECTOR_DNSCLIENT_H
#define SITECAST_REFLECTOR_DNSCLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "dnssd/waupdate.h"
#include "dnssd/waxfr.h"

struct event_base;
struct dnsc;

/* Time a request may wait for its answer (a transfer: for its next message). */
#define DNSC_TIMEOUT_MS 5000
/* Reconnect backoff: from the first to the longest wait. */
#define DNSC_BACKOFF_MIN_MS 1000
#define DNSC_BACKOFF_MAX_MS 60000

enum dnsc_kind {
	DNSC_SINGLE, /* one answer (UPDATE, SOA query) */
	DNSC_XFR,    /* a zone transfer: messages until the closing SOA */
};

struct dnsc_result {
	/*
	 * 0: the server answered (rcode and tsig_error say how; for a transfer,
	 * 0 with rcode NOERROR means complete). Else no usable answer: -ETIMEDOUT,
	 * -ECONNREFUSED (no connection), -ECONNRESET (closed while waiting),
	 * -EBADMSG (TSIG missing or wrong on the answer), -EPROTO (malformed),
	 * -ENOMEM, -E2BIG (transfer too large).
	 */
	int err;
	int rcode, tsig_error;
	const struct dnssd_wa_answer *answer; /* DNSC_SINGLE with err 0 */
	struct dnssd_wa_xfr *xfr;             /* DNSC_XFR with err 0 and NOERROR */
};

typedef void (*dnsc_cb)(void *arg, const struct dnsc_result *r);

struct dnsc_events {
	void (*up)(void *arg);            /* connected after being down (or first) */
	void (*down)(void *arg, int err); /* unreachable: err as in dnsc_result */
};

/* A client of host (a literal IPv4/IPv6 address) and port, signing with key (copied;
 * NULL: unsigned). NULL with errno set on failure. */
struct dnsc *dnsc_new(struct event_base *base, const char *host, uint16_t port,
                      const struct dnssd_wa_key *key, const struct dnsc_events *ev,
                      void *arg);
void dnsc_free(struct dnsc *c);

/* An unused message id for the next request. */
uint16_t dnsc_next_id(struct dnsc *c);
const struct dnssd_wa_key *dnsc_key(const struct dnsc *c);

/*
 * Send msg (built with dnsc_next_id(), taken) and call cb(arg, result) once with
 * its answer or failure. 0, -ENOTCONN (down: wait for events.up) or -ENOMEM
 * (cb is not called when this returns an error).
 */
int dnsc_send(struct dnsc *c, enum dnsc_kind kind, struct dnssd_wa_msg *msg, dnsc_cb cb,
              void *arg);
/* Drop every request whose callback argument is arg, without calling it. */
void dnsc_cancel(struct dnsc *c, const void *arg);

/* "192.0.2.53:53" ("[2001:db8::53]:53"), for log lines. */
const char *dnsc_server(const struct dnsc *c);
bool dnsc_is_down(const struct dnsc *c);
/* Counters: requests sent, bytes written and read, connections made. */
struct dnsc_stats {
	uint64_t requests, bytes_out, bytes_in, connects, failures;
};
void dnsc_get_stats(const struct dnsc *c, struct dnsc_stats *out);

#endif
