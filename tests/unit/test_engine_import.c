/*
 * test_engine_import.c: the proxy engine's import and remotes: what a remote's
 * records become here (grace when a link goes down, the remote cache limit,
 * resync after a flap, refresh near expiry, cut names asked by their original,
 * an added import remote).
 * The simulated network and the two sites are engine_fixture.h.
 */
#include "config.h"

#include "tests/unit/engine_fixture.h"

static const char *const browse_qu[] = {"Q:!_ipp._tcp.local. IN PTR", NULL};

static void test_near_expiry_reasked(void)
{
	lan_response(&M, printer);
	advance(60000);
	size_t bq = B.nout, mo = M.nout, ml = M.nlan;
	static const char *const q[] = {"Q:" R_INST " IN SRV", NULL};
	/* at half its TTL the cached SRV answers alone */
	lan_from(&B, IF_B, "192.168.2.60", 5353, true, false, 0, q);
	CU_ASSERT_EQUAL(sent_questions(&B, bq, NULL), 0);
	/* past 80% it is asked for at its origin, by its own name there */
	advance(37000);
	lan_from(&B, IF_B, "192.168.2.60", 5353, true, false, 0, q);
	CU_ASSERT_EQUAL(sent_questions(&B, bq, "Printer\\032A._ipp._tcp.local."), 1);
	/* manhattan asks its LAN and sends what it has at once, past the dedup */
	size_t mq = 0;
	for (size_t i = ml; i < M.nlan; i++) {
		struct dnssd_msg *m = decode(&M.lan[i]);
		mq += dnssd_msg_kind(m) == DNSSD_QUERY &&
		      count_rr(m, DNSSD_SEC_QUESTION, "Printer\\032A._ipp._tcp.local.",
		               LDNS_RR_TYPE_SRV);
		dnssd_msg_free(m);
	}
	CU_ASSERT(mq >= 1);
	CU_ASSERT_EQUAL(sent_records(&M, mo, "Printer\\032A._ipp._tcp.local.",
	                             LDNS_RR_TYPE_SRV, false),
	                1);
}

static void test_peer_down_grace(void)
{
	lan_response(&M, printer);
	advance(2000);
	M.link_up = B.link_up = false;
	proxy_peer_down(B.px, 0, now);
	proxy_peer_down(M.px, 0, now);
	uint64_t down = now;
	struct proxy_peer_stats ps;
	proxy_get_peer_stats(B.px, 0, &ps);
	CU_ASSERT(!ps.up && ps.grace_running);

	/* within the grace period the records stay and still answer */
	advance_to(down + 30000);
	size_t lan0 = B.nlan;
	lan_from(&B, IF_B, "192.168.2.61", 5353, true, false, 0, browse_qu);
	CU_ASSERT_EQUAL(B.nlan, lan0 + 1);
	advance_to(down + 59999);
	lan0 = B.nlan;
	CU_ASSERT_EQUAL(mcast_with(&B, 0, AF_INET, R_INST, LDNS_RR_TYPE_SRV, NULL), 2);

	/* then goodbyes */
	advance_to(down + 60000);
	size_t k = 0;
	for (size_t i = lan0; i < B.nlan; i++) {
		struct dnssd_msg *m = decode(&B.lan[i]);
		const ldns_rr *srv =
		    find_rr(m, DNSSD_SEC_ANSWER, R_INST, LDNS_RR_TYPE_SRV);
		if (srv && B.lan[i].af == AF_INET) {
			k++;
			CU_ASSERT_EQUAL(ldns_rr_ttl(srv), 0);
			CU_ASSERT_EQUAL(count_rr(m, DNSSD_SEC_ANSWER, NULL, 0),
			                PRINTER_EXPORTED);
		}
		dnssd_msg_free(m);
	}
	CU_ASSERT_EQUAL(k, 1);
	struct proxy_stats st;
	proxy_get_stats(B.px, &st);
	CU_ASSERT_EQUAL(st.remote_records, 0);

	/* back up: manhattan sends everything again */
	M.link_up = B.link_up = true;
	size_t out0 = M.nout;
	proxy_peer_up(M.px, 0, now);
	proxy_peer_up(B.px, 0, now);
	settle();
	CU_ASSERT_EQUAL(sent_records(&M, out0, NULL, 0, false), PRINTER_EXPORTED);
	CU_ASSERT(mcast_with(&B, lan0, AF_INET, R_INST, LDNS_RR_TYPE_SRV, NULL) >= 1);
}

static void test_remote_limit(void)
{
	restart(&B, cfg_brooklyn_small);
	lan_response(&M, printer);
	struct proxy_stats st;
	proxy_get_stats(B.px, &st);
	CU_ASSERT_EQUAL(st.remote_records, 4);
	CU_ASSERT(st.drops[PROXY_DROP_LIMIT] >= 2);
}

static void test_cut_name_asked_by_original(void)
{
	/* 61 bytes: with " (manhattan)" the label must be cut to stay within 63 */
	static const char *const longname[] = {
	    "A:_ipp._tcp.local. 4500 IN PTR "
	    "Very\\032Long\\032Printer\\032Name\\032On\\032The\\032Third\\032Floor\\032Co"
	    "nference\\032Room\\032301._ipp._tcp.local.",
	    "A:!"
	    "Very\\032Long\\032Printer\\032Name\\032On\\032The\\032Third\\032Floor\\032Co"
	    "nference\\032Room\\032301."
	    "_ipp._tcp.local. 120 IN SRV 0 0 631 printer.local.",
	    "A:!printer.local. 120 IN A 192.168.1.12",
	    NULL,
	};
	lan_response(&M, longname);
	CU_ASSERT_FATAL(B.nlan > 0);
	struct dnssd_msg *m = decode(&B.lan[0]);
	const ldns_rr *ptr =
	    find_rr(m, DNSSD_SEC_ANSWER, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR);
	CU_ASSERT_FATAL(ptr != NULL);
	ldns_rdf *renamed = ldns_rdf_clone(ldns_rr_rdf(ptr, 0));
	dnssd_msg_free(m);
	CU_ASSERT_EQUAL(ldns_rdf_data(renamed)[0], 63);

	/* near expiry, the SRV is asked for at manhattan by its full original name */
	advance(100000);
	ldns_rr *q = ldns_rr_new();
	ldns_rr_set_owner(q, renamed);
	ldns_rr_set_type(q, LDNS_RR_TYPE_SRV);
	ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(q, true);
	ldns_pkt *pkt = ldns_pkt_new();
	ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, q);
	uint8_t *buf;
	size_t len;
	CU_ASSERT_FATAL(ldns_pkt2wire(&buf, pkt, &len) == LDNS_STATUS_OK);
	ldns_pkt_free(pkt);
	struct sockaddr_storage src = addr4("192.168.2.60", 5353);
	size_t out0 = B.nout;
	proxy_lan_input(B.px, IF_B, (struct sockaddr *)&src, true, buf, len, now);
	free(buf);
	settle();
	CU_ASSERT_EQUAL(
	    sent_questions(
	        &B, out0,
	        "Very\\032Long\\032Printer\\032Name\\032On\\032The\\032Third\\032"
	        "Floor\\032Conference\\032Room\\032301._ipp._tcp.local."),
	    1);
}

static void test_flap_resync(void)
{
	static const char *const alice[] = {
	    "A:_presence._tcp.local. 4500 IN PTR alice._presence._tcp.local.",
	    "A:!alice._presence._tcp.local. 120 IN SRV 0 0 5298 mac.local.",
	    "A:!mac.local. 120 IN A 192.168.1.30",
	    NULL,
	};
	lan_response(&M, printer);
	lan_response(&M, alice);
	advance(5000);
	/* the link drops; meanwhile the printer leaves manhattan */
	M.link_up = B.link_up = false;
	proxy_peer_down(M.px, 0, now);
	proxy_peer_down(B.px, 0, now);
	advance(10000);
	lan_response(&M, printer_bye);
	advance(10000);
	size_t lan0 = B.nlan, bq = B.nout;
	M.link_up = B.link_up = true;
	proxy_peer_up(M.px, 0, now);
	proxy_peer_up(B.px, 0, now);
	settle();
	uint64_t up = now;
	/* brooklyn asks again for the types it holds */
	CU_ASSERT_EQUAL(sent_questions(&B, bq, "_ipp._tcp.local."), 1);
	CU_ASSERT_EQUAL(sent_questions(&B, bq, "_universal._sub._ipp._tcp.local."), 1);
	CU_ASSERT_EQUAL(sent_questions(&B, bq, "_presence._tcp.local."), 1);
	/* what came again is a refresh, not news */
	CU_ASSERT_EQUAL(responses(&B, lan0), 0);
	/* what did not come again is withdrawn after the resync window */
	advance_to(up + 29000);
	CU_ASSERT_EQUAL(responses(&B, lan0), 0);
	advance_to(up + 31000);
	size_t bye = 0;
	for (size_t i = lan0; i < B.nlan; i++) {
		struct dnssd_msg *m = decode(&B.lan[i]);
		const ldns_rr *srv =
		    find_rr(m, DNSSD_SEC_ANSWER, R_INST, LDNS_RR_TYPE_SRV);
		bye += srv && ldns_rr_ttl(srv) == 0 && B.lan[i].af == AF_INET;
		CU_ASSERT_EQUAL(
		    count_rr(m, DNSSD_SEC_ANSWER,
		             "alice\\032\\040manhattan\\041._presence._tcp.local.", 0),
		    0);
		dnssd_msg_free(m);
	}
	CU_ASSERT_EQUAL(bye, 1);
	struct proxy_stats st;
	proxy_get_stats(B.px, &st);
	CU_ASSERT_EQUAL(st.remote_records, 3); /* alice: PTR, SRV and A */
}

#define Q_INST "Printer\\032A\\032\\040queens\\041._ipp._tcp.local."

/* A DNS-import-like remote: records fed in with their origin, grace when down. */
static void test_added_import_remote(void)
{
	const struct policy_peer *pm = policy_config_peer(B.cfg, 0);
	struct proxy_remote_cfg rc = {
	    .name = "queens",
	    .import_rules = policy_peer_import(pm),
	    .grace_s = 5,
	};
	struct proxy_remote_ops ops = {.send_records = zone_records,
	                               .send_questions = zone_ask};
	long id = proxy_add_remote(B.px, &rc, &ops, &zone, now);
	CU_ASSERT_FATAL(id >= (long)PROXY_REMOTE_ID_BASE);
	zone_id = (unsigned)id;
	proxy_peer_up(B.px, zone_id, now);

	/* nothing of brooklyn's LAN is exported to it: it has no export rules */
	lan_response(&B, printer);
	CU_ASSERT_EQUAL(zone.nout, 0);

	ldns_rr *rrs[PRINTER_EXPORTED];
	size_t n = 0;
	for (size_t i = 0; printer[i]; i++)
		if (!strstr(printer[i], "fe80"))
			rrs[n++] = mkrr(printer[i] + 2);
	CU_ASSERT_FATAL(n == PRINTER_EXPORTED);

	/* a remote speaking for another site is refused */
	uint64_t origin0 = drops(&B, PROXY_DROP_ORIGIN);
	proxy_peer_records(B.px, zone_id, "bronx", 0, rrs, n, now);
	CU_ASSERT_EQUAL(drops(&B, PROXY_DROP_ORIGIN), origin0 + n);

	size_t lan0 = B.nlan;
	proxy_peer_records(B.px, zone_id, "queens", 0, rrs, n, now);
	settle();
	CU_ASSERT_EQUAL(mcast_with(&B, lan0, AF_INET, Q_INST, LDNS_RR_TYPE_SRV, NULL), 1);
	struct proxy_peer_stats ps;
	CU_ASSERT_EQUAL(proxy_get_peer_stats(B.px, zone_id, &ps), 0);
	CU_ASSERT_EQUAL(ps.cached, PRINTER_EXPORTED);

	/* services: the domain's service beside the LAN's, and no export decision
	 * for a remote without export rules */
	struct proxy_view *v = NULL;
	CU_ASSERT_FATAL(proxy_view_services(B.px, now, &v) == 0);
	const struct proxy_view_service *ls = view_find(v, true, "Printer A");
	const struct proxy_view_service *rs = view_find(v, false, "Printer A (queens)");
	CU_ASSERT_FATAL(ls != NULL && rs != NULL);
	CU_ASSERT_EQUAL(ls->ndec, 1);
	CU_ASSERT_STRING_EQUAL(rs->origin, "queens");
	CU_ASSERT_STRING_EQUAL(rs->origin_name, "Printer A");
	CU_ASSERT_FATAL(rs->ndec == 1);
	CU_ASSERT(!rs->dec[0].peer && rs->dec[0].import);
	CU_ASSERT_EQUAL(rs->dec[0].ex.action, POLICY_ALLOW);
	proxy_view_free(v);

	/* down: kept for its own grace period, then goodbyes */
	proxy_peer_down(B.px, zone_id, now);
	uint64_t down = now;
	advance_to(down + 4999);
	lan0 = B.nlan;
	advance_to(down + 5000);
	size_t k = 0;
	for (size_t i = lan0; i < B.nlan; i++) {
		struct dnssd_msg *m = decode(&B.lan[i]);
		const ldns_rr *srv =
		    find_rr(m, DNSSD_SEC_ANSWER, Q_INST, LDNS_RR_TYPE_SRV);
		if (srv && B.lan[i].af == AF_INET) {
			k++;
			CU_ASSERT_EQUAL(ldns_rr_ttl(srv), 0);
		}
		dnssd_msg_free(m);
	}
	CU_ASSERT_EQUAL(k, 1);
	CU_ASSERT_EQUAL(proxy_get_peer_stats(B.px, zone_id, &ps), 0);
	CU_ASSERT_EQUAL(ps.cached, 0);
	for (size_t i = 0; i < n; i++)
		ldns_rr_free(rrs[i]);
	free_zone();
}

static CU_TestInfo engine_tests[] = {
    {"peer down, grace, goodbyes, resync", test_peer_down_grace},
    {"remote cache limit", test_remote_limit},
    {"link flap: resync and stale records", test_flap_resync},
    {"records in use asked again near expiry", test_near_expiry_reasked},
    {"cut instance names asked by their original", test_cut_name_asked_by_original},
    {"added remote: import like a DNS domain", test_added_import_remote},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"engine: import", NULL, NULL, setup, teardown, engine_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
