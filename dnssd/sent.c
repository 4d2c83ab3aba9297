/*
 * sent.c: per-peer record of what was sent, for de-duplication.
 *
 * Entries sit in a hash table on the record key and in a list ordered by the
 * time they were last sent (a send moves the entry to the tail; the clock is
 * monotonic), so the oldest-sent entry, forgotten when the bound is reached,
 * is the head.
 */
#include "dnssd/sent.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/msg.h"
#include "dnssd/rrkey.h"

struct sent_entry {
	struct sent_entry *prev, *next;
	uint64_t hash;
	uint64_t sent;
	uint32_t ttl;
	bool flush;
	size_t len;
	uint8_t key[];
};

struct dnssd_sent {
	struct dnssd_table tab;
	struct sent_entry *head, *tail; /* oldest sent first */
	size_t count;
	size_t max;
	uint64_t seed;
	struct dnssd_rrkey key;
};

struct dnssd_sent *dnssd_sent_new(size_t max_entries)
{
	struct dnssd_sent *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (dnssd_table_init(&s->tab) < 0) {
		free(s);
		return NULL;
	}
	s->max = max_entries;
	s->seed = dnssd_hash_seed(s);
	dnssd_rrkey_init(&s->key);
	return s;
}

static void free_all(struct dnssd_sent *s)
{
	struct sent_entry *e = s->head;
	while (e) {
		struct sent_entry *next = e->next;
		free(e);
		e = next;
	}
	s->head = s->tail = NULL;
	s->count = 0;
}

void dnssd_sent_free(struct dnssd_sent *s)
{
	if (!s)
		return;
	free_all(s);
	dnssd_table_fini(&s->tab);
	dnssd_rrkey_fini(&s->key);
	free(s);
}

static void list_unlink(struct dnssd_sent *s, struct sent_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		s->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		s->tail = e->prev;
	e->prev = e->next = NULL;
}

static void list_append(struct dnssd_sent *s, struct sent_entry *e)
{
	e->prev = s->tail;
	e->next = NULL;
	if (s->tail)
		s->tail->next = e;
	else
		s->head = e;
	s->tail = e;
}

static void drop(struct dnssd_sent *s, struct sent_entry *e)
{
	list_unlink(s, e);
	dnssd_table_remove(&s->tab, e->hash, e);
	s->count--;
	free(e);
}

static bool entry_is(const void *item, const void *key)
{
	const struct sent_entry *e = item;
	const struct dnssd_rrkey *k = key;
	return e->len == k->len && memcmp(e->key, k->buf, k->len) == 0;
}

/* The entry for the key in s->key, or NULL; *hash gets the key's hash. */
static struct sent_entry *lookup(const struct dnssd_sent *s, uint64_t *hash)
{
	*hash = dnssd_hash(s->key.buf, s->key.len, s->seed);
	return dnssd_table_find(&s->tab, *hash, entry_is, &s->key);
}

static void mark_sent(struct dnssd_sent *s, struct sent_entry *e, uint32_t ttl,
                      bool flush, uint64_t now)
{
	e->ttl = ttl;
	e->flush = flush;
	e->sent = now;
	if (s->tail != e) {
		list_unlink(s, e);
		list_append(s, e);
	}
}

bool dnssd_sent_check(struct dnssd_sent *s, const ldns_rr *rr, uint64_t now_ms)
{
	if (!s || dnssd_rrkey_build(&s->key, rr) < 0)
		return false;
	uint64_t hash;
	struct sent_entry *e = lookup(s, &hash);
	uint32_t ttl = ldns_rr_ttl(rr);
	bool flush = dnssd_rr_cache_flush(rr);

	if (ttl == 0) {
		if (!e)
			return false;
		drop(s, e);
		return true;
	}
	if (e) {
		uint64_t half = (uint64_t)e->ttl * 500;
		bool stale = now_ms > e->sent && now_ms - e->sent > half;
		if (ttl == e->ttl && flush == e->flush && !stale)
			return false;
		mark_sent(s, e, ttl, flush, now_ms);
		return true;
	}

	e = malloc(sizeof(*e) + s->key.len);
	if (!e)
		return false;
	if (s->max && s->count >= s->max)
		drop(s, s->head);
	if (dnssd_table_insert(&s->tab, hash, e) < 0) {
		free(e);
		return false;
	}
	e->hash = hash;
	e->len = s->key.len;
	memcpy(e->key, s->key.buf, s->key.len);
	e->ttl = ttl;
	e->flush = flush;
	e->sent = now_ms;
	list_append(s, e);
	s->count++;
	return true;
}

void dnssd_sent_forget(struct dnssd_sent *s, const ldns_rr *rr)
{
	if (!s || dnssd_rrkey_build(&s->key, rr) < 0)
		return;
	uint64_t hash;
	struct sent_entry *e = lookup(s, &hash);
	if (e)
		drop(s, e);
}

void dnssd_sent_clear(struct dnssd_sent *s)
{
	if (!s)
		return;
	free_all(s);
	dnssd_table_reset(&s->tab);
}

void dnssd_sent_expire(struct dnssd_sent *s, uint64_t now_ms)
{
	if (!s)
		return;
	/* Sorted by time sent, not by time sent plus TTL: every entry is looked at. */
	struct sent_entry *e = s->head;
	while (e) {
		struct sent_entry *next = e->next;
		if (now_ms >= e->sent && now_ms - e->sent >= (uint64_t)e->ttl * 1000)
			drop(s, e);
		e = next;
	}
}

size_t dnssd_sent_count(const struct dnssd_sent *s)
{
	return s ? s->count : 0;
}
