/* test_wapublish.c: what a gateway holds in its domain, and its UPDATEs cut to fit. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dnssd/wapublish.h"
#include "dnssd/waupdate.h"
#include "dnssd/wazone.h"
#include "tests/unit/unit.h"

static ldns_rr *rr(const char *text)
{
	ldns_rr *r = NULL;
	CU_ASSERT_EQUAL_FATAL(ldns_rr_new_frm_str(&r, text, 120, NULL, NULL),
	                      LDNS_STATUS_OK);
	return r;
}

static ldns_rr_list *list(const char *const *texts)
{
	ldns_rr_list *l = ldns_rr_list_new();
	for (; *texts; texts++)
		ldns_rr_list_push_rr(l, rr(*texts));
	return l;
}

/* Whether l holds the record text describes (as DNS compares). */
static int has(const ldns_rr_list *l, const char *text)
{
	ldns_rr *r = rr(text);
	int found = 0;
	for (size_t i = 0; l && i < ldns_rr_list_rr_count(l) && !found; i++)
		found = dnssd_wa_rr_cmp(ldns_rr_list_rr(l, i), r) == 0;
	ldns_rr_free(r);
	return found;
}

/* n PTR records of one RRset, instance names padded to about pad bytes. */
static ldns_rr_list *ptrs(size_t n, size_t pad)
{
	ldns_rr_list *l = ldns_rr_list_new();
	char label[64], text[512];
	for (size_t i = 0; i < n; i++) {
		snprintf(label, sizeof(label), "%0*zu", (int)(pad < 60 ? pad : 60), i);
		snprintf(text, sizeof(text),
		         "_ipp._tcp.manhattan.sites.example.com. 60 IN PTR "
		         "P%s._ipp._tcp.manhattan.sites.example.com.",
		         label);
		ldns_rr_list_push_rr(l, rr(text));
	}
	return l;
}

/* Whether l holds r (as DNS compares). */
static int has_rr(const ldns_rr_list *l, const ldns_rr *r)
{
	for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++)
		if (dnssd_wa_rr_cmp(ldns_rr_list_rr(l, i), r) == 0)
			return 1;
	return 0;
}

static size_t n_of(const ldns_rr_list *l)
{
	return l ? ldns_rr_list_rr_count(l) : 0;
}

static void test_local_put(void)
{
	struct dnssd_wa_local *l = dnssd_wa_local_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	ldns_rr *a = rr("printer.local. 120 IN A 10.0.0.1");
	ldns_rr *a2 = rr("PRINTER.local. 4500 IN A 10.0.0.1");
	ldns_rr *b = rr("printer.local. 120 IN A 10.0.0.2");
	ldns_rr *bye = rr("printer.local. 0 IN A 10.0.0.2");
	CU_ASSERT_EQUAL(dnssd_wa_local_put(l, a), 0);
	CU_ASSERT_EQUAL(dnssd_wa_local_put(l, a2), 0); /* the same record: replaced */
	CU_ASSERT_EQUAL(dnssd_wa_local_put(l, b), 0);
	CU_ASSERT_EQUAL(dnssd_wa_local_count(l), 2);
	ldns_rr_list *v = dnssd_wa_local_list(l);
	CU_ASSERT_EQUAL(n_of(v), 2);
	for (size_t i = 0; i < n_of(v); i++)
		if (dnssd_wa_rr_cmp(ldns_rr_list_rr(v, i), a) == 0)
			CU_ASSERT_EQUAL(ldns_rr_ttl(ldns_rr_list_rr(v, i)), 4500);
	ldns_rr_list_free(v);
	CU_ASSERT_EQUAL(dnssd_wa_local_put(l, bye), 0); /* goodbye: dropped */
	CU_ASSERT_EQUAL(dnssd_wa_local_count(l), 1);
	dnssd_wa_local_clear(l);
	CU_ASSERT_EQUAL(dnssd_wa_local_count(l), 0);
	ldns_rr_free(a);
	ldns_rr_free(a2);
	ldns_rr_free(b);
	ldns_rr_free(bye);
	dnssd_wa_local_free(l);
}

static void test_have_apply(void)
{
	const char *const held[] = {
	    "_ipp._tcp.manhattan.sites.example.com. 60 IN PTR "
	    "A._ipp._tcp.manhattan.sites.example.com.",
	    "A._ipp._tcp.manhattan.sites.example.com. 60 IN TXT \"v=1\"",
	    "printer.manhattan.sites.example.com. 60 IN A 10.0.0.1", NULL};
	const char *const added[] = {
	    "A._ipp._tcp.manhattan.sites.example.com. 60 IN TXT \"v=2\"", NULL};
	const char *const deleted[] = {
	    "a._IPP._tcp.manhattan.sites.example.com. 60 IN TXT \"v=1\"", NULL};
	ldns_rr_list *have = list(held), *add = list(added), *del = list(deleted);
	CU_ASSERT_EQUAL(dnssd_wa_have_apply(&have, add, del), 0);
	CU_ASSERT_EQUAL(n_of(have), 3);
	CU_ASSERT(
	    has(have, "A._ipp._tcp.manhattan.sites.example.com. 60 IN TXT \"v=2\""));
	CU_ASSERT(
	    !has(have, "A._ipp._tcp.manhattan.sites.example.com. 60 IN TXT \"v=1\""));
	CU_ASSERT(has(have, "printer.manhattan.sites.example.com. 60 IN A 10.0.0.1"));
	/* NULL lists change nothing */
	CU_ASSERT_EQUAL(dnssd_wa_have_apply(&have, NULL, NULL), 0);
	CU_ASSERT_EQUAL(n_of(have), 3);
	ldns_rr_list_deep_free(have);
	ldns_rr_list_deep_free(add);
	ldns_rr_list_deep_free(del);
}

static void test_owned_of(void)
{
	const char *const zone[] = {
	    "sites.example.com. 60 IN SOA ns.sites.example.com. h.example.com. 7 60 60 "
	    "600 60",
	    "sites.example.com. 60 IN NS ns.sites.example.com.",
	    "manhattan.sites.example.com. 60 IN SOA ns.sites.example.com. h.example.com. "
	    "7 60 60 600 60",
	    "_ipp._tcp.manhattan.sites.example.com. 60 IN PTR "
	    "A._ipp._tcp.manhattan.sites.example.com.",
	    "printer.manhattan.sites.example.com. 60 IN A 10.0.0.1",
	    "b._dns-sd._udp.sites.example.com. 60 IN PTR manhattan.sites.example.com.",
	    "lb._dns-sd._udp.sites.example.com. 60 IN PTR manhattan.sites.example.com.",
	    "b._dns-sd._udp.sites.example.com. 60 IN PTR brooklyn.sites.example.com.",
	    "_ipp._tcp.brooklyn.sites.example.com. 60 IN PTR "
	    "B._ipp._tcp.brooklyn.sites.example.com.",
	    "printer.xmanhattan.sites.example.com. 60 IN A 10.0.0.9",
	    NULL};
	ldns_rr_list *z = list(zone), *owned = NULL;
	CU_ASSERT_EQUAL_FATAL(dnssd_wa_owned_of(z, "manhattan.sites.example.com",
	                                        "sites.example.com", &owned),
	                      0);
	CU_ASSERT_EQUAL(n_of(owned), 4);
	CU_ASSERT(has(owned, zone[3]));
	CU_ASSERT(has(owned, zone[4]));
	CU_ASSERT(has(owned, zone[5]));
	CU_ASSERT(has(owned, zone[6]));
	CU_ASSERT(!has(owned, zone[7]));
	CU_ASSERT(!has(owned, zone[8]));
	CU_ASSERT(!has(owned, zone[9]));
	CU_ASSERT(!has(owned, zone[2])); /* the domain's SOA is the server's */
	/* the same set in another order and spelling is the same records */
	const char *const again[] = {
	    zone[6], zone[5], "PRINTER.manhattan.sites.example.com. 300 IN A 10.0.0.1",
	    zone[3], NULL};
	ldns_rr_list *b = list(again);
	CU_ASSERT(dnssd_wa_same_records(owned, b));
	ldns_rr_free(ldns_rr_list_pop_rr(b));
	CU_ASSERT(!dnssd_wa_same_records(owned, b));
	ldns_rr_list_push_rr(b,
	                     rr("printer.manhattan.sites.example.com. 60 IN A 10.0.0.2"));
	CU_ASSERT(!dnssd_wa_same_records(owned, b));
	ldns_rr_list_deep_free(b);
	ldns_rr_list_deep_free(owned);
	ldns_rr_list_deep_free(z);
}

static void test_gone(void)
{
	const char *const old[] = {"a.local. 120 IN A 10.0.0.1",
	                           "b.local. 120 IN A 10.0.0.2", NULL};
	const char *const now[] = {"A.local. 60 IN A 10.0.0.1", NULL};
	ldns_rr_list *o = list(old), *n = list(now), *gone = NULL;
	CU_ASSERT_EQUAL_FATAL(dnssd_wa_gone(o, n, &gone), 0);
	CU_ASSERT_EQUAL_FATAL(n_of(gone), 1);
	CU_ASSERT(has(gone, "b.local. 120 IN A 10.0.0.2"));
	CU_ASSERT_EQUAL(ldns_rr_ttl(ldns_rr_list_rr(gone, 0)), 0);
	ldns_rr_list_deep_free(gone);
	CU_ASSERT_EQUAL_FATAL(dnssd_wa_gone(NULL, n, &gone), 0);
	CU_ASSERT_EQUAL(n_of(gone), 0);
	ldns_rr_list_deep_free(gone);
	ldns_rr_list_deep_free(o);
	ldns_rr_list_deep_free(n);
}

static void test_fill_order(void)
{
	struct dnssd_wa_queue *q = dnssd_wa_queue_new();
	ldns_rr_list *add = ptrs(7, 4), *del = ptrs(5, 8);
	CU_ASSERT_EQUAL(dnssd_wa_queue_fill(q, add, del, 0), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(dnssd_wa_queue_fill(q, add, del, 4), 0);
	/* 5 deletions then 7 additions, 4 a batch: 4d | 1d 3a | 4a */
	CU_ASSERT_EQUAL_FATAL(dnssd_wa_queue_len(q), 3);
	const struct dnssd_wa_batch *b = dnssd_wa_queue_head(q);
	CU_ASSERT_EQUAL(n_of(b->del), 4);
	CU_ASSERT_EQUAL(n_of(b->add), 0);
	dnssd_wa_queue_pop(q);
	b = dnssd_wa_queue_head(q);
	CU_ASSERT_EQUAL(n_of(b->del), 1);
	CU_ASSERT_EQUAL(n_of(b->add), 3);
	CU_ASSERT_EQUAL(
	    dnssd_wa_rr_cmp(ldns_rr_list_rr(b->del, 0), ldns_rr_list_rr(del, 4)), 0);
	CU_ASSERT_EQUAL(
	    dnssd_wa_rr_cmp(ldns_rr_list_rr(b->add, 0), ldns_rr_list_rr(add, 0)), 0);
	dnssd_wa_queue_pop(q);
	b = dnssd_wa_queue_head(q);
	CU_ASSERT_EQUAL(n_of(b->add), 4);
	dnssd_wa_queue_pop(q);
	CU_ASSERT_PTR_NULL(dnssd_wa_queue_head(q));
	dnssd_wa_queue_pop(q); /* empty: nothing */
	CU_ASSERT_EQUAL(dnssd_wa_queue_split(q), -EINVAL);
	ldns_rr_list_deep_free(add);
	ldns_rr_list_deep_free(del);
	dnssd_wa_queue_free(q);
}

/* 2000 records of about 110 bytes each cannot go in one 64 KB message. */
static void test_messages_fit(void)
{
	struct dnssd_wa_queue *q = dnssd_wa_queue_new();
	ldns_rr_list *add = ptrs(2000, 60);
	struct dnssd_wa_key key = {.name = "manhattan-key",
	                           .algorithm = "hmac-sha256",
	                           .secret = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"};
	CU_ASSERT_EQUAL_FATAL(dnssd_wa_queue_fill(q, add, NULL, 2000), 0);
	CU_ASSERT_EQUAL(dnssd_wa_queue_len(q), 1);
	size_t sent = 0, msgs = 0;
	while (dnssd_wa_queue_len(q)) {
		struct dnssd_wa_msg *m = NULL;
		CU_ASSERT_EQUAL_FATAL(
		    dnssd_wa_queue_message(q, "sites.example.com", 1, &key, &m), 0);
		CU_ASSERT(m->len <= 65535);
		/* not cut needlessly small: half of a batch that did not fit */
		CU_ASSERT(m->len > 65535 / 4);
		sent += dnssd_wa_batch_size(dnssd_wa_queue_head(q));
		msgs++;
		dnssd_wa_msg_free(m);
		dnssd_wa_queue_pop(q);
	}
	CU_ASSERT_EQUAL(sent, 2000);
	CU_ASSERT(msgs >= 4 && msgs <= 8);
	struct dnssd_wa_msg *m = NULL;
	CU_ASSERT_EQUAL(dnssd_wa_queue_message(q, "sites.example.com", 1, &key, &m),
	                -ENOENT);
	ldns_rr_list_deep_free(add);
	dnssd_wa_queue_free(q);
}

/*
 * The server takes a batch whole or not at all: split what it refuses and pass on
 * what it takes, as the daemon does with SERVFAIL, until only refused records remain
 * alone. Here 3 of 37 records cannot go in.
 */
static void test_split_converges(void)
{
	struct dnssd_wa_queue *q = dnssd_wa_queue_new();
	ldns_rr_list *add = ptrs(30, 4), *del = ptrs(7, 9), *bad = ldns_rr_list_new();
	ldns_rr_list *rejected = ldns_rr_list_new();
	ldns_rr_list_push_rr(bad, ldns_rr_clone(ldns_rr_list_rr(add, 3)));
	ldns_rr_list_push_rr(bad, ldns_rr_clone(ldns_rr_list_rr(add, 17)));
	ldns_rr_list_push_rr(bad, ldns_rr_clone(ldns_rr_list_rr(add, 29)));
	CU_ASSERT_EQUAL_FATAL(dnssd_wa_queue_fill(q, add, del, 1000), 0);
	size_t taken = 0, messages = 0, logged = 0;
	while (dnssd_wa_queue_len(q) && messages < 1000) {
		const struct dnssd_wa_batch *b = dnssd_wa_queue_head(q);
		messages++;
		bool refused = false;
		for (size_t i = 0; i < n_of(b->add) && !refused; i++)
			refused = has_rr(bad, ldns_rr_list_rr(b->add, i));
		if (!refused) {
			taken += dnssd_wa_batch_size(b);
			dnssd_wa_queue_pop(q);
		} else if (dnssd_wa_batch_size(b) > 1) {
			size_t before = dnssd_wa_batch_size(b);
			CU_ASSERT_EQUAL_FATAL(dnssd_wa_queue_split(q), 0);
			b = dnssd_wa_queue_head(q);
			CU_ASSERT_EQUAL(dnssd_wa_batch_size(b), before / 2);
		} else {
			int r = dnssd_wa_rejected_add(rejected, b->add);
			CU_ASSERT(r == 0 || r == 1);
			logged += r == 1;
			dnssd_wa_queue_pop(q);
		}
	}
	CU_ASSERT_EQUAL(taken, 34);
	CU_ASSERT_EQUAL(n_of(rejected), 3);
	CU_ASSERT(dnssd_wa_same_records(rejected, bad));
	CU_ASSERT_EQUAL(logged, 1); /* one RRset: one line */
	/* about log2(37) splits per refused record, not one message per record */
	CU_ASSERT(messages < 37);
	ldns_rr_list_deep_free(add);
	ldns_rr_list_deep_free(del);
	ldns_rr_list_deep_free(bad);
	ldns_rr_list_deep_free(rejected);
	dnssd_wa_queue_free(q);
}

static void test_rejected_again(void)
{
	ldns_rr_list *rejected = ldns_rr_list_new();
	const char *const refused[] = {"_ipp._tcp.manhattan.sites.example.com. 60 IN PTR "
	                               "X._ipp._tcp.manhattan.sites.example.com.",
	                               NULL};
	const char *const other[] = {"_http._tcp.manhattan.sites.example.com. 60 IN PTR "
	                             "Y._http._tcp.manhattan.sites.example.com.",
	                             NULL};
	ldns_rr_list *a = list(refused), *b = list(other);
	CU_ASSERT_EQUAL(dnssd_wa_rejected_add(rejected, a), 1);
	CU_ASSERT_EQUAL(dnssd_wa_rejected_add(rejected, b), 1);
	/* the next round leaves them out */
	ldns_rr_list *add = ldns_rr_list_new();
	ldns_rr_list_push_rr(add, ldns_rr_clone(ldns_rr_list_rr(a, 0)));
	ldns_rr_list_push_rr(add,
	                     rr("printer.manhattan.sites.example.com. 60 IN A 10.0.0.1"));
	CU_ASSERT_EQUAL(dnssd_wa_rejected_filter(rejected, &add), 0);
	CU_ASSERT_EQUAL(n_of(add), 1);
	CU_ASSERT(has(add, "printer.manhattan.sites.example.com. 60 IN A 10.0.0.1"));
	/* a deletion elsewhere frees no room in their RRsets */
	const char *const del_other[] = {
	    "printer.manhattan.sites.example.com. 60 IN A 10.0.0.7", NULL};
	ldns_rr_list *d1 = list(del_other);
	CU_ASSERT_EQUAL(dnssd_wa_rejected_forgive(rejected, d1), 0);
	CU_ASSERT_EQUAL(n_of(rejected), 2);
	/* a record of _ipp's PTR RRset deleted: X may be tried again, Y not */
	const char *const del_ipp[] = {"_IPP._tcp.manhattan.sites.example.com. 60 IN PTR "
	                               "Z._ipp._tcp.manhattan.sites.example.com.",
	                               NULL};
	ldns_rr_list *d2 = list(del_ipp);
	CU_ASSERT_EQUAL(dnssd_wa_rejected_forgive(rejected, d2), 1);
	CU_ASSERT_EQUAL(n_of(rejected), 1);
	CU_ASSERT(has(rejected, other[0]));
	ldns_rr_list *again = list(refused);
	CU_ASSERT_EQUAL(dnssd_wa_rejected_filter(rejected, &again), 0);
	CU_ASSERT_EQUAL(n_of(again), 1);
	CU_ASSERT_EQUAL(dnssd_wa_rejected_forgive(rejected, NULL), 0);
	ldns_rr_list_deep_free(again);
	ldns_rr_list_deep_free(d1);
	ldns_rr_list_deep_free(d2);
	ldns_rr_list_deep_free(add);
	ldns_rr_list_deep_free(a);
	ldns_rr_list_deep_free(b);
	ldns_rr_list_deep_free(rejected);
}

static void test_case_folded(void)
{
	ldns_rr *sample =
	    rr("Printer\\032A._ipp._tcp.manhattan.sites.example.com. 60 IN TXT \"x\"");
	ldns_rr *lower =
	    rr("printer\\032a._ipp._tcp.manhattan.sites.example.com. 60 IN TXT \"x\"");
	CU_ASSERT(dnssd_wa_has_upper(ldns_rr_owner(sample)));
	CU_ASSERT(!dnssd_wa_has_upper(ldns_rr_owner(lower)));
	ldns_rr_list *folded = ldns_rr_list_new(), *kept = ldns_rr_list_new(),
	             *none = ldns_rr_list_new();
	ldns_rr_list_push_rr(folded, ldns_rr_clone(lower));
	ldns_rr_list_push_rr(kept, ldns_rr_clone(sample));
	ldns_rr_list_push_rr(none,
	                     rr("other.manhattan.sites.example.com. 60 IN A 10.0.0.1"));
	CU_ASSERT_EQUAL(dnssd_wa_case_folded(folded, sample), 1);
	CU_ASSERT_EQUAL(dnssd_wa_case_folded(kept, sample), 0);
	CU_ASSERT_EQUAL(dnssd_wa_case_folded(none, sample), -ENOENT);
	ldns_rr_list_deep_free(folded);
	ldns_rr_list_deep_free(kept);
	ldns_rr_list_deep_free(none);
	ldns_rr_free(sample);
	ldns_rr_free(lower);
}

static CU_TestInfo wapublish_tests[] = {
    {"local records kept, replaced, dropped", test_local_put},
    {"an UPDATE's adds and deletes applied to what is held", test_have_apply},
    {"owned records of a transfer, same records in any order", test_owned_of},
    {"goodbyes for what a domain no longer has", test_gone},
    {"batches: deletions first, at most max records", test_fill_order},
    {"messages fit 64 KB", test_messages_fit},
    {"a refused batch is halved down to the refused records", test_split_converges},
    {"rejected records tried again after a delete in their RRset", test_rejected_again},
    {"a server that folds names to lower case is noticed", test_case_folded},
    CU_TEST_INFO_NULL};

static CU_SuiteInfo suites[] = {{"wapublish", NULL, NULL, NULL, NULL, wapublish_tests},
                                CU_SUITE_INFO_NULL};

UNIT_MAIN(suites)
