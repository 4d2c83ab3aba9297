/*
 * test_engine_lanin.c: the proxy engine's LAN input: what the engine takes from
 * its LANs (dedup, bad and mangled datagrams, floods, truncated queries, one
 * interface's traffic kept off another).
 * The simulated network and the two sites are engine_fixture.h.
 */
#include "config.h"

#include "tests/unit/engine_fixture.h"

static void test_dedup(void)
{
	uint64_t start = now;
	for (int s = 0; s <= 20; s++) {
		advance_to(start + (uint64_t)s * 1000);
		lan_response(&M, printer);
	}
	/* twenty repeats: the peer heard it once */
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), PRINTER_EXPORTED);
	for (int s = 21; s <= 130; s++) {
		advance_to(start + (uint64_t)s * 1000);
		lan_response(&M, printer);
	}
	/* then the 120 s records again each time half their TTL has passed */
	CU_ASSERT_EQUAL(sent_records(&M, 0, "Printer\\032A._ipp._tcp.local.",
	                             LDNS_RR_TYPE_SRV, false),
	                3);
	CU_ASSERT_EQUAL(sent_records(&M, 0, "printer.local.", LDNS_RR_TYPE_A, false), 3);
	CU_ASSERT_EQUAL(sent_records(&M, 0, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR, false),
	                1);
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), PRINTER_EXPORTED + 4);
	/* a refresh is not news on brooklyn's LAN */
	CU_ASSERT_EQUAL(mcast_with(&B, 0, AF_INET, R_INST, LDNS_RR_TYPE_SRV, NULL), 2);
}

static const char *const browse_qm[] = {"Q:_ipp._tcp.local. IN PTR", NULL};

static void test_no_reflection_between_interfaces(void)
{
	CU_ASSERT_EQUAL(proxy_add_interface(B.px, IF_B2, "eth1", now), 0);
	CU_ASSERT_EQUAL(proxy_add_interface(B.px, IF_B2, "eth1", now), -EEXIST);
	settle();
	clear_lan(&B);
	static const char *const tv[] = {
	    "A:_ipp._tcp.local. 4500 IN PTR Local._ipp._tcp.local.",
	    "A:!Local._ipp._tcp.local. 120 IN SRV 0 0 631 local.local.",
	    "A:!local.local. 120 IN A 192.168.2.5",
	    NULL,
	};
	lan_response(&B, tv);
	advance(3000);
	/* exported to the peer, but not repeated on eth1 (nor on eth0) */
	CU_ASSERT_EQUAL(
	    sent_records(&B, 0, "Local._ipp._tcp.local.", LDNS_RR_TYPE_SRV, false), 1);
	CU_ASSERT_EQUAL(responses(&B, 0), 0);
	/* and manhattan's copy is named for brooklyn, mapped as brooklyn says */
	const ldns_rr *a = NULL;
	for (size_t i = 0; i < M.nlan && !a; i++) {
		struct dnssd_msg *m = decode(&M.lan[i]);
		const ldns_rr *x =
		    find_rr(m, DNSSD_SEC_ANSWER, "local-brooklyn.local.", LDNS_RR_TYPE_A);
		if (x) {
			char *txt = ldns_rdf2str(ldns_rr_rdf(x, 0));
			CU_ASSERT_STRING_EQUAL(txt, "10.102.2.5");
			free(txt);
			a = x;
		}
		dnssd_msg_free(m);
	}
	CU_ASSERT(a != NULL);

	/* a new interface hears what the peers gave us */
	lan_response(&M, printer);
	advance(3000);
	proxy_remove_interface(B.px, IF_B2);
	clear_lan(&B);
	CU_ASSERT_EQUAL(proxy_add_interface(B.px, IF_B2, "eth1", now), 0);
	settle();
	size_t on_b2 = 0;
	for (size_t i = 0; i < B.nlan; i++) {
		struct dnssd_msg *m = decode(&B.lan[i]);
		on_b2 += B.lan[i].ifindex == IF_B2 &&
		         count_rr(m, DNSSD_SEC_ANSWER, R_INST, LDNS_RR_TYPE_SRV) > 0;
		dnssd_msg_free(m);
	}
	CU_ASSERT_EQUAL(on_b2, 2); /* IPv4 and IPv6 */
	CU_ASSERT_EQUAL(mcast_with(&B, 0, AF_INET, R_INST, LDNS_RR_TYPE_SRV, NULL), 1);
}

static void test_bad_input_counted(void)
{
	uint8_t junk[5] = {1, 2, 3, 4, 5};
	struct sockaddr_storage src = addr4("192.168.1.50", 5353);
	proxy_lan_input(M.px, IF_M, (struct sockaddr *)&src, true, junk, sizeof(junk),
	                now);
	struct proxy_stats st;
	proxy_get_stats(M.px, &st);
	CU_ASSERT_EQUAL(st.decode_drops[DNSSD_R_SHORT], 1);

	/* responses from another port are not mDNS */
	lan_from(&M, IF_M, "192.168.1.50", 12345, true, true, 0, printer);
	CU_ASSERT_EQUAL(drops(&M, PROXY_DROP_NOT_MDNS_PORT), 1);
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), 0);
	proxy_get_stats(M.px, &st);
	CU_ASSERT_EQUAL(st.local_records, 0);
	CU_ASSERT(st.lan_packets_in >= 2);

	/* a peer id that is not configured */
	ldns_rr *rr = mkrr("x.local. 120 IN A 10.0.0.1");
	proxy_peer_records(M.px, 7, "brooklyn", 0, &rr, 1, now);
	CU_ASSERT_EQUAL(drops(&M, PROXY_DROP_PEER), 1);
	ldns_rr_free(rr);
	struct proxy_peer_stats ps;
	CU_ASSERT_EQUAL(proxy_get_peer_stats(M.px, 7, &ps), -ENOENT);
	CU_ASSERT_STRING_EQUAL(proxy_drop_str(PROXY_DROP_RATE), "rate");
	CU_ASSERT_STRING_EQUAL(proxy_drop_str(PROXY_DROP_NOT_MDNS_PORT), "not-mdns-port");
}

/* n instances that nothing describes (PTRs only), from host ip, numbered from first. */
static void lone_ptrs(const char *ip, unsigned first, unsigned n)
{
	char text[25][96];
	const char *specs[26];
	CU_ASSERT_FATAL(n <= 25);
	for (unsigned i = 0; i < n; i++) {
		snprintf(text[i], sizeof(text[i]),
		         "A:_ipp._tcp.local. 4500 IN PTR Lone\\032%u._ipp._tcp.local.",
		         first + i);
		specs[i] = text[i];
	}
	specs[n] = NULL;
	lan_from(&M, IF_M, ip, 5353, true, true, 0, specs);
}

static void test_lan_flood_limited(void)
{
	/* one host's burst: 4,000 records at once, then 1,000 a second */
	size_t asked0 = M.nlan;
	for (unsigned k = 0; k < 200; k++)
		lone_ptrs("192.168.1.66", k * 25, 25);
	uint64_t over = drops(&M, PROXY_DROP_SOURCE);
	CU_ASSERT(over >= 200 - 4000 / 26 && over < 200);
	/* instances that never complete are held back for the peer, 1,024 at most */
	CU_ASSERT(drops(&M, PROXY_DROP_LIMIT) > 0);
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), 0);
	/* both families of the LAN are asked for the SRV and TXT of each held one */
	size_t questions = 0;
	for (size_t i = asked0; i < M.nlan; i++) {
		struct dnssd_msg *m = decode(&M.lan[i]);
		questions += dnssd_msg_count(m, DNSSD_SEC_QUESTION);
		dnssd_msg_free(m);
	}
	CU_ASSERT(questions > 0 && questions <= 2 * 2 * 1024);

	/* another host is not held up by it, and its printer crosses whole */
	lan_response(&M, printer);
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), PRINTER_EXPORTED);
	CU_ASSERT_EQUAL(drops(&M, PROXY_DROP_SOURCE), over);

	/* the flooding host gets its budget back with time */
	advance(5000);
	lone_ptrs("192.168.1.66", 100000, 1);
	CU_ASSERT_EQUAL(drops(&M, PROXY_DROP_SOURCE), over);
	CU_ASSERT_STRING_EQUAL(proxy_drop_str(PROXY_DROP_SOURCE), "source-rate");
}

static void test_truncated_query_waits(void)
{
	lan_response(&M, printer);
	advance(5000);
	uint8_t *buf;
	size_t len = mkpkt(&buf, false, 0, browse_qm);
	buf[2] |= 0x02; /* TC: known answers follow */
	struct sockaddr_storage src = addr4("192.168.2.60", 5353);
	size_t lan0 = B.nlan;
	proxy_lan_input(B.px, IF_B, (struct sockaddr *)&src, true, buf, len, now);
	free(buf);
	settle();
	advance(399);
	CU_ASSERT_EQUAL(B.nlan, lan0);
	/* the asker's next packet lists the PTR: nothing left to say */
	static const char *const more[] = {"A:_ipp._tcp.local. 4500 IN PTR " R_INST,
	                                   NULL};
	lan_from(&B, IF_B, "192.168.2.60", 5353, true, false, 0, more);
	advance(200);
	CU_ASSERT_EQUAL(
	    mcast_with(&B, lan0, AF_INET, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR, NULL), 0);
	/* without it, the answer comes after 400-500 ms */
	len = mkpkt(&buf, false, 0, browse_qm);
	buf[2] |= 0x02;
	uint64_t asked = now;
	proxy_lan_input(B.px, IF_B, (struct sockaddr *)&src, true, buf, len, now);
	free(buf);
	settle();
	advance(600);
	uint64_t when[2] = {0};
	CU_ASSERT_EQUAL(
	    mcast_with(&B, lan0, AF_INET, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR, when), 1);
	CU_ASSERT(when[0] >= asked + 400 && when[0] <= asked + 500);
}

static void test_garbage_survived(void)
{
	uint8_t *good;
	size_t len = mkpkt(&good, true, 0, printer);
	uint8_t *bad = malloc(len);
	uint64_t x = 88172645463325252ULL;
	struct sockaddr_storage src = addr4("192.168.1.50", 5353);
	for (int i = 0; i < 3000; i++) {
		memcpy(bad, good, len);
		for (int k = 0; k < 1 + i % 4; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			bad[x % len] = (uint8_t)(x >> 32);
		}
		size_t l = i % 7 == 0 ? (size_t)(x >> 40) % len : len;
		proxy_lan_input(M.px, IF_M, (struct sockaddr *)&src, true, bad, l, now);
		proxy_lan_input(B.px, IF_B, (struct sockaddr *)&src, i % 2, bad, l, now);
		settle();
		now += 7;
	}
	free(bad);
	free(good);
	struct proxy_stats st;
	proxy_get_stats(M.px, &st);
	CU_ASSERT(st.lan_packets_in == 3000);
}

static CU_TestInfo engine_tests[] = {
    {"repeated announcements deduplicated", test_dedup},
    {"bad input counted", test_bad_input_counted},
    {"LAN flood limited per source", test_lan_flood_limited},
    {"mangled datagrams survived", test_garbage_survived},
    {"truncated query waits for known answers", test_truncated_query_waits},
    {"no reflection between interfaces", test_no_reflection_between_interfaces},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"engine: lanin", NULL, NULL, setup, teardown, engine_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
