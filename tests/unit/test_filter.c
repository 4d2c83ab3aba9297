/*
 * test_filter.c: the per-service filter (policy/filter.h) over realistic mDNS
 * announcements, with rule sets built as the configuration builds them.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "dnssd/addrmap.h"
#include "dnssd/svcname.h"
#include "policy/filter.h"
#include "policy/rules.h"
#include "tests/unit/unit.h"

/* ------------------------------------------------------------------ helpers */

static struct dnssd_cidr cidr(const char *text)
{
	struct dnssd_cidr c;
	memset(&c, 0, sizeof(c));
	CU_ASSERT_FATAL(dnssd_cidr_parse(text, &c, NULL) == 0);
	return c;
}

/* A rule from its keys; NULL keys are absent. */
static void add(struct policy_ruleset *rs, enum policy_action a, const char *service,
                const char *instance, const char *host, const char *address)
{
	struct dnssd_cidr c;
	struct policy_match m = {service, instance, host, NULL};
	const char *why = NULL;

	if (address) {
		c = cidr(address);
		m.address = &c;
	}
	CU_ASSERT_FATAL(policy_ruleset_add(rs, a, &m, &why) == 0);
}

/* The example policy of the design document. */
static struct policy_ruleset *offices(void)
{
	struct policy_ruleset *rs = policy_ruleset_new("offices");
	CU_ASSERT_FATAL(rs != NULL);
	add(rs, POLICY_ALLOW, "_ipp._tcp", NULL, NULL, NULL);
	add(rs, POLICY_ALLOW, "_airplay._tcp", "Conference*", NULL, NULL);
	add(rs, POLICY_DENY, "_airplay._tcp", NULL, NULL, NULL);
	add(rs, POLICY_ALLOW, "_presence._tcp", NULL, NULL, NULL);
	return rs;
}

static uint8_t a4[4];

static const uint8_t *ip4(const char *text)
{
	CU_ASSERT_FATAL(inet_pton(AF_INET, text, a4) == 1);
	return a4;
}

/* Records of one test message. */
struct msg {
	ldns_rr *rr[24];
	size_t n;
	bool allow[24];
};

static ldns_rdf *dname(const char *text)
{
	ldns_rdf *d = ldns_dname_new_frm_str(text);
	CU_ASSERT_FATAL(d != NULL);
	return d;
}

static ldns_rdf *instance_name(const char *label, const char *service)
{
	struct dnssd_svcname sn;
	ldns_rdf *d = NULL;

	memset(&sn, 0, sizeof(sn));
	sn.kind = DNSSD_NAME_INSTANCE;
	snprintf(sn.instance, sizeof(sn.instance), "%s", label);
	snprintf(sn.service, sizeof(sn.service), "%s", service);
	snprintf(sn.domain, sizeof(sn.domain), "local");
	CU_ASSERT_FATAL(dnssd_svcname_build(&sn, &d) == 0);
	return d;
}

/* Parse a record; owner and first rdata field may be replaced (names with spaces). */
static ldns_rr *rr_text(const char *text)
{
	ldns_rr *rr = NULL;
	CU_ASSERT_FATAL(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) == LDNS_STATUS_OK);
	return rr;
}

static void set_owner(ldns_rr *rr, ldns_rdf *owner)
{
	ldns_rdf_deep_free(ldns_rr_owner(rr));
	ldns_rr_set_owner(rr, owner);
}

static ldns_rr *push(struct msg *m, ldns_rr *rr)
{
	CU_ASSERT_FATAL(m->n < sizeof(m->rr) / sizeof(m->rr[0]));
	m->rr[m->n++] = rr;
	return rr;
}

/* type PTR label.service */
static ldns_rr *add_ptr(struct msg *m, const char *owner, const char *label,
                        const char *service)
{
	char text[300];
	snprintf(text, sizeof(text), "%s 4500 IN PTR placeholder.local.", owner);
	ldns_rr *rr = rr_text(text);
	ldns_rdf *old = ldns_rr_set_rdf(rr, instance_name(label, service), 0);
	ldns_rdf_deep_free(old);
	return push(m, rr);
}

static ldns_rr *add_srv(struct msg *m, const char *label, const char *service,
                        const char *target)
{
	char text[300];
	snprintf(text, sizeof(text), "x.local. 120 IN SRV 0 0 631 %s", target);
	ldns_rr *rr = rr_text(text);
	set_owner(rr, instance_name(label, service));
	return push(m, rr);
}

static ldns_rr *add_txt(struct msg *m, const char *label, const char *service)
{
	ldns_rr *rr = rr_text("x.local. 4500 IN TXT \"txtvers=1\" \"rp=ipp/print\"");
	set_owner(rr, instance_name(label, service));
	return push(m, rr);
}

static ldns_rr *add_text(struct msg *m, const char *text)
{
	return push(m, rr_text(text));
}

static void msg_free(struct msg *m)
{
	for (size_t i = 0; i < m->n; i++)
		ldns_rr_free(m->rr[i]);
	m->n = 0;
}

static size_t run(const struct policy_filter_ctx *ctx, struct msg *m)
{
	return policy_filter(ctx, (const ldns_rr *const *)m->rr, m->n, m->allow);
}

/* ------------------------------------------------------------------ filter */

/* Indexes of the announcement built by printer_announcement(). */
enum {
	P_PTR,
	P_SUBPTR,
	P_SRV,
	P_TXT,
	P_A,
	P_AAAA,
	P_NSEC_INST,
	P_NSEC_HOST,
	P_ENUM,
	P_COUNT
};

static void printer_announcement(struct msg *m)
{
	add_ptr(m, "_ipp._tcp.local.", "Büro Printer", "_ipp._tcp");
	add_ptr(m, "_universal._sub._ipp._tcp.local.", "Büro Printer", "_ipp._tcp");
	add_srv(m, "Büro Printer", "_ipp._tcp", "printer.local.");
	add_txt(m, "Büro Printer", "_ipp._tcp");
	add_text(m, "printer.local. 120 IN A 192.168.1.20");
	add_text(m, "printer.local. 120 IN AAAA 2001:db8:1::20");
	ldns_rr *nsec = add_text(m, "x.local. 120 IN NSEC x.local. TXT SRV");
	set_owner(nsec, instance_name("Büro Printer", "_ipp._tcp"));
	add_text(m, "printer.local. 120 IN NSEC printer.local. A AAAA");
	add_text(m, "_services._dns-sd._udp.local. 4500 IN PTR _ipp._tcp.local.");
}

static void test_filter_announcement(void)
{
	struct policy_ruleset *rs = policy_ruleset_new("print");
	struct policy_sender sender = {.af = AF_INET};
	struct policy_filter_ctx ctx = {.rules = rs, .sender = &sender};
	struct msg m = {.n = 0};

	memcpy(sender.addr, ip4("192.168.1.20"), 4);
	printer_announcement(&m);
	CU_ASSERT_EQUAL_FATAL(m.n, P_COUNT);

	add(rs, POLICY_ALLOW, "_ipp._tcp", NULL, NULL, NULL);
	CU_ASSERT_EQUAL(run(&ctx, &m), 7);
	CU_ASSERT_TRUE(m.allow[P_PTR]);
	CU_ASSERT_TRUE(m.allow[P_SUBPTR]);
	CU_ASSERT_TRUE(m.allow[P_SRV]);
	CU_ASSERT_TRUE(m.allow[P_TXT]);
	CU_ASSERT_TRUE(m.allow[P_A]);
	CU_ASSERT_TRUE(m.allow[P_AAAA]);
	CU_ASSERT_FALSE(m.allow[P_NSEC_INST]);
	CU_ASSERT_FALSE(m.allow[P_NSEC_HOST]);
	CU_ASSERT_TRUE(m.allow[P_ENUM]);
	policy_ruleset_free(rs);

	/* Denied: nothing of the service passes, nor its host's addresses. */
	rs = policy_ruleset_new("noprint");
	add(rs, POLICY_ALLOW, "_airplay._tcp", NULL, NULL, NULL);
	add(rs, POLICY_DENY, "_ipp._tcp", NULL, NULL, NULL);
	add(rs, POLICY_ALLOW, NULL, NULL, NULL, NULL);
	ctx.rules = rs;
	CU_ASSERT_EQUAL(run(&ctx, &m), 0);
	policy_ruleset_free(rs);

	/* An instance rule decides PTR, SRV and TXT alike (case-insensitive UTF-8). */
	rs = policy_ruleset_new("buero");
	add(rs, POLICY_ALLOW, "_ipp._tcp", "BÜRO*", NULL, NULL);
	ctx.rules = rs;
	CU_ASSERT_EQUAL(run(&ctx, &m), 7);
	policy_ruleset_free(rs);

	/* A rule for one subtype: the subtype PTR in the message decides the instance. */
	rs = policy_ruleset_new("universal");
	add(rs, POLICY_ALLOW, "_universal._sub._ipp._tcp", NULL, NULL, NULL);
	ctx.rules = rs;
	CU_ASSERT_EQUAL(run(&ctx, &m), 7);
	CU_ASSERT_TRUE(m.allow[P_SRV]);
	CU_ASSERT_TRUE(m.allow[P_ENUM]);
	ldns_rr *subptr = m.rr[P_SUBPTR];
	m.rr[P_SUBPTR] = m.rr[P_NSEC_HOST]; /* the same message without the subtype PTR */
	CU_ASSERT_EQUAL(run(&ctx, &m), 1);  /* only the type may still be enumerated */
	CU_ASSERT_TRUE(m.allow[P_ENUM]);
	m.rr[P_SUBPTR] = subptr;
	policy_ruleset_free(rs);

	/* The host key uses the SRV target of the same message. */
	rs = policy_ruleset_new("byhost");
	add(rs, POLICY_ALLOW, "_ipp._tcp", NULL, "scanner", NULL);
	ctx.rules = rs;
	CU_ASSERT_EQUAL(run(&ctx, &m), 1); /* only the enumeration PTR could pass */
	CU_ASSERT_TRUE(m.allow[P_ENUM]);
	policy_ruleset_free(rs);
	rs = policy_ruleset_new("byhost2");
	add(rs, POLICY_ALLOW, "_ipp._tcp", NULL, "PRINTER", NULL);
	ctx.rules = rs;
	CU_ASSERT_EQUAL(run(&ctx, &m), 7);
	policy_ruleset_free(rs);

	/* Without rules nothing passes. */
	ctx.rules = NULL;
	CU_ASSERT_EQUAL(run(&ctx, &m), 0);
	msg_free(&m);
}

static void test_filter_order_independent(void)
{
	struct policy_ruleset *rs = policy_ruleset_new("print");
	struct policy_filter_ctx ctx = {.rules = rs};
	struct msg m = {.n = 0};

	add(rs, POLICY_ALLOW, "_ipp._tcp", NULL, "printer", NULL);
	/* Addresses and TXT before the SRV that names the host. */
	add_text(&m, "printer.local. 120 IN A 192.168.1.20");
	add_txt(&m, "Printer", "_ipp._tcp");
	add_srv(&m, "Printer", "_ipp._tcp", "printer.local.");
	CU_ASSERT_EQUAL(run(&ctx, &m), 3);
	msg_free(&m);
	policy_ruleset_free(rs);
}

static bool is_office_host(void *arg, const ldns_rdf *host)
{
	(void)arg;
	ldns_rdf *office = dname("office.local.");
	bool same = ldns_dname_compare(office, host) == 0;
	ldns_rdf_deep_free(office);
	return same;
}

static void test_filter_two_services(void)
{
	struct policy_ruleset *rs = offices();
	struct policy_filter_ctx ctx = {.rules = rs};
	struct msg m = {.n = 0};

	/* One host offers an allowed and a denied service. */
	add_ptr(&m, "_airplay._tcp.local.", "Lobby TV", "_airplay._tcp");
	add_srv(&m, "Lobby TV", "_airplay._tcp", "office.local.");
	add_txt(&m, "Lobby TV", "_airplay._tcp");
	add_ptr(&m, "_ipp._tcp.local.", "Office Printer", "_ipp._tcp");
	add_srv(&m, "Office Printer", "_ipp._tcp", "office.local.");
	add_txt(&m, "Office Printer", "_ipp._tcp");
	add_text(&m, "office.local. 120 IN A 192.168.1.30");
	add_text(&m, "office.local. 120 IN AAAA 2001:db8:1::30");
	CU_ASSERT_EQUAL(run(&ctx, &m), 5);
	CU_ASSERT_FALSE(m.allow[0]);
	CU_ASSERT_FALSE(m.allow[1]);
	CU_ASSERT_FALSE(m.allow[2]);
	CU_ASSERT_TRUE(m.allow[3]);
	CU_ASSERT_TRUE(m.allow[4]);
	CU_ASSERT_TRUE(m.allow[5]);
	CU_ASSERT_TRUE(m.allow[6]); /* the shared host follows the allowed service */
	CU_ASSERT_TRUE(m.allow[7]);
	msg_free(&m);

	/* Different hosts: only the allowed service's host passes. */
	add_srv(&m, "Lobby TV", "_airplay._tcp", "lobby-tv.local.");
	add_srv(&m, "Office Printer", "_ipp._tcp", "office.local.");
	add_text(&m, "lobby-tv.local. 120 IN A 192.168.1.31");
	add_text(&m, "office.local. 120 IN A 192.168.1.30");
	CU_ASSERT_EQUAL(run(&ctx, &m), 2);
	CU_ASSERT_FALSE(m.allow[0]);
	CU_ASSERT_TRUE(m.allow[1]);
	CU_ASSERT_FALSE(m.allow[2]);
	CU_ASSERT_TRUE(m.allow[3]);
	msg_free(&m);
	policy_ruleset_free(rs);
}

static void test_filter_address_alone(void)
{
	struct policy_ruleset *rs = offices();
	struct policy_filter_ctx ctx = {.rules = rs};
	struct msg m = {.n = 0};

	add_text(&m, "office.local. 120 IN A 192.168.1.30");
	add_text(&m, "laptop.local. 120 IN AAAA 2001:db8:1::99");
	CU_ASSERT_EQUAL(run(&ctx, &m), 0); /* no host_known: nothing to follow */
	ctx.host_known = is_office_host;
	CU_ASSERT_EQUAL(run(&ctx, &m), 1);
	CU_ASSERT_TRUE(m.allow[0]);
	CU_ASSERT_FALSE(m.allow[1]);
	CU_ASSERT_TRUE(policy_filter_one(&ctx, m.rr[0]));
	CU_ASSERT_FALSE(policy_filter_one(&ctx, m.rr[1]));
	policy_ruleset_free(rs);

	/* A rule naming the host lets its addresses through on their own. */
	rs = policy_ruleset_new("named");
	add(rs, POLICY_ALLOW, NULL, NULL, "laptop", "2001:db8:1::/48");
	ctx.rules = rs;
	ctx.host_known = NULL;
	CU_ASSERT_EQUAL(run(&ctx, &m), 1);
	CU_ASSERT_TRUE(m.allow[1]);
	policy_ruleset_free(rs);
	msg_free(&m);
}

static const ldns_rdf *printer_host_of(void *arg, const ldns_rdf *instance)
{
	(void)instance;
	return arg;
}

static void test_filter_txt_alone(void)
{
	struct policy_ruleset *rs = policy_ruleset_new("byhost");
	ldns_rdf *host = dname("printer.local.");
	struct policy_filter_ctx ctx = {.rules = rs, .arg = host};
	struct msg m = {.n = 0};

	add(rs, POLICY_ALLOW, "_ipp._tcp", NULL, "printer", NULL);
	add_txt(&m, "Printer", "_ipp._tcp");
	/* The host is unknown without instance_host: the host key cannot match. */
	CU_ASSERT_FALSE(policy_filter_one(&ctx, m.rr[0]));
	ctx.instance_host = printer_host_of;
	CU_ASSERT_TRUE(policy_filter_one(&ctx, m.rr[0]));
	ldns_rdf_deep_free(host);
	host = dname("scanner.local.");
	ctx.arg = host;
	CU_ASSERT_FALSE(policy_filter_one(&ctx, m.rr[0]));

	/* An SRV alone carries its own target; instance_host is not consulted. */
	add_srv(&m, "Printer", "_ipp._tcp", "printer.local.");
	CU_ASSERT_TRUE(policy_filter_one(&ctx, m.rr[1]));
	msg_free(&m);
	ldns_rdf_deep_free(host);
	policy_ruleset_free(rs);
}

/*
 * Every record at an allowed instance shares its decision: a buddy icon (NULL,
 * as iChat and libpurple publish on a _presence._tcp instance) and an unknown type
 * pass with the SRV and TXT, and are denied with them; NSEC at the instance never
 * passes.
 */
static void test_filter_other_types(void)
{
	struct policy_ruleset *rs = policy_ruleset_new("chat");
	struct policy_filter_ctx ctx = {.rules = rs};
	struct msg m = {.n = 0};

	add(rs, POLICY_DENY, "_presence._tcp", "Secret*", NULL, NULL);
	add(rs, POLICY_ALLOW, "_presence._tcp", NULL, NULL, NULL);
	add_ptr(&m, "_presence._tcp.local.", "alice@host", "_presence._tcp");
	add_srv(&m, "alice@host", "_presence._tcp", "host.local.");
	add_txt(&m, "alice@host", "_presence._tcp");
	ldns_rr *icon = add_text(&m, "x.local. 120 IN TYPE10 \\# 4 89504e47");
	set_owner(icon, instance_name("alice@host", "_presence._tcp"));
	ldns_rr *unknown = add_text(&m, "x.local. 120 IN TYPE65300 \\# 2 0102");
	set_owner(unknown, instance_name("alice@host", "_presence._tcp"));
	ldns_rr *nsec = add_text(&m, "x.local. 120 IN NSEC x.local. TXT SRV");
	set_owner(nsec, instance_name("alice@host", "_presence._tcp"));
	CU_ASSERT_EQUAL(run(&ctx, &m), 5);
	for (size_t i = 0; i < 5; i++)
		CU_ASSERT_TRUE(m.allow[i]);
	CU_ASSERT_FALSE(m.allow[5]);
	/* Alone, the icon is decided on its instance like a TXT alone. */
	CU_ASSERT_TRUE(policy_filter_one(&ctx, icon));
	msg_free(&m);

	icon = add_text(&m, "x.local. 120 IN TYPE10 \\# 4 89504e47");
	set_owner(icon, instance_name("Secret Bob", "_presence._tcp"));
	add_srv(&m, "Secret Bob", "_presence._tcp", "host.local.");
	CU_ASSERT_EQUAL(run(&ctx, &m), 0);
	CU_ASSERT_FALSE(m.allow[0]);
	msg_free(&m);
	policy_ruleset_free(rs);
}

static void test_filter_never(void)
{
	struct policy_ruleset *rs = policy_ruleset_new("all");
	struct policy_filter_ctx ctx = {.rules = rs};
	struct msg m = {.n = 0};

	add(rs, POLICY_ALLOW, NULL, NULL, NULL, NULL);
	add_text(&m, "20.1.168.192.in-addr.arpa. 120 IN PTR printer.local.");
	add_text(&m, "0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2."
	             "ip6.arpa. 120 "
	             "IN PTR printer.local.");
	add_text(&m, "printer.local. 120 IN NSEC printer.local. A AAAA");
	add_text(&m, "www.example.com. 120 IN A 192.0.2.1");
	add_text(&m, "printer.local. 120 IN HINFO \"x86\" \"Linux\"");
	/* A type PTR that lists an instance of another type. */
	add_ptr(&m, "_ipp._tcp.local.", "Evil", "_airplay._tcp");
	/* A subtype PTR that lists an instance of another type. */
	add_ptr(&m, "_universal._sub._ipp._tcp.local.", "Evil", "_airplay._tcp");
	/* Class CH. */
	ldns_rr *ch = add_srv(&m, "Printer", "_ipp._tcp", "printer.local.");
	ldns_rr_set_class(ch, LDNS_RR_CLASS_CH);
	/* A question-like PTR without rdata. */
	ldns_rr *q = push(&m, ldns_rr_new());
	ldns_rr_set_owner(q, dname("_ipp._tcp.local."));
	ldns_rr_set_type(q, LDNS_RR_TYPE_PTR);
	ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
	/* Enumeration PTR whose target is not a service type. */
	add_text(&m, "_services._dns-sd._udp.local. 120 IN PTR printer.local.");
	CU_ASSERT_EQUAL(run(&ctx, &m), 0);
	for (size_t i = 0; i < m.n; i++)
		CU_ASSERT_FALSE(m.allow[i]);
	msg_free(&m);

	/* The cache-flush bit is not part of the class. */
	ldns_rr *cf = add_srv(&m, "Printer", "_ipp._tcp", "printer.local.");
	ldns_rr_set_class(cf, (ldns_rr_class)(LDNS_RR_CLASS_IN | 0x8000));
	CU_ASSERT_EQUAL(run(&ctx, &m), 1);
	msg_free(&m);
	policy_ruleset_free(rs);
}

static void test_filter_sender(void)
{
	struct policy_ruleset *rs = policy_ruleset_new("lan");
	struct policy_sender sender = {.af = AF_INET};
	struct policy_filter_ctx ctx = {.rules = rs, .sender = &sender};
	struct msg m = {.n = 0};

	add(rs, POLICY_ALLOW, "_ipp._tcp", NULL, NULL, "192.168.1.0/24");
	add_ptr(&m, "_ipp._tcp.local.", "Printer", "_ipp._tcp");
	add_srv(&m, "Printer", "_ipp._tcp", "printer.local.");
	/* The address record follows the service even outside the sender's prefix. */
	add_text(&m, "printer.local. 120 IN A 10.9.9.9");
	memcpy(sender.addr, ip4("192.168.1.20"), 4);
	CU_ASSERT_EQUAL(run(&ctx, &m), 3);
	memcpy(sender.addr, ip4("192.168.7.20"), 4);
	CU_ASSERT_EQUAL(run(&ctx, &m), 0);
	ctx.sender = NULL;
	CU_ASSERT_EQUAL(run(&ctx, &m), 0);
	msg_free(&m);
	policy_ruleset_free(rs);
}

/* The policy "offices" of the design document, with the records it is about. */
static void test_filter_offices(void)
{
	struct policy_ruleset *rs = offices();
	struct policy_filter_ctx ctx = {.rules = rs};
	struct msg m = {.n = 0};

	add_srv(&m, "Office Printer", "_ipp._tcp", "printer.local.");        /* 0 allow */
	add_srv(&m, "Conference Room", "_airplay._tcp", "appletv-1.local."); /* 1 allow */
	add_srv(&m, "conference room 2", "_airplay._tcp",
	        "appletv-2.local.");                                  /* 2 allow */
	add_srv(&m, "Lobby TV", "_airplay._tcp", "appletv-3.local."); /* 3 deny */
	add_srv(&m, "alice@mac", "_presence._tcp", "mac.local.");     /* 4 allow */
	add_srv(&m, "Shared Files", "_smb._tcp", "nas.local.");       /* 5 deny */
	add_ptr(&m, "_universal._sub._ipp._tcp.local.", "Office Printer",
	        "_ipp._tcp"); /* 6 */
	add_text(
	    &m, "_services._dns-sd._udp.local. 4500 IN PTR _airplay._tcp.local."); /* 7 */
	add_text(&m,
	         "_services._dns-sd._udp.local. 4500 IN PTR _smb._tcp.local."); /* 8 */
	add_text(&m, "appletv-1.local. 120 IN A 192.168.1.41"); /* 9 allow */
	add_text(&m, "appletv-3.local. 120 IN A 192.168.1.43"); /* 10 deny */
	add_text(&m, "nas.local. 120 IN A 192.168.1.50");       /* 11 deny */
	bool want[] = {true, true, true,  false, true,  false,
	               true, true, false, true,  false, false};
	CU_ASSERT_EQUAL_FATAL(m.n, sizeof(want) / sizeof(want[0]));
	CU_ASSERT_EQUAL(run(&ctx, &m), 7);
	for (size_t i = 0; i < m.n; i++)
		CU_ASSERT_EQUAL(m.allow[i], want[i]);
	msg_free(&m);
	policy_ruleset_free(rs);
}

static void test_filter_large(void)
{
	struct policy_ruleset *rs = offices();
	struct policy_filter_ctx ctx = {.rules = rs};
	ldns_rr *rrs[80];
	bool allow[80];
	struct msg m = {.n = 0};
	size_t n = 0;

	/* More records than fit the filter's on-stack table. */
	for (int i = 0; i < 40; i++) {
		char label[32], host[64];
		snprintf(label, sizeof(label), "Printer %d", i);
		snprintf(host, sizeof(host), "printer-%d.local.", i);
		m.n = 0;
		rrs[n++] = add_srv(&m, label, i % 2 ? "_ipp._tcp" : "_smb._tcp", host);
		snprintf(host, sizeof(host), "printer-%d.local. 120 IN A 192.168.1.%d", i,
		         i + 1);
		rrs[n++] = rr_text(host);
	}
	CU_ASSERT_EQUAL(policy_filter(&ctx, (const ldns_rr *const *)rrs, n, allow), 40);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL(allow[i], (i / 2) % 2 == 1);
	for (size_t i = 0; i < n; i++)
		ldns_rr_free(rrs[i]);
	policy_ruleset_free(rs);
}

static CU_TestInfo filter_tests[] = {
    {"printer announcement", test_filter_announcement},
    {"record order does not matter", test_filter_order_independent},
    {"two services, one host", test_filter_two_services},
    {"address record alone", test_filter_address_alone},
    {"TXT alone with instance_host", test_filter_txt_alone},
    {"never passed", test_filter_never},
    {"every record at an instance shares its decision", test_filter_other_types},
    {"sender address", test_filter_sender},
    {"design example: offices", test_filter_offices},
    {"large message", test_filter_large},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"filter", NULL, NULL, NULL, NULL, filter_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
