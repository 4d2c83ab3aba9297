/*
 * test_avhconv.c: services between the engine and the Avahi module
 * (reflector/avhconv.h): every TXT string and address crosses, however many,
 * with its bytes; nothing is cut.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "reflector/avhconv.h"
#include "tests/unit/unit.h"

#define MANY_TXT 1000 /* more than any fixed array the two sides ever had */
#define MANY_ADDRS 40

static char txtbuf[MANY_TXT][16];

static void test_service_all_kept(void)
{
	static struct proxy_txt txt[MANY_TXT];
	static struct proxy_addr addrs[MANY_ADDRS];
	const char *subs[] = {"_universal", "_print"};
	for (size_t i = 0; i < MANY_TXT; i++) {
		int n = snprintf(txtbuf[i], sizeof(txtbuf[i]), "k%zu=v", i);
		txt[i] = (struct proxy_txt){(const uint8_t *)txtbuf[i], (size_t)n};
	}
	for (size_t i = 0; i < MANY_ADDRS; i++) {
		memset(&addrs[i], 0, sizeof(addrs[i]));
		addrs[i].af = i % 2 ? AF_INET6 : AF_INET;
		addrs[i].a[0] = 10;
		addrs[i].a[15] = (uint8_t)i;
	}
	struct proxy_service in = {
	    .name = "Printer A (manhattan)",
	    .type = "_ipp._tcp",
	    .domain = "local",
	    .host = "printer-manhattan.local",
	    .port = 631,
	    .txt = txt,
	    .ntxt = MANY_TXT,
	    .subtypes = subs,
	    .nsubtypes = 2,
	    .addrs = addrs,
	    .naddrs = MANY_ADDRS,
	};
	struct avhconv_service c;
	CU_ASSERT_EQUAL_FATAL(avhconv_service(&in, &c), 0);
	CU_ASSERT_STRING_EQUAL(c.svc.name, "Printer A (manhattan)");
	CU_ASSERT_STRING_EQUAL(c.svc.type, "_ipp._tcp");
	CU_ASSERT_STRING_EQUAL(c.svc.domain, "local");
	CU_ASSERT_STRING_EQUAL(c.svc.host, "printer-manhattan.local");
	CU_ASSERT_EQUAL(c.svc.port, 631);
	CU_ASSERT_EQUAL(c.svc.nsubtypes, 2);
	CU_ASSERT_STRING_EQUAL(c.svc.subtypes[1], "_print");
	CU_ASSERT_EQUAL_FATAL(c.svc.ntxt, MANY_TXT);
	for (size_t i = 0; i < MANY_TXT; i++) {
		CU_ASSERT_EQUAL(c.svc.txt[i].len, txt[i].len);
		CU_ASSERT(memcmp(c.svc.txt[i].data, txt[i].data, txt[i].len) == 0);
	}
	CU_ASSERT_EQUAL_FATAL(c.svc.naddrs, MANY_ADDRS);
	for (size_t i = 0; i < MANY_ADDRS; i++) {
		CU_ASSERT_EQUAL(c.svc.addrs[i].af, addrs[i].af);
		CU_ASSERT(memcmp(c.svc.addrs[i].a, addrs[i].a, 16) == 0);
	}
	avhconv_service_clear(&c);
	CU_ASSERT_PTR_NULL(c.txt);
	avhconv_service_clear(&c); /* twice is safe */
}

static void test_service_empty(void)
{
	struct proxy_service in = {.name = "x", .type = "_http._tcp", .host = "h.local"};
	struct avhconv_service c;
	CU_ASSERT_EQUAL_FATAL(avhconv_service(&in, &c), 0);
	CU_ASSERT_EQUAL(c.svc.ntxt, 0);
	CU_ASSERT_EQUAL(c.svc.naddrs, 0);
	CU_ASSERT_PTR_NULL(c.svc.domain);
	avhconv_service_clear(&c);
}

static void test_found_all_kept(void)
{
	static struct avh_txt txt[MANY_TXT];
	for (size_t i = 0; i < MANY_TXT; i++) {
		int n = snprintf(txtbuf[i], sizeof(txtbuf[i]), "f%zu", i);
		txt[i] = (struct avh_txt){(const uint8_t *)txtbuf[i], (size_t)n};
	}
	struct avh_found in = {
	    .event = AVH_NEW,
	    .ifindex = 2,
	    .af = AF_INET,
	    .name = "Scanner",
	    .type = "_scanner._tcp",
	    .domain = "local",
	    .host = "scanner.local",
	    .port = 8080,
	    .txt = txt,
	    .ntxt = MANY_TXT,
	};
	in.addr.af = AF_INET;
	CU_ASSERT_FATAL(inet_pton(AF_INET, "192.168.1.20", in.addr.a) == 1);
	struct avhconv_found c;
	CU_ASSERT_EQUAL_FATAL(avhconv_found(&in, &c), 0);
	CU_ASSERT_STRING_EQUAL(c.found.name, "Scanner");
	CU_ASSERT_STRING_EQUAL(c.found.type, "_scanner._tcp");
	CU_ASSERT_STRING_EQUAL(c.found.host, "scanner.local");
	CU_ASSERT_EQUAL(c.found.port, 8080);
	CU_ASSERT_EQUAL(c.found.addr.af, AF_INET);
	CU_ASSERT(memcmp(c.found.addr.a, in.addr.a, 16) == 0);
	CU_ASSERT_EQUAL_FATAL(c.found.ntxt, MANY_TXT);
	for (size_t i = 0; i < MANY_TXT; i++)
		CU_ASSERT(c.found.txt[i].len == txt[i].len &&
		          memcmp(c.found.txt[i].data, txt[i].data, txt[i].len) == 0);
	avhconv_found_clear(&c);
	struct avhconv_found zero;
	memset(&zero, 0, sizeof(zero));
	avhconv_found_clear(&zero);
}

static CU_TestInfo conv_tests[] = {
    {"an engine service: every TXT string and address kept", test_service_all_kept},
    {"an engine service without TXT or addresses", test_service_empty},
    {"a service found: every TXT string kept", test_found_all_kept},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"service conversions", NULL, NULL, NULL, NULL, conv_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
