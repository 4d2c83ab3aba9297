/*
 * proxy_rr.c: the proxy engine's helpers for records and names, its small
 * vectors of records, and its tables of names (proxy_int.h).
 */
#include <config.h>

#include "engine/proxy_int.h"

/* ------------------------------------------------------------ small vectors */

int proxy_rv_push(struct rrvec *rv, const ldns_rr *rr)
{
	if (dnssd_grow((void **)&rv->v, &rv->cap, rv->n + 1, sizeof(*rv->v)) < 0)
		return -ENOMEM;
	rv->v[rv->n++] = rr;
	return 0;
}

/* Push a clone the vector owns; rr is freed on failure. */
int proxy_rv_push_own(struct rrvec *rv, ldns_rr *rr)
{
	if (!rr)
		return -ENOMEM;
	if (dnssd_grow((void **)&rv->own, &rv->owncap, rv->nown + 1, sizeof(*rv->own)) <
	    0) {
		ldns_rr_free(rr);
		return -ENOMEM;
	}
	rv->own[rv->nown++] = rr;
	return proxy_rv_push(rv, rr);
}

/* Hand the clones src owns over to dst (src's list of records is left as it is). */
int proxy_rv_give(struct rrvec *dst, struct rrvec *src)
{
	if (!src->nown)
		return 0;
	if (dnssd_grow((void **)&dst->own, &dst->owncap, dst->nown + src->nown,
	               sizeof(*dst->own)) < 0)
		return -ENOMEM;
	memcpy(dst->own + dst->nown, src->own, src->nown * sizeof(*src->own));
	dst->nown += src->nown;
	src->nown = 0;
	return 0;
}

void proxy_rv_free(struct rrvec *rv)
{
	for (size_t i = 0; i < rv->nown; i++)
		ldns_rr_free(rv->own[i]);
	free(rv->own);
	free(rv->v);
	memset(rv, 0, sizeof(*rv));
}

/* ------------------------------------------------------------ records and names */

bool proxy_is_dname(const ldns_rdf *d)
{
	return d && ldns_rdf_get_type(d) == LDNS_RDF_TYPE_DNAME && ldns_rdf_size(d) > 0;
}

uint16_t proxy_rr_type(const ldns_rr *rr)
{
	return (uint16_t)ldns_rr_get_type(rr);
}

/* The same record to mDNS: owner, type, class without the top bit and rdata. */
bool proxy_rr_same(const ldns_rr *a, const ldns_rr *b)
{
	if (proxy_rr_type(a) != proxy_rr_type(b) ||
	    dnssd_rr_class(a) != dnssd_rr_class(b) ||
	    !dnssd_name_eq(ldns_rr_owner(a), ldns_rr_owner(b)) ||
	    ldns_rr_rd_count(a) != ldns_rr_rd_count(b))
		return false;
	for (size_t i = 0; i < ldns_rr_rd_count(a); i++) {
		const ldns_rdf *x = ldns_rr_rdf(a, i), *y = ldns_rr_rdf(b, i);
		if (proxy_is_dname(x) && proxy_is_dname(y)) {
			if (!dnssd_name_eq(x, y))
				return false;
		} else if (!x || !y || ldns_rdf_compare(x, y) != 0) {
			return false;
		}
	}
	return true;
}

/*
 * The instance a record belongs to: the owner of a record at an instance name
 * (SRV, TXT, NULL or any other type but NSEC), or the target of a type PTR.
 */
const ldns_rdf *proxy_instance_of(const ldns_rr *rr)
{
	const ldns_rdf *owner = ldns_rr_owner(rr), *t;
	enum dnssd_name_kind k;

	switch (proxy_rr_type(rr)) {
	case LDNS_RR_TYPE_SRV:
	case LDNS_RR_TYPE_TXT:
		return dnssd_name_kind(owner) == DNSSD_NAME_INSTANCE ? owner : NULL;
	case LDNS_RR_TYPE_PTR:
		k = dnssd_name_kind(owner);
		if (k != DNSSD_NAME_SERVICE_TYPE && k != DNSSD_NAME_SUBTYPE)
			return NULL;
		t = dnssd_rdf_name(rr, 0);
		return t && dnssd_name_kind(t) == DNSSD_NAME_INSTANCE ? t : NULL;
	case LDNS_RR_TYPE_NSEC:
		return NULL;
	default:
		return dnssd_name_kind(owner) == DNSSD_NAME_INSTANCE ? owner : NULL;
	}
}

/* The name that says whose a record is (NULL for enumeration PTRs, nobody's). */
const ldns_rdf *proxy_subject_name(const ldns_rr *rr)
{
	if (proxy_rr_type(rr) == LDNS_RR_TYPE_PTR) {
		enum dnssd_name_kind k = dnssd_name_kind(ldns_rr_owner(rr));
		if (k == DNSSD_NAME_ENUM)
			return NULL;
		if (k == DNSSD_NAME_SERVICE_TYPE || k == DNSSD_NAME_SUBTYPE)
			return dnssd_rdf_name(rr, 0);
	}
	return ldns_rr_owner(rr);
}

bool proxy_rr_addr(const ldns_rr *rr, int *af, const uint8_t **addr)
{
	uint16_t t = proxy_rr_type(rr);
	if ((t != LDNS_RR_TYPE_A && t != LDNS_RR_TYPE_AAAA) || ldns_rr_rd_count(rr) != 1)
		return false;
	const ldns_rdf *d = ldns_rr_rdf(rr, 0);
	size_t want = t == LDNS_RR_TYPE_A ? 4 : 16;
	if (!d || ldns_rdf_size(d) != want)
		return false;
	*af = t == LDNS_RR_TYPE_A ? AF_INET : AF_INET6;
	*addr = ldns_rdf_data(d);
	return true;
}

struct dnssd_entry *proxy_first_live(struct dnssd_cache *c, const ldns_rdf *name,
                                     uint16_t type, uint64_t now)
{
	struct dnssd_entry *buf[8], **e, *live = NULL;
	size_t n = dnssd_cache_find_all(c, name, type, 0, now, buf, 8, &e);
	for (size_t i = 0; i < n && !live; i++)
		if (!dnssd_entry_is_goodbye(e[i]))
			live = e[i];
	dnssd_cache_found_free(e, buf);
	return live;
}

bool proxy_host_addr_each(struct dnssd_cache *c, const ldns_rdf *host, uint64_t now,
                          bool (*fn)(void *arg, const struct dnssd_addr *a), void *arg)
{
	static const uint16_t types[2] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
	bool go = true;
	for (int k = 0; k < 2 && go; k++) {
		struct dnssd_entry *buf[16], **e;
		size_t m = dnssd_cache_find_all(c, host, types[k], 0, now, buf, 16, &e);
		for (size_t i = 0; i < m && go; i++) {
			ldns_rr *rr =
			    dnssd_entry_is_goodbye(e[i]) ? NULL : dnssd_entry_rr_new(e[i]);
			int af;
			const uint8_t *a;
			if (rr && proxy_rr_addr(rr, &af, &a)) {
				struct dnssd_addr d = {.af = af};
				memcpy(d.a, a, af == AF_INET ? 4 : 16);
				go = fn(arg, &d);
			}
			ldns_rr_free(rr);
		}
		dnssd_cache_found_free(e, buf);
	}
	return go;
}

struct addr_vec {
	struct dnssd_addr **v;
	size_t *n, *cap;
	int rc;
};

static bool addr_append(void *arg, const struct dnssd_addr *a)
{
	struct addr_vec *av = arg;
	av->rc = dnssd_grow((void **)av->v, av->cap, *av->n + 1, sizeof(**av->v));
	if (av->rc == 0)
		(*av->v)[(*av->n)++] = *a;
	return av->rc == 0;
}

int proxy_host_addrs(struct dnssd_cache *c, const ldns_rdf *host, uint64_t now,
                     struct dnssd_addr **v, size_t *n, size_t *cap)
{
	struct addr_vec av = {v, n, cap, 0};
	proxy_host_addr_each(c, host, now, addr_append, &av);
	return av.rc;
}

ldns_rr *proxy_clone_ttl(const ldns_rr *rr, uint32_t ttl)
{
	ldns_rr *c = ldns_rr_clone(rr);
	if (c)
		ldns_rr_set_ttl(c, ttl);
	return c;
}

/*
 * A cached record, built afresh with ttl (the cache keeps records in a compact
 * form of its own). Calls malloc: the caller frees. NULL when out of memory.
 */
ldns_rr *proxy_entry_rr_ttl(const struct dnssd_entry *e, uint32_t ttl)
{
	ldns_rr *c = dnssd_entry_rr_new(e);
	if (c)
		ldns_rr_set_ttl(c, ttl);
	return c;
}

ldns_rr *proxy_make_question(const ldns_rdf *name, uint16_t type)
{
	ldns_rr *q = dnssd_rr_new(name, type, LDNS_RR_CLASS_IN, 0);
	if (q)
		ldns_rr_set_question(q, true);
	return q;
}

int proxy_sa_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
	return -1;
}

void proxy_sa_sender(const struct sockaddr *sa, struct policy_sender *s)
{
	memset(s, 0, sizeof(*s));
	if (sa->sa_family == AF_INET) {
		s->af = AF_INET;
		memcpy(s->addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		       4);
	} else if (sa->sa_family == AF_INET6) {
		s->af = AF_INET6;
		memcpy(s->addr,
		       &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
	}
}

/* Local entries keep their sender in the aux slots, IPv4 as IPv4-mapped IPv6. */
static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void proxy_set_entry_sender(struct dnssd_entry *e, const struct policy_sender *s)
{
	uint8_t b[16] = {0};
	uint64_t x = 0, y = 0;
	if (s->af == AF_INET) {
		memcpy(b, v4mapped, 12);
		memcpy(b + 12, s->addr, 4);
	} else if (s->af == AF_INET6) {
		memcpy(b, s->addr, 16);
	}
	for (int i = 0; i < 8; i++) {
		x = x << 8 | b[i];
		y = y << 8 | b[8 + i];
	}
	dnssd_entry_set_aux(e, 0, x);
	dnssd_entry_set_aux(e, 1, y);
}

void proxy_entry_sender(const struct dnssd_entry *e, struct policy_sender *s)
{
	uint64_t x = dnssd_entry_aux(e, 0), y = dnssd_entry_aux(e, 1);
	uint8_t b[16];
	for (int i = 7; i >= 0; i--) {
		b[i] = (uint8_t)x;
		b[8 + i] = (uint8_t)y;
		x >>= 8;
		y >>= 8;
	}
	memset(s, 0, sizeof(*s));
	if (memcmp(b, v4mapped, 12) == 0) {
		s->af = AF_INET;
		memcpy(s->addr, b + 12, 4);
	} else if (dnssd_entry_aux(e, 0) || dnssd_entry_aux(e, 1)) {
		s->af = AF_INET6;
		memcpy(s->addr, b, 16);
	}
}

/* Who asked: known answers in a continuation packet only count for their asker. */
uint32_t proxy_sa_hash(const struct sockaddr *sa)
{
	struct policy_sender s;
	proxy_sa_sender(sa, &s);
	uint64_t h = dnssd_hash(s.addr, sizeof(s.addr), (uint64_t)proxy_sa_port(sa));
	return (uint32_t)(h ^ (h >> 32));
}

int proxy_af_fam(int af)
{
	return af == AF_INET ? 0 : af == AF_INET6 ? 1 : -1;
}

int proxy_fam_af(int fam)
{
	return fam ? AF_INET6 : AF_INET;
}

/* ------------------------------------------------------------ name tables */

#define KEY_MAX (255 + 2)
#define NTAB_MIN 16

static size_t make_key(const ldns_rdf *name, uint16_t type, uint8_t *key)
{
	if (!proxy_is_dname(name) || ldns_rdf_size(name) > 255)
		return 0;
	size_t n = ldns_rdf_size(name);
	const uint8_t *d = ldns_rdf_data(name);
	for (size_t i = 0; i < n; i++)
		key[i] = dnssd_lower(d[i]);
	key[n] = (uint8_t)(type >> 8);
	key[n + 1] = (uint8_t)type;
	return n + 2;
}

/* Unseeded: the tables hold names the engine chose to keep, not what anyone sends. */
static uint32_t key_hash(const uint8_t *k, size_t n)
{
	uint64_t h = dnssd_hash(k, n, 0);
	return (uint32_t)(h ^ (h >> 32));
}

int proxy_ntab_init(struct ntab *t)
{
	t->count = 0;
	t->mask = NTAB_MIN - 1;
	t->b = calloc(NTAB_MIN, sizeof(*t->b));
	return t->b ? 0 : -ENOMEM;
}

static void ntab_grow(struct ntab *t)
{
	size_t n = (t->mask + 1) * 2;
	struct nent **nb = calloc(n, sizeof(*nb));
	if (!nb)
		return; /* longer chains, still correct */
	for (size_t i = 0; i <= t->mask; i++) {
		struct nent *e = t->b[i];
		while (e) {
			struct nent *next = e->next;
			e->next = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
			e = next;
		}
	}
	free(t->b);
	t->b = nb;
	t->mask = n - 1;
}

struct nent *proxy_ntab_find(const struct ntab *t, const ldns_rdf *name, uint16_t type)
{
	uint8_t key[KEY_MAX];
	size_t kl = make_key(name, type, key);
	if (!kl || !t->b)
		return NULL;
	uint32_t h = key_hash(key, kl);
	for (struct nent *e = t->b[h & t->mask]; e; e = e->next)
		if (e->hash == h && e->klen == kl && memcmp(e->key, key, kl) == 0)
			return e;
	return NULL;
}

struct nent *proxy_ntab_add(struct ntab *t, const ldns_rdf *name, uint16_t type)
{
	struct nent *e = proxy_ntab_find(t, name, type);
	if (e)
		return e;
	uint8_t key[KEY_MAX];
	size_t kl = make_key(name, type, key);
	if (!kl || !t->b || !(e = calloc(1, sizeof(*e) + kl)))
		return NULL;
	memcpy(e->key, key, kl);
	e->klen = (uint16_t)kl;
	e->hash = key_hash(key, kl);
	if (t->count > t->mask)
		ntab_grow(t);
	e->next = t->b[e->hash & t->mask];
	t->b[e->hash & t->mask] = e;
	t->count++;
	return e;
}

/* Where the name's ldns_rdf goes: after the key, aligned for it. */
static size_t name_off(size_t klen)
{
	size_t off = offsetof(struct nent, key) + klen;
	return (off + _Alignof(ldns_rdf) - 1) / _Alignof(ldns_rdf) * _Alignof(ldns_rdf);
}

/*
 * Set e's name to a copy of name. The entry may move to make room: use the
 * entry returned from then on (NULL when out of memory: e is left as it was).
 */
struct nent *proxy_nent_set_name(struct ntab *t, struct nent *e, const ldns_rdf *name)
{
	size_t n = ldns_rdf_size(name);
	if (n > UINT16_MAX)
		return NULL;
	if (!e->name || e->ncap < n) {
		struct nent **pp = &t->b[e->hash & t->mask];
		while (*pp != e)
			pp = &(*pp)->next;
		struct nent *ne = realloc(e, name_off(e->klen) + sizeof(ldns_rdf) + n);
		if (!ne)
			return NULL;
		*pp = e = ne;
		e->ncap = (uint16_t)n;
	}
	ldns_rdf *r = (ldns_rdf *)((uint8_t *)e + name_off(e->klen));
	uint8_t *data = (uint8_t *)(r + 1);
	memcpy(data, ldns_rdf_data(name), n);
	ldns_rdf_set_size(r, n);
	ldns_rdf_set_type(r, ldns_rdf_get_type(name));
	ldns_rdf_set_data(r, data);
	e->name = r;
	return e;
}

static void nent_free(struct nent *e)
{
	for (size_t i = 0; i < e->nrr; i++)
		ldns_rr_free(e->rrs[i]);
	free(e->rrs);
	free(e);
}

void proxy_ntab_del(struct ntab *t, struct nent *e)
{
	for (struct nent **pp = &t->b[e->hash & t->mask]; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			t->count--;
			nent_free(e);
			return;
		}
	}
}

/* Delete the entries for which drop() says so (all of them when drop is NULL). */
void proxy_ntab_filter(struct ntab *t, bool (*drop)(struct nent *e, const void *arg),
                       const void *arg)
{
	if (!t->b)
		return;
	for (size_t i = 0; i <= t->mask; i++) {
		struct nent **pp = &t->b[i];
		while (*pp) {
			struct nent *e = *pp;
			if (!drop || drop(e, arg)) {
				*pp = e->next;
				t->count--;
				nent_free(e);
			} else {
				pp = &e->next;
			}
		}
	}
}

void proxy_ntab_fini(struct ntab *t)
{
	proxy_ntab_filter(t, NULL, NULL);
	free(t->b);
	t->b = NULL;
}

size_t proxy_ntab_count(const struct ntab *t)
{
	return t->count;
}

bool proxy_older_than(struct nent *e, const void *arg)
{
	return e->t < *(const uint64_t *)arg;
}

void proxy_list_entry(void *arg, struct dnssd_entry *e)
{
	struct ent_list *l = arg;
	if (!dnssd_entry_is_goodbye(e) &&
	    dnssd_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)) == 0)
		l->v[l->n++] = e;
}
