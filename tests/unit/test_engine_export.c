/*
 * test_engine_export.c: the proxy engine's export: what a LAN's services become
 * for a remote (renaming, address mapping, policy, goodbyes, questions
 * forwarded, the loop guard, an added export remote).
 * The simulated network and the two sites are engine_fixture.h.
 */
#include "config.h"

#include "tests/unit/engine_fixture.h"

static void test_announcement_crosses(void)
{
	lan_response(&M, printer);

	/* manhattan exported the service, mapped, without the link-local address */
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), PRINTER_EXPORTED);
	CU_ASSERT_EQUAL(sent_records(&M, 0, "printer.local.", LDNS_RR_TYPE_AAAA, false),
	                0);
	CU_ASSERT_STRING_EQUAL(M.out[0].origin, "manhattan");
	CU_ASSERT_EQUAL(M.out[0].hops, 0);

	/* brooklyn announced it at once, renamed, on both families */
	CU_ASSERT_EQUAL(mcast_with(&B, 0, AF_INET, R_INST, LDNS_RR_TYPE_SRV, NULL), 1);
	CU_ASSERT_EQUAL(mcast_with(&B, 0, AF_INET6, R_INST, LDNS_RR_TYPE_SRV, NULL), 1);
	CU_ASSERT_FATAL(B.nlan > 0);
	struct dnssd_msg *m = decode(&B.lan[0]);
	CU_ASSERT_EQUAL(dnssd_msg_kind(m), DNSSD_RESPONSE);
	CU_ASSERT_EQUAL(dnssd_msg_id(m), 0);
	const ldns_rr *ptr =
	    find_rr(m, DNSSD_SEC_ANSWER, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR);
	CU_ASSERT_FATAL(ptr != NULL);
	CU_ASSERT(name_is(ldns_rr_rdf(ptr, 0), R_INST));
	const ldns_rr *sub = find_rr(
	    m, DNSSD_SEC_ANSWER, "_universal._sub._ipp._tcp.local.", LDNS_RR_TYPE_PTR);
	CU_ASSERT(sub && name_is(ldns_rr_rdf(sub, 0), R_INST));
	const ldns_rr *srv = find_rr(m, DNSSD_SEC_ANSWER, R_INST, LDNS_RR_TYPE_SRV);
	CU_ASSERT_FATAL(srv != NULL);
	CU_ASSERT(name_is(ldns_rr_rdf(srv, 3), R_HOST));
	CU_ASSERT_EQUAL(ldns_rdf2native_int16(ldns_rr_rdf(srv, 2)), 631);
	CU_ASSERT_EQUAL(ldns_rr_ttl(srv), 120);
	CU_ASSERT(dnssd_rr_cache_flush(srv));
	CU_ASSERT(find_rr(m, DNSSD_SEC_ANSWER, R_INST, LDNS_RR_TYPE_TXT) != NULL);
	const ldns_rr *a = find_rr(m, DNSSD_SEC_ANSWER, R_HOST, LDNS_RR_TYPE_A);
	CU_ASSERT_FATAL(a != NULL);
	char *txt = ldns_rdf2str(ldns_rr_rdf(a, 0));
	CU_ASSERT_STRING_EQUAL(txt, "10.101.1.12");
	free(txt);
	CU_ASSERT_EQUAL(count_rr(m, DNSSD_SEC_ANSWER, NULL, LDNS_RR_TYPE_AAAA), 0);
	CU_ASSERT_EQUAL(count_rr(m, DNSSD_SEC_ANSWER, NULL, 0), PRINTER_EXPORTED);
	dnssd_msg_free(m);

	/* and again one second later, then no more */
	advance(5000);
	uint64_t when[4] = {0};
	CU_ASSERT_EQUAL(mcast_with(&B, 0, AF_INET, R_INST, LDNS_RR_TYPE_SRV, when), 2);
	CU_ASSERT_EQUAL(when[0], T0);
	CU_ASSERT_EQUAL(when[1], T0 + 1000);

	/* manhattan's LAN heard no answer from us: local records are not reflected */
	CU_ASSERT_EQUAL(responses(&M, 0), 0);

	struct proxy_stats st;
	proxy_get_stats(B.px, &st);
	CU_ASSERT_EQUAL(st.remote_records, PRINTER_EXPORTED);
	struct proxy_peer_stats ps;
	CU_ASSERT_EQUAL(proxy_get_peer_stats(B.px, 0, &ps), 0);
	CU_ASSERT_STRING_EQUAL(ps.name, "manhattan");
	CU_ASSERT(ps.up);
	CU_ASSERT_EQUAL(ps.records_in, PRINTER_EXPORTED);
	CU_ASSERT_EQUAL(proxy_get_peer_stats(M.px, 0, &ps), 0);
	CU_ASSERT_EQUAL(ps.records_out, PRINTER_EXPORTED);
}

static void test_denied_not_exported(void)
{
	static const char *const tv[] = {
	    "A:_airplay._tcp.local. 4500 IN PTR Living\\032Room._airplay._tcp.local.",
	    "A:!Living\\032Room._airplay._tcp.local. 120 IN SRV 0 0 7000 appletv.local.",
	    "A:!Living\\032Room._airplay._tcp.local. 4500 IN TXT \"model=AppleTV\"",
	    "A:_services._dns-sd._udp.local. 4500 IN PTR _airplay._tcp.local.",
	    "A:!appletv.local. 120 IN A 192.168.1.20",
	    NULL,
	};
	lan_response(&M, tv);
	advance(3000);
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), 0);
	CU_ASSERT_EQUAL(B.nlan, 0);
	CU_ASSERT(drops(&M, PROXY_DROP_POLICY) >= 5);

	/* the allowed printer still goes, in the same packet as a denied service */
	lan_response(&M, printer);
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), PRINTER_EXPORTED);
}

static void test_linklocal_host_held(void)
{
	static const char *const old[] = {
	    "A:_ipp._tcp.local. 4500 IN PTR Old._ipp._tcp.local.",
	    "A:!Old._ipp._tcp.local. 120 IN SRV 0 0 631 oldprinter.local.",
	    "A:!Old._ipp._tcp.local. 4500 IN TXT \"txtvers=1\"",
	    "A:!oldprinter.local. 120 IN A 169.254.3.4",
	    "A:!oldprinter.local. 120 IN AAAA fe80::3",
	    NULL,
	};
	static const char *const routable[] = {
	    "A:!oldprinter.local. 120 IN A 192.168.1.77",
	    NULL,
	};
	lan_response(&M, old);
	advance(3000);
	/* a service nobody there could reach is not offered */
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), 0);
	CU_ASSERT_EQUAL(responses(&B, 0), 0);

	/* once the host has an address the peer can use, the service follows */
	lan_response(&M, routable);
	CU_ASSERT_EQUAL(
	    sent_records(&M, 0, "Old._ipp._tcp.local.", LDNS_RR_TYPE_SRV, false), 1);
	CU_ASSERT_EQUAL(sent_records(&M, 0, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR, false),
	                1);
	CU_ASSERT_EQUAL(sent_records(&M, 0, "oldprinter.local.", LDNS_RR_TYPE_A, false),
	                1);
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), 4);
	CU_ASSERT_EQUAL(mcast_with(&B, 0, AF_INET, "oldprinter-manhattan.local.",
	                           LDNS_RR_TYPE_A, NULL),
	                1);
}

/*
 * Whether the host has an address the peer can use looks at every address: the
 * routable one is found behind more link-local ones than any fixed array held.
 */
#define MANY_LL 20
static void test_linklocal_many_addresses(void)
{
	static char ll[MANY_LL][64];
	const char *specs[4 + MANY_LL + 1];
	size_t n = 0;
	specs[n++] = "A:_ipp._tcp.local. 4500 IN PTR Many._ipp._tcp.local.";
	specs[n++] = "A:!Many._ipp._tcp.local. 120 IN SRV 0 0 631 many.local.";
	specs[n++] = "A:!Many._ipp._tcp.local. 4500 IN TXT \"txtvers=1\"";
	/* the cache lists the newest first: the routable address comes last */
	specs[n++] = "A:many.local. 120 IN A 192.168.1.78";
	for (int i = 0; i < MANY_LL; i++) {
		snprintf(ll[i], sizeof(ll[i]), "A:many.local. 120 IN A 169.254.9.%d", i + 1);
		specs[n++] = ll[i];
	}
	specs[n] = NULL;
	lan_response(&M, specs);
	CU_ASSERT_EQUAL(
	    sent_records(&M, 0, "Many._ipp._tcp.local.", LDNS_RR_TYPE_SRV, false), 1);
	CU_ASSERT_EQUAL(sent_records(&M, 0, "many.local.", LDNS_RR_TYPE_A, false), 1);
	CU_ASSERT_EQUAL(mcast_with(&B, 0, AF_INET, "many-manhattan.local.", LDNS_RR_TYPE_A,
	                           NULL),
	                1);
}

static void test_goodbye_propagates(void)
{
	lan_response(&M, printer);
	advance(500);
	size_t lan0 = B.nlan, out0 = M.nout;
	lan_response(&M, printer_bye);

	CU_ASSERT_EQUAL(sent_records(&M, out0, NULL, 0, true), PRINTER_EXPORTED);
	/* goodbyes on brooklyn's LAN at once, and nothing of the record after */
	size_t k = 0;
	for (size_t i = lan0; i < B.nlan; i++) {
		struct dnssd_msg *m = decode(&B.lan[i]);
		const ldns_rr *srv =
		    find_rr(m, DNSSD_SEC_ANSWER, R_INST, LDNS_RR_TYPE_SRV);
		if (srv && B.lan[i].af == AF_INET) {
			CU_ASSERT_EQUAL(ldns_rr_ttl(srv), 0);
			CU_ASSERT_EQUAL(B.lan[i].t, now);
			CU_ASSERT_EQUAL(count_rr(m, DNSSD_SEC_ANSWER, NULL, 0),
			                PRINTER_EXPORTED);
			k++;
		}
		dnssd_msg_free(m);
	}
	CU_ASSERT_EQUAL(k, 1);
	size_t lan1 = B.nlan;
	advance(5000);
	CU_ASSERT_EQUAL(mcast_with(&B, lan1, AF_INET, R_INST, LDNS_RR_TYPE_SRV, NULL), 0);
	struct proxy_stats st;
	proxy_get_stats(B.px, &st);
	CU_ASSERT_EQUAL(st.remote_records, 0);
}

static const char *const browse_qm[] = {"Q:_ipp._tcp.local. IN PTR", NULL};

static void test_question_forwarded(void)
{
	/* nothing cached for the type: brooklyn asks manhattan, which asks its LAN */
	static const char *const q[] = {"Q:_presence._tcp.local. IN PTR", NULL};
	lan_from(&B, IF_B, "192.168.2.60", 5353, true, false, 0, q);
	CU_ASSERT_EQUAL(sent_questions(&B, 0, "_presence._tcp.local."), 1);
	size_t mq = 0;
	for (size_t i = 0; i < M.nlan; i++) {
		struct dnssd_msg *m = decode(&M.lan[i]);
		if (dnssd_msg_kind(m) == DNSSD_QUERY && !M.lan[i].unicast &&
		    count_rr(m, DNSSD_SEC_QUESTION, "_presence._tcp.local.",
		             LDNS_RR_TYPE_PTR))
			mq++;
		dnssd_msg_free(m);
	}
	CU_ASSERT_EQUAL(mq, 2); /* IPv4 and IPv6 */

	/* the same question again at once is not forwarded twice */
	lan_from(&B, IF_B, "192.168.2.61", 5353, true, false, 0, q);
	CU_ASSERT_EQUAL(sent_questions(&B, 0, "_presence._tcp.local."), 1);

	/* manhattan's responder answers; the service appears at brooklyn */
	static const char *const alice[] = {
	    "A:_presence._tcp.local. 4500 IN PTR alice._presence._tcp.local.",
	    "D:!alice._presence._tcp.local. 120 IN SRV 0 0 5298 mac.local.",
	    "D:!alice._presence._tcp.local. 4500 IN TXT \"status=avail\"",
	    "D:!mac.local. 120 IN A 192.168.1.30",
	    NULL,
	};
	lan_response(&M, alice);
	CU_ASSERT_EQUAL(mcast_with(&B, 0, AF_INET,
	                           "alice\\032\\040manhattan\\041._presence._tcp.local.",
	                           LDNS_RR_TYPE_SRV, NULL),
	                1);

	/* names that look like manhattan's go back to manhattan, un-renamed */
	static const char *const host_q[] = {"Q:scanner-manhattan.local. IN A", NULL};
	lan_from(&B, IF_B, "192.168.2.60", 5353, true, false, 0, host_q);
	CU_ASSERT_EQUAL(sent_questions(&B, 0, "scanner.local."), 1);
	CU_ASSERT_EQUAL(sent_questions(&B, 0, "scanner-manhattan.local."), 0);
}

static void test_question_rate_limited(void)
{
	advance(5000); /* a full bucket */
	uint64_t rate0 = drops(&B, PROXY_DROP_RATE);
	for (int i = 0; i < 20; i++) {
		char name[64];
		snprintf(name, sizeof(name), "Q:h%d-manhattan.local. IN A", i);
		const char *const q[] = {name, NULL};
		lan_from(&B, IF_B, "192.168.2.60", 5353, true, false, 0, q);
	}
	/* queries-per-second: 5 */
	CU_ASSERT_EQUAL(sent_questions(&B, 0, NULL), 5);
	CU_ASSERT_EQUAL(drops(&B, PROXY_DROP_RATE) - rate0, 15);
	advance(1000);
	for (int i = 20; i < 40; i++) {
		char name[64];
		snprintf(name, sizeof(name), "Q:h%d-manhattan.local. IN A", i);
		const char *const q[] = {name, NULL};
		lan_from(&B, IF_B, "192.168.2.60", 5353, true, false, 0, q);
	}
	CU_ASSERT_EQUAL(sent_questions(&B, 0, NULL), 10);
}

static void test_loop_guard(void)
{
	ldns_rr *rrs[2] = {mkrr("!x.local. 120 IN A 10.0.0.1"),
	                   mkrr("_ipp._tcp.local. 4500 IN PTR X._ipp._tcp.local.")};
	uint64_t loop0 = drops(&B, PROXY_DROP_LOOP);
	/* records that claim to come from brooklyn, or from further away */
	proxy_peer_records(B.px, 0, "brooklyn", 0, rrs, 2, now);
	proxy_peer_records(B.px, 0, "manhattan", 1, rrs, 2, now);
	CU_ASSERT_EQUAL(drops(&B, PROXY_DROP_LOOP) - loop0, 4);
	/* a peer speaks only for itself */
	proxy_peer_records(B.px, 0, "queens", 0, rrs, 2, now);
	CU_ASSERT_EQUAL(drops(&B, PROXY_DROP_ORIGIN), 2);
	settle();
	CU_ASSERT_EQUAL(B.nlan, 0);
	ldns_rr_free(rrs[0]);
	ldns_rr_free(rrs[1]);

	/* what brooklyn announces, repeated by another responder there, stays there */
	lan_response(&M, printer);
	advance(2000);
	CU_ASSERT_FATAL(B.nlan > 0);
	size_t out0 = B.nout;
	loop0 = drops(&B, PROXY_DROP_LOOP);
	for (size_t i = 0; i < B.nlan; i++) {
		struct sockaddr_storage src = addr4("192.168.2.99", 5353);
		proxy_lan_input(B.px, IF_B, (struct sockaddr *)&src, true, B.lan[i].buf,
		                B.lan[i].len, now);
	}
	settle();
	CU_ASSERT_EQUAL(sent_records(&B, out0, NULL, 0, false), 0);
	CU_ASSERT(drops(&B, PROXY_DROP_LOOP) - loop0 >= PRINTER_EXPORTED);
}

static void test_sender_rule_resync(void)
{
	restart(&M, cfg_manhattan_byaddr);
	size_t out0 = M.nout;
	lan_response(&M, printer);
	CU_ASSERT_EQUAL(sent_records(&M, out0, NULL, 0, false), PRINTER_EXPORTED);
	/* another host: its services stay home */
	static const char *const other[] = {
	    "A:_ipp._tcp.local. 4500 IN PTR Other._ipp._tcp.local.",
	    "A:!Other._ipp._tcp.local. 120 IN SRV 0 0 631 other.local.",
	    "A:!other.local. 120 IN A 192.168.1.51",
	    NULL,
	};
	out0 = M.nout;
	lan_from(&M, IF_M, "192.168.1.51", 5353, true, true, 0, other);
	CU_ASSERT_EQUAL(sent_records(&M, out0, NULL, 0, false), 0);
	/* the link comes back: what .50 said goes again, decided on its sender */
	advance(5000);
	out0 = M.nout;
	proxy_peer_down(M.px, 0, now);
	proxy_peer_up(M.px, 0, now);
	settle();
	CU_ASSERT_EQUAL(sent_records(&M, out0, "Printer\\032A._ipp._tcp.local.",
	                             LDNS_RR_TYPE_SRV, false),
	                1);
	CU_ASSERT_EQUAL(sent_records(&M, out0, "Other._ipp._tcp.local.", 0, false), 0);
}

/* A DNS-export-like remote: the whole allowed set when up, changes after, no questions.
 */
static void test_added_export_remote(void)
{
	const struct policy_peer *pb = policy_config_peer(M.cfg, 0);
	struct proxy_remote_cfg rc = {
	    .name = "zone",
	    .export_rules = policy_peer_export(pb),
	    .addrmap = policy_peer_addrmap(pb),
	};
	struct proxy_remote_ops ops = {.send_records = zone_records};
	long id = proxy_add_remote(M.px, &rc, &ops, &zone, now);
	CU_ASSERT_FATAL(id >= (long)PROXY_REMOTE_ID_BASE);
	zone_id = (unsigned)id;
	CU_ASSERT_EQUAL(proxy_add_remote(M.px, &rc, &ops, &zone, now), -EEXIST);
	rc.name = "brooklyn";
	CU_ASSERT_EQUAL(proxy_add_remote(M.px, &rc, &ops, &zone, now), -EEXIST);
	rc.name = "zone";

	/* down: nothing goes to it; the peer link is served as before */
	lan_response(&M, printer);
	CU_ASSERT_EQUAL(zone.nout, 0);
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), PRINTER_EXPORTED);

	/* up: the whole allowed set, mapped, link-local dropped, from this site */
	proxy_peer_up(M.px, zone_id, now);
	settle();
	CU_ASSERT_EQUAL(sent_records(&zone, 0, NULL, 0, false), PRINTER_EXPORTED);
	CU_ASSERT_EQUAL(
	    sent_records(&zone, 0, "printer.local.", LDNS_RR_TYPE_AAAA, false), 0);
	CU_ASSERT_FATAL(zone.nout > 0);
	CU_ASSERT_STRING_EQUAL(zone.out[0].origin, "manhattan");
	const ldns_rr *a = NULL;
	for (size_t j = 0; j < zone.out[0].n; j++)
		if (ldns_rr_get_type(zone.out[0].rrs[j]) == LDNS_RR_TYPE_A)
			a = zone.out[0].rrs[j];
	CU_ASSERT_FATAL(a != NULL);
	char *txt = ldns_rdf2str(ldns_rr_rdf(a, 0));
	CU_ASSERT_STRING_EQUAL(txt, "10.101.1.12");
	free(txt);
	struct proxy_peer_stats ps;
	CU_ASSERT_EQUAL(proxy_get_peer_stats(M.px, zone_id, &ps), 0);
	CU_ASSERT_STRING_EQUAL(ps.name, "zone");
	CU_ASSERT(ps.up);
	CU_ASSERT_EQUAL(ps.records_out, PRINTER_EXPORTED);

	/* services: a decision for the domain beside the peer's */
	struct proxy_view *v = NULL;
	CU_ASSERT_FATAL(proxy_view_services(M.px, now, &v) == 0);
	CU_ASSERT_FATAL(v->n == 1 && v->v[0].ndec == 2);
	CU_ASSERT(v->v[0].dec[0].peer);
	CU_ASSERT_STRING_EQUAL(v->v[0].dec[1].remote, "zone");
	CU_ASSERT(!v->v[0].dec[1].peer && v->v[0].dec[1].up);
	CU_ASSERT_EQUAL(v->v[0].dec[1].remote_id, zone_id);
	CU_ASSERT_EQUAL(v->v[0].dec[1].ex.action, POLICY_ALLOW);
	proxy_view_free(v);

	/* repeated announcements are not sent again; goodbyes are */
	size_t z0 = zone.nout;
	advance(2000);
	lan_response(&M, printer);
	CU_ASSERT_EQUAL(sent_records(&zone, z0, NULL, 0, false), 0);
	lan_response(&M, printer_bye);
	CU_ASSERT_EQUAL(sent_records(&zone, z0, NULL, 0, true), PRINTER_EXPORTED);

	/* no questions go to it */
	lan_from(&M, IF_M, "192.168.1.61", 5353, true, false, 0, browse_qm);
	advance(2000);
	CU_ASSERT_EQUAL(zone_questions, 0);

	/* a new configuration keeps it; new settings through proxy_update_remote */
	struct policy_config *old = M.cfg;
	M.cfg = load_cfg("manhattan", cfg_manhattan_noipp);
	CU_ASSERT_EQUAL(proxy_reconfigure(M.px, M.cfg, now), 0);
	pb = policy_config_peer(M.cfg, 0);
	rc.export_rules = policy_peer_export(pb);
	rc.addrmap = policy_peer_addrmap(pb);
	CU_ASSERT_EQUAL(proxy_update_remote(M.px, zone_id, &rc, now), 0);
	policy_config_free(old);
	CU_ASSERT_EQUAL(proxy_get_peer_stats(M.px, zone_id, &ps), 0);
	CU_ASSERT(ps.up);
	CU_ASSERT_EQUAL(proxy_update_remote(M.px, 0, &rc, now), -ENOENT);

	CU_ASSERT_EQUAL(proxy_remove_remote(M.px, zone_id, now), 0);
	CU_ASSERT_EQUAL(proxy_get_peer_stats(M.px, zone_id, &ps), -ENOENT);
	CU_ASSERT_EQUAL(proxy_remove_remote(M.px, zone_id, now), -ENOENT);
	CU_ASSERT_EQUAL(proxy_remove_remote(M.px, 0, now), -ENOENT);
	free_zone();
}

static CU_TestInfo engine_tests[] = {
    {"announcement crosses, renamed and mapped", test_announcement_crosses},
    {"denied service not exported", test_denied_not_exported},
    {"link-local-only host held back", test_linklocal_host_held},
    {"a usable address found among many link-local ones", test_linklocal_many_addresses},
    {"goodbye propagates", test_goodbye_propagates},
    {"question forwarded when missing", test_question_forwarded},
    {"forwarded questions rate-limited", test_question_rate_limited},
    {"loop guard", test_loop_guard},
    {"sender rules hold on resync", test_sender_rule_resync},
    {"added remote: export like a DNS domain", test_added_export_remote},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"engine: export", NULL, NULL, setup, teardown, engine_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
