/*
 * wazone.h: what a wide-area DNS-SD domain should hold (RFC 6763 §11), and
 * the changes that bring a server's copy to it. I/O-free.
 *
 * Export: the site's local DNS-SD records (names under .local, already past
 * export policy and the address map) become records of <domain>:
 *   _ipp._tcp.local PTR A._ipp._tcp.local  -> _ipp._tcp.<domain> PTR A._ipp._tcp.<domain>
 *                                             _services._dns-sd._udp.<domain> PTR
 * _ipp._tcp.<domain> subtype PTRs, SRV (target host.local -> host.<domain>), TXT, A/AAAA
 * of host.<domain> and b._dns-sd._udp.<zone> / lb._dns-sd._udp.<zone> PTR <domain>.
 * Labels are copied as wire bytes, so instance names with spaces, dots and
 * UTF-8 are published exactly (RFC 6763 §4.3).
 * Import: the reverse, records of a domain back to .local names.
 *
 * Ownership: every ldns_rr_list returned is new and owned by the caller
 * (ldns_rr_list_deep_free()); inputs are only read.
 */
#ifndef SITECAST_DNSSD_WAZONE_H
#define SITECAST_DNSSD_WAZONE_H

#include <stdint.h>

#include <ldns/ldns.h>

/*
 * The records of domain (under zone, presentation form without or with the
 * trailing dot) for the local records in local. Records of other kinds or
 * outside .local are left out; duplicates are merged. When local holds no
 * service, the result is empty (no b/lb pointers either). Returns 0 and sets
 * *out, -EINVAL (bad domain or zone) or -ENOMEM.
 */
int dnssd_wa_export(const ldns_rr_list *local, const char *domain, const char *zone,
                    uint32_t ttl, ldns_rr_list **out);

/*
 * The records of a domain read from the server (a transfer, any mix of
 * names) given back under .local: PTR, SRV, TXT, A and AAAA whose owner is
 * under domain, with PTR and SRV targets under domain renamed too. The
 * enumeration, SOA, NS and anything else are left out. Returns 0 and sets
 * *out, -EINVAL or -ENOMEM.
 */
int dnssd_wa_import(const ldns_rr_list *zone_rrs, const char *domain, ldns_rr_list **out);

/*
 * Whether rr is one this gateway owns in the zone: its owner is at or under
 * domain (but SOA, NS, DNSSEC records are never owned), or it is a PTR at
 * b._dns-sd._udp.<zone> or lb._dns-sd._udp.<zone> pointing at domain (the
 * RRsets there are shared with other sites: only this one record is ours).
 */
int dnssd_wa_owned(const ldns_rr *rr, const ldns_rdf *domain, const ldns_rdf *zone);

/*
 * The changes from have (what the server holds, e.g. a transfer) to want (from
 * dnssd_wa_export()), limited to owned records: *add gets what want has and
 * have lacks, *del what owned records have holds and want lacks. Records
 * compare as DNS does: names case-insensitively, other data byte for byte,
 * TTL ignored. Returns 0, -EINVAL or -ENOMEM.
 */
int dnssd_wa_diff(const ldns_rr_list *want, const ldns_rr_list *have, const char *domain,
                  const char *zone, ldns_rr_list **add, ldns_rr_list **del);

/* 0 when a and b are the same record as DNS compares them (TTL ignored). */
int dnssd_wa_rr_cmp(const ldns_rr *a, const ldns_rr *b);

/*
 * l's records sorted by dnssd_wa_rr_cmp, *n of them (l may be NULL): a new
 * array (the caller frees it) of pointers into l, valid while l is. NULL on
 * ENOMEM.
 */
ldns_rr **dnssd_wa_sorted(const ldns_rr_list *l, size_t *n);
/* 1 when v (n records from dnssd_wa_sorted) holds rr, else 0. */
int dnssd_wa_sorted_has(ldns_rr *const *v, size_t n, const ldns_rr *rr);

#endif
