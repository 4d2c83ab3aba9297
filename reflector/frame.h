/*
 * frame.h: the peer-link frame codec (doc/protocol.md has the byte layouts).
 *
 * Frames travel inside TLS. Each is a 4-byte header (type, then the payload
 * length as a 24-bit big-endian number) and a payload; a whole frame is at most
 * FRAME_MAX bytes. The codec does no I/O: encoders write into a caller buffer,
 * the decoder takes the bytes received so far and returns one complete frame at
 * a time, checking every length before it is used. Any decode error means the
 * peer does not speak the protocol, and the link is closed.
 *
 * Records and questions cross as ldns_rr in uncompressed DNS wire form, with
 * the cache-flush and QU bits kept in the class field.
 *
 * Ownership: encoders only read their arguments. frame_decode() fills a
 * struct frame whose rrs array and records it allocates; frame_clear() frees
 * them. Set an entry of rrs to NULL to take that record (the caller then
 * frees it with ldns_rr_free()).
 */
#ifndef SITECAST_REFLECTOR_FRAME_H
#define SITECAST_REFLECTOR_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "dnssd/site.h"

#define FRAME_HEADER_LEN 4
/* Largest frame, header included. */
#define FRAME_MAX 65536
#define FRAME_MAX_PAYLOAD (FRAME_MAX - FRAME_HEADER_LEN)
/* Frames carry the site names the configuration accepts (dnssd/site.h). */
#define FRAME_SITE_MAX DNSSD_SITE_MAX
#define FRAME_REASON_MAX 255
/* The only protocol version so far. */
#define FRAME_VERSION 1

/*
 * The frame types. Each has one row in frame.c's table (name, payload
 * bounds, fields in wire order) and one in peer.c's handler table; adding a
 * type is those two rows and, if it carries a new kind of field, that field's
 * reader and writer.
 */
enum frame_type {
	FRAME_HELLO = 1,
	FRAME_RECORDS = 2,
	FRAME_WITHDRAW = 3,
	FRAME_QUESTIONS = 4,
	FRAME_KEEPALIVE = 5,
	FRAME_BYE = 6,
	FRAME_TYPE_END /* one past the last type: the size of tables indexed by type */
};

/*
 * Decode errors (negative, like errno values, but in their own range so that
 * a log line can say exactly what was wrong). The streaming decoder says "need
 * more bytes" by returning 0; only frame_decode_one() reports FRAME_E_SHORT.
 */
enum frame_error {
	FRAME_E_SHORT = -1001,     /* fewer bytes than the header or the length says */
	FRAME_E_OVERSIZE = -1002,  /* length over FRAME_MAX_PAYLOAD */
	FRAME_E_TYPE = -1003,      /* unknown frame type */
	FRAME_E_TRUNCATED = -1004, /* a field or record runs past the payload */
	FRAME_E_COUNT = -1005,     /* a count larger than the payload can hold */
	FRAME_E_SITE = -1006,      /* site name not [a-z0-9-]{1,32} */
	FRAME_E_NAME = -1007,      /* bad DNS name: compression, label type, length */
	FRAME_E_RECORD = -1008,    /* rdata that does not parse for its type */
	FRAME_E_TRAILING = -1009,  /* bytes after the last field */
	FRAME_E_NOMEM = -1010,
};

/* One line of text for a frame error or a negative errno. */
const char *frame_strerror(int err);
/* "HELLO", "RECORDS", ..., or "unknown". */
const char *frame_type_name(int type);
/* Whether s is a valid site name ([a-z0-9-]{1,32}). */
int frame_site_valid(const char *s);
/*
 * Whether type is a known frame type; if so, and min/max are not NULL, the
 * smallest and largest payload a valid frame of that type can have. The
 * decoder does not need them (every field is checked as it is read); a
 * receiver uses max to refuse a frame it would not buffer.
 */
int frame_type_known(int type, size_t *min, size_t *max);

struct frame {
	enum frame_type type;
	uint8_t version;               /* HELLO */
	uint32_t caps;                 /* HELLO: capability bits, none defined yet */
	char site[FRAME_SITE_MAX + 1]; /* HELLO: sender; RECORDS, WITHDRAW: origin */
	uint8_t hops;                  /* RECORDS */
	ldns_rr **rrs; /* RECORDS, WITHDRAW: records; QUESTIONS: questions */
	size_t nrr;
	char reason[FRAME_REASON_MAX + 1]; /* BYE, as sent (not sanitised) */
};

/* Free what a decoded frame holds (NULL entries of rrs are skipped). */
void frame_clear(struct frame *f);

/*
 * Streaming decode: buf holds len bytes received so far. Returns 1 with *f
 * filled and *used set to the frame's size; 0 when more bytes are needed (an
 * oversize length or unknown type is reported as soon as the header is
 * there); or a negative FRAME_E_* error. *f needs no initialisation and is
 * only set on 1.
 */
int frame_decode(const uint8_t *buf, size_t len, size_t *used, struct frame *f);

/*
 * Header only: returns 1 and sets *type and *payload_len when len >= 4 and
 * the header is acceptable, 0 when len < 4, or FRAME_E_OVERSIZE / FRAME_E_TYPE.
 */
int frame_header(const uint8_t *buf, size_t len, int *type, size_t *payload_len);

/* One payload of a known type; the whole of payload must be used. 0 or FRAME_E_*. */
int frame_decode_payload(int type, const uint8_t *payload, size_t len, struct frame *f);

/*
 * buf must hold exactly one frame: 0 with *f filled, FRAME_E_SHORT when it
 * holds less, FRAME_E_TRAILING when more, or another FRAME_E_* error.
 */
int frame_decode_one(const uint8_t *buf, size_t len, struct frame *f);

/*
 * What to encode: the fields of f->type's row are taken from here, the others
 * ignored. For RECORDS, WITHDRAW and QUESTIONS, as many of the nrr records
 * (from the first) as fit in min(cap, FRAME_MAX) bytes and 65535 entries are
 * encoded and *taken says how many (taken may be NULL). A reason is cut to
 * FRAME_REASON_MAX bytes; NULL is empty.
 */
struct frame_out {
	enum frame_type type;
	uint8_t version;
	uint32_t caps;
	const char *site; /* HELLO: sender; RECORDS, WITHDRAW: origin */
	uint8_t hops;
	const ldns_rr *const *rrs;
	size_t nrr;
	const char *reason;
};

/*
 * Write one whole frame into buf (cap bytes) and return its length, or
 * -EINVAL (unknown type, bad site name or argument, no records, a record
 * with no owner), -ENOSPC (cap too small), -ENOMEM, or -EMSGSIZE with
 * *taken 0 when the first record does not fit even alone (the caller skips
 * it).
 */
int frame_encode(uint8_t *buf, size_t cap, const struct frame_out *f, size_t *taken);

/* Shorthands for frame_encode(), one per type, with the same results. */
int frame_encode_hello(uint8_t *buf, size_t cap, uint8_t version, uint32_t caps,
                       const char *site);
int frame_encode_keepalive(uint8_t *buf, size_t cap);
/* reason is cut to FRAME_REASON_MAX bytes. */
int frame_encode_bye(uint8_t *buf, size_t cap, const char *reason);

int frame_encode_records(uint8_t *buf, size_t cap, const char *origin, uint8_t hops,
                         const ldns_rr *const *rrs, size_t n, size_t *taken);
int frame_encode_withdraw(uint8_t *buf, size_t cap, const char *origin,
                          const ldns_rr *const *rrs, size_t n, size_t *taken);
int frame_encode_questions(uint8_t *buf, size_t cap, const ldns_rr *const *qs, size_t n,
                           size_t *taken);

#endif
