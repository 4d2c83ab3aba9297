/* test_wazone.c: a wide-area domain built from local records, read back, diffed. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "dnssd/wazone.h"
#include "tests/unit/unit.h"

static ldns_rr *rr(const char *text)
{
	ldns_rr *r = NULL;
	CU_ASSERT_EQUAL_FATAL(ldns_rr_new_frm_str(&r, text, 120, NULL, NULL),
	                      LDNS_STATUS_OK);
	return r;
}

static ldns_rr_list *list(const char *const *texts)
{
	ldns_rr_list *l = ldns_rr_list_new();
	for (; *texts; texts++)
		ldns_rr_list_push_rr(l, rr(*texts));
	return l;
}

/* Whether l holds the record text describes (as DNS compares). */
static int has(const ldns_rr_list *l, const char *text)
{
	ldns_rr *r = rr(text);
	int found = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l) && !found; i++)
		found = dnssd_wa_rr_cmp(ldns_rr_list_rr(l, i), r) == 0;
	ldns_rr_free(r);
	return found;
}

static const char *const local_set[] = {
    "_ipp._tcp.local. 4500 IN PTR Printer\\032A\\.1._ipp._tcp.local.",
    "_universal._sub._ipp._tcp.local. 4500 IN PTR Printer\\032A\\.1._ipp._tcp.local.",
    "Printer\\032A\\.1._ipp._tcp.local. 120 IN SRV 0 0 631 printer.local.",
    "Printer\\032A\\.1._ipp._tcp.local. 4500 IN TXT \"rp=ipp/print\" \"ty=Laser\"",
    "printer.local. 120 IN A 10.101.1.10",
    "printer.local. 120 IN AAAA 2001:db8::10",
    "_services._dns-sd._udp.local. 4500 IN PTR _ipp._tcp.local.",
    "10.1.168.192.in-addr.arpa. 120 IN PTR printer.local.",
    "Caf\\195\\169._http._tcp.local. 120 IN SRV 0 0 80 files.local.",
    "_http._tcp.local. 120 IN PTR Caf\\195\\169._http._tcp.local.",
    NULL};

static void test_export(void)
{
	ldns_rr_list *local = list(local_set), *out = NULL;
	CU_ASSERT_EQUAL_FATAL(dnssd_wa_export(local, "manhattan.sites.example.com",
	                                      "sites.example.com.", 60, &out),
	                      0);
	const char *const want[] = {
	    "_ipp._tcp.manhattan.sites.example.com. 60 IN PTR "
	    "Printer\\032A\\.1._ipp._tcp.manhattan.sites.example.com.",
	    "_universal._sub._ipp._tcp.manhattan.sites.example.com. 60 IN PTR "
	    "Printer\\032A\\.1._ipp._tcp.manhattan.sites.example.com.",
	    "Printer\\032A\\.1._ipp._tcp.manhattan.sites.example.com. 60 IN SRV 0 0 631 "
	    "printer.manhattan.sites.example.com.",
	    "Printer\\032A\\.1._ipp._tcp.manhattan.sites.example.com. 60 IN TXT "
	    "\"rp=ipp/print\" \"ty=Laser\"",
	    "printer.manhattan.sites.example.com. 60 IN A 10.101.1.10",
	    "printer.manhattan.sites.example.com. 60 IN AAAA 2001:db8::10",
	    "_services._dns-sd._udp.manhattan.sites.example.com. 60 IN PTR "
	    "_ipp._tcp.manhattan.sites.example.com.",
	    "_services._dns-sd._udp.manhattan.sites.example.com. 60 IN PTR "
	    "_http._tcp.manhattan.sites.example.com.",
	    "b._dns-sd._udp.sites.example.com. 60 IN PTR manhattan.sites.example.com.",
	    "lb._dns-sd._udp.sites.example.com. 60 IN PTR manhattan.sites.example.com.",
	    "Caf\\195\\169._http._tcp.manhattan.sites.example.com. 60 IN SRV 0 0 80 "
	    "files.manhattan.sites.example.com.",
	    "_http._tcp.manhattan.sites.example.com. 60 IN PTR "
	    "Caf\\195\\169._http._tcp.manhattan.sites.example.com.",
	    NULL};
	size_t n = 0;
	for (const char *const *w = want; *w; w++, n++)
		CU_ASSERT(has(out, *w));
	/* The reverse PTR and the local enumeration are not published; nothing twice. */
	CU_ASSERT_EQUAL(ldns_rr_list_rr_count(out), n);
	for (size_t i = 0; i < ldns_rr_list_rr_count(out); i++) {
		CU_ASSERT_EQUAL(ldns_rr_ttl(ldns_rr_list_rr(out, i)), 60);
		CU_ASSERT_EQUAL(ldns_rr_get_class(ldns_rr_list_rr(out, i)),
		                LDNS_RR_CLASS_IN);
	}
	/* The instance label keeps its exact bytes, space and dot included. */
	const uint8_t label[] = "\x0bPrinter A.1";
	int exact = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(out); i++) {
		const ldns_rdf *o = ldns_rr_owner(ldns_rr_list_rr(out, i));
		exact |= memcmp(ldns_rdf_data(o), label, 12) == 0;
	}
	CU_ASSERT(exact);

	/* Read back: the same records under .local, the enumeration and b/lb left out. */
	ldns_rr_list *back = NULL;
	CU_ASSERT_EQUAL_FATAL(dnssd_wa_import(out, "manhattan.sites.example.com.", &back),
	                      0);
	CU_ASSERT(has(back, local_set[0]));
	CU_ASSERT(has(back, local_set[1]));
	CU_ASSERT(has(back, local_set[2]));
	CU_ASSERT(has(back, local_set[3]));
	CU_ASSERT(has(back, local_set[4]));
	CU_ASSERT(has(back, local_set[8]));
	/* PTR, subtype PTR, SRV, TXT, A, AAAA of the printer; PTR and SRV of the café. */
	CU_ASSERT_EQUAL(ldns_rr_list_rr_count(back), 8);
	ldns_rr_list_deep_free(back);
	ldns_rr_list_deep_free(out);
	ldns_rr_list_deep_free(local);
}

static void test_export_empty(void)
{
	const char *const only_host[] = {"printer.local. 120 IN A 10.0.0.1", NULL};
	ldns_rr_list *l = list(only_host), *out = NULL;
	CU_ASSERT_EQUAL(dnssd_wa_export(l, "m.z.example", "z.example", 60, &out), 0);
	/* A host without a service still goes in, but no b/lb pointers. */
	CU_ASSERT_EQUAL(ldns_rr_list_rr_count(out), 1);
	ldns_rr_list_deep_free(out);
	CU_ASSERT_EQUAL(dnssd_wa_export(l, "", "z.example", 60, &out), -EINVAL);
	ldns_rr_list_deep_free(l);
}

static void test_diff(void)
{
	const char *const want_t[] = {
	    "_ipp._tcp.m.z.example. 60 IN PTR A._ipp._tcp.m.z.example.",
	    "A._ipp._tcp.m.z.example. 60 IN SRV 0 0 631 h.m.z.example.",
	    "b._dns-sd._udp.z.example. 60 IN PTR m.z.example.", NULL};
	const char *const have_t[] = {
	    "z.example. 60 IN SOA ns.z.example. h.z.example. 1 2 3 4 5",
	    "z.example. 60 IN NS ns.z.example.",
	    /* Knot folds case: the same record. */
	    "_ipp._tcp.m.z.example. 300 IN PTR a._ipp._tcp.m.z.example.",
	    "Old._ipp._tcp.m.z.example. 60 IN SRV 0 0 631 h.m.z.example.",
	    "_ipp._tcp.b.z.example. 60 IN PTR X._ipp._tcp.b.z.example.",
	    "b._dns-sd._udp.z.example. 60 IN PTR b.z.example.",
	    "lb._dns-sd._udp.z.example. 60 IN PTR m.z.example.",
	    "lb._dns-sd._udp.z.example. 60 IN PTR b.z.example.", NULL};
	ldns_rr_list *want = list(want_t), *have = list(have_t), *add = NULL, *del = NULL;
	CU_ASSERT_EQUAL_FATAL(
	    dnssd_wa_diff(want, have, "m.z.example", "z.example", &add, &del), 0);
	CU_ASSERT_EQUAL(ldns_rr_list_rr_count(add), 2);
	CU_ASSERT(has(add, want_t[1]));
	CU_ASSERT(has(add, want_t[2]));
	/* Only this site's stale records go: never another site's, SOA or NS. */
	CU_ASSERT_EQUAL(ldns_rr_list_rr_count(del), 2);
	CU_ASSERT(has(del, have_t[3]));
	CU_ASSERT(has(del, have_t[6]));
	ldns_rr_list_deep_free(add);
	ldns_rr_list_deep_free(del);
	ldns_rr_list_deep_free(want);
	ldns_rr_list_deep_free(have);
}

static CU_TestInfo tests[] = {
    {"export and import back", test_export},
    {"export of no service", test_export_empty},
    {"diff limited to owned records", test_diff},
    CU_TEST_INFO_NULL,
};
static CU_SuiteInfo suites[] = {{"wazone", NULL, NULL, NULL, NULL, tests},
                                CU_SUITE_INFO_NULL};
UNIT_MAIN(suites)
