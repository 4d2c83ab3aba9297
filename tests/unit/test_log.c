/* test_log.c: the rate limit of log lines (reflector/log.c), its counts and its output.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "reflector/log.h"
#include "tests/unit/unit.h"

/* One line a window: the next line after the window reports what was held back. */
static void test_one_per_window(void)
{
	struct log_limit ll = LOG_LIMIT_INIT(1, 10);
	uint64_t sup = 99;

	CU_ASSERT_NOT_EQUAL(log_limit_pass_at(&ll, 1000000, &sup), LOG_LIMIT_QUIET);
	CU_ASSERT_EQUAL(sup, 0);
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(log_limit_pass_at(&ll, 1000000 + i * 1000, &sup),
		                LOG_LIMIT_QUIET);
	CU_ASSERT_EQUAL(log_limit_pass_at(&ll, 1009000, &sup), LOG_LIMIT_QUIET);
	CU_ASSERT_NOT_EQUAL(log_limit_pass_at(&ll, 1010000, &sup), LOG_LIMIT_QUIET);
	CU_ASSERT_EQUAL(sup, 6);
	/* The count starts again with each line that passes. */
	CU_ASSERT_NOT_EQUAL(log_limit_pass_at(&ll, 5000000, &sup), LOG_LIMIT_QUIET);
	CU_ASSERT_EQUAL(sup, 0);
}

/* A burst: burst lines a window, the last of them marked, then silence. */
static void test_burst(void)
{
	struct log_limit ll = LOG_LIMIT_INIT(3, 60);
	uint64_t sup = 0;

	/* The first line starts a window whatever the clock says, 0 included. */
	CU_ASSERT_EQUAL(log_limit_pass_at(&ll, 0, &sup), LOG_LIMIT_PASS);
	CU_ASSERT_EQUAL(log_limit_pass_at(&ll, 1000, &sup), LOG_LIMIT_PASS);
	CU_ASSERT_EQUAL(log_limit_pass_at(&ll, 2000, &sup), LOG_LIMIT_LAST);
	for (int i = 0; i < 100; i++)
		CU_ASSERT_EQUAL(log_limit_pass_at(&ll, 30000, &sup), LOG_LIMIT_QUIET);
	CU_ASSERT_EQUAL(log_limit_pass_at(&ll, 59000, &sup), LOG_LIMIT_QUIET);
	/* The window began at 0: from 60 on, three lines again. */
	CU_ASSERT_EQUAL(log_limit_pass_at(&ll, 60000, &sup), LOG_LIMIT_PASS);
	CU_ASSERT_EQUAL(sup, 101);
	CU_ASSERT_EQUAL(log_limit_pass_at(&ll, 61000, &sup), LOG_LIMIT_PASS);
	CU_ASSERT_EQUAL(sup, 0);
	/* A NULL count is allowed. */
	CU_ASSERT_EQUAL(log_limit_pass_at(&ll, 62000, NULL), LOG_LIMIT_LAST);
}

/* The count of a window that ended with no line after it, for a summary. */
static void test_flush(void)
{
	struct log_limit ll = LOG_LIMIT_INIT(2, 1);
	uint64_t sup = 0;

	CU_ASSERT_EQUAL(log_limit_flush_at(&ll, 100000), 0); /* nothing yet */
	CU_ASSERT_NOT_EQUAL(log_limit_pass_at(&ll, 100000, &sup), LOG_LIMIT_QUIET);
	CU_ASSERT_NOT_EQUAL(log_limit_pass_at(&ll, 100000, &sup), LOG_LIMIT_QUIET);
	for (int i = 0; i < 7; i++)
		CU_ASSERT_EQUAL(log_limit_pass_at(&ll, 100000, &sup), LOG_LIMIT_QUIET);
	/* still the same second: nothing to say yet */
	CU_ASSERT_EQUAL(log_limit_flush_at(&ll, 100000), 0);
	CU_ASSERT_EQUAL(log_limit_flush_at(&ll, 101000), 7);
	/* said once: neither a second flush nor the next line repeats it */
	CU_ASSERT_EQUAL(log_limit_flush_at(&ll, 102000), 0);
	CU_ASSERT_NOT_EQUAL(log_limit_pass_at(&ll, 103000, &sup), LOG_LIMIT_QUIET);
	CU_ASSERT_EQUAL(sup, 0);

	/* A window lasts its length from its first line, not to the next whole second. */
	struct log_limit one = LOG_LIMIT_INIT(1, 1);
	CU_ASSERT_NOT_EQUAL(log_limit_pass_at(&one, 200900, &sup), LOG_LIMIT_QUIET);
	CU_ASSERT_EQUAL(log_limit_pass_at(&one, 201000, &sup), LOG_LIMIT_QUIET);
	CU_ASSERT_EQUAL(log_limit_flush_at(&one, 201899), 0);
	CU_ASSERT_NOT_EQUAL(log_limit_pass_at(&one, 201900, &sup), LOG_LIMIT_QUIET);
	CU_ASSERT_EQUAL(sup, 1);
}

/* Read back what the log wrote to stderr (log_init(1, ...): foreground). */
static size_t capture(void (*fn)(void), char *out, size_t cap)
{
	FILE *tmp = tmpfile();
	CU_ASSERT_PTR_NOT_NULL_FATAL(tmp);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	CU_ASSERT_FATAL(saved >= 0);
	dup2(fileno(tmp), STDERR_FILENO);
	fn();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	size_t n = fread(out, 1, cap - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return n;
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void flood(void)
{
	/* One window on the real clock: a test does not last 3600 s. */
	struct log_limit ll = LOG_LIMIT_INIT(2, 3600);
	for (int i = 0; i < 50; i++)
		log_limit_warnx(&ll, "send failed: attempt %d", i);
}

static void flood_errno(void)
{
	struct log_limit ll = LOG_LIMIT_INIT(1, 3600);
	errno = ENETUNREACH;
	log_limit_warn(&ll, "mDNS receive (%s)", "IPv4");
	log_limit_warn(&ll, "mDNS receive (%s)", "IPv4");
	/* Forcing the window over: the next line says one was not shown. */
	ll.start_ms -= 3600 * 1000;
	errno = ENETUNREACH;
	log_limit_warn(&ll, "mDNS receive (%s)", "IPv6");
}

static void test_output(void)
{
	char out[8192];
	log_init(1, 0, "test_log");
	capture(flood, out, sizeof(out));
	CU_ASSERT_EQUAL(count_of(out, "send failed"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "send failed: attempt 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "send failed: attempt 1\n"));
	CU_ASSERT_PTR_NULL(strstr(out, "attempt 2"));

	capture(flood_errno, out, sizeof(out));
	CU_ASSERT_EQUAL(count_of(out, "mDNS receive"), 2);
	char want[256];
	snprintf(want, sizeof(want), "mDNS receive (IPv4): %s\n", strerror(ENETUNREACH));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
	snprintf(want, sizeof(want), "mDNS receive (IPv6): %s (1 more not shown)\n",
	         strerror(ENETUNREACH));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
}

/* Text from the network is made safe for a log line or a terminal. */
static void test_clean(void)
{
	char s1[] = "Printer\n\x1b[31mA\x7f \xc3\xa9t\xc3\xa9";
	CU_ASSERT_PTR_EQUAL(log_clean(s1, LOG_CLEAN_CONTROL), s1);
	/* control bytes go, UTF-8 stays */
	CU_ASSERT_STRING_EQUAL(s1, "Printer??[31mA? \xc3\xa9t\xc3\xa9");

	char s2[] = "bye\r\n \xc3\xa9t\xc3\xa9~";
	log_clean(s2, LOG_CLEAN_ASCII);
	/* printable ASCII only */
	CU_ASSERT_STRING_EQUAL(s2, "bye?? ??t??~");

	char s3[] = "";
	CU_ASSERT_STRING_EQUAL(log_clean(s3, LOG_CLEAN_CONTROL), "");
	CU_ASSERT_PTR_NULL(log_clean(NULL, LOG_CLEAN_ASCII));
}

static CU_TestInfo limit_tests[] = {
    {"one line a window, the count in the next", test_one_per_window},
    {"a burst of lines a window, the last marked", test_burst},
    {"the count of a window with no line after it", test_flush},
    {"what the limited warnings write", test_output},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo clean_tests[] = {
    {"control bytes, or all but printable ASCII, become '?'", test_clean},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"log rate limit", NULL, NULL, NULL, NULL, limit_tests},
    {"log text cleaning", NULL, NULL, NULL, NULL, clean_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
