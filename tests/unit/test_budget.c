/*
 * test_budget.c: the LAN input budgets of the proxy engine (limits.lan-records-
 * per-source and -total), a source's share of the local cache, and the recovery
 * of what was shed: one engine, its LAN a capture list, its one peer up and
 * counting the records it is sent. Time is simulated.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "dnssd/msg.h"
#include "engine/proxy.h"
#include "policy/config.h"
#include "tests/unit/unit.h"

#define IF_M 2
#define T0 1000000ULL
#define KEY_FILE "/tmp/sitecast-test-budget.key"
#define FP "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

static struct policy_config *cfg;
static struct proxy *px;
static uint64_t now;

/* What the engine multicast on its LAN (questions we look at) */
static struct sent {
	uint8_t *buf;
	size_t len;
} lan[4096];
static size_t nlan;
/* instance names sent to the peer (PTR targets) */
static char peer_inst[4096][96];
static size_t npeer_inst;

static int io_lan_send(void *arg, unsigned ifindex, int af, const struct sockaddr *dst,
                       const uint8_t *buf, size_t len)
{
	(void)arg, (void)ifindex, (void)dst;
	if (af != AF_INET || nlan == sizeof(lan) / sizeof(lan[0]))
		return 0;
	lan[nlan].buf = malloc(len);
	CU_ASSERT_FATAL(lan[nlan].buf != NULL);
	memcpy(lan[nlan].buf, buf, len);
	lan[nlan++].len = len;
	return 0;
}

static size_t io_lan_mtu(void *arg, unsigned ifindex, int af)
{
	(void)arg, (void)ifindex;
	return af == AF_INET ? 1472 : 1452;
}

static int io_peer_records(void *arg, unsigned peer_id, const char *origin, unsigned hops,
                           const ldns_rr *const *rrs, size_t cnt)
{
	(void)arg, (void)peer_id, (void)origin, (void)hops;
	for (size_t i = 0; i < cnt; i++) {
		if (ldns_rr_get_type(rrs[i]) != LDNS_RR_TYPE_PTR || !ldns_rr_ttl(rrs[i]))
			continue;
		char *s = ldns_rdf2str(ldns_rr_rdf(rrs[i], 0));
		bool dup = false;
		for (size_t j = 0; s && j < npeer_inst && !dup; j++)
			dup = strcmp(peer_inst[j], s) == 0;
		if (s && !dup && strstr(s, "._ipp._tcp.") &&
		    npeer_inst < sizeof(peer_inst) / sizeof(peer_inst[0]))
			snprintf(peer_inst[npeer_inst++], sizeof(peer_inst[0]), "%s", s);
		free(s);
	}
	return 0;
}

static int io_peer_questions(void *arg, unsigned peer_id, const ldns_rr *const *qs,
                             size_t cnt)
{
	(void)arg, (void)peer_id, (void)qs, (void)cnt;
	return 0;
}

static void clear_lan(void)
{
	for (size_t i = 0; i < nlan; i++)
		free(lan[i].buf);
	nlan = 0;
}

static struct policy_config *load(const char *limits)
{
	char text[2048];
	struct policy_config *c = NULL;
	struct policy_errors *errs = NULL;
	snprintf(text, sizeof(text),
	         "site: manhattan\n"
	         "interfaces: [eth0]\n"
	         "key: " KEY_FILE "\n"
	         "peers:\n"
	         "  - name: brooklyn\n"
	         "    fingerprint: \"" FP "\"\n"
	         "    export: [ { allow: { service: _ipp._tcp } } ]\n"
	         "limits:\n%s",
	         limits);
	int r = policy_config_load_buffer("budget", text, strlen(text), &c, &errs);
	for (size_t i = 0; errs && i < policy_errors_count(errs); i++)
		fprintf(stderr, "%s\n", policy_errors_get(errs, i));
	policy_errors_free(errs);
	CU_ASSERT_FATAL(r == 0 && c != NULL);
	return c;
}

static void start(const char *limits)
{
	struct proxy_io io = {
	    .lan_send = io_lan_send,
	    .lan_mtu = io_lan_mtu,
	    .peer_send_records = io_peer_records,
	    .peer_send_questions = io_peer_questions,
	};
	now = T0;
	cfg = load(limits);
	px = proxy_new(cfg, &io);
	CU_ASSERT_FATAL(px != NULL);
	CU_ASSERT_FATAL(proxy_add_interface(px, IF_M, "eth0", now) == 0);
	proxy_peer_up(px, 0, now);
	proxy_run(px, now);
	clear_lan();
	npeer_inst = 0;
}

static void stop(void)
{
	proxy_free(px);
	policy_config_free(cfg);
	px = NULL;
	cfg = NULL;
	clear_lan();
}

/* Run the engine's timers up to now + ms. */
static void advance(uint64_t ms)
{
	uint64_t end = now + ms;
	for (;;) {
		uint64_t next = proxy_run(px, now);
		if (next > end)
			break;
		now = next > now ? next : now + 1;
	}
	now = end;
	proxy_run(px, now);
}

static void input(const char *ip, ldns_pkt *pkt)
{
	uint8_t *wire = NULL;
	size_t len = 0;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(5353)};
	inet_pton(AF_INET, ip, &sin.sin_addr);
	CU_ASSERT_FATAL(ldns_pkt2wire(&wire, pkt, &len) == LDNS_STATUS_OK);
	proxy_lan_input(px, IF_M, (struct sockaddr *)&sin, true, wire, len, now);
	proxy_run(px, now);
	free(wire);
	ldns_pkt_free(pkt);
}

/* A record in text form ('!' first: the cache-flush bit) as an answer of pkt. */
static void push(ldns_pkt *pkt, const char *text)
{
	ldns_rr *rr = NULL;
	bool flush = text[0] == '!';
	CU_ASSERT_FATAL(ldns_rr_new_frm_str(&rr, text + flush, 0, NULL, NULL) ==
	                LDNS_STATUS_OK);
	if (flush)
		ldns_rr_set_class(rr, (ldns_rr_class)(LDNS_RR_CLASS_IN | 0x8000));
	ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr);
}

/* Service i announced by host ip: PTR, SRV, TXT and A in one datagram (5 tokens). */
static void service(const char *ip, unsigned i)
{
	ldns_pkt *pkt = ldns_pkt_new();
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_set_aa(pkt, true);
	char t[160];
	snprintf(t, sizeof(t), "_ipp._tcp.local. 4500 IN PTR Queue\\032%u._ipp._tcp.local.", i);
	push(pkt, t);
	snprintf(t, sizeof(t), "!Queue\\032%u._ipp._tcp.local. 120 IN SRV 0 0 631 spool.local.",
	         i);
	push(pkt, t);
	snprintf(t, sizeof(t), "!Queue\\032%u._ipp._tcp.local. 4500 IN TXT \"q=%u\"", i, i);
	push(pkt, t);
	push(pkt, "!spool.local. 120 IN A 192.168.1.77");
	input(ip, pkt);
}

/* n A records of hosts nobody names, numbered from first, in one datagram. */
static void strays(const char *ip, unsigned first, unsigned n)
{
	ldns_pkt *pkt = ldns_pkt_new();
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_set_aa(pkt, true);
	for (unsigned i = first; i < first + n; i++) {
		char t[96];
		snprintf(t, sizeof(t), "!stray-%u.local. 4500 IN A 10.%u.%u.%u", i,
		         i >> 16 & 255, i >> 8 & 255, i & 255);
		push(pkt, t);
	}
	input(ip, pkt);
}

static uint64_t shed(void)
{
	struct proxy_stats st;
	proxy_get_stats(px, &st);
	return st.drops[PROXY_DROP_SOURCE];
}

static struct proxy_stats stats(void)
{
	struct proxy_stats st;
	proxy_get_stats(px, &st);
	return st;
}

/*
 * The questions the engine multicast since the last clear_lan(), with the PTR
 * known answers of _ipp._tcp they listed (TC continuations included).
 */
static void questions(size_t *nq, size_t *known, bool *asked_type, bool *asked_enum)
{
	*nq = *known = 0;
	*asked_type = *asked_enum = false;
	ldns_rdf *type = ldns_dname_new_frm_str("_ipp._tcp.local.");
	ldns_rdf *enm = ldns_dname_new_frm_str("_services._dns-sd._udp.local.");
	for (size_t i = 0; i < nlan; i++) {
		struct dnssd_msg *m = NULL;
		enum dnssd_reason why;
		if (dnssd_msg_decode(lan[i].buf, lan[i].len, &m, &why) < 0)
			continue;
		if (dnssd_msg_kind(m) == DNSSD_QUERY) {
			for (size_t k = 0; k < dnssd_msg_count(m, DNSSD_SEC_QUESTION); k++) {
				const ldns_rr *q = dnssd_msg_rr(m, DNSSD_SEC_QUESTION, k);
				(*nq)++;
				if (ldns_rr_get_type(q) != LDNS_RR_TYPE_PTR)
					continue;
				*asked_type |= ldns_dname_compare(ldns_rr_owner(q), type) == 0;
				*asked_enum |= ldns_dname_compare(ldns_rr_owner(q), enm) == 0;
			}
			for (size_t k = 0; k < dnssd_msg_count(m, DNSSD_SEC_ANSWER); k++) {
				const ldns_rr *a = dnssd_msg_rr(m, DNSSD_SEC_ANSWER, k);
				if (ldns_rr_get_type(a) == LDNS_RR_TYPE_PTR &&
				    ldns_dname_compare(ldns_rr_owner(a), type) == 0)
					(*known)++;
			}
		}
		dnssd_msg_free(m);
	}
	ldns_rdf_deep_free(type);
	ldns_rdf_deep_free(enm);
}

/* ------------------------------------------------------------ tests */

static void test_per_source_from_config(void)
{
	start("  lan-records-per-source: 100\n");
	/* 5 tokens a datagram: 20 fit the second's budget, the rest is shed */
	for (unsigned i = 0; i < 30; i++)
		service("192.168.1.50", i);
	CU_ASSERT_EQUAL(shed(), 10);
	/* another host has its own budget */
	service("192.168.1.51", 100);
	CU_ASSERT_EQUAL(shed(), 10);
	/* a second later the budget is back, a second's worth and no more */
	advance(1000);
	for (unsigned i = 200; i < 230; i++)
		service("192.168.1.50", i);
	CU_ASSERT_EQUAL(shed(), 20);

	/* a reload changes the budget */
	struct policy_config *bigger = load("  lan-records-per-source: 1000\n");
	CU_ASSERT_FATAL(proxy_reconfigure(px, bigger, now) == 0);
	policy_config_free(cfg);
	cfg = bigger;
	advance(1000);
	for (unsigned i = 300; i < 400; i++)
		service("192.168.1.50", i);
	CU_ASSERT_EQUAL(shed(), 20);
	stop();
}

static void test_total_from_config(void)
{
	start("  lan-records-per-source: 1000\n  lan-records-total: 50\n");
	/* ten hosts, each well within its own budget: the LAN's is 10 datagrams */
	char ip[32];
	for (unsigned i = 0; i < 20; i++) {
		snprintf(ip, sizeof(ip), "192.168.1.%u", 100 + i);
		service(ip, i);
	}
	CU_ASSERT_EQUAL(shed(), 10);
	stop();
}

static void test_defaults(void)
{
	start("  peer-grace: 60\n");
	CU_ASSERT_EQUAL(policy_config_lan_records_per_source(cfg), 4000);
	CU_ASSERT_EQUAL(policy_config_lan_records_total(cfg), 40000);
	/* 4,000 records at once from one host: 800 services of 5 tokens */
	for (unsigned i = 0; i < 800; i++)
		service("192.168.1.50", i);
	CU_ASSERT_EQUAL(shed(), 0);
	service("192.168.1.50", 800);
	CU_ASSERT_EQUAL(shed(), 1);
	stop();
}

static void test_shed_recovered(void)
{
	start("  lan-records-per-source: 100\n");
	for (unsigned i = 0; i < 30; i++)
		service("192.168.1.50", i);
	CU_ASSERT_EQUAL(shed(), 10);
	CU_ASSERT_EQUAL(npeer_inst, 20);

	/* nothing is asked while the host is still over its budget */
	size_t nq, known;
	bool asked_type, asked_enum;
	clear_lan();
	advance(500);
	questions(&nq, &known, &asked_type, &asked_enum);
	CU_ASSERT_FALSE(asked_type);

	/* a second after the last datagram shed: the type and the enumeration, with
	 * the 20 instances held as known answers */
	advance(600);
	questions(&nq, &known, &asked_type, &asked_enum);
	CU_ASSERT_TRUE(asked_type);
	CU_ASSERT_TRUE(asked_enum);
	CU_ASSERT_EQUAL(known, 20);
	CU_ASSERT_EQUAL(stats().shed_questions, 2);

	/* the responder answers with the 10 it was not told of: they cross */
	for (unsigned i = 20; i < 30; i++)
		service("192.168.1.50", i);
	CU_ASSERT_EQUAL(shed(), 10);
	CU_ASSERT_EQUAL(npeer_inst, 30);
	/* PTR, SRV and TXT of each are new (the host's A record was not) */
	CU_ASSERT_EQUAL(stats().shed_recovered, 30);

	/* nothing more was shed: no more rounds */
	clear_lan();
	advance(5000);
	questions(&nq, &known, &asked_type, &asked_enum);
	CU_ASSERT_FALSE(asked_type);
	CU_ASSERT_EQUAL(stats().shed_questions, 2);
	stop();
}

static void test_shed_again_asked_again(void)
{
	start("  lan-records-per-source: 100\n");
	for (unsigned i = 0; i < 60; i++)
		service("192.168.1.50", i);
	CU_ASSERT_EQUAL(shed(), 40);
	advance(1100);
	CU_ASSERT_EQUAL(stats().shed_questions, 2);
	/* the answers overflow the budget again: 20 get in, 20 are shed */
	for (unsigned i = 20; i < 60; i++)
		service("192.168.1.50", i);
	CU_ASSERT_EQUAL(shed(), 60);
	clear_lan();
	advance(1100);
	size_t nq, known;
	bool asked_type, asked_enum;
	questions(&nq, &known, &asked_type, &asked_enum);
	CU_ASSERT_TRUE(asked_type);
	CU_ASSERT_EQUAL(known, 40);
	for (unsigned i = 40; i < 60; i++)
		service("192.168.1.50", i);
	CU_ASSERT_EQUAL(npeer_inst, 60);
	stop();
}

static void test_queries_shed_not_asked(void)
{
	start("  lan-records-per-source: 10\n");
	service("192.168.1.50", 1);
	/* a host asking too much: its questions are shed, and nothing is asked for them */
	for (unsigned i = 0; i < 50; i++) {
		ldns_pkt *pkt = ldns_pkt_new();
		ldns_rr *q = NULL;
		ldns_rr_new_question_frm_str(&q, "_ipp._tcp.local. IN PTR", NULL, NULL);
		ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, q);
		input("192.168.1.60", pkt);
	}
	CU_ASSERT(shed() > 40);
	advance(3000);
	CU_ASSERT_EQUAL(stats().shed_questions, 0);
	stop();
}

static void test_cache_share(void)
{
	start("  lan-records-per-source: 1000000\n  lan-records-total: 10000000\n");
	/* one host fills its quarter of the local cache (65,536 records) */
	for (unsigned k = 0; k < 16384 / 64 + 4; k++)
		strays("192.168.1.66", k * 64, 64);
	struct proxy_stats st = stats();
	CU_ASSERT_EQUAL(st.local_records, 16384);
	CU_ASSERT_EQUAL(st.drops[PROXY_DROP_LIMIT], 4 * 64);
	/* what it holds is refreshed, not refused */
	strays("192.168.1.66", 0, 64);
	CU_ASSERT_EQUAL(stats().drops[PROXY_DROP_LIMIT], 4 * 64);
	/* another host's service gets in and crosses */
	service("192.168.1.50", 7);
	CU_ASSERT_EQUAL(npeer_inst, 1);
	CU_ASSERT_EQUAL(stats().local_records, 16384 + 4);
	stop();
}

static int suite_init(void)
{
	FILE *f = fopen(KEY_FILE, "w");
	if (!f)
		return -1;
	fputs("not a real key: the engine never reads it\n", f);
	fclose(f);
	return 0;
}

static int suite_clean(void)
{
	unlink(KEY_FILE);
	return 0;
}

static CU_TestInfo budget_tests[] = {
    {"per-source budget from limits, reloaded", test_per_source_from_config},
    {"total budget from limits", test_total_from_config},
    {"default budgets", test_defaults},
    {"shed services asked for again and recovered", test_shed_recovered},
    {"answers shed again: another round", test_shed_again_asked_again},
    {"shed questions are not asked for", test_queries_shed_not_asked},
    {"a source's share of the local cache", test_cache_share},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"budget", suite_init, suite_clean, NULL, NULL, budget_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
