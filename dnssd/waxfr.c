/* waxfr.c: zone transfers and SOA serials. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "dnssd/waxfr.h"

#define XFR_MAX_RECORDS 1000000

struct dnssd_wa_xfr {
	uint16_t id;
	const struct dnssd_wa_key *key; /* the caller's, outlives the transfer */
	ldns_rdf *mac;                  /* MAC the next signed message covers */
	int messages, soas, last_signed, rcode, tsig_error;
	uint32_t serial;
	ldns_rr_list *rrs;
};

struct dnssd_wa_xfr *dnssd_wa_xfr_new(const struct dnssd_wa_msg *req,
                                      const struct dnssd_wa_key *key)
{
	struct dnssd_wa_xfr *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->id = req->id;
	x->key = key;
	x->rrs = ldns_rr_list_new();
	if (req->mac)
		x->mac = ldns_rdf_clone(req->mac);
	if (!x->rrs || (req->mac && !x->mac)) {
		dnssd_wa_xfr_free(x);
		return NULL;
	}
	return x;
}

void dnssd_wa_xfr_free(struct dnssd_wa_xfr *x)
{
	if (!x)
		return;
	ldns_rdf_deep_free(x->mac);
	ldns_rr_list_deep_free(x->rrs);
	free(x);
}

int dnssd_wa_xfr_feed(struct dnssd_wa_xfr *x, const uint8_t *wire, size_t len)
{
	struct dnssd_wa_answer a;
	int rc =
	    dnssd_wa_answer_parse(wire, len, x->id, x->key, x->mac, x->messages == 0, &a);
	if (rc < 0)
		return rc;
	x->messages++;
	x->rcode = a.rcode;
	x->tsig_error = a.tsig_error;
	if (a.rcode != LDNS_RCODE_NOERROR || a.tsig_error) {
		dnssd_wa_answer_clear(&a);
		return -ECONNREFUSED;
	}
	if (x->key && !a.signed_ok && x->messages == 1) {
		dnssd_wa_answer_clear(&a);
		return -EBADMSG;
	}
	x->last_signed = a.signed_ok || !x->key;
	if (a.signed_ok) {
		ldns_rdf *m = ldns_rdf_clone(dnssd_wa_answer_mac(&a));
		if (!m) {
			dnssd_wa_answer_clear(&a);
			return -ENOMEM;
		}
		ldns_rdf_deep_free(x->mac);
		x->mac = m;
	}
	ldns_rr_list *an = ldns_pkt_answer(a.pkt);
	rc = 0;
	for (size_t i = 0; an && i < ldns_rr_list_rr_count(an) && rc == 0; i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (x->soas >= 2) {
			rc = -EPROTO; /* records after the closing SOA */
			break;
		}
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) {
			if (x->soas++ == 0) {
				const ldns_rdf *s = ldns_rr_rdf(rr, 2);
				if (!s || ldns_rdf_size(s) != 4) {
					rc = -EPROTO;
					break;
				}
				x->serial = ldns_rdf2native_int32(s);
			}
			continue;
		}
		if (x->soas == 0) {
			rc = -EPROTO; /* a transfer starts with the SOA */
			break;
		}
		if (ldns_rr_list_rr_count(x->rrs) >= XFR_MAX_RECORDS) {
			rc = -E2BIG;
			break;
		}
		ldns_rr *c = ldns_rr_clone(rr);
		if (!c || !ldns_rr_list_push_rr(x->rrs, c)) {
			ldns_rr_free(c);
			rc = -ENOMEM;
		}
	}
	dnssd_wa_answer_clear(&a);
	if (rc < 0)
		return rc;
	if (x->soas >= 2)
		return x->last_signed ? 1 : -EBADMSG;
	return 0;
}

void dnssd_wa_xfr_rcode(const struct dnssd_wa_xfr *x, int *rcode, int *tsig_error)
{
	*rcode = x->rcode;
	*tsig_error = x->tsig_error;
}

uint32_t dnssd_wa_xfr_serial(const struct dnssd_wa_xfr *x)
{
	return x->serial;
}

ldns_rr_list *dnssd_wa_xfr_take(struct dnssd_wa_xfr *x)
{
	ldns_rr_list *l = x->rrs;
	x->rrs = NULL;
	return l;
}

int dnssd_wa_soa_serial(const struct dnssd_wa_answer *a, uint32_t *serial)
{
	ldns_rr_list *an = a->pkt ? ldns_pkt_answer(a->pkt) : NULL;
	for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		const ldns_rdf *s = ldns_rr_rdf(rr, 2);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && s &&
		    ldns_rdf_size(s) == 4) {
			*serial = ldns_rdf2native_int32(s);
			return 0;
		}
	}
	return -ENOENT;
}
