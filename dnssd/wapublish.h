/*
 * wapublish.h: what one gateway holds in its wide-area domain, and how a
 * change of it is cut into UPDATE messages. I/O-free: the daemon's
 * reflector/wadomain.c sends, times and logs; this works out what.
 *
 *   local:    the site's records as the engine gave them (.local names), one
 *             per record as DNS compares them, newest spelling and TTL kept.
 *   have:     the records the server holds for this gateway, read from a
 *             transfer (dnssd_wa_owned_of) and followed through each UPDATE
 *             that succeeded (dnssd_wa_have_apply).
 *   queue:    the UPDATEs of one round: deletions first, at most a number of
 *             records each, halved when a message would be over 64 KB or the
 *             server refuses it whole (SERVFAIL), until what cannot go in is
 *             alone.
 *   rejected: records the server refused alone (an RRset over BIND's
 *             max-records-per-type). Left out of the next rounds until a
 *             record of their RRset is deleted.
 *
 * Ownership: every object made here is freed by its _free(); lists returned
 * through an out parameter are new and the caller's (ldns_rr_list_deep_free()),
 * but for dnssd_wa_local_list(), whose list only points at the set's records
 * (ldns_rr_list_free(), valid until the set changes). A batch returned by
 * dnssd_wa_queue_head() belongs to the queue. Inputs are only read.
 */
#ifndef SITECAST_DNSSD_WAPUBLISH_H
#define SITECAST_DNSSD_WAPUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "dnssd/waupdate.h"

/* ---- local: the records this site has for the domain ---- */

struct dnssd_wa_local;

/* NULL on ENOMEM. */
struct dnssd_wa_local *dnssd_wa_local_new(void);
void dnssd_wa_local_free(struct dnssd_wa_local *l);
/* Forget every record (the engine is about to send the whole set again). */
void dnssd_wa_local_clear(struct dnssd_wa_local *l);
/* Keep rr (a copy), replace the same record (new spelling or TTL), or with TTL 0
 * drop it. 0, or a negative errno (-ENOMEM, -EINVAL for a record that cannot be
 * keyed). */
int dnssd_wa_local_put(struct dnssd_wa_local *l, const ldns_rr *rr);
size_t dnssd_wa_local_count(const struct dnssd_wa_local *l);
/* The records, as a list pointing at them (see Ownership); NULL on ENOMEM. */
ldns_rr_list *dnssd_wa_local_list(const struct dnssd_wa_local *l);

/* ---- have: what the server holds ---- */

/*
 * *have after an UPDATE that took add and del (either may be NULL): del's
 * records out, add's copies in, in one sorted pass since have may hold the
 * whole domain. 0 or -ENOMEM (*have is then still a valid list, but may lack
 * records: read the domain again).
 */
int dnssd_wa_have_apply(ldns_rr_list **have, const ldns_rr_list *add,
                        const ldns_rr_list *del);

/*
 * Copies of the records of zone_rrs (a transfer) this gateway owns
 * (dnssd_wa_owned: its domain, its PTR at b/lb._dns-sd._udp.<zone>). 0 and
 * *out, -EINVAL (bad domain or zone name) or -ENOMEM.
 */
int dnssd_wa_owned_of(const ldns_rr_list *zone_rrs, const char *domain, const char *zone,
                      ldns_rr_list **out);

/* Whether a and b hold the same records (dnssd_wa_rr_cmp), in any order. false on
 * ENOMEM. */
bool dnssd_wa_same_records(const ldns_rr_list *a, const ldns_rr_list *b);

/*
 * Copies of the records of old that now lacks, with TTL 0 (goodbyes). 0 and
 * *out, or -ENOMEM.
 */
int dnssd_wa_gone(const ldns_rr_list *old, const ldns_rr_list *now, ldns_rr_list **out);

/*
 * Some servers (Knot DNS) fold names to lower case. A record published with a
 * capital in its owner name (dnssd_wa_has_upper) is looked up in a transfer:
 * 1 when the server holds it with its owner's case folded, 0 when spelt as
 * published, -ENOENT when the zone does not have it.
 */
bool dnssd_wa_has_upper(const ldns_rdf *name);
int dnssd_wa_case_folded(const ldns_rr_list *zone_rrs, const ldns_rr *sample);

/* ---- queue: the UPDATEs of a round ---- */

struct dnssd_wa_batch {
	ldns_rr_list *add, *del; /* either may be NULL */
};

/* Records in b (additions and deletions). */
size_t dnssd_wa_batch_size(const struct dnssd_wa_batch *b);

struct dnssd_wa_queue;

/* NULL on ENOMEM. */
struct dnssd_wa_queue *dnssd_wa_queue_new(void);
void dnssd_wa_queue_free(struct dnssd_wa_queue *q);
/* Drop every batch. */
void dnssd_wa_queue_clear(struct dnssd_wa_queue *q);
size_t dnssd_wa_queue_len(const struct dnssd_wa_queue *q);

/*
 * Append copies of del's then add's records (either may be NULL) in batches of
 * at most max records (max > 0), deletions first so that a replaced record
 * never meets a limit beside its old copy. 0, -EINVAL (max 0) or -ENOMEM (the
 * queue is then empty).
 */
int dnssd_wa_queue_fill(struct dnssd_wa_queue *q, const ldns_rr_list *add,
                        const ldns_rr_list *del, size_t max);

/* The first batch, NULL when the queue is empty. */
const struct dnssd_wa_batch *dnssd_wa_queue_head(const struct dnssd_wa_queue *q);
/* Drop the first batch (none: nothing). */
void dnssd_wa_queue_pop(struct dnssd_wa_queue *q);
/*
 * Replace the first batch by its two halves, deletions and additions kept in
 * order. 0, -EINVAL (empty queue, or a first batch of one record: nothing to
 * split) or -ENOMEM (the queue is unchanged).
 */
int dnssd_wa_queue_split(struct dnssd_wa_queue *q);

/*
 * The UPDATE of zone for the first batch, signed with key (dnssd_wa_update),
 * splitting the batch while its message would be over 64 KB. 0 and *out,
 * -ENOENT (empty queue), -EMSGSIZE (one record too big), -EINVAL, -ENOMEM.
 */
int dnssd_wa_queue_message(struct dnssd_wa_queue *q, const char *zone, uint16_t id,
                           const struct dnssd_wa_key *key, struct dnssd_wa_msg **out);

/* ---- rejected: what the server would not take ---- */

/*
 * Keep copies of add's records (the batch refused alone) in *rejected.
 * Returns 1 when their RRset is new among the rejected (worth a log line), 0
 * when one of its records was already refused, -ENOMEM.
 */
int dnssd_wa_rejected_add(ldns_rr_list *rejected, const ldns_rr_list *add);

/*
 * Forget the rejected records of an RRset that del (deleted by an UPDATE that
 * succeeded) had a record of: there is room again, they may be tried again.
 * Returns how many were forgotten.
 */
size_t dnssd_wa_rejected_forgive(ldns_rr_list *rejected, const ldns_rr_list *del);

/* Drop from *add (freeing them) the records rejected holds. 0 or -ENOMEM (*add
 * unchanged). */
int dnssd_wa_rejected_filter(const ldns_rr_list *rejected, ldns_rr_list **add);

#endif
