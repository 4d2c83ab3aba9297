/*
 * name.h: small helpers on DNS names and records that every module needs the
 * same way: ASCII case folding (DNS compares names ignoring ASCII case only,
 * RFC 4343), host name characters, a case-folding hash, name equality on the
 * wire form, a record's name-typed rdata and an SRV record's target.
 *
 * Ownership: nothing is allocated but by dnssd_rr_new(), whose record the
 * caller frees (ldns_rr_free); the rdfs returned point into the record passed
 * in and live as long as it does.
 */
#ifndef SITECAST_DNSSD_NAME_H
#define SITECAST_DNSSD_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

/* c in lower case if it is an ASCII capital; any other byte unchanged. */
static inline uint8_t dnssd_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

/* A letter, digit or hyphen: the characters of a host name label (RFC 952, 1123). */
static inline bool dnssd_is_ldh(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

/* Where a chain of dnssd_hash_lower32() starts. */
#define DNSSD_HASH32_INIT 2166136261u

/*
 * FNV-1a (32 bits) over n bytes folded to lower case, continuing from h: for small
 * tables keyed by names that compare ignoring ASCII case, without a folded copy.
 */
static inline uint32_t dnssd_hash_lower32(uint32_t h, const void *data, size_t n)
{
	const uint8_t *d = data;
	for (size_t i = 0; i < n; i++)
		h = (h ^ dnssd_lower(d[i])) * 16777619u;
	return h;
}

/*
 * n bytes of wire-form names equal ignoring ASCII case. Label length bytes are
 * at most 63, below 'A', so folding them too is harmless and the compare needs
 * no label walk.
 */
bool dnssd_wire_eq(const uint8_t *a, const uint8_t *b, size_t n);

/* Two names (LDNS_RDF_TYPE_DNAME) equal ignoring ASCII case; false if either is NULL. */
bool dnssd_name_eq(const ldns_rdf *a, const ldns_rdf *b);

/* Rdata field i of rr when it is a (non-empty) name, else NULL. */
const ldns_rdf *dnssd_rdf_name(const ldns_rr *rr, size_t i);

/* The target host of an SRV record; NULL for another type or a malformed SRV. */
const ldns_rdf *dnssd_srv_target(const ldns_rr *rr);

/*
 * A new record with no rdata yet: a copy of owner, type, klass (cache-flush or
 * QU bit included) and ttl. NULL when out of memory.
 */
ldns_rr *dnssd_rr_new(const ldns_rdf *owner, uint16_t type, uint16_t klass, uint32_t ttl);

#endif
