/* test_addrmap.c: CIDR parsing, NETMAP-style prefix maps, link-local addresses. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "dnssd/addrmap.h"
#include "tests/unit/unit.h"

/* Address text to bytes; returns the family. */
static int addr(const char *text, uint8_t *out)
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, text, out) == 1)
		return AF_INET;
	CU_ASSERT_EQUAL_FATAL(inet_pton(AF_INET6, text, out), 1);
	return AF_INET6;
}

static struct dnssd_cidr cidr(const char *text)
{
	struct dnssd_cidr c;
	const char *why = NULL;
	int rc = dnssd_cidr_parse(text, &c, &why);
	if (rc != 0)
		fprintf(stderr, "\n    %s: %s\n", text, why);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	return c;
}

/* ------------------------------------------------------------ parsing */

static void assert_parses(const char *text, int af, const char *net, unsigned plen)
{
	struct dnssd_cidr c = cidr(text);
	uint8_t want[16];
	CU_ASSERT_EQUAL(addr(net, want), af);
	CU_ASSERT_EQUAL(c.af, af);
	CU_ASSERT_EQUAL(c.plen, plen);
	CU_ASSERT(memcmp(c.addr, want, af == AF_INET ? 4 : 16) == 0);
}

static void test_parse_good(void)
{
	assert_parses("192.168.1.0/24", AF_INET, "192.168.1.0", 24);
	assert_parses("10.0.0.0/8", AF_INET, "10.0.0.0", 8);
	assert_parses("172.16.16.0/20", AF_INET, "172.16.16.0", 20);
	assert_parses("0.0.0.0/0", AF_INET, "0.0.0.0", 0);
	assert_parses("192.168.1.12", AF_INET, "192.168.1.12", 32);
	assert_parses("192.168.1.12/32", AF_INET, "192.168.1.12", 32);
	assert_parses("2001:db8::/32", AF_INET6, "2001:db8::", 32);
	assert_parses("2001:db8:0:1::/64", AF_INET6, "2001:db8:0:1::", 64);
	assert_parses("fe80::/10", AF_INET6, "fe80::", 10);
	assert_parses("FE80::/9", AF_INET6, "fe80::", 9);
	assert_parses("::/0", AF_INET6, "::", 0);
	assert_parses("2001:db8::1", AF_INET6, "2001:db8::1", 128);
	assert_parses("::ffff:192.168.1.0/120", AF_INET6, "::ffff:192.168.1.0", 120);

	/* Parsing the same text twice gives equal values (usable with memcmp). */
	struct dnssd_cidr a = cidr("192.168.1.0/24"), b = cidr("192.168.1.0/24");
	CU_ASSERT(memcmp(&a, &b, sizeof(a)) == 0);
}

static void assert_parse_error(const char *text, const char *msg)
{
	struct dnssd_cidr c;
	memset(&c, 0xaa, sizeof(c));
	const char *why = NULL;
	CU_ASSERT_EQUAL(dnssd_cidr_parse(text, &c, &why), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	if (strcmp(why, msg) != 0)
		fprintf(stderr, "\n    \"%s\": %s\n", text ? text : "(null)", why);
	CU_ASSERT_STRING_EQUAL(why, msg);
	/* out is left alone, and why may be NULL. */
	CU_ASSERT_EQUAL(c.plen, 0xaaaaaaaau);
	CU_ASSERT_EQUAL(dnssd_cidr_parse(text, &c, NULL), -EINVAL);
}

static void test_parse_bad(void)
{
	static const char *const not_addr = "not an IPv4 or IPv6 address";
	static const char *const range = "prefix length out of range";
	static const char *const nan = "prefix length is not a number";
	static const char *const host = "host bits set";

	assert_parse_error(NULL, not_addr);
	assert_parse_error("", not_addr);
	assert_parse_error("/24", not_addr);
	assert_parse_error("hello", not_addr);
	assert_parse_error("192.168.1/24", not_addr);
	assert_parse_error("192.168.1.256/24", not_addr);
	assert_parse_error("192.168.1.0.0/24", not_addr);
	assert_parse_error(" 192.168.1.0/24", not_addr);
	assert_parse_error("192.168.1.0 /24", not_addr);
	assert_parse_error("fe80::1%eth0/64", not_addr);
	assert_parse_error("2001:db8:::/32", not_addr);
	assert_parse_error("2001:db8::g/32", not_addr);
	assert_parse_error("2001:0db8:0000:0000:0000:0000:0000:0000:0000/64", not_addr);

	assert_parse_error("192.168.1.0/", "missing prefix length after '/'");
	assert_parse_error("2001:db8::/", "missing prefix length after '/'");
	assert_parse_error("192.168.1.0/abc", nan);
	assert_parse_error("192.168.1.0/-1", nan);
	assert_parse_error("192.168.1.0/+24", nan);
	assert_parse_error("192.168.1.0/24 ", nan);
	assert_parse_error("192.168.1.0/24/8", nan);
	assert_parse_error("192.168.1.0/0x18", nan);

	assert_parse_error("192.168.1.0/33", range);
	assert_parse_error("0.0.0.0/99999999999999999999999", range);
	assert_parse_error("2001:db8::/129", range);
	assert_parse_error("::/4294967296", range);

	assert_parse_error("192.168.1.1/24", host);
	assert_parse_error("10.1.0.0/8", host);
	assert_parse_error("192.168.1.0/23", host);
	assert_parse_error("0.0.0.1/0", host);
	assert_parse_error("2001:db8::1/64", host);
	assert_parse_error("fe80::/8", host);
	assert_parse_error("2001:db8::/28", host);
}

/* ------------------------------------------------------------ contains */

static bool contains(const char *net, const char *a)
{
	struct dnssd_cidr c = cidr(net);
	uint8_t b[16];
	int af = addr(a, b);
	return dnssd_cidr_contains(&c, af, b);
}

static void test_contains(void)
{
	CU_ASSERT(contains("192.168.1.0/24", "192.168.1.0"));
	CU_ASSERT(contains("192.168.1.0/24", "192.168.1.255"));
	CU_ASSERT(!contains("192.168.1.0/24", "192.168.2.0"));
	CU_ASSERT(!contains("192.168.1.0/24", "192.168.0.255"));
	CU_ASSERT(contains("172.16.16.0/20", "172.16.31.255"));
	CU_ASSERT(!contains("172.16.16.0/20", "172.16.32.0"));
	CU_ASSERT(contains("192.168.1.12", "192.168.1.12"));
	CU_ASSERT(!contains("192.168.1.12", "192.168.1.13"));
	CU_ASSERT(contains("0.0.0.0/0", "203.0.113.9"));
	CU_ASSERT(contains("2001:db8:0:1::/64", "2001:db8:0:1:1c2b:3aff:fe44:5566"));
	CU_ASSERT(!contains("2001:db8:0:1::/64", "2001:db8:0:2::1"));
	CU_ASSERT(contains("::/0", "2001:db8::1"));
	/* Families never mix, not even through ::/0 or IPv4-mapped addresses. */
	CU_ASSERT(!contains("::/0", "192.168.1.1"));
	CU_ASSERT(!contains("0.0.0.0/0", "::ffff:192.168.1.1"));
	CU_ASSERT(!contains("192.168.1.0/24", "::ffff:192.168.1.1"));
	CU_ASSERT(!dnssd_cidr_contains(NULL, AF_INET, (const uint8_t *)"\0\0\0\0"));
}

/* ------------------------------------------------------------ maps */

/* A map from (from, to) rows. */
#define MAP(rows) map(rows, sizeof(rows) / sizeof(rows[0]))

static struct dnssd_addrmap *map(const char *const (*rows)[2], size_t n)
{
	struct dnssd_addrmap *m = dnssd_addrmap_new();
	CU_ASSERT_FATAL(m != NULL);
	for (size_t i = 0; i < n; i++) {
		struct dnssd_cidr f = cidr(rows[i][0]), t = cidr(rows[i][1]);
		CU_ASSERT_EQUAL_FATAL(dnssd_addrmap_add(m, &f, &t), 0);
	}
	CU_ASSERT_EQUAL(dnssd_addrmap_count(m), n);
	return m;
}

/* Apply m to in; want NULL means no entry matches and in stays. */
static void assert_maps(const struct dnssd_addrmap *m, const char *in, const char *want)
{
	uint8_t a[16], w[16];
	int af = addr(in, a);
	addr(want ? want : in, w);
	CU_ASSERT_EQUAL(dnssd_addrmap_apply(m, af, a), want != NULL);
	if (memcmp(a, w, 16) != 0) {
		char buf[INET6_ADDRSTRLEN];
		inet_ntop(af, a, buf, sizeof(buf));
		fprintf(stderr, "\n    %s -> %s, want %s\n", in, buf, want ? want : in);
	}
	CU_ASSERT(memcmp(a, w, 16) == 0);
}

static void test_map_v4(void)
{
	static const char *const design[][2] = {
	    {"192.168.1.0/24", "10.101.1.0/24"},
	};
	struct dnssd_addrmap *m = MAP(design);
	assert_maps(m, "192.168.1.12", "10.101.1.12");
	assert_maps(m, "192.168.1.0", "10.101.1.0");
	assert_maps(m, "192.168.1.255", "10.101.1.255");
	assert_maps(m, "192.168.2.12", NULL);
	assert_maps(m, "10.101.1.12", NULL);
	assert_maps(m, "2001:db8::1", NULL);
	dnssd_addrmap_free(m);

	static const char *const wide[][2] = {
	    {"192.168.0.0/16", "10.101.0.0/16"},
	};
	m = MAP(wide);
	assert_maps(m, "192.168.3.4", "10.101.3.4");
	assert_maps(m, "192.169.3.4", NULL);
	dnssd_addrmap_free(m);

	/* Prefixes that do not end on a byte. */
	static const char *const odd[][2] = {
	    {"172.16.16.0/20", "10.0.32.0/20"},
	    {"192.0.2.4/30", "198.51.100.8/30"},
	};
	m = MAP(odd);
	assert_maps(m, "172.16.17.5", "10.0.33.5");
	assert_maps(m, "172.16.31.255", "10.0.47.255");
	assert_maps(m, "172.16.32.1", NULL);
	assert_maps(m, "192.0.2.7", "198.51.100.11");
	assert_maps(m, "192.0.2.8", NULL);
	dnssd_addrmap_free(m);

	/* A single host. */
	static const char *const one[][2] = {
	    {"192.168.1.12/32", "10.9.9.9/32"},
	};
	m = MAP(one);
	assert_maps(m, "192.168.1.12", "10.9.9.9");
	assert_maps(m, "192.168.1.13", NULL);
	dnssd_addrmap_free(m);
}

static void test_map_v6(void)
{
	static const char *const pairs[][2] = {
	    {"2001:db8:1::/64", "fd00:101::/64"},
	    {"2001:db8:2::/48", "fd00:202::/48"},
	    {"2001:db8:3:ab00::/56", "fd00:303:0:cd00::/56"},
	};
	struct dnssd_addrmap *m = MAP(pairs);
	/* The interface identifier is kept. */
	assert_maps(m, "2001:db8:1::1c2b:3aff:fe44:5566",
	            "fd00:101::1c2b:3aff:fe44:5566");
	assert_maps(m, "2001:db8:2:7::1", "fd00:202:0:7::1");
	assert_maps(m, "2001:db8:3:abff::1", "fd00:303:0:cdff::1");
	assert_maps(m, "2001:db8:3:ac00::1", NULL);
	assert_maps(m, "2001:db8:1:1::1", NULL);
	assert_maps(m, "192.168.1.12", NULL);
	dnssd_addrmap_free(m);

	static const char *const p127[][2] = {
	    {"2001:db8::/127", "fd00::10/127"},
	};
	m = MAP(p127);
	assert_maps(m, "2001:db8::1", "fd00::11");
	assert_maps(m, "2001:db8::2", NULL);
	dnssd_addrmap_free(m);
}

static void test_map_first_match(void)
{
	static const char *const narrow_first[][2] = {
	    {"192.168.1.0/24", "10.1.1.0/24"},
	    {"192.168.0.0/16", "10.2.0.0/16"},
	};
	struct dnssd_addrmap *m = MAP(narrow_first);
	assert_maps(m, "192.168.1.5", "10.1.1.5");
	assert_maps(m, "192.168.7.5", "10.2.7.5");
	dnssd_addrmap_free(m);

	static const char *const wide_first[][2] = {
	    {"192.168.0.0/16", "10.2.0.0/16"},
	    {"192.168.1.0/24", "10.1.1.0/24"},
	};
	m = MAP(wide_first);
	assert_maps(m, "192.168.1.5", "10.2.1.5");
	dnssd_addrmap_free(m);

	/* An address is mapped once: no chaining through a second entry. */
	static const char *const chain[][2] = {
	    {"192.168.1.0/24", "192.168.2.0/24"},
	    {"192.168.2.0/24", "10.0.2.0/24"},
	};
	m = MAP(chain);
	assert_maps(m, "192.168.1.9", "192.168.2.9");
	assert_maps(m, "192.168.2.9", "10.0.2.9");
	dnssd_addrmap_free(m);
}

static void test_map_zero(void)
{
	/* /0 matches everything of its family, changes nothing, ends the search. */
	static const char *const pairs[][2] = {
	    {"0.0.0.0/0", "0.0.0.0/0"},
	    {"192.168.1.0/24", "10.101.1.0/24"},
	    {"::/0", "::/0"},
	};
	struct dnssd_addrmap *m = MAP(pairs);
	assert_maps(m, "192.168.1.12", "192.168.1.12");
	assert_maps(m, "2001:db8::1", "2001:db8::1");
	dnssd_addrmap_free(m);
}

static void test_map_add_errors(void)
{
	struct dnssd_addrmap *m = dnssd_addrmap_new();
	CU_ASSERT_FATAL(m != NULL);
	struct dnssd_cidr v4 = cidr("192.168.1.0/24"), v4b = cidr("10.101.0.0/16");
	struct dnssd_cidr v6 = cidr("2001:d00::/24");
	CU_ASSERT_EQUAL(dnssd_addrmap_add(m, &v4, &v4b), -EINVAL);
	CU_ASSERT_EQUAL(dnssd_addrmap_add(m, &v4, &v6), -EINVAL);
	CU_ASSERT_EQUAL(dnssd_addrmap_add(m, &v6, &v4), -EINVAL);
	struct dnssd_cidr bad = v4;
	bad.af = AF_UNIX;
	CU_ASSERT_EQUAL(dnssd_addrmap_add(m, &bad, &bad), -EINVAL);
	bad = v4;
	bad.plen = 33;
	CU_ASSERT_EQUAL(dnssd_addrmap_add(m, &bad, &bad), -EINVAL);
	CU_ASSERT_EQUAL(dnssd_addrmap_count(m), 0);
	uint8_t a[16];
	addr("192.168.1.12", a);
	CU_ASSERT(!dnssd_addrmap_apply(m, AF_INET, a));
	CU_ASSERT(!dnssd_addrmap_apply(NULL, AF_INET, a));
	CU_ASSERT_EQUAL(dnssd_addrmap_count(NULL), 0);
	dnssd_addrmap_free(m);
	dnssd_addrmap_free(NULL);
}

static void test_map_many(void)
{
	struct dnssd_addrmap *m = dnssd_addrmap_new();
	CU_ASSERT_FATAL(m != NULL);
	char f[32], t[32];
	for (int i = 0; i < 200; i++) {
		snprintf(f, sizeof(f), "10.%d.%d.0/24", i / 256, i % 256);
		snprintf(t, sizeof(t), "172.16.%d.0/24", i);
		struct dnssd_cidr cf = cidr(f), ct = cidr(t);
		CU_ASSERT_EQUAL_FATAL(dnssd_addrmap_add(m, &cf, &ct), 0);
	}
	CU_ASSERT_EQUAL(dnssd_addrmap_count(m), 200);
	assert_maps(m, "10.0.0.1", "172.16.0.1");
	assert_maps(m, "10.0.199.77", "172.16.199.77");
	assert_maps(m, "10.0.200.1", NULL);
	dnssd_addrmap_free(m);
}

/* ------------------------------------------------------------ link-local */

static bool ll(const char *text)
{
	uint8_t a[16];
	int af = addr(text, a);
	return dnssd_addr_is_linklocal(af, a);
}

static void test_linklocal(void)
{
	CU_ASSERT(!ll("169.253.255.255"));
	CU_ASSERT(ll("169.254.0.0"));
	CU_ASSERT(ll("169.254.1.17"));
	CU_ASSERT(ll("169.254.255.255"));
	CU_ASSERT(!ll("169.255.0.0"));
	CU_ASSERT(!ll("192.168.1.12"));
	CU_ASSERT(!ll("254.169.0.1"));

	CU_ASSERT(ll("fe80::"));
	CU_ASSERT(ll("fe80::1c2b:3aff:fe44:5566"));
	CU_ASSERT(ll("febf:ffff::"));
	CU_ASSERT(ll("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	CU_ASSERT(!ll("fec0::"));
	CU_ASSERT(!ll("fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	CU_ASSERT(!ll("ff02::fb"));
	CU_ASSERT(!ll("::1"));
	CU_ASSERT(!ll("2001:db8::1"));

	uint8_t a[16] = {169, 254, 1, 1};
	CU_ASSERT(!dnssd_addr_is_linklocal(AF_UNIX, a));
	CU_ASSERT(!dnssd_addr_is_linklocal(AF_INET, NULL));
}

static CU_TestInfo parse_tests[] = {
    {"good prefixes and addresses", test_parse_good},
    {"bad ones, with their messages", test_parse_bad},
    {"contains", test_contains},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo map_tests[] = {
    {"IPv4 /24, /16, /20, /30, /32", test_map_v4},
    {"IPv6 /64, /48, /56, /127", test_map_v6},
    {"first match wins", test_map_first_match},
    {"/0", test_map_zero},
    {"add errors, empty and NULL maps", test_map_add_errors},
    {"many entries", test_map_many},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo ll_tests[] = {
    {"169.254/16 and fe80::/10 edges", test_linklocal},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"addrmap: CIDR", NULL, NULL, NULL, NULL, parse_tests},
    {"addrmap: maps", NULL, NULL, NULL, NULL, map_tests},
    {"addrmap: link-local", NULL, NULL, NULL, NULL, ll_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
