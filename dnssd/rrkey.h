/*
 * rrkey.h: the identity of a record, and the hash table keyed by it, shared
 * by the record cache and the per-peer sent state.
 *
 * A record's key is its owner name in lowercase wire form, then its type, its
 * class without the cache-flush bit, and its rdata in wire form with the names
 * inside it lowercased. Two records with equal keys are the same record to
 * mDNS whatever their TTL, cache-flush bit or the case of their names
 * (RFC 6762 §16: names compare case-insensitively, ASCII only).
 *
 * The hash table grows to keep probe sequences short and never shrinks.
 *
 * Ownership: a dnssd_rrkey owns its buffer (dnssd_rrkey_fini() frees it); a
 * table owns only its slot array, never the items.
 */
#ifndef SITECAST_DNSSD_RRKEY_H
#define SITECAST_DNSSD_RRKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

/* Names and typical records fit inline, so building a key rarely allocates. */
#define DNSSD_RRKEY_INLINE 512

struct dnssd_rrkey {
	uint8_t *buf;    /* the key: owner name, then type, class, rdata */
	size_t len;      /* bytes in buf */
	size_t name_len; /* bytes of the owner name at the start of buf */
	size_t cap;
	/*
	 * A hash of where the names had capitals, so that a record equal by key
	 * but spelt differently from a copy held is noticed without comparing.
	 */
	uint64_t spelling;
	uint8_t inline_buf[DNSSD_RRKEY_INLINE];
};

void dnssd_rrkey_init(struct dnssd_rrkey *k);
void dnssd_rrkey_fini(struct dnssd_rrkey *k);
/* Build the key of rr into k. 0, -EINVAL (no owner name, missing rdf) or -ENOMEM. */
int dnssd_rrkey_build(struct dnssd_rrkey *k, const ldns_rr *rr);
/* Only the lowercase owner part, from a name. 0 or -EINVAL if name is not a dname. */
int dnssd_rrkey_name(struct dnssd_rrkey *k, const ldns_rdf *name);

/* A fast 64-bit hash for table lookups (not a cryptographic one). */
uint64_t dnssd_hash(const void *data, size_t len, uint64_t seed);
/* A per-table seed, so that slot layout differs between tables and runs. */
uint64_t dnssd_hash_seed(const void *table);

/*
 * Open addressing with linear probing: a slot holds the item's hash next to
 * its pointer, so a probe compares hashes without touching the items and a
 * lookup usually costs one cache line of slots plus the item found. Deletion
 * shifts the following slots back (no tombstones). Items are the caller's;
 * an item pointer is never NULL (NULL marks an empty slot).
 */
struct dnssd_slot {
	uint64_t hash;
	void *item;
};

struct dnssd_table {
	struct dnssd_slot *slots;
	size_t mask;
	size_t count;
};

/* 0 or -ENOMEM. */
int dnssd_table_init(struct dnssd_table *t);
void dnssd_table_fini(struct dnssd_table *t);
/* Forget every item at once (the caller frees them). */
void dnssd_table_reset(struct dnssd_table *t);
/* Add an item not in the table yet. 0, or -ENOMEM when the table is full and cannot grow.
 */
int dnssd_table_insert(struct dnssd_table *t, uint64_t hash, void *item);
/* Remove an item that is in the table under hash. */
void dnssd_table_remove(struct dnssd_table *t, uint64_t hash, const void *item);

/* The item under hash for which eq(item, key) holds, or NULL. */
static inline void *dnssd_table_find(const struct dnssd_table *t, uint64_t hash,
                                     bool (*eq)(const void *item, const void *key),
                                     const void *key)
{
	for (size_t i = hash & t->mask;; i = (i + 1) & t->mask) {
		const struct dnssd_slot *s = &t->slots[i];
		if (!s->item)
			return NULL;
		if (s->hash == hash && eq(s->item, key))
			return s->item;
	}
}

#endif
