/*
 * encode.c: laying out mDNS datagrams within an MTU, with name compression.
 *
 * Entries are kept in uncompressed wire form (owner, then rdata, with the
 * offsets of the rdata names that may be compressed). dnssd_enc_finish()
 * writes them greedily into datagrams: an entry that does not fit in what is
 * left closes the datagram and opens the next. The compressor is our own, not
 * ldns's, because the layout needs to know an entry's compressed size as it is
 * written and to take it back when it does not fit.
 */
#include "dnssd/encode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/name.h"
#include "dnssd/vec.h"

#define HEADER_LEN 12
#define MAX_NAME_LEN 255
#define MAX_LABELS 128
/* Offsets a compression pointer can reach. */
#define POINTER_LIMIT 0x4000

struct entry {
	size_t off; /* in the arena: owner, then rdata */
	uint16_t owner_len;
	uint16_t rdlen;
	uint16_t type;
	uint16_t rrclass;
	uint32_t ttl;
	uint16_t name_at[2]; /* compressible names, as offsets into the rdata */
	uint8_t nnames;
	uint8_t section;
};

struct suffix {
	uint32_t hash;
	uint16_t off;
	uint16_t next; /* chain in its bucket: index + 1, 0 at the end */
};

/* Buckets of the compression table; a datagram holds at most 4500 suffixes. */
#define BUCKETS 1024

struct dnssd_enc {
	size_t mtu;
	bool response;
	uint16_t id;

	struct entry *entries;
	size_t nentries, entries_cap;
	uint8_t *arena;
	size_t arena_len, arena_cap;

	/* Output: datagram i is out[pkt_off[i] .. pkt_off[i + 1]). */
	uint8_t *out;
	size_t out_len, out_cap;
	size_t *pkt_off;
	size_t npkts, pkt_cap;

	/* The datagram being laid out (mtu bytes) and its compression table. */
	uint8_t *pkt;
	size_t pos;
	uint16_t counts[4];
	struct suffix *suffixes;
	size_t nsuffixes, suffixes_cap;
	uint16_t bucket[BUCKETS]; /* first suffix: index + 1, 0 when empty */
};

struct dnssd_enc *dnssd_enc_new(size_t mtu, bool response, uint16_t id)
{
	struct dnssd_enc *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->mtu = mtu < DNSSD_MAX_PACKET ? mtu : DNSSD_MAX_PACKET;
	e->response = response;
	e->id = id;
	return e;
}

void dnssd_enc_free(struct dnssd_enc *e)
{
	if (!e)
		return;
	free(e->entries);
	free(e->arena);
	free(e->out);
	free(e->pkt_off);
	free(e->pkt);
	free(e->suffixes);
	free(e);
}

/* Length of the uncompressed wire name at n, within max bytes; 0 if malformed. */
static size_t name_len(const uint8_t *n, size_t max)
{
	size_t p = 0;
	while (p < max && n[p] != 0) {
		if (n[p] > 63)
			return 0;
		p += 1 + (size_t)n[p];
	}
	if (p >= max || p + 1 > MAX_NAME_LEN)
		return 0;
	return p + 1;
}

/* A name rdf is one well-formed uncompressed name and nothing else. */
static bool whole_name(const ldns_rdf *f)
{
	size_t n = ldns_rdf_size(f);
	return n > 0 && name_len(ldns_rdf_data(f), n) == n;
}

/* RFC 1035 §3.3 types, and SRV and NSEC as RFC 6762 §18.14 allows. */
static bool compressible(uint16_t type)
{
	switch (type) {
	case LDNS_RR_TYPE_NS:
	case LDNS_RR_TYPE_MD:
	case LDNS_RR_TYPE_MF:
	case LDNS_RR_TYPE_CNAME:
	case LDNS_RR_TYPE_SOA:
	case LDNS_RR_TYPE_MB:
	case LDNS_RR_TYPE_MG:
	case LDNS_RR_TYPE_MR:
	case LDNS_RR_TYPE_PTR:
	case LDNS_RR_TYPE_MINFO:
	case LDNS_RR_TYPE_MX:
	case LDNS_RR_TYPE_SRV:
	case LDNS_RR_TYPE_NSEC:
		return true;
	default:
		return false;
	}
}

static int append(struct dnssd_enc *e, const void *p, size_t n)
{
	if (dnssd_grow((void **)&e->arena, &e->arena_cap, e->arena_len + n, 1) < 0)
		return -ENOMEM;
	memcpy(e->arena + e->arena_len, p, n);
	e->arena_len += n;
	return 0;
}

static int add(struct dnssd_enc *e, enum dnssd_section s, const ldns_rr *rr)
{
	const ldns_rdf *owner = rr ? ldns_rr_owner(rr) : NULL;
	if (!owner || ldns_rdf_get_type(owner) != LDNS_RDF_TYPE_DNAME ||
	    !whole_name(owner))
		return -EINVAL;

	struct entry en = {
	    .off = e->arena_len,
	    .owner_len = (uint16_t)ldns_rdf_size(owner),
	    .type = (uint16_t)ldns_rr_get_type(rr),
	    .rrclass = (uint16_t)ldns_rr_get_class(rr),
	    .ttl = s == DNSSD_SEC_QUESTION ? 0 : ldns_rr_ttl(rr),
	    .section = (uint8_t)s,
	};
	size_t rdlen = 0;
	bool compress = compressible(en.type);
	if (s != DNSSD_SEC_QUESTION) {
		for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
			const ldns_rdf *f = ldns_rr_rdf(rr, i);
			size_t n = ldns_rdf_size(f);
			if (ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME) {
				if (!whole_name(f))
					return -EINVAL;
				if (compress && en.nnames < 2)
					en.name_at[en.nnames++] = (uint16_t)rdlen;
			}
			rdlen += n;
			if (rdlen > DNSSD_MAX_PACKET)
				return -EMSGSIZE;
		}
	}
	size_t need =
	    HEADER_LEN + en.owner_len + (s == DNSSD_SEC_QUESTION ? 4 : 10 + rdlen);
	if (need > e->mtu)
		return -EMSGSIZE;
	en.rdlen = (uint16_t)rdlen;

	if (dnssd_grow((void **)&e->entries, &e->entries_cap, e->nentries + 1, sizeof(en)) < 0)
		return -ENOMEM;
	if (append(e, ldns_rdf_data(owner), en.owner_len) < 0)
		return -ENOMEM;
	for (size_t i = 0; s != DNSSD_SEC_QUESTION && i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		if (append(e, ldns_rdf_data(f), ldns_rdf_size(f)) < 0) {
			e->arena_len = en.off;
			return -ENOMEM;
		}
	}
	e->entries[e->nentries++] = en;
	return 0;
}

int dnssd_enc_question(struct dnssd_enc *e, const ldns_rr *q)
{
	return add(e, DNSSD_SEC_QUESTION, q);
}

int dnssd_enc_rr(struct dnssd_enc *e, enum dnssd_section s, const ldns_rr *rr)
{
	if (s != DNSSD_SEC_ANSWER && s != DNSSD_SEC_AUTHORITY &&
	    s != DNSSD_SEC_ADDITIONAL)
		return -EINVAL;
	return add(e, s, rr);
}

/* The hash of a suffix chains the hash of the rest of the name: the label with its
 * length byte (at most 63, which folding leaves alone). */
static uint32_t label_hash(uint32_t rest, const uint8_t *label)
{
	return dnssd_hash_lower32(rest, label, (size_t)label[0] + 1);
}

/* Whether the name written at off in the datagram equals the uncompressed name n. */
static bool same_name(const uint8_t *pkt, size_t off, const uint8_t *n)
{
	for (;;) {
		uint8_t c = pkt[off];
		/* The datagram holds only our own backward pointers. */
		while ((c & 0xc0) == 0xc0) {
			off = (size_t)(c & 0x3f) << 8 | pkt[off + 1];
			c = pkt[off];
		}
		if (c != n[0])
			return false;
		if (c == 0)
			return true;
		if (!dnssd_wire_eq(pkt + off + 1, n + 1, c))
			return false;
		off += 1 + (size_t)c;
		n += 1 + (size_t)c;
	}
}

/*
 * Write the uncompressed name n at e->pos, compressed against the names already
 * in the datagram, within `limit`. Returns false when it does not fit, having
 * changed nothing.
 */
static bool put_name(struct dnssd_enc *e, const uint8_t *n, size_t limit)
{
	size_t label[MAX_LABELS];
	uint32_t hash[MAX_LABELS + 1];
	size_t k = 0, p = 0;

	while (n[p] != 0) {
		label[k++] = p;
		p += 1 + (size_t)n[p];
	}
	size_t full = p + 1;
	hash[k] = DNSSD_HASH32_INIT;
	for (size_t i = k; i-- > 0;)
		hash[i] = label_hash(hash[i + 1], n + label[i]);

	/* The longest suffix already in the datagram. */
	size_t match = k, target = 0;
	for (size_t i = 0; i < k && match == k; i++) {
		for (size_t j = e->bucket[hash[i] % BUCKETS]; j;
		     j = e->suffixes[j - 1].next) {
			const struct suffix *sf = &e->suffixes[j - 1];
			if (sf->hash == hash[i] &&
			    same_name(e->pkt, sf->off, n + label[i])) {
				match = i;
				target = sf->off;
				break;
			}
		}
	}
	size_t inplace = match < k ? label[match] : full;
	size_t need = inplace + (match < k ? 2 : 0);
	if (e->pos + need > limit)
		return false;

	uint8_t *w = e->pkt + e->pos;
	memcpy(w, n, inplace);
	if (match < k) {
		w[inplace] = (uint8_t)(0xc0 | target >> 8);
		w[inplace + 1] = (uint8_t)target;
	}
	/* Without room in the table, later names are merely compressed less. */
	for (size_t i = 0; i < match; i++) {
		size_t off = e->pos + label[i];
		if (off >= POINTER_LIMIT ||
		    dnssd_grow((void **)&e->suffixes, &e->suffixes_cap, e->nsuffixes + 1,
		         sizeof(struct suffix)) < 0)
			break;
		uint16_t *head = &e->bucket[hash[i] % BUCKETS];
		e->suffixes[e->nsuffixes++] =
		    (struct suffix){hash[i], (uint16_t)off, *head};
		*head = (uint16_t)e->nsuffixes;
	}
	e->pos += need;
	return true;
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Write one entry into the datagram; false (and nothing written) if it does not fit. */
static bool put_entry(struct dnssd_enc *e, const struct entry *en)
{
	size_t limit = e->mtu, pos0 = e->pos, nsuffixes0 = e->nsuffixes;
	const uint8_t *owner = e->arena + en->off;
	const uint8_t *rdata = owner + en->owner_len;
	bool question = en->section == DNSSD_SEC_QUESTION;
	size_t fixed = question ? 4 : 10;

	if (!put_name(e, owner, limit) || e->pos + fixed > limit)
		goto undo;
	uint8_t *w = e->pkt + e->pos;
	put16(w, en->type);
	put16(w + 2, en->rrclass);
	e->pos += fixed;
	if (!question) {
		w[4] = (uint8_t)(en->ttl >> 24);
		w[5] = (uint8_t)(en->ttl >> 16);
		w[6] = (uint8_t)(en->ttl >> 8);
		w[7] = (uint8_t)en->ttl;
		size_t start = e->pos, done = 0;
		for (size_t i = 0; i <= en->nnames; i++) {
			size_t upto = i < en->nnames ? en->name_at[i] : en->rdlen;
			size_t raw = upto - done;
			if (e->pos + raw > limit)
				goto undo;
			memcpy(e->pkt + e->pos, rdata + done, raw);
			e->pos += raw;
			done = upto;
			if (i < en->nnames) {
				const uint8_t *n = rdata + done;
				if (!put_name(e, n, limit))
					goto undo;
				done += name_len(n, en->rdlen - done);
			}
		}
		put16(w + 8, (uint16_t)(e->pos - start));
	}
	e->counts[en->section]++;
	return true;
undo:
	e->pos = pos0;
	while (e->nsuffixes > nsuffixes0) {
		const struct suffix *sf = &e->suffixes[--e->nsuffixes];
		e->bucket[sf->hash % BUCKETS] = sf->next;
	}
	return false;
}

static void open_packet(struct dnssd_enc *e)
{
	e->pos = HEADER_LEN;
	e->nsuffixes = 0;
	memset(e->counts, 0, sizeof(e->counts));
	memset(e->bucket, 0, sizeof(e->bucket));
}

static int close_packet(struct dnssd_enc *e)
{
	uint8_t *h = e->pkt;
	put16(h, e->id);
	h[2] = e->response ? 0x84 : 0x00; /* QR and AA */
	h[3] = 0;
	for (int s = 0; s < 4; s++)
		put16(h + 4 + 2 * s, e->counts[s]);
	if (dnssd_grow((void **)&e->out, &e->out_cap, e->out_len + e->pos, 1) < 0 ||
	    dnssd_grow((void **)&e->pkt_off, &e->pkt_cap, e->npkts + 2, sizeof(size_t)) < 0)
		return -ENOMEM;
	memcpy(e->out + e->out_len, e->pkt, e->pos);
	e->out_len += e->pos;
	e->pkt_off[e->npkts + 1] = e->out_len;
	e->npkts++;
	return 0;
}

size_t dnssd_enc_finish(struct dnssd_enc *e)
{
	e->out_len = 0;
	e->npkts = 0;
	if (e->nentries == 0)
		return 0;
	if (!e->pkt && !(e->pkt = malloc(e->mtu)))
		return 0;
	if (dnssd_grow((void **)&e->pkt_off, &e->pkt_cap, 1, sizeof(size_t)) < 0)
		return 0;
	e->pkt_off[0] = 0;

	open_packet(e);
	for (int s = DNSSD_SEC_QUESTION; s <= DNSSD_SEC_ADDITIONAL; s++) {
		for (size_t i = 0; i < e->nentries; i++) {
			const struct entry *en = &e->entries[i];
			if (en->section != s)
				continue;
			if (put_entry(e, en))
				continue;
			/* Every entry fits an empty datagram: checked when added. */
			if (close_packet(e) < 0)
				goto fail;
			open_packet(e);
			if (!put_entry(e, en))
				goto fail;
		}
	}
	if (close_packet(e) < 0)
		goto fail;
	/* RFC 6762 §7.2: a query continued in the next datagram has TC set. */
	for (size_t i = 0; !e->response && i + 1 < e->npkts; i++)
		e->out[e->pkt_off[i] + 2] |= 0x02;
	return e->npkts;
fail:
	e->out_len = 0;
	e->npkts = 0;
	return 0;
}

const uint8_t *dnssd_enc_packet(const struct dnssd_enc *e, size_t i, size_t *len)
{
	if (i >= e->npkts) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = e->pkt_off[i + 1] - e->pkt_off[i];
	return e->out + e->pkt_off[i];
}
