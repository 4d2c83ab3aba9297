/*
 * peer.h: the authenticated links to other sites (doc/protocol.md).
 *
 * A peer manager keeps one TLS 1.3 link per configured peer, dialing out where
 * the peer has a `connect` address (exponential backoff with jitter, 1 s to
 * 60 s) and accepting links on the `listen` address. A link is used only once
 * the peer has proved the key whose fingerprint is configured for it and its
 * HELLO names that peer's site; anything else is logged with the presented
 * fingerprint and closed. Links carry keepalives (every 10 s by default; the
 * daemon sets a third of limits.peer-timeout); a peer silent for dead_ms (35 s
 * by default; the daemon sets limits.peer-timeout) is taken as dead. A peer that does not read what is sent to it (over 4
 * MiB waiting) is disconnected.
 *
 * At most one link per peer is used. A newer link in the same direction
 * replaces the old one (the peer restarted); when both sites dialed each other,
 * the link dialed by the site whose name sorts first is kept, on both sides.
 *
 * Peers are known by a small integer id, stable while the peer stays in the
 * configuration (reloads included), never reused by a manager, and never 0.
 *
 * Callbacks run from the event loop, never from inside a peer_* call except
 * peer_mgr_set_peers() (on_down for links it closes). on_records,
 * on_withdraw and on_questions get an array the manager owns and frees after
 * the callback returns, with every non-NULL entry: to keep a record, take it
 * (store the pointer and set the array entry to NULL) and free it later with
 * ldns_rr_free(). origin and name are valid during the callback only.
 *
 * The process must ignore SIGPIPE: TLS writes to a connection the peer has
 * closed would otherwise kill it.
 *
 * Ownership: peer_mgr_new() allocates (peer_mgr_free()). The manager takes
 * its own reference on the SSL_CTX. The configuration given to
 * peer_mgr_set_peers() must stay alive until the next peer_mgr_set_peers()
 * call has returned, or until peer_mgr_free() (the usual order on reload:
 * load the new one, set it, free the old one).
 */
#ifndef SITECAST_REFLECTOR_PEER_H
#define SITECAST_REFLECTOR_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>
#include <ldns/ldns.h>
#include <openssl/ssl.h>

#include "policy/config.h"
#include "reflector/frame.h"

struct peer_mgr;

struct peer_callbacks {
	void (*on_up)(void *arg, unsigned id, const char *name);
	void (*on_down)(void *arg, unsigned id, const char *name, const char *reason);
	void (*on_records)(void *arg, unsigned id, const char *origin, unsigned hops,
	                   ldns_rr **rrs, size_t n);
	void (*on_withdraw)(void *arg, unsigned id, const char *origin, ldns_rr **rrs,
	                    size_t n);
	void (*on_questions)(void *arg, unsigned id, ldns_rr **qs, size_t n);
};

/* own_site is this site's name; cb (copied) may have NULL members. */
struct peer_mgr *peer_mgr_new(struct event_base *base, SSL_CTX *ctx, const char *own_site,
                              const struct peer_callbacks *cb, void *arg);
/*
 * Close every link, sending BYE on those that are up, and free everything.
 * No callback runs. NULL is fine. Not from inside a callback.
 */
void peer_mgr_free(struct peer_mgr *mgr);

/*
 * Take the peers (and this site's name) from cfg: new peers are added (and
 * dialed), removed ones closed, and peers whose link settings changed
 * (policy_peer_link_equal) reconnected; the links of the others stay up.
 * 0 or -ENOMEM.
 */
int peer_mgr_set_peers(struct peer_mgr *mgr, const struct policy_config *cfg);

/*
 * Accept peer links on host (a literal address; NULL for all) and port (0 for
 * any free port, see peer_mgr_listen_port()). Replaces a previous listener.
 * 0, or -EADDRINUSE, -EADDRNOTAVAIL, -EACCES, -EINVAL (not a literal
 * address), ...
 */
int peer_mgr_listen(struct peer_mgr *mgr, const char *host, uint16_t port);
/* Stop accepting; links already up stay. */
void peer_mgr_unlisten(struct peer_mgr *mgr);
/* The bound port, or 0 when not listening. */
uint16_t peer_mgr_listen_port(const struct peer_mgr *mgr);

/* The id of the peer of that name, or 0. */
unsigned peer_mgr_find(const struct peer_mgr *mgr, const char *name);
/* The name of peer id (owned by the manager, valid until the next set_peers), or NULL. */
const char *peer_mgr_name(const struct peer_mgr *mgr, unsigned id);
bool peer_is_up(const struct peer_mgr *mgr, unsigned id);

/*
 * Send to a peer whose link is up. Records go in as many frames as needed;
 * a record too large for any frame is skipped (-EMSGSIZE is returned after
 * the others are sent). -ENOENT for an unknown id, -ENOTCONN when the link is
 * not up, -ENOBUFS when the peer has stopped reading (the link is closed from
 * the event loop), -EINVAL for a bad origin site name.
 */
int peer_send_records(struct peer_mgr *mgr, unsigned id, const char *origin,
                      unsigned hops, const ldns_rr *const *rrs, size_t n);
int peer_send_withdraw(struct peer_mgr *mgr, unsigned id, const char *origin,
                       const ldns_rr *const *rrs, size_t n);
int peer_send_questions(struct peer_mgr *mgr, unsigned id, const ldns_rr *const *qs,
                        size_t n);

enum peer_state {
	PEER_DOWN,       /* no link, waiting for the peer to dial in */
	PEER_BACKOFF,    /* no link, next dial attempt scheduled */
	PEER_CONNECTING, /* TCP connection being set up */
	PEER_HANDSHAKE,  /* TLS handshake or HELLO exchange */
	PEER_UP,
};

/* "down", "backoff", "connecting", "handshake", "up". */
const char *peer_state_name(enum peer_state s);

struct peer_stats {
	unsigned id;
	char name[FRAME_SITE_MAX + 1];
	enum peer_state state;
	bool incoming;        /* while up: the peer dialed this link */
	time_t since;         /* wall time the peer last came up or went down */
	char address[64];     /* remote address of the link while up, else "" */
	char last_error[384]; /* why the last link or attempt ended or was refused */
	uint64_t records_in, records_out;     /* in RECORDS frames */
	uint64_t withdrawn_in, withdrawn_out; /* in WITHDRAW frames */
	uint64_t questions_in, questions_out;
	uint64_t bytes_in, bytes_out; /* frame bytes, TLS overhead not counted */
	uint64_t frames_in, frames_out;
	uint64_t ups; /* times a link came up */
};

struct peer_mgr_stats {
	unsigned pending;  /* incoming connections not yet authenticated */
	uint64_t accepted; /* incoming TCP connections */
	uint64_t refused; /* incoming or outgoing links refused (key, site, TLS, HELLO) */
	uint64_t overflow; /* incoming connections closed at once: too many pending */
	char last_refused[384];
};

/* 0 or -ENOENT. */
int peer_get_stats(const struct peer_mgr *mgr, unsigned id, struct peer_stats *out);
/* Calls fn for each peer, in configuration order. */
void peer_mgr_foreach(const struct peer_mgr *mgr,
                      void (*fn)(void *arg, const struct peer_stats *st), void *arg);
void peer_mgr_get_stats(const struct peer_mgr *mgr, struct peer_mgr_stats *out);

/* Timing and limits; the defaults are those above. Tests shorten them. */
struct peer_tuning {
	unsigned handshake_ms;   /* connect + TLS + HELLO, 10000 */
	unsigned keepalive_ms;   /* 10000 */
	unsigned dead_ms;        /* 35000 */
	unsigned backoff_min_ms; /* 1000 */
	unsigned backoff_max_ms; /* 60000 */
	size_t max_output;       /* bytes waiting to be sent, 4 MiB */
	unsigned max_pending;    /* unauthenticated incoming connections, 64 */
	unsigned max_pending_per_host; /* of those from one address, 8 (0: no limit) */
};

void peer_mgr_get_tuning(const struct peer_mgr *mgr, struct peer_tuning *out);
/* Applies to timers started afterwards. */
void peer_mgr_set_tuning(struct peer_mgr *mgr, const struct peer_tuning *t);

#endif
