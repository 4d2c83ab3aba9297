/*
 * encode.h: building mDNS datagrams no larger than an MTU.
 *
 * A dnssd_enc collects questions and records and lays them out into as many
 * datagrams as needed, each at most `mtu` bytes of DNS payload (the caller
 * subtracts IP and UDP headers) and never over DNSSD_MAX_PACKET, with name
 * compression inside each datagram. The class field is written as given, so
 * cache-flush and QU bits survive a decode/encode round trip.
 *
 * Splitting keeps questions in the first datagram(s); answers, authority and
 * additional records follow in order. A single record (or question) that
 * cannot fit in an empty datagram is refused with -EMSGSIZE when added, never
 * fragmented. For queries split across datagrams the TC bit is set on all but
 * the last (RFC 6762 §7.2).
 *
 * Compression compares names without regard to ASCII case (a suffix already
 * in the datagram keeps its first spelling); it applies to owners and to the names in
 * the rdata of the RFC 1035 types, SRV and NSEC (RFC 6762 §18.14).
 *
 * Ownership: dnssd_enc_new() allocates (free with dnssd_enc_free()). Added
 * records are copied in wire form; the caller keeps its own. Packets returned
 * by dnssd_enc_packet() belong to the encoder and are valid until it is freed
 * or added to again.
 */
#ifndef SITECAST_DNSSD_ENCODE_H
#define SITECAST_DNSSD_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "dnssd/msg.h"

struct dnssd_enc;

/* response: QR and AA set. id: 0 for multicast, the query's ID for legacy unicast. */
struct dnssd_enc *dnssd_enc_new(size_t mtu, bool response, uint16_t id);
void dnssd_enc_free(struct dnssd_enc *e);

/* Add a question (owner, type, class incl. QU bit taken from q). 0, -EMSGSIZE or -ENOMEM. */
int dnssd_enc_question(struct dnssd_enc *e, const ldns_rr *q);
/* Add a record to a section (answer, authority or additional). 0, -EMSGSIZE, -EINVAL or -ENOMEM. */
int dnssd_enc_rr(struct dnssd_enc *e, enum dnssd_section s, const ldns_rr *rr);

/*
 * Lay out and return how many datagrams there are (0 when nothing was added, or
 * when memory ran out). Can be called again after more adds.
 */
size_t dnssd_enc_finish(struct dnssd_enc *e);
/* The i-th datagram after dnssd_enc_finish(); *len is its size. */
const uint8_t *dnssd_enc_packet(const struct dnssd_enc *e, size_t i, size_t *len);

#endif
