/*
 * cache.c: the mDNS record cache.
 *
 * Entries live in a hash table on their whole key, which the entry holds, so
 * a refresh touches one table slot and the entry. The key is also the stored
 * record: with the TTL, the cache-flush bit and a bitmap of where the names
 * had capitals, it gives back the record as it was put, so no ldns record is
 * kept. An ldns record is a dozen or more small allocations (one per field
 * and per TXT string); the compact form is one, about a third of the size,
 * and the record is rebuilt only when a caller asks for it
 * (dnssd_entry_rr_new), which answering and announcing do anyway.
 *
 * Under a second table of owner names, entries are grouped into cache-flush
 * sets (same name, type, class and origin): lookups by name skip whole sets
 * of the wrong type, and cache-flush walks one set only. An entry knows
 * whether it is alone in its set, so the usual refresh of a unique record (an
 * SRV, a TXT, a host's one address) walks nothing.
 *
 * Expiry order is a binary min-heap of (time, entry) slots kept lazily: a
 * slot's time may be earlier than its entry's expiry, never later. Refreshing
 * a record (expiry moves later) then costs no heap work; the stale slot is
 * corrected when it reaches the top. Expiry moving earlier (goodbye,
 * cache-flush) sifts the slot up.
 */
#include "dnssd/cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/msg.h"
#include "dnssd/rrkey.h"
#include "dnssd/vec.h"

#define GOODBYE_GRACE_MS 1000 /* RFC 6762 §10.1 */
#define FLUSH_GRACE_MS 1000   /* RFC 6762 §10.2 */

struct rrset;

struct name_node {
	struct rrset *sets;
	uint64_t hash; /* in cache->names */
	size_t len;
	uint8_t name[]; /* lowercase wire form */
};

struct rrset {
	struct rrset *next; /* in node->sets */
	struct name_node *node;
	struct dnssd_entry *members;
	size_t count;
	uint32_t origin;
	uint16_t type;
	uint16_t klass;
};

struct dnssd_entry {
	struct rrset *set;
	struct dnssd_entry *snext, **spprev; /* members of the same set */
	uint64_t aux[DNSSD_ENTRY_AUX_SLOTS];
	/*
	 * What a refresh reads and writes comes last, right before the key it
	 * compares, so that a refresh touches as few cache lines as it can.
	 */
	uint64_t expires;
	uint64_t updated;
	uint64_t spelling; /* rrkey.h: where the capitals were, hashed */
	uint32_t heap_idx;
	uint32_t origin;
	uint32_t ttl; /* as put */
	uint32_t key_len;
	uint16_t raw_class; /* as put, with the cache-flush bit */
	uint16_t type;
	uint8_t name_len; /* owner name at the start of key: 1 to 255 bytes */
	bool goodbye;
	bool alone; /* the only member of its set */
	/*
	 * The key (rrkey.h), then one bit per key byte, set where the record as
	 * put had a capital letter (key_len / 8 rounded up bytes).
	 */
	uint8_t key[];
};
struct heap_slot {
	uint64_t at; /* <= entry->expires */
	struct dnssd_entry *e;
};

struct dnssd_cache {
	struct dnssd_table records;
	struct dnssd_table names;
	struct heap_slot *heap; /* one slot per entry */
	size_t count;
	size_t heap_cap;
	size_t max;
	uint64_t seed;
	struct dnssd_rrkey key; /* scratch for the record being looked up */
};

/* ---------------------------------------------------------------- heap */

static void heap_set(struct dnssd_cache *c, size_t i, struct heap_slot s)
{
	c->heap[i] = s;
	s.e->heap_idx = (uint32_t)i;
}

static void heap_up(struct dnssd_cache *c, size_t i)
{
	struct heap_slot s = c->heap[i];
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (c->heap[p].at <= s.at)
			break;
		heap_set(c, i, c->heap[p]);
		i = p;
	}
	heap_set(c, i, s);
}

static void heap_down(struct dnssd_cache *c, size_t i)
{
	struct heap_slot s = c->heap[i];
	size_t n = c->count;
	for (;;) {
		size_t l = 2 * i + 1;
		if (l >= n)
			break;
		size_t m = l;
		if (l + 1 < n && c->heap[l + 1].at < c->heap[l].at)
			m = l + 1;
		if (s.at <= c->heap[m].at)
			break;
		heap_set(c, i, c->heap[m]);
		i = m;
	}
	heap_set(c, i, s);
}

static int heap_reserve(struct dnssd_cache *c)
{
	/* Entries keep their slot number in 32 bits. */
	if (c->count >= UINT32_MAX)
		return -ENOMEM;
	return dnssd_grow((void **)&c->heap, &c->heap_cap, c->count + 1, sizeof(*c->heap));
}

/* Space must have been reserved. */
static void heap_push(struct dnssd_cache *c, struct dnssd_entry *e)
{
	size_t i = c->count++;
	heap_set(c, i, (struct heap_slot){.at = e->expires, .e = e});
	heap_up(c, i);
}

static void heap_delete(struct dnssd_cache *c, size_t i)
{
	size_t last = --c->count;
	if (i == last)
		return;
	uint64_t old = c->heap[i].at;
	heap_set(c, i, c->heap[last]);
	if (c->heap[i].at < old)
		heap_up(c, i);
	else
		heap_down(c, i);
}

/* Correct stale slots at the top; returns the entry expiring soonest, or NULL. */
static struct dnssd_entry *heap_settle(struct dnssd_cache *c)
{
	while (c->count && c->heap[0].at < c->heap[0].e->expires) {
		c->heap[0].at = c->heap[0].e->expires;
		heap_down(c, 0);
	}
	return c->count ? c->heap[0].e : NULL;
}

static void set_expiry(struct dnssd_cache *c, struct dnssd_entry *e, uint64_t t)
{
	/* Later: the slot, at most the old expiry, is still at most the new one. */
	bool later = t >= e->expires;
	e->expires = t;
	if (!later && t < c->heap[e->heap_idx].at) {
		c->heap[e->heap_idx].at = t;
		heap_up(c, e->heap_idx);
	}
}

static uint64_t add_ms(uint64_t now, uint64_t ms)
{
	return ms > UINT64_MAX - now ? UINT64_MAX : now + ms;
}

/* ---------------------------------------------------------------- names and sets */

static bool node_is(const void *item, const void *key)
{
	const struct name_node *n = item;
	const struct dnssd_rrkey *k = key;
	return n->len == k->name_len && memcmp(n->name, k->buf, n->len) == 0;
}

static bool entry_is(const void *item, const void *key)
{
	const struct dnssd_entry *e = item;
	const struct dnssd_rrkey *k = key;
	return e->key_len == k->len && memcmp(e->key, k->buf, k->len) == 0;
}

static uint64_t name_hash(const struct dnssd_cache *c)
{
	return dnssd_hash(c->key.buf, c->key.name_len, c->seed ^ 0x6e616d65);
}

static uint64_t key_hash(const struct dnssd_cache *c)
{
	return dnssd_hash(c->key.buf, c->key.len, c->seed);
}

/* The same hash from the entry's own copy of its key (not kept: it is cheap). */
static uint64_t entry_hash(const struct dnssd_cache *c, const struct dnssd_entry *e)
{
	return dnssd_hash(e->key, e->key_len, c->seed);
}

static uint16_t entry_class(const struct dnssd_entry *e)
{
	return e->raw_class & DNSSD_CLASS_MASK;
}

/* The name node of the owner name in c->key, or NULL. */
static struct name_node *find_node(const struct dnssd_cache *c, uint64_t hash)
{
	return dnssd_table_find(&c->names, hash, node_is, &c->key);
}

static struct rrset *find_set(const struct name_node *node, uint16_t type, uint16_t klass,
                              uint32_t origin)
{
	for (struct rrset *s = node->sets; s; s = s->next)
		if (s->type == type && s->klass == klass && s->origin == origin)
			return s;
	return NULL;
}

static struct rrset *new_set(struct name_node *node, uint16_t type, uint16_t klass,
                             uint32_t origin)
{
	struct rrset *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->node = node;
	s->type = type;
	s->klass = klass;
	s->origin = origin;
	s->next = node->sets;
	node->sets = s;
	return s;
}

static void set_add(struct rrset *s, struct dnssd_entry *e)
{
	e->set = s;
	e->snext = s->members;
	if (e->snext)
		e->snext->spprev = &e->snext;
	e->spprev = &s->members;
	s->members = e;
	s->count++;
	e->alone = s->count == 1;
	if (s->count == 2)
		e->snext->alone = false;
}

/* Take e out of its set; frees the set when it empties and returns whether it did. */
static bool set_del(struct dnssd_entry *e)
{
	struct rrset *s = e->set;
	*e->spprev = e->snext;
	if (e->snext)
		e->snext->spprev = e->spprev;
	e->set = NULL;
	if (--s->count == 1)
		s->members->alone = true;
	if (s->count)
		return false;
	struct rrset **pp = &s->node->sets;
	while (*pp != s)
		pp = &(*pp)->next;
	*pp = s->next;
	free(s);
	return true;
}

static void entry_destroy(struct dnssd_cache *c, struct dnssd_entry *e)
{
	struct name_node *node = e->set->node;
	if (set_del(e) && !node->sets) {
		dnssd_table_remove(&c->names, node->hash, node);
		free(node);
	}
	heap_delete(c, e->heap_idx);
	dnssd_table_remove(&c->records, entry_hash(c, e), e);
	free(e);
}

/* A refresh from another origin moves the entry to that origin's set. */
static int change_origin(struct dnssd_entry *e, uint32_t origin)
{
	struct name_node *node = e->set->node;
	struct rrset *s = find_set(node, e->type, entry_class(e), origin);
	if (!s && !(s = new_set(node, e->type, entry_class(e), origin)))
		return -ENOMEM;
	set_del(e); /* the node keeps s, so it stays */
	e->origin = origin;
	set_add(s, e);
	return 0;
}

/* ---------------------------------------------------------------- public */

struct dnssd_cache *dnssd_cache_new(size_t max_entries)
{
	struct dnssd_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (dnssd_table_init(&c->records) < 0) {
		free(c);
		return NULL;
	}
	if (dnssd_table_init(&c->names) < 0) {
		dnssd_table_fini(&c->records);
		free(c);
		return NULL;
	}
	c->max = max_entries;
	c->seed = dnssd_hash_seed(c);
	dnssd_rrkey_init(&c->key);
	return c;
}

void dnssd_cache_free(struct dnssd_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i <= c->records.mask; i++)
		free(c->records.slots[i].item);
	for (size_t i = 0; i <= c->names.mask; i++) {
		struct name_node *node = c->names.slots[i].item;
		if (!node)
			continue;
		struct rrset *s = node->sets;
		while (s) {
			struct rrset *next = s->next;
			free(s);
			s = next;
		}
		free(node);
	}
	dnssd_table_fini(&c->records);
	dnssd_table_fini(&c->names);
	dnssd_rrkey_fini(&c->key);
	free(c->heap);
	free(c);
}

/*
 * RFC 6762 §10.2: the rest of the set, which the sender did not just
 * refresh, goes away in one second. Members put within the last second are
 * spared: they came in the same burst.
 */
static void cache_flush(struct dnssd_cache *c, const struct rrset *s,
                        const struct dnssd_entry *self, uint64_t now)
{
	uint64_t t = add_ms(now, FLUSH_GRACE_MS);
	for (struct dnssd_entry *e = s->members; e; e = e->snext) {
		if (e == self || now <= e->updated || now - e->updated <= FLUSH_GRACE_MS)
			continue;
		if (e->expires > t)
			set_expiry(c, e, t);
	}
}

/* Set the bits of key bytes that orig, the same bytes as put, has in capitals. */
static void mark_case(uint8_t *bits, const uint8_t *key, size_t off, const uint8_t *orig,
                      size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (orig[i] != key[off + i])
			bits[(off + i) / 8] |= (uint8_t)(1u << ((off + i) % 8));
}

/*
 * Where rr, whose key e holds, has capitals: only names are lowered in a key
 * (rrkey.c), so only the owner and the name fields of the rdata are compared.
 */
static void store_case(struct dnssd_entry *e, const ldns_rr *rr)
{
	uint8_t *bits = e->key + e->key_len;
	memset(bits, 0, (e->key_len + 7) / 8);
	const ldns_rdf *owner = ldns_rr_owner(rr);
	mark_case(bits, e->key, 0, ldns_rdf_data(owner), e->name_len);
	size_t off = (size_t)e->name_len + 4;
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		size_t n = ldns_rdf_size(f);
		if (ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME)
			mark_case(bits, e->key, off, ldns_rdf_data(f), n);
		off += n;
	}
}

/*
 * Keep the record as last put. Its key is equal, so only the TTL, the
 * cache-flush bit and the case of its names can differ.
 */
static void store_rr(struct dnssd_entry *e, const ldns_rr *rr, uint64_t spelling)
{
	e->ttl = ldns_rr_ttl(rr);
	e->raw_class = (uint16_t)ldns_rr_get_class(rr);
	if (spelling != e->spelling) {
		store_case(e, rr);
		e->spelling = spelling;
	}
}

static int insert_new(struct dnssd_cache *c, const ldns_rr *rr, uint32_t origin,
                      uint64_t now, uint64_t expires, uint64_t hash,
                      struct dnssd_entry **out)
{
	const struct dnssd_rrkey *k = &c->key;
	uint16_t type = (uint16_t)ldns_rr_get_type(rr);
	uint16_t klass = dnssd_rr_class(rr);
	uint64_t nh = name_hash(c);
	struct name_node *node = find_node(c, nh);
	struct name_node *fresh_node = NULL;
	struct rrset *set = node ? find_set(node, type, klass, origin) : NULL;
	bool made_set = false;
	struct dnssd_entry *e = NULL;

	if (heap_reserve(c) < 0)
		return -ENOMEM;
	if (!node) {
		fresh_node = malloc(sizeof(*fresh_node) + k->name_len);
		if (!fresh_node)
			return -ENOMEM;
		fresh_node->hash = nh;
		fresh_node->sets = NULL;
		fresh_node->len = k->name_len;
		memcpy(fresh_node->name, k->buf, k->name_len);
		node = fresh_node;
	}
	if (!set) {
		set = new_set(node, type, klass, origin);
		if (!set)
			goto nomem;
		made_set = true;
	}
	e = malloc(sizeof(*e) + k->len + (k->len + 7) / 8);
	if (!e)
		goto nomem;
	if (dnssd_table_insert(&c->records, hash, e) < 0)
		goto nomem;
	if (fresh_node && dnssd_table_insert(&c->names, nh, fresh_node) < 0) {
		dnssd_table_remove(&c->records, hash, e);
		goto nomem;
	}

	memset(e, 0, sizeof(*e));
	e->spelling = k->spelling;
	e->expires = expires;
	e->updated = now;
	e->origin = origin;
	e->ttl = ldns_rr_ttl(rr);
	e->raw_class = (uint16_t)ldns_rr_get_class(rr);
	e->type = type;
	e->name_len = (uint8_t)k->name_len;
	e->key_len = (uint32_t)k->len;
	memcpy(e->key, k->buf, k->len);
	store_case(e, rr);
	set_add(set, e);
	heap_push(c, e);
	*out = e;
	return DNSSD_PUT_NEW;

nomem:
	free(e);
	if (made_set) {
		/* Just created, still empty, at the head of the node's list. */
		struct rrset *s = node->sets;
		node->sets = s->next;
		free(s);
	}
	free(fresh_node);
	return -ENOMEM;
}

int dnssd_cache_put(struct dnssd_cache *c, const ldns_rr *rr, uint32_t origin,
                    uint64_t now_ms, struct dnssd_entry **entry, dnssd_entry_cb evicted,
                    void *arg)
{
	struct dnssd_entry *dummy;
	if (!entry)
		entry = &dummy;
	*entry = NULL;
	if (!c || !rr)
		return -EINVAL;
	int r = dnssd_rrkey_build(&c->key, rr);
	if (r < 0)
		return r;
	/* The stored form has room for a 16-bit rdata length, as on the wire. */
	if (c->key.len - c->key.name_len - 4 > UINT16_MAX)
		return -EINVAL;

	uint64_t hash = key_hash(c);
	struct dnssd_entry *e = dnssd_table_find(&c->records, hash, entry_is, &c->key);
	uint32_t ttl = ldns_rr_ttl(rr);
	bool flush = dnssd_rr_cache_flush(rr);
	bool live = e && e->expires > now_ms;

	if (ttl == 0) {
		if (!live)
			return DNSSD_PUT_IGNORED;
		store_rr(e, rr, c->key.spelling);
		e->goodbye = true;
		e->updated = now_ms;
		set_expiry(c, e, add_ms(now_ms, GOODBYE_GRACE_MS));
		*entry = e;
		return DNSSD_PUT_GOODBYE;
	}

	uint64_t expires = add_ms(now_ms, (uint64_t)ttl * 1000);
	if (e && e->origin != origin && change_origin(e, origin) < 0)
		return -ENOMEM;
	if (flush) {
		if (e) {
			if (!e->alone)
				cache_flush(c, e->set, e, now_ms);
		} else {
			struct name_node *node = find_node(c, name_hash(c));
			const struct rrset *s =
			    node ? find_set(node, (uint16_t)ldns_rr_get_type(rr),
			                    dnssd_rr_class(rr), origin)
			         : NULL;
			if (s)
				cache_flush(c, s, NULL, now_ms);
		}
	}

	if (e) {
		if (!live) {
			r = DNSSD_PUT_NEW;
			memset(e->aux, 0, sizeof(e->aux));
		} else if (e->goodbye || ttl != e->ttl ||
		           flush != ((e->raw_class & DNSSD_CLASS_TOPBIT) != 0)) {
			r = DNSSD_PUT_CHANGED;
		} else {
			r = DNSSD_PUT_REFRESHED;
		}
		store_rr(e, rr, c->key.spelling);
		e->goodbye = false;
		e->updated = now_ms;
		set_expiry(c, e, expires);
		*entry = e;
		return r;
	}

	struct dnssd_entry *victim = NULL;
	if (c->max && c->count >= c->max) {
		victim = heap_settle(c);
		if (victim->expires > expires)
			return -ENOSPC;
	}
	/*
	 * Evict after inserting: nothing is lost if the insert fails, and the
	 * callback may look things up (which reuses c->key) without harm.
	 */
	r = insert_new(c, rr, origin, now_ms, expires, hash, entry);
	if (r > 0 && victim) {
		if (evicted)
			evicted(arg, victim);
		entry_destroy(c, victim);
	}
	return r;
}

size_t dnssd_cache_find(struct dnssd_cache *c, const ldns_rdf *name, uint16_t type,
                        uint16_t klass, uint64_t now_ms, struct dnssd_entry **out,
                        size_t max)
{
	if (!c || dnssd_rrkey_name(&c->key, name) < 0)
		return 0;
	struct name_node *node = find_node(c, name_hash(c));
	if (!node)
		return 0;
	klass &= DNSSD_CLASS_MASK;
	bool any_class = klass == 0 || klass == LDNS_RR_CLASS_ANY;
	size_t n = 0;
	for (const struct rrset *s = node->sets; s; s = s->next) {
		if (type != LDNS_RR_TYPE_ANY && s->type != type)
			continue;
		if (!any_class && s->klass != klass)
			continue;
		for (struct dnssd_entry *e = s->members; e; e = e->snext) {
			if (e->expires <= now_ms)
				continue;
			if (n < max)
				out[n] = e;
			n++;
		}
	}
	return n;
}

size_t dnssd_cache_find_all(struct dnssd_cache *c, const ldns_rdf *name, uint16_t type,
                            uint16_t klass, uint64_t now_ms, struct dnssd_entry **buf,
                            size_t max, struct dnssd_entry ***out)
{
	size_t n = dnssd_cache_find(c, name, type, klass, now_ms, buf, max);
	*out = buf;
	if (n <= max)
		return n;
	/* The cache does not change between the two walks: n stays what it is. */
	struct dnssd_entry **v = calloc(n, sizeof(*v));
	if (!v)
		return max;
	*out = v;
	return dnssd_cache_find(c, name, type, klass, now_ms, v, n);
}

void dnssd_cache_found_free(struct dnssd_entry **found, struct dnssd_entry **buf)
{
	if (found != buf)
		free(found);
}

struct dnssd_entry *dnssd_cache_get(struct dnssd_cache *c, const ldns_rr *rr)
{
	if (!c || dnssd_rrkey_build(&c->key, rr) < 0)
		return NULL;
	return dnssd_table_find(&c->records, key_hash(c), entry_is, &c->key);
}

uint64_t dnssd_cache_expire(struct dnssd_cache *c, uint64_t now_ms, dnssd_entry_cb cb,
                            void *arg)
{
	if (!c)
		return UINT64_MAX;
	while (c->count && c->heap[0].at <= now_ms) {
		struct dnssd_entry *e = c->heap[0].e;
		if (c->heap[0].at < e->expires) {
			c->heap[0].at = e->expires;
			heap_down(c, 0);
			continue;
		}
		if (cb)
			cb(arg, e);
		entry_destroy(c, e);
	}
	struct dnssd_entry *next = heap_settle(c);
	return next ? next->expires : UINT64_MAX;
}

void dnssd_cache_remove(struct dnssd_cache *c, struct dnssd_entry *e)
{
	if (c && e)
		entry_destroy(c, e);
}

void dnssd_cache_remove_origin(struct dnssd_cache *c, uint32_t origin, dnssd_entry_cb cb,
                               void *arg)
{
	if (!c)
		return;
	/*
	 * Removing from the table shifts later slots of the run back into the one
	 * emptied (rrkey.h), so the slot is looked at again before moving on. An
	 * entry may come round twice (shifted from the array's start to its end),
	 * never be skipped.
	 */
	for (size_t i = 0; i <= c->records.mask;) {
		struct dnssd_entry *e = c->records.slots[i].item;
		if (e && e->origin == origin) {
			if (cb)
				cb(arg, e);
			entry_destroy(c, e);
			continue;
		}
		i++;
	}
}

void dnssd_cache_foreach(struct dnssd_cache *c, dnssd_entry_cb cb, void *arg)
{
	if (!c || !cb)
		return;
	for (size_t i = 0; i <= c->records.mask; i++)
		if (c->records.slots[i].item)
			cb(arg, c->records.slots[i].item);
}

size_t dnssd_cache_count(const struct dnssd_cache *c)
{
	return c ? c->count : 0;
}

/* n key bytes from off, with the capitals of the record as put. */
static void copy_case(uint8_t *dst, const struct dnssd_entry *e, size_t off, size_t n)
{
	const uint8_t *bits = e->key + e->key_len;
	for (size_t i = 0; i < n; i++) {
		size_t j = off + i;
		uint8_t b = e->key[j];
		dst[i] = (bits[j / 8] >> (j % 8)) & 1 ? (uint8_t)(b - ('a' - 'A')) : b;
	}
}

ldns_rr *dnssd_entry_rr_new(const struct dnssd_entry *e)
{
	/* As on the wire, uncompressed: owner, type, class, TTL, rdlength, rdata. */
	size_t rd = e->key_len - e->name_len - 4;
	size_t len = (size_t)e->key_len + 6;
	uint8_t stack[512];
	uint8_t *w = len <= sizeof(stack) ? stack : malloc(len);
	if (!w)
		return NULL;
	size_t pos = e->name_len;
	copy_case(w, e, 0, pos);
	w[pos++] = (uint8_t)(e->type >> 8);
	w[pos++] = (uint8_t)e->type;
	w[pos++] = (uint8_t)(e->raw_class >> 8);
	w[pos++] = (uint8_t)e->raw_class;
	w[pos++] = (uint8_t)(e->ttl >> 24);
	w[pos++] = (uint8_t)(e->ttl >> 16);
	w[pos++] = (uint8_t)(e->ttl >> 8);
	w[pos++] = (uint8_t)e->ttl;
	w[pos++] = (uint8_t)(rd >> 8);
	w[pos++] = (uint8_t)rd;
	copy_case(w + pos, e, (size_t)e->name_len + 4, rd);
	ldns_rr *rr = NULL;
	size_t at = 0;
	if (ldns_wire2rr(&rr, w, len, &at, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
		rr = NULL;
	if (w != stack)
		free(w);
	return rr;
}

uint16_t dnssd_entry_type(const struct dnssd_entry *e)
{
	return e->type;
}

uint32_t dnssd_entry_ttl(const struct dnssd_entry *e)
{
	return e->ttl;
}

uint32_t dnssd_entry_origin(const struct dnssd_entry *e)
{
	return e->origin;
}

uint32_t dnssd_entry_ttl_left(const struct dnssd_entry *e, uint64_t now_ms)
{
	if (e->goodbye || e->expires <= now_ms)
		return 0;
	uint64_t s = (e->expires - now_ms) / 1000;
	return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

uint64_t dnssd_entry_expires(const struct dnssd_entry *e)
{
	return e->expires;
}

uint64_t dnssd_entry_updated(const struct dnssd_entry *e)
{
	return e->updated;
}

bool dnssd_entry_is_goodbye(const struct dnssd_entry *e)
{
	return e->goodbye;
}

uint64_t dnssd_entry_aux(const struct dnssd_entry *e, unsigned slot)
{
	return slot < DNSSD_ENTRY_AUX_SLOTS ? e->aux[slot] : 0;
}

void dnssd_entry_set_aux(struct dnssd_entry *e, unsigned slot, uint64_t value)
{
	if (slot < DNSSD_ENTRY_AUX_SLOTS)
		e->aux[slot] = value;
}
