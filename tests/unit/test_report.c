/* test_report.c: the shared pieces of the status reports (reflector/report.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "reflector/report.h"
#include "tests/unit/unit.h"

static void json_of(const char *s, char *out, size_t cap)
{
	FILE *f = fmemopen(out, cap, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	report_json_str(f, s);
	fclose(f);
}

static void test_json_str(void)
{
	char out[128];
	json_of("Printer A (manhattan)", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "\"Printer A (manhattan)\"");
	json_of("a\"b\\c", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "\"a\\\"b\\\\c\"");
	/* a name cannot end a line or the string: control bytes are escaped */
	json_of("x\ny\x01", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "\"x\\u000ay\\u0001\"");
	/* UTF-8 is JSON as it is */
	json_of("B\xc3\xbcro", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "\"B\xc3\xbcro\"");
	json_of(NULL, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "\"\"");
}

static void test_time(void)
{
	char buf[32];
	report_time(0, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "never");
	report_time(1796418924, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "2026-12-04T21:15:24Z");
	/* too small a buffer: not a cut time stamp */
	char small[8];
	report_time(1796418924, small, sizeof(small));
	CU_ASSERT_STRING_EQUAL(small, "never");
}

static void test_prom_single(void)
{
	char out[256];
	FILE *f = fmemopen(out, sizeof(out), "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	report_prom_single(f, "sitecast_dns_up", "gauge", "Whether the server answers.",
	                   1);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(out, "# HELP sitecast_dns_up Whether the server answers.\n"
	                            "# TYPE sitecast_dns_up gauge\n"
	                            "sitecast_dns_up 1\n");
}

static CU_TestInfo report_tests[] = {
    {"JSON strings", test_json_str},
    {"time stamps", test_time},
    {"a Prometheus family of one sample", test_prom_single},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"report", NULL, NULL, NULL, NULL, report_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
