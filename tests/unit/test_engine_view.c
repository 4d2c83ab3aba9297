/*
 * test_engine_view.c: the proxy engine's view: the services held with the rule
 * that decided, explain of local, renamed and unknown names, names as people
 * type them (sitecastctl services, explain).
 * The simulated network and the two sites are engine_fixture.h.
 */
#include "config.h"

#include "tests/unit/engine_fixture.h"

static bool has_addr(const struct proxy_view_service *s, const char *text)
{
	char a[INET6_ADDRSTRLEN];
	for (size_t i = 0; i < s->naddrs; i++)
		if (inet_ntop(s->addrs[i].af, s->addrs[i].a, a, sizeof(a)) &&
		    strcmp(a, text) == 0)
			return true;
	return false;
}

static const char *const apple_tv[] = {
    "A:_airplay._tcp.local. 4500 IN PTR Living\\032Room._airplay._tcp.local.",
    "A:!Living\\032Room._airplay._tcp.local. 120 IN SRV 0 0 7000 appletv.local.",
    "A:!Living\\032Room._airplay._tcp.local. 4500 IN TXT \"model=AppleTV\"",
    "A:!appletv.local. 120 IN A 192.168.1.20",
    NULL,
};

/* Lines of cfg_manhattan and cfg_brooklyn (the file name is the site's). */
#define LINE_ALLOW_IPP 14
#define LINE_DENY_AIRPLAY 15

static void test_view_services(void)
{
	lan_response(&M, printer);
	lan_response(&M, apple_tv);
	advance(3000);
	struct proxy_view *v = NULL;
	CU_ASSERT_FATAL(proxy_view_services(M.px, now, &v) == 0);
	CU_ASSERT_EQUAL(v->n, 2);
	/* sorted by type: _airplay before _ipp */
	CU_ASSERT_STRING_EQUAL(v->v[0].name, "Living Room");
	const struct proxy_view_service *s = view_find(v, true, "Printer A");
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT(s->known);
	CU_ASSERT_STRING_EQUAL(s->type, "_ipp._tcp");
	CU_ASSERT_STRING_EQUAL(s->domain, "local");
	CU_ASSERT_STRING_EQUAL(s->host, "printer.local");
	CU_ASSERT_EQUAL(s->port, 631);
	CU_ASSERT(has_addr(s, "192.168.1.12"));
	CU_ASSERT_EQUAL(s->ttl_left, 117);
	CU_ASSERT_FATAL(s->ndec == 1);
	CU_ASSERT_STRING_EQUAL(s->dec[0].remote, "brooklyn");
	CU_ASSERT(s->dec[0].peer && s->dec[0].up && !s->dec[0].import);
	CU_ASSERT_EQUAL(s->dec[0].ex.action, POLICY_ALLOW);
	CU_ASSERT_EQUAL(s->dec[0].ex.rule, 0);
	CU_ASSERT_EQUAL(s->dec[0].ex.line, LINE_ALLOW_IPP);
	CU_ASSERT_STRING_EQUAL(s->dec[0].ex.file, "manhattan");
	CU_ASSERT_STRING_EQUAL(policy_ruleset_name(s->dec[0].rules), "offices");
	s = view_find(v, true, "Living Room");
	CU_ASSERT_FATAL(s != NULL && s->ndec == 1);
	CU_ASSERT_EQUAL(s->dec[0].ex.action, POLICY_DENY);
	CU_ASSERT_EQUAL(s->dec[0].ex.rule, 1);
	CU_ASSERT_EQUAL(s->dec[0].ex.line, LINE_DENY_AIRPLAY);
	proxy_view_free(v);

	/* Brooklyn holds the printer renamed, at its mapped address, from manhattan */
	CU_ASSERT_FATAL(proxy_view_services(B.px, now, &v) == 0);
	CU_ASSERT_EQUAL(v->n, 1);
	s = view_find(v, false, "Printer A (manhattan)");
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_STRING_EQUAL(s->origin, "manhattan");
	CU_ASSERT_STRING_EQUAL(s->origin_name, "Printer A");
	CU_ASSERT_STRING_EQUAL(s->origin_host, "printer.local");
	CU_ASSERT_STRING_EQUAL(s->host, "printer-manhattan.local");
	CU_ASSERT_EQUAL(s->naddrs, 1);
	CU_ASSERT(has_addr(s, "10.101.1.12"));
	CU_ASSERT_EQUAL(s->seen_ms, T0);
	CU_ASSERT_FATAL(s->ndec == 1);
	CU_ASSERT(s->dec[0].import);
	CU_ASSERT_EQUAL(s->dec[0].ex.action, POLICY_ALLOW);
	CU_ASSERT_EQUAL(s->dec[0].ex.line, LINE_ALLOW_IPP);
	CU_ASSERT_STRING_EQUAL(s->dec[0].ex.file, "brooklyn");
	proxy_view_free(v);

	/* the view is read-only: nothing was sent for it */
	size_t nlan = B.nlan, nout = M.nout;
	CU_ASSERT_FATAL(proxy_view_services(M.px, now, &v) == 0);
	proxy_view_free(v);
	CU_ASSERT_EQUAL(B.nlan, nlan);
	CU_ASSERT_EQUAL(M.nout, nout);

	/* after the goodbyes, nothing is listed */
	lan_response(&M, printer_bye);
	advance(3000);
	CU_ASSERT_FATAL(proxy_view_services(B.px, now, &v) == 0);
	CU_ASSERT_EQUAL(v->n, 0);
	proxy_view_free(v);
}

static ldns_rdf *typed(const char *text)
{
	ldns_rdf *d = NULL;
	CU_ASSERT_FATAL(proxy_view_parse_name(text, &d) == 0 && d != NULL);
	return d;
}

static void test_view_explain(void)
{
	lan_response(&M, printer);
	lan_response(&M, apple_tv);
	advance(3000);
	struct proxy_view *v = NULL;

	/* the renamed form, resolved back to its origin */
	ldns_rdf *d = typed("Printer A (manhattan)._ipp._tcp.local");
	CU_ASSERT_FATAL(proxy_view_explain(B.px, d, now, &v) == 0);
	ldns_rdf_deep_free(d);
	CU_ASSERT_FATAL(v->n == 1);
	CU_ASSERT(v->v[0].known && !v->v[0].local);
	CU_ASSERT_STRING_EQUAL(v->v[0].origin_name, "Printer A");
	CU_ASSERT_EQUAL(v->v[0].dec[0].ex.line, LINE_ALLOW_IPP);
	proxy_view_free(v);

	/* the denied one at its own site, any case */
	d = typed("living room._airplay._tcp.local.");
	CU_ASSERT_FATAL(proxy_view_explain(M.px, d, now, &v) == 0);
	ldns_rdf_deep_free(d);
	CU_ASSERT_FATAL(v->n == 1 && v->v[0].local && v->v[0].known);
	CU_ASSERT_EQUAL(v->v[0].dec[0].ex.action, POLICY_DENY);
	CU_ASSERT_EQUAL(v->v[0].dec[0].ex.line, LINE_DENY_AIRPLAY);
	proxy_view_free(v);

	/* a renamed name nobody holds: what manhattan's import rules would say */
	d = typed("Fax (manhattan)._ipp._tcp.local.");
	CU_ASSERT_FATAL(proxy_view_explain(B.px, d, now, &v) == 0);
	ldns_rdf_deep_free(d);
	CU_ASSERT_FATAL(v->n == 1);
	CU_ASSERT(!v->v[0].known && !v->v[0].local);
	CU_ASSERT_STRING_EQUAL(v->v[0].origin, "manhattan");
	CU_ASSERT_STRING_EQUAL(v->v[0].origin_name, "Fax");
	CU_ASSERT_EQUAL(v->v[0].dec[0].ex.action, POLICY_ALLOW);
	CU_ASSERT(v->v[0].dec[0].import);
	proxy_view_free(v);

	/* a local name nobody holds: the export rules, as a service of the LAN */
	d = typed("Lobby._airplay._tcp");
	CU_ASSERT_FATAL(proxy_view_explain(M.px, d, now, &v) == 0);
	ldns_rdf_deep_free(d);
	CU_ASSERT_FATAL(v->n == 1);
	CU_ASSERT(!v->v[0].known && v->v[0].local);
	CU_ASSERT_EQUAL(v->v[0].dec[0].ex.action, POLICY_DENY);
	CU_ASSERT_EQUAL(v->v[0].dec[0].ex.line, LINE_DENY_AIRPLAY);
	proxy_view_free(v);

	/* a service type is not an instance */
	d = ldns_dname_new_frm_str("_ipp._tcp.local.");
	v = NULL;
	CU_ASSERT_EQUAL(proxy_view_explain(M.px, d, now, &v), -EINVAL);
	CU_ASSERT(v == NULL);
	ldns_rdf_deep_free(d);
}

static void test_view_parse_name(void)
{
	ldns_rdf *d = NULL, *want;
	CU_ASSERT_FATAL(proxy_view_parse_name("Printer A._ipp._tcp.local", &d) == 0);
	want = ldns_dname_new_frm_str("Printer\\032A._ipp._tcp.local.");
	CU_ASSERT(ldns_dname_compare(d, want) == 0);
	ldns_rdf_deep_free(d);
	ldns_rdf_deep_free(want);
	/* dots in the instance label, another domain, no domain at all */
	CU_ASSERT_FATAL(proxy_view_parse_name("Room 1.2._http._tcp.example.com.", &d) ==
	                0);
	want = ldns_dname_new_frm_str("Room\\0321\\.2._http._tcp.example.com.");
	CU_ASSERT(ldns_dname_compare(d, want) == 0);
	ldns_rdf_deep_free(d);
	ldns_rdf_deep_free(want);
	CU_ASSERT_FATAL(proxy_view_parse_name("Café._ipp._udp", &d) == 0);
	want = ldns_dname_new_frm_str("Caf\\195\\169._ipp._udp.local.");
	CU_ASSERT(ldns_dname_compare(d, want) == 0);
	ldns_rdf_deep_free(d);
	ldns_rdf_deep_free(want);
	static const char *const bad[] = {
	    "",
	    ".",
	    "printer.local",
	    "_ipp._tcp.local",
	    "._ipp._tcp.local",
	    "A._ipp.local",
	    "A.ipp._tcp.local",
	    "0123456789012345678901234567890123456789012345678901234567890123._ipp._tcp",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = NULL;
		CU_ASSERT_EQUAL(proxy_view_parse_name(bad[i], &d), -EINVAL);
		CU_ASSERT(d == NULL);
	}
}

static CU_TestInfo engine_tests[] = {
    {"view: services with the rule that decided", test_view_services},
    {"view: explain local, renamed and unknown names", test_view_explain},
    {"view: instance names as people type them", test_view_parse_name},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"engine: view", NULL, NULL, setup, teardown, engine_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
