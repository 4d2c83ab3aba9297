/*
 * waxfr.h: reading a zone transfer (AXFR, RFC 5936) over several messages,
 * each checked with TSIG, and the serial of an SOA answer. I/O-free.
 *
 * Ownership: dnssd_wa_xfr_new() returns an object the caller frees with
 * dnssd_wa_xfr_free(); dnssd_wa_xfr_take() hands the records to the caller
 * (ldns_rr_list_deep_free()).
 */
#ifndef SITECAST_DNSSD_WAXFR_H
#define SITECAST_DNSSD_WAXFR_H

#include <stdint.h>

#include "dnssd/waupdate.h"

struct dnssd_wa_xfr;

/* A transfer answering req (copied what is needed), verified with key (may be NULL). */
struct dnssd_wa_xfr *dnssd_wa_xfr_new(const struct dnssd_wa_msg *req,
                                      const struct dnssd_wa_key *key);
void dnssd_wa_xfr_free(struct dnssd_wa_xfr *x);

/*
 * One message of the transfer. Returns 1 when the transfer is complete (the
 * closing SOA seen, the last message signed), 0 when more must come,
 * -EPROTO (malformed, not a transfer), -EBADMSG (TSIG missing or wrong),
 * -ECONNREFUSED (the server answered with an error rcode: see
 * dnssd_wa_xfr_rcode()), -ENOMEM, -E2BIG (over 1,000,000 records).
 */
int dnssd_wa_xfr_feed(struct dnssd_wa_xfr *x, const uint8_t *wire, size_t len);

/* The rcode and TSIG error of the last message fed. */
void dnssd_wa_xfr_rcode(const struct dnssd_wa_xfr *x, int *rcode, int *tsig_error);

/* After completion: the zone's serial, and its records but the SOA (taken; once). */
uint32_t dnssd_wa_xfr_serial(const struct dnssd_wa_xfr *x);
ldns_rr_list *dnssd_wa_xfr_take(struct dnssd_wa_xfr *x);

/* The serial of the SOA in an answer's answer section: 0 and *serial, or -ENOENT. */
int dnssd_wa_soa_serial(const struct dnssd_wa_answer *a, uint32_t *serial);

#endif
