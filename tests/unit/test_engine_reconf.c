/*
 * test_engine_reconf.c: the proxy engine's reconfiguration: withdrawals and
 * imports when the configuration changes.
 * The simulated network and the two sites are engine_fixture.h.
 */
#include "config.h"

#include "tests/unit/engine_fixture.h"

static void test_reconfigure_withdraws(void)
{
	lan_response(&M, printer);
	advance(3000);
	size_t out0 = M.nout, lan0 = B.nlan;
	struct policy_config *ncfg = load_cfg("manhattan", cfg_manhattan_noipp);
	CU_ASSERT_EQUAL(proxy_reconfigure(M.px, ncfg, now), 0);
	policy_config_free(M.cfg);
	M.cfg = ncfg;
	settle();
	/* brooklyn is told to forget the printer, and its LAN with it */
	CU_ASSERT_EQUAL(sent_records(&M, out0, NULL, 0, true), PRINTER_EXPORTED);
	CU_ASSERT_EQUAL(sent_records(&M, out0, NULL, 0, false), 0);
	size_t k = 0;
	for (size_t i = lan0; i < B.nlan; i++) {
		struct dnssd_msg *m = decode(&B.lan[i]);
		const ldns_rr *srv =
		    find_rr(m, DNSSD_SEC_ANSWER, R_INST, LDNS_RR_TYPE_SRV);
		k += srv && ldns_rr_ttl(srv) == 0;
		dnssd_msg_free(m);
	}
	CU_ASSERT_EQUAL(k, 2);
	/* and a new printer announcement is not exported */
	out0 = M.nout;
	lan_response(&M, printer);
	CU_ASSERT_EQUAL(sent_records(&M, out0, NULL, 0, false), 0);
}

static void test_reconfigure_import(void)
{
	lan_response(&M, printer);
	advance(3000);
	size_t lan0 = B.nlan;
	struct policy_config *ncfg = load_cfg("brooklyn", cfg_brooklyn_noipp);
	CU_ASSERT_EQUAL(proxy_reconfigure(B.px, ncfg, now), 0);
	policy_config_free(B.cfg);
	B.cfg = ncfg;
	settle();
	/* printers are no longer taken from manhattan: goodbyes on the LAN */
	size_t k = 0;
	for (size_t i = lan0; i < B.nlan; i++) {
		struct dnssd_msg *m = decode(&B.lan[i]);
		const ldns_rr *srv =
		    find_rr(m, DNSSD_SEC_ANSWER, R_INST, LDNS_RR_TYPE_SRV);
		k += srv && ldns_rr_ttl(srv) == 0 && B.lan[i].af == AF_INET;
		dnssd_msg_free(m);
	}
	CU_ASSERT_EQUAL(k, 1);
	struct proxy_stats st;
	proxy_get_stats(B.px, &st);
	CU_ASSERT_EQUAL(st.remote_records, 0);
	/* a presence service arrives under the new host suffix */
	static const char *const alice[] = {
	    "A:_presence._tcp.local. 4500 IN PTR alice._presence._tcp.local.",
	    "A:!alice._presence._tcp.local. 120 IN SRV 0 0 5298 mac.local.",
	    "A:!mac.local. 120 IN A 192.168.1.30",
	    NULL,
	};
	lan_response(&M, alice);
	CU_ASSERT_EQUAL(mcast_with(&B, lan0, AF_INET, "mac-manhattan-office.local.",
	                           LDNS_RR_TYPE_A, NULL),
	                1);
}

static CU_TestInfo engine_tests[] = {
    {"reconfigure withdraws", test_reconfigure_withdraws},
    {"reconfigure import and names", test_reconfigure_import},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"engine: reconf", NULL, NULL, setup, teardown, engine_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
