/* test_cache.c: the record cache (dnssd/cache.h), with exact times. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "dnssd/cache.h"
#include "dnssd/msg.h"
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

/*
 * The record of e, built again (dnssd_entry_rr_new), held until the next call;
 * rr_of(NULL) lets the last one go.
 */
static const ldns_rr *rr_of(const struct dnssd_entry *e)
{
	static ldns_rr *held;
	ldns_rr_free(held);
	held = e ? dnssd_entry_rr_new(e) : NULL;
	if (e)
		CU_ASSERT_FATAL(held != NULL);
	return held;
}

static int put_entry(struct dnssd_cache *c, const char *text, bool flush, uint32_t origin,
                     uint64_t now, struct dnssd_entry **e)
{
	ldns_rr *rr = flush ? mkrr_flush(text) : mkrr(text);
	int r = dnssd_cache_put(c, rr, origin, now, e, NULL, NULL);
	ldns_rr_free(rr);
	return r;
}

static int put(struct dnssd_cache *c, const char *text, uint64_t now)
{
	return put_entry(c, text, false, 1, now, NULL);
}

static struct dnssd_entry *get(struct dnssd_cache *c, const char *text)
{
	ldns_rr *rr = mkrr(text);
	struct dnssd_entry *e = dnssd_cache_get(c, rr);
	ldns_rr_free(rr);
	return e;
}

static size_t find(struct dnssd_cache *c, const char *name, uint16_t type, uint16_t klass,
                   uint64_t now)
{
	ldns_rdf *n = ldns_dname_new_frm_str(name);
	CU_ASSERT_FATAL(n != NULL);
	size_t r = dnssd_cache_find(c, n, type, klass, now, NULL, 0);
	ldns_rdf_deep_free(n);
	return r;
}

/* Callback recorder: the records handed to a callback, in order. */
struct seen {
	size_t n;
	char what[16][128];
	uint64_t expires[16];
};

static void record_cb(void *arg, struct dnssd_entry *e)
{
	struct seen *s = arg;
	if (s->n < 16) {
		char *txt = ldns_rdf2str(ldns_rr_rdf(rr_of(e), 0));
		snprintf(s->what[s->n], sizeof(s->what[0]), "%s", txt ? txt : "?");
		free(txt);
		s->expires[s->n] = dnssd_entry_expires(e);
	}
	s->n++;
}

/* ---------------------------------------------------------------- cache */

#define A10 "printer.local. 120 IN A 192.168.1.10"

static void test_put_results(void)
{
	struct dnssd_cache *c = dnssd_cache_new(100);
	struct dnssd_entry *e = NULL, *e2 = NULL;

	CU_ASSERT_EQUAL(put_entry(c, A10, false, 1, 0, &e), DNSSD_PUT_NEW);
	CU_ASSERT_PTR_NOT_NULL(e);
	CU_ASSERT_EQUAL(put_entry(c, A10, false, 1, 10, &e2), DNSSD_PUT_REFRESHED);
	CU_ASSERT_PTR_EQUAL(e, e2);
	CU_ASSERT_EQUAL(put(c, "printer.local. 60 IN A 192.168.1.10", 20),
	                DNSSD_PUT_CHANGED);
	CU_ASSERT_EQUAL(
	    put_entry(c, "printer.local. 60 IN A 192.168.1.10", true, 1, 30, NULL),
	    DNSSD_PUT_CHANGED);
	CU_ASSERT_EQUAL(
	    put_entry(c, "printer.local. 60 IN A 192.168.1.10", true, 1, 40, NULL),
	    DNSSD_PUT_REFRESHED);
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 1);
	/* The entry holds the record as last put: TTL and cache-flush bit. */
	CU_ASSERT_EQUAL(ldns_rr_ttl(rr_of(e)), 60);
	CU_ASSERT_TRUE(dnssd_rr_cache_flush(rr_of(e)));
	CU_ASSERT_EQUAL(dnssd_entry_updated(e), 40);
	CU_ASSERT_EQUAL(dnssd_entry_expires(e), 60040);
	CU_ASSERT_EQUAL(dnssd_entry_origin(e), 1);

	CU_ASSERT_EQUAL(put(c, "printer.local. 120 IN A 192.168.1.11", 50),
	                DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 2);
	rr_of(NULL);
	dnssd_cache_free(c);
}

static void test_invalid(void)
{
	struct dnssd_cache *c = dnssd_cache_new(10);
	struct dnssd_entry *e = (struct dnssd_entry *)&e;
	CU_ASSERT_EQUAL(dnssd_cache_put(c, NULL, 0, 0, &e, NULL, NULL), -EINVAL);
	CU_ASSERT_PTR_NULL(e);
	ldns_rr *bare = ldns_rr_new(); /* no owner name */
	CU_ASSERT_EQUAL(dnssd_cache_put(c, bare, 0, 0, NULL, NULL, NULL), -EINVAL);
	CU_ASSERT_PTR_NULL(dnssd_cache_get(c, bare));
	ldns_rr_free(bare);
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 0);
	rr_of(NULL);
	dnssd_cache_free(c);
	dnssd_cache_free(NULL);
}

static void test_expiry_exact(void)
{
	struct dnssd_cache *c = dnssd_cache_new(100);
	struct dnssd_entry *e;
	struct seen s = {0};

	CU_ASSERT_EQUAL(put_entry(c, A10, false, 1, 1000, &e), DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(dnssd_entry_expires(e), 121000);
	CU_ASSERT_EQUAL(dnssd_entry_ttl_left(e, 1000), 120);
	CU_ASSERT_EQUAL(dnssd_entry_ttl_left(e, 1001), 119);
	CU_ASSERT_EQUAL(dnssd_entry_ttl_left(e, 120000), 1);
	CU_ASSERT_EQUAL(dnssd_entry_ttl_left(e, 120001), 0);

	CU_ASSERT_EQUAL(dnssd_cache_expire(c, 120999, record_cb, &s), 121000);
	CU_ASSERT_EQUAL(s.n, 0);
	CU_ASSERT_EQUAL(find(c, "printer.local.", LDNS_RR_TYPE_A, 0, 120999), 1);
	/* Expired but not collected: find skips it already. */
	CU_ASSERT_EQUAL(find(c, "printer.local.", LDNS_RR_TYPE_A, 0, 121000), 0);
	CU_ASSERT_EQUAL(dnssd_entry_ttl_left(e, 121000), 0);

	CU_ASSERT_EQUAL(dnssd_cache_expire(c, 121000, record_cb, &s), UINT64_MAX);
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_STRING_EQUAL(s.what[0], "192.168.1.10");
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 0);
	CU_ASSERT_PTR_NULL(get(c, A10));
	rr_of(NULL);
	dnssd_cache_free(c);
}

static void test_refresh_restarts_ttl(void)
{
	struct dnssd_cache *c = dnssd_cache_new(100);
	struct seen s = {0};

	CU_ASSERT_EQUAL(put(c, "a.local. 10 IN A 10.0.0.1", 0), DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(put(c, "b.local. 20 IN A 10.0.0.2", 0), DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(dnssd_cache_expire(c, 0, NULL, NULL), 10000);
	CU_ASSERT_EQUAL(put(c, "a.local. 10 IN A 10.0.0.1", 8000), DNSSD_PUT_REFRESHED);
	/* a now expires at 18000, after b. */
	CU_ASSERT_EQUAL(dnssd_cache_expire(c, 10000, record_cb, &s), 18000);
	CU_ASSERT_EQUAL(s.n, 0);
	CU_ASSERT_EQUAL(dnssd_cache_expire(c, 18000, record_cb, &s), 20000);
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_STRING_EQUAL(s.what[0], "10.0.0.1");
	CU_ASSERT_EQUAL(dnssd_cache_expire(c, 20000, record_cb, &s), UINT64_MAX);
	CU_ASSERT_EQUAL(s.n, 2);
	rr_of(NULL);
	dnssd_cache_free(c);
}

static void test_goodbye(void)
{
	struct dnssd_cache *c = dnssd_cache_new(100);
	struct dnssd_entry *e = NULL, *g = NULL;
	struct seen s = {0};

	CU_ASSERT_EQUAL(put_entry(c, A10, false, 1, 0, &e), DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(
	    put_entry(c, "printer.local. 0 IN A 192.168.1.10", false, 1, 5000, &g),
	    DNSSD_PUT_GOODBYE);
	CU_ASSERT_PTR_EQUAL(e, g);
	CU_ASSERT_TRUE(dnssd_entry_is_goodbye(e));
	CU_ASSERT_EQUAL(dnssd_entry_ttl_left(e, 5000), 0);
	CU_ASSERT_EQUAL(ldns_rr_ttl(rr_of(e)), 0);
	/* One second more, then gone. */
	CU_ASSERT_EQUAL(dnssd_cache_expire(c, 5999, record_cb, &s), 6000);
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 1);
	CU_ASSERT_EQUAL(dnssd_cache_expire(c, 6000, record_cb, &s), UINT64_MAX);
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 0);

	/* A goodbye for something not cached is ignored. */
	g = (struct dnssd_entry *)&g;
	CU_ASSERT_EQUAL(
	    put_entry(c, "other.local. 0 IN A 192.168.1.99", false, 1, 7000, &g),
	    DNSSD_PUT_IGNORED);
	CU_ASSERT_PTR_NULL(g);
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 0);

	/* Announced again within the second: back to a live record. */
	CU_ASSERT_EQUAL(put(c, A10, 10000), DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(put(c, "printer.local. 0 IN A 192.168.1.10", 11000),
	                DNSSD_PUT_GOODBYE);
	CU_ASSERT_EQUAL(put_entry(c, A10, false, 1, 11500, &e), DNSSD_PUT_CHANGED);
	CU_ASSERT_FALSE(dnssd_entry_is_goodbye(e));
	CU_ASSERT_EQUAL(dnssd_entry_expires(e), 131500);
	CU_ASSERT_EQUAL(dnssd_cache_expire(c, 12000, NULL, NULL), 131500);
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 1);
	rr_of(NULL);
	dnssd_cache_free(c);
}

static void test_goodbye_after_expiry(void)
{
	struct dnssd_cache *c = dnssd_cache_new(100);
	CU_ASSERT_EQUAL(put(c, "a.local. 2 IN A 10.0.0.1", 0), DNSSD_PUT_NEW);
	/* Expired at 2000 though not collected yet: nothing to say goodbye to. */
	CU_ASSERT_EQUAL(put(c, "a.local. 0 IN A 10.0.0.1", 2000), DNSSD_PUT_IGNORED);
	CU_ASSERT_EQUAL(dnssd_cache_expire(c, 2000, NULL, NULL), UINT64_MAX);
	rr_of(NULL);
	dnssd_cache_free(c);
}

static void test_expired_put_is_new(void)
{
	struct dnssd_cache *c = dnssd_cache_new(100);
	struct dnssd_entry *e, *e2;
	CU_ASSERT_EQUAL(put_entry(c, "a.local. 1 IN A 10.0.0.1", false, 1, 0, &e),
	                DNSSD_PUT_NEW);
	dnssd_entry_set_aux(e, 0, 42);
	CU_ASSERT_EQUAL(put_entry(c, "a.local. 1 IN A 10.0.0.1", false, 1, 1000, &e2),
	                DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(dnssd_entry_aux(e2, 0), 0);
	CU_ASSERT_EQUAL(dnssd_entry_expires(e2), 2000);
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 1);
	rr_of(NULL);
	dnssd_cache_free(c);
}

#define SRV(h) "Printer\\ A._ipp._tcp.local. 120 IN SRV 0 0 631 " h
static void test_cache_flush(void)
{
	struct dnssd_cache *c = dnssd_cache_new(100);
	struct dnssd_entry *a10, *a11, *a12, *aaaa, *other, *ch;
	struct seen s = {0};

	CU_ASSERT_EQUAL(put_entry(c, A10, false, 1, 0, &a10), DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(
	    put_entry(c, "printer.local. 120 IN AAAA 2001:db8::1", false, 1, 0, &aaaa),
	    DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(
	    put_entry(c, "printer.local. 120 IN A 192.168.1.20", false, 2, 0, &other),
	    DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(
	    put_entry(c, "printer.local. 120 CH A 192.168.1.30", false, 1, 0, &ch),
	    DNSSD_PUT_NEW);

	/* Exactly one second after a10 was put: not "more than one second ago". */
	CU_ASSERT_EQUAL(
	    put_entry(c, "printer.local. 120 IN A 192.168.1.11", true, 1, 1000, &a11),
	    DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(dnssd_entry_expires(a10), 120000);

	/* One millisecond later it is: a10 goes in one second, a11 (put 1 ms ago) stays.
	 */
	CU_ASSERT_EQUAL(
	    put_entry(c, "printer.local. 120 IN A 192.168.1.12", true, 1, 1001, &a12),
	    DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(dnssd_entry_expires(a10), 2001);
	CU_ASSERT_EQUAL(dnssd_entry_expires(a11), 121000);
	CU_ASSERT_EQUAL(dnssd_entry_expires(a12), 121001);
	/* Other type, other origin, other class: untouched. */
	CU_ASSERT_EQUAL(dnssd_entry_expires(aaaa), 120000);
	CU_ASSERT_EQUAL(dnssd_entry_expires(other), 120000);
	CU_ASSERT_EQUAL(dnssd_entry_expires(ch), 120000);
	CU_ASSERT_FALSE(dnssd_entry_is_goodbye(a10));

	CU_ASSERT_EQUAL(dnssd_cache_expire(c, 2000, record_cb, &s), 2001);
	CU_ASSERT_EQUAL(dnssd_cache_expire(c, 2001, record_cb, &s), 120000);
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_STRING_EQUAL(s.what[0], "192.168.1.10");
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 5);
	rr_of(NULL);
	dnssd_cache_free(c);
}

static void test_cache_flush_never_extends(void)
{
	struct dnssd_cache *c = dnssd_cache_new(100);
	struct dnssd_entry *old;
	CU_ASSERT_EQUAL(
	    put_entry(c, "Printer\\ A._ipp._tcp.local. 2 IN SRV 0 0 631 old.local.",
	              false, 1, 10, &old),
	    DNSSD_PUT_NEW);
	/* old expires at 2010; a flush at 1500 would say 2500: keep 2010. */
	CU_ASSERT_EQUAL(put_entry(c, SRV("new.local."), true, 1, 1500, NULL),
	                DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(dnssd_entry_expires(old), 2010);
	rr_of(NULL);
	dnssd_cache_free(c);
}

static void test_cache_flush_refresh_spares_self(void)
{
	struct dnssd_cache *c = dnssd_cache_new(100);
	struct dnssd_entry *e;
	CU_ASSERT_EQUAL(put_entry(c, SRV("host.local."), true, 1, 0, &e), DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(put_entry(c, SRV("host.local."), true, 1, 60000, NULL),
	                DNSSD_PUT_REFRESHED);
	CU_ASSERT_EQUAL(dnssd_entry_expires(e), 180000);
	rr_of(NULL);
	dnssd_cache_free(c);
}

static void test_goodbye_does_not_flush(void)
{
	struct dnssd_cache *c = dnssd_cache_new(100);
	struct dnssd_entry *a10;
	CU_ASSERT_EQUAL(put_entry(c, A10, true, 1, 0, &a10), DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(
	    put_entry(c, "printer.local. 120 IN A 192.168.1.11", true, 1, 0, NULL),
	    DNSSD_PUT_NEW);
	/* One address withdrawn (with the cache-flush bit, as responders send it). */
	CU_ASSERT_EQUAL(
	    put_entry(c, "printer.local. 0 IN A 192.168.1.11", true, 1, 5000, NULL),
	    DNSSD_PUT_GOODBYE);
	CU_ASSERT_EQUAL(dnssd_entry_expires(a10), 120000);
	rr_of(NULL);
	dnssd_cache_free(c);
}

static void test_case_insensitive(void)
{
	struct dnssd_cache *c = dnssd_cache_new(100);
	struct dnssd_entry *e;

	CU_ASSERT_EQUAL(
	    put_entry(c, "Printer.LOCAL. 120 IN A 192.168.1.10", false, 1, 0, &e),
	    DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(put(c, A10, 10), DNSSD_PUT_REFRESHED);
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 1);
	/* The entry keeps the record as last put, spelling included. */
	char *owner = ldns_rdf2str(ldns_rr_owner(rr_of(e)));
	CU_ASSERT_STRING_EQUAL(owner, "printer.local.");
	free(owner);
	CU_ASSERT_EQUAL(find(c, "PRINTER.local.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 20),
	                1);

	/* Names inside rdata too: PTR target, SRV target. */
	CU_ASSERT_EQUAL(
	    put(c, "_ipp._tcp.local. 4500 IN PTR Printer\\ A._ipp._tcp.local.", 0),
	    DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(
	    put(c, "_IPP._tcp.local. 4500 IN PTR printer\\ a._ipp._TCP.local.", 1),
	    DNSSD_PUT_REFRESHED);
	CU_ASSERT_EQUAL(put(c, SRV("Printer.local."), 0), DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(put_entry(c, SRV("printer.local."), false, 1, 1, &e),
	                DNSSD_PUT_REFRESHED);
	char *target = ldns_rdf2str(ldns_rr_rdf(rr_of(e), 3));
	CU_ASSERT_STRING_EQUAL(target, "printer.local.");
	free(target);
	/* Only ASCII letters fold (RFC 6762 §16): é and É are different names. */
	CU_ASSERT_EQUAL(put(c, "caf\\195\\169.local. 120 IN A 10.0.0.1", 0),
	                DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(put(c, "CAF\\195\\169.local. 120 IN A 10.0.0.1", 0),
	                DNSSD_PUT_REFRESHED);
	CU_ASSERT_EQUAL(put(c, "caf\\195\\137.local. 120 IN A 10.0.0.1", 0),
	                DNSSD_PUT_NEW);
	/* TXT strings are data, not names: case matters. */
	CU_ASSERT_EQUAL(
	    put(c, "Printer\\ A._ipp._tcp.local. 4500 IN TXT \"rp=ipp/print\"", 0),
	    DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(
	    put(c, "Printer\\ A._ipp._tcp.local. 4500 IN TXT \"rp=IPP/print\"", 0),
	    DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 7);
	rr_of(NULL);
	dnssd_cache_free(c);
}

/*
 * The cache keeps records in a form of its own: what comes back is what went
 * in, field by field and letter by letter, for every kind of record mDNS
 * carries and a few it does not.
 */
static void test_stored_form(void)
{
	static const char *const recs[] = {
	    "_ipp._tcp.local. 4500 IN PTR Printer\\ A\\ (Manhattan)._ipp._tcp.local.",
	    "Printer\\ A._ipp._tcp.local. 120 IN SRV 0 0 631 Printer-A.Local.",
	    "Printer\\ A._ipp._tcp.local. 4500 IN TXT \"txtvers=1\" \"UUID=6C8A\" \"\"",
	    "Printer\\ A._ipp._tcp.local. 4500 IN TXT \"\"",
	    "Printer-A.Local. 120 IN A 192.168.1.10",
	    "Printer-A.Local. 120 IN AAAA fe80::1:2ff:fe03:405",
	    "Printer-A.Local. 120 IN NSEC Printer-A.Local. A AAAA",
	    "CAF\\195\\169.local. 120 IN HINFO \"ARM\" \"Linux\"",
	    "x.local. 120 IN TYPE65280 \\# 4 41424344",
	    "10.1.168.192.in-addr.arpa. 120 IN PTR Printer-A.Local.",
	};
	struct dnssd_cache *c = dnssd_cache_new(100);
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		ldns_rr *rr = mkrr_flush(recs[i]);
		struct dnssd_entry *e = NULL;
		CU_ASSERT_EQUAL(dnssd_cache_put(c, rr, 1, 0, &e, NULL, NULL),
		                DNSSD_PUT_NEW);
		CU_ASSERT_FATAL(e != NULL);
		CU_ASSERT_EQUAL(dnssd_entry_type(e), ldns_rr_get_type(rr));
		CU_ASSERT_EQUAL(dnssd_entry_ttl(e), ldns_rr_ttl(rr));
		char *want = ldns_rr2str(rr), *got = ldns_rr2str(rr_of(e));
		CU_ASSERT_STRING_EQUAL(got, want);
		CU_ASSERT_EQUAL(ldns_rr_get_class(rr_of(e)), ldns_rr_get_class(rr));
		free(want);
		free(got);

		/* Spelt otherwise and without the cache-flush bit: the same record. */
		char lower[256];
		snprintf(lower, sizeof(lower), "%s", recs[i]);
		for (char *q = lower;
		     *q && !strstr(recs[i], "TXT") && !strstr(recs[i], "HINFO") &&
		     !strstr(recs[i], "TYPE");
		     q++)
			if (*q >= 'A' && *q <= 'Z')
				*q = (char)(*q - 'A' + 'a');
		ldns_rr *again = mkrr(lower);
		ldns_rr_set_ttl(again, 60);
		CU_ASSERT_EQUAL(dnssd_cache_put(c, again, 1, 10, NULL, NULL, NULL),
		                DNSSD_PUT_CHANGED);
		char *w2 = ldns_rr2str(again), *g2 = ldns_rr2str(rr_of(e));
		CU_ASSERT_STRING_EQUAL(g2, w2);
		CU_ASSERT_EQUAL(ldns_rr_get_class(rr_of(e)), LDNS_RR_CLASS_IN);
		free(w2);
		free(g2);
		ldns_rr_free(again);
		ldns_rr_free(rr);
	}
	CU_ASSERT_EQUAL(dnssd_cache_count(c), sizeof(recs) / sizeof(recs[0]));
	rr_of(NULL);
	dnssd_cache_free(c);
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

static void test_long_rdata(void)
{
	struct dnssd_cache *c = dnssd_cache_new(10);
	ldns_rr *a = long_txt('a'), *a2 = long_txt('a'), *b = long_txt('b');

	CU_ASSERT_EQUAL(dnssd_cache_put(c, a, 1, 0, NULL, NULL, NULL), DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(dnssd_cache_put(c, a2, 1, 10, NULL, NULL, NULL),
	                DNSSD_PUT_REFRESHED);
	CU_ASSERT_EQUAL(dnssd_cache_put(c, b, 1, 20, NULL, NULL, NULL), DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 2);
	ldns_rr_free(a);
	ldns_rr_free(a2);
	ldns_rr_free(b);
	rr_of(NULL);
	dnssd_cache_free(c);
}

static void test_class_bit_ignored(void)
{
	struct dnssd_cache *c = dnssd_cache_new(100);
	struct dnssd_entry *e;

	CU_ASSERT_EQUAL(put_entry(c, A10, false, 1, 0, &e), DNSSD_PUT_NEW);
	ldns_rr *flushed = mkrr_flush(A10);
	CU_ASSERT_PTR_EQUAL(dnssd_cache_get(c, flushed), e);
	CU_ASSERT_EQUAL(dnssd_cache_put(c, flushed, 1, 10, NULL, NULL, NULL),
	                DNSSD_PUT_CHANGED);
	ldns_rr_free(flushed);
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 1);
	CU_ASSERT_EQUAL(ldns_rr_get_class(rr_of(e)),
	                LDNS_RR_CLASS_IN | DNSSD_CLASS_TOPBIT);
	CU_ASSERT_EQUAL(find(c, "printer.local.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 20),
	                1);
	CU_ASSERT_EQUAL(find(c, "printer.local.", LDNS_RR_TYPE_A,
	                     LDNS_RR_CLASS_IN | DNSSD_CLASS_TOPBIT, 20),
	                1);
	rr_of(NULL);
	dnssd_cache_free(c);
}

static void test_find(void)
{
	struct dnssd_cache *c = dnssd_cache_new(100);
	struct dnssd_entry *out[2] = {NULL, NULL};

	put(c, A10, 0);
	put(c, "printer.local. 120 IN AAAA 2001:db8::10", 0);
	put(c, "printer.local. 120 IN HINFO \"x86\" \"Linux\"", 0);
	put(c, "printer.local. 1 IN A 192.168.1.11", 0);
	put(c, "other.local. 120 IN A 192.168.1.12", 0);

	CU_ASSERT_EQUAL(find(c, "printer.local.", LDNS_RR_TYPE_A, 0, 500), 2);
	CU_ASSERT_EQUAL(find(c, "printer.local.", LDNS_RR_TYPE_A, 0, 1000), 1);
	CU_ASSERT_EQUAL(find(c, "printer.local.", LDNS_RR_TYPE_ANY, 0, 1000), 3);
	CU_ASSERT_EQUAL(
	    find(c, "printer.local.", LDNS_RR_TYPE_ANY, LDNS_RR_CLASS_ANY, 1000), 3);
	CU_ASSERT_EQUAL(
	    find(c, "printer.local.", LDNS_RR_TYPE_ANY, LDNS_RR_CLASS_CH, 1000), 0);
	CU_ASSERT_EQUAL(find(c, "printer.local.", LDNS_RR_TYPE_SRV, 0, 1000), 0);
	CU_ASSERT_EQUAL(find(c, "missing.local.", LDNS_RR_TYPE_ANY, 0, 1000), 0);
	CU_ASSERT_EQUAL(find(c, "local.", LDNS_RR_TYPE_ANY, 0, 1000), 0);

	/* Fills at most max, returns how many matched. */
	ldns_rdf *n = ldns_dname_new_frm_str("printer.local.");
	CU_ASSERT_EQUAL(dnssd_cache_find(c, n, LDNS_RR_TYPE_ANY, 0, 1000, out, 2), 3);
	CU_ASSERT_PTR_NOT_NULL(out[0]);
	CU_ASSERT_PTR_NOT_NULL(out[1]);
	CU_ASSERT_PTR_NOT_EQUAL(out[0], out[1]);
	CU_ASSERT_EQUAL(dnssd_cache_find(c, n, LDNS_RR_TYPE_AAAA, 0, 1000, out, 2), 1);
	CU_ASSERT_EQUAL(ldns_rr_get_type(rr_of(out[0])), LDNS_RR_TYPE_AAAA);
	ldns_rdf_deep_free(n);

	/* A name that is not a name. */
	ldns_rdf *notname = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, "1.2.3.4");
	CU_ASSERT_EQUAL(dnssd_cache_find(c, notname, LDNS_RR_TYPE_ANY, 0, 0, out, 2), 0);
	ldns_rdf_deep_free(notname);
	rr_of(NULL);
	dnssd_cache_free(c);
}

/* find_all: every match, in the caller's buffer when they fit, else in an array. */
static void test_find_all(void)
{
	struct dnssd_cache *c = dnssd_cache_new(1000);
	struct dnssd_entry *buf[4], **all;
	char text[96];

	for (int i = 0; i < 40; i++) {
		snprintf(text, sizeof(text), "many.local. 120 IN A 10.0.0.%d", i + 1);
		CU_ASSERT_EQUAL_FATAL(put(c, text, 0) > 0, 1);
	}
	put(c, "few.local. 120 IN A 10.0.1.1", 0);
	ldns_rdf *many = ldns_dname_new_frm_str("many.local.");
	ldns_rdf *few = ldns_dname_new_frm_str("few.local.");

	size_t n = dnssd_cache_find_all(c, many, LDNS_RR_TYPE_A, 0, 1000, buf, 4, &all);
	CU_ASSERT_EQUAL_FATAL(n, 40);
	CU_ASSERT_PTR_NOT_EQUAL(all, buf);
	bool seen[40] = {false};
	for (size_t i = 0; i < n; i++) {
		const uint8_t *a = ldns_rdf_data(ldns_rr_rdf(rr_of(all[i]), 0));
		CU_ASSERT_FATAL(a[3] >= 1 && a[3] <= 40);
		CU_ASSERT_FALSE(seen[a[3] - 1]);
		seen[a[3] - 1] = true;
	}
	dnssd_cache_found_free(all, buf);

	n = dnssd_cache_find_all(c, few, LDNS_RR_TYPE_A, 0, 1000, buf, 4, &all);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_PTR_EQUAL(all, buf);
	dnssd_cache_found_free(all, buf);
	ldns_rdf_deep_free(many);
	ldns_rdf_deep_free(few);
	rr_of(NULL);
	dnssd_cache_free(c);
}

static void test_eviction(void)
{
	struct dnssd_cache *c = dnssd_cache_new(3);
	struct seen s = {0};
	ldns_rr *rr;

	put(c, "a.local. 100 IN A 10.0.0.1", 0);
	put(c, "b.local. 50 IN A 10.0.0.2", 0);
	put(c, "c.local. 200 IN A 10.0.0.3", 0);
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 3);

	/* Full: the entry expiring soonest (b, at 50 s) makes room. */
	rr = mkrr("d.local. 150 IN A 10.0.0.4");
	CU_ASSERT_EQUAL(dnssd_cache_put(c, rr, 1, 0, NULL, record_cb, &s), DNSSD_PUT_NEW);
	ldns_rr_free(rr);
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_STRING_EQUAL(s.what[0], "10.0.0.2");
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 3);

	/* The soonest left (a, at 100 s) outlives a 10 s record: refused. */
	struct dnssd_entry *e = (struct dnssd_entry *)&e;
	rr = mkrr("e.local. 10 IN A 10.0.0.5");
	CU_ASSERT_EQUAL(dnssd_cache_put(c, rr, 1, 0, &e, record_cb, &s), -ENOSPC);
	ldns_rr_free(rr);
	CU_ASSERT_PTR_NULL(e);
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 3);
	CU_ASSERT_PTR_NOT_NULL(get(c, "a.local. 100 IN A 10.0.0.1"));

	/* Expiring at the same time is not outliving: a goes. */
	rr = mkrr("f.local. 100 IN A 10.0.0.6");
	CU_ASSERT_EQUAL(dnssd_cache_put(c, rr, 1, 0, NULL, record_cb, &s), DNSSD_PUT_NEW);
	ldns_rr_free(rr);
	CU_ASSERT_EQUAL(s.n, 2);
	CU_ASSERT_STRING_EQUAL(s.what[1], "10.0.0.1");

	/* Refreshes and goodbyes need no room. */
	CU_ASSERT_EQUAL(put(c, "c.local. 200 IN A 10.0.0.3", 10), DNSSD_PUT_REFRESHED);
	CU_ASSERT_EQUAL(put(c, "x.local. 0 IN A 10.0.0.9", 10), DNSSD_PUT_IGNORED);
	CU_ASSERT_EQUAL(put(c, "c.local. 0 IN A 10.0.0.3", 20), DNSSD_PUT_GOODBYE);
	/* The goodbye entry expires first now (at 1.02 s): it is the one evicted. */
	rr = mkrr("g.local. 5 IN A 10.0.0.7");
	CU_ASSERT_EQUAL(dnssd_cache_put(c, rr, 1, 30, NULL, record_cb, &s),
	                DNSSD_PUT_NEW);
	ldns_rr_free(rr);
	CU_ASSERT_EQUAL(s.n, 3);
	CU_ASSERT_STRING_EQUAL(s.what[2], "10.0.0.3");
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 3);
	rr_of(NULL);
	dnssd_cache_free(c);
}

static void test_eviction_after_refresh(void)
{
	struct dnssd_cache *c = dnssd_cache_new(3);
	struct seen s = {0};

	put(c, "a.local. 50 IN A 10.0.0.1", 0);
	put(c, "b.local. 100 IN A 10.0.0.2", 0);
	put(c, "c.local. 200 IN A 10.0.0.3", 0);
	/* a was the soonest; refreshed with a longer TTL it is not any more. */
	CU_ASSERT_EQUAL(put(c, "a.local. 300 IN A 10.0.0.1", 1000), DNSSD_PUT_CHANGED);
	ldns_rr *rr = mkrr("d.local. 150 IN A 10.0.0.4");
	CU_ASSERT_EQUAL(dnssd_cache_put(c, rr, 1, 1000, NULL, record_cb, &s),
	                DNSSD_PUT_NEW);
	ldns_rr_free(rr);
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_STRING_EQUAL(s.what[0], "10.0.0.2");
	CU_ASSERT_EQUAL(s.expires[0], 100000);
	CU_ASSERT_EQUAL(dnssd_cache_expire(c, 1000, NULL, NULL), 151000);
	rr_of(NULL);
	dnssd_cache_free(c);
}

struct lookup_in_cb {
	struct dnssd_cache *c;
	size_t found;
	size_t calls;
};

/* An eviction callback that looks the cache up, as a proxy withdrawing a record would. */
static void lookup_cb(void *arg, struct dnssd_entry *e)
{
	struct lookup_in_cb *l = arg;
	l->calls++;
	l->found += dnssd_cache_find(l->c, ldns_rr_owner(rr_of(e)), LDNS_RR_TYPE_ANY, 0,
	                             0, NULL, 0);
}

static void test_eviction_callback_lookup(void)
{
	struct dnssd_cache *c = dnssd_cache_new(2);
	struct lookup_in_cb l = {c, 0, 0};
	struct dnssd_entry *e;

	put(c, "a.local. 10 IN A 10.0.0.1", 0);
	put(c, "a.local. 20 IN A 10.0.0.2", 0);
	ldns_rr *rr = mkrr("b.local. 30 IN A 10.0.0.3");
	CU_ASSERT_EQUAL(dnssd_cache_put(c, rr, 1, 0, &e, lookup_cb, &l), DNSSD_PUT_NEW);
	ldns_rr_free(rr);
	CU_ASSERT_EQUAL(l.calls, 1);
	CU_ASSERT_EQUAL(l.found, 2); /* both of a.local, the evicted one still there */
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 2);
	/* The new entry is the record put, whatever the callback looked up. */
	CU_ASSERT_PTR_EQUAL(get(c, "b.local. 30 IN A 10.0.0.3"), e);
	CU_ASSERT_PTR_NULL(get(c, "a.local. 10 IN A 10.0.0.1"));
	CU_ASSERT_EQUAL(dnssd_entry_expires(e), 30000);
	rr_of(NULL);
	dnssd_cache_free(c);
}

static void test_cache_flush_after_handover(void)
{
	struct dnssd_cache *c = dnssd_cache_new(100);
	struct dnssd_entry *x, *y;
	CU_ASSERT_EQUAL(put_entry(c, "h.local. 120 IN A 10.0.0.1", false, 1, 0, &x),
	                DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(put_entry(c, "h.local. 120 IN A 10.0.0.2", false, 2, 0, &y),
	                DNSSD_PUT_NEW);
	/* y, now from origin 1 with the cache-flush bit: x is the rest of origin 1's set.
	 */
	CU_ASSERT_EQUAL(put_entry(c, "h.local. 120 IN A 10.0.0.2", true, 1, 5000, NULL),
	                DNSSD_PUT_CHANGED);
	CU_ASSERT_EQUAL(dnssd_entry_origin(y), 1);
	CU_ASSERT_EQUAL(dnssd_entry_expires(x), 6000);
	CU_ASSERT_EQUAL(dnssd_entry_expires(y), 125000);
	/* Nothing left of origin 2. */
	dnssd_cache_remove_origin(c, 2, NULL, NULL);
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 2);
	rr_of(NULL);
	dnssd_cache_free(c);
}

static void test_remove_origin(void)
{
	struct dnssd_cache *c = dnssd_cache_new(100);
	struct seen s = {0};

	put_entry(c, "_ipp._tcp.local. 4500 IN PTR A._ipp._tcp.local.", false, 7, 0,
	          NULL);
	put_entry(c, "_ipp._tcp.local. 4500 IN PTR B._ipp._tcp.local.", false, 8, 0,
	          NULL);
	put_entry(c, "a.local. 120 IN A 10.0.0.1", false, 7, 0, NULL);
	put_entry(c, "b.local. 120 IN A 10.0.0.2", false, 8, 0, NULL);
	put_entry(c, "a.local. 120 IN AAAA 2001:db8::1", false, 7, 0, NULL);

	dnssd_cache_remove_origin(c, 7, record_cb, &s);
	CU_ASSERT_EQUAL(s.n, 3);
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 2);
	CU_ASSERT_EQUAL(find(c, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR, 0, 0), 1);
	CU_ASSERT_EQUAL(find(c, "a.local.", LDNS_RR_TYPE_ANY, 0, 0), 0);
	CU_ASSERT_EQUAL(find(c, "b.local.", LDNS_RR_TYPE_ANY, 0, 0), 1);
	CU_ASSERT_EQUAL(dnssd_cache_expire(c, 0, NULL, NULL), 120000);

	/* A refresh from another origin hands the entry over. */
	struct dnssd_entry *e;
	CU_ASSERT_EQUAL(put_entry(c, "b.local. 120 IN A 10.0.0.2", false, 9, 10, &e),
	                DNSSD_PUT_REFRESHED);
	CU_ASSERT_EQUAL(dnssd_entry_origin(e), 9);
	dnssd_cache_remove_origin(c, 8, NULL, NULL);
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 1);
	dnssd_cache_remove_origin(c, 9, NULL, NULL);
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 0);
	CU_ASSERT_EQUAL(dnssd_cache_expire(c, 0, NULL, NULL), UINT64_MAX);
	rr_of(NULL);
	dnssd_cache_free(c);
}

static void test_next_deadline(void)
{
	struct dnssd_cache *c = dnssd_cache_new(100);
	CU_ASSERT_EQUAL(dnssd_cache_expire(c, 0, NULL, NULL), UINT64_MAX);
	put(c, "a.local. 120 IN A 10.0.0.1", 0);
	put(c, "b.local. 60 IN A 10.0.0.2", 0);
	put(c, "c.local. 4500 IN A 10.0.0.3", 0);
	CU_ASSERT_EQUAL(dnssd_cache_expire(c, 0, NULL, NULL), 60000);
	/* A goodbye brings the deadline forward; a refresh pushes it back. */
	put(c, "c.local. 0 IN A 10.0.0.3", 500);
	CU_ASSERT_EQUAL(dnssd_cache_expire(c, 500, NULL, NULL), 1500);
	CU_ASSERT_EQUAL(dnssd_cache_expire(c, 1500, NULL, NULL), 60000);
	put(c, "b.local. 60 IN A 10.0.0.2", 30000);
	CU_ASSERT_EQUAL(dnssd_cache_expire(c, 30000, NULL, NULL), 90000);
	dnssd_cache_remove(c, get(c, "b.local. 60 IN A 10.0.0.2"));
	CU_ASSERT_EQUAL(dnssd_cache_expire(c, 30000, NULL, NULL), 120000);
	rr_of(NULL);
	dnssd_cache_free(c);
}

static void count_cb(void *arg, struct dnssd_entry *e)
{
	(void)e;
	(*(size_t *)arg)++;
}

static void test_aux_remove_foreach(void)
{
	struct dnssd_cache *c = dnssd_cache_new(100);
	struct dnssd_entry *e;
	size_t n = 0;

	put_entry(c, A10, false, 1, 0, &e);
	put(c, "x.local. 120 IN A 10.0.0.1", 0);
	CU_ASSERT_EQUAL(dnssd_entry_aux(e, 0), 0);
	dnssd_entry_set_aux(e, 0, 7);
	dnssd_entry_set_aux(e, 1, UINT64_MAX);
	dnssd_entry_set_aux(e, DNSSD_ENTRY_AUX_SLOTS, 9); /* no such slot: ignored */
	put(c, A10, 1000);
	CU_ASSERT_EQUAL(dnssd_entry_aux(e, 0), 7);
	CU_ASSERT_EQUAL(dnssd_entry_aux(e, 1), UINT64_MAX);
	CU_ASSERT_EQUAL(dnssd_entry_aux(e, DNSSD_ENTRY_AUX_SLOTS), 0);

	dnssd_cache_foreach(c, count_cb, &n);
	CU_ASSERT_EQUAL(n, 2);
	dnssd_cache_remove(c, e);
	CU_ASSERT_PTR_NULL(get(c, A10));
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 1);
	n = 0;
	dnssd_cache_foreach(c, count_cb, &n);
	CU_ASSERT_EQUAL(n, 1);
	rr_of(NULL);
	dnssd_cache_free(c);
}

/* Deterministic pseudo-random numbers for the model test. */
static uint32_t rnd(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*state >> 33);
}

struct model_check {
	uint64_t now;
	size_t live;
	int bad;
};

static void check_live_cb(void *arg, struct dnssd_entry *e)
{
	struct model_check *m = arg;
	if (dnssd_entry_expires(e) <= m->now)
		m->bad++;
	m->live++;
}

static void check_expired_cb(void *arg, struct dnssd_entry *e)
{
	struct model_check *m = arg;
	if (dnssd_entry_expires(e) > m->now)
		m->bad++;
}

/*
 * Random puts, refreshes, goodbyes and flushes over a small name space, with
 * the clock moving on: expire must remove exactly the entries whose time is
 * up and return the true earliest expiry of the rest.
 */
static void test_model(void)
{
	struct dnssd_cache *c = dnssd_cache_new(0);
	uint64_t state = 12345;
	uint64_t now = 0;
	char text[128];
	struct model_check m = {0};

	for (int round = 0; round < 200; round++) {
		for (int i = 0; i < 50; i++) {
			unsigned host = rnd(&state) % 40, addr = rnd(&state) % 4;
			unsigned ttl = rnd(&state) % 5 == 0 ? 0 : 1 + rnd(&state) % 30;
			bool flush = rnd(&state) % 3 == 0;
			snprintf(text, sizeof(text), "h%u.local. %u IN A 10.0.%u.%u",
			         host, ttl, host, addr);
			int r = put_entry(c, text, flush, rnd(&state) % 2, now, NULL);
			CU_ASSERT(r > 0);
		}
		now += rnd(&state) % 3000;
		m.now = now;
		uint64_t next = dnssd_cache_expire(c, now, check_expired_cb, &m);
		m.live = 0;
		dnssd_cache_foreach(c, check_live_cb, &m);
		CU_ASSERT_EQUAL(m.live, dnssd_cache_count(c));
		/* next must be the minimum expiry of what is left. */
		uint64_t min = UINT64_MAX;
		for (unsigned h = 0; h < 40; h++) {
			snprintf(text, sizeof(text), "h%u.local.", h);
			struct dnssd_entry *out[8];
			ldns_rdf *n = ldns_dname_new_frm_str(text);
			size_t k = dnssd_cache_find(c, n, LDNS_RR_TYPE_A, 0, now, out, 8);
			ldns_rdf_deep_free(n);
			CU_ASSERT(k <= 4);
			for (size_t j = 0; j < k && j < 8; j++)
				if (dnssd_entry_expires(out[j]) < min)
					min = dnssd_entry_expires(out[j]);
		}
		CU_ASSERT_EQUAL(next, min);
	}
	CU_ASSERT_EQUAL(m.bad, 0);
	rr_of(NULL);
	dnssd_cache_free(c);
}

/* Live entries under the 40 model host names, as find sees them. */
static size_t find_all_hosts(struct dnssd_cache *c, uint64_t now, uint64_t *min)
{
	char text[32];
	size_t total = 0;
	*min = UINT64_MAX;
	for (unsigned h = 0; h < 40; h++) {
		snprintf(text, sizeof(text), "h%u.local.", h);
		struct dnssd_entry *out[8];
		ldns_rdf *n = ldns_dname_new_frm_str(text);
		size_t k = dnssd_cache_find(c, n, LDNS_RR_TYPE_ANY, 0, now, out, 8);
		ldns_rdf_deep_free(n);
		CU_ASSERT(k <= 8);
		for (size_t j = 0; j < k && j < 8; j++)
			if (dnssd_entry_expires(out[j]) < *min)
				*min = dnssd_entry_expires(out[j]);
		total += k;
	}
	return total;
}

/*
 * The same with a bound, three origins, two types and peers going away:
 * the bound holds, a refusal only comes when full, and find, foreach, count
 * and the next deadline agree after every step.
 */
static void test_model_bounded(void)
{
	enum { MAX = 50 };
	struct dnssd_cache *c = dnssd_cache_new(MAX);
	uint64_t state = 777;
	uint64_t now = 0;
	char text[128];
	struct model_check m = {0};
	size_t refused = 0, evicted = 0;

	for (int round = 0; round < 300; round++) {
		for (int i = 0; i < 30; i++) {
			unsigned host = rnd(&state) % 40, addr = rnd(&state) % 4;
			unsigned ttl = rnd(&state) % 6 == 0 ? 0 : 1 + rnd(&state) % 30;
			bool flush = rnd(&state) % 3 == 0;
			if (rnd(&state) % 2)
				snprintf(text, sizeof(text),
				         "h%u.local. %u IN A 10.0.%u.%u", host, ttl, host,
				         addr);
			else
				snprintf(text, sizeof(text),
				         "h%u.local. %u IN AAAA 2001:db8::%u", host, ttl,
				         addr);
			ldns_rr *rr = flush ? mkrr_flush(text) : mkrr(text);
			size_t before = dnssd_cache_count(c);
			struct seen s = {0};
			int r = dnssd_cache_put(c, rr, rnd(&state) % 3, now, NULL,
			                        record_cb, &s);
			ldns_rr_free(rr);
			if (r == -ENOSPC) {
				refused++;
				CU_ASSERT_EQUAL(before, MAX);
			} else {
				CU_ASSERT(r > 0);
			}
			evicted += s.n;
			CU_ASSERT(s.n <= 1);
			CU_ASSERT(dnssd_cache_count(c) <= MAX);
		}
		if (rnd(&state) % 10 == 0)
			dnssd_cache_remove_origin(c, 2, NULL, NULL);
		now += rnd(&state) % 2000;
		m.now = now;
		uint64_t next = dnssd_cache_expire(c, now, check_expired_cb, &m);
		m.live = 0;
		dnssd_cache_foreach(c, check_live_cb, &m);
		CU_ASSERT_EQUAL(m.live, dnssd_cache_count(c));
		uint64_t min;
		CU_ASSERT_EQUAL(find_all_hosts(c, now, &min), dnssd_cache_count(c));
		CU_ASSERT_EQUAL(next, min);
	}
	CU_ASSERT_EQUAL(m.bad, 0);
	/* The run did exercise both outcomes of a full cache. */
	CU_ASSERT(refused > 0);
	CU_ASSERT(evicted > 0);
	dnssd_cache_remove_origin(c, 0, NULL, NULL);
	dnssd_cache_remove_origin(c, 1, NULL, NULL);
	dnssd_cache_remove_origin(c, 2, NULL, NULL);
	CU_ASSERT_EQUAL(dnssd_cache_count(c), 0);
	CU_ASSERT_EQUAL(dnssd_cache_expire(c, now, NULL, NULL), UINT64_MAX);
	rr_of(NULL);
	dnssd_cache_free(c);
}

static void test_many(void)
{
	enum { N = 20000 };
	struct dnssd_cache *c = dnssd_cache_new(N);
	char text[128];
	for (unsigned i = 0; i < N; i++) {
		snprintf(text, sizeof(text),
		         "_ipp._tcp.local. %u IN PTR P%u._ipp._tcp.local.", 1 + i % 100,
		         i);
		CU_ASSERT_EQUAL_FATAL(put(c, text, 0), DNSSD_PUT_NEW);
	}
	CU_ASSERT_EQUAL(dnssd_cache_count(c), N);
	CU_ASSERT_EQUAL(find(c, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR, 0, 0), N);
	/* Full: one more 50 s record evicts one that expires at 1 s. */
	CU_ASSERT_EQUAL(put(c, "_ipp._tcp.local. 50 IN PTR Extra._ipp._tcp.local.", 0),
	                DNSSD_PUT_NEW);
	CU_ASSERT_EQUAL(find(c, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR, 0, 1000),
	                N - 200 + 1);
	CU_ASSERT_EQUAL(dnssd_cache_expire(c, 50000, NULL, NULL), 51000);
	CU_ASSERT_EQUAL(dnssd_cache_count(c), N / 2);
	rr_of(NULL);
	dnssd_cache_free(c);
}

static CU_TestInfo cache_tests[] = {
    {"put results", test_put_results},
    {"records come back as put", test_stored_form},
    {"invalid records", test_invalid},
    {"expiry at exactly the TTL", test_expiry_exact},
    {"refresh restarts the TTL", test_refresh_restarts_ttl},
    {"goodbye removed after one second", test_goodbye},
    {"goodbye after expiry ignored", test_goodbye_after_expiry},
    {"put after expiry is new", test_expired_put_is_new},
    {"cache-flush at the one-second boundary", test_cache_flush},
    {"cache-flush never extends", test_cache_flush_never_extends},
    {"cache-flush spares the record itself", test_cache_flush_refresh_spares_self},
    {"goodbye does not flush", test_goodbye_does_not_flush},
    {"names are case-insensitive", test_case_insensitive},
    {"long rdata", test_long_rdata},
    {"cache-flush bit is not in the key", test_class_bit_ignored},
    {"find by name, type, class, ANY", test_find},
    {"find_all returns every match, however many", test_find_all},
    {"eviction order and ENOSPC", test_eviction},
    {"eviction after a refresh", test_eviction_after_refresh},
    {"eviction callback may look up", test_eviction_callback_lookup},
    {"cache-flush after an origin handover", test_cache_flush_after_handover},
    {"remove_origin", test_remove_origin},
    {"next deadline", test_next_deadline},
    {"aux slots, remove, foreach", test_aux_remove_foreach},
    {"random operations against a model", test_model},
    {"random operations, bounded", test_model_bounded},
    {"many entries under one name", test_many},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"cache", NULL, NULL, NULL, NULL, cache_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
