/*
 * test_backoff.c: the one capped doubling of a retry delay (reflector/backoff.h),
 * as the peer links, the DNS client and the wide-area export use it.
 */
#include "config.h"

#include "reflector/backoff.h"
#include "tests/unit/unit.h"

static void test_doubling_to_cap(void)
{
	uint64_t d = 1000;
	static const uint64_t want[] = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CU_ASSERT_EQUAL(backoff_next(&d, 1000, 60000), want[i]);
	CU_ASSERT_EQUAL(d, 60000);
}

static void test_zero_then_min(void)
{
	uint64_t d = 0;
	/* 0: try at once, then from min on */
	CU_ASSERT_EQUAL(backoff_next(&d, 500, 4000), 0);
	CU_ASSERT_EQUAL(backoff_next(&d, 500, 4000), 500);
	CU_ASSERT_EQUAL(backoff_next(&d, 500, 4000), 1000);
}

static void test_no_overflow(void)
{
	uint64_t d = UINT64_MAX / 2 + 1;
	CU_ASSERT_EQUAL(backoff_next(&d, 1, UINT64_MAX), UINT64_MAX / 2 + 1);
	CU_ASSERT_EQUAL(d, UINT64_MAX);
	CU_ASSERT_EQUAL(backoff_next(&d, 1, UINT64_MAX), UINT64_MAX);
	CU_ASSERT_EQUAL(d, UINT64_MAX);
}

static CU_TestInfo tests[] = {
    {"doubles up to the cap", test_doubling_to_cap},
    {"a delay of 0 is followed by the minimum", test_zero_then_min},
    {"a delay near the top does not wrap", test_no_overflow},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"backoff", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
