/*
 * test_engine_publish.c: the proxy engine's Avahi: services handed to an
 * external publisher (avahi.publish) and services a browser found
 * (avahi.browse).
 * The simulated network and the two sites are engine_fixture.h.
 */
#include "config.h"

#include "tests/unit/engine_fixture.h"

/* avahi.publish: brooklyn hands the service to its publisher and stays quiet. */
static void test_external_publisher(void)
{
	const char *key = "printer a (manhattan)._ipp._tcp.local.";
	with_publisher = true;
	restart(&B, cfg_brooklyn);
	with_publisher = false;
	npubs = 0;
	proxy_set_external(B.px, true, now);

	lan_response(&M, printer);
	settle();
	CU_ASSERT_EQUAL_FATAL(npubs, 1);
	CU_ASSERT_FALSE(pubs[0].remove);
	CU_ASSERT_STRING_EQUAL(pubs[0].key, key);
	CU_ASSERT_STRING_EQUAL(pubs[0].name, "Printer A (manhattan)");
	CU_ASSERT_STRING_EQUAL(pubs[0].type, "_ipp._tcp");
	CU_ASSERT_STRING_EQUAL(pubs[0].host, "printer-manhattan.local");
	CU_ASSERT_EQUAL(pubs[0].port, 631);
	CU_ASSERT_EQUAL(pubs[0].ntxt, 2);
	CU_ASSERT_STRING_EQUAL(pubs[0].txt, "txtvers=1");
	CU_ASSERT_EQUAL(pubs[0].nsub, 1);
	CU_ASSERT_STRING_EQUAL(pubs[0].sub, "_universal");
	CU_ASSERT_EQUAL(pubs[0].naddrs, 1);
	CU_ASSERT_STRING_EQUAL(pubs[0].addr, "10.101.1.12");

	/* the publisher announces and answers: nothing from the engine on the LAN */
	static const char *const q[] = {"Q:_ipp._tcp.local. IN PTR", NULL};
	lan_from(&B, IF_B, "192.168.2.50", 5353, true, true, 0, q);
	advance(3000);
	CU_ASSERT_EQUAL(responses(&B, 0), 0);

	/* the same records again change nothing */
	lan_response(&M, printer);
	advance(10);
	CU_ASSERT_EQUAL(npubs, 1);

	/* in use as long as it is published: asked for again before it expires */
	size_t first = B.nout;
	advance_to(T0 + 90000);
	CU_ASSERT_EQUAL(sent_questions(&B, first, "Printer\\032A._ipp._tcp.local."), 0);
	advance_to(T0 + 110000);
	CU_ASSERT(sent_questions(&B, first, "Printer\\032A._ipp._tcp.local.") >= 1);
	CU_ASSERT(sent_questions(&B, first, "printer.local.") >= 1);
	lan_response(&M, printer);
	advance(10);
	CU_ASSERT_EQUAL(npubs, 1);

	/* a goodbye removes it */
	lan_response(&M, printer_bye);
	advance(10);
	CU_ASSERT_EQUAL_FATAL(npubs, 2);
	CU_ASSERT(pubs[1].remove);
	CU_ASSERT_STRING_EQUAL(pubs[1].key, key);
	CU_ASSERT_EQUAL(responses(&B, 0), 0);

	/* the publisher gone, the engine announces what it holds itself */
	lan_response(&M, printer);
	advance(10);
	CU_ASSERT_EQUAL(npubs, 3);
	proxy_set_external(B.px, false, now);
	advance(2000);
	CU_ASSERT_EQUAL(mcast_with(&B, 0, AF_INET, R_INST, LDNS_RR_TYPE_SRV, NULL), 2);

	/* shutdown removes it from the publisher */
	proxy_shutdown(B.px, now);
	CU_ASSERT_EQUAL_FATAL(npubs, 4);
	CU_ASSERT(pubs[3].remove);
}

/*
 * A service bigger than any fixed array the publisher's side ever had (300 TXT
 * strings, 20 subtypes, 20 addresses) reaches the publisher whole.
 */
#define BIG_TXT 300
#define BIG_SUB 20
#define BIG_ADDRS 20
static void test_publisher_takes_all(void)
{
	static char txtrr[BIG_TXT * 12 + 128], subs[BIG_SUB][128], addrs[BIG_ADDRS][96];
	const char *specs[4 + BIG_SUB + BIG_ADDRS + 1];
	size_t n = 0, at;

	with_publisher = true;
	restart(&B, cfg_brooklyn);
	with_publisher = false;
	npubs = 0;
	proxy_set_external(B.px, true, now);

	specs[n++] = "A:_ipp._tcp.local. 4500 IN PTR Printer\\032A._ipp._tcp.local.";
	specs[n++] = "A:!Printer\\032A._ipp._tcp.local. 120 IN SRV 0 0 631 printer.local.";
	at = (size_t)snprintf(txtrr, sizeof(txtrr),
	                      "A:!Printer\\032A._ipp._tcp.local. 4500 IN TXT");
	for (int i = 0; i < BIG_TXT; i++)
		at += (size_t)snprintf(txtrr + at, sizeof(txtrr) - at, " \"k%d=v\"", i);
	CU_ASSERT_FATAL(at < sizeof(txtrr));
	specs[n++] = txtrr;
	for (int i = 0; i < BIG_SUB; i++) {
		snprintf(subs[i], sizeof(subs[i]),
		         "A:_s%d._sub._ipp._tcp.local. 4500 IN PTR "
		         "Printer\\032A._ipp._tcp.local.",
		         i);
		specs[n++] = subs[i];
	}
	for (int i = 0; i < BIG_ADDRS; i++) {
		snprintf(addrs[i], sizeof(addrs[i]), "A:printer.local. 120 IN A 192.168.1.%d",
		         i + 1);
		specs[n++] = addrs[i];
	}
	specs[n] = NULL;
	lan_response(&M, specs);
	settle();
	CU_ASSERT_EQUAL_FATAL(npubs, 1);
	CU_ASSERT_STRING_EQUAL(pubs[0].name, "Printer A (manhattan)");
	CU_ASSERT_EQUAL(pubs[0].ntxt, BIG_TXT);
	CU_ASSERT_STRING_EQUAL(pubs[0].txt, "k0=v");
	CU_ASSERT_EQUAL(pubs[0].nsub, BIG_SUB);
	CU_ASSERT_EQUAL(pubs[0].naddrs, BIG_ADDRS);
}

/* avahi.browse: a service another browser found is exported like one heard. */
static void test_local_service_found(void)
{
	static const struct dnssd_txt txt[] = {{(const uint8_t *)"txtvers=1", 9},
	                                       {(const uint8_t *)"rp=ipp/print", 12}};
	struct dnssd_addr addr = {.af = AF_INET};
	struct dnssd_service f = {.name = "Printer A",
	                          .type = "_ipp._tcp",
	                          .domain = "local",
	                          .host = "printer.local",
	                          .port = 631,
	                          .txt = txt,
	                          .ntxt = 2,
	                          .addrs = &addr,
	                          .naddrs = 1};
	inet_pton(AF_INET, "192.168.1.12", addr.a);

	CU_ASSERT_EQUAL(proxy_local_service(M.px, 99, &f, false, now), -ENOENT);
	CU_ASSERT_EQUAL(M.nout, 0);
	CU_ASSERT_EQUAL(proxy_local_service(M.px, IF_M, &f, false, now), 0);
	settle();
	/* enumeration PTR, PTR, SRV, TXT, A */
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), 5);
	CU_ASSERT_EQUAL(mcast_with(&B, 0, AF_INET, R_INST, LDNS_RR_TYPE_SRV, NULL), 1);

	/* heard on the LAN too: only what the browser did not give (the subtype) */
	size_t first = M.nout;
	lan_response(&M, printer);
	settle();
	CU_ASSERT_EQUAL(sent_records(&M, first, NULL, 0, false), 1);
	CU_ASSERT_EQUAL(
	    sent_records(&M, first, "_universal._sub._ipp._tcp.local.", 0, false), 1);

	/* removed: goodbyes for the service, not for the host's address */
	first = M.nout;
	CU_ASSERT_EQUAL(proxy_local_service(M.px, IF_M, &f, true, now), 0);
	settle();
	CU_ASSERT_EQUAL(sent_records(&M, first, "Printer\\032A._ipp._tcp.local.",
	                             LDNS_RR_TYPE_SRV, true),
	                1);
	CU_ASSERT_EQUAL(sent_records(&M, first, "printer.local.", 0, true), 0);
}

/* A browsed service with several addresses: each becomes an address record. */
static void test_local_service_addresses(void)
{
	struct dnssd_addr addrs[3] = {{.af = AF_INET}, {.af = AF_INET}, {.af = AF_INET6}};
	inet_pton(AF_INET, "192.168.1.20", addrs[0].a);
	inet_pton(AF_INET, "192.168.1.21", addrs[1].a);
	inet_pton(AF_INET6, "fd00:1::20", addrs[2].a);
	struct dnssd_service f = {.name = "Scanner",
	                          .type = "_ipp._tcp",
	                          .host = "scanner.local",
	                          .port = 631,
	                          .addrs = addrs,
	                          .naddrs = 3};
	CU_ASSERT_EQUAL(proxy_local_service(M.px, IF_M, &f, false, now), 0);
	settle();
	CU_ASSERT_EQUAL(sent_records(&M, 0, "scanner.local.", LDNS_RR_TYPE_A, false), 2);
	CU_ASSERT_EQUAL(sent_records(&M, 0, "scanner.local.", LDNS_RR_TYPE_AAAA, false), 1);

	/* a TXT string over 255 bytes is refused whole */
	static uint8_t longtxt[256];
	memset(longtxt, 'x', sizeof(longtxt));
	struct dnssd_txt txt = {longtxt, sizeof(longtxt)};
	f.name = "Scanner B";
	f.txt = &txt;
	f.ntxt = 1;
	size_t first = M.nout;
	CU_ASSERT_EQUAL(proxy_local_service(M.px, IF_M, &f, false, now), -EINVAL);
	settle();
	CU_ASSERT_EQUAL(M.nout, first);
}

static CU_TestInfo engine_tests[] = {
    {"external publisher (avahi.publish)", test_external_publisher},
    {"a big service reaches the publisher whole", test_publisher_takes_all},
    {"services found by a browser (avahi.browse)", test_local_service_found},
    {"a browsed service's every address", test_local_service_addresses},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"engine: publish", NULL, NULL, setup, teardown, engine_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
