/* wazone.c: building a wide-area domain's records, reading them back, diffing. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/name.h"
#include "dnssd/svcname.h"
#include "dnssd/wazone.h"

/* A dname from presentation text, with or without the trailing dot; NULL if bad. */
static ldns_rdf *dname(const char *text)
{
	if (!text || !*text)
		return NULL;
	ldns_rdf *d = NULL;
	if (ldns_str2rdf_dname(&d, text) != LDNS_STATUS_OK)
		return NULL;
	return d;
}

static int under(const ldns_rdf *name, const ldns_rdf *suffix)
{
	return dnssd_name_eq(name, suffix) ||
	       ldns_dname_is_subdomain(name, suffix);
}

/*
 * name with its suffix from replaced by to (name must be under from). Wire
 * bytes are copied, so labels keep spaces, dots and case. NULL when too long.
 */
static ldns_rdf *resuffix(const ldns_rdf *name, const ldns_rdf *from, const ldns_rdf *to)
{
	size_t keep = ldns_rdf_size(name) - ldns_rdf_size(from);
	size_t n = keep + ldns_rdf_size(to);
	uint8_t buf[LDNS_MAX_DOMAINLEN + 1];
	if (n > LDNS_MAX_DOMAINLEN)
		return NULL;
	memcpy(buf, ldns_rdf_data(name), keep);
	memcpy(buf + keep, ldns_rdf_data(to), ldns_rdf_size(to));
	return ldns_dname_new_frm_data((uint16_t)n, buf);
}

/* A copy of rr with owner and (for PTR, SRV) target moved from one suffix to another. */
static ldns_rr *move_rr(const ldns_rr *rr, const ldns_rdf *from, const ldns_rdf *to,
                        uint32_t ttl, int set_ttl)
{
	ldns_rr *c = ldns_rr_clone(rr);
	if (!c)
		return NULL;
	ldns_rdf *o = resuffix(ldns_rr_owner(rr), from, to);
	if (!o)
		goto fail;
	ldns_rdf_deep_free(ldns_rr_owner(c));
	ldns_rr_set_owner(c, o);
	size_t idx = ldns_rr_get_type(rr) == LDNS_RR_TYPE_SRV ? 3 : 0;
	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_PTR ||
	    ldns_rr_get_type(rr) == LDNS_RR_TYPE_SRV) {
		const ldns_rdf *t = ldns_rr_rdf(rr, idx);
		if (!t || ldns_rdf_get_type(t) != LDNS_RDF_TYPE_DNAME)
			goto fail;
		if (under(t, from)) {
			ldns_rdf *nt = resuffix(t, from, to);
			if (!nt)
				goto fail;
			ldns_rdf_deep_free(ldns_rr_set_rdf(c, nt, idx));
		}
	}
	if (set_ttl)
		ldns_rr_set_ttl(c, ttl);
	/* mDNS cache-flush bit and odd classes do not belong in a unicast zone. */
	ldns_rr_set_class(c, LDNS_RR_CLASS_IN);
	return c;
fail:
	ldns_rr_free(c);
	return NULL;
}

int dnssd_wa_rr_cmp(const ldns_rr *a, const ldns_rr *b)
{
	int c = ldns_dname_compare(ldns_rr_owner(a), ldns_rr_owner(b));
	if (c)
		return c;
	if (ldns_rr_get_type(a) != ldns_rr_get_type(b))
		return ldns_rr_get_type(a) < ldns_rr_get_type(b) ? -1 : 1;
	if (ldns_rr_rd_count(a) != ldns_rr_rd_count(b))
		return ldns_rr_rd_count(a) < ldns_rr_rd_count(b) ? -1 : 1;
	for (size_t i = 0; i < ldns_rr_rd_count(a); i++) {
		const ldns_rdf *x = ldns_rr_rdf(a, i), *y = ldns_rr_rdf(b, i);
		if (ldns_rdf_get_type(x) == LDNS_RDF_TYPE_DNAME &&
		    ldns_rdf_get_type(y) == LDNS_RDF_TYPE_DNAME)
			c = ldns_dname_compare(x, y);
		else
			c = ldns_rdf_compare(x, y);
		if (c)
			return c;
	}
	return 0;
}

static int cmp_ptr(const void *a, const void *b)
{
	return dnssd_wa_rr_cmp(*(ldns_rr *const *)a, *(ldns_rr *const *)b);
}

/* Sort l and free duplicates (the first of equal records stays). */
static void sort_unique(ldns_rr_list *l)
{
	size_t n = ldns_rr_list_rr_count(l);
	if (n < 2)
		return;
	ldns_rr **v = malloc(n * sizeof(*v));
	if (!v)
		return; /* unsorted but correct: the server merges equal records */
	for (size_t i = 0; i < n; i++)
		v[i] = ldns_rr_list_rr(l, i);
	qsort(v, n, sizeof(*v), cmp_ptr);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k && dnssd_wa_rr_cmp(v[k - 1], v[i]) == 0)
			ldns_rr_free(v[i]);
		else
			v[k++] = v[i];
	}
	for (size_t i = 0; i < k; i++)
		ldns_rr_list_set_rr(l, v[i], i);
	ldns_rr_list_set_rr_count(l, k);
	free(v);
}

static int push(ldns_rr_list *l, ldns_rr *rr)
{
	if (!rr)
		return -ENOMEM;
	if (!ldns_rr_list_push_rr(l, rr)) {
		ldns_rr_free(rr);
		return -ENOMEM;
	}
	return 0;
}

/* owner PTR target, both new names (taken), class IN. */
static ldns_rr *ptr_rr(ldns_rdf *owner, ldns_rdf *target, uint32_t ttl)
{
	ldns_rr *rr = ldns_rr_new_frm_type(LDNS_RR_TYPE_PTR);
	if (!rr || !owner || !target) {
		ldns_rr_free(rr);
		ldns_rdf_deep_free(owner);
		ldns_rdf_deep_free(target);
		return NULL;
	}
	ldns_rr_set_owner(rr, owner);
	ldns_rr_set_ttl(rr, ttl);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rdf_deep_free(ldns_rr_set_rdf(rr, target, 0));
	return rr;
}

/* pfx (presentation, ends in '.') + name, as a new dname. */
static ldns_rdf *prefixed(const char *pfx, const ldns_rdf *name)
{
	ldns_rdf *p = ldns_dname_new_frm_str(pfx);
	if (!p)
		return NULL;
	/* ldns_dname_cat wants a relative left part: drop p's root label. */
	ldns_rdf *rel =
	    ldns_dname_new_frm_data((uint16_t)(ldns_rdf_size(p) - 1), ldns_rdf_data(p));
	ldns_rdf_deep_free(p);
	if (!rel)
		return NULL;
	ldns_rdf *r = ldns_dname_cat_clone(rel, name);
	ldns_rdf_deep_free(rel);
	return r;
}

int dnssd_wa_export(const ldns_rr_list *local, const char *domain, const char *zone,
                    uint32_t ttl, ldns_rr_list **out)
{
	ldns_rdf *dom = dname(domain), *zn = dname(zone), *loc = dname("local.");
	ldns_rr_list *l = ldns_rr_list_new();
	int rc = 0, services = 0;

	*out = NULL;
	if (!dom || !zn || !loc || !l) {
		rc = (!loc || !l) ? -ENOMEM : -EINVAL;
		goto done;
	}
	for (size_t i = 0; local && i < ldns_rr_list_rr_count(local) && rc == 0; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(local, i);
		const ldns_rdf *own = ldns_rr_owner(rr);
		if (!ldns_dname_is_subdomain(own, loc))
			continue;
		enum dnssd_name_kind k = dnssd_name_kind(own);
		switch (ldns_rr_get_type(rr)) {
		case LDNS_RR_TYPE_PTR: {
			if (k != DNSSD_NAME_SERVICE_TYPE && k != DNSSD_NAME_SUBTYPE)
				break;
			const ldns_rdf *t = ldns_rr_rdf(rr, 0);
			if (!t || ldns_rdf_get_type(t) != LDNS_RDF_TYPE_DNAME ||
			    dnssd_name_kind(t) != DNSSD_NAME_INSTANCE)
				break;
			ldns_rr *m = move_rr(rr, loc, dom, ttl, 1);
			if (!m)
				break; /* too long under domain: cannot be published */
			if (k == DNSSD_NAME_SERVICE_TYPE) {
				rc = push(l,
				          ptr_rr(prefixed("_services._dns-sd._udp.", dom),
				                 ldns_rdf_clone(ldns_rr_owner(m)), ttl));
				services = 1;
			}
			if (rc == 0)
				rc = push(l, m);
			else
				ldns_rr_free(m);
			break;
		}
		case LDNS_RR_TYPE_SRV:
		case LDNS_RR_TYPE_TXT:
			if (k == DNSSD_NAME_INSTANCE) {
				ldns_rr *m = move_rr(rr, loc, dom, ttl, 1);
				if (m)
					rc = push(l, m);
			}
			break;
		case LDNS_RR_TYPE_A:
		case LDNS_RR_TYPE_AAAA:
			if (k == DNSSD_NAME_HOST) {
				ldns_rr *m = move_rr(rr, loc, dom, ttl, 1);
				if (m)
					rc = push(l, m);
			}
			break;
		default:
			break;
		}
	}
	if (rc == 0 && services) {
		rc = push(
		    l, ptr_rr(prefixed("b._dns-sd._udp.", zn), ldns_rdf_clone(dom), ttl));
		if (rc == 0)
			rc = push(l, ptr_rr(prefixed("lb._dns-sd._udp.", zn),
			                    ldns_rdf_clone(dom), ttl));
	}
	if (rc == 0) {
		sort_unique(l);
		*out = l;
		l = NULL;
	}
done:
	ldns_rr_list_deep_free(l);
	ldns_rdf_deep_free(dom);
	ldns_rdf_deep_free(zn);
	ldns_rdf_deep_free(loc);
	return rc;
}

int dnssd_wa_import(const ldns_rr_list *zone_rrs, const char *domain, ldns_rr_list **out)
{
	ldns_rdf *dom = dname(domain), *loc = dname("local.");
	ldns_rdf *en = dom ? prefixed("_services._dns-sd._udp.", dom) : NULL;
	ldns_rr_list *l = ldns_rr_list_new();
	int rc = 0;

	*out = NULL;
	if (!dom || !loc || !l || !en) {
		rc = dom ? -ENOMEM : -EINVAL;
		goto done;
	}
	for (size_t i = 0; zone_rrs && i < ldns_rr_list_rr_count(zone_rrs) && rc == 0;
	     i++) {
		const ldns_rr *rr = ldns_rr_list_rr(zone_rrs, i);
		ldns_rr_type t = ldns_rr_get_type(rr);
		if (t != LDNS_RR_TYPE_PTR && t != LDNS_RR_TYPE_SRV &&
		    t != LDNS_RR_TYPE_TXT && t != LDNS_RR_TYPE_A &&
		    t != LDNS_RR_TYPE_AAAA)
			continue;
		if (!ldns_dname_is_subdomain(ldns_rr_owner(rr), dom) ||
		    dnssd_name_eq(ldns_rr_owner(rr), en))
			continue;
		ldns_rr *m = move_rr(rr, dom, loc, 0, 0);
		if (m)
			rc = push(l, m);
	}
	if (rc == 0) {
		*out = l;
		l = NULL;
	}
done:
	ldns_rr_list_deep_free(l);
	ldns_rdf_deep_free(dom);
	ldns_rdf_deep_free(loc);
	ldns_rdf_deep_free(en);
	return rc;
}

int dnssd_wa_owned(const ldns_rr *rr, const ldns_rdf *domain, const ldns_rdf *zone)
{
	switch (ldns_rr_get_type(rr)) {
	case LDNS_RR_TYPE_SOA:
	case LDNS_RR_TYPE_NS:
	case LDNS_RR_TYPE_RRSIG:
	case LDNS_RR_TYPE_NSEC:
	case LDNS_RR_TYPE_NSEC3:
	case LDNS_RR_TYPE_DNSKEY:
	case LDNS_RR_TYPE_DS:
		return 0;
	default:
		break;
	}
	if (under(ldns_rr_owner(rr), domain))
		return 1;
	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_PTR || !ldns_rr_rdf(rr, 0) ||
	    !dnssd_name_eq(ldns_rr_rdf(rr, 0), domain))
		return 0;
	int owned = 0;
	const char *b[] = {"b._dns-sd._udp.", "lb._dns-sd._udp."};
	for (size_t i = 0; i < 2 && !owned; i++) {
		ldns_rdf *n = prefixed(b[i], zone);
		owned = n && dnssd_name_eq(n, ldns_rr_owner(rr));
		ldns_rdf_deep_free(n);
	}
	return owned;
}

int dnssd_wa_sorted_has(ldns_rr *const *v, size_t n, const ldns_rr *rr)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = dnssd_wa_rr_cmp(v[mid], rr);
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

ldns_rr **dnssd_wa_sorted(const ldns_rr_list *l, size_t *n)
{
	*n = l ? ldns_rr_list_rr_count(l) : 0;
	ldns_rr **v = malloc((*n ? *n : 1) * sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < *n; i++)
		v[i] = ldns_rr_list_rr(l, i);
	qsort(v, *n, sizeof(*v), cmp_ptr);
	return v;
}

int dnssd_wa_diff(const ldns_rr_list *want, const ldns_rr_list *have, const char *domain,
                  const char *zone, ldns_rr_list **add, ldns_rr_list **del)
{
	ldns_rdf *dom = dname(domain), *zn = dname(zone);
	ldns_rr_list *a = ldns_rr_list_new(), *d = ldns_rr_list_new();
	size_t nw, nh;
	ldns_rr **vw = dnssd_wa_sorted(want, &nw), **vh = dnssd_wa_sorted(have, &nh);
	int rc = 0;

	*add = *del = NULL;
	if (!dom || !zn) {
		rc = -EINVAL;
		goto done;
	}
	if (!a || !d || !vw || !vh) {
		rc = -ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < nw && rc == 0; i++)
		if (!dnssd_wa_sorted_has(vh, nh, vw[i]) &&
		    (i == 0 || dnssd_wa_rr_cmp(vw[i - 1], vw[i])))
			rc = push(a, ldns_rr_clone(vw[i]));
	for (size_t i = 0; i < nh && rc == 0; i++)
		if (dnssd_wa_owned(vh[i], dom, zn) &&
		    !dnssd_wa_sorted_has(vw, nw, vh[i]) &&
		    (i == 0 || dnssd_wa_rr_cmp(vh[i - 1], vh[i])))
			rc = push(d, ldns_rr_clone(vh[i]));
	if (rc == 0) {
		*add = a;
		*del = d;
		a = d = NULL;
	}
done:
	free(vw);
	free(vh);
	ldns_rr_list_deep_free(a);
	ldns_rr_list_deep_free(d);
	ldns_rdf_deep_free(dom);
	ldns_rdf_deep_free(zn);
	return rc;
}
