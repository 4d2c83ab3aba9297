/* test_sent.c: what was sent to each remote (dnssd/sent.h), with exact times. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dnssd/msg.h"
#include "dnssd/sent.h"
#include "tests/unit/unit.h"

static ldns_rr *mkrr(const char *text)
{
	ldns_rr *rr = NULL;
	ldns_status st = ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL);
	CU_ASSERT_FATAL(st == LDNS_STATUS_OK);
	return rr;
}

/* The record with the cache-flush bit set, as unique records are announced. */
static ldns_rr *mkrr_flush(const char *text)
{
	ldns_rr *rr = mkrr(text);
	ldns_rr_set_class(rr, ldns_rr_get_class(rr) | DNSSD_CLASS_TOPBIT);
	return rr;
}

#define A10 "printer.local. 120 IN A 192.168.1.10"

static bool check(struct dnssd_sent *s, const char *text, bool flush, uint64_t now)
{
	ldns_rr *rr = flush ? mkrr_flush(text) : mkrr(text);
	bool r = dnssd_sent_check(s, rr, now);
	ldns_rr_free(rr);
	return r;
}

static void forget(struct dnssd_sent *s, const char *text)
{
	ldns_rr *rr = mkrr(text);
	dnssd_sent_forget(s, rr);
	ldns_rr_free(rr);
}

static void test_sent_new_and_repeat(void)
{
	struct dnssd_sent *s = dnssd_sent_new(100);
	CU_ASSERT_TRUE(check(s, A10, true, 0));
	CU_ASSERT_FALSE(check(s, A10, true, 1));
	CU_ASSERT_FALSE(check(s, "PRINTER.local. 120 IN A 192.168.1.10", true, 2));
	CU_ASSERT_EQUAL(dnssd_sent_count(s), 1);
	/* New rdata is a new record. */
	CU_ASSERT_TRUE(check(s, "printer.local. 120 IN A 192.168.1.11", true, 3));
	CU_ASSERT_EQUAL(dnssd_sent_count(s), 2);
	dnssd_sent_free(s);
	dnssd_sent_free(NULL);
}

static void test_sent_changed(void)
{
	struct dnssd_sent *s = dnssd_sent_new(100);
	CU_ASSERT_TRUE(check(s, A10, true, 0));
	CU_ASSERT_TRUE(check(s, "printer.local. 60 IN A 192.168.1.10", true, 10));
	CU_ASSERT_FALSE(check(s, "printer.local. 60 IN A 192.168.1.10", true, 20));
	CU_ASSERT_TRUE(check(s, "printer.local. 60 IN A 192.168.1.10", false, 30));
	CU_ASSERT_FALSE(check(s, "printer.local. 60 IN A 192.168.1.10", false, 40));
	CU_ASSERT_EQUAL(dnssd_sent_count(s), 1);
	dnssd_sent_free(s);
}

static void test_sent_half_ttl(void)
{
	struct dnssd_sent *s = dnssd_sent_new(100);
	CU_ASSERT_TRUE(check(s, A10, true, 1000));
	/* Half of 120 s is 60 s: at exactly half, not yet; one ms more, resend. */
	CU_ASSERT_FALSE(check(s, A10, true, 61000));
	CU_ASSERT_TRUE(check(s, A10, true, 61001));
	/* The send restarted the clock. */
	CU_ASSERT_FALSE(check(s, A10, true, 121001));
	CU_ASSERT_TRUE(check(s, A10, true, 121002));
	/* Odd TTL: half of 5 s is 2.5 s. */
	CU_ASSERT_TRUE(check(s, "a.local. 5 IN A 10.0.0.1", false, 0));
	CU_ASSERT_FALSE(check(s, "a.local. 5 IN A 10.0.0.1", false, 2500));
	CU_ASSERT_TRUE(check(s, "a.local. 5 IN A 10.0.0.1", false, 2501));
	dnssd_sent_free(s);
}

static void test_sent_goodbye(void)
{
	struct dnssd_sent *s = dnssd_sent_new(100);
	/* Never sent: the peer does not hold it, no goodbye to send. */
	CU_ASSERT_FALSE(check(s, "printer.local. 0 IN A 192.168.1.10", true, 0));
	CU_ASSERT_EQUAL(dnssd_sent_count(s), 0);

	CU_ASSERT_TRUE(check(s, A10, true, 0));
	CU_ASSERT_TRUE(check(s, "printer.local. 0 IN A 192.168.1.10", true, 100));
	CU_ASSERT_EQUAL(dnssd_sent_count(s), 0);
	/* Forgotten after its goodbye: a second goodbye is not sent, a return is. */
	CU_ASSERT_FALSE(check(s, "printer.local. 0 IN A 192.168.1.10", true, 200));
	CU_ASSERT_TRUE(check(s, A10, true, 300));
	dnssd_sent_free(s);
}

static void test_sent_clear_forget(void)
{
	struct dnssd_sent *s = dnssd_sent_new(100);
	CU_ASSERT_TRUE(check(s, A10, true, 0));
	CU_ASSERT_TRUE(check(s, "a.local. 120 IN A 10.0.0.1", true, 0));
	CU_ASSERT_TRUE(check(s, "b.local. 120 IN A 10.0.0.2", true, 0));

	forget(s, "a.local. 120 IN A 10.0.0.1");
	CU_ASSERT_EQUAL(dnssd_sent_count(s), 2);
	CU_ASSERT_TRUE(check(s, "a.local. 120 IN A 10.0.0.1", true, 10));
	CU_ASSERT_FALSE(check(s, "b.local. 120 IN A 10.0.0.2", true, 10));

	/* Link reset: everything goes again on resync. */
	dnssd_sent_clear(s);
	CU_ASSERT_EQUAL(dnssd_sent_count(s), 0);
	CU_ASSERT_TRUE(check(s, A10, true, 20));
	CU_ASSERT_TRUE(check(s, "a.local. 120 IN A 10.0.0.1", true, 20));
	CU_ASSERT_TRUE(check(s, "b.local. 120 IN A 10.0.0.2", true, 20));
	CU_ASSERT_FALSE(check(s, "b.local. 120 IN A 10.0.0.2", true, 30));
	CU_ASSERT_EQUAL(dnssd_sent_count(s), 3);
	dnssd_sent_free(s);
}

static void test_sent_expire(void)
{
	struct dnssd_sent *s = dnssd_sent_new(100);
	CU_ASSERT_TRUE(check(s, "a.local. 10 IN A 10.0.0.1", true, 0));
	CU_ASSERT_TRUE(check(s, "b.local. 20 IN A 10.0.0.2", true, 0));
	dnssd_sent_expire(s, 9999);
	CU_ASSERT_EQUAL(dnssd_sent_count(s), 2);
	dnssd_sent_expire(s, 10000);
	CU_ASSERT_EQUAL(dnssd_sent_count(s), 1);
	CU_ASSERT_TRUE(check(s, "a.local. 10 IN A 10.0.0.1", true, 10000));
	/* Both have had their full TTL by now: b since 0, a since it was sent again. */
	dnssd_sent_expire(s, 19999);
	CU_ASSERT_EQUAL(dnssd_sent_count(s), 2);
	dnssd_sent_expire(s, 20000);
	CU_ASSERT_EQUAL(dnssd_sent_count(s), 0);
	dnssd_sent_free(s);
}

static void test_sent_bound(void)
{
	struct dnssd_sent *s = dnssd_sent_new(2);
	CU_ASSERT_TRUE(check(s, "a.local. 10 IN A 10.0.0.1", true, 0));
	CU_ASSERT_TRUE(check(s, "b.local. 10 IN A 10.0.0.2", true, 1));
	/* a resent (half its TTL gone): b is now the oldest sent. */
	CU_ASSERT_TRUE(check(s, "a.local. 10 IN A 10.0.0.1", true, 5001));
	CU_ASSERT_TRUE(check(s, "c.local. 10 IN A 10.0.0.3", true, 5002));
	CU_ASSERT_EQUAL(dnssd_sent_count(s), 2);
	CU_ASSERT_FALSE(check(s, "a.local. 10 IN A 10.0.0.1", true, 5003));
	CU_ASSERT_FALSE(check(s, "c.local. 10 IN A 10.0.0.3", true, 5003));
	CU_ASSERT_TRUE(check(s, "b.local. 10 IN A 10.0.0.2", true, 5004));
	CU_ASSERT_EQUAL(dnssd_sent_count(s), 2);
	dnssd_sent_free(s);
}

static void test_sent_invalid(void)
{
	struct dnssd_sent *s = dnssd_sent_new(2);
	ldns_rr *bare = ldns_rr_new();
	CU_ASSERT_FALSE(dnssd_sent_check(s, bare, 0));
	CU_ASSERT_FALSE(dnssd_sent_check(s, NULL, 0));
	dnssd_sent_forget(s, bare);
	ldns_rr_free(bare);
	CU_ASSERT_EQUAL(dnssd_sent_count(s), 0);
	dnssd_sent_free(s);
}

/* A TXT record of about 1 KB, its last character given. */
static ldns_rr *long_txt(char last)
{
	char text[1200], s[251];
	memset(s, 'x', 250);
	s[250] = 0;
	snprintf(text, sizeof(text),
	         "big._http._tcp.local. 4500 IN TXT \"%s\" \"%s\" \"%s\" \"%s%c\"", s, s,
	         s, s + 1, last);
	return mkrr(text);
}

/* Records longer than any fixed key: the whole rdata tells them apart. */
static void test_sent_long_rdata(void)
{
	struct dnssd_sent *s = dnssd_sent_new(10);
	ldns_rr *a = long_txt('a'), *a2 = long_txt('a'), *b = long_txt('b');

	CU_ASSERT_TRUE(dnssd_sent_check(s, a, 0));
	CU_ASSERT_FALSE(dnssd_sent_check(s, a2, 10));
	CU_ASSERT_TRUE(dnssd_sent_check(s, b, 20));
	ldns_rr_free(a);
	ldns_rr_free(a2);
	ldns_rr_free(b);
	dnssd_sent_free(s);
}

static CU_TestInfo sent_tests[] = {
    {"new, repeat, case", test_sent_new_and_repeat},
    {"TTL or cache-flush changed", test_sent_changed},
    {"half the TTL, exactly", test_sent_half_ttl},
    {"goodbyes", test_sent_goodbye},
    {"clear and forget", test_sent_clear_forget},
    {"expire", test_sent_expire},
    {"bound forgets the oldest sent", test_sent_bound},
    {"invalid records", test_sent_invalid},
    {"long rdata", test_sent_long_rdata},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"sent", NULL, NULL, NULL, NULL, sent_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
