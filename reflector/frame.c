/* frame.c: peer-link frame encoding and validating decoding (see frame.h). */
#include "config.h"

#include "reflector/frame.h"
#include "dnssd/site.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Smallest encodings: a root owner and the fixed fields of a record or a question. */
#define MIN_RECORD 11
#define MIN_QUESTION 5
#define MAX_COUNT 65535
/* A DNS name in wire form, root label included. */
#define MAX_NAME_WIRE 255

const char *frame_strerror(int err)
{
	switch (err) {
	case 0:
		return "no error";
	case FRAME_E_SHORT:
		return "frame shorter than its header or length";
	case FRAME_E_OVERSIZE:
		return "frame larger than 65536 bytes";
	case FRAME_E_TYPE:
		return "unknown frame type";
	case FRAME_E_TRUNCATED:
		return "field or record runs past the end of the frame";
	case FRAME_E_COUNT:
		return "count does not match the frame's content";
	case FRAME_E_SITE:
		return "bad site name";
	case FRAME_E_NAME:
		return "bad DNS name (compressed, bad label or too long)";
	case FRAME_E_RECORD:
		return "record data does not parse for its type";
	case FRAME_E_TRAILING:
		return "bytes after the last field of the frame";
	case FRAME_E_NOMEM:
		return "out of memory";
	default:
		return err < 0 ? strerror(-err) : "unknown error";
	}
}

/* The fields a frame can carry; each has one reader and one writer below. */
enum field {
	F_END = 0,
	F_VERSION,   /* 8 bits */
	F_CAPS,      /* 32 bits */
	F_SITE,      /* length byte, [a-z0-9-]{1,32} */
	F_HOPS,      /* 8 bits */
	F_RECORDS,   /* 16-bit count, records */
	F_QUESTIONS, /* 16-bit count, questions */
	F_REASON,    /* length byte, 0..255 bytes of text */
};

#define FIELDS_MAX 4
#define SITE_MIN (1 + 1)
#define SITE_MAX (1 + FRAME_SITE_MAX)

/* One frame type: what doc/protocol.md's table says, in the order of the wire. */
struct kind {
	const char *name;
	size_t min, max; /* payload bytes */
	enum field fields[FIELDS_MAX];
};

static const struct kind kinds[FRAME_TYPE_END] = {
    [FRAME_HELLO] = {"HELLO",
                     1 + 4 + SITE_MIN,
                     1 + 4 + SITE_MAX,
                     {F_VERSION, F_CAPS, F_SITE}},
    [FRAME_RECORDS] = {"RECORDS",
                       SITE_MIN + 1 + 2 + MIN_RECORD,
                       FRAME_MAX_PAYLOAD,
                       {F_SITE, F_HOPS, F_RECORDS}},
    [FRAME_WITHDRAW] = {"WITHDRAW",
                        SITE_MIN + 2 + MIN_RECORD,
                        FRAME_MAX_PAYLOAD,
                        {F_SITE, F_RECORDS}},
    [FRAME_QUESTIONS] = {"QUESTIONS", 2 + MIN_QUESTION, FRAME_MAX_PAYLOAD, {F_QUESTIONS}},
    [FRAME_KEEPALIVE] = {"KEEPALIVE", 0, 0, {F_END}},
    [FRAME_BYE] = {"BYE", 1, 1 + FRAME_REASON_MAX, {F_REASON}},
};

static const struct kind *kind_of(int type)
{
	if (type <= 0 || type >= FRAME_TYPE_END || !kinds[type].name)
		return NULL;
	return &kinds[type];
}

const char *frame_type_name(int type)
{
	const struct kind *k = kind_of(type);
	return k ? k->name : "unknown";
}

int frame_type_known(int type, size_t *min, size_t *max)
{
	const struct kind *k = kind_of(type);
	if (!k)
		return 0;
	if (min)
		*min = k->min;
	if (max)
		*max = k->max;
	return 1;
}

int frame_site_valid(const char *s)
{
	return s && dnssd_site_valid(s, strnlen(s, FRAME_SITE_MAX + 1));
}

void frame_clear(struct frame *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nrr; i++)
		ldns_rr_free(f->rrs[i]);
	free(f->rrs);
	f->rrs = NULL;
	f->nrr = 0;
}

/* ---------------------------------------------------------------- decoding */

struct rd {
	const uint8_t *p;
	size_t len;
	size_t pos;
};

static size_t rd_left(const struct rd *r)
{
	return r->len - r->pos;
}

static int rd_u8(struct rd *r, uint8_t *v)
{
	if (rd_left(r) < 1)
		return FRAME_E_TRUNCATED;
	*v = r->p[r->pos++];
	return 0;
}

static int rd_u16(struct rd *r, uint16_t *v)
{
	if (rd_left(r) < 2)
		return FRAME_E_TRUNCATED;
	*v = (uint16_t)(r->p[r->pos] << 8 | r->p[r->pos + 1]);
	r->pos += 2;
	return 0;
}

static int rd_u32(struct rd *r, uint32_t *v)
{
	if (rd_left(r) < 4)
		return FRAME_E_TRUNCATED;
	const uint8_t *b = r->p + r->pos;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	r->pos += 4;
	return 0;
}

/* A length byte and that many bytes, which stay in the payload. */
static int rd_counted(struct rd *r, const uint8_t **bytes, uint8_t *n)
{
	int err = rd_u8(r, n);
	if (err)
		return err;
	if (rd_left(r) < *n)
		return FRAME_E_TRUNCATED;
	*bytes = r->p + r->pos;
	r->pos += *n;
	return 0;
}

/* n bytes as a C string; out holds at least n + 1. */
static void copy_str(char *out, const uint8_t *b, uint8_t n)
{
	memcpy(out, b, n);
	out[n] = '\0';
}

static int rd_site(struct rd *r, char out[FRAME_SITE_MAX + 1])
{
	const uint8_t *b;
	uint8_t n;
	int err = rd_counted(r, &b, &n);
	if (err)
		return err;
	/* Checked before the copy: out holds a valid site name only. */
	if (!dnssd_site_valid(b, n))
		return FRAME_E_SITE;
	copy_str(out, b, n);
	return 0;
}

/*
 * Step over an uncompressed name. ldns would follow compression pointers; the
 * protocol has none, so they are refused here before ldns sees the bytes.
 */
static int skip_name(struct rd *r)
{
	size_t total = 0;
	for (;;) {
		uint8_t l;
		if (rd_u8(r, &l))
			return FRAME_E_TRUNCATED;
		total += 1u + l;
		if (l == 0)
			break;
		if (l & 0xc0)
			return FRAME_E_NAME;
		if (total >= MAX_NAME_WIRE)
			return FRAME_E_NAME;
		if (rd_left(r) < l)
			return FRAME_E_TRUNCATED;
		r->pos += l;
	}
	return total > MAX_NAME_WIRE ? FRAME_E_NAME : 0;
}

/* One record or question: structure checked here, content parsed by ldns. */
static int rd_rr(struct rd *r, bool question, ldns_rr **out)
{
	size_t start = r->pos;
	int err = skip_name(r);
	if (err)
		return err;
	uint16_t type, klass, rdlen = 0;
	uint32_t ttl;
	if ((err = rd_u16(r, &type)) || (err = rd_u16(r, &klass)))
		return err;
	if (!question) {
		if ((err = rd_u32(r, &ttl)) || (err = rd_u16(r, &rdlen)))
			return err;
		if (rd_left(r) < rdlen)
			return FRAME_E_TRUNCATED;
		r->pos += rdlen;
	}

	/*
	 * ldns only sees this record's bytes: nothing it does can reach past
	 * them, and a pointer inside rdata makes the parsed record's size differ
	 * from the bytes it came from, which is how compression there is caught.
	 */
	size_t len = r->pos - start, pos = 0;
	ldns_rr *rr = NULL;
	ldns_status st =
	    ldns_wire2rr(&rr, r->p + start, len, &pos,
	                 question ? LDNS_SECTION_QUESTION : LDNS_SECTION_ANSWER);
	if (st == LDNS_STATUS_MEM_ERR)
		return FRAME_E_NOMEM;
	if (st != LDNS_STATUS_OK || !rr)
		return FRAME_E_RECORD;
	if (pos != len) {
		ldns_rr_free(rr);
		return FRAME_E_RECORD;
	}
	if (!question && ldns_rr_uncompressed_size(rr) != len) {
		ldns_rr_free(rr);
		return FRAME_E_NAME;
	}
	*out = rr;
	return 0;
}

static int rd_rrs(struct rd *r, bool question, struct frame *f)
{
	uint16_t count;
	int err = rd_u16(r, &count);
	if (err)
		return err;
	size_t min = question ? MIN_QUESTION : MIN_RECORD;
	if (count == 0 || (size_t)count * min > rd_left(r))
		return FRAME_E_COUNT;
	f->rrs = calloc(count, sizeof(*f->rrs));
	if (!f->rrs)
		return FRAME_E_NOMEM;
	for (size_t i = 0; i < count; i++) {
		if (rd_left(r) == 0)
			return FRAME_E_COUNT;
		err = rd_rr(r, question, &f->rrs[i]);
		if (err)
			return err;
		f->nrr = i + 1;
	}
	return 0;
}

/* Text is not checked here: it is only logged, and the log sanitises it. */
static int rd_text(struct rd *r, char out[FRAME_REASON_MAX + 1])
{
	const uint8_t *b;
	uint8_t n;
	int err = rd_counted(r, &b, &n);
	if (!err)
		copy_str(out, b, n);
	return err;
}

static int rd_field(struct rd *r, enum field field, struct frame *f)
{
	switch (field) {
	case F_VERSION:
		return rd_u8(r, &f->version);
	case F_CAPS:
		return rd_u32(r, &f->caps);
	case F_SITE:
		return rd_site(r, f->site);
	case F_HOPS:
		return rd_u8(r, &f->hops);
	case F_RECORDS:
		return rd_rrs(r, false, f);
	case F_QUESTIONS:
		return rd_rrs(r, true, f);
	case F_REASON:
		return rd_text(r, f->reason);
	case F_END:
		break;
	}
	return 0;
}

int frame_decode_payload(int type, const uint8_t *payload, size_t len, struct frame *f)
{
	struct rd r = {payload, len, 0};
	int err = 0;

	memset(f, 0, sizeof(*f));
	if (len > FRAME_MAX_PAYLOAD)
		return FRAME_E_OVERSIZE;
	const struct kind *k = kind_of(type);
	if (!k)
		return FRAME_E_TYPE;
	f->type = (enum frame_type)type;
	for (size_t i = 0; !err && i < FIELDS_MAX && k->fields[i] != F_END; i++)
		err = rd_field(&r, k->fields[i], f);
	if (!err && rd_left(&r) != 0)
		err = FRAME_E_TRAILING;
	if (err)
		frame_clear(f);
	return err;
}

int frame_header(const uint8_t *buf, size_t len, int *type, size_t *payload_len)
{
	if (len < FRAME_HEADER_LEN)
		return 0;
	size_t plen = (size_t)buf[1] << 16 | (size_t)buf[2] << 8 | buf[3];
	if (!kind_of(buf[0]))
		return FRAME_E_TYPE;
	if (plen > FRAME_MAX_PAYLOAD)
		return FRAME_E_OVERSIZE;
	*type = buf[0];
	*payload_len = plen;
	return 1;
}

int frame_decode(const uint8_t *buf, size_t len, size_t *used, struct frame *f)
{
	int type;
	size_t plen;
	int rc = frame_header(buf, len, &type, &plen);
	if (rc <= 0)
		return rc;
	if (len - FRAME_HEADER_LEN < plen)
		return 0;
	rc = frame_decode_payload(type, buf + FRAME_HEADER_LEN, plen, f);
	if (rc)
		return rc;
	*used = FRAME_HEADER_LEN + plen;
	return 1;
}

int frame_decode_one(const uint8_t *buf, size_t len, struct frame *f)
{
	size_t used = 0;
	int rc = frame_decode(buf, len, &used, f);
	if (rc == 0)
		return FRAME_E_SHORT;
	if (rc < 0)
		return rc;
	if (used != len) {
		frame_clear(f);
		return FRAME_E_TRAILING;
	}
	return 0;
}

/* ---------------------------------------------------------------- encoding */

struct wr {
	uint8_t *p;
	size_t cap;
	size_t pos;
};

static bool wr_room(const struct wr *w, size_t n)
{
	return w->cap - w->pos >= n;
}

static void put_u8(struct wr *w, uint8_t v)
{
	w->p[w->pos++] = v;
}

static void put_u16(struct wr *w, uint16_t v)
{
	w->p[w->pos++] = (uint8_t)(v >> 8);
	w->p[w->pos++] = (uint8_t)v;
}

static void put_u32(struct wr *w, uint32_t v)
{
	put_u16(w, (uint16_t)(v >> 16));
	put_u16(w, (uint16_t)v);
}

static void put_bytes(struct wr *w, const void *b, size_t n)
{
	if (n == 0)
		return;
	memcpy(w->p + w->pos, b, n);
	w->pos += n;
}

static int wr_begin(struct wr *w, uint8_t *buf, size_t cap, int type)
{
	w->p = buf;
	w->cap = cap < FRAME_MAX ? cap : FRAME_MAX;
	w->pos = 0;
	if (!buf || !wr_room(w, FRAME_HEADER_LEN))
		return -ENOSPC;
	put_u8(w, (uint8_t)type);
	w->pos = FRAME_HEADER_LEN;
	return 0;
}

static int wr_end(struct wr *w)
{
	size_t plen = w->pos - FRAME_HEADER_LEN;
	w->p[1] = (uint8_t)(plen >> 16);
	w->p[2] = (uint8_t)(plen >> 8);
	w->p[3] = (uint8_t)plen;
	return (int)w->pos;
}

static int put_site(struct wr *w, const char *site)
{
	if (!frame_site_valid(site))
		return -EINVAL;
	size_t n = strlen(site);
	if (!wr_room(w, 1 + n))
		return -ENOSPC;
	put_u8(w, (uint8_t)n);
	put_bytes(w, site, n);
	return 0;
}

/* Append as many records as fit after the fields already written, then the count. */
static int put_rrs(struct wr *w, bool question, const ldns_rr *const *rrs, size_t n,
                   size_t *taken)
{
	*taken = 0;
	if (!rrs || n == 0)
		return -EINVAL;
	if (!wr_room(w, 2))
		return -ENOSPC;
	size_t count_at = w->pos;
	w->pos += 2;
	size_t i;
	for (i = 0; i < n && i < MAX_COUNT; i++) {
		if (!rrs[i] || !ldns_rr_owner(rrs[i]))
			return -EINVAL;
		uint8_t *wire = NULL;
		size_t len = 0;
		ldns_status st = ldns_rr2wire(
		    &wire, rrs[i], question ? LDNS_SECTION_QUESTION : LDNS_SECTION_ANSWER,
		    &len);
		if (st != LDNS_STATUS_OK) {
			free(wire);
			return st == LDNS_STATUS_MEM_ERR ? -ENOMEM : -EINVAL;
		}
		bool fits = wr_room(w, len);
		if (fits)
			put_bytes(w, wire, len);
		free(wire);
		if (!fits)
			break;
	}
	if (i == 0)
		return -EMSGSIZE;
	w->p[count_at] = (uint8_t)(i >> 8);
	w->p[count_at + 1] = (uint8_t)i;
	*taken = i;
	return 0;
}

static int put_u8_room(struct wr *w, uint8_t v)
{
	if (!wr_room(w, 1))
		return -ENOSPC;
	put_u8(w, v);
	return 0;
}

static int put_text(struct wr *w, const char *text)
{
	size_t n = text ? strnlen(text, FRAME_REASON_MAX) : 0;
	if (!wr_room(w, 1 + n))
		return -ENOSPC;
	put_u8(w, (uint8_t)n);
	put_bytes(w, text, n);
	return 0;
}

static int put_field(struct wr *w, enum field field, const struct frame_out *f,
                     size_t *taken)
{
	switch (field) {
	case F_VERSION:
		return put_u8_room(w, f->version);
	case F_CAPS:
		if (!wr_room(w, 4))
			return -ENOSPC;
		put_u32(w, f->caps);
		return 0;
	case F_SITE:
		return put_site(w, f->site);
	case F_HOPS:
		return put_u8_room(w, f->hops);
	case F_RECORDS:
		return put_rrs(w, false, f->rrs, f->nrr, taken);
	case F_QUESTIONS:
		return put_rrs(w, true, f->rrs, f->nrr, taken);
	case F_REASON:
		return put_text(w, f->reason);
	case F_END:
		break;
	}
	return 0;
}

int frame_encode(uint8_t *buf, size_t cap, const struct frame_out *f, size_t *taken)
{
	struct wr w;
	size_t dummy;

	if (!taken)
		taken = &dummy;
	*taken = 0;
	const struct kind *k = f ? kind_of(f->type) : NULL;
	if (!k)
		return -EINVAL;
	int err = wr_begin(&w, buf, cap, f->type);
	for (size_t i = 0; !err && i < FIELDS_MAX && k->fields[i] != F_END; i++)
		err = put_field(&w, k->fields[i], f, taken);
	return err ? err : wr_end(&w);
}

int frame_encode_hello(uint8_t *buf, size_t cap, uint8_t version, uint32_t caps,
                       const char *site)
{
	struct frame_out f = {
	    .type = FRAME_HELLO, .version = version, .caps = caps, .site = site};
	return frame_encode(buf, cap, &f, NULL);
}

int frame_encode_keepalive(uint8_t *buf, size_t cap)
{
	struct frame_out f = {.type = FRAME_KEEPALIVE};
	return frame_encode(buf, cap, &f, NULL);
}

int frame_encode_bye(uint8_t *buf, size_t cap, const char *reason)
{
	struct frame_out f = {.type = FRAME_BYE, .reason = reason};
	return frame_encode(buf, cap, &f, NULL);
}

int frame_encode_records(uint8_t *buf, size_t cap, const char *origin, uint8_t hops,
                         const ldns_rr *const *rrs, size_t n, size_t *taken)
{
	struct frame_out f = {
	    .type = FRAME_RECORDS, .site = origin, .hops = hops, .rrs = rrs, .nrr = n};
	return frame_encode(buf, cap, &f, taken);
}

int frame_encode_withdraw(uint8_t *buf, size_t cap, const char *origin,
                          const ldns_rr *const *rrs, size_t n, size_t *taken)
{
	struct frame_out f = {
	    .type = FRAME_WITHDRAW, .site = origin, .rrs = rrs, .nrr = n};
	return frame_encode(buf, cap, &f, taken);
}

int frame_encode_questions(uint8_t *buf, size_t cap, const ldns_rr *const *qs, size_t n,
                           size_t *taken)
{
	struct frame_out f = {.type = FRAME_QUESTIONS, .rrs = qs, .nrr = n};
	return frame_encode(buf, cap, &f, taken);
}
