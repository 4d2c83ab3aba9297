/*
 * name.c: name and record helpers shared by every module (name.h).
 */
#include <config.h>

#include "dnssd/name.h"

bool dnssd_wire_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i] && dnssd_lower(a[i]) != dnssd_lower(b[i]))
			return false;
	return true;
}

bool dnssd_name_eq(const ldns_rdf *a, const ldns_rdf *b)
{
	return a && b && ldns_rdf_size(a) == ldns_rdf_size(b) &&
	       dnssd_wire_eq(ldns_rdf_data(a), ldns_rdf_data(b), ldns_rdf_size(a));
}

const ldns_rdf *dnssd_rdf_name(const ldns_rr *rr, size_t i)
{
	if (!rr || ldns_rr_rd_count(rr) <= i)
		return NULL;
	const ldns_rdf *d = ldns_rr_rdf(rr, i);
	return d && ldns_rdf_get_type(d) == LDNS_RDF_TYPE_DNAME && ldns_rdf_size(d) > 0 ? d
	                                                                               : NULL;
}

const ldns_rdf *dnssd_srv_target(const ldns_rr *rr)
{
	return rr && ldns_rr_get_type(rr) == LDNS_RR_TYPE_SRV ? dnssd_rdf_name(rr, 3) : NULL;
}

ldns_rr *dnssd_rr_new(const ldns_rdf *owner, uint16_t type, uint16_t klass, uint32_t ttl)
{
	ldns_rr *rr = ldns_rr_new();
	ldns_rdf *o = owner ? ldns_rdf_clone(owner) : NULL;
	if (!rr || !o) {
		ldns_rr_free(rr);
		ldns_rdf_deep_free(o);
		return NULL;
	}
	ldns_rr_set_owner(rr, o);
	ldns_rr_set_type(rr, (ldns_rr_type)type);
	ldns_rr_set_class(rr, (ldns_rr_class)klass);
	ldns_rr_set_ttl(rr, ttl);
	return rr;
}
