/*
 * test_pubname.c: the names of imported services on the LAN. After the external
 * publisher (Avahi) renamed one on a collision (proxy_service_renamed), the new
 * name is the service's name on the LAN for announcements, answers, forwarded
 * questions and goodbyes; a legacy asker of a record the cache lacks gets the
 * owning site's answer by unicast. One engine (brooklyn) with its peer
 * (manhattan) fed by hand; its LAN a capture list. Time is simulated.
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

#define IF_B 3
#define T0 1000000ULL
#define KEY_FILE "/tmp/sitecast-test-pubname.key"
#define FP "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#define KEY "printer a (manhattan)._ipp._tcp.local."
#define OLD "Printer\\032A\\032(manhattan)._ipp._tcp.local."
#define NEW "Printer\\032A\\032(manhattan)\\032#2._ipp._tcp.local."

static const char *const cfg_text = "site: brooklyn\n"
                                    "interfaces: [eth0]\n"
                                    "key: " KEY_FILE "\n"
                                    "peers:\n"
                                    "  - name: manhattan\n"
                                    "    fingerprint: \"" FP "\"\n"
                                    "    import: [ { allow: { service: _ipp._tcp } } ]\n"
                                    "limits:\n"
                                    "  queries-per-second: 50\n";

static struct policy_config *cfg;
static struct proxy *px;
static uint64_t now;

static struct sent {
	uint8_t *buf;
	size_t len;
	bool unicast;
} lan[256];
static size_t nlan;
static char fwd[32][128]; /* questions sent to the peer: "NAME TYPE" */
static size_t nfwd;
static struct pubcall {
	bool remove;
	char key[128], name[64];
} pubs[16];
static size_t npubs;

static int io_lan_send(void *arg, unsigned ifindex, int af, const struct sockaddr *dst,
                       const uint8_t *buf, size_t len)
{
	(void)arg, (void)ifindex;
	if (af != AF_INET || nlan == sizeof(lan) / sizeof(lan[0]))
		return 0;
	lan[nlan].buf = malloc(len);
	CU_ASSERT_FATAL(lan[nlan].buf != NULL);
	memcpy(lan[nlan].buf, buf, len);
	lan[nlan].unicast = dst != NULL;
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
	(void)arg, (void)peer_id, (void)origin, (void)hops, (void)rrs, (void)cnt;
	return 0;
}

static int io_peer_questions(void *arg, unsigned peer_id, const ldns_rr *const *qs,
                             size_t cnt)
{
	(void)arg, (void)peer_id;
	for (size_t i = 0; i < cnt && nfwd < sizeof(fwd) / sizeof(fwd[0]); i++) {
		char *n = ldns_rdf2str(ldns_rr_owner(qs[i]));
		snprintf(fwd[nfwd++], sizeof(fwd[0]), "%s %u", n ? n : "?",
		         (unsigned)ldns_rr_get_type(qs[i]));
		free(n);
	}
	return 0;
}

static int io_service_set(void *arg, const char *key, const struct dnssd_service *svc)
{
	(void)arg;
	CU_ASSERT_FATAL(npubs < 16);
	pubs[npubs].remove = false;
	snprintf(pubs[npubs].key, sizeof(pubs[0].key), "%s", key);
	snprintf(pubs[npubs++].name, sizeof(pubs[0].name), "%s", svc->name);
	return 0;
}

static int io_service_remove(void *arg, const char *key)
{
	(void)arg;
	CU_ASSERT_FATAL(npubs < 16);
	pubs[npubs].remove = true;
	snprintf(pubs[npubs].key, sizeof(pubs[0].key), "%s", key);
	pubs[npubs++].name[0] = '\0';
	return 0;
}

static void clear_lan(void)
{
	for (size_t i = 0; i < nlan; i++)
		free(lan[i].buf);
	nlan = 0;
}

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

/* Records from Manhattan, as its gateway sends them (names of its LAN). */
static void from_peer(uint32_t ttl)
{
	static const char *const text[] = {
	    "_ipp._tcp.local. IN PTR Printer\\032A._ipp._tcp.local.",
	    "Printer\\032A._ipp._tcp.local. IN SRV 0 0 631 printer.local.",
	    "Printer\\032A._ipp._tcp.local. IN TXT \"txtvers=1\"",
	    "printer.local. IN A 10.101.1.12",
	};
	ldns_rr *rrs[4];
	for (size_t i = 0; i < 4; i++) {
		CU_ASSERT_FATAL(ldns_rr_new_frm_str(&rrs[i], text[i], 0, NULL, NULL) ==
		                LDNS_STATUS_OK);
		/* goodbyes for the service; the host's address stays */
		ldns_rr_set_ttl(rrs[i], i == 3 && !ttl ? 120 : ttl);
	}
	proxy_peer_records(px, 0, "manhattan", 0, rrs, ttl ? 4 : 3, now);
	for (size_t i = 0; i < 4; i++)
		ldns_rr_free(rrs[i]);
	proxy_run(px, now);
}

/* A question from a LAN host; legacy: from an ephemeral port (answered by unicast). */
static void ask(const char *name, ldns_rr_type type, bool legacy)
{
	ldns_pkt *pkt = ldns_pkt_new();
	ldns_rr *q = ldns_rr_new();
	ldns_rdf *o = ldns_dname_new_frm_str(name);
	uint8_t *wire = NULL;
	size_t len = 0;
	CU_ASSERT_FATAL(pkt && q && o);
	ldns_rr_set_owner(q, o);
	ldns_rr_set_type(q, type);
	ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(q, true);
	ldns_pkt_set_id(pkt, legacy ? 77 : 0);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, q);
	CU_ASSERT_FATAL(ldns_pkt2wire(&wire, pkt, &len) == LDNS_STATUS_OK);
	struct sockaddr_in sin = {.sin_family = AF_INET,
	                          .sin_port = htons(legacy ? 40000 : 5353)};
	inet_pton(AF_INET, "192.168.2.50", &sin.sin_addr);
	proxy_lan_input(px, IF_B, (struct sockaddr *)&sin, true, wire, len, now);
	proxy_run(px, now);
	free(wire);
	ldns_pkt_free(pkt);
}

/*
 * Records the engine sent on the LAN since clear_lan() with this owner (type 0:
 * any), or PTRs pointing at it (ptr_to); goodbyes only when bye.
 */
static size_t on_lan(const char *owner, uint16_t type, bool ptr_to, bool bye)
{
	size_t n = 0;
	ldns_rdf *name = ldns_dname_new_frm_str(owner);
	CU_ASSERT_FATAL(name != NULL);
	for (size_t i = 0; i < nlan; i++) {
		struct dnssd_msg *m = NULL;
		enum dnssd_reason why;
		if (dnssd_msg_decode(lan[i].buf, lan[i].len, &m, &why) < 0)
			continue;
		for (size_t k = 0; dnssd_msg_kind(m) == DNSSD_RESPONSE &&
		                   k < dnssd_msg_count(m, DNSSD_SEC_ANSWER);
		     k++) {
			const ldns_rr *rr = dnssd_msg_rr(m, DNSSD_SEC_ANSWER, k);
			if (bye != (ldns_rr_ttl(rr) == 0))
				continue;
			if (ptr_to) {
				n += ldns_rr_get_type(rr) == LDNS_RR_TYPE_PTR &&
				     ldns_dname_compare(ldns_rr_rdf(rr, 0), name) == 0;
			} else {
				n += (!type || ldns_rr_get_type(rr) == type) &&
				     ldns_dname_compare(ldns_rr_owner(rr), name) == 0;
			}
		}
		dnssd_msg_free(m);
	}
	ldns_rdf_deep_free(name);
	return n;
}

static void start(bool publisher)
{
	struct policy_errors *errs = NULL;
	struct proxy_io io = {
	    .lan_send = io_lan_send,
	    .lan_mtu = io_lan_mtu,
	    .peer_send_records = io_peer_records,
	    .peer_send_questions = io_peer_questions,
	    .service_set = publisher ? io_service_set : NULL,
	    .service_remove = publisher ? io_service_remove : NULL,
	};
	now = T0;
	npubs = nfwd = 0;
	clear_lan();
	CU_ASSERT_FATAL(policy_config_load_buffer("pubname", cfg_text, strlen(cfg_text),
	                                          &cfg, &errs) == 0);
	policy_errors_free(errs);
	CU_ASSERT_FATAL((px = proxy_new(cfg, &io)) != NULL);
	CU_ASSERT_FATAL(proxy_add_interface(px, IF_B, "eth0", now) == 0);
	proxy_peer_up(px, 0, now);
}

static void stop(void)
{
	proxy_free(px);
	policy_config_free(cfg);
	px = NULL;
	cfg = NULL;
	clear_lan();
}

/* SRV records the engine sent on the LAN since clear_lan() that target host. */
static size_t srv_targets(const char *host)
{
	size_t n = 0;
	ldns_rdf *name = ldns_dname_new_frm_str(host);
	for (size_t i = 0; i < nlan; i++) {
		struct dnssd_msg *m = NULL;
		enum dnssd_reason why;
		if (dnssd_msg_decode(lan[i].buf, lan[i].len, &m, &why) < 0)
			continue;
		for (int sec = DNSSD_SEC_ANSWER; sec <= DNSSD_SEC_ADDITIONAL; sec++)
			for (size_t k = 0; k < dnssd_msg_count(m, (enum dnssd_section)sec); k++) {
				const ldns_rr *rr = dnssd_msg_rr(m, (enum dnssd_section)sec, k);
				n += ldns_rr_get_type(rr) == LDNS_RR_TYPE_SRV &&
				     ldns_dname_compare(ldns_rr_rdf(rr, 3), name) == 0;
			}
		dnssd_msg_free(m);
	}
	ldns_rdf_deep_free(name);
	return n;
}

static void test_renamed_service(void)
{
	start(true);
	proxy_set_external(px, true, now);
	from_peer(4500);
	advance(10);
	CU_ASSERT_EQUAL_FATAL(npubs, 1);
	CU_ASSERT_STRING_EQUAL(pubs[0].key, KEY);
	CU_ASSERT_STRING_EQUAL(pubs[0].name, "Printer A (manhattan)");

	/* a key the engine never set, a name that cannot be an instance label */
	CU_ASSERT_EQUAL(proxy_service_renamed(px, "other._ipp._tcp.local.", "X", now),
	                -ENOENT);
	char big[80];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT_EQUAL(proxy_service_renamed(px, KEY, big, now), -EINVAL);

	/* Avahi found a local "Printer A (manhattan)" and took the next name */
	CU_ASSERT_EQUAL(proxy_service_renamed(px, KEY, "Printer A (manhattan) #2", now), 0);
	char buf[64];
	ldns_rdf *old = ldns_dname_new_frm_str(OLD);
	CU_ASSERT_PTR_NOT_NULL(proxy_service_lan_name(px, old, buf, sizeof(buf)));
	CU_ASSERT_STRING_EQUAL(buf, "Printer A (manhattan) #2");

	/* and its host too: a LAN host is called printer-manhattan */
	CU_ASSERT_EQUAL(proxy_host_renamed(px, "printer-manhattan.local", "Printer A", now),
	                -EINVAL);
	CU_ASSERT_EQUAL(proxy_host_renamed(px, "printer-manhattan.local",
	                                   "printer-manhattan-2.local", now),
	                0);

	/* avahi-daemon stops: the engine announces the service itself, by the new name,
	 * and never by the one the local service holds */
	clear_lan();
	proxy_set_external(px, false, now);
	advance(3000);
	CU_ASSERT(on_lan("printer-manhattan-2.local.", LDNS_RR_TYPE_A, false, false) >= 1);
	CU_ASSERT_EQUAL(on_lan("printer-manhattan.local.", 0, false, false), 0);
	CU_ASSERT_EQUAL(srv_targets("printer-manhattan.local."), 0);
	CU_ASSERT(srv_targets("printer-manhattan-2.local.") >= 1);
	CU_ASSERT(on_lan(NEW, LDNS_RR_TYPE_SRV, false, false) >= 1);
	CU_ASSERT(on_lan(NEW, LDNS_RR_TYPE_TXT, false, false) >= 1);
	CU_ASSERT(on_lan(NEW, 0, true, false) >= 1);
	CU_ASSERT_EQUAL(on_lan(OLD, 0, false, false), 0);
	CU_ASSERT_EQUAL(on_lan(OLD, 0, true, false), 0);

	/* a question for the new name is answered under it */
	clear_lan();
	ask(NEW, LDNS_RR_TYPE_SRV, true);
	CU_ASSERT_EQUAL(on_lan(NEW, LDNS_RR_TYPE_SRV, false, false), 1);
	CU_ASSERT_EQUAL(on_lan(OLD, 0, false, false), 0);
	/* a record the cache lacks is asked of Manhattan by the name it has there */
	nfwd = 0;
	ask(NEW, LDNS_RR_TYPE_NULL, false);
	CU_ASSERT_EQUAL_FATAL(nfwd, 1);
	CU_ASSERT_STRING_EQUAL(fwd[0], "Printer\\032A._ipp._tcp.local. 10");

	/* the goodbye from Manhattan: goodbyes on the LAN by the new name, the
	 * publisher told to remove it under its key, and the rename forgotten */
	clear_lan();
	from_peer(0);
	advance(1500);
	CU_ASSERT(on_lan(NEW, LDNS_RR_TYPE_SRV, false, true) >= 1);
	CU_ASSERT(on_lan(NEW, 0, true, true) >= 1);
	CU_ASSERT_EQUAL(on_lan(OLD, 0, false, true), 0);
	CU_ASSERT_EQUAL_FATAL(npubs, 2);
	CU_ASSERT(pubs[1].remove);
	CU_ASSERT_STRING_EQUAL(pubs[1].key, KEY);
	CU_ASSERT_PTR_NULL(proxy_service_lan_name(px, old, buf, sizeof(buf)));

	/* back again: its own name */
	clear_lan();
	from_peer(4500);
	advance(3000);
	CU_ASSERT(on_lan(OLD, LDNS_RR_TYPE_SRV, false, false) >= 1);
	CU_ASSERT_EQUAL(on_lan(NEW, 0, false, false), 0);

	ldns_rdf_deep_free(old);
	stop();
}

static void test_legacy_asker_answered(void)
{
	start(false);
	from_peer(4500);
	advance(3000);
	/* the buddy icon is not in the cache: asked of Manhattan */
	clear_lan();
	ask(OLD, LDNS_RR_TYPE_NULL, true);
	CU_ASSERT_EQUAL_FATAL(nfwd, 1);
	CU_ASSERT_STRING_EQUAL(fwd[0], "Printer\\032A._ipp._tcp.local. 10");
	CU_ASSERT_EQUAL(nlan, 0);

	/* its answer comes: the asker gets it at its port, with its ID */
	advance(200);
	ldns_rr *icon = NULL;
	CU_ASSERT_FATAL(ldns_rr_new_frm_str(&icon,
	                                    "Printer\\032A._ipp._tcp.local. 120 IN NULL "
	                                    "\\# 4 01020304",
	                                    0, NULL, NULL) == LDNS_STATUS_OK);
	proxy_peer_records(px, 0, "manhattan", 0, &icon, 1, now);
	proxy_run(px, now);
	size_t unicast = 0;
	for (size_t i = 0; i < nlan; i++) {
		struct dnssd_msg *m = NULL;
		enum dnssd_reason why;
		if (!lan[i].unicast || dnssd_msg_decode(lan[i].buf, lan[i].len, &m, &why) < 0)
			continue;
		CU_ASSERT_EQUAL(dnssd_msg_id(m), 77);
		CU_ASSERT_EQUAL(dnssd_msg_count(m, DNSSD_SEC_QUESTION), 1);
		CU_ASSERT_EQUAL_FATAL(dnssd_msg_count(m, DNSSD_SEC_ANSWER), 1);
		const ldns_rr *a = dnssd_msg_rr(m, DNSSD_SEC_ANSWER, 0);
		CU_ASSERT_EQUAL(ldns_rr_get_type(a), LDNS_RR_TYPE_NULL);
		CU_ASSERT(ldns_rr_ttl(a) <= 10);
		ldns_rdf *want = ldns_dname_new_frm_str(OLD);
		CU_ASSERT(ldns_dname_compare(ldns_rr_owner(a), want) == 0);
		ldns_rdf_deep_free(want);
		unicast++;
		dnssd_msg_free(m);
	}
	CU_ASSERT_EQUAL(unicast, 1);
	/* once: a later refresh is not sent to it again */
	clear_lan();
	advance(1000);
	proxy_peer_records(px, 0, "manhattan", 0, &icon, 1, now);
	proxy_run(px, now);
	for (size_t i = 0; i < nlan; i++)
		CU_ASSERT_FALSE(lan[i].unicast);
	ldns_rr_free(icon);
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

static CU_TestInfo pubname_tests[] = {
    {"a service the publisher renamed keeps the new name", test_renamed_service},
    {"a legacy asker of an uncached record gets the peer's answer",
     test_legacy_asker_answered},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"pubname", suite_init, suite_clean, NULL, NULL, pubname_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
