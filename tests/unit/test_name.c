/*
 * test_name.c: the name and record helpers every module shares (dnssd/name.h):
 * ASCII-only case folding, name equality, name-typed rdata, SRV targets, new
 * records.
 */
#include "config.h"

#include <string.h>

#include "dnssd/name.h"
#include "tests/unit/unit.h"

static ldns_rdf *dname(const char *s)
{
	ldns_rdf *d = NULL;
	CU_ASSERT_FATAL(ldns_str2rdf_dname(&d, s) == LDNS_STATUS_OK);
	return d;
}

static ldns_rr *rr(const char *text)
{
	ldns_rr *r = NULL;
	CU_ASSERT_FATAL(ldns_rr_new_frm_str(&r, text, 0, NULL, NULL) == LDNS_STATUS_OK);
	return r;
}

static void test_lower(void)
{
	CU_ASSERT_EQUAL(dnssd_lower('A'), 'a');
	CU_ASSERT_EQUAL(dnssd_lower('Z'), 'z');
	CU_ASSERT_EQUAL(dnssd_lower('a'), 'a');
	CU_ASSERT_EQUAL(dnssd_lower('@'), '@');
	CU_ASSERT_EQUAL(dnssd_lower('['), '[');
	/* Only ASCII: UTF-8 bytes (here of "Ü") are left alone (RFC 4343). */
	CU_ASSERT_EQUAL(dnssd_lower(0xc3), 0xc3);
	CU_ASSERT_EQUAL(dnssd_lower(0x9c), 0x9c);
}

static void test_name_eq(void)
{
	ldns_rdf *a = dname("Printer-Manhattan.LOCAL."),
	         *b = dname("printer-manhattan.local.");
	ldns_rdf *c = dname("printer-brooklyn.local."), *d = dname("\\195\\156ro.local.");
	ldns_rdf *e =
	    dname("\\227\\156ro.local."); /* differs in bit 0x20 of a non-letter */
	CU_ASSERT_TRUE(dnssd_name_eq(a, b));
	CU_ASSERT_FALSE(dnssd_name_eq(a, c));
	CU_ASSERT_FALSE(dnssd_name_eq(d, e));
	CU_ASSERT_FALSE(dnssd_name_eq(a, NULL));
	CU_ASSERT_FALSE(dnssd_name_eq(NULL, a));
	CU_ASSERT_TRUE(
	    dnssd_wire_eq(ldns_rdf_data(a), ldns_rdf_data(b), ldns_rdf_size(a)));
	ldns_rdf_deep_free(a);
	ldns_rdf_deep_free(b);
	ldns_rdf_deep_free(c);
	ldns_rdf_deep_free(d);
	ldns_rdf_deep_free(e);
}

static void test_rdata_names(void)
{
	ldns_rr *srv = rr("Printer._ipp._tcp.local. 120 IN SRV 0 0 631 printer.local.");
	ldns_rr *ptr = rr("_ipp._tcp.local. 4500 IN PTR Printer._ipp._tcp.local.");
	ldns_rr *a = rr("printer.local. 120 IN A 192.168.1.10");
	ldns_rdf *host = dname("PRINTER.local.");

	CU_ASSERT_TRUE(dnssd_name_eq(dnssd_srv_target(srv), host));
	CU_ASSERT_PTR_NULL(dnssd_srv_target(ptr));
	CU_ASSERT_PTR_NULL(dnssd_srv_target(NULL));
	CU_ASSERT_PTR_NOT_NULL(dnssd_rdf_name(ptr, 0));
	CU_ASSERT_PTR_NULL(dnssd_rdf_name(ptr, 1));
	CU_ASSERT_PTR_NULL(dnssd_rdf_name(a, 0)); /* an address, not a name */
	CU_ASSERT_PTR_NULL(dnssd_rdf_name(srv, 0));
	ldns_rr_free(srv);
	ldns_rr_free(ptr);
	ldns_rr_free(a);
	ldns_rdf_deep_free(host);
}

static void test_rr_new(void)
{
	ldns_rdf *owner = dname("printer.local.");
	ldns_rr *r =
	    dnssd_rr_new(owner, LDNS_RR_TYPE_AAAA, LDNS_RR_CLASS_IN | 0x8000, 120);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	/* the owner is a copy: the caller's stays the caller's */
	CU_ASSERT_PTR_NOT_EQUAL(ldns_rr_owner(r), owner);
	CU_ASSERT_TRUE(dnssd_name_eq(ldns_rr_owner(r), owner));
	CU_ASSERT_EQUAL(ldns_rr_get_type(r), LDNS_RR_TYPE_AAAA);
	CU_ASSERT_EQUAL(ldns_rr_get_class(r), LDNS_RR_CLASS_IN | 0x8000);
	CU_ASSERT_EQUAL(ldns_rr_ttl(r), 120);
	CU_ASSERT_EQUAL(ldns_rr_rd_count(r), 0);
	ldns_rr_free(r);
	CU_ASSERT_PTR_NULL(dnssd_rr_new(NULL, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0));
	ldns_rdf_deep_free(owner);
}

static CU_TestInfo name_tests[] = {
    {"ASCII-only lower case", test_lower},
    {"names equal ignoring ASCII case", test_name_eq},
    {"names in rdata, SRV targets", test_rdata_names},
    {"a new record with a copied owner", test_rr_new},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"names", NULL, NULL, NULL, NULL, name_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
