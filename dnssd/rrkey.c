/*
 * rrkey.c: record keys, a fast hash, and the open-addressing hash table.
 */
#include "dnssd/rrkey.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/msg.h"
#include "dnssd/name.h"

#define WIRE_NAME_MAX 255
#define INITIAL_SLOTS 64

void dnssd_rrkey_init(struct dnssd_rrkey *k)
{
	k->buf = k->inline_buf;
	k->cap = sizeof(k->inline_buf);
	k->len = 0;
	k->name_len = 0;
	k->spelling = 0;
}

void dnssd_rrkey_fini(struct dnssd_rrkey *k)
{
	if (k->buf != k->inline_buf)
		free(k->buf);
	dnssd_rrkey_init(k);
}

/* Room for need bytes, keeping the first k->len. */
static int reserve(struct dnssd_rrkey *k, size_t need)
{
	if (need <= k->cap)
		return 0;
	size_t ncap = k->cap * 2 > need ? k->cap * 2 : need;
	uint8_t *nb = malloc(ncap);
	if (!nb)
		return -ENOMEM;
	memcpy(nb, k->buf, k->len);
	if (k->buf != k->inline_buf)
		free(k->buf);
	k->buf = nb;
	k->cap = ncap;
	return 0;
}

/*
 * Length bytes of wire-form labels are at most 63, below 'A', so lowering
 * every byte of the wire form lowers the label text only. Eight bytes at a
 * time: for a byte b below 0x80, b + (0x80 - 'A') has its top bit set when
 * b >= 'A' and b + (0x80 - 'Z' - 1) when b > 'Z', without carrying into the
 * next byte; bytes of 0x80 and above (UTF-8) are left alone.
 */
static inline uint64_t upper8(uint64_t v)
{
	const uint64_t ones = 0x0101010101010101ULL;
	uint64_t x = v & (0x7f * ones);
	return ((x + (0x80 - 'A') * ones) ^ (x + (0x80 - 'Z' - 1) * ones)) & ~v &
	       (0x80 * ones);
}

static inline uint64_t fold(uint64_t sp, uint64_t upper)
{
	sp = (sp ^ upper) * 0x9e3779b97f4a7c15ULL;
	return sp ^ (sp >> 29);
}

static inline void lower_word(uint8_t *dst, const uint8_t *src, uint64_t *sp)
{
	uint64_t v;
	memcpy(&v, src, 8);
	uint64_t upper = upper8(v);
	v |= upper >> 2;
	memcpy(dst, &v, 8);
	*sp = fold(*sp, upper);
}

/*
 * Copy n bytes lowercased and fold where the capitals were into *spelling:
 * the lowercase copy and that pattern together give back the original. A
 * ragged end is done as the last eight bytes, overlapping what came before
 * (lowering twice changes nothing).
 */
static void copy_lower(uint8_t *dst, const uint8_t *src, size_t n, uint64_t *spelling)
{
	uint64_t sp = *spelling;
	if (n >= 8) {
		size_t i = 0;
		for (; i + 8 <= n; i += 8)
			lower_word(dst + i, src + i, &sp);
		if (i < n)
			lower_word(dst + n - 8, src + n - 8, &sp);
	} else {
		uint64_t upper = 0;
		for (size_t i = 0; i < n; i++) {
			uint8_t b = dnssd_lower(src[i]);
			upper |= (uint64_t)(b != src[i]) << i;
			dst[i] = b;
		}
		sp = fold(sp, upper);
	}
	*spelling = sp;
}

static int check_name(const ldns_rdf *name)
{
	if (!name || ldns_rdf_get_type(name) != LDNS_RDF_TYPE_DNAME)
		return -EINVAL;
	size_t n = ldns_rdf_size(name);
	if (n == 0 || n > WIRE_NAME_MAX)
		return -EINVAL;
	return 0;
}

int dnssd_rrkey_name(struct dnssd_rrkey *k, const ldns_rdf *name)
{
	if (check_name(name) < 0)
		return -EINVAL;
	size_t n = ldns_rdf_size(name);
	k->len = 0;
	if (reserve(k, n) < 0)
		return -ENOMEM;
	k->spelling = 0;
	copy_lower(k->buf, ldns_rdf_data(name), n, &k->spelling);
	k->len = k->name_len = n;
	return 0;
}

int dnssd_rrkey_build(struct dnssd_rrkey *k, const ldns_rr *rr)
{
	k->len = k->name_len = 0;
	if (!rr)
		return -EINVAL;
	const ldns_rdf *owner = ldns_rr_owner(rr);
	if (check_name(owner) < 0)
		return -EINVAL;
	size_t len = ldns_rdf_size(owner);
	/* The inline buffer holds any name and the type and class after it. */
	k->spelling = 0;
	copy_lower(k->buf, ldns_rdf_data(owner), len, &k->spelling);
	uint16_t type = (uint16_t)ldns_rr_get_type(rr);
	uint16_t klass = dnssd_rr_class(rr);
	k->buf[len++] = (uint8_t)(type >> 8);
	k->buf[len++] = (uint8_t)type;
	k->buf[len++] = (uint8_t)(klass >> 8);
	k->buf[len++] = (uint8_t)klass;
	k->len = len;
	/*
	 * Each rdf of a type has a fixed layout and is self-delimiting in wire
	 * form, so the concatenation identifies the rdata without separators.
	 */
	size_t rdc = ldns_rr_rd_count(rr);
	for (size_t i = 0; i < rdc; i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		if (!f)
			return -EINVAL;
		size_t n = ldns_rdf_size(f);
		if (reserve(k, k->len + n) < 0)
			return -ENOMEM;
		if (ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME)
			copy_lower(k->buf + k->len, ldns_rdf_data(f), n, &k->spelling);
		else if (n)
			memcpy(k->buf + k->len, ldns_rdf_data(f), n);
		k->len += n;
	}
	k->name_len = ldns_rdf_size(owner);
	return 0;
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t fmix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/*
 * A word at a time: xor, multiply by an odd constant, fold the high half
 * down; each step is a bijection of the state, and the murmur3 finaliser
 * spreads every input bit over the bucket-index bits.
 */
uint64_t dnssd_hash(const void *data, size_t len, uint64_t seed)
{
	const uint8_t *p = data;
	const uint64_t m = 0x9e3779b97f4a7c15ULL;
	uint64_t h = seed ^ (len * m);
	size_t n = len;

	while (n >= 8) {
		h ^= load64(p);
		h *= m;
		h ^= h >> 29;
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t v = 0;
		memcpy(&v, p, n);
		h ^= v;
		h *= m;
		h ^= h >> 29;
	}
	return fmix64(h);
}

uint64_t dnssd_hash_seed(const void *table)
{
	/*
	 * No I/O here, so no random source: the table's address varies with
	 * address-space layout randomisation and allocation order, and the
	 * counter keeps tables of one process apart.
	 */
	static uint64_t counter;
	counter += 0x9e3779b97f4a7c15ULL;
	return fmix64((uint64_t)(uintptr_t)table ^ counter);
}

int dnssd_table_init(struct dnssd_table *t)
{
	t->slots = calloc(INITIAL_SLOTS, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	t->mask = INITIAL_SLOTS - 1;
	t->count = 0;
	return 0;
}

void dnssd_table_fini(struct dnssd_table *t)
{
	free(t->slots);
	t->slots = NULL;
	t->mask = 0;
	t->count = 0;
}

void dnssd_table_reset(struct dnssd_table *t)
{
	memset(t->slots, 0, (t->mask + 1) * sizeof(*t->slots));
	t->count = 0;
}

static void place(struct dnssd_slot *slots, size_t mask, uint64_t hash, void *item)
{
	size_t i = hash & mask;
	while (slots[i].item)
		i = (i + 1) & mask;
	slots[i].hash = hash;
	slots[i].item = item;
}

static int grow(struct dnssd_table *t)
{
	size_t n = (t->mask + 1) * 2;
	if (n > SIZE_MAX / sizeof(*t->slots))
		return -ENOMEM;
	struct dnssd_slot *slots = calloc(n, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i <= t->mask; i++)
		if (t->slots[i].item)
			place(slots, n - 1, t->slots[i].hash, t->slots[i].item);
	free(t->slots);
	t->slots = slots;
	t->mask = n - 1;
	return 0;
}

int dnssd_table_insert(struct dnssd_table *t, uint64_t hash, void *item)
{
	size_t size = t->mask + 1;
	/* Grow past 5/8 full; if that fails, go on to 7/8 rather than fail at once. */
	if ((t->count + 1) * 8 > size * 5 && grow(t) < 0 && (t->count + 1) * 8 > size * 7)
		return -ENOMEM;
	place(t->slots, t->mask, hash, item);
	t->count++;
	return 0;
}

void dnssd_table_remove(struct dnssd_table *t, uint64_t hash, const void *item)
{
	size_t mask = t->mask;
	size_t i = hash & mask;
	while (t->slots[i].item != item) {
		if (!t->slots[i].item)
			return; /* not there */
		i = (i + 1) & mask;
	}
	/*
	 * Shift back every following slot of the run that may move into the
	 * hole: one whose home slot is not between the hole and itself.
	 */
	for (size_t j = (i + 1) & mask; t->slots[j].item; j = (j + 1) & mask) {
		size_t home = t->slots[j].hash & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].item = NULL;
	t->slots[i].hash = 0;
	t->count--;
}
