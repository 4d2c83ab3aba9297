/*
 * sent.h: what a peer already holds, for de-duplication on the peer link.
 *
 * One dnssd_sent per peer remembers each record last sent to it (keyed like
 * the cache: owner, type, class without cache-flush bit, rdata) with the TTL
 * sent and when. A record must go to the peer now when:
 *   - it was never sent (new, or new rdata),
 *   - its TTL or cache-flush bit changed since it was sent,
 *   - more than half of the TTL it was sent with has elapsed, or
 *   - it is a goodbye (TTL 0) for a record that was sent (then it is forgotten).
 * A goodbye for a record never sent is not sent.
 *
 * Ownership: dnssd_sent_new() allocates (dnssd_sent_free()). Records passed
 * in are not kept; only their key and TTL are.
 */
#ifndef SITECAST_DNSSD_SENT_H
#define SITECAST_DNSSD_SENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

struct dnssd_sent;

/* max_entries bounds memory (0: no bound); when full the oldest-sent entry is forgotten. */
struct dnssd_sent *dnssd_sent_new(size_t max_entries);
void dnssd_sent_free(struct dnssd_sent *s);

/*
 * Whether rr must be sent now (see above). When it returns true the send is
 * recorded as done at now_ms. Returns false on allocation failure too (and the
 * record will be offered again).
 */
bool dnssd_sent_check(struct dnssd_sent *s, const ldns_rr *rr, uint64_t now_ms);
/* Forget one record (e.g. withdrawn) or everything (link reset, before resync). */
void dnssd_sent_forget(struct dnssd_sent *s, const ldns_rr *rr);
void dnssd_sent_clear(struct dnssd_sent *s);
/*
 * Drop state for records whose sent TTL has fully elapsed. It looks at every
 * entry, so it is meant for a periodic sweep (every few seconds), not for
 * each packet.
 */
void dnssd_sent_expire(struct dnssd_sent *s, uint64_t now_ms);
size_t dnssd_sent_count(const struct dnssd_sent *s);

#endif
