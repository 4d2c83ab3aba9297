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
