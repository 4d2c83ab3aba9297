/*
 * test_engine_lanout.c: the proxy engine's LAN output: what the engine sends on
 * its LANs (answers from the cache, its own queries, goodbyes at shutdown,
 * splitting at the MTU).
 * The simulated network and the two sites are engine_fixture.h.
 */
#include "config.h"

#include "tests/unit/engine_fixture.h"

static const char *const browse_qm[] = {"Q:_ipp._tcp.local. IN PTR", NULL};
static const char *const browse_qu[] = {"Q:!_ipp._tcp.local. IN PTR", NULL};

static void check_service_answer(const struct dnssd_msg *m)
{
	const ldns_rr *ptr =
	    find_rr(m, DNSSD_SEC_ANSWER, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR);
	CU_ASSERT_FATAL(ptr != NULL);
	CU_ASSERT(name_is(ldns_rr_rdf(ptr, 0), R_INST));
	/* RFC 6763 §12: what resolving needs comes along */
	CU_ASSERT_EQUAL(count_rr(m, DNSSD_SEC_ADDITIONAL, R_INST, LDNS_RR_TYPE_SRV), 1);
	CU_ASSERT_EQUAL(count_rr(m, DNSSD_SEC_ADDITIONAL, R_INST, LDNS_RR_TYPE_TXT), 1);
	CU_ASSERT_EQUAL(count_rr(m, DNSSD_SEC_ADDITIONAL, R_HOST, LDNS_RR_TYPE_A), 1);
}

static void test_query_answered_from_cache(void)
{
	lan_response(&M, printer);
	advance(10000);

	/* multicast question: multicast answer after 20-120 ms (random: try often) */
	size_t lan0 = B.nlan;
	size_t out0 = B.nout;
	struct dnssd_msg *m;
	for (int i = 0; i < 20; i++) {
		advance(1500);
		lan0 = B.nlan;
		lan_from(&B, IF_B, "192.168.2.60", 5353, true, false, 0, browse_qm);
		CU_ASSERT_EQUAL(B.nlan, lan0);
		advance(19);
		CU_ASSERT_EQUAL(B.nlan, lan0);
		advance(101);
		uint64_t when[2] = {0};
		CU_ASSERT_EQUAL(mcast_with(&B, lan0, AF_INET, "_ipp._tcp.local.",
		                           LDNS_RR_TYPE_PTR, when),
		                1);
		CU_ASSERT(when[0] >= now - 101 && when[0] <= now);
		CU_ASSERT_FATAL(B.nlan > lan0);
		m = decode(&B.lan[lan0]);
		check_service_answer(m);
		dnssd_msg_free(m);
	}
	/* the cache could answer: manhattan was not asked */
	CU_ASSERT_EQUAL(sent_questions(&B, out0, NULL), 0);
	/* it is not repeated on the other family: the asker is on IPv4 */
	CU_ASSERT_EQUAL(
	    mcast_with(&B, lan0, AF_INET6, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR, NULL),
	    0);

	/* QU: unicast to the asker, at once */
	advance(2000);
	lan0 = B.nlan;
	lan_from(&B, IF_B, "192.168.2.61", 5353, true, false, 0, browse_qu);
	CU_ASSERT_EQUAL_FATAL(B.nlan, lan0 + 1);
	const struct dgram *d = &B.lan[lan0];
	CU_ASSERT(d->unicast);
	struct sockaddr_storage want = addr4("192.168.2.61", 5353);
	CU_ASSERT_EQUAL(((struct sockaddr_in *)&d->dst)->sin_addr.s_addr,
	                ((struct sockaddr_in *)&want)->sin_addr.s_addr);
	CU_ASSERT_EQUAL(((struct sockaddr_in *)&d->dst)->sin_port, htons(5353));
	m = decode(d);
	check_service_answer(m);
	CU_ASSERT_EQUAL(dnssd_msg_id(m), 0);
	dnssd_msg_free(m);

	/* legacy unicast: the ID, the question, TTL <= 10, no cache-flush */
	static const char *const legacy[] = {"Q:" R_INST " IN SRV", NULL};
	lan0 = B.nlan;
	lan_from(&B, IF_B, "192.168.2.62", 40000, true, false, 0x1234, legacy);
	CU_ASSERT_EQUAL_FATAL(B.nlan, lan0 + 1);
	d = &B.lan[lan0];
	CU_ASSERT(d->unicast);
	CU_ASSERT_EQUAL(((struct sockaddr_in *)&d->dst)->sin_port, htons(40000));
	m = decode(d);
	CU_ASSERT_EQUAL(dnssd_msg_id(m), 0x1234);
	CU_ASSERT_EQUAL(dnssd_msg_count(m, DNSSD_SEC_QUESTION), 1);
	const ldns_rr *srv = find_rr(m, DNSSD_SEC_ANSWER, R_INST, LDNS_RR_TYPE_SRV);
	CU_ASSERT_FATAL(srv != NULL);
	CU_ASSERT(ldns_rr_ttl(srv) <= 10 && ldns_rr_ttl(srv) > 0);
	CU_ASSERT(!dnssd_rr_cache_flush(srv));
	const ldns_rr *a = find_rr(m, DNSSD_SEC_ADDITIONAL, R_HOST, LDNS_RR_TYPE_A);
	CU_ASSERT(a && ldns_rr_ttl(a) <= 10 && !dnssd_rr_cache_flush(a));
	dnssd_msg_free(m);

	/* known-answer suppression: the asker has it with more than half its TTL */
	advance(2000);
	static const char *const ka[] = {
	    "Q:_ipp._tcp.local. IN PTR",
	    "A:_ipp._tcp.local. 4000 IN PTR " R_INST,
	    NULL,
	};
	lan0 = B.nlan;
	lan_from(&B, IF_B, "192.168.2.63", 5353, true, false, 0, ka);
	advance(1000);
	CU_ASSERT_EQUAL(
	    mcast_with(&B, lan0, AF_INET, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR, NULL), 0);
	/* but not with less than half */
	static const char *const ka_old[] = {
	    "Q:_ipp._tcp.local. IN PTR",
	    "A:_ipp._tcp.local. 2000 IN PTR " R_INST,
	    NULL,
	};
	lan_from(&B, IF_B, "192.168.2.63", 5353, true, false, 0, ka_old);
	advance(1000);
	CU_ASSERT_EQUAL(
	    mcast_with(&B, lan0, AF_INET, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR, NULL), 1);

	/* brooklyn never answers with manhattan-side names or its own LAN's records */
	static const char *const local_q[] = {"Q:printer.local. IN A", NULL};
	lan0 = B.nlan;
	lan_from(&B, IF_B, "192.168.2.64", 5353, true, false, 0, local_q);
	advance(1000);
	CU_ASSERT_EQUAL(responses(&B, lan0), 0);
}

/*
 * When brooklyn asks its LAN for manhattan, the records it announces for manhattan
 * go along as known answers: a question nobody answers would make hosts flush them
 * (RFC 6762 §10.5).
 */
static void test_own_query_lists_remote(void)
{
	lan_response(&M, printer);
	advance(5000);
	size_t bl = B.nlan;
	ldns_rr *q = NULL;
	CU_ASSERT_FATAL(ldns_rr_new_question_frm_str(&q, "_ipp._tcp.local. IN PTR", NULL,
	                                             NULL) == LDNS_STATUS_OK);
	proxy_peer_questions(B.px, 0, &q, 1, now);
	ldns_rr_free(q);
	size_t listed = 0, queries = 0;
	for (size_t i = bl; i < B.nlan; i++) {
		struct dnssd_msg *m = decode(&B.lan[i]);
		if (dnssd_msg_kind(m) == DNSSD_QUERY &&
		    count_rr(m, DNSSD_SEC_QUESTION, "_ipp._tcp.local.",
		             LDNS_RR_TYPE_PTR)) {
			queries++;
			const ldns_rr *ka = find_rr(m, DNSSD_SEC_ANSWER,
			                            "_ipp._tcp.local.", LDNS_RR_TYPE_PTR);
			listed += ka && name_is(ldns_rr_rdf(ka, 0), R_INST);
		}
		dnssd_msg_free(m);
	}
	CU_ASSERT(queries >= 1);
	CU_ASSERT_EQUAL(listed, queries);
}

static void test_shutdown_goodbyes(void)
{
	lan_response(&M, printer);
	advance(3000);
	size_t lan0 = B.nlan;
	proxy_shutdown(B.px, now);
	size_t k = 0;
	for (size_t i = lan0; i < B.nlan; i++) {
		struct dnssd_msg *m = decode(&B.lan[i]);
		CU_ASSERT_EQUAL(count_rr(m, DNSSD_SEC_ANSWER, NULL, 0), PRINTER_EXPORTED);
		for (size_t j = 0; j < dnssd_msg_count(m, DNSSD_SEC_ANSWER); j++)
			CU_ASSERT_EQUAL(ldns_rr_ttl(dnssd_msg_rr(m, DNSSD_SEC_ANSWER, j)),
			                0);
		k++;
		dnssd_msg_free(m);
	}
	CU_ASSERT_EQUAL(k, 2); /* IPv4 and IPv6 */
	struct proxy_stats st;
	proxy_get_stats(B.px, &st);
	CU_ASSERT_EQUAL(st.remote_records, 0);
}

static void test_mtu_split(void)
{
	ldns_rr *rrs[200];
	size_t n = 0;
	char text[256];
	for (int i = 0; i < 66; i++) {
		snprintf(text, sizeof(text),
		         "_ipp._tcp.local. 4500 IN PTR P%02d._ipp._tcp.local.", i);
		rrs[n++] = mkrr(text);
		snprintf(text, sizeof(text),
		         "!P%02d._ipp._tcp.local. 120 IN SRV 0 0 631 big.local.", i);
		rrs[n++] = mkrr(text);
		snprintf(text, sizeof(text),
		         "!P%02d._ipp._tcp.local. 4500 IN TXT \"txtvers=1\" "
		         "\"note=printer %d\"",
		         i, i);
		rrs[n++] = mkrr(text);
	}
	rrs[n++] = mkrr("_services._dns-sd._udp.local. 4500 IN PTR _ipp._tcp.local.");
	rrs[n++] = mkrr("!big.local. 120 IN A 10.101.1.99");
	CU_ASSERT_EQUAL_FATAL(n, 200);
	B.mtu = 1000;
	proxy_peer_records(B.px, 0, "manhattan", 0, rrs, n, now);
	settle();
	for (size_t i = 0; i < n; i++)
		ldns_rr_free(rrs[i]);

	size_t pk = 0, total = 0;
	for (size_t i = 0; i < B.nlan; i++) {
		if (B.lan[i].af != AF_INET)
			continue;
		CU_ASSERT(B.lan[i].len <= 1000);
		struct dnssd_msg *m = decode(&B.lan[i]);
		total += dnssd_msg_count(m, DNSSD_SEC_ANSWER);
		dnssd_msg_free(m);
		pk++;
	}
	CU_ASSERT_EQUAL(total, 200);
	CU_ASSERT(pk >= 2);
	/* packed: every datagram but the last is nearly full */
	size_t full = 0;
	for (size_t i = 0; i < B.nlan; i++)
		if (B.lan[i].af == AF_INET && B.lan[i].len > 850)
			full++;
	CU_ASSERT(full >= pk - 1);
}

static CU_TestInfo engine_tests[] = {
    {"queries answered from the cache", test_query_answered_from_cache},
    {"own LAN queries list the records announced for peers", test_own_query_lists_remote},
    {"shutdown goodbyes", test_shutdown_goodbyes},
    {"200 records split by MTU", test_mtu_split},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"engine: lanout", NULL, NULL, setup, teardown, engine_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
