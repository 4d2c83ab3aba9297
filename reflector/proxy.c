/*
 * proxy.c: the proxy engine (see proxy.h for the data path).
 *
 * State, all driven by the caller's clock:
 *  - one local cache of what the LAN responders said (origin = interface index);
 *  - per peer: its remote cache (renamed records, bounded by max-records-per-peer),
 *    its dnssd_sent (what it already holds), the hosts that exported SRVs target,
 *    the instances held back until their host has an address (at most HELD_MAX,
 *    with the hosts they wait for), the original hosts and SRV targets of what it
 *    gave us (import policy needs the names as they were), recently forwarded
 *    questions and two token buckets;
 *  - token buckets for LAN input: one per source address (hashed into SRC_SLOTS)
 *    and one for the whole LAN, against floods;
 *  - the alias table: every renamed name we announce -> owning peer and original
 *    name, for forwarding questions back (a cut instance label cannot be inverted)
 *    and as loop guard;
 *  - per interface and address family an output queue of multicast work:
 *    announcements, delayed answers and goodbyes, sent in as few datagrams as
 *    the MTU allows.
 *
 * The aux slots of remote cache entries hold the last multicast of the record:
 * slot 0 the time, slot 1 a mask of (interface, family) bits multicast within
 * the second before it. A record multicast on several interfaces within one
 * second is stamped with the latest time for all of them, which only ever makes
 * the one-second rule of RFC 6762 §6 stricter.
 */
#include <config.h>

#include "reflector/proxy.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/addrmap.h"
#include "dnssd/cache.h"
#include "dnssd/encode.h"
#include "dnssd/rename.h"
#include "dnssd/sent.h"
#include "dnssd/svcname.h"
#include "policy/config.h"
#include "policy/filter.h"
#include "policy/rules.h"

/* Records learned from the LAN, and what a peer can be told it holds. */
#define LOCAL_MAX_RECORDS 65536
#define SENT_MAX_RECORDS 65536
/* Services per peer followed for service_event (a flood must not grow it unbounded). */
#define EXP_INST_MAX 10000
/* RFC 6762 §6: at most one multicast of a record per second per interface. */
#define MCAST_GAP_MS 1000
/* RFC 6762 §8.3: two announcements, one second apart. */
#define ANNOUNCE_GAP_MS 1000
/* RFC 6762 §6: shared answers wait 20-120 ms; §7.2: 400-500 ms after a TC query. */
#define DELAY_MIN_MS 20
#define TC_DELAY_MIN_MS 400
#define DELAY_SPAN_MS 101
/* RFC 6762 §6.7: legacy unicast answers carry TTLs of at most 10 s. */
#define LEGACY_TTL_MAX 10
/* RFC 6762 §5.2: records in use are asked for again at 80% of their TTL. */
#define NEAR_EXPIRY_PERMILLE 800
/* The same question is not forwarded to a peer, nor asked on the LAN, more often. */
#define FWD_GAP_MS 1000
#define ASK_GAP_MS 1000
/* A refresh arriving this soon after a forwarded question answers it on the LAN. */
#define FWD_PENDING_MS 5000
/* Renamed names are remembered this long after their records expired. */
#define ALIAS_KEEP_MS (10 * 60 * 1000)
/*
 * After a link comes up, a peer's records it does not send again within this
 * time were withdrawn there while the link was down (their goodbyes lost).
 * It covers a restarted peer learning its LAN again.
 */
#define RESYNC_WINDOW_MS 30000
/* Housekeeping of the tables. */
#define SWEEP_MS 10000
/*
 * Floods: the records and questions a second (and at once) the engine works on
 * from one LAN source, and from all of them together (sources that hash to one
 * slot, or spoofed ones, share a bucket). A busy responder sends a few hundred.
 */
#define SRC_RATE 1000
#define SRC_BURST 4000
#define SRC_SLOTS 256
#define LAN_RATE 20000
#define LAN_BURST 40000
/*
 * Entries of a peer's held table at once: instances waiting for their host's
 * address, and (key type HELD_HOST) the hosts they wait for, so that only an
 * address of one of those makes the engine look through the table again.
 */
#define HELD_MAX 1024
#define HELD_HOST LDNS_RR_TYPE_A
/* The local cache is exported in slices this big on resync (policy_filter is
 * quadratic in the records of one call). */
#define EXPORT_SLICE 256
#define NFAM 2

static const char *const drop_names[PROXY_DROP_MAX] = {
    [PROXY_DROP_NOT_MDNS_PORT] = "not-mdns-port",
    [PROXY_DROP_LOOP] = "loop",
    [PROXY_DROP_ORIGIN] = "origin",
    [PROXY_DROP_POLICY] = "policy",
    [PROXY_DROP_LIMIT] = "limit",
    [PROXY_DROP_RATE] = "rate",
    [PROXY_DROP_RENAME] = "rename",
    [PROXY_DROP_PEER] = "peer",
    [PROXY_DROP_SOURCE] = "source-rate",
};

const char *proxy_drop_str(enum proxy_drop d)
{
	return (unsigned)d < PROXY_DROP_MAX ? drop_names[d] : "unknown";
}

/* ------------------------------------------------------------ small vectors */

struct rrvec {
	const ldns_rr **v;
	ldns_rr **own; /* clones to free with the vector */
	size_t n, cap, nown, owncap;
};

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 16;
	while (nc < need)
		nc *= 2;
	void *nv = realloc(*v, nc * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = nc;
	return 0;
}

static int rv_push(struct rrvec *rv, const ldns_rr *rr)
{
	if (grow((void **)&rv->v, &rv->cap, rv->n + 1, sizeof(*rv->v)) < 0)
		return -ENOMEM;
	rv->v[rv->n++] = rr;
	return 0;
}

/* Push a clone the vector owns; rr is freed on failure. */
static int rv_push_own(struct rrvec *rv, ldns_rr *rr)
{
	if (!rr)
		return -ENOMEM;
	if (grow((void **)&rv->own, &rv->owncap, rv->nown + 1, sizeof(*rv->own)) < 0) {
		ldns_rr_free(rr);
		return -ENOMEM;
	}
	rv->own[rv->nown++] = rr;
	return rv_push(rv, rr);
}

/* Hand the clones src owns over to dst (src's list of records is left as it is). */
static int rv_give(struct rrvec *dst, struct rrvec *src)
{
	if (!src->nown)
		return 0;
	if (grow((void **)&dst->own, &dst->owncap, dst->nown + src->nown, sizeof(*dst->own)) <
	    0)
		return -ENOMEM;
	memcpy(dst->own + dst->nown, src->own, src->nown * sizeof(*src->own));
	dst->nown += src->nown;
	src->nown = 0;
	return 0;
}

static void rv_free(struct rrvec *rv)
{
	for (size_t i = 0; i < rv->nown; i++)
		ldns_rr_free(rv->own[i]);
	free(rv->own);
	free(rv->v);
	memset(rv, 0, sizeof(*rv));
}

/* ------------------------------------------------------------ records and names */

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static bool is_dname(const ldns_rdf *d)
{
	return d && ldns_rdf_get_type(d) == LDNS_RDF_TYPE_DNAME && ldns_rdf_size(d) > 0;
}

/* Names equal ignoring ASCII case (label lengths are below 'A', so bytes compare). */
static bool name_eq(const ldns_rdf *a, const ldns_rdf *b)
{
	if (!a || !b || ldns_rdf_size(a) != ldns_rdf_size(b))
		return false;
	const uint8_t *x = ldns_rdf_data(a), *y = ldns_rdf_data(b);
	for (size_t i = 0; i < ldns_rdf_size(a); i++)
		if (x[i] != y[i] && lower(x[i]) != lower(y[i]))
			return false;
	return true;
}

static const ldns_rdf *rdf_name(const ldns_rr *rr, size_t i)
{
	if (ldns_rr_rd_count(rr) <= i)
		return NULL;
	const ldns_rdf *d = ldns_rr_rdf(rr, i);
	return is_dname(d) ? d : NULL;
}

static uint16_t rr_type(const ldns_rr *rr)
{
	return (uint16_t)ldns_rr_get_type(rr);
}

static const ldns_rdf *srv_target(const ldns_rr *rr)
{
	return rr_type(rr) == LDNS_RR_TYPE_SRV ? rdf_name(rr, 3) : NULL;
}

/* The same record to mDNS: owner, type, class without the top bit and rdata. */
static bool rr_same(const ldns_rr *a, const ldns_rr *b)
{
	if (rr_type(a) != rr_type(b) || dnssd_rr_class(a) != dnssd_rr_class(b) ||
	    !name_eq(ldns_rr_owner(a), ldns_rr_owner(b)) ||
	    ldns_rr_rd_count(a) != ldns_rr_rd_count(b))
		return false;
	for (size_t i = 0; i < ldns_rr_rd_count(a); i++) {
		const ldns_rdf *x = ldns_rr_rdf(a, i), *y = ldns_rr_rdf(b, i);
		if (is_dname(x) && is_dname(y)) {
			if (!name_eq(x, y))
				return false;
		} else if (!x || !y || ldns_rdf_compare(x, y) != 0) {
			return false;
		}
	}
	return true;
}

/* The instance a record belongs to: SRV/TXT owner, or the target of a type PTR. */
static const ldns_rdf *instance_of(const ldns_rr *rr)
{
	const ldns_rdf *owner = ldns_rr_owner(rr), *t;
	enum dnssd_name_kind k;

	switch (rr_type(rr)) {
	case LDNS_RR_TYPE_SRV:
	case LDNS_RR_TYPE_TXT:
		return dnssd_name_kind(owner) == DNSSD_NAME_INSTANCE ? owner : NULL;
	case LDNS_RR_TYPE_PTR:
		k = dnssd_name_kind(owner);
		if (k != DNSSD_NAME_SERVICE_TYPE && k != DNSSD_NAME_SUBTYPE)
			return NULL;
		t = rdf_name(rr, 0);
		return t && dnssd_name_kind(t) == DNSSD_NAME_INSTANCE ? t : NULL;
	default:
		return NULL;
	}
}

/* The name that says whose a record is (NULL for enumeration PTRs, nobody's). */
static const ldns_rdf *subject_name(const ldns_rr *rr)
{
	if (rr_type(rr) == LDNS_RR_TYPE_PTR) {
		enum dnssd_name_kind k = dnssd_name_kind(ldns_rr_owner(rr));
		if (k == DNSSD_NAME_ENUM)
			return NULL;
		if (k == DNSSD_NAME_SERVICE_TYPE || k == DNSSD_NAME_SUBTYPE)
			return rdf_name(rr, 0);
	}
	return ldns_rr_owner(rr);
}

static bool rr_addr(const ldns_rr *rr, int *af, const uint8_t **addr)
{
	uint16_t t = rr_type(rr);
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

static ldns_rr *clone_ttl(const ldns_rr *rr, uint32_t ttl)
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
static ldns_rr *entry_rr_ttl(const struct dnssd_entry *e, uint32_t ttl)
{
	ldns_rr *c = dnssd_entry_rr_new(e);
	if (c)
		ldns_rr_set_ttl(c, ttl);
	return c;
}

static ldns_rr *make_question(const ldns_rdf *name, uint16_t type)
{
	ldns_rr *q = ldns_rr_new();
	ldns_rdf *n = ldns_rdf_clone(name);
	if (!q || !n) {
		ldns_rr_free(q);
		ldns_rdf_deep_free(n);
		return NULL;
	}
	ldns_rr_set_owner(q, n);
	ldns_rr_set_type(q, (ldns_rr_type)type);
	ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(q, 0);
	ldns_rr_set_question(q, true);
	return q;
}

static int sa_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
	return -1;
}

static void sa_sender(const struct sockaddr *sa, struct policy_sender *s)
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

static void set_entry_sender(struct dnssd_entry *e, const struct policy_sender *s)
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

static void entry_sender(const struct dnssd_entry *e, struct policy_sender *s)
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
static uint32_t sa_hash(const struct sockaddr *sa)
{
	struct policy_sender s;
	uint32_t h = 2166136261u ^ (uint32_t)sa_port(sa);
	sa_sender(sa, &s);
	for (size_t i = 0; i < sizeof(s.addr); i++)
		h = (h ^ s.addr[i]) * 16777619u;
	return h;
}

static int af_fam(int af)
{
	return af == AF_INET ? 0 : af == AF_INET6 ? 1 : -1;
}

static int fam_af(int fam)
{
	return fam ? AF_INET6 : AF_INET;
}

/* ------------------------------------------------------------ name tables */

/*
 * An entry keyed by a name (lowercase wire form) and a type. Tables of
 * imported services hold one for every name of every service: one allocation
 * each, the name it maps to included.
 */
struct nent {
	struct nent *next;
	uint64_t t;         /* expiry or last use, per table */
	struct rpeer *peer; /* alias: owning peer */
	/*
	 * alias: original name; instance: SRV target. Set with nent_set_name();
	 * it lives in the entry's own allocation, after the key.
	 */
	const ldns_rdf *name;
	ldns_rr **rrs;      /* held: records waiting for their host */
	size_t nrr, rrcap;
	uint32_t hash;
	uint16_t klen;
	uint16_t ncap;      /* bytes of name room after the key */
	uint8_t key[];
};

/* A chained hash table that grows with its count. */
struct ntab {
	struct nent **b;
	size_t mask, count;
};

#define KEY_MAX (255 + 2)
#define NTAB_MIN 16

static size_t make_key(const ldns_rdf *name, uint16_t type, uint8_t *key)
{
	if (!is_dname(name) || ldns_rdf_size(name) > 255)
		return 0;
	size_t n = ldns_rdf_size(name);
	const uint8_t *d = ldns_rdf_data(name);
	for (size_t i = 0; i < n; i++)
		key[i] = lower(d[i]);
	key[n] = (uint8_t)(type >> 8);
	key[n + 1] = (uint8_t)type;
	return n + 2;
}

/* FNV-1a: names are short and the tables hold names we chose to keep. */
static uint32_t key_hash(const uint8_t *k, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= k[i];
		h *= 0x100000001b3ULL;
	}
	return (uint32_t)(h ^ (h >> 32));
}

static int ntab_init(struct ntab *t)
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

static struct nent *ntab_find(const struct ntab *t, const ldns_rdf *name, uint16_t type)
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

static struct nent *ntab_add(struct ntab *t, const ldns_rdf *name, uint16_t type)
{
	struct nent *e = ntab_find(t, name, type);
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
static struct nent *nent_set_name(struct ntab *t, struct nent *e, const ldns_rdf *name)
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

static void ntab_del(struct ntab *t, struct nent *e)
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
static void ntab_filter(struct ntab *t, bool (*drop)(struct nent *e, const void *arg),
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

static void ntab_fini(struct ntab *t)
{
	ntab_filter(t, NULL, NULL);
	free(t->b);
	t->b = NULL;
}

static size_t ntab_count(const struct ntab *t)
{
	return t->count;
}

static bool older_than(struct nent *e, const void *arg)
{
	return e->t < *(const uint64_t *)arg;
}

/* ------------------------------------------------------------ engine state */

struct rpeer {
	const struct policy_peer *pcfg;
	unsigned id;
	char name[40];
	bool up;
	bool grace;  /* down: records kept until grace_at */
	bool resync; /* up again: records not sent again by resync_at are stale */
	uint64_t grace_at, resync_at, since;

	struct dnssd_sent *sent;
	struct dnssd_cache *remote;
	uint32_t remote_max;
	struct ntab exp_hosts; /* hosts targeted by SRVs exported to it: t = expiry */
	struct ntab held;      /* instances waiting for an address: rrs, t = expiry */
	struct ntab exp_inst;  /* SRV owners it holds, for service_event: t = expiry */
	struct ntab imp_hosts; /* original hosts targeted by imported SRVs: t = expiry */
	struct ntab imp_inst;  /* original instance -> original SRV target (name) */
	struct ntab fwd;       /* local name + type -> when forwarded */
	struct rrvec fwdq;     /* questions to send at the end of the call */

	uint64_t tok, tok_t;       /* forwarded questions, milli-tokens */
	uint64_t in_tok, in_tok_t; /* questions received */

	uint64_t records_in, records_out, questions_in, questions_out;
};

enum { OI_ANNOUNCE, OI_ANSWER, OI_GOODBYE };

/*
 * A record queued for the LAN, shared by the items that send it: an
 * announcement goes on every interface and family, twice, and a copy each
 * would be most of the heap while thousands of services arrive.
 */
struct qrr {
	ldns_rr *rr;
	size_t refs;
};

struct oitem {
	struct qrr *r; /* one reference */
	struct rpeer *peer;
	uint64_t due, asked;
	uint32_t src;
	uint8_t sec, kind;
};

struct outq {
	struct oitem *v;
	size_t n, cap;
};

struct iface {
	bool used;
	unsigned ifindex;
	char name[IF_NAMESIZE];
	struct outq q[NFAM];
};

struct proxy {
	const struct policy_config *cfg;
	struct proxy_io io;
	struct dnssd_rename *rename;
	struct dnssd_cache *local;
	struct rpeer **peers;
	size_t npeers;
	struct iface ifs[PROXY_MAX_INTERFACES];
	struct ntab alias;   /* renamed name we announce -> peer, original name */
	struct ntab asked;   /* name + type -> last asked on the LAN */
	struct rrvec askq;   /* questions for the LAN at the end of the call */
	ldns_rdf *enum_name; /* _services._dns-sd._udp.local. */
	uint64_t rng;
	uint64_t now;
	uint64_t next_sweep;
	struct proxy_stats st;
	/* io.service_set: an external publisher takes the imported services */
	bool ext_live;   /* it is live: the engine is quiet on the LAN about them */
	bool pub_dirty;  /* the remote caches changed since the last publish_sync */
	struct ntab pub; /* renamed instance -> name: itself, t: hash of what was set */
	/* LAN input budgets (SRC_RATE, LAN_RATE), in milli-tokens */
	struct src_bucket {
		uint64_t tok, t;
	} src[SRC_SLOTS];
	uint64_t src_seed;
	uint64_t lan_tok, lan_tok_t;
	/*
	 * Records rebuilt from the local cache whose SRV target was handed out:
	 * by local_instance_host (valid until its next call, as policy/filter.h
	 * allows) and by instance_ready (until its next call).
	 */
	ldns_rr *host_scratch;
	ldns_rr *ready_scratch;
};

static uint64_t rnd(struct proxy *p)
{
	/* xorshift64*: jitter only, nothing secret depends on it. */
	uint64_t x = p->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	p->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static struct rpeer *peer_by_id(const struct proxy *p, unsigned id)
{
	return id < p->npeers ? p->peers[id] : NULL;
}

static uint64_t ifbit(size_t pos, int fam)
{
	return 1ULL << (2 * pos + (size_t)fam);
}

static struct iface *iface_find(struct proxy *p, unsigned ifindex, size_t *pos)
{
	for (size_t i = 0; i < PROXY_MAX_INTERFACES; i++)
		if (p->ifs[i].used && p->ifs[i].ifindex == ifindex) {
			if (pos)
				*pos = i;
			return &p->ifs[i];
		}
	return NULL;
}

/* ------------------------------------------------------------ LAN output */

/* Payload bytes per datagram; 0 when the family cannot be used on the interface. */
static size_t mtu_for(struct proxy *p, unsigned ifindex, int af)
{
	size_t m = af == AF_INET6 ? 1452 : 1472; /* Ethernet */
	if (p->io.lan_mtu)
		m = p->io.lan_mtu(p->io.arg, ifindex, af);
	return m > DNSSD_MAX_PACKET ? DNSSD_MAX_PACKET : m;
}

static void send_enc(struct proxy *p, struct dnssd_enc *e, unsigned ifindex, int af,
                     const struct sockaddr *dst)
{
	size_t n = dnssd_enc_finish(e);
	for (size_t i = 0; i < n; i++) {
		size_t len = 0;
		const uint8_t *buf = dnssd_enc_packet(e, i, &len);
		if (!buf || !p->io.lan_send)
			continue;
		if (p->io.lan_send(p->io.arg, ifindex, af, dst, buf, len) < 0) {
			p->st.lan_send_errors++;
		} else {
			p->st.lan_packets_out++;
			p->st.lan_bytes_out += len;
		}
	}
}

/* Share rr (NULL: out of memory), which is freed with the last reference. */
static struct qrr *qrr_new(ldns_rr *rr)
{
	struct qrr *r = rr ? malloc(sizeof(*r)) : NULL;
	if (!r) {
		ldns_rr_free(rr);
		return NULL;
	}
	r->rr = rr;
	r->refs = 1;
	return r;
}

static struct qrr *qrr_ref(struct qrr *r)
{
	if (r)
		r->refs++;
	return r;
}

static void qrr_put(struct qrr *r)
{
	if (r && --r->refs == 0) {
		ldns_rr_free(r->rr);
		free(r);
	}
}

/* Queue a record: the item takes the reference r. */
static int q_push(struct outq *q, struct qrr *r, struct rpeer *peer, uint64_t due,
                  uint64_t asked, uint32_t src, uint8_t sec, uint8_t kind)
{
	if (!r)
		return -ENOMEM;
	if (grow((void **)&q->v, &q->cap, q->n + 1, sizeof(*q->v)) < 0) {
		qrr_put(r);
		return -ENOMEM;
	}
	q->v[q->n++] = (struct oitem){.r = r,
	                              .peer = peer,
	                              .due = due,
	                              .asked = asked,
	                              .src = src,
	                              .sec = sec,
	                              .kind = kind};
	return 0;
}

static void q_clear(struct outq *q)
{
	for (size_t i = 0; i < q->n; i++)
		qrr_put(q->v[i].r);
	q->n = 0;
}

static uint64_t q_next(const struct outq *q)
{
	uint64_t t = UINT64_MAX;
	for (size_t i = 0; i < q->n; i++)
		if (q->v[i].due < t)
			t = q->v[i].due;
	return t;
}

/* Queue r on every interface and family, at each of the n times due[]. */
static void queue_all(struct proxy *p, struct qrr *r, struct rpeer *peer,
                      const uint64_t *due, size_t n, uint64_t asked, uint8_t kind)
{
	if (p->ext_live || !r)
		return; /* the external publisher speaks for the remote records */
	for (size_t i = 0; i < PROXY_MAX_INTERFACES; i++) {
		if (!p->ifs[i].used)
			continue;
		for (int f = 0; f < NFAM; f++)
			for (size_t k = 0; k < n; k++)
				q_push(&p->ifs[i].q[f], qrr_ref(r), peer, due[k], asked, 0,
				       DNSSD_SEC_ANSWER, kind);
	}
}

/* New or changed: twice, one second apart (RFC 6762 §8.3). */
static void announce(struct proxy *p, struct rpeer *peer, const ldns_rr *rr)
{
	const uint64_t due[2] = {p->now, p->now + ANNOUNCE_GAP_MS};
	struct qrr *r = p->ext_live ? NULL : qrr_new(ldns_rr_clone(rr));
	queue_all(p, r, peer, due, 2, p->now, OI_ANNOUNCE);
	qrr_put(r);
}

/* The answer to a question forwarded for the LAN at asked, now in. */
static void queue_answer(struct proxy *p, const ldns_rr *rr, struct rpeer *peer,
                         uint64_t asked)
{
	struct qrr *r = p->ext_live ? NULL : qrr_new(ldns_rr_clone(rr));
	queue_all(p, r, peer, &p->now, 1, asked, OI_ANSWER);
	qrr_put(r);
}

static void lan_goodbye(struct proxy *p, const ldns_rr *rr)
{
	struct qrr *r = p->ext_live ? NULL : qrr_new(clone_ttl(rr, 0));
	queue_all(p, r, NULL, &p->now, 1, p->now, OI_GOODBYE);
	qrr_put(r);
}

static void lan_goodbye_entry(struct proxy *p, const struct dnssd_entry *e)
{
	ldns_rr *rr = dnssd_entry_rr_new(e);
	if (rr)
		lan_goodbye(p, rr);
	ldns_rr_free(rr);
}

struct bitem {
	struct dnssd_entry *e;
	uint8_t sec;
};

static int bitem_cmp(const void *a, const void *b)
{
	const struct bitem *x = a, *y = b;
	if (x->e != y->e)
		return (uintptr_t)x->e < (uintptr_t)y->e ? -1 : 1;
	return (int)x->sec - (int)y->sec;
}

static void enc_entry(struct proxy *p, struct dnssd_enc *enc, enum dnssd_section sec,
                      struct dnssd_entry *e)
{
	ldns_rr *c = entry_rr_ttl(e, dnssd_entry_ttl_left(e, p->now));
	if (c) {
		dnssd_enc_rr(enc, sec, c);
		ldns_rr_free(c);
	}
}

static void mark_multicast(struct dnssd_entry *e, uint64_t bit, uint64_t now)
{
	uint64_t last = dnssd_entry_aux(e, 0), mask = dnssd_entry_aux(e, 1);
	if (mask && now < last + MCAST_GAP_MS)
		mask |= bit;
	else
		mask = bit;
	dnssd_entry_set_aux(e, 0, now);
	dnssd_entry_set_aux(e, 1, mask);
}

/* Send what is due on one interface and family, keeping the one-second rule. */
static void flush_queue(struct proxy *p, size_t pos, int fam)
{
	struct iface *ifc = &p->ifs[pos];
	struct outq *q = &ifc->q[fam];
	uint64_t now = p->now, bit = ifbit(pos, fam);
	struct bitem *b = NULL;
	struct qrr **gb = NULL;
	size_t nb = 0, bcap = 0, ngb = 0, gbcap = 0, keep = 0;

	for (size_t i = 0; i < q->n; i++) {
		struct oitem it = q->v[i];
		if (it.due > now) {
			q->v[keep++] = it;
			continue;
		}
		if (it.kind == OI_GOODBYE) {
			if (grow((void **)&gb, &gbcap, ngb + 1, sizeof(*gb)) == 0)
				gb[ngb++] = it.r;
			else
				qrr_put(it.r);
			continue;
		}
		struct dnssd_entry *e = it.peer && it.peer->remote
		                            ? dnssd_cache_get(it.peer->remote, it.r->rr)
		                            : NULL;
		if (!e || dnssd_entry_is_goodbye(e) ||
		    dnssd_entry_ttl_left(e, now) == 0) {
			qrr_put(it.r);
			continue;
		}
		uint64_t last = dnssd_entry_aux(e, 0);
		if ((dnssd_entry_aux(e, 1) & bit) && now < last + MCAST_GAP_MS) {
			if (it.kind == OI_ANSWER && last >= it.asked) {
				/* multicast here since the question: answered */
				qrr_put(it.r);
				continue;
			}
			it.due = last + MCAST_GAP_MS;
			q->v[keep++] = it;
			continue;
		}
		qrr_put(it.r);
		if (grow((void **)&b, &bcap, nb + 1, sizeof(*b)) == 0)
			b[nb++] = (struct bitem){.e = e, .sec = it.sec};
	}
	q->n = keep;

	struct dnssd_enc *enc = NULL;
	size_t mtu = nb || ngb ? mtu_for(p, ifc->ifindex, fam_af(fam)) : 0;
	if (mtu && (enc = dnssd_enc_new(mtu, true, 0))) {
		for (size_t i = 0; i < ngb; i++)
			dnssd_enc_rr(enc, DNSSD_SEC_ANSWER, gb[i]->rr);
		/* One copy per record; an answer wins over the same record as additional.
		 */
		if (nb > 1)
			qsort(b, nb, sizeof(*b), bitem_cmp);
		for (int pass = 0; pass < 2; pass++) {
			enum dnssd_section want =
			    pass ? DNSSD_SEC_ADDITIONAL : DNSSD_SEC_ANSWER;
			for (size_t i = 0; i < nb; i++) {
				if (i > 0 && b[i].e == b[i - 1].e)
					continue;
				if (b[i].sec != want)
					continue;
				enc_entry(p, enc, want, b[i].e);
				if (want == DNSSD_SEC_ANSWER)
					p->st.answers_multicast++;
			}
		}
		send_enc(p, enc, ifc->ifindex, fam_af(fam), NULL);
		dnssd_enc_free(enc);
		for (size_t i = 0; i < nb; i++)
			if (i == 0 || b[i].e != b[i - 1].e)
				mark_multicast(b[i].e, bit, now);
	}
	for (size_t i = 0; i < ngb; i++)
		qrr_put(gb[i]);
	free(gb);
	free(b);
}

static void flush_due(struct proxy *p)
{
	for (size_t i = 0; i < PROXY_MAX_INTERFACES; i++) {
		if (!p->ifs[i].used)
			continue;
		for (int f = 0; f < NFAM; f++)
			if (p->ifs[i].q[f].n && q_next(&p->ifs[i].q[f]) <= p->now)
				flush_queue(p, i, f);
	}
}

/* Forget queued work for a peer that goes away. */
static void purge_peer_items(struct proxy *p, const struct rpeer *peer)
{
	for (size_t i = 0; i < PROXY_MAX_INTERFACES; i++) {
		for (int f = 0; f < NFAM; f++) {
			struct outq *q = &p->ifs[i].q[f];
			size_t keep = 0;
			for (size_t j = 0; j < q->n; j++) {
				if (q->v[j].peer == peer && q->v[j].kind != OI_GOODBYE)
					qrr_put(q->v[j].r);
				else
					q->v[keep++] = q->v[j];
			}
			q->n = keep;
		}
	}
}

/* ------------------------------------------------------------ asking the LAN */

/* Ask the LAN (all interfaces, QM) at the end of this call, at most once a second. */
static void lan_ask(struct proxy *p, const ldns_rdf *name, uint16_t type)
{
	struct nent *a = ntab_find(&p->asked, name, type);
	if (a && p->now < a->t + ASK_GAP_MS)
		return;
	if (!(a = ntab_add(&p->asked, name, type)))
		return;
	a->t = p->now;
	rv_push_own(&p->askq, make_question(name, type));
}

/* The fresh records of one cache that answer q, as known answers. */
static void add_known_from(struct proxy *p, struct dnssd_enc *enc, struct dnssd_cache *c,
                           const ldns_rr *q)
{
	struct dnssd_entry *tmp[32];
	size_t m = dnssd_cache_find(c, ldns_rr_owner(q), rr_type(q), 0, p->now, tmp, 32);
	if (m > 32)
		m = 32;
	for (size_t i = 0; i < m; i++) {
		uint32_t ttl = dnssd_entry_ttl(tmp[i]),
		         left = dnssd_entry_ttl_left(tmp[i], p->now);
		if (!dnssd_entry_is_goodbye(tmp[i]) && (uint64_t)left * 2 > ttl)
			enc_entry(p, enc, DNSSD_SEC_ANSWER, tmp[i]);
	}
}

/*
 * Known answers: responders need not repeat what is fresh (local cache), and the
 * records we announce for other sites are listed too, because a question we ask
 * and leave unanswered would otherwise make hosts flush them as records nobody
 * answers for (RFC 6762 §10.5; Avahi does this).
 */
static void add_known_answers(struct proxy *p, struct dnssd_enc *enc, const ldns_rr *q)
{
	add_known_from(p, enc, p->local, q);
	for (size_t i = 0; i < p->npeers; i++)
		add_known_from(p, enc, p->peers[i]->remote, q);
}

static void send_questions(struct proxy *p, size_t pos, const ldns_rr *const *qs,
                           size_t n)
{
	struct iface *ifc = &p->ifs[pos];
	for (int f = 0; f < NFAM; f++) {
		int af = fam_af(f);
		size_t mtu = mtu_for(p, ifc->ifindex, af);
		struct dnssd_enc *enc = mtu ? dnssd_enc_new(mtu, false, 0) : NULL;
		if (!enc)
			continue;
		for (size_t i = 0; i < n; i++)
			dnssd_enc_question(enc, qs[i]);
		for (size_t i = 0; i < n; i++)
			add_known_answers(p, enc, qs[i]);
		send_enc(p, enc, ifc->ifindex, af, NULL);
		dnssd_enc_free(enc);
	}
}

static void flush_ask(struct proxy *p)
{
	if (!p->askq.n)
		return;
	for (size_t i = 0; i < PROXY_MAX_INTERFACES; i++)
		if (p->ifs[i].used)
			send_questions(p, i, p->askq.v, p->askq.n);
	rv_free(&p->askq);
}

/* ------------------------------------------------------------ export to peers */

static bool exp_host_known(void *arg, const ldns_rdf *host)
{
	struct rpeer *peer = ((void **)arg)[1];
	const struct proxy *p = ((void **)arg)[0];
	const struct nent *e = ntab_find(&peer->exp_hosts, host, 0);
	return e && e->t > p->now;
}

static const ldns_rdf *local_instance_host(void *arg, const ldns_rdf *instance)
{
	struct proxy *p = ((void **)arg)[0];
	struct dnssd_entry *tmp[4];
	size_t m =
	    dnssd_cache_find(p->local, instance, LDNS_RR_TYPE_SRV, 0, p->now, tmp, 4);
	/* The name is needed until the next call only (policy/filter.h). */
	ldns_rr_free(p->host_scratch);
	p->host_scratch = NULL;
	for (size_t i = 0; i < m && i < 4; i++)
		if (!dnssd_entry_is_goodbye(tmp[i])) {
			p->host_scratch = dnssd_entry_rr_new(tmp[i]);
			return p->host_scratch ? srv_target(p->host_scratch) : NULL;
		}
	return NULL;
}

/*
 * Whether an instance can be offered to peer: its SRV known and its host with an
 * address the peer may have. Otherwise *ask_srv or *ask_host say what the LAN
 * should be asked for; *ask_host stays valid until the next call.
 */
static bool instance_ready(struct proxy *p, const struct rpeer *peer,
                           const ldns_rdf *inst, const ldns_rdf **ask_host, bool *ask_srv)
{
	struct dnssd_entry *srv[4], *ad[16];
	bool keep_ll = policy_peer_keep_linklocal(peer->pcfg), any_addr = false;
	size_t ns = dnssd_cache_find(p->local, inst, LDNS_RR_TYPE_SRV, 0, p->now, srv, 4);

	*ask_host = NULL;
	*ask_srv = false;
	if (ns > 4)
		ns = 4;
	for (size_t i = 0; i < ns; i++) {
		if (dnssd_entry_is_goodbye(srv[i]))
			continue;
		ldns_rr *srr = dnssd_entry_rr_new(srv[i]);
		const ldns_rdf *host = srr ? srv_target(srr) : NULL;
		if (!host) {
			ldns_rr_free(srr);
			continue;
		}
		bool ready = false;
		static const uint16_t types[2] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
		for (int t = 0; t < 2 && !ready; t++) {
			size_t na =
			    dnssd_cache_find(p->local, host, types[t], 0, p->now, ad, 16);
			for (size_t j = 0; j < na && j < 16 && !ready; j++) {
				int af;
				const uint8_t *a;
				ldns_rr *arr = dnssd_entry_is_goodbye(ad[j])
				                   ? NULL
				                   : dnssd_entry_rr_new(ad[j]);
				if (arr && rr_addr(arr, &af, &a)) {
					any_addr = true;
					ready = keep_ll || !dnssd_addr_is_linklocal(af, a);
				}
				ldns_rr_free(arr);
			}
		}
		if (!ready && !any_addr) {
			/* the caller asks for it: a name of our own */
			ldns_rr_free(p->ready_scratch);
			p->ready_scratch = srr;
			*ask_host = host;
		} else {
			ldns_rr_free(srr);
		}
		return ready;
	}
	*ask_srv = true;
	return false;
}

static void hold_rr(struct rpeer *peer, const ldns_rdf *inst, const ldns_rr *rr,
                    uint64_t now)
{
	struct nent *h = ntab_add(&peer->held, inst, 0);
	if (!h)
		return;
	for (size_t i = 0; i < h->nrr; i++) {
		if (rr_same(h->rrs[i], rr)) {
			ldns_rr *c = ldns_rr_clone(rr);
			if (c) {
				ldns_rr_free(h->rrs[i]);
				h->rrs[i] = c;
			}
			goto stamp;
		}
	}
	if (grow((void **)&h->rrs, &h->rrcap, h->nrr + 1, sizeof(*h->rrs)) == 0) {
		ldns_rr *c = ldns_rr_clone(rr);
		if (c)
			h->rrs[h->nrr++] = c;
	}
stamp:;
	uint64_t exp = now + (uint64_t)ldns_rr_ttl(rr) * 1000;
	if (exp > h->t)
		h->t = exp;
}

static void unhold_rr(struct rpeer *peer, const ldns_rdf *inst, const ldns_rr *rr)
{
	struct nent *h = ntab_find(&peer->held, inst, 0);
	if (!h)
		return;
	for (size_t i = 0; i < h->nrr; i++) {
		if (rr_same(h->rrs[i], rr)) {
			ldns_rr_free(h->rrs[i]);
			h->rrs[i] = h->rrs[--h->nrr];
			break;
		}
	}
	if (!h->nrr)
		ntab_del(&peer->held, h);
}

/* Remember the host a held instance's SRV targets, if known, as waited for. */
static void hold_host(struct proxy *p, struct rpeer *peer, const ldns_rdf *inst,
                      const ldns_rr *rr)
{
	void *cbarg[2] = {p, peer};
	const ldns_rdf *host = local_instance_host(cbarg, inst);
	struct nent *h;
	if (!host || !(h = ntab_add(&peer->held, host, HELD_HOST)))
		return;
	uint64_t exp = p->now + (uint64_t)ldns_rr_ttl(rr) * 1000;
	if (exp > h->t)
		h->t = exp;
}

struct release_ctx {
	struct proxy *p;
	struct rpeer *peer;
	struct rrvec *out;
};

static bool release_ready(struct nent *h, const void *arg)
{
	const struct release_ctx *rc = arg;
	const ldns_rdf *host;
	bool ask_srv;

	if (!h->nrr ||
	    !instance_ready(rc->p, rc->peer, instance_of(h->rrs[0]), &host, &ask_srv))
		return false;
	for (size_t i = 0; i < h->nrr; i++) {
		if (dnssd_sent_check(rc->peer->sent, h->rrs[i], rc->p->now) &&
		    rv_push_own(rc->out, h->rrs[i]) == 0) {
			h->rrs[i] = NULL;
		}
	}
	return true;
}

/* Tell the log which services the peer now holds or no longer holds. */
static void note_exports(struct proxy *p, struct rpeer *peer, const struct rrvec *out)
{
	for (size_t i = 0; i < out->n; i++) {
		const ldns_rr *rr = out->v[i];
		const ldns_rdf *inst = ldns_rr_owner(rr);
		if (rr_type(rr) != LDNS_RR_TYPE_SRV)
			continue;
		struct nent *e = ntab_find(&peer->exp_inst, inst, 0);
		if (ldns_rr_ttl(rr) == 0) {
			if (e) {
				ntab_del(&peer->exp_inst, e);
				p->io.service_event(p->io.arg, peer->id,
				                    PROXY_SVC_UNEXPORTED, inst);
			}
			continue;
		}
		if (!e && ntab_count(&peer->exp_inst) < EXP_INST_MAX &&
		    (e = ntab_add(&peer->exp_inst, inst, 0)))
			p->io.service_event(p->io.arg, peer->id, PROXY_SVC_EXPORTED,
			                    inst);
		uint64_t exp = p->now + (uint64_t)ldns_rr_ttl(rr) * 1000;
		if (e && exp > e->t)
			e->t = exp;
	}
}

static void send_records(struct proxy *p, struct rpeer *peer, const struct rrvec *out)
{
	if (!out->n || !p->io.peer_send_records)
		return;
	const char *site = policy_config_site(p->cfg);
	if (p->io.peer_send_records(p->io.arg, peer->id, site, 0, out->v, out->n) < 0) {
		p->st.peer_send_errors++;
		return;
	}
	peer->records_out += out->n;
	if (p->io.service_event)
		note_exports(p, peer, out);
}

/* Add live local records of name and type (and rdata name target) to cand, once. */
static void add_cached(struct proxy *p, struct rrvec *cand, const ldns_rdf *name,
                       uint16_t type, const ldns_rdf *target)
{
	struct dnssd_entry *ad[32];
	size_t na = dnssd_cache_find(p->local, name, type, 0, p->now, ad, 32);
	for (size_t j = 0; j < na && j < 32; j++) {
		if (dnssd_entry_is_goodbye(ad[j]))
			continue;
		ldns_rr *a = dnssd_entry_rr_new(ad[j]);
		bool dup = !a || (target && !name_eq(rdf_name(a, 0), target));
		for (size_t k = 0; k < cand->n && !dup; k++)
			dup = rr_same(cand->v[k], a);
		if (dup)
			ldns_rr_free(a);
		else
			rv_push_own(cand, a);
	}
}

/*
 * Whether the LAN has an instance of the type an enumeration PTR names. Types are
 * offered only with instances, so that our own announcements of a remote type,
 * repeated here, do not make the type look local.
 */
static bool type_has_instances(struct proxy *p, const ldns_rr *rr)
{
	struct dnssd_entry *e[8];
	const ldns_rdf *type = rdf_name(rr, 0);
	size_t n =
	    type ? dnssd_cache_find(p->local, type, LDNS_RR_TYPE_PTR, 0, p->now, e, 8)
	         : 0;
	for (size_t i = 0; i < n && i < 8; i++)
		if (!dnssd_entry_is_goodbye(e[i]))
			return true;
	return false;
}

/*
 * What of recs the peer may have, as it must see it: export policy, link-local
 * addresses dropped, addresses mapped. Adds to sel (clones where rewritten).
 */
static void select_export(struct proxy *p, struct rpeer *peer, const ldns_rr *const *recs,
                          size_t n, const struct policy_sender *sender, struct rrvec *sel)
{
	struct rrvec cand = {0};
	bool *allow = NULL;
	void *cbarg[2] = {p, peer};
	const struct dnssd_addrmap *map = policy_peer_addrmap(peer->pcfg);
	bool keep_ll = policy_peer_keep_linklocal(peer->pcfg);

	for (size_t i = 0; i < n; i++)
		rv_push(&cand, recs[i]);
	/*
	 * Host records follow services: the target's addresses go with a new SRV;
	 * and the enumeration PTR of a type goes with the type's PTRs.
	 */
	for (size_t i = 0; i < n; i++) {
		const ldns_rdf *host = srv_target(recs[i]);
		if (ldns_rr_ttl(recs[i]) == 0)
			continue;
		if (host) {
			add_cached(p, &cand, host, LDNS_RR_TYPE_A, NULL);
			add_cached(p, &cand, host, LDNS_RR_TYPE_AAAA, NULL);
		} else if (rr_type(recs[i]) == LDNS_RR_TYPE_PTR &&
		           dnssd_name_kind(ldns_rr_owner(recs[i])) ==
		               DNSSD_NAME_SERVICE_TYPE) {
			add_cached(p, &cand, p->enum_name, LDNS_RR_TYPE_PTR,
			           ldns_rr_owner(recs[i]));
		}
	}
	if (!cand.n || !(allow = calloc(cand.n, sizeof(*allow))))
		goto out;

	struct policy_filter_ctx ctx = {
	    .rules = policy_peer_export(peer->pcfg),
	    .sender = sender,
	    .host_known = exp_host_known,
	    .instance_host = local_instance_host,
	    .arg = cbarg,
	};
	policy_filter(&ctx, cand.v, cand.n, allow);

	for (size_t i = 0; i < cand.n; i++) {
		const ldns_rr *rr = cand.v[i];
		int af;
		const uint8_t *a;
		if (!allow[i]) {
			if (i < n)
				p->st.drops[PROXY_DROP_POLICY]++;
			continue;
		}
		if (rr_type(rr) == LDNS_RR_TYPE_PTR && ldns_rr_ttl(rr) > 0 &&
		    dnssd_name_kind(ldns_rr_owner(rr)) == DNSSD_NAME_ENUM &&
		    !type_has_instances(p, rr))
			continue;
		if (rr_addr(rr, &af, &a)) {
			if (!keep_ll && dnssd_addr_is_linklocal(af, a))
				continue;
			uint8_t buf[16];
			memcpy(buf, a, af == AF_INET ? 4 : 16);
			if (dnssd_addrmap_apply(map, af, buf)) {
				ldns_rr *c = ldns_rr_clone(rr);
				ldns_rdf *d = ldns_rdf_new_frm_data(
				    af == AF_INET ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA,
				    af == AF_INET ? 4 : 16, buf);
				if (!c || !d) {
					ldns_rr_free(c);
					ldns_rdf_deep_free(d);
					continue;
				}
				ldns_rdf_deep_free(ldns_rr_set_rdf(c, d, 0));
				rv_push_own(sel, c);
				continue;
			}
		}
		const ldns_rdf *host = srv_target(rr);
		if (host && ldns_rr_ttl(rr) > 0) {
			struct nent *h = ntab_add(&peer->exp_hosts, host, 0);
			uint64_t exp = p->now + (uint64_t)ldns_rr_ttl(rr) * 1000;
			if (h && exp > h->t)
				h->t = exp;
		}
		rv_push(sel, rr);
	}
out:
	free(allow);
	/* records built from the cache may be in sel: they live as long as it does */
	if (rv_give(sel, &cand) < 0)
		sel->n = 0; /* cannot keep them: select nothing rather than dangle */
	rv_free(&cand);
}

/*
 * Export recs to one peer: select, hold back services whose host has no usable
 * address yet, de-duplicate (unless force) and send.
 */
static void export_batch(struct proxy *p, struct rpeer *peer, const ldns_rr *const *recs,
                         size_t n, const struct policy_sender *sender, bool force)
{
	struct rrvec sel = {0}, out = {0};
	bool recheck = false;

	select_export(p, peer, recs, n, sender, &sel);
	for (size_t i = 0; i < sel.n; i++) {
		const ldns_rr *rr = sel.v[i];
		const ldns_rdf *inst = instance_of(rr), *host;
		bool ask_srv;
		uint16_t t = rr_type(rr);

		if (((t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_AAAA) &&
		     ntab_find(&peer->held, ldns_rr_owner(rr), HELD_HOST)) ||
		    (t == LDNS_RR_TYPE_SRV &&
		     ntab_find(&peer->held, ldns_rr_owner(rr), 0)))
			recheck = true;
		if (inst && ldns_rr_ttl(rr) == 0) {
			unhold_rr(peer, inst, rr);
		} else if (inst && !instance_ready(p, peer, inst, &host, &ask_srv)) {
			if (!ntab_find(&peer->held, inst, 0) &&
			    ntab_count(&peer->held) >= HELD_MAX) {
				/* services that never complete, by the thousand */
				p->st.drops[PROXY_DROP_LIMIT]++;
				continue;
			}
			hold_rr(peer, inst, rr, p->now);
			hold_host(p, peer, inst, rr);
			if (ask_srv) {
				lan_ask(p, inst, LDNS_RR_TYPE_SRV);
				lan_ask(p, inst, LDNS_RR_TYPE_TXT);
			} else if (host) {
				lan_ask(p, host, LDNS_RR_TYPE_A);
				lan_ask(p, host, LDNS_RR_TYPE_AAAA);
			}
			continue;
		}
		bool go = dnssd_sent_check(peer->sent, rr, p->now);
		if (go || (force && ldns_rr_ttl(rr) > 0))
			rv_push(&out, rr);
	}
	if (recheck && ntab_count(&peer->held)) {
		struct release_ctx rc = {p, peer, &out};
		ntab_filter(&peer->held, release_ready, &rc);
	}
	send_records(p, peer, &out);
	/* out may point at clones owned by sel */
	rv_free(&out);
	rv_free(&sel);
}

static void export_all_peers(struct proxy *p, const ldns_rr *const *recs, size_t n,
                             const struct policy_sender *sender)
{
	for (size_t i = 0; i < p->npeers; i++)
		if (p->peers[i]->up)
			export_batch(p, p->peers[i], recs, n, sender, false);
}

/* Whether a name is one we announce for a peer (or did lately). */
static bool name_is_remote(struct proxy *p, const ldns_rdf *name)
{
	const struct nent *a = ntab_find(&p->alias, name, 0);
	if (a)
		return true;
	for (size_t i = 0; i < p->npeers; i++) {
		struct dnssd_entry *tmp[1];
		if (dnssd_cache_find(p->peers[i]->remote, name, LDNS_RR_TYPE_ANY, 0,
		                     p->now, tmp, 1) > 0)
			return true;
	}
	return false;
}

/* Whether some up peer may be offered services of this type. */
static bool type_exported(struct proxy *p, const ldns_rdf *type)
{
	struct dnssd_svcname sn;
	if (dnssd_svcname_parse(type, &sn) < 0 || sn.kind != DNSSD_NAME_SERVICE_TYPE)
		return false;
	struct policy_subject s = {.service = sn.service};
	for (size_t i = 0; i < p->npeers; i++)
		if (p->peers[i]->up &&
		    policy_decide_any_instance(policy_peer_export(p->peers[i]->pcfg),
		                               &s) == POLICY_ALLOW)
			return true;
	return false;
}

/* ------------------------------------------------------------ LAN input */

static bool any_peer_up(const struct proxy *p)
{
	for (size_t i = 0; i < p->npeers; i++)
		if (p->peers[i]->up)
			return true;
	return false;
}

/* A record of the LAN on ifindex (heard, or found by another browser): cached, and
 * collected in recs for export. */
static void local_rr(struct proxy *p, unsigned ifindex,
                     const struct policy_sender *sender, const ldns_rr *rr, bool any_up,
                     struct rrvec *recs)
{
	const ldns_rdf *subj;
	if (!rr || rr_type(rr) == LDNS_RR_TYPE_NSEC ||
	    dnssd_rr_class(rr) != LDNS_RR_CLASS_IN ||
	    dnssd_name_kind(ldns_rr_owner(rr)) == DNSSD_NAME_REVERSE)
		return;
	subj = subject_name(rr);
	if (subj && name_is_remote(p, subj)) {
		/* our own announcement repeated by another responder */
		p->st.drops[PROXY_DROP_LOOP]++;
		return;
	}
	struct dnssd_entry *e = NULL;
	if (dnssd_cache_put(p->local, rr, ifindex, p->now, &e, NULL, NULL) == -ENOSPC)
		p->st.drops[PROXY_DROP_LIMIT]++;
	if (e)
		set_entry_sender(e, sender);
	rv_push(recs, rr);
	/* Browsing: the types a peer may have are asked for in turn. */
	if (any_up && rr_type(rr) == LDNS_RR_TYPE_PTR && ldns_rr_ttl(rr) > 0 &&
	    dnssd_name_kind(ldns_rr_owner(rr)) == DNSSD_NAME_ENUM && rdf_name(rr, 0) &&
	    type_exported(p, rdf_name(rr, 0)))
		lan_ask(p, rdf_name(rr, 0), LDNS_RR_TYPE_PTR);
}

static void lan_response(struct proxy *p, unsigned ifindex, const struct sockaddr *src,
                         const struct dnssd_msg *m)
{
	static const enum dnssd_section secs[2] = {DNSSD_SEC_ANSWER,
	                                           DNSSD_SEC_ADDITIONAL};
	struct rrvec recs = {0};
	struct policy_sender sender;
	bool any_up = any_peer_up(p);

	sa_sender(src, &sender);
	for (int s = 0; s < 2; s++) {
		size_t n = dnssd_msg_count(m, secs[s]);
		for (size_t i = 0; i < n; i++)
			local_rr(p, ifindex, &sender, dnssd_msg_rr(m, secs[s], i), any_up,
			         &recs);
	}
	if (recs.n && any_up)
		export_all_peers(p, recs.v, recs.n, &sender);
	rv_free(&recs);
}

struct ans {
	struct rpeer *peer;
	struct dnssd_entry *e;
	uint8_t sec;
};

struct avec {
	struct ans *v;
	size_t n, cap;
};

static void av_push(struct avec *av, struct rpeer *peer, struct dnssd_entry *e,
                    uint8_t sec)
{
	for (size_t i = 0; i < av->n; i++)
		if (av->v[i].e == e) {
			if (sec == DNSSD_SEC_ANSWER)
				av->v[i].sec = sec;
			return;
		}
	if (grow((void **)&av->v, &av->cap, av->n + 1, sizeof(*av->v)) == 0)
		av->v[av->n++] = (struct ans){peer, e, sec};
}

/* Live records of name and type in one peer's cache (all peers when only is NULL). */
static void find_remote(struct proxy *p, struct rpeer *only, const ldns_rdf *name,
                        uint16_t type, uint8_t sec, struct avec *av)
{
	for (size_t i = 0; i < p->npeers; i++) {
		struct rpeer *peer = p->peers[i];
		struct dnssd_entry *stack[32], **tmp = stack;
		if (only && peer != only)
			continue;
		size_t m = dnssd_cache_find(peer->remote, name, type, 0, p->now, tmp, 32);
		if (m > 32) {
			if (!(tmp = calloc(m, sizeof(*tmp))))
				continue;
			m = dnssd_cache_find(peer->remote, name, type, 0, p->now, tmp, m);
		}
		for (size_t j = 0; j < m; j++)
			if (!dnssd_entry_is_goodbye(tmp[j]) &&
			    dnssd_entry_ttl_left(tmp[j], p->now))
				av_push(av, peer, tmp[j], sec);
		if (tmp != stack)
			free(tmp);
	}
}

/* RFC 6763 §12: SRV and TXT with a PTR answer, addresses with an SRV. */
static void add_additionals(struct proxy *p, struct avec *av)
{
	for (size_t i = 0; i < av->n; i++) {
		struct ans a = av->v[i];
		uint16_t type = dnssd_entry_type(a.e);
		if (type != LDNS_RR_TYPE_PTR && type != LDNS_RR_TYPE_SRV)
			continue;
		ldns_rr *rr = dnssd_entry_rr_new(a.e);
		const ldns_rdf *t;
		if (!rr)
			continue;
		if (rr_type(rr) == LDNS_RR_TYPE_PTR && a.sec == DNSSD_SEC_ANSWER &&
		    (t = rdf_name(rr, 0)) && dnssd_name_kind(t) == DNSSD_NAME_INSTANCE) {
			find_remote(p, a.peer, t, LDNS_RR_TYPE_SRV, DNSSD_SEC_ADDITIONAL,
			            av);
			find_remote(p, a.peer, t, LDNS_RR_TYPE_TXT, DNSSD_SEC_ADDITIONAL,
			            av);
		} else if ((t = srv_target(rr))) {
			find_remote(p, a.peer, t, LDNS_RR_TYPE_A, DNSSD_SEC_ADDITIONAL,
			            av);
			find_remote(p, a.peer, t, LDNS_RR_TYPE_AAAA, DNSSD_SEC_ADDITIONAL,
			            av);
		}
		ldns_rr_free(rr);
	}
}

/* RFC 6762 §7.1: the asker lists it with at least half its TTL. */
static bool known_answer(const struct dnssd_msg *m, const ldns_rr *rr)
{
	size_t n = dnssd_msg_count(m, DNSSD_SEC_ANSWER);
	for (size_t i = 0; i < n; i++) {
		const ldns_rr *ka = dnssd_msg_rr(m, DNSSD_SEC_ANSWER, i);
		if (ka && (uint64_t)ldns_rr_ttl(ka) * 2 >= ldns_rr_ttl(rr) &&
		    rr_same(ka, rr))
			return true;
	}
	return false;
}

/* known_answer() for a cached record, built only when the asker listed any. */
static bool known_entry(const struct dnssd_msg *m, const struct dnssd_entry *e)
{
	if (!dnssd_msg_count(m, DNSSD_SEC_ANSWER))
		return false;
	ldns_rr *rr = dnssd_entry_rr_new(e);
	bool known = rr && known_answer(m, rr);
	ldns_rr_free(rr);
	return known;
}

/* A token bucket in milli-tokens: rate a second, burst at most; takes n if there. */
static bool take_n(uint64_t *tok, uint64_t *t, uint64_t rate, uint64_t burst,
                   uint64_t now, uint64_t n)
{
	uint64_t cap = burst * 1000;
	if (now > *t) {
		uint64_t dt = now - *t;
		*tok =
		    dt >= cap / rate || *tok + dt * rate > cap ? cap : *tok + dt * rate;
	}
	*t = now;
	if (*tok < n * 1000)
		return false;
	*tok -= n * 1000;
	return true;
}

/*
 * Whether a LAN datagram fits the budgets of its source and of the LAN, at the
 * cost of the records and questions its header announces (decoding checks them).
 */
static bool lan_admit(struct proxy *p, const struct sockaddr *src, const uint8_t *buf,
                      size_t len)
{
	uint64_t n = 1, h = p->src_seed;
	const uint8_t *a;
	size_t alen;
	if (len >= 12)
		for (int i = 4; i < 12; i += 2)
			n += (uint64_t)buf[i] << 8 | buf[i + 1];
	if (n > len / 5 + 1) /* counts that lie; decoding drops it */
		n = len / 5 + 1;
	if (src->sa_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)(const void *)src)->sin6_addr.s6_addr;
		alen = 16;
	} else {
		a = (const uint8_t *)&((const struct sockaddr_in *)(const void *)src)
		        ->sin_addr;
		alen = 4;
	}
	for (size_t i = 0; i < alen; i++)
		h = (h ^ a[i]) * 0x100000001b3ULL;
	struct src_bucket *b = &p->src[(h ^ h >> 32) % SRC_SLOTS];
	return take_n(&b->tok, &b->t, SRC_RATE, SRC_BURST, p->now, n) &&
	       take_n(&p->lan_tok, &p->lan_tok_t, LAN_RATE, LAN_BURST, p->now, n);
}

static bool take_token(uint64_t *tok, uint64_t *t, uint32_t rate, uint64_t now)
{
	uint64_t cap = (uint64_t)rate * 1000;
	if (!rate)
		return false;
	if (now > *t) {
		uint64_t add = (now - *t) * rate;
		*tok = (*tok + add > cap || add / rate != now - *t) ? cap : *tok + add;
	}
	*t = now;
	if (*tok < 1000)
		return false;
	*tok -= 1000;
	return true;
}

/* Whether the peer's import rules could take services of this type name. */
static bool import_wants(const struct rpeer *peer, const ldns_rdf *name)
{
	struct dnssd_svcname sn;
	const struct policy_ruleset *rs = policy_peer_import(peer->pcfg);
	if (dnssd_svcname_parse(name, &sn) < 0)
		return false;
	if (sn.kind == DNSSD_NAME_ENUM)
		return policy_ruleset_count(rs) > 0;
	if (sn.kind != DNSSD_NAME_SERVICE_TYPE && sn.kind != DNSSD_NAME_SUBTYPE)
		return false;
	struct policy_subject s = {.service = sn.service,
	                           .subtype =
	                               sn.kind == DNSSD_NAME_SUBTYPE ? sn.subtype : NULL};
	return policy_decide_any_instance(rs, &s) == POLICY_ALLOW;
}

/* Forward q to peer (asking for name there) when its cache cannot answer well. */
static void maybe_forward(struct proxy *p, struct rpeer *peer, const ldns_rr *q,
                          const ldns_rdf *name)
{
	const ldns_rdf *qname = ldns_rr_owner(q);
	uint16_t qtype = rr_type(q);
	struct avec av = {0};
	bool need;

	if (!peer->up)
		return;
	find_remote(p, peer, qname, qtype, DNSSD_SEC_ANSWER, &av);
	need = av.n == 0;
	for (size_t i = 0; i < av.n && !need; i++) {
		uint64_t ttl = dnssd_entry_ttl(av.v[i].e);
		uint64_t age = p->now - dnssd_entry_updated(av.v[i].e);
		need = age >= ttl * NEAR_EXPIRY_PERMILLE;
	}
	free(av.v);
	if (!need)
		return;
	struct nent *f = ntab_find(&peer->fwd, qname, qtype);
	if (f && p->now < f->t + FWD_GAP_MS)
		return;
	if (!take_token(&peer->tok, &peer->tok_t,
	                policy_config_queries_per_second(p->cfg), p->now)) {
		p->st.drops[PROXY_DROP_RATE]++;
		return;
	}
	if ((f = ntab_add(&peer->fwd, qname, qtype)))
		f->t = p->now;
	rv_push_own(&peer->fwdq, make_question(name, qtype));
}

/* Which peers own a name asked on the LAN, and the name there. */
static void forward_question(struct proxy *p, const ldns_rr *q)
{
	const ldns_rdf *qname = ldns_rr_owner(q);
	enum dnssd_name_kind k = dnssd_name_kind(qname);
	const struct nent *a = ntab_find(&p->alias, qname, 0);
	bool done = false;

	if (a && a->peer && a->name) {
		maybe_forward(p, a->peer, q, a->name);
		return;
	}
	if (k == DNSSD_NAME_ENUM || k == DNSSD_NAME_SERVICE_TYPE ||
	    k == DNSSD_NAME_SUBTYPE) {
		for (size_t i = 0; i < p->npeers; i++)
			if (p->peers[i]->up && import_wants(p->peers[i], qname))
				maybe_forward(p, p->peers[i], q, qname);
		return;
	}
	if (k != DNSSD_NAME_INSTANCE && k != DNSSD_NAME_HOST)
		return;
	for (size_t i = 0; i < p->npeers; i++) {
		struct rpeer *peer = p->peers[i];
		if (!peer->up)
			continue;
		ldns_rdf *un = dnssd_unrename_name(p->rename, peer->name, qname);
		if (un && !name_eq(un, qname)) {
			maybe_forward(p, peer, q, un);
			done = true;
		}
		ldns_rdf_deep_free(un);
	}
	if (done)
		return;
	/* Names kept as they are (empty templates): whoever holds them. */
	for (size_t i = 0; i < p->npeers; i++) {
		struct dnssd_entry *tmp[1];
		if (p->peers[i]->up &&
		    dnssd_cache_find(p->peers[i]->remote, qname, LDNS_RR_TYPE_ANY, 0,
		                     p->now, tmp, 1))
			maybe_forward(p, p->peers[i], q, qname);
	}
}

static void flush_fwd(struct proxy *p)
{
	for (size_t i = 0; i < p->npeers; i++) {
		struct rpeer *peer = p->peers[i];
		if (!peer->fwdq.n)
			continue;
		if (p->io.peer_send_questions &&
		    p->io.peer_send_questions(p->io.arg, peer->id, peer->fwdq.v,
		                              peer->fwdq.n) >= 0) {
			peer->questions_out += peer->fwdq.n;
			p->st.questions_forwarded += peer->fwdq.n;
		} else {
			p->st.peer_send_errors++;
		}
		rv_free(&peer->fwdq);
	}
}

/* Unicast answers: QU questions, unicast queries and legacy unicast (RFC 6762 §6.7). */
static void send_unicast(struct proxy *p, unsigned ifindex, const struct sockaddr *src,
                         const struct dnssd_msg *m, const struct avec *av, bool legacy)
{
	int af = src->sa_family;
	size_t mtu = mtu_for(p, ifindex, af);
	struct dnssd_enc *enc =
	    dnssd_enc_new(mtu ? mtu : 512, true, legacy ? dnssd_msg_id(m) : 0);
	if (!enc)
		return;
	if (legacy) {
		size_t nq = dnssd_msg_count(m, DNSSD_SEC_QUESTION);
		for (size_t i = 0; i < nq; i++)
			dnssd_enc_question(enc, dnssd_msg_rr(m, DNSSD_SEC_QUESTION, i));
	}
	for (int pass = 0; pass < 2; pass++) {
		enum dnssd_section want = pass ? DNSSD_SEC_ADDITIONAL : DNSSD_SEC_ANSWER;
		for (size_t i = 0; i < av->n; i++) {
			if (av->v[i].sec != want)
				continue;
			uint32_t ttl = dnssd_entry_ttl_left(av->v[i].e, p->now);
			ldns_rr *c = entry_rr_ttl(av->v[i].e, ttl);
			if (!c)
				continue;
			if (legacy) {
				if (ttl > LEGACY_TTL_MAX)
					ldns_rr_set_ttl(c, LEGACY_TTL_MAX);
				ldns_rr_set_class(c, (ldns_rr_class)dnssd_rr_class(c));
			}
			dnssd_enc_rr(enc, want, c);
			ldns_rr_free(c);
			if (want == DNSSD_SEC_ANSWER)
				p->st.answers_unicast++;
		}
	}
	send_enc(p, enc, ifindex, af, src);
	dnssd_enc_free(enc);
}

/* Known answers that follow a TC query cancel what is queued for that asker. */
static void drop_known_pending(struct proxy *p, size_t pos, int fam, uint32_t src,
                               const struct dnssd_msg *m)
{
	struct outq *q = &p->ifs[pos].q[fam];
	size_t keep = 0;
	for (size_t i = 0; i < q->n; i++) {
		struct oitem *it = &q->v[i];
		if (it->kind == OI_ANSWER && it->src == src && it->peer) {
			struct dnssd_entry *e = dnssd_cache_get(it->peer->remote, it->r->rr);
			if (e && known_entry(m, e)) {
				qrr_put(it->r);
				continue;
			}
		}
		q->v[keep++] = *it;
	}
	q->n = keep;
}

static void lan_query(struct proxy *p, unsigned ifindex, const struct sockaddr *src,
                      bool dst_multicast, const struct dnssd_msg *m)
{
	size_t pos = 0;
	struct iface *ifc = iface_find(p, ifindex, &pos);
	int fam = af_fam(src->sa_family);
	bool legacy = sa_port(src) != DNSSD_MDNS_PORT;
	size_t nq = dnssd_msg_count(m, DNSSD_SEC_QUESTION);
	uint32_t srch = sa_hash(src);
	struct avec uni = {0};

	if (!ifc || fam < 0)
		return;
	if (nq == 0) {
		drop_known_pending(p, pos, fam, srch, m);
		return;
	}
	uint64_t delay = (dnssd_msg_truncated(m) ? TC_DELAY_MIN_MS : DELAY_MIN_MS) +
	                 rnd(p) % DELAY_SPAN_MS;
	for (size_t i = 0; i < nq; i++) {
		const ldns_rr *q = dnssd_msg_rr(m, DNSSD_SEC_QUESTION, i);
		struct avec av = {0};
		uint16_t kl;
		if (!q)
			continue;
		kl = dnssd_rr_class(q);
		if (kl != LDNS_RR_CLASS_IN && kl != LDNS_RR_CLASS_ANY)
			continue;
		if (!p->ext_live) {
			find_remote(p, NULL, ldns_rr_owner(q), rr_type(q),
			            DNSSD_SEC_ANSWER, &av);
			add_additionals(p, &av);
		}
		size_t keep = 0;
		for (size_t j = 0; j < av.n; j++)
			if (!known_entry(m, av.v[j].e))
				av.v[keep++] = av.v[j];
		av.n = keep;
		if (legacy || !dst_multicast || dnssd_q_unicast(q)) {
			for (size_t j = 0; j < av.n; j++)
				av_push(&uni, av.v[j].peer, av.v[j].e, av.v[j].sec);
		} else {
			for (size_t j = 0; j < av.n; j++)
				q_push(&ifc->q[fam], qrr_new(dnssd_entry_rr_new(av.v[j].e)),
				       av.v[j].peer, p->now + delay, p->now, srch,
				       av.v[j].sec, OI_ANSWER);
		}
		free(av.v);
		forward_question(p, q);
	}
	if (uni.n)
		send_unicast(p, ifindex, src, m, &uni, legacy);
	free(uni.v);
}

void proxy_lan_input(struct proxy *p, unsigned ifindex, const struct sockaddr *src,
                     bool dst_multicast, const uint8_t *buf, size_t len, uint64_t now_ms)
{
	struct dnssd_msg *m = NULL;
	enum dnssd_reason why = DNSSD_R_OK;

	if (!p || !src || !buf)
		return;
	p->now = now_ms;
	p->st.lan_packets_in++;
	p->st.lan_bytes_in += len;
	if (!iface_find(p, ifindex, NULL))
		return;
	if (!lan_admit(p, src, buf, len)) {
		p->st.drops[PROXY_DROP_SOURCE]++;
		return;
	}
	if (dnssd_msg_decode(buf, len, &m, &why) < 0) {
		if ((unsigned)why < DNSSD_R_MAX)
			p->st.decode_drops[why]++;
		return;
	}
	if (dnssd_msg_kind(m) == DNSSD_RESPONSE) {
		if (sa_port(src) != DNSSD_MDNS_PORT)
			p->st.drops[PROXY_DROP_NOT_MDNS_PORT]++;
		else
			lan_response(p, ifindex, src, m);
	} else {
		lan_query(p, ifindex, src, dst_multicast, m);
	}
	dnssd_msg_free(m);
	flush_fwd(p);
	flush_ask(p);
	flush_due(p);
}

/* ------------------------------------------------------------ import from peers */

static bool imp_host_known(void *arg, const ldns_rdf *host)
{
	const struct proxy *p = ((void **)arg)[0];
	const struct rpeer *peer = ((void **)arg)[1];
	const struct nent *e = ntab_find(&peer->imp_hosts, host, 0);
	return e && e->t > p->now;
}

static const ldns_rdf *imp_instance_host(void *arg, const ldns_rdf *instance)
{
	const struct rpeer *peer = ((void **)arg)[1];
	const struct nent *e = ntab_find(&peer->imp_inst, instance, 0);
	return e ? e->name : NULL;
}

static void alias_put(struct proxy *p, struct rpeer *peer, const ldns_rdf *renamed,
                      const ldns_rdf *orig, uint64_t exp)
{
	if (name_eq(renamed, orig))
		return;
	struct nent *a = ntab_add(&p->alias, renamed, 0);
	if (!a)
		return;
	if ((!a->name || !name_eq(a->name, orig)) && !(a = nent_set_name(&p->alias, a, orig)))
		return;
	a->peer = peer;
	if (exp > a->t)
		a->t = exp;
}

static void record_aliases(struct proxy *p, struct rpeer *peer, const ldns_rr *orig,
                           const ldns_rr *renamed)
{
	uint64_t exp = p->now + (uint64_t)ldns_rr_ttl(orig) * 1000;
	alias_put(p, peer, ldns_rr_owner(renamed), ldns_rr_owner(orig), exp);
	for (size_t i = 0; i < ldns_rr_rd_count(orig) && i < ldns_rr_rd_count(renamed);
	     i++) {
		const ldns_rdf *a = rdf_name(orig, i), *b = rdf_name(renamed, i);
		if (a && b)
			alias_put(p, peer, b, a, exp);
	}
}

/* The record as it was at its site: names back through the alias table. */
static ldns_rr *unrename_rr(struct proxy *p, const ldns_rr *rr)
{
	ldns_rr *c = ldns_rr_clone(rr);
	const struct nent *a;
	if (!c)
		return NULL;
	if ((a = ntab_find(&p->alias, ldns_rr_owner(c), 0)) && a->name) {
		ldns_rdf *n = ldns_rdf_clone(a->name);
		if (n) {
			ldns_rdf_deep_free(ldns_rr_owner(c));
			ldns_rr_set_owner(c, n);
		}
	}
	for (size_t i = 0; i < ldns_rr_rd_count(c); i++) {
		const ldns_rdf *d = rdf_name(c, i);
		if (d && (a = ntab_find(&p->alias, d, 0)) && a->name) {
			ldns_rdf *n = ldns_rdf_clone(a->name);
			if (n)
				ldns_rdf_deep_free(ldns_rr_set_rdf(c, n, i));
		}
	}
	return c;
}

/* A record pushed out of a full cache leaves the LAN too. */
static void remote_evicted(void *arg, struct dnssd_entry *e)
{
	struct proxy *p = arg;
	p->st.drops[PROXY_DROP_LIMIT]++;
	p->pub_dirty = true;
	lan_goodbye_entry(p, e);
}

/* Put a renamed record into the peer's cache and say so on the LAN. */
static void import_put(struct proxy *p, struct rpeer *peer, const ldns_rr *rr)
{
	struct dnssd_entry *e = NULL;
	int r = dnssd_cache_put(peer->remote, rr, 0, p->now, &e, remote_evicted, p);
	const struct nent *f;

	switch (r) {
	case -ENOSPC:
		p->st.drops[PROXY_DROP_LIMIT]++;
		break;
	case DNSSD_PUT_NEW:
		p->pub_dirty = true;
		announce(p, peer, rr);
		if (p->io.service_event && rr_type(rr) == LDNS_RR_TYPE_SRV)
			p->io.service_event(p->io.arg, peer->id, PROXY_SVC_IMPORTED,
			                    ldns_rr_owner(rr));
		break;
	case DNSSD_PUT_CHANGED: /* a new TTL is no news (RFC 6762 §8.4: rdata is) */
	case DNSSD_PUT_REFRESHED:
		/* the answer to a question we forwarded: tell the askers */
		f = ntab_find(&peer->fwd, ldns_rr_owner(rr), rr_type(rr));
		if (!f)
			f = ntab_find(&peer->fwd, ldns_rr_owner(rr), LDNS_RR_TYPE_ANY);
		if (f && p->now < f->t + FWD_PENDING_MS)
			queue_answer(p, rr, peer, f->t);
		break;
	case DNSSD_PUT_GOODBYE:
		p->pub_dirty = true;
		lan_goodbye(p, rr);
		if (p->io.service_event && rr_type(rr) == LDNS_RR_TYPE_SRV)
			p->io.service_event(p->io.arg, peer->id, PROXY_SVC_UNIMPORTED,
			                    ldns_rr_owner(rr));
		if (e)
			dnssd_cache_remove(peer->remote, e);
		break;
	default:
		break;
	}
}

static void import_track(struct proxy *p, struct rpeer *peer, const ldns_rr *rr)
{
	const ldns_rdf *host = srv_target(rr);
	if (!host || ldns_rr_ttl(rr) == 0)
		return;
	uint64_t exp = p->now + (uint64_t)ldns_rr_ttl(rr) * 1000;
	struct nent *h = ntab_add(&peer->imp_hosts, host, 0);
	if (h && exp > h->t)
		h->t = exp;
	struct nent *in = ntab_add(&peer->imp_inst, ldns_rr_owner(rr), 0);
	if (in && (!in->name || !name_eq(in->name, host)))
		in = nent_set_name(&peer->imp_inst, in, host);
	if (in && exp > in->t)
		in->t = exp;
}

/* Import policy, renaming and caching of records as they are at the peer's site. */
static void import_records(struct proxy *p, struct rpeer *peer, const ldns_rr *const *rrs,
                           size_t n, const struct dnssd_rename *rn)
{
	bool *allow = calloc(n ? n : 1, sizeof(*allow));
	void *cbarg[2] = {p, peer};
	if (!allow)
		return;
	struct policy_filter_ctx ctx = {
	    .rules = policy_peer_import(peer->pcfg),
	    .host_known = imp_host_known,
	    .instance_host = imp_instance_host,
	    .arg = cbarg,
	};
	policy_filter(&ctx, rrs, n, allow);
	for (size_t i = 0; i < n; i++) {
		if (!allow[i]) {
			p->st.drops[PROXY_DROP_POLICY]++;
			continue;
		}
		import_track(p, peer, rrs[i]);
		ldns_rr *c = ldns_rr_clone(rrs[i]);
		if (!c)
			continue;
		if (dnssd_rename_rr(rn, peer->name, c) < 0) {
			p->st.drops[PROXY_DROP_RENAME]++;
			ldns_rr_free(c);
			continue;
		}
		record_aliases(p, peer, rrs[i], c);
		import_put(p, peer, c);
		ldns_rr_free(c);
	}
	free(allow);
}

void proxy_peer_records(struct proxy *p, unsigned peer_id, const char *origin,
                        unsigned hops, ldns_rr *const *rrs, size_t n, uint64_t now_ms)
{
	struct rpeer *peer;

	if (!p || (!rrs && n))
		return;
	p->now = now_ms;
	if (!(peer = peer_by_id(p, peer_id))) {
		p->st.drops[PROXY_DROP_PEER] += n;
		return;
	}
	if (!origin || strcmp(origin, policy_config_site(p->cfg)) == 0 || hops > 0) {
		p->st.drops[PROXY_DROP_LOOP] += n;
		return;
	}
	if (strcmp(origin, peer->name) != 0) {
		p->st.drops[PROXY_DROP_ORIGIN] += n;
		return;
	}
	peer->records_in += n;
	import_records(p, peer, (const ldns_rr *const *)rrs, n, p->rename);
	flush_due(p);
}

/* ------------------------------------------------------------ peer questions */

/*
 * Local records gathered for export, each with the sender that said it (kept in
 * the local entry's aux slots as an IPv6 or IPv4-mapped address), because
 * `address` rules decide on the sender.
 */
struct litem {
	const ldns_rr *rr;
	struct policy_sender snd;
	int rank;
};

struct lset {
	struct litem *v;
	size_t n, cap;
	struct rrvec own; /* clones carrying the TTL left */
};

static int type_rank_of(uint16_t type)
{
	switch (type) {
	case LDNS_RR_TYPE_SRV:
		return 0;
	case LDNS_RR_TYPE_TXT:
		return 1;
	case LDNS_RR_TYPE_PTR:
		return 2;
	case LDNS_RR_TYPE_A:
	case LDNS_RR_TYPE_AAAA:
		return 3;
	default:
		return 4;
	}
}

static int type_rank(const ldns_rr *rr)
{
	return type_rank_of(rr_type(rr));
}

/* Add a live entry; stored_ttl keeps the TTL as received rather than what is left. */
/*
 * Add entry e, as built already (rr, which ls then owns: it stays valid while
 * ls does, or is freed at once when false is returned) or else built here.
 */
static bool lset_add(struct proxy *p, struct lset *ls, struct dnssd_entry *e,
                     bool stored_ttl, ldns_rr *rr)
{
	uint32_t left = dnssd_entry_ttl_left(e, p->now);
	if (dnssd_entry_is_goodbye(e) || !left) {
		ldns_rr_free(rr);
		return false;
	}
	if (!rr)
		rr = dnssd_entry_rr_new(e);
	if (rr)
		ldns_rr_set_ttl(rr, stored_ttl ? dnssd_entry_ttl(e) : left);
	if (rv_push_own(&ls->own, rr) < 0)
		return false;
	if (grow((void **)&ls->v, &ls->cap, ls->n + 1, sizeof(*ls->v)) < 0)
		return false;
	ls->v[ls->n].rr = rr;
	entry_sender(e, &ls->v[ls->n].snd);
	ls->v[ls->n].rank = type_rank(rr);
	ls->n++;
	return true;
}

static void lset_free(struct lset *ls)
{
	free(ls->v);
	rv_free(&ls->own);
	memset(ls, 0, sizeof(*ls));
}

static int litem_cmp(const void *a, const void *b)
{
	const struct litem *x = a, *y = b;
	if (x->snd.af != y->snd.af)
		return x->snd.af - y->snd.af;
	int c = memcmp(x->snd.addr, y->snd.addr, sizeof(x->snd.addr));
	return c ? c : x->rank - y->rank;
}

/* Sort by sender, then services before the addresses that follow them. */
static void lset_sort(struct lset *ls)
{
	if (ls->n > 1)
		qsort(ls->v, ls->n, sizeof(*ls->v), litem_cmp);
}

/* Export (sel NULL) or only select (into sel) in slices of one sender each. */
static void lset_export(struct proxy *p, struct rpeer *peer, const struct lset *ls,
                        bool force, struct rrvec *sel)
{
	const ldns_rr *slice[EXPORT_SLICE];
	for (size_t i = 0; i < ls->n;) {
		size_t k = 0;
		const struct policy_sender *snd = &ls->v[i].snd;
		while (i + k < ls->n && k < EXPORT_SLICE &&
		       ls->v[i + k].snd.af == snd->af &&
		       memcmp(ls->v[i + k].snd.addr, snd->addr, sizeof(snd->addr)) == 0) {
			slice[k] = ls->v[i + k].rr;
			k++;
		}
		if (sel)
			select_export(p, peer, slice, k, snd->af ? snd : NULL, sel);
		else
			export_batch(p, peer, slice, k, snd->af ? snd : NULL, force);
		i += k;
	}
}

static void collect_entry(void *arg, struct dnssd_entry *e)
{
	struct proxy *p = ((void **)arg)[0];
	struct lset *ls = ((void **)arg)[1];
	bool stored = ((void **)arg)[2] != NULL;
	lset_add(p, ls, e, stored, NULL);
}

/* The whole local cache. */
static void collect_local(struct proxy *p, struct lset *ls, bool stored_ttl)
{
	void *arg[3] = {p, ls, stored_ttl ? p : NULL};
	dnssd_cache_foreach(p->local, collect_entry, arg);
	lset_sort(ls);
}

/* Local records answering a question, with their additional records (RFC 6763 §12). */
static void local_answers(struct proxy *p, const ldns_rdf *name, uint16_t type,
                          struct lset *out, int depth)
{
	struct dnssd_entry *stack[32], **tmp = stack;
	size_t m = dnssd_cache_find(p->local, name, type, 0, p->now, tmp, 32);
	if (m > 32) {
		if (!(tmp = calloc(m, sizeof(*tmp))))
			return;
		m = dnssd_cache_find(p->local, name, type, 0, p->now, tmp, m);
	}
	for (size_t i = 0; i < m; i++) {
		ldns_rr *rr = dnssd_entry_rr_new(tmp[i]);
		const ldns_rdf *t;
		bool dup = !rr;
		for (size_t k = 0; k < out->n && !dup; k++)
			dup = rr_same(out->v[k].rr, rr);
		if (dup) {
			ldns_rr_free(rr);
			continue;
		}
		/* out owns rr from here on */
		if (!lset_add(p, out, tmp[i], false, rr) || depth > 1)
			continue;
		if (rr_type(rr) == LDNS_RR_TYPE_PTR && (t = rdf_name(rr, 0)) &&
		    dnssd_name_kind(t) == DNSSD_NAME_INSTANCE) {
			local_answers(p, t, LDNS_RR_TYPE_SRV, out, depth + 1);
			local_answers(p, t, LDNS_RR_TYPE_TXT, out, depth + 1);
		} else if ((t = srv_target(rr))) {
			local_answers(p, t, LDNS_RR_TYPE_A, out, 2);
			local_answers(p, t, LDNS_RR_TYPE_AAAA, out, 2);
		}
	}
	if (tmp != stack)
		free(tmp);
}

void proxy_peer_questions(struct proxy *p, unsigned peer_id, ldns_rr *const *qs, size_t n,
                          uint64_t now_ms)
{
	struct rpeer *peer;
	struct lset recs = {0};

	if (!p || (!qs && n))
		return;
	p->now = now_ms;
	if (!(peer = peer_by_id(p, peer_id))) {
		p->st.drops[PROXY_DROP_PEER] += n;
		return;
	}
	peer->questions_in += n;
	for (size_t i = 0; i < n; i++) {
		const ldns_rr *q = qs[i];
		if (!q || !is_dname(ldns_rr_owner(q)))
			continue;
		if (!take_token(&peer->in_tok, &peer->in_tok_t,
		                policy_config_queries_per_second(p->cfg), p->now)) {
			p->st.drops[PROXY_DROP_RATE]++;
			continue;
		}
		lan_ask(p, ldns_rr_owner(q), rr_type(q));
		local_answers(p, ldns_rr_owner(q), rr_type(q), &recs, 0);
	}
	lset_sort(&recs);
	lset_export(p, peer, &recs, true, NULL);
	lset_free(&recs);
	flush_ask(p);
	flush_due(p);
}

/* ------------------------------------------------------------ peer state */

/*
 * Resync: the TTLs as received, as if the peer had heard the last announcement,
 * so that records it still holds are plain refreshes there, not news.
 */
static void export_everything(struct proxy *p, struct rpeer *peer)
{
	struct lset all = {0};
	collect_local(p, &all, true);
	lset_export(p, peer, &all, false, NULL);
	lset_free(&all);
}

struct ent_list {
	struct dnssd_entry **v;
	size_t n, cap;
};

static void list_entry(void *arg, struct dnssd_entry *e)
{
	struct ent_list *l = arg;
	if (!dnssd_entry_is_goodbye(e) &&
	    grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)) == 0)
		l->v[l->n++] = e;
}

struct types_ctx {
	struct proxy *p;
	struct rpeer *peer;
	struct ntab seen;
};

static void ask_type_of(void *arg, struct dnssd_entry *e)
{
	struct types_ctx *tc = arg;
	if (dnssd_entry_type(e) != LDNS_RR_TYPE_PTR)
		return;
	ldns_rr *rr = dnssd_entry_rr_new(e);
	if (!rr)
		return;
	const ldns_rdf *owner = ldns_rr_owner(rr);
	enum dnssd_name_kind k = dnssd_name_kind(owner);
	if ((k != DNSSD_NAME_SERVICE_TYPE && k != DNSSD_NAME_SUBTYPE) ||
	    ntab_find(&tc->seen, owner, 0) || !ntab_add(&tc->seen, owner, 0)) {
		ldns_rr_free(rr);
		return;
	}
	if (!take_token(&tc->peer->tok, &tc->peer->tok_t,
	                policy_config_queries_per_second(tc->p->cfg), tc->p->now))
		tc->p->st.drops[PROXY_DROP_RATE]++;
	else
		rv_push_own(&tc->peer->fwdq, make_question(owner, LDNS_RR_TYPE_PTR));
	ldns_rr_free(rr);
}

/* The service types (and subtypes) a peer gave us, asked for at its site: they keep
 * their names. */
static void ask_types_again(struct proxy *p, struct rpeer *peer)
{
	struct types_ctx tc = {p, peer, {0}};
	if (ntab_init(&tc.seen) < 0)
		return;
	dnssd_cache_foreach(peer->remote, ask_type_of, &tc);
	ntab_fini(&tc.seen);
}

struct stale_ctx {
	struct ent_list *l;
	uint64_t since;
};

static void list_stale(void *arg, struct dnssd_entry *e)
{
	struct stale_ctx *sc = arg;
	if (dnssd_entry_updated(e) < sc->since)
		list_entry(sc->l, e);
}

/* Withdraw from the LAN what the peer did not send again after the link came up. */
static void withdraw_stale(struct proxy *p, struct rpeer *peer)
{
	struct ent_list l = {0};
	struct stale_ctx sc = {&l, peer->since};
	dnssd_cache_foreach(peer->remote, list_stale, &sc);
	p->pub_dirty |= l.n > 0;
	for (size_t i = 0; i < l.n; i++) {
		lan_goodbye_entry(p, l.v[i]);
		dnssd_cache_remove(peer->remote, l.v[i]);
	}
	free(l.v);
}

void proxy_peer_up(struct proxy *p, unsigned peer_id, uint64_t now_ms)
{
	struct rpeer *peer;
	if (!p || !(peer = peer_by_id(p, peer_id)))
		return;
	p->now = now_ms;
	peer->up = true;
	peer->grace = false;
	peer->since = now_ms;
	dnssd_sent_clear(peer->sent);
	ntab_filter(&peer->exp_hosts, NULL, NULL);
	ntab_filter(&peer->held, NULL, NULL);
	ntab_filter(&peer->exp_inst, NULL, NULL);
	export_everything(p, peer);
	/* Learn what the LAN has now (browsing goes on from the answers). */
	lan_ask(p, p->enum_name, LDNS_RR_TYPE_PTR);
	/* What we hold from the peer must come again; a restarted peer is asked. */
	if (dnssd_cache_count(peer->remote)) {
		peer->resync = true;
		peer->resync_at = now_ms + RESYNC_WINDOW_MS;
		ask_types_again(p, peer);
	}
	flush_fwd(p);
	flush_ask(p);
	flush_due(p);
}

void proxy_peer_down(struct proxy *p, unsigned peer_id, uint64_t now_ms)
{
	struct rpeer *peer;
	if (!p || !(peer = peer_by_id(p, peer_id)) || !peer->up)
		return;
	p->now = now_ms;
	peer->up = false;
	peer->since = now_ms;
	peer->resync = false;
	peer->grace = true;
	peer->grace_at = now_ms + (uint64_t)policy_config_peer_grace(p->cfg) * 1000;
	rv_free(&peer->fwdq);
}

static void goodbye_entry(void *arg, struct dnssd_entry *e)
{
	if (!dnssd_entry_is_goodbye(e))
		lan_goodbye_entry(arg, e);
}

/* Everything learned from peer leaves the LAN now. */
static void withdraw_peer(struct proxy *p, struct rpeer *peer)
{
	p->pub_dirty = true;
	dnssd_cache_remove_origin(peer->remote, 0, goodbye_entry, p);
	ntab_filter(&peer->imp_hosts, NULL, NULL);
	ntab_filter(&peer->imp_inst, NULL, NULL);
	ntab_filter(&peer->fwd, NULL, NULL);
	purge_peer_items(p, peer);
}

static void rpeer_free(struct rpeer *peer)
{
	if (!peer)
		return;
	dnssd_sent_free(peer->sent);
	dnssd_cache_free(peer->remote);
	ntab_fini(&peer->exp_hosts);
	ntab_fini(&peer->held);
	ntab_fini(&peer->exp_inst);
	ntab_fini(&peer->imp_hosts);
	ntab_fini(&peer->imp_inst);
	ntab_fini(&peer->fwd);
	rv_free(&peer->fwdq);
	free(peer);
}

static struct rpeer *rpeer_new(const struct policy_config *cfg, unsigned id)
{
	const struct policy_peer *pc = policy_config_peer(cfg, id);
	struct rpeer *peer = calloc(1, sizeof(*peer));
	if (!peer || !pc)
		goto fail;
	peer->pcfg = pc;
	peer->id = id;
	snprintf(peer->name, sizeof(peer->name), "%s", policy_peer_name(pc));
	peer->remote_max = policy_config_max_records_per_peer(cfg);
	peer->tok = peer->in_tok = (uint64_t)policy_config_queries_per_second(cfg) * 1000;
	if (!(peer->sent = dnssd_sent_new(SENT_MAX_RECORDS)) ||
	    !(peer->remote = dnssd_cache_new(peer->remote_max)) ||
	    ntab_init(&peer->exp_hosts) < 0 || ntab_init(&peer->held) < 0 ||
	    ntab_init(&peer->exp_inst) < 0 || ntab_init(&peer->imp_hosts) < 0 ||
	    ntab_init(&peer->imp_inst) < 0 || ntab_init(&peer->fwd) < 0)
		goto fail;
	return peer;
fail:
	rpeer_free(peer);
	return NULL;
}

static bool alias_of_peer(struct nent *e, const void *arg)
{
	return e->peer == arg;
}

/* ------------------------------------------------------------ lifecycle */

struct proxy *proxy_new(const struct policy_config *cfg, const struct proxy_io *io)
{
	struct proxy *p;
	if (!cfg || !io || !(p = calloc(1, sizeof(*p))))
		return NULL;
	p->cfg = cfg;
	p->io = *io;
	p->rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uintptr_t)p;
	p->src_seed = rnd(p);
	if (ntab_init(&p->alias) < 0 || ntab_init(&p->asked) < 0 ||
	    ntab_init(&p->pub) < 0)
		goto fail;
	p->rename = dnssd_rename_new(policy_config_host_suffix(cfg),
	                             policy_config_instance_suffix(cfg));
	p->local = dnssd_cache_new(LOCAL_MAX_RECORDS);
	p->enum_name = ldns_dname_new_frm_str("_services._dns-sd._udp.local.");
	if (!p->rename || !p->local || !p->enum_name)
		goto fail;
	p->npeers = policy_config_npeers(cfg);
	if (!(p->peers = calloc(p->npeers ? p->npeers : 1, sizeof(*p->peers))))
		goto fail;
	for (size_t i = 0; i < p->npeers; i++)
		if (!(p->peers[i] = rpeer_new(cfg, (unsigned)i)))
			goto fail;
	return p;
fail:
	proxy_free(p);
	return NULL;
}

void proxy_free(struct proxy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < PROXY_MAX_INTERFACES; i++)
		for (int f = 0; f < NFAM; f++) {
			q_clear(&p->ifs[i].q[f]);
			free(p->ifs[i].q[f].v);
		}
	for (size_t i = 0; p->peers && i < p->npeers; i++)
		rpeer_free(p->peers[i]);
	free(p->peers);
	ntab_fini(&p->alias);
	ntab_fini(&p->asked);
	ntab_fini(&p->pub);
	rv_free(&p->askq);
	dnssd_cache_free(p->local);
	dnssd_rename_free(p->rename);
	ldns_rdf_deep_free(p->enum_name);
	ldns_rr_free(p->host_scratch);
	ldns_rr_free(p->ready_scratch);
	free(p);
}

struct ann_ctx {
	struct proxy *p;
	struct rpeer *peer;
	size_t pos;
};

static void announce_here(void *arg, struct dnssd_entry *e)
{
	struct ann_ctx *ac = arg;
	struct iface *ifc = &ac->p->ifs[ac->pos];
	if (dnssd_entry_is_goodbye(e))
		return;
	struct qrr *r = qrr_new(dnssd_entry_rr_new(e));
	for (int f = 0; f < NFAM && r; f++)
		for (int k = 0; k < 2; k++)
			q_push(&ifc->q[f], qrr_ref(r), ac->peer,
			       ac->p->now + (uint64_t)k * ANNOUNCE_GAP_MS, ac->p->now, 0,
			       DNSSD_SEC_ANSWER, OI_ANNOUNCE);
	qrr_put(r);
}

int proxy_add_interface(struct proxy *p, unsigned ifindex, const char *name,
                        uint64_t now_ms)
{
	size_t pos = PROXY_MAX_INTERFACES;
	if (!p || !ifindex)
		return -EINVAL;
	p->now = now_ms;
	if (iface_find(p, ifindex, NULL))
		return -EEXIST;
	for (size_t i = 0; i < PROXY_MAX_INTERFACES && pos == PROXY_MAX_INTERFACES; i++)
		if (!p->ifs[i].used)
			pos = i;
	if (pos == PROXY_MAX_INTERFACES)
		return -ENOSPC;
	struct iface *ifc = &p->ifs[pos];
	ifc->used = true;
	ifc->ifindex = ifindex;
	snprintf(ifc->name, sizeof(ifc->name), "%s", name ? name : "");
	/* A new link knows nothing: announce what we hold, ask what it has. */
	for (size_t i = 0; i < p->npeers && !p->ext_live; i++) {
		struct ann_ctx ac = {p, p->peers[i], pos};
		dnssd_cache_foreach(p->peers[i]->remote, announce_here, &ac);
	}
	ldns_rr *q = make_question(p->enum_name, LDNS_RR_TYPE_PTR);
	if (q) {
		const ldns_rr *qs[1] = {q};
		send_questions(p, pos, qs, 1);
		ldns_rr_free(q);
	}
	flush_due(p);
	return 0;
}

void proxy_remove_interface(struct proxy *p, unsigned ifindex)
{
	struct iface *ifc;
	if (!p || !(ifc = iface_find(p, ifindex, NULL)))
		return;
	for (int f = 0; f < NFAM; f++)
		q_clear(&ifc->q[f]);
	ifc->used = false;
	ifc->ifindex = 0;
}

static bool expired(struct nent *e, const void *arg)
{
	return e->t <= *(const uint64_t *)arg;
}

static bool alias_stale(struct nent *e, const void *arg)
{
	return e->t + ALIAS_KEEP_MS <= *(const uint64_t *)arg;
}

static void sweep(struct proxy *p)
{
	uint64_t now = p->now, ask_before = now > ASK_GAP_MS ? now - ASK_GAP_MS : 0;
	uint64_t fwd_before = now > FWD_PENDING_MS ? now - FWD_PENDING_MS : 0;
	ntab_filter(&p->alias, alias_stale, &now);
	ntab_filter(&p->asked, older_than, &ask_before);
	for (size_t i = 0; i < p->npeers; i++) {
		struct rpeer *peer = p->peers[i];
		ntab_filter(&peer->exp_hosts, expired, &now);
		ntab_filter(&peer->held, expired, &now);
		ntab_filter(&peer->exp_inst, expired, &now);
		ntab_filter(&peer->imp_hosts, expired, &now);
		ntab_filter(&peer->imp_inst, expired, &now);
		ntab_filter(&peer->fwd, older_than, &fwd_before);
		dnssd_sent_expire(peer->sent, now);
	}
}

/* ------------------------------------------------------------ external publisher */

/* A remote record went: what is published may have to change. */
static void remote_expired(void *arg, struct dnssd_entry *e)
{
	(void)e;
	((struct proxy *)arg)->pub_dirty = true;
}

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
	const uint8_t *d = data;
	for (size_t i = 0; i < n; i++) {
		h ^= d[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define FNV0 0xcbf29ce484222325ULL

/* The publisher's key for a renamed instance: its full name in lower case. */
static char *pub_key(const ldns_rdf *instance)
{
	char *k = dnssd_name_str(instance);
	for (char *c = k; c && *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return k;
}

/* The live record of name and type last put in the peer's cache, or NULL. */
static struct dnssd_entry *newest(struct proxy *p, struct rpeer *peer,
                                  const ldns_rdf *name, uint16_t type)
{
	struct dnssd_entry *v[8], *best = NULL;
	size_t n = dnssd_cache_find(peer->remote, name, type, 0, p->now, v, 8);
	for (size_t i = 0; i < n && i < 8; i++)
		if (!dnssd_entry_is_goodbye(v[i]) &&
		    (!best || dnssd_entry_updated(v[i]) > dnssd_entry_updated(best)))
			best = v[i];
	return best;
}

static bool has_ptr_to(struct proxy *p, struct rpeer *peer, const ldns_rdf *owner,
                       const ldns_rdf *instance)
{
	struct dnssd_entry *v[64];
	size_t n =
	    dnssd_cache_find(peer->remote, owner, LDNS_RR_TYPE_PTR, 0, p->now, v, 64);
	if (n > 64) {
		/* many instances of the type: the exact record answers */
		ldns_rr *rr = ldns_rr_new();
		ldns_rdf *o = ldns_rdf_clone(owner), *t = ldns_rdf_clone(instance);
		struct dnssd_entry *e = NULL;
		if (rr && o && t) {
			ldns_rr_set_owner(rr, o);
			ldns_rr_set_type(rr, LDNS_RR_TYPE_PTR);
			o = NULL;
			if (ldns_rr_push_rdf(rr, t)) {
				t = NULL;
				e = dnssd_cache_get(peer->remote, rr);
			}
		}
		ldns_rdf_deep_free(o);
		ldns_rdf_deep_free(t);
		ldns_rr_free(rr);
		return e && !dnssd_entry_is_goodbye(e);
	}
	bool found = false;
	for (size_t i = 0; i < n && !found; i++) {
		if (dnssd_entry_is_goodbye(v[i]))
			continue;
		ldns_rr *rr = dnssd_entry_rr_new(v[i]);
		found = rr && rdf_name(rr, 0) && name_eq(rdf_name(rr, 0), instance);
		ldns_rr_free(rr);
	}
	return found;
}

struct pub_lists {
	struct ent_list srv, sub;
};

static void list_pub(void *arg, struct dnssd_entry *e)
{
	struct pub_lists *l = arg;
	if (dnssd_entry_type(e) == LDNS_RR_TYPE_SRV) {
		list_entry(&l->srv, e);
	} else if (dnssd_entry_type(e) == LDNS_RR_TYPE_PTR) {
		ldns_rr *rr = dnssd_entry_rr_new(e);
		if (rr && dnssd_name_kind(ldns_rr_owner(rr)) == DNSSD_NAME_SUBTYPE)
			list_entry(&l->sub, e);
		ldns_rr_free(rr);
	}
}

/* Ask the owning peer for name and type (renamed here), as a LAN query would. */
static void pub_ask(struct proxy *p, const ldns_rdf *name, uint16_t type)
{
	ldns_rr *q = make_question(name, type);
	if (q)
		forward_question(p, q);
	ldns_rr_free(q);
}

#define PUB_MAX_ADDRS 16
#define PUB_MAX_TXT 256
#define PUB_MAX_SUB 16

/* publish_one() with the SRV record of e built. */
static void publish_srv(struct proxy *p, struct rpeer *peer, struct dnssd_entry *e,
                        const ldns_rr *srv, const struct ent_list *subs, struct ntab *seen)
{
	const ldns_rdf *inst = ldns_rr_owner(srv), *target = srv_target(srv);
	struct dnssd_svcname sn, tn, st;
	struct proxy_txt txt[PUB_MAX_TXT];
	struct proxy_addr addrs[PUB_MAX_ADDRS];
	char subv[PUB_MAX_SUB][64];
	const char *subp[PUB_MAX_SUB];
	size_t ntxt = 0, naddr = 0, nsub = 0;
	ldns_rdf *type = NULL;
	struct dnssd_entry *te, *av[PUB_MAX_ADDRS];
	char *key = NULL, *host = NULL;
	ldns_rr *trr = NULL;

	if (!target || ldns_rr_rd_count(srv) < 4 ||
	    newest(p, peer, inst, LDNS_RR_TYPE_SRV) != e ||
	    dnssd_svcname_parse(inst, &sn) < 0 || sn.kind != DNSSD_NAME_INSTANCE ||
	    memchr(sn.instance, 0, sn.instance_len))
		return;
	tn = sn;
	tn.kind = DNSSD_NAME_SERVICE_TYPE;
	if (dnssd_svcname_build(&tn, &type) < 0)
		return;
	bool complete = has_ptr_to(p, peer, type, inst);
	ldns_rdf_deep_free(type);
	if (!complete)
		return;
	/*
	 * Without a publisher the LAN's queries bring what is missing (the import
	 * policy may have refused the addresses before an allowed SRV came): ask.
	 */
	static const uint16_t atypes[2] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
	for (int k = 0; k < 2; k++) {
		size_t n = dnssd_cache_find(peer->remote, target, atypes[k], 0, p->now,
		                            av, PUB_MAX_ADDRS);
		for (size_t i = 0; i < n && i < PUB_MAX_ADDRS && naddr < PUB_MAX_ADDRS;
		     i++) {
			int af;
			const uint8_t *a;
			ldns_rr *arr = dnssd_entry_is_goodbye(av[i])
			                   ? NULL
			                   : dnssd_entry_rr_new(av[i]);
			if (arr && rr_addr(arr, &af, &a)) {
				addrs[naddr].af = af;
				memset(addrs[naddr].a, 0, sizeof(addrs[naddr].a));
				memcpy(addrs[naddr].a, a, af == AF_INET ? 4 : 16);
				naddr++;
			}
			ldns_rr_free(arr);
		}
	}
	te = newest(p, peer, inst, LDNS_RR_TYPE_TXT);
	if (!te)
		pub_ask(p, inst, LDNS_RR_TYPE_TXT);
	if (!naddr) {
		pub_ask(p, target, LDNS_RR_TYPE_A);
		pub_ask(p, target, LDNS_RR_TYPE_AAAA);
	}
	if (!te || !naddr || !(trr = dnssd_entry_rr_new(te)))
		return;
	for (size_t i = 0; i < ldns_rr_rd_count(trr) && ntxt < PUB_MAX_TXT; i++) {
		const ldns_rdf *d = ldns_rr_rdf(trr, i);
		if (ldns_rdf_get_type(d) != LDNS_RDF_TYPE_STR || ldns_rdf_size(d) < 1 ||
		    (size_t)ldns_rdf_data(d)[0] + 1 != ldns_rdf_size(d))
			goto out;
		/* an empty string alone is an empty TXT (RFC 6763 §6.1) */
		if (ldns_rdf_data(d)[0] || ldns_rr_rd_count(trr) > 1)
			txt[ntxt++] =
			    (struct proxy_txt){ldns_rdf_data(d) + 1, ldns_rdf_data(d)[0]};
	}
	for (size_t i = 0; i < subs->n && nsub < PUB_MAX_SUB; i++) {
		ldns_rr *sp = dnssd_entry_rr_new(subs->v[i]);
		if (sp && rdf_name(sp, 0) && name_eq(rdf_name(sp, 0), inst) &&
		    dnssd_svcname_parse(ldns_rr_owner(sp), &st) == 0 &&
		    st.kind == DNSSD_NAME_SUBTYPE) {
			memcpy(subv[nsub], st.subtype, sizeof(subv[nsub]));
			subp[nsub] = subv[nsub];
			nsub++;
		}
		ldns_rr_free(sp);
	}
	if (!(key = pub_key(inst)) || !(host = dnssd_name_str(target)))
		goto out;
	size_t hl = strlen(host);
	if (hl > 1 && host[hl - 1] == '.')
		host[hl - 1] = '\0';
	uint16_t port = ldns_rdf2native_int16(ldns_rr_rdf(srv, 2));

	/* What was set, in a hash: order of addresses and subtypes does not matter. */
	uint64_t h = fnv(FNV0, key, strlen(key) + 1), sum = 0;
	h = fnv(h, sn.instance, sn.instance_len + 1);
	h = fnv(h, host, strlen(host) + 1);
	h = fnv(h, &port, sizeof(port));
	for (size_t i = 0; i < ntxt; i++) {
		uint8_t l = (uint8_t)txt[i].len;
		h = fnv(fnv(h, &l, 1), txt[i].data, txt[i].len);
	}
	for (size_t i = 0; i < naddr; i++)
		sum += fnv(FNV0, &addrs[i], sizeof(addrs[i]));
	for (size_t i = 0; i < nsub; i++)
		sum += fnv(fnv(FNV0, "s", 1), subv[i], strlen(subv[i]));
	h = fnv(h, &sum, sizeof(sum));

	ntab_add(seen, inst, 0);
	struct nent *pe = ntab_add(&p->pub, inst, 0);
	if (!pe || (pe->name && pe->t == h))
		goto out;
	if (!pe->name) {
		struct nent *named = nent_set_name(&p->pub, pe, inst);
		if (!named) {
			ntab_del(&p->pub, pe);
			goto out;
		}
		pe = named;
	}
	pe->t = h;
	struct proxy_service svc = {
	    .name = sn.instance,
	    .type = sn.service,
	    .domain = sn.domain,
	    .host = host,
	    .port = port,
	    .txt = txt,
	    .ntxt = ntxt,
	    .subtypes = subp,
	    .nsubtypes = nsub,
	    .addrs = addrs,
	    .naddrs = naddr,
	};
	p->io.service_set(p->io.arg, key, &svc);
out:
	free(key);
	free(host);
	ldns_rr_free(trr);
}

/* Hand the service of SRV entry e to the publisher if complete and changed. */
static void publish_one(struct proxy *p, struct rpeer *peer, struct dnssd_entry *e,
                        const struct ent_list *subs, struct ntab *seen)
{
	ldns_rr *srv = dnssd_entry_rr_new(e);
	if (srv)
		publish_srv(p, peer, e, srv, subs, seen);
	ldns_rr_free(srv);
}

struct unpub_ctx {
	struct proxy *p;
	const struct ntab *seen;
};

static bool unpublish(struct nent *e, const void *arg)
{
	const struct unpub_ctx *uc = arg;
	if (e->name && ntab_find(uc->seen, e->name, 0))
		return false;
	char *key = e->name ? pub_key(e->name) : NULL;
	if (key)
		uc->p->io.service_remove(uc->p->io.arg, key);
	free(key);
	return true;
}

/* Bring the publisher in line with the remote caches: set what is new or changed,
 * remove what is no longer complete. */
static void publish_sync(struct proxy *p)
{
	struct ntab seen;

	p->pub_dirty = false;
	if (!p->io.service_set || !p->io.service_remove || ntab_init(&seen) < 0)
		return;
	for (size_t i = 0; i < p->npeers; i++) {
		struct pub_lists l = {{0}, {0}};
		dnssd_cache_foreach(p->peers[i]->remote, list_pub, &l);
		for (size_t j = 0; j < l.srv.n; j++)
			publish_one(p, p->peers[i], l.srv.v[j], &l.sub, &seen);
		free(l.srv.v);
		free(l.sub.v);
	}
	struct unpub_ctx uc = {p, &seen};
	ntab_filter(&p->pub, unpublish, &uc);
	ntab_fini(&seen);
	flush_fwd(p);
}

/*
 * What is published is in use, as if a LAN host browsed it all the time: ask the
 * owning peer before its records expire (maybe_forward asks only near expiry).
 * Without this the records would age out unseen while the publisher's clients keep
 * them, and a service type's long-lived PTR would keep their questions from being
 * forwarded afterwards.
 */
static void publish_refresh(struct proxy *p)
{
	static const uint16_t atypes[2] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
	if (!p->io.service_set || !p->pub.b)
		return;
	for (size_t b = 0; b <= p->pub.mask; b++)
		for (struct nent *e = p->pub.b[b]; e; e = e->next) {
			struct dnssd_entry *srv = NULL, *tmp[1];
			struct rpeer *peer = NULL;
			for (size_t i = 0; i < p->npeers && !srv; i++)
				if ((srv = newest(p, p->peers[i], e->name,
				                  LDNS_RR_TYPE_SRV)))
					peer = p->peers[i];
			ldns_rr *srr = srv ? dnssd_entry_rr_new(srv) : NULL;
			const ldns_rdf *target = srr ? srv_target(srr) : NULL;
			if (!target) {
				ldns_rr_free(srr);
				continue;
			}
			pub_ask(p, e->name, LDNS_RR_TYPE_SRV);
			pub_ask(p, e->name, LDNS_RR_TYPE_TXT);
			for (int k = 0; k < 2; k++)
				if (dnssd_cache_find(peer->remote, target, atypes[k], 0,
				                     p->now, tmp, 1))
					pub_ask(p, target, atypes[k]);
			struct dnssd_svcname sn;
			ldns_rdf *type = NULL;
			if (dnssd_svcname_parse(e->name, &sn) == 0) {
				sn.kind = DNSSD_NAME_SERVICE_TYPE;
				if (dnssd_svcname_build(&sn, &type) == 0)
					pub_ask(p, type, LDNS_RR_TYPE_PTR);
			}
			ldns_rdf_deep_free(type);
			ldns_rr_free(srr);
		}
	flush_fwd(p);
}

void proxy_set_external(struct proxy *p, bool live, uint64_t now_ms)
{
	if (!p || p->ext_live == live)
		return;
	p->now = now_ms;
	p->ext_live = live;
	for (size_t i = 0; i < PROXY_MAX_INTERFACES; i++) {
		if (!p->ifs[i].used)
			continue;
		for (int f = 0; f < NFAM; f++)
			q_clear(&p->ifs[i].q[f]);
		/* No goodbyes either way: the other one speaks for the same records. */
		for (size_t j = 0; j < p->npeers && !live; j++) {
			struct ann_ctx ac = {p, p->peers[j], i};
			dnssd_cache_foreach(p->peers[j]->remote, announce_here, &ac);
		}
	}
	flush_due(p);
}

/* ------------------------------------------------------------ services found */

#define FOUND_TTL_HOST 120   /* Avahi's TTL for SRV and address records */
#define FOUND_TTL_OTHER 4500 /* and for PTR and TXT */

static ldns_rr *found_rr(struct rrvec *v, const ldns_rdf *owner, uint16_t type,
                         uint32_t ttl, bool unique)
{
	ldns_rr *rr = ldns_rr_new();
	ldns_rdf *o = ldns_rdf_clone(owner);
	if (!rr || !o) {
		ldns_rr_free(rr);
		ldns_rdf_deep_free(o);
		return NULL;
	}
	ldns_rr_set_owner(rr, o);
	ldns_rr_set_type(rr, type);
	ldns_rr_set_ttl(rr, ttl);
	ldns_rr_set_class(rr, (ldns_rr_class)(LDNS_RR_CLASS_IN | (unique ? 0x8000 : 0)));
	if (rv_push_own(v, rr) < 0)
		return NULL;
	return rr;
}

/* Appends rdata field d (owned by rr from now on); false when out of memory. */
static bool push_rdf(ldns_rr *rr, ldns_rdf *d)
{
	if (!rr || !d || !ldns_rr_push_rdf(rr, d)) {
		ldns_rdf_deep_free(d);
		return false;
	}
	return true;
}

/* The records a responder sends for f (goodbyes: PTR, SRV, TXT with TTL 0) in v. */
static int found_records(struct proxy *p, const struct proxy_found *f, bool removed,
                         struct rrvec *v)
{
	struct dnssd_svcname sn = {.kind = DNSSD_NAME_INSTANCE};
	ldns_rdf *inst = NULL, *type = NULL, *host = NULL;
	ldns_rr *rr;
	int rc = -ENOMEM;
	bool ok = true;

	if (strlen(f->name) >= sizeof(sn.instance) ||
	    strlen(f->type) >= sizeof(sn.service) ||
	    (f->domain && strlen(f->domain) >= sizeof(sn.domain)) ||
	    f->ntxt > PUB_MAX_TXT)
		return -EINVAL;
	snprintf(sn.instance, sizeof(sn.instance), "%s", f->name);
	snprintf(sn.service, sizeof(sn.service), "%s", f->type);
	snprintf(sn.domain, sizeof(sn.domain), "%s", f->domain ? f->domain : "local");
	if (dnssd_svcname_build(&sn, &inst) < 0)
		return -EINVAL;
	sn.kind = DNSSD_NAME_SERVICE_TYPE;
	if (dnssd_svcname_build(&sn, &type) < 0 ||
	    ldns_str2rdf_dname(&host, f->host) != LDNS_STATUS_OK) {
		rc = -EINVAL;
		goto out;
	}
	uint32_t ttl_host = removed ? 0 : FOUND_TTL_HOST;
	uint32_t ttl_other = removed ? 0 : FOUND_TTL_OTHER;

	if (!removed) {
		rr = found_rr(v, p->enum_name, LDNS_RR_TYPE_PTR, ttl_other, false);
		ok &= push_rdf(rr, ldns_rdf_clone(type));
	}
	rr = found_rr(v, type, LDNS_RR_TYPE_PTR, ttl_other, false);
	ok &= push_rdf(rr, ldns_rdf_clone(inst));
	rr = found_rr(v, inst, LDNS_RR_TYPE_SRV, ttl_host, true);
	ok &= push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 0)) &&
	      push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 0)) &&
	      push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, f->port)) &&
	      push_rdf(rr, ldns_rdf_clone(host));
	rr = found_rr(v, inst, LDNS_RR_TYPE_TXT, ttl_other, true);
	/* an empty TXT is one empty string (RFC 6763 §6.1), as responders send it */
	for (size_t i = 0; i < (f->ntxt ? f->ntxt : 1) && rr; i++) {
		uint8_t buf[256];
		size_t len = f->ntxt ? f->txt[i].len : 0;
		if (len > 255) {
			rc = -EINVAL;
			goto out;
		}
		buf[0] = (uint8_t)len;
		if (len)
			memcpy(buf + 1, f->txt[i].data, len);
		ok &=
		    push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, len + 1, buf));
	}
	ok &= rr != NULL;
	if (!removed && (f->addr.af == AF_INET || f->addr.af == AF_INET6)) {
		bool v4 = f->addr.af == AF_INET;
		rr = found_rr(v, host, v4 ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA, ttl_host,
		              true);
		ok &= push_rdf(
		    rr, ldns_rdf_new_frm_data(v4 ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA,
		                              v4 ? 4 : 16, f->addr.a));
	}
	rc = ok ? 0 : -ENOMEM;
out:
	ldns_rdf_deep_free(inst);
	ldns_rdf_deep_free(type);
	ldns_rdf_deep_free(host);
	return rc;
}

int proxy_local_service(struct proxy *p, unsigned ifindex, const struct proxy_found *f,
                        bool removed, uint64_t now_ms)
{
	struct rrvec own = {0}, recs = {0};
	struct policy_sender sender = {0};
	int rc;

	if (!p || !f || !f->name || !f->type || !f->host || (f->ntxt && !f->txt))
		return -EINVAL;
	if (!iface_find(p, ifindex, NULL))
		return -ENOENT;
	p->now = now_ms;
	rc = found_records(p, f, removed, &own);
	if (rc == 0) {
		bool any_up = any_peer_up(p);
		if (f->addr.af == AF_INET || f->addr.af == AF_INET6) {
			sender.af = f->addr.af;
			memcpy(sender.addr, f->addr.a, f->addr.af == AF_INET ? 4 : 16);
		}
		for (size_t i = 0; i < own.n; i++)
			local_rr(p, ifindex, &sender, own.v[i], any_up, &recs);
		if (recs.n && any_up)
			export_all_peers(p, recs.v, recs.n, &sender);
	}
	rv_free(&recs);
	rv_free(&own);
	flush_fwd(p);
	flush_ask(p);
	flush_due(p);
	return rc;
}

uint64_t proxy_run(struct proxy *p, uint64_t now_ms)
{
	uint64_t next;
	if (!p)
		return UINT64_MAX;
	p->now = now_ms;
	next = dnssd_cache_expire(p->local, now_ms, NULL, NULL);
	for (size_t i = 0; i < p->npeers; i++) {
		struct rpeer *peer = p->peers[i];
		if (peer->grace && peer->grace_at <= now_ms) {
			peer->grace = false;
			withdraw_peer(p, peer);
		}
		if (peer->resync && peer->resync_at <= now_ms) {
			peer->resync = false;
			withdraw_stale(p, peer);
		}
		uint64_t t = dnssd_cache_expire(peer->remote, now_ms, remote_expired, p);
		if (t < next)
			next = t;
		if (peer->grace && peer->grace_at < next)
			next = peer->grace_at;
		if (peer->resync && peer->resync_at < next)
			next = peer->resync_at;
	}
	if (now_ms >= p->next_sweep) {
		sweep(p);
		publish_refresh(p);
		p->next_sweep = now_ms + SWEEP_MS;
	}
	if (p->pub_dirty)
		publish_sync(p);
	flush_due(p);
	if (p->next_sweep < next)
		next = p->next_sweep;
	for (size_t i = 0; i < PROXY_MAX_INTERFACES; i++) {
		if (!p->ifs[i].used)
			continue;
		for (int f = 0; f < NFAM; f++) {
			uint64_t t = q_next(&p->ifs[i].q[f]);
			if (t < next)
				next = t;
		}
	}
	return next > now_ms ? next : now_ms + 1;
}

void proxy_shutdown(struct proxy *p, uint64_t now_ms)
{
	if (!p)
		return;
	p->now = now_ms;
	for (size_t i = 0; i < PROXY_MAX_INTERFACES; i++)
		for (int f = 0; f < NFAM; f++)
			q_clear(&p->ifs[i].q[f]);
	for (size_t i = 0; i < p->npeers; i++)
		dnssd_cache_remove_origin(p->peers[i]->remote, 0, goodbye_entry, p);
	publish_sync(p);
	flush_due(p);
}

/* ------------------------------------------------------------ reconfiguration */

/* Records the peer should not hold any more: old selection minus the new one. */
static void withdraw_exports(struct proxy *p, struct rpeer *peer, const struct rrvec *old,
                             const struct rrvec *now_sel)
{
	struct dnssd_cache *set = dnssd_cache_new(0);
	struct rrvec out = {0};
	if (!set)
		return;
	for (size_t i = 0; i < now_sel->n; i++)
		if (ldns_rr_ttl(now_sel->v[i]) > 0)
			dnssd_cache_put(set, now_sel->v[i], 0, p->now, NULL, NULL, NULL);
	for (size_t i = 0; i < old->n; i++) {
		if (dnssd_cache_get(set, old->v[i]))
			continue;
		ldns_rr *gb = clone_ttl(old->v[i], 0);
		if (gb && dnssd_sent_check(peer->sent, gb, p->now))
			rv_push_own(&out, gb);
		else
			ldns_rr_free(gb);
	}
	send_records(p, peer, &out);
	rv_free(&out);
	dnssd_cache_free(set);
}

static int entry_rank_cmp(const void *a, const void *b)
{
	return type_rank_of(dnssd_entry_type(*(struct dnssd_entry *const *)a)) -
	       type_rank_of(dnssd_entry_type(*(struct dnssd_entry *const *)b));
}

/* Decide a peer's records again under the new import rules and names templates. */
static void reimport(struct proxy *p, struct rpeer *peer, const struct dnssd_rename *rn)
{
	struct ent_list l = {0};
	struct rrvec orig = {0}, put = {0};
	bool *allow = NULL;
	void *cbarg[2] = {p, peer};

	dnssd_cache_foreach(peer->remote, list_entry, &l);
	if (!l.n)
		goto out;
	/* services first, so that slices decide addresses through imp_hosts */
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), entry_rank_cmp);
	for (size_t i = 0; i < l.n; i++) {
		ldns_rr *cur = dnssd_entry_rr_new(l.v[i]);
		ldns_rr *o = cur ? unrename_rr(p, cur) : NULL;
		ldns_rr_free(cur);
		if (o)
			ldns_rr_set_ttl(o, dnssd_entry_ttl_left(l.v[i], p->now));
		if (rv_push_own(&orig, o) < 0)
			goto out;
	}
	if (!(allow = calloc(l.n, sizeof(*allow))))
		goto out;
	struct policy_filter_ctx ctx = {
	    .rules = policy_peer_import(peer->pcfg),
	    .host_known = imp_host_known,
	    .instance_host = imp_instance_host,
	    .arg = cbarg,
	};
	/* what the old rules let through says nothing now */
	ntab_filter(&peer->imp_hosts, NULL, NULL);
	ntab_filter(&peer->imp_inst, NULL, NULL);
	for (size_t i = 0; i < l.n; i += EXPORT_SLICE) {
		size_t k = l.n - i < EXPORT_SLICE ? l.n - i : EXPORT_SLICE;
		policy_filter(&ctx, orig.v + i, k, allow + i);
		for (size_t j = i; j < i + k; j++)
			if (allow[j])
				import_track(p, peer, orig.v[j]);
	}
	for (size_t i = 0; i < l.n; i++) {
		ldns_rr *cur = dnssd_entry_rr_new(l.v[i]);
		ldns_rr *c = allow[i] ? ldns_rr_clone(orig.v[i]) : NULL;
		bool renamed = c && dnssd_rename_rr(rn, peer->name, c) == 0;
		if (renamed && cur && rr_same(c, cur)) {
			ldns_rr_free(c);
			ldns_rr_free(cur);
			continue;
		}
		if (cur)
			lan_goodbye(p, cur);
		ldns_rr_free(cur);
		dnssd_cache_remove(peer->remote, l.v[i]);
		if (renamed && ldns_rr_ttl(c) > 0) {
			record_aliases(p, peer, orig.v[i], c);
			rv_push_own(&put, c);
		} else {
			ldns_rr_free(c);
		}
	}
	for (size_t i = 0; i < put.n; i++)
		import_put(p, peer, put.v[i]);
out:
	free(allow);
	free(l.v);
	rv_free(&orig);
	rv_free(&put);
}

/* A new bound for a peer's cache: the records move to a cache of the new size. */
static int resize_remote(struct proxy *p, struct rpeer *peer, uint32_t max)
{
	struct dnssd_cache *nc = dnssd_cache_new(max);
	struct ent_list l = {0};
	if (!nc)
		return -ENOMEM;
	dnssd_cache_foreach(peer->remote, list_entry, &l);
	for (size_t i = 0; i < l.n; i++) {
		struct dnssd_entry *e = NULL;
		ldns_rr *c = entry_rr_ttl(l.v[i], dnssd_entry_ttl_left(l.v[i], p->now));
		if (!c)
			continue;
		if (dnssd_cache_put(nc, c, 0, p->now, &e, remote_evicted, p) < 0) {
			p->st.drops[PROXY_DROP_LIMIT]++;
			lan_goodbye(p, c);
		} else if (e) {
			dnssd_entry_set_aux(e, 0, dnssd_entry_aux(l.v[i], 0));
			dnssd_entry_set_aux(e, 1, dnssd_entry_aux(l.v[i], 1));
		}
		ldns_rr_free(c);
	}
	free(l.v);
	dnssd_cache_free(peer->remote);
	peer->remote = nc;
	peer->remote_max = max;
	return 0;
}

int proxy_reconfigure(struct proxy *p, const struct policy_config *newcfg,
                      uint64_t now_ms)
{
	size_t nn;
	struct rpeer **np = NULL;
	struct rrvec *oldsel = NULL;
	struct lset all = {0};
	struct dnssd_rename *rn;

	if (!p || !newcfg)
		return -EINVAL;
	p->now = now_ms;
	nn = policy_config_npeers(newcfg);
	rn = dnssd_rename_new(policy_config_host_suffix(newcfg),
	                      policy_config_instance_suffix(newcfg));
	np = calloc(nn ? nn : 1, sizeof(*np));
	oldsel = calloc(nn ? nn : 1, sizeof(*oldsel));
	if (!rn || !np || !oldsel)
		goto fail;
	for (size_t i = 0; i < nn; i++) {
		const char *name = policy_peer_name(policy_config_peer(newcfg, i));
		for (size_t j = 0; j < p->npeers; j++)
			if (p->peers[j] && strcmp(p->peers[j]->name, name) == 0)
				np[i] = p->peers[j];
		if (!np[i] && !(np[i] = rpeer_new(newcfg, (unsigned)i)))
			goto fail;
	}

	/* What each kept peer holds under the old rules. */
	collect_local(p, &all, true);
	for (size_t i = 0; i < nn; i++)
		if (np[i]->pcfg && np[i]->up &&
		    np[i]->pcfg != policy_config_peer(newcfg, i))
			lset_export(p, np[i], &all, false, &oldsel[i]);

	/* Switch. */
	for (size_t j = 0; j < p->npeers; j++) {
		bool kept = false;
		for (size_t i = 0; i < nn; i++)
			kept |= np[i] == p->peers[j];
		if (!kept) {
			withdraw_peer(p, p->peers[j]);
			ntab_filter(&p->alias, alias_of_peer, p->peers[j]);
			rpeer_free(p->peers[j]);
		}
	}
	free(p->peers);
	p->peers = np;
	p->npeers = nn;
	p->cfg = newcfg;
	dnssd_rename_free(p->rename);
	p->rename = rn;
	for (size_t i = 0; i < nn; i++) {
		struct rpeer *peer = np[i];
		uint32_t max = policy_config_max_records_per_peer(newcfg);
		peer->pcfg = policy_config_peer(newcfg, i);
		peer->id = (unsigned)i;
		if (max != peer->remote_max)
			resize_remote(p, peer, max);
		reimport(p, peer, rn);
		if (!peer->up)
			continue;
		struct rrvec sel = {0};
		ntab_filter(&peer->exp_hosts, NULL, NULL);
		lset_export(p, peer, &all, false, &sel);
		withdraw_exports(p, peer, &oldsel[i], &sel);
		rv_free(&sel);
		ntab_filter(&peer->held, NULL, NULL);
		lset_export(p, peer, &all, false, NULL);
	}
	for (size_t i = 0; i < nn; i++)
		rv_free(&oldsel[i]);
	free(oldsel);
	lset_free(&all);
	p->pub_dirty = true;
	flush_ask(p);
	flush_due(p);
	return 0;
fail:
	if (np)
		for (size_t i = 0; i < nn; i++) {
			bool old = false;
			for (size_t j = 0; j < p->npeers; j++)
				old |= np[i] == p->peers[j];
			if (!old)
				rpeer_free(np[i]);
		}
	free(np);
	free(oldsel);
	dnssd_rename_free(rn);
	return -ENOMEM;
}

/* ------------------------------------------------------------ statistics */

void proxy_get_stats(const struct proxy *p, struct proxy_stats *out)
{
	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	if (!p)
		return;
	*out = p->st;
	out->local_records = dnssd_cache_count(p->local);
	for (size_t i = 0; i < p->npeers; i++)
		out->remote_records += dnssd_cache_count(p->peers[i]->remote);
	for (size_t i = 0; i < PROXY_MAX_INTERFACES; i++)
		out->interfaces += p->ifs[i].used;
}

int proxy_get_peer_stats(const struct proxy *p, unsigned peer_id,
                         struct proxy_peer_stats *out)
{
	const struct rpeer *peer;
	if (!p || !out || !(peer = peer_by_id(p, peer_id)))
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->name = policy_peer_name(peer->pcfg);
	out->up = peer->up;
	out->since_ms = peer->since;
	out->records_in = peer->records_in;
	out->records_out = peer->records_out;
	out->questions_in = peer->questions_in;
	out->questions_out = peer->questions_out;
	out->cached = dnssd_cache_count(peer->remote);
	out->grace_running = peer->grace;
	out->grace_ends_ms = peer->grace_at;
	return 0;
}
