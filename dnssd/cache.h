/*
 * cache.h: a cache of mDNS records with TTLs (RFC 6762 §10).
 *
 * Entries are keyed by owner name (case-insensitive), type, class without the
 * cache-flush bit, and rdata. Time is a caller-supplied monotonic clock in
 * milliseconds; the cache never reads the clock itself.
 *
 *  - put with TTL > 0: new entry or refresh of the same record (TTL restarts).
 *  - put with TTL 0 (goodbye): the entry stays one second more, then expires
 *    (RFC 6762 §10.1).
 *  - put with the cache-flush bit: other entries of the same name, type, class
 *    and origin last refreshed more than one second ago are set to expire in one
 *    second (RFC 6762 §10.2).
 *    A goodbye never flushes, and flushing never makes an entry live longer.
 *  - bound: at most max_entries (0: no bound). When full, a new record evicts
 *    the entry that would expire soonest; if that entry outlives the new
 *    record, the new one is refused (-ENOSPC) instead.
 *  - an entry whose time is up but that expire has not collected yet counts
 *    as gone: a put of it is NEW (its aux slots start again at 0), a goodbye
 *    for it is IGNORED, find skips it.
 *  - a refresh from another origin hands the entry over to that origin.
 *
 * Each entry carries an origin tag (who it came from: the proxy uses the
 * interface index for LAN records and a peer id for remote ones) and two
 * 64-bit auxiliary slots the caller may use freely (e.g. last announcement).
 *
 * Ownership: dnssd_cache_new() allocates (dnssd_cache_free()). The cache
 * copies records given to put, in a compact form of its own (about a third
 * of an ldns record's heap): dnssd_entry_rr_new() builds an ldns record
 * again. Entry pointers stay valid until the entry is removed (by expire,
 * remove, remove_origin, eviction or free); callbacks receive entries just
 * before they are destroyed.
 */
#ifndef SITECAST_DNSSD_CACHE_H
#define SITECAST_DNSSD_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

struct dnssd_cache;
struct dnssd_entry;

enum dnssd_put_result {
	DNSSD_PUT_NEW = 1,     /* not cached before */
	DNSSD_PUT_REFRESHED,   /* same record, TTL restarted */
	DNSSD_PUT_CHANGED,     /* same record, but its TTL or cache-flush bit changed */
	DNSSD_PUT_GOODBYE,     /* TTL 0: expires in one second */
	DNSSD_PUT_IGNORED,     /* goodbye for a record not cached */
};

typedef void (*dnssd_entry_cb)(void *arg, struct dnssd_entry *e);

struct dnssd_cache *dnssd_cache_new(size_t max_entries);
/* Frees every entry without calling back. */
void dnssd_cache_free(struct dnssd_cache *c);

/*
 * Insert or refresh. Returns a dnssd_put_result (> 0) or -ENOSPC / -ENOMEM /
 * -EINVAL. *entry (may be NULL) is set to the entry when one exists after the
 * call. evicted (may be NULL) is called for an entry evicted to make room,
 * once the new entry is in (so it may look the cache up, not change it).
 */
int dnssd_cache_put(struct dnssd_cache *c, const ldns_rr *rr, uint32_t origin, uint64_t now_ms,
		    struct dnssd_entry **entry, dnssd_entry_cb evicted, void *arg);

/*
 * Entries with this owner name and type (LDNS_RR_TYPE_ANY for all types) and
 * class (0 or LDNS_RR_CLASS_ANY for any; the top bit is ignored). Fills up to
 * max pointers into out and returns how many matched in total. Expired-but-
 * not-yet-collected entries are skipped; goodbyes in their last second are
 * not (dnssd_entry_is_goodbye() tells them apart).
 */
size_t dnssd_cache_find(struct dnssd_cache *c, const ldns_rdf *name, uint16_t type,
			uint16_t klass, uint64_t now_ms, struct dnssd_entry **out, size_t max);
/*
 * Every entry that dnssd_cache_find() counts, however many: in buf (room for max)
 * when they fit, else in an array allocated for them. Returns how many and sets
 * *out to buf or to that array, which dnssd_cache_found_free(*out, buf) frees.
 * Out of memory, only the first max are returned (in buf).
 */
size_t dnssd_cache_find_all(struct dnssd_cache *c, const ldns_rdf *name, uint16_t type,
			    uint16_t klass, uint64_t now_ms, struct dnssd_entry **buf,
			    size_t max, struct dnssd_entry ***out);
/* Frees what dnssd_cache_find_all() allocated (nothing when found is buf). */
void dnssd_cache_found_free(struct dnssd_entry **found, struct dnssd_entry **buf);

/* The entry holding exactly this record (ignoring TTL and cache-flush bit), or NULL. */
struct dnssd_entry *dnssd_cache_get(struct dnssd_cache *c, const ldns_rr *rr);

/*
 * Remove entries whose time is up, calling cb (may be NULL) for each first.
 * Returns the next expiry time in ms, or UINT64_MAX when the cache is empty.
 */
uint64_t dnssd_cache_expire(struct dnssd_cache *c, uint64_t now_ms, dnssd_entry_cb cb, void *arg);
/* Remove one entry (cb not called). */
void dnssd_cache_remove(struct dnssd_cache *c, struct dnssd_entry *e);
/* Remove every entry of an origin, calling cb (may be NULL) for each first. */
void dnssd_cache_remove_origin(struct dnssd_cache *c, uint32_t origin, dnssd_entry_cb cb, void *arg);
/* Call cb for every live entry; cb must not add or remove entries. */
void dnssd_cache_foreach(struct dnssd_cache *c, dnssd_entry_cb cb, void *arg);
size_t dnssd_cache_count(const struct dnssd_cache *c);

/*
 * The record as last put (TTL as received, class with its cache-flush bit,
 * names spelt as put), built afresh from the entry's compact form. Calls
 * malloc: the caller frees it with ldns_rr_free(). NULL when out of memory.
 */
ldns_rr *dnssd_entry_rr_new(const struct dnssd_entry *e);
/* The record's type, and its TTL as last put, without building it. */
uint16_t dnssd_entry_type(const struct dnssd_entry *e);
uint32_t dnssd_entry_ttl(const struct dnssd_entry *e);
uint32_t dnssd_entry_origin(const struct dnssd_entry *e);
/* Whole seconds of TTL left at now_ms (0 once expired or for a goodbye). */
uint32_t dnssd_entry_ttl_left(const struct dnssd_entry *e, uint64_t now_ms);
uint64_t dnssd_entry_expires(const struct dnssd_entry *e);
/* When the entry was last put (refreshed). */
uint64_t dnssd_entry_updated(const struct dnssd_entry *e);
bool dnssd_entry_is_goodbye(const struct dnssd_entry *e);
uint64_t dnssd_entry_aux(const struct dnssd_entry *e, unsigned slot);
void dnssd_entry_set_aux(struct dnssd_entry *e, unsigned slot, uint64_t value);
#define DNSSD_ENTRY_AUX_SLOTS 2

#endif
