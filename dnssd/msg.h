/*
 * msg.h: decoding and classifying mDNS messages (RFC 6762), over ldns.
 *
 * dnssd_msg_decode() parses one datagram with the checks the LAN side needs
 * and keeps the cache-flush and unicast-response (QU) bits, which live in the
 * top bit of the class field: ldns stores classes as raw 16-bit values, so the
 * records handed out here still carry them; use dnssd_rr_class() for the
 * class proper and dnssd_rr_cache_flush() / dnssd_q_unicast() for the bits.
 *
 * Ownership: dnssd_msg_decode() allocates the message (caller frees with
 * dnssd_msg_free()). Records and names returned by accessors belong to the
 * message and live as long as it does; clone them (ldns_rr_clone) to keep them.
 */
#ifndef SITECAST_DNSSD_MSG_H
#define SITECAST_DNSSD_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#define DNSSD_MDNS_PORT 5353
/* Largest datagram we accept or build (RFC 6762 §17: jumbo frames at most). */
#define DNSSD_MAX_PACKET 9000
#define DNSSD_CLASS_MASK 0x7fff
#define DNSSD_CLASS_TOPBIT 0x8000

/* Why a datagram was rejected. Stable: counters and logs use these names. */
enum dnssd_reason {
	DNSSD_R_OK = 0,
	DNSSD_R_SHORT,       /* shorter than a DNS header */
	DNSSD_R_TOO_LONG,    /* over DNSSD_MAX_PACKET */
	DNSSD_R_OPCODE,      /* opcode not 0 */
	DNSSD_R_RCODE,       /* rcode not 0 */
	DNSSD_R_TRUNCATED,   /* a name, record or rdata runs past the end */
	DNSSD_R_COUNTS,      /* section counts do not match the content */
	DNSSD_R_NAME,        /* bad label type, label or name over the limits */
	DNSSD_R_POINTER,     /* compression pointer loop or pointing forward/out */
	DNSSD_R_RDATA,       /* rdata that does not parse for its type */
	DNSSD_R_TRAILING,    /* bytes after the last record */
	DNSSD_R_EMPTY,       /* nothing in it: no question and no record */
	DNSSD_R_MAX
};

/* Short stable name of a reason, such as "opcode" or "pointer". */
const char *dnssd_reason_str(enum dnssd_reason r);

enum dnssd_kind {
	DNSSD_QUERY,    /* QR=0, questions (and maybe known answers) */
	DNSSD_PROBE,    /* QR=0 with questions and authority records (RFC 6762 §8.1) */
	DNSSD_RESPONSE, /* QR=1 */
};

enum dnssd_section { DNSSD_SEC_QUESTION, DNSSD_SEC_ANSWER, DNSSD_SEC_AUTHORITY, DNSSD_SEC_ADDITIONAL };

struct dnssd_msg;

/*
 * Decode a datagram. On success returns 0 and sets *out (caller frees). On
 * failure returns -EBADMSG, sets *reason and leaves *out NULL (-ENOMEM when
 * memory runs out). Never reads past buf + len and keeps no pointer into buf.
 * reason may be NULL.
 *
 * Checks, first failure wins: size (SHORT, TOO_LONG), opcode, rcode, then one
 * walk over every name, pointer and rdata length. Compression pointers must
 * point backwards, before the labels that led to them, and not into the
 * header (POINTER). A datagram ending exactly where a counted entry should
 * start, or followed by bytes that are whole records, has lying COUNTS; other
 * bytes after the last counted record are TRAILING. RDATA is checked by type
 * for A, AAAA, TXT, HINFO, SRV, NSEC, OPT and the types with names in rdata;
 * every other type is kept as ldns parses it, and unknown types as one
 * LDNS_RDF_TYPE_UNKNOWN field. An empty TXT is accepted (RFC 6763 §6.1).
 *
 * The OPT record (EDNS) is not kept as a record: as ldns_wire2pkt() does, it
 * goes to the packet's EDNS fields (ldns_pkt_edns_udp_size() ...) and is not
 * counted in the additional section. An OPT in another section or a second
 * OPT is RDATA; a nonzero extended rcode is RCODE. Questions have TTL 0.
 */
int dnssd_msg_decode(const uint8_t *buf, size_t len, struct dnssd_msg **out,
		     enum dnssd_reason *reason);
void dnssd_msg_free(struct dnssd_msg *m);

enum dnssd_kind dnssd_msg_kind(const struct dnssd_msg *m);
uint16_t dnssd_msg_id(const struct dnssd_msg *m);
/* A response all of whose answer records have TTL 0. */
bool dnssd_msg_is_goodbye(const struct dnssd_msg *m);
/* The TC bit (a query continued in following packets, RFC 6762 §7.2). */
bool dnssd_msg_truncated(const struct dnssd_msg *m);

size_t dnssd_msg_count(const struct dnssd_msg *m, enum dnssd_section s);
/* The i-th record of a section; for DNSSD_SEC_QUESTION a question (no rdata, TTL 0). */
const ldns_rr *dnssd_msg_rr(const struct dnssd_msg *m, enum dnssd_section s, size_t i);
/* The underlying packet, for code that wants ldns directly (owned by m). */
const ldns_pkt *dnssd_msg_pkt(const struct dnssd_msg *m);

/* Class without the top bit; the cache-flush bit of a record; the QU bit of a question. */
static inline uint16_t dnssd_rr_class(const ldns_rr *rr)
{
	return (uint16_t)(ldns_rr_get_class(rr) & DNSSD_CLASS_MASK);
}
static inline bool dnssd_rr_cache_flush(const ldns_rr *rr)
{
	return (ldns_rr_get_class(rr) & DNSSD_CLASS_TOPBIT) != 0;
}
static inline bool dnssd_q_unicast(const ldns_rr *q)
{
	return (ldns_rr_get_class(q) & DNSSD_CLASS_TOPBIT) != 0;
}

#endif
