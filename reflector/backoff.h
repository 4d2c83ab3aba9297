/*
 * backoff.h: the one capped doubling of a retry delay, for the peer links'
 * dial attempts (peer.c, which spreads each delay with jitter of its own), the
 * DNS server's connection (dnsclient.c), and the UPDATEs and transfers the
 * server refused (wadomain.c).
 *
 * The delay is the caller's, a field of its own state; nothing is allocated.
 */
#ifndef SITECAST_REFLECTOR_BACKOFF_H
#define SITECAST_REFLECTOR_BACKOFF_H

#include <stdint.h>

/*
 * The delay to wait now, *delay_ms; *delay_ms is doubled for the next time, to
 * max_ms at most, and a delay of 0 (try at once) is followed by min_ms. The
 * caller sets *delay_ms back (to min_ms, or 0) once what it retries works.
 */
static inline uint64_t backoff_next(uint64_t *delay_ms, uint64_t min_ms, uint64_t max_ms)
{
	uint64_t d = *delay_ms;
	*delay_ms = d == 0 ? min_ms : d > max_ms / 2 ? max_ms : d * 2;
	return d;
}

#endif
