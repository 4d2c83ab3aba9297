/* test_rules.c: rule sets (policy/rules.h): glob semantics, order, keys. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "dnssd/addrmap.h"
#include "dnssd/svcname.h"
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

static struct policy_subject svc(const char *service, const char *instance)
{
	struct policy_subject s = {.service = service, .instance = instance};
	return s;
}

static uint8_t a4[4], a6[16];

static const uint8_t *ip4(const char *text)
{
	CU_ASSERT_FATAL(inet_pton(AF_INET, text, a4) == 1);
	return a4;
}

static const uint8_t *ip6(const char *text)
{
	CU_ASSERT_FATAL(inet_pton(AF_INET6, text, a6) == 1);
	return a6;
}

/* ------------------------------------------------------------------ globs */

static void test_glob_anchoring(void)
{
	CU_ASSERT_TRUE(policy_glob_match("printer", "printer", false));
	CU_ASSERT_FALSE(policy_glob_match("printer", "printer2", false));
	CU_ASSERT_FALSE(policy_glob_match("printer", "laserprinter", false));
	CU_ASSERT_FALSE(policy_glob_match("printer", "", false));
	CU_ASSERT_TRUE(policy_glob_match("_ipp._tcp", "_ipp._tcp", false));
	CU_ASSERT_FALSE(policy_glob_match("_ipp._tcp", "_ipps._tcp", false));
}

static void test_glob_star(void)
{
	CU_ASSERT_TRUE(policy_glob_match("*", "", false));
	CU_ASSERT_TRUE(policy_glob_match("*", "anything at all", false));
	CU_ASSERT_TRUE(policy_glob_match("a*c", "ac", false));
	CU_ASSERT_TRUE(policy_glob_match("a*c", "abbbc", false));
	CU_ASSERT_FALSE(policy_glob_match("a*c", "abcd", false));
	CU_ASSERT_TRUE(policy_glob_match("_*._tcp", "_ipp._tcp", false));
	CU_ASSERT_FALSE(policy_glob_match("_*._tcp", "_ipp._udp", false));
	CU_ASSERT_TRUE(policy_glob_match("Conference*", "Conference Room 2", false));
	CU_ASSERT_FALSE(policy_glob_match("Conference*", "Big Conference", false));
	CU_ASSERT_TRUE(policy_glob_match("*Room", "Conference Room", false));
	CU_ASSERT_FALSE(policy_glob_match("*Room", "Room 2", false));
	CU_ASSERT_TRUE(policy_glob_match("**Room", "Conference Room", false));
	/* Backtracking over an early partial match. */
	CU_ASSERT_TRUE(policy_glob_match("a*b*c", "aXbYbZc", false));
	CU_ASSERT_TRUE(policy_glob_match("*ab*ab", "xabyabab", false));
	CU_ASSERT_FALSE(policy_glob_match("a*b*c", "aXbYbZ", false));
}

static void test_glob_question(void)
{
	CU_ASSERT_TRUE(policy_glob_match("a?c", "abc", false));
	CU_ASSERT_FALSE(policy_glob_match("a?c", "ac", false));
	CU_ASSERT_FALSE(policy_glob_match("a?c", "abbc", false));
	CU_ASSERT_TRUE(policy_glob_match("???", "abc", false));
	CU_ASSERT_TRUE(policy_glob_match("?*", "x", false));
	CU_ASSERT_FALSE(policy_glob_match("?*", "", false));
}

static void test_glob_class(void)
{
	CU_ASSERT_TRUE(policy_glob_match("printer[0-9]", "printer7", false));
	CU_ASSERT_FALSE(policy_glob_match("printer[0-9]", "printerx", false));
	CU_ASSERT_TRUE(policy_glob_match("[abc]x", "bx", false));
	CU_ASSERT_FALSE(policy_glob_match("[abc]x", "dx", false));
	CU_ASSERT_TRUE(policy_glob_match("[!a-c]x", "dx", false));
	CU_ASSERT_FALSE(policy_glob_match("[!a-c]x", "bx", false));
	CU_ASSERT_TRUE(policy_glob_match("[^a]", "b", false));
	CU_ASSERT_TRUE(policy_glob_match("[]]", "]", false));
	CU_ASSERT_TRUE(policy_glob_match("[a-]", "-", false));
	CU_ASSERT_TRUE(policy_glob_match("[\\]x]", "]", false));
	CU_ASSERT_TRUE(policy_glob_match("[*?]", "*", false));
	CU_ASSERT_FALSE(policy_glob_match("[*?]", "a", false));
	/* A class consumes one whole UTF-8 character. */
	CU_ASSERT_TRUE(policy_glob_match("b[üu]ro", "büro", false));
	CU_ASSERT_TRUE(policy_glob_match("b[!x]ro", "büro", false));
}

static void test_glob_escape(void)
{
	CU_ASSERT_TRUE(policy_glob_match("a\\*b", "a*b", false));
	CU_ASSERT_FALSE(policy_glob_match("a\\*b", "axb", false));
	CU_ASSERT_TRUE(policy_glob_match("\\?", "?", false));
	CU_ASSERT_FALSE(policy_glob_match("\\?", "x", false));
	CU_ASSERT_TRUE(policy_glob_match("a\\\\b", "a\\b", false));
	CU_ASSERT_TRUE(policy_glob_match("\\[x]", "[x]", false));
	CU_ASSERT_TRUE(policy_glob_match("Room \\*1\\**", "Room *1* east", false));
}

static void test_glob_invalid(void)
{
	struct policy_ruleset *rs = policy_ruleset_new("bad");
	struct policy_match m = {.service = "_ipp._tcp", .instance = "[abc"};
	const char *why = NULL;

	CU_ASSERT_FALSE(policy_glob_match("[abc", "a", false));
	CU_ASSERT_FALSE(policy_glob_match("abc\\", "abc\\", false));
	CU_ASSERT_FALSE(policy_glob_match("[z-a]", "m", false));
	CU_ASSERT_EQUAL(policy_ruleset_add(rs, POLICY_ALLOW, &m, &why), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(why);
	if (why)
		CU_ASSERT_STRING_EQUAL(why, "unterminated character class");
	m.instance = "Room\\";
	CU_ASSERT_EQUAL(policy_ruleset_add(rs, POLICY_ALLOW, &m, &why), -EINVAL);
	if (why)
		CU_ASSERT_STRING_EQUAL(why, "trailing backslash");
	m.instance = "";
	CU_ASSERT_EQUAL(policy_ruleset_add(rs, POLICY_ALLOW, &m, &why), -EINVAL);
	m.instance = "caf\xc3";
	CU_ASSERT_EQUAL(policy_ruleset_add(rs, POLICY_ALLOW, &m, &why), -EINVAL);
	CU_ASSERT_EQUAL(policy_ruleset_count(rs), 0);
	policy_ruleset_free(rs);
}

static void test_glob_case(void)
{
	CU_ASSERT_TRUE(policy_glob_match("Printer*", "PRINTER x", true));
	CU_ASSERT_FALSE(policy_glob_match("Printer*", "PRINTER x", false));
	CU_ASSERT_TRUE(policy_glob_match("[a-c]x", "BX", true));
	CU_ASSERT_TRUE(policy_glob_match("[A-C]x", "bx", true));
	CU_ASSERT_FALSE(policy_glob_match("[A-C]x", "bx", false));
	CU_ASSERT_TRUE(policy_glob_match("*ROOM", "conference room", true));
}

static void test_glob_utf8(void)
{
	/* '?' is one character, however many bytes it takes. */
	CU_ASSERT_TRUE(policy_glob_match("b?ro", "büro", false));
	CU_ASSERT_FALSE(policy_glob_match("b??ro", "büro", false));
	CU_ASSERT_TRUE(policy_glob_match("?", "€", false));
	CU_ASSERT_TRUE(policy_glob_match("?", "😀", false));
	CU_ASSERT_TRUE(policy_glob_match("büro*", "BÜRO Drucker", true));
	CU_ASSERT_FALSE(policy_glob_match("büro*", "BÜRO Drucker", false));
	CU_ASSERT_TRUE(policy_glob_match("BÜRO DRUCKER", "büro drucker", true));
	CU_ASSERT_TRUE(policy_glob_match("*drucker", "BÜRO DRUCKER", true));
	CU_ASSERT_TRUE(policy_glob_match("łódź*", "ŁÓDŹ office", true));
	CU_ASSERT_TRUE(policy_glob_match("γραφείο*", "ΓΡΑΦΕΊΟ 2", true));
	CU_ASSERT_TRUE(policy_glob_match("принтер ?", "ПРИНТЕР Ё", true));
	CU_ASSERT_TRUE(policy_glob_match("[а-я]*", "Яндекс", true));
	CU_ASSERT_TRUE(policy_glob_match("ΟΔΟΣ", "οδος", true)); /* final sigma */
	CU_ASSERT_FALSE(policy_glob_match("büro", "buro", true));
	/* Bytes that are not UTF-8 are single characters that only wildcards match. */
	CU_ASSERT_TRUE(policy_glob_match("a?b", "a\377b", true));
	CU_ASSERT_TRUE(policy_glob_match("a*", "a\xc3", true));
	CU_ASSERT_FALSE(policy_glob_match("a??b", "a\377b", true));
}

static CU_TestInfo glob_tests[] = {
    {"anchoring", test_glob_anchoring},
    {"star", test_glob_star},
    {"question mark", test_glob_question},
    {"classes", test_glob_class},
    {"escapes", test_glob_escape},
    {"invalid patterns", test_glob_invalid},
    {"case", test_glob_case},
    {"utf-8", test_glob_utf8},
    CU_TEST_INFO_NULL,
};

/* ------------------------------------------------------------------ rule sets */

static void test_order(void)
{
	struct policy_ruleset *rs = policy_ruleset_new("order");
	struct policy_subject s = svc("_ipp._tcp", "Printer");

	add(rs, POLICY_DENY, "_ipp._tcp", NULL, NULL, NULL);
	add(rs, POLICY_ALLOW, "_ipp._tcp", NULL, NULL, NULL);
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_DENY);
	policy_ruleset_free(rs);

	rs = policy_ruleset_new("order2");
	add(rs, POLICY_ALLOW, "_ipp._tcp", NULL, NULL, NULL);
	add(rs, POLICY_DENY, NULL, NULL, NULL, NULL);
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_ALLOW);
	s.service = "_smb._tcp";
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_DENY);
	CU_ASSERT_EQUAL(policy_ruleset_count(rs), 2);
	CU_ASSERT_STRING_EQUAL(policy_ruleset_name(rs), "order2");
	policy_ruleset_free(rs);
}

/* Many rules, per-type literals interleaved with globs: order still decides. */
static void test_order_many(void)
{
	struct policy_ruleset *rs = policy_ruleset_new("many");
	char type[32], glob[32];

	for (int k = 0; k < 200; k++) {
		enum policy_action a = k % 3 ? POLICY_ALLOW : POLICY_DENY;
		snprintf(type, sizeof(type), "_s%03d._tcp", k);
		snprintf(glob, sizeof(glob), "_s%03d.*", k);
		if (k % 7 == 0)
			add(rs, a == POLICY_ALLOW ? POLICY_DENY : POLICY_ALLOW, glob,
			    NULL, NULL, NULL);
		add(rs, a, type, NULL, NULL, NULL);
	}
	for (int k = 0; k < 200; k++) { /* later duplicates never decide */
		snprintf(type, sizeof(type), "_S%03d._TCP", k);
		add(rs, k % 3 ? POLICY_DENY : POLICY_ALLOW, type, NULL, NULL, NULL);
	}
	add(rs, POLICY_DENY, "_s*", NULL, NULL, NULL);
	add(rs, POLICY_ALLOW, NULL, NULL, NULL, NULL);
	for (int k = 0; k < 200; k++) {
		enum policy_action want = k % 3 ? POLICY_ALLOW : POLICY_DENY;
		if (k % 7 == 0)
			want = want == POLICY_ALLOW ? POLICY_DENY : POLICY_ALLOW;
		snprintf(type, sizeof(type), "_s%03d._tcp", k);
		struct policy_subject s = svc(type, "x");
		CU_ASSERT_EQUAL(policy_decide(rs, &s), want);
	}
	struct policy_subject s = svc("_s200._tcp", "x");
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_DENY);
	s.service = "_s10._tcp";
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_DENY);
	s.service = "_x._tcp";
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_ALLOW);
	policy_ruleset_free(rs);
}

static void test_default_deny(void)
{
	struct policy_ruleset *rs = policy_ruleset_new("empty");
	struct policy_subject s = svc("_ipp._tcp", "Printer");

	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_DENY);
	CU_ASSERT_EQUAL(policy_decide_any_instance(rs, &s), POLICY_DENY);
	CU_ASSERT_FALSE(policy_host_named(rs, "printer", 0, NULL));
	CU_ASSERT_EQUAL(policy_decide(NULL, &s), POLICY_DENY);
	add(rs, POLICY_ALLOW, "_airplay._tcp", NULL, NULL, NULL);
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_DENY);
	/* An empty rule (no keys) matches everything. */
	add(rs, POLICY_ALLOW, NULL, NULL, NULL, NULL);
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_ALLOW);
	policy_ruleset_free(rs);
	policy_ruleset_free(NULL);
}

static void test_service_key(void)
{
	struct policy_ruleset *rs = policy_ruleset_new("svc");
	struct policy_subject s = svc("_IPP._TCP", NULL);

	add(rs, POLICY_ALLOW, "_ipp._tcp", NULL, NULL, NULL);
	add(rs, POLICY_ALLOW, "_*._udp", NULL, NULL, NULL);
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_ALLOW); /* ASCII case-insensitive */
	s.service = "_ipps._tcp";
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_DENY);
	s.service = "_sleep-proxy._udp";
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_ALLOW);
	s.service = NULL; /* unknown: a service key cannot match */
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_DENY);
	policy_ruleset_free(rs);
}

static void test_subtype(void)
{
	struct policy_ruleset *rs = policy_ruleset_new("sub");
	struct policy_subject s = svc("_ipp._tcp", "Printer");

	add(rs, POLICY_ALLOW, "_ipp._tcp", NULL, NULL, NULL);
	s.subtype = "_universal";
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_ALLOW);
	policy_ruleset_free(rs);

	/* A rule may also name one subtype in full. */
	rs = policy_ruleset_new("sub2");
	add(rs, POLICY_ALLOW, "_universal._sub._ipp._tcp", NULL, NULL, NULL);
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_ALLOW);
	s.subtype = "_cups";
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_DENY);
	s.subtype = NULL;
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_DENY);
	/* Some instance of the type may have the subtype: it may be enumerated. */
	s.instance = NULL;
	CU_ASSERT_EQUAL(policy_decide_any_instance(rs, &s), POLICY_ALLOW);
	s.service = "_ipps._tcp";
	CU_ASSERT_EQUAL(policy_decide_any_instance(rs, &s), POLICY_DENY);
	policy_ruleset_free(rs);
}

static void test_instance_key(void)
{
	struct policy_ruleset *rs = policy_ruleset_new("inst");
	struct policy_subject s = svc("_ipp._tcp", "BÜRO Drucker");

	add(rs, POLICY_ALLOW, "_ipp._tcp", "büro*", NULL, NULL);
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_ALLOW);
	s.instance = "Empfang Drucker";
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_DENY);
	s.instance = NULL;
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_DENY);
	policy_ruleset_free(rs);
}

static void test_host_key(void)
{
	struct policy_ruleset *rs = policy_ruleset_new("host");
	struct policy_subject s = svc("_ipp._tcp", "Printer");

	add(rs, POLICY_ALLOW, NULL, NULL, "printer-[0-9]", NULL);
	s.host = "Printer-2";
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_ALLOW);
	s.host = "printer-2.local.";
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_ALLOW);
	s.host = "printer-22";
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_DENY);
	s.host = NULL;
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_DENY);
	policy_ruleset_free(rs);
}

static void test_address_key(void)
{
	struct policy_ruleset *rs = policy_ruleset_new("addr");
	struct policy_subject s = {.host = "printer"};
	uint8_t sender[4], addr[4], addr6[16];

	add(rs, POLICY_ALLOW, NULL, NULL, NULL, "192.168.1.0/24");
	add(rs, POLICY_ALLOW, NULL, NULL, NULL, "2001:db8:1::/48");
	memcpy(sender, ip4("10.0.0.1"), 4);
	memcpy(addr, ip4("192.168.1.20"), 4);

	/* An address record is decided by its own address, not by who sent it. */
	s.addr_af = AF_INET;
	s.addr = addr;
	s.sender_af = AF_INET;
	s.sender = sender;
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_ALLOW);
	memcpy(addr, ip4("192.168.2.20"), 4);
	memcpy(sender, ip4("192.168.1.1"), 4);
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_DENY);

	/* Any other record by its sender. */
	s.addr_af = 0;
	s.addr = NULL;
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_ALLOW);
	memcpy(sender, ip4("192.168.3.1"), 4);
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_DENY);

	memcpy(addr6, ip6("2001:db8:1::20"), 16);
	s.addr_af = AF_INET6;
	s.addr = addr6;
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_ALLOW);
	memcpy(addr6, ip6("2001:db8:2::20"), 16);
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_DENY);

	/* Neither known: the key cannot match. */
	s.addr_af = s.sender_af = 0;
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_DENY);
	policy_ruleset_free(rs);
}

static void test_keys_anded(void)
{
	struct policy_ruleset *rs = policy_ruleset_new("and");
	struct policy_subject s = svc("_ipp._tcp", "Office Printer");
	uint8_t sender[4];

	memcpy(sender, ip4("192.168.1.20"), 4);
	add(rs, POLICY_ALLOW, "_ipp._tcp", "Office*", "printer", "192.168.1.0/24");
	s.host = "printer";
	s.sender_af = AF_INET;
	s.sender = sender;
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_ALLOW);
	s.host = "scanner";
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_DENY);
	s.host = "printer";
	s.instance = "Lab Printer";
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_DENY);
	s.instance = "Office Printer";
	sender[2] = 9;
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_DENY);
	policy_ruleset_free(rs);
}

static void test_any_instance(void)
{
	struct policy_ruleset *rs = offices();
	struct policy_subject s = svc("_airplay._tcp", NULL);

	/* Conference rooms may be exported, so the type may be enumerated. */
	CU_ASSERT_EQUAL(policy_decide_any_instance(rs, &s), POLICY_ALLOW);
	s.service = "_ipp._tcp";
	CU_ASSERT_EQUAL(policy_decide_any_instance(rs, &s), POLICY_ALLOW);
	s.service = "_smb._tcp";
	CU_ASSERT_EQUAL(policy_decide_any_instance(rs, &s), POLICY_DENY);
	policy_ruleset_free(rs);

	/* An unconditional deny before the conditional allow hides the type. */
	rs = policy_ruleset_new("x");
	add(rs, POLICY_DENY, "_airplay._tcp", NULL, NULL, NULL);
	add(rs, POLICY_ALLOW, "_airplay._tcp", "Conference*", NULL, NULL);
	s.service = "_airplay._tcp";
	CU_ASSERT_EQUAL(policy_decide_any_instance(rs, &s), POLICY_DENY);
	policy_ruleset_free(rs);

	/* A conditional deny does not hide the rules after it. */
	rs = policy_ruleset_new("y");
	add(rs, POLICY_DENY, NULL, "Secret*", NULL, NULL);
	add(rs, POLICY_ALLOW, "_ipp._tcp", NULL, NULL, NULL);
	s.service = "_ipp._tcp";
	CU_ASSERT_EQUAL(policy_decide_any_instance(rs, &s), POLICY_ALLOW);
	/* ... but a plain policy_decide with the instance unknown skips it too. */
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_ALLOW);
	s.instance = "Secret Printer";
	CU_ASSERT_EQUAL(policy_decide(rs, &s), POLICY_DENY);
	policy_ruleset_free(rs);
}

static void test_host_named(void)
{
	struct policy_ruleset *rs = policy_ruleset_new("hosts");

	add(rs, POLICY_ALLOW, "_ipp._tcp", NULL, "scanner", NULL);
	add(rs, POLICY_ALLOW, NULL, NULL, "nas", "192.168.1.0/24");
	add(rs, POLICY_ALLOW, NULL, NULL, "printer", NULL);
	add(rs, POLICY_ALLOW, NULL, NULL, NULL, "192.168.1.0/24");

	CU_ASSERT_TRUE(policy_host_named(rs, "printer", AF_INET, ip4("10.1.1.1")));
	CU_ASSERT_TRUE(policy_host_named(rs, "PRINTER", 0, NULL));
	/* A host key together with a service is about services, not the host. */
	CU_ASSERT_FALSE(policy_host_named(rs, "scanner", AF_INET, ip4("10.1.1.1")));
	CU_ASSERT_TRUE(policy_host_named(rs, "nas", AF_INET, ip4("192.168.1.5")));
	CU_ASSERT_FALSE(policy_host_named(rs, "nas", AF_INET, ip4("192.168.2.5")));
	/* An address-only rule does not name any host. */
	CU_ASSERT_FALSE(policy_host_named(rs, "laptop", AF_INET, ip4("192.168.1.7")));
	policy_ruleset_free(rs);

	/* Order still counts: a catch-all deny before the host rule wins. */
	rs = policy_ruleset_new("hosts2");
	add(rs, POLICY_DENY, NULL, NULL, NULL, NULL);
	add(rs, POLICY_ALLOW, NULL, NULL, "printer", NULL);
	CU_ASSERT_FALSE(policy_host_named(rs, "printer", 0, NULL));
	policy_ruleset_free(rs);
}

static void test_bad_address_key(void)
{
	struct policy_ruleset *rs = policy_ruleset_new("bad");
	struct dnssd_cidr c = {.af = AF_INET, .plen = 33};
	struct policy_match m = {.address = &c};
	const char *why = NULL;

	CU_ASSERT_EQUAL(policy_ruleset_add(rs, POLICY_ALLOW, &m, &why), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(why);
	CU_ASSERT_EQUAL(policy_ruleset_count(rs), 0);
	policy_ruleset_free(rs);
}

/* Which rule decided: index, line and file, through the type index and without it. */
static void test_explain(void)
{
	struct policy_ruleset *rs = policy_ruleset_new("offices");
	struct policy_match m = {0};
	struct policy_explain ex;
	char line[160];

	CU_ASSERT_FATAL(rs != NULL);
	CU_ASSERT_PTR_NULL(policy_ruleset_file(rs));
	CU_ASSERT_EQUAL(policy_ruleset_set_file(rs, "/etc/sitecast/sitecast.yaml"), 0);
	CU_ASSERT_STRING_EQUAL(policy_ruleset_file(rs), "/etc/sitecast/sitecast.yaml");
	/* The design's example, at the lines a file would have them. */
	m.service = "_ipp._tcp";
	CU_ASSERT_EQUAL(policy_ruleset_add_at(rs, POLICY_ALLOW, &m, 31, NULL), 0);
	m.service = "_airplay._tcp";
	m.instance = "Conference*";
	CU_ASSERT_EQUAL(policy_ruleset_add_at(rs, POLICY_ALLOW, &m, 32, NULL), 0);
	m.instance = NULL;
	CU_ASSERT_EQUAL(policy_ruleset_add_at(rs, POLICY_DENY, &m, 33, NULL), 0);
	m.service = "_presence.*";
	CU_ASSERT_EQUAL(policy_ruleset_add_at(rs, POLICY_ALLOW, &m, 34, NULL), 0);
	/* A rule added without a line. */
	m.service = "_smb._tcp";
	CU_ASSERT_EQUAL(policy_ruleset_add(rs, POLICY_DENY, &m, NULL), 0);
	CU_ASSERT_EQUAL(policy_ruleset_rule_line(rs, 0), 31);
	CU_ASSERT_EQUAL(policy_ruleset_rule_line(rs, 3), 34);
	CU_ASSERT_EQUAL(policy_ruleset_rule_line(rs, 4), 0);
	CU_ASSERT_EQUAL(policy_ruleset_rule_line(rs, 5), 0);
	CU_ASSERT_EQUAL(policy_ruleset_rule_action(rs, 2), POLICY_DENY);
	CU_ASSERT_EQUAL(policy_ruleset_rule_action(rs, 3), POLICY_ALLOW);
	CU_ASSERT_EQUAL(policy_ruleset_rule_action(rs, 9), POLICY_DENY);

	static const struct {
		const char *service, *instance;
		enum policy_action action;
		size_t rule;
		unsigned line;
		const char *text;
	} cases[] = {
	    {"_ipp._tcp", "Printer A", POLICY_ALLOW, 0, 31,
	     "allow: rule 1 of rule set offices at /etc/sitecast/sitecast.yaml:31"},
	    {"_airplay._tcp", "Conference Room", POLICY_ALLOW, 1, 32,
	     "allow: rule 2 of rule set offices at /etc/sitecast/sitecast.yaml:32"},
	    {"_airplay._tcp", "Bob's MacBook", POLICY_DENY, 2, 33,
	     "deny: rule 3 of rule set offices at /etc/sitecast/sitecast.yaml:33"},
	    /* A glob rule, not in the type index. */
	    {"_presence._tcp", "bob", POLICY_ALLOW, 3, 34,
	     "allow: rule 4 of rule set offices at /etc/sitecast/sitecast.yaml:34"},
	    {"_smb._tcp", "Files", POLICY_DENY, 4, 0, "deny: rule 5 of rule set offices"},
	    {"_http._tcp", "Router", POLICY_DENY, POLICY_NO_RULE, 0,
	     "deny: no rule matched (rule set offices)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy_subject s = svc(cases[i].service, cases[i].instance);
		memset(&ex, 0x5a, sizeof(ex));
		CU_ASSERT_EQUAL(policy_decide_explain(rs, &s, &ex), cases[i].action);
		CU_ASSERT_EQUAL(policy_decide(rs, &s), cases[i].action);
		CU_ASSERT_EQUAL(ex.action, cases[i].action);
		CU_ASSERT_EQUAL(ex.rule, cases[i].rule);
		CU_ASSERT_EQUAL(ex.line, cases[i].line);
		CU_ASSERT_PTR_EQUAL(ex.file, policy_ruleset_file(rs));
		policy_explain_format(rs, &ex, line, sizeof(line));
		CU_ASSERT_STRING_EQUAL(line, cases[i].text);
	}
	/* ex may be NULL; no set denies with no rule. */
	struct policy_subject s = svc("_ipp._tcp", "Printer A");
	CU_ASSERT_EQUAL(policy_decide_explain(rs, &s, NULL), POLICY_ALLOW);
	CU_ASSERT_EQUAL(policy_decide_explain(NULL, &s, &ex), POLICY_DENY);
	CU_ASSERT_EQUAL(ex.rule, POLICY_NO_RULE);
	CU_ASSERT_PTR_NULL(ex.file);
	policy_explain_format(NULL, &ex, line, sizeof(line));
	CU_ASSERT_STRING_EQUAL(line, "deny: no rule matched (rule set inline)");
	CU_ASSERT_EQUAL(policy_ruleset_set_file(rs, NULL), 0);
	CU_ASSERT_PTR_NULL(policy_ruleset_file(rs));
	CU_ASSERT_EQUAL(policy_ruleset_set_file(NULL, "x"), -EINVAL);
	policy_ruleset_free(rs);

	/* Literal types interleaved with globs: the index finds the first match. */
	rs = policy_ruleset_new(NULL);
	char type[32];
	for (unsigned k = 0; k < 60; k++) {
		snprintf(type, sizeof(type), k % 5 == 4 ? "_t%02u.*" : "_t%02u._tcp",
		         k / 2);
		m = (struct policy_match){.service = type};
		CU_ASSERT_EQUAL(policy_ruleset_add_at(rs,
		                                      k % 2 ? POLICY_DENY : POLICY_ALLOW,
		                                      &m, 100 + k, NULL),
		                0);
	}
	for (unsigned t = 0; t < 30; t++) {
		snprintf(type, sizeof(type), "_t%02u._tcp", t);
		struct policy_subject st = svc(type, "x");
		/* Rules 2t and 2t+1 name the type; the first of them decides. */
		CU_ASSERT_EQUAL(policy_decide_explain(rs, &st, &ex), POLICY_ALLOW);
		CU_ASSERT_EQUAL(ex.rule, 2 * t);
		CU_ASSERT_EQUAL(ex.line, 100 + 2 * t);
	}
	policy_ruleset_free(rs);
}

static CU_TestInfo rule_tests[] = {
    {"first match wins", test_order},
    {"first match wins among many rules", test_order_many},
    {"default deny and empty set", test_default_deny},
    {"service key", test_service_key},
    {"subtypes match their parent", test_subtype},
    {"instance key", test_instance_key},
    {"host key", test_host_key},
    {"address key: record vs sender", test_address_key},
    {"keys are ANDed", test_keys_anded},
    {"any instance (enumeration)", test_any_instance},
    {"host named", test_host_named},
    {"bad address key", test_bad_address_key},
    {"which rule decided (explain)", test_explain},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"glob", NULL, NULL, NULL, NULL, glob_tests},
    {"rules", NULL, NULL, NULL, NULL, rule_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
