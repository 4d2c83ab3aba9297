/* wapublish.c: what one gateway holds in its domain (see wapublish.h). */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/name.h"
#include "dnssd/rrkey.h"
#include "dnssd/vec.h"
#include "dnssd/wapublish.h"
#include "dnssd/wazone.h"

/* Records of an UPDATE message of at most this size (DNS over TCP). */
#define WA_MSG_MAX 65535

/* ------------------------------------------------------------ lists */

/* Push a copy of rr; false on ENOMEM. */
static bool push_copy(ldns_rr_list *l, const ldns_rr *rr)
{
	ldns_rr *c = ldns_rr_clone(rr);
	if (c && ldns_rr_list_push_rr(l, c))
		return true;
	ldns_rr_free(c);
	return false;
}

/* Free l's array but not its records (they moved elsewhere). */
static void list_free_shallow(ldns_rr_list *l)
{
	if (!l)
		return;
	ldns_rr_list_set_rr_count(l, 0);
	ldns_rr_list_free(l);
}

static size_t count(const ldns_rr_list *l)
{
	return l ? ldns_rr_list_rr_count(l) : 0;
}

/* ------------------------------------------------------------ local */

/* A record this site has, keyed as DNS compares it. */
struct lrec {
	ldns_rr *rr;
	size_t len;
	uint8_t key[];
};

struct dnssd_wa_local {
	struct dnssd_table table;
	uint64_t seed; /* of the table's hashes (dnssd_hash_seed differs at each call) */
};

static bool lrec_eq(const void *item, const void *key)
{
	const struct lrec *a = item;
	const struct dnssd_rrkey *k = key;
	return a->len == k->len && memcmp(a->key, k->buf, k->len) == 0;
}

struct dnssd_wa_local *dnssd_wa_local_new(void)
{
	struct dnssd_wa_local *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	if (dnssd_table_init(&l->table) < 0) {
		free(l);
		return NULL;
	}
	l->seed = dnssd_hash_seed(&l->table);
	return l;
}

void dnssd_wa_local_clear(struct dnssd_wa_local *l)
{
	for (size_t i = 0; l->table.slots && i <= l->table.mask; i++) {
		struct lrec *r = l->table.slots[i].item;
		if (r) {
			ldns_rr_free(r->rr);
			free(r);
		}
	}
	dnssd_table_reset(&l->table);
}

void dnssd_wa_local_free(struct dnssd_wa_local *l)
{
	if (!l)
		return;
	dnssd_wa_local_clear(l);
	dnssd_table_fini(&l->table);
	free(l);
}

size_t dnssd_wa_local_count(const struct dnssd_wa_local *l)
{
	return l->table.count;
}

int dnssd_wa_local_put(struct dnssd_wa_local *l, const ldns_rr *rr)
{
	struct dnssd_rrkey k;
	dnssd_rrkey_init(&k);
	int rc = dnssd_rrkey_build(&k, rr);
	if (rc < 0)
		goto out;
	uint64_t h = dnssd_hash(k.buf, k.len, l->seed);
	struct lrec *r = dnssd_table_find(&l->table, h, lrec_eq, &k);
	if (ldns_rr_ttl(rr) == 0) {
		if (r) {
			dnssd_table_remove(&l->table, h, r);
			ldns_rr_free(r->rr);
			free(r);
		}
		goto out;
	}
	ldns_rr *c = ldns_rr_clone(rr);
	if (!c) {
		rc = -ENOMEM;
		goto out;
	}
	if (r) {
		ldns_rr_free(r->rr);
		r->rr = c;
		goto out;
	}
	if (!(r = malloc(sizeof(*r) + k.len))) {
		ldns_rr_free(c);
		rc = -ENOMEM;
		goto out;
	}
	r->rr = c;
	r->len = k.len;
	memcpy(r->key, k.buf, k.len);
	if ((rc = dnssd_table_insert(&l->table, h, r)) < 0) {
		ldns_rr_free(c);
		free(r);
	}
out:
	dnssd_rrkey_fini(&k);
	return rc;
}

ldns_rr_list *dnssd_wa_local_list(const struct dnssd_wa_local *l)
{
	ldns_rr_list *out = ldns_rr_list_new();
	for (size_t i = 0; out && l->table.slots && i <= l->table.mask; i++) {
		struct lrec *r = l->table.slots[i].item;
		if (r && !ldns_rr_list_push_rr(out, r->rr)) {
			ldns_rr_list_free(out);
			return NULL;
		}
	}
	return out;
}

/* ------------------------------------------------------------ have */

int dnssd_wa_have_apply(ldns_rr_list **have, const ldns_rr_list *add,
                        const ldns_rr_list *del)
{
	size_t nh = ldns_rr_list_rr_count(*have), nd = 0, na = count(add);
	ldns_rr **dv = dnssd_wa_sorted(del, &nd);
	ldns_rr_list *n = ldns_rr_list_new();
	int rc = 0;
	if (!dv || !n) {
		free(dv);
		ldns_rr_list_free(n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nh && rc == 0; i++) {
		ldns_rr *rr = ldns_rr_list_rr(*have, i);
		if (dnssd_wa_sorted_has(dv, nd, rr)) {
			ldns_rr_free(rr);
			continue;
		}
		if (!ldns_rr_list_push_rr(n, rr)) {
			ldns_rr_free(rr);
			rc = -ENOMEM;
		}
	}
	for (size_t i = 0; i < na && rc == 0; i++)
		if (!push_copy(n, ldns_rr_list_rr(add, i)))
			rc = -ENOMEM;
	/* have's records now belong to n (or were freed): only the old array goes */
	list_free_shallow(*have);
	*have = n;
	free(dv);
	return rc;
}

int dnssd_wa_owned_of(const ldns_rr_list *zone_rrs, const char *domain, const char *zone,
                      ldns_rr_list **out)
{
	ldns_rr_list *owned = ldns_rr_list_new();
	ldns_rdf *dom = ldns_dname_new_frm_str(domain),
	         *zn = ldns_dname_new_frm_str(zone);
	int rc = !owned ? -ENOMEM : (!dom || !zn) ? -EINVAL : 0;
	for (size_t i = 0; rc == 0 && i < count(zone_rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(zone_rrs, i);
		if (dnssd_wa_owned(rr, dom, zn) && !push_copy(owned, rr))
			rc = -ENOMEM;
	}
	ldns_rdf_deep_free(dom);
	ldns_rdf_deep_free(zn);
	if (rc < 0) {
		ldns_rr_list_deep_free(owned);
		return rc;
	}
	*out = owned;
	return 0;
}

bool dnssd_wa_same_records(const ldns_rr_list *a, const ldns_rr_list *b)
{
	size_t na = 0, nb = 0;
	if (count(a) != count(b))
		return false;
	ldns_rr **va = dnssd_wa_sorted(a, &na), **vb = dnssd_wa_sorted(b, &nb);
	bool same = va && vb;
	for (size_t i = 0; same && i < na; i++)
		same = dnssd_wa_rr_cmp(va[i], vb[i]) == 0;
	free(va);
	free(vb);
	return same;
}

int dnssd_wa_gone(const ldns_rr_list *old, const ldns_rr_list *now, ldns_rr_list **out)
{
	size_t nn = 0;
	ldns_rr **v = dnssd_wa_sorted(now, &nn);
	ldns_rr_list *gone = ldns_rr_list_new();
	bool ok = v && gone;
	for (size_t i = 0; ok && i < count(old); i++) {
		ldns_rr *rr = ldns_rr_list_rr(old, i);
		if (dnssd_wa_sorted_has(v, nn, rr))
			continue;
		ok = push_copy(gone, rr);
		if (ok)
			ldns_rr_set_ttl(
			    ldns_rr_list_rr(gone, ldns_rr_list_rr_count(gone) - 1), 0);
	}
	free(v);
	if (!ok) {
		ldns_rr_list_deep_free(gone);
		return -ENOMEM;
	}
	*out = gone;
	return 0;
}

bool dnssd_wa_has_upper(const ldns_rdf *name)
{
	const uint8_t *d = ldns_rdf_data(name);
	for (size_t i = 0; i < ldns_rdf_size(name); i++)
		if (dnssd_lower(d[i]) != d[i])
			return true;
	return false;
}

int dnssd_wa_case_folded(const ldns_rr_list *zone_rrs, const ldns_rr *sample)
{
	for (size_t i = 0; i < count(zone_rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(zone_rrs, i);
		if (dnssd_wa_rr_cmp(rr, sample) != 0)
			continue;
		const ldns_rdf *a = ldns_rr_owner(rr), *b = ldns_rr_owner(sample);
		return ldns_rdf_size(a) == ldns_rdf_size(b) &&
		       memcmp(ldns_rdf_data(a), ldns_rdf_data(b), ldns_rdf_size(a)) != 0;
	}
	return -ENOENT;
}

/* ------------------------------------------------------------ queue */

struct dnssd_wa_queue {
	struct dnssd_wa_batch *v;
	size_t n, cap;
};

size_t dnssd_wa_batch_size(const struct dnssd_wa_batch *b)
{
	return count(b->add) + count(b->del);
}

static void batch_fini(struct dnssd_wa_batch *b)
{
	ldns_rr_list_deep_free(b->add);
	ldns_rr_list_deep_free(b->del);
	b->add = b->del = NULL;
}

struct dnssd_wa_queue *dnssd_wa_queue_new(void)
{
	return calloc(1, sizeof(struct dnssd_wa_queue));
}

void dnssd_wa_queue_clear(struct dnssd_wa_queue *q)
{
	for (size_t i = 0; i < q->n; i++)
		batch_fini(&q->v[i]);
	q->n = 0;
}

void dnssd_wa_queue_free(struct dnssd_wa_queue *q)
{
	if (!q)
		return;
	dnssd_wa_queue_clear(q);
	free(q->v);
	free(q);
}

size_t dnssd_wa_queue_len(const struct dnssd_wa_queue *q)
{
	return q->n;
}

const struct dnssd_wa_batch *dnssd_wa_queue_head(const struct dnssd_wa_queue *q)
{
	return q->n ? &q->v[0] : NULL;
}

void dnssd_wa_queue_pop(struct dnssd_wa_queue *q)
{
	if (!q->n)
		return;
	batch_fini(&q->v[0]);
	memmove(&q->v[0], &q->v[1], (--q->n) * sizeof(*q->v));
}

/* The records of l from i on, at most n, as a new list of copies (NULL: ENOMEM). */
static ldns_rr_list *slice(const ldns_rr_list *l, size_t i, size_t n)
{
	ldns_rr_list *s = ldns_rr_list_new();
	size_t end = count(l);
	if (i + n < end)
		end = i + n;
	for (; s && i < end; i++) {
		if (!push_copy(s, ldns_rr_list_rr(l, i))) {
			ldns_rr_list_deep_free(s);
			return NULL;
		}
	}
	return s;
}

int dnssd_wa_queue_fill(struct dnssd_wa_queue *q, const ldns_rr_list *add,
                        const ldns_rr_list *del, size_t max)
{
	size_t nd = count(del), na = count(add);
	if (!max)
		return -EINVAL;
	for (size_t s0 = 0; s0 < nd + na; s0 += max) {
		size_t e = s0 + max < nd + na ? s0 + max : nd + na;
		struct dnssd_wa_batch b = {NULL, NULL};
		bool ok = true;
		if (s0 < nd)
			ok = (b.del = slice(del, s0, (e < nd ? e : nd) - s0)) != NULL;
		if (ok && e > nd) {
			size_t a0 = s0 > nd ? s0 - nd : 0;
			ok = (b.add = slice(add, a0, e - nd - a0)) != NULL;
		}
		if (!ok ||
		    dnssd_grow((void **)&q->v, &q->cap, q->n + 1, sizeof(*q->v)) < 0) {
			batch_fini(&b);
			dnssd_wa_queue_clear(q);
			return -ENOMEM;
		}
		q->v[q->n++] = b;
	}
	return 0;
}

int dnssd_wa_queue_split(struct dnssd_wa_queue *q)
{
	if (!q->n || dnssd_wa_batch_size(&q->v[0]) < 2)
		return -EINVAL;
	if (dnssd_grow((void **)&q->v, &q->cap, q->n + 1, sizeof(*q->v)) < 0)
		return -ENOMEM;
	struct dnssd_wa_batch b = q->v[0];
	size_t nd = count(b.del), na = count(b.add);
	size_t half = (nd + na) / 2;
	struct dnssd_wa_batch x, y;
	bool ok;
	if (half <= nd) {
		x = (struct dnssd_wa_batch){NULL, slice(b.del, 0, half)};
		y = (struct dnssd_wa_batch){slice(b.add, 0, na), slice(b.del, half, nd)};
		ok = x.del && y.add && y.del;
	} else {
		x = (struct dnssd_wa_batch){slice(b.add, 0, half - nd),
		                            slice(b.del, 0, nd)};
		y = (struct dnssd_wa_batch){slice(b.add, half - nd, na), NULL};
		ok = x.add && x.del && y.add;
	}
	if (!ok) {
		batch_fini(&x);
		batch_fini(&y);
		return -ENOMEM;
	}
	memmove(&q->v[2], &q->v[1], (q->n - 1) * sizeof(*q->v));
	q->v[0] = x;
	q->v[1] = y;
	q->n++;
	batch_fini(&b);
	return 0;
}

int dnssd_wa_queue_message(struct dnssd_wa_queue *q, const char *zone, uint16_t id,
                           const struct dnssd_wa_key *key, struct dnssd_wa_msg **out)
{
	for (;;) {
		if (!q->n)
			return -ENOENT;
		const struct dnssd_wa_batch *b = &q->v[0];
		int rc = dnssd_wa_update(zone, b->add, b->del, id, key, out);
		if (rc == -EMSGSIZE && dnssd_wa_batch_size(b) > 1) {
			if ((rc = dnssd_wa_queue_split(q)) < 0)
				return rc;
			continue;
		}
		return rc;
	}
}

/* ------------------------------------------------------------ rejected */

static bool same_rrset(const ldns_rr *a, const ldns_rr *b)
{
	return ldns_rr_get_type(a) == ldns_rr_get_type(b) &&
	       dnssd_name_eq(ldns_rr_owner(a), ldns_rr_owner(b));
}

/* Whether l has a record of rr's RRset. */
static bool has_rrset(const ldns_rr_list *l, const ldns_rr *rr)
{
	for (size_t i = 0; i < count(l); i++)
		if (same_rrset(ldns_rr_list_rr(l, i), rr))
			return true;
	return false;
}

int dnssd_wa_rejected_add(ldns_rr_list *rejected, const ldns_rr_list *add)
{
	/* One line per RRset, however many of its records do not fit. */
	int fresh =
	    count(add) == 1 && !has_rrset(rejected, ldns_rr_list_rr(add, 0)) ? 1 : 0;
	for (size_t i = 0; i < count(add); i++)
		if (!push_copy(rejected, ldns_rr_list_rr(add, i)))
			return -ENOMEM;
	return fresh;
}

size_t dnssd_wa_rejected_forgive(ldns_rr_list *rejected, const ldns_rr_list *del)
{
	size_t n = ldns_rr_list_rr_count(rejected), k = 0, freed = 0;
	for (size_t i = 0; i < n; i++) {
		ldns_rr *rr = ldns_rr_list_rr(rejected, i);
		if (has_rrset(del, rr)) {
			ldns_rr_free(rr);
			freed++;
		} else {
			ldns_rr_list_set_rr(rejected, rr, k++);
		}
	}
	ldns_rr_list_set_rr_count(rejected, k);
	return freed;
}

int dnssd_wa_rejected_filter(const ldns_rr_list *rejected, ldns_rr_list **add)
{
	size_t nrej = 0;
	if (!ldns_rr_list_rr_count(rejected))
		return 0;
	ldns_rr **rej = dnssd_wa_sorted(rejected, &nrej);
	ldns_rr_list *keep = ldns_rr_list_new();
	if (!rej || !keep) {
		free(rej);
		ldns_rr_list_free(keep);
		return -ENOMEM;
	}
	for (size_t i = 0; i < count(*add); i++) {
		ldns_rr *rr = ldns_rr_list_rr(*add, i);
		if (dnssd_wa_sorted_has(rej, nrej, rr) || !ldns_rr_list_push_rr(keep, rr))
			ldns_rr_free(rr);
	}
	list_free_shallow(*add);
	*add = keep;
	free(rej);
	return 0;
}
