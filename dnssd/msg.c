/*
 * msg.c: decoding and classifying mDNS messages.
 *
 * Decoding runs in two passes. The first walks the wire format without
 * allocating and checks every name, pointer and rdata length against the
 * buffer, so that a rejected datagram costs little and gets a precise reason;
 * ldns alone is lax in places (it follows forward pointers, and an A record
 * whose rdlength is not 4 leaves its parser misaligned). The second pass hands
 * each record to ldns_wire2rr() with the end of that record as the limit, so
 * ldns can never read beyond it, and checks that ldns used exactly the
 * record's bytes.
 */
#include "dnssd/msg.h"

#include <errno.h>
#include <stdlib.h>

#define HEADER_LEN 12
#define MAX_NAME_LEN 255

struct dnssd_msg {
	ldns_pkt *pkt;
	enum dnssd_kind kind;
	bool goodbye;
};

static const char *const reason_names[DNSSD_R_MAX] = {
    [DNSSD_R_OK] = "ok",
    [DNSSD_R_SHORT] = "short",
    [DNSSD_R_TOO_LONG] = "too-long",
    [DNSSD_R_OPCODE] = "opcode",
    [DNSSD_R_RCODE] = "rcode",
    [DNSSD_R_TRUNCATED] = "truncated",
    [DNSSD_R_COUNTS] = "counts",
    [DNSSD_R_NAME] = "name",
    [DNSSD_R_POINTER] = "pointer",
    [DNSSD_R_RDATA] = "rdata",
    [DNSSD_R_TRAILING] = "trailing",
    [DNSSD_R_EMPTY] = "empty",
};

const char *dnssd_reason_str(enum dnssd_reason r)
{
	if ((unsigned)r < DNSSD_R_MAX)
		return reason_names[r];
	return "unknown";
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * Check the name at *pos. Its in-place labels must end by `end` (the packet,
 * or the rdata holding it); running past it is `over`. Each compression
 * pointer must point before the start of the labels that led to it, which
 * rules out forward pointers and loops and bounds the walk. On success *pos is
 * just past the in-place part.
 */
static enum dnssd_reason check_name(const uint8_t *buf, size_t len, size_t end,
                                    size_t *pos, enum dnssd_reason over)
{
	size_t p = *pos, limit = *pos, resume = 0, bound = end;
	size_t namelen = 1;

	for (;;) {
		if (p >= bound)
			return resume ? DNSSD_R_TRUNCATED : over;
		uint8_t c = buf[p];
		if (c == 0) {
			p++;
			break;
		}
		switch (c & 0xc0) {
		case 0xc0: {
			if (p + 2 > bound)
				return resume ? DNSSD_R_TRUNCATED : over;
			size_t target = (size_t)(c & 0x3f) << 8 | buf[p + 1];
			if (target < HEADER_LEN || target >= limit)
				return DNSSD_R_POINTER;
			if (!resume)
				resume = p + 2;
			limit = p = target;
			bound = len;
			break;
		}
		case 0x40:
		case 0x80:
			return DNSSD_R_NAME;
		default:
			namelen += (size_t)c + 1;
			if (namelen > MAX_NAME_LEN)
				return DNSSD_R_NAME;
			if (p + 1 + c > bound)
				return resume ? DNSSD_R_TRUNCATED : over;
			p += 1 + (size_t)c;
		}
	}
	*pos = resume ? resume : p;
	return DNSSD_R_OK;
}

/* A name inside rdata [*pos, end): running past the rdata means rdlength lies. */
static enum dnssd_reason rdata_name(const uint8_t *buf, size_t len, size_t end,
                                    size_t *pos)
{
	return check_name(buf, len, end, pos, DNSSD_R_RDATA);
}

/* Character strings filling [p, end) exactly; their number in *n. */
static bool strings(const uint8_t *buf, size_t p, size_t end, unsigned *n)
{
	*n = 0;
	while (p < end) {
		p += 1 + (size_t)buf[p];
		++*n;
	}
	return p == end;
}

/*
 * Rdata checks for the types whose layout ldns would misread or whose names may
 * be compressed; other types are left to ldns and to the exact-length check
 * after it.
 */
static enum dnssd_reason check_rdata(const uint8_t *buf, size_t len, uint16_t type,
                                     size_t p, size_t end)
{
	enum dnssd_reason r;
	size_t fixed = 0;
	unsigned n;
	int names = 1;

	switch (type) {
	case LDNS_RR_TYPE_A:
		return end - p == 4 ? DNSSD_R_OK : DNSSD_R_RDATA;
	case LDNS_RR_TYPE_AAAA:
		return end - p == 16 ? DNSSD_R_OK : DNSSD_R_RDATA;
	case LDNS_RR_TYPE_TXT:
		/* Empty rdata is read as one empty string (RFC 6763 §6.1). */
		return strings(buf, p, end, &n) ? DNSSD_R_OK : DNSSD_R_RDATA;
	case LDNS_RR_TYPE_HINFO:
		return strings(buf, p, end, &n) && n == 2 ? DNSSD_R_OK : DNSSD_R_RDATA;
	case LDNS_RR_TYPE_OPT:
		while (p < end) {
			if (end - p < 4)
				return DNSSD_R_RDATA;
			p += 4 + (size_t)get16(buf + p + 2);
		}
		return p == end ? DNSSD_R_OK : DNSSD_R_RDATA;
	case LDNS_RR_TYPE_NSEC:
		if (p == end)
			return DNSSD_R_RDATA;
		if ((r = rdata_name(buf, len, end, &p)) != DNSSD_R_OK)
			return r;
		while (p < end) {
			if (end - p < 2 || buf[p + 1] == 0 || buf[p + 1] > 32)
				return DNSSD_R_RDATA;
			p += 2 + (size_t)buf[p + 1];
		}
		return p == end ? DNSSD_R_OK : DNSSD_R_RDATA;
	case LDNS_RR_TYPE_NS:
	case LDNS_RR_TYPE_MD:
	case LDNS_RR_TYPE_MF:
	case LDNS_RR_TYPE_CNAME:
	case LDNS_RR_TYPE_MB:
	case LDNS_RR_TYPE_MG:
	case LDNS_RR_TYPE_MR:
	case LDNS_RR_TYPE_PTR:
	case LDNS_RR_TYPE_DNAME:
		break;
	case LDNS_RR_TYPE_MINFO:
	case LDNS_RR_TYPE_RP:
		names = 2;
		break;
	case LDNS_RR_TYPE_SOA:
		names = 2;
		fixed = 20;
		break;
	case LDNS_RR_TYPE_MX:
	case LDNS_RR_TYPE_AFSDB:
	case LDNS_RR_TYPE_RT:
	case LDNS_RR_TYPE_KX:
		if (end - p < 2)
			return DNSSD_R_RDATA;
		p += 2;
		break;
	case LDNS_RR_TYPE_SRV:
		if (end - p < 6)
			return DNSSD_R_RDATA;
		p += 6;
		break;
	default:
		return DNSSD_R_OK;
	}
	while (names-- > 0) {
		if (p == end)
			return DNSSD_R_RDATA;
		if ((r = rdata_name(buf, len, end, &p)) != DNSSD_R_OK)
			return r;
	}
	return end - p == fixed ? DNSSD_R_OK : DNSSD_R_RDATA;
}

/* One question or record at *pos; *pos moves past it. */
static enum dnssd_reason check_entry(const uint8_t *buf, size_t len, size_t *pos,
                                     bool question)
{
	enum dnssd_reason r = check_name(buf, len, len, pos, DNSSD_R_TRUNCATED);
	if (r != DNSSD_R_OK)
		return r;
	if (question) {
		if (len - *pos < 4)
			return DNSSD_R_TRUNCATED;
		*pos += 4;
		return DNSSD_R_OK;
	}
	if (len - *pos < 10)
		return DNSSD_R_TRUNCATED;
	uint16_t type = get16(buf + *pos);
	size_t start = *pos + 10, end = start + get16(buf + *pos + 8);
	if (end > len)
		return DNSSD_R_TRUNCATED;
	if ((r = check_rdata(buf, len, type, start, end)) != DNSSD_R_OK)
		return r;
	*pos = end;
	return DNSSD_R_OK;
}

/*
 * Bytes after the last counted entry: if they are whole records (or whole
 * questions, when only questions were counted), the counts lie; otherwise they
 * are garbage.
 */
static enum dnssd_reason check_rest(const uint8_t *buf, size_t len, size_t pos,
                                    bool questions)
{
	for (int as_question = 0; as_question <= (int)questions; as_question++) {
		size_t p = pos;
		bool whole = true;
		while (whole && p < len)
			whole = check_entry(buf, len, &p, as_question) == DNSSD_R_OK;
		if (whole)
			return DNSSD_R_COUNTS;
	}
	return DNSSD_R_TRAILING;
}

static enum dnssd_reason validate(const uint8_t *buf, size_t len, const unsigned count[4])
{
	size_t pos = HEADER_LEN;
	enum dnssd_reason r;

	for (int s = 0; s < 4; s++) {
		for (unsigned i = 0; i < count[s]; i++) {
			/* Ending cleanly where a record should start: the count is too
			 * high. */
			if (pos == len)
				return DNSSD_R_COUNTS;
			if ((r = check_entry(buf, len, &pos, s == 0)) != DNSSD_R_OK)
				return r;
		}
	}
	if (pos < len)
		return check_rest(buf, len, pos, count[1] + count[2] + count[3] == 0);
	if (count[0] + count[1] + count[2] + count[3] == 0)
		return DNSSD_R_EMPTY;
	return DNSSD_R_OK;
}

/* End of the already validated entry at pos. */
static size_t entry_end(const uint8_t *buf, size_t pos, bool question)
{
	while (buf[pos] != 0 && (buf[pos] & 0xc0) != 0xc0)
		pos += 1 + (size_t)buf[pos];
	pos += buf[pos] == 0 ? 1 : 2;
	if (question)
		return pos + 4;
	return pos + 10 + get16(buf + pos + 8);
}

static const ldns_pkt_section sections[4] = {
    LDNS_SECTION_QUESTION,
    LDNS_SECTION_ANSWER,
    LDNS_SECTION_AUTHORITY,
    LDNS_SECTION_ADDITIONAL,
};

/* Keep an OPT record the way ldns_wire2pkt() does: in the packet's EDNS fields. */
static enum dnssd_reason take_opt(ldns_pkt *pkt, ldns_rr *rr, bool *seen)
{
	if (*seen)
		return DNSSD_R_RDATA;
	*seen = true;
	uint32_t ttl = ldns_rr_ttl(rr);
	if (ttl >> 24 != 0)
		return DNSSD_R_RCODE;
	ldns_pkt_set_edns_udp_size(pkt, ldns_rr_get_class(rr));
	ldns_pkt_set_edns_version(pkt, (uint8_t)(ttl >> 16));
	ldns_pkt_set_edns_z(pkt, (uint16_t)ttl);
	if (ldns_rr_rd_count(rr) > 0)
		ldns_pkt_set_edns_data(pkt, ldns_rr_pop_rdf(rr));
	return DNSSD_R_OK;
}

static int build(const uint8_t *buf, const unsigned count[4], ldns_pkt *pkt,
                 enum dnssd_reason *reason)
{
	size_t pos = HEADER_LEN;
	bool opt = false;

	for (int s = 0; s < 4; s++) {
		for (unsigned i = 0; i < count[s]; i++) {
			size_t end = entry_end(buf, pos, s == 0);
			ldns_rr *rr = NULL;
			ldns_status st = ldns_wire2rr(&rr, buf, end, &pos, sections[s]);
			if (st == LDNS_STATUS_MEM_ERR)
				return -ENOMEM;
			if (st != LDNS_STATUS_OK || pos != end) {
				ldns_rr_free(rr);
				*reason = DNSSD_R_RDATA;
				return -EBADMSG;
			}
			if (s == 0) {
				ldns_rr_set_ttl(rr, 0);
			} else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_OPT) {
				/* RFC 6891 §6.1.1: one OPT, in the additional section
				 * only. */
				enum dnssd_reason r =
				    s == 3 ? take_opt(pkt, rr, &opt) : DNSSD_R_RDATA;
				ldns_rr_free(rr);
				if (r != DNSSD_R_OK) {
					*reason = r;
					return -EBADMSG;
				}
				continue;
			}
			if (!ldns_pkt_push_rr(pkt, sections[s], rr)) {
				ldns_rr_free(rr);
				return -ENOMEM;
			}
		}
	}
	return 0;
}

static void classify(struct dnssd_msg *m)
{
	const ldns_pkt *p = m->pkt;

	if (ldns_pkt_qr(p))
		m->kind = DNSSD_RESPONSE;
	else if (ldns_pkt_qdcount(p) > 0 && ldns_pkt_nscount(p) > 0)
		m->kind = DNSSD_PROBE;
	else
		m->kind = DNSSD_QUERY;

	const ldns_rr_list *an = ldns_pkt_answer(p);
	size_t n = ldns_rr_list_rr_count(an);
	m->goodbye = m->kind == DNSSD_RESPONSE && n > 0;
	for (size_t i = 0; i < n && m->goodbye; i++)
		if (ldns_rr_ttl(ldns_rr_list_rr(an, i)) != 0)
			m->goodbye = false;
}

int dnssd_msg_decode(const uint8_t *buf, size_t len, struct dnssd_msg **out,
                     enum dnssd_reason *reason)
{
	enum dnssd_reason dummy, r;
	unsigned count[4];

	if (!reason)
		reason = &dummy;
	*reason = DNSSD_R_OK;
	*out = NULL;

	if (!buf || len < HEADER_LEN)
		r = DNSSD_R_SHORT;
	else if (len > DNSSD_MAX_PACKET)
		r = DNSSD_R_TOO_LONG;
	else if (LDNS_OPCODE_WIRE(buf) != 0)
		r = DNSSD_R_OPCODE;
	else if (LDNS_RCODE_WIRE(buf) != 0)
		r = DNSSD_R_RCODE;
	else {
		count[0] = LDNS_QDCOUNT(buf);
		count[1] = LDNS_ANCOUNT(buf);
		count[2] = LDNS_NSCOUNT(buf);
		count[3] = LDNS_ARCOUNT(buf);
		r = validate(buf, len, count);
	}
	if (r != DNSSD_R_OK) {
		*reason = r;
		return -EBADMSG;
	}

	struct dnssd_msg *m = malloc(sizeof(*m));
	ldns_pkt *pkt = ldns_pkt_new();
	if (!m || !pkt) {
		free(m);
		ldns_pkt_free(pkt);
		return -ENOMEM;
	}
	ldns_pkt_set_id(pkt, LDNS_ID_WIRE(buf));
	ldns_pkt_set_qr(pkt, LDNS_QR_WIRE(buf));
	ldns_pkt_set_aa(pkt, LDNS_AA_WIRE(buf));
	ldns_pkt_set_tc(pkt, LDNS_TC_WIRE(buf));
	ldns_pkt_set_rd(pkt, LDNS_RD_WIRE(buf));
	ldns_pkt_set_ra(pkt, LDNS_RA_WIRE(buf));
	ldns_pkt_set_ad(pkt, LDNS_AD_WIRE(buf));
	ldns_pkt_set_cd(pkt, LDNS_CD_WIRE(buf));
	ldns_pkt_set_size(pkt, len);

	int err = build(buf, count, pkt, reason);
	if (err < 0) {
		free(m);
		ldns_pkt_free(pkt);
		return err;
	}
	m->pkt = pkt;
	classify(m);
	*out = m;
	return 0;
}

void dnssd_msg_free(struct dnssd_msg *m)
{
	if (!m)
		return;
	ldns_pkt_free(m->pkt);
	free(m);
}

enum dnssd_kind dnssd_msg_kind(const struct dnssd_msg *m)
{
	return m->kind;
}

uint16_t dnssd_msg_id(const struct dnssd_msg *m)
{
	return ldns_pkt_id(m->pkt);
}

bool dnssd_msg_is_goodbye(const struct dnssd_msg *m)
{
	return m->goodbye;
}

bool dnssd_msg_truncated(const struct dnssd_msg *m)
{
	return ldns_pkt_tc(m->pkt);
}

static const ldns_rr_list *section_list(const struct dnssd_msg *m, enum dnssd_section s)
{
	switch (s) {
	case DNSSD_SEC_QUESTION:
		return ldns_pkt_question(m->pkt);
	case DNSSD_SEC_ANSWER:
		return ldns_pkt_answer(m->pkt);
	case DNSSD_SEC_AUTHORITY:
		return ldns_pkt_authority(m->pkt);
	case DNSSD_SEC_ADDITIONAL:
		return ldns_pkt_additional(m->pkt);
	}
	return NULL;
}

size_t dnssd_msg_count(const struct dnssd_msg *m, enum dnssd_section s)
{
	const ldns_rr_list *l = section_list(m, s);
	return l ? ldns_rr_list_rr_count(l) : 0;
}

const ldns_rr *dnssd_msg_rr(const struct dnssd_msg *m, enum dnssd_section s, size_t i)
{
	const ldns_rr_list *l = section_list(m, s);
	if (!l || i >= ldns_rr_list_rr_count(l))
		return NULL;
	return ldns_rr_list_rr(l, i);
}

const ldns_pkt *dnssd_msg_pkt(const struct dnssd_msg *m)
{
	return m->pkt;
}
