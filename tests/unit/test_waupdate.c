/* test_waupdate.c: UPDATE and query messages, TSIG, transfers, error texts. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "dnssd/waupdate.h"
#include "dnssd/waxfr.h"
#include "tests/unit/unit.h"

static const struct dnssd_wa_key key = {"manhattan-key", "hmac-sha256",
                                        "c2l0ZWNhc3QgdGVzdCBzZWNyZXQgMzIgYnl0ZXMhISE="};

static ldns_rr *rr(const char *text)
{
	ldns_rr *r = NULL;
	CU_ASSERT_EQUAL_FATAL(ldns_rr_new_frm_str(&r, text, 120, NULL, NULL),
	                      LDNS_STATUS_OK);
	return r;
}

static void test_update(void)
{
	ldns_rr_list *add = ldns_rr_list_new(), *del = ldns_rr_list_new();
	ldns_rr_list_push_rr(
	    add, rr("_ipp._tcp.m.z.example. 60 IN PTR A._ipp._tcp.m.z.example."));
	ldns_rr_list_push_rr(add, rr("h.m.z.example. 60 IN A 10.0.0.1"));
	ldns_rr_list_push_rr(
	    del, rr("_ipp._tcp.m.z.example. 60 IN PTR Old._ipp._tcp.m.z.example."));
	struct dnssd_wa_msg *m = NULL;
	CU_ASSERT_EQUAL_FATAL(dnssd_wa_update("z.example", add, del, 4242, &key, &m), 0);
	CU_ASSERT(m->mac != NULL);
	ldns_pkt *p = NULL;
	CU_ASSERT_EQUAL_FATAL(ldns_wire2pkt(&p, m->wire, m->len), LDNS_STATUS_OK);
	CU_ASSERT_EQUAL(ldns_pkt_get_opcode(p), LDNS_PACKET_UPDATE);
	CU_ASSERT_EQUAL(ldns_pkt_id(p), 4242);
	/* Zone section: one SOA question for the zone. */
	CU_ASSERT_EQUAL(ldns_pkt_qdcount(p), 1);
	ldns_rr *z = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	CU_ASSERT_EQUAL(ldns_rr_get_type(z), LDNS_RR_TYPE_SOA);
	ldns_rdf *zn = ldns_dname_new_frm_str("z.example.");
	CU_ASSERT_EQUAL(ldns_dname_compare(ldns_rr_owner(z), zn), 0);
	ldns_rdf_deep_free(zn);
	/* Update section (authority): the one-RR delete first, then the adds. */
	ldns_rr_list *up = ldns_pkt_authority(p);
	CU_ASSERT_EQUAL_FATAL(ldns_rr_list_rr_count(up), 3);
	CU_ASSERT_EQUAL(ldns_rr_get_class(ldns_rr_list_rr(up, 0)), LDNS_RR_CLASS_NONE);
	CU_ASSERT_EQUAL(ldns_rr_ttl(ldns_rr_list_rr(up, 0)), 0);
	CU_ASSERT_EQUAL(ldns_rr_rd_count(ldns_rr_list_rr(up, 0)), 1);
	CU_ASSERT_EQUAL(ldns_rr_get_class(ldns_rr_list_rr(up, 1)), LDNS_RR_CLASS_IN);
	CU_ASSERT_EQUAL(ldns_rr_ttl(ldns_rr_list_rr(up, 2)), 60);
	/* Signed: verifies with the secret, not with another. */
	CU_ASSERT(ldns_pkt_tsig(p) != NULL);
	CU_ASSERT(ldns_pkt_tsig_verify(p, m->wire, m->len, key.name, key.secret, NULL));
	CU_ASSERT(
	    !ldns_pkt_tsig_verify(p, m->wire, m->len, key.name,
	                          "b3RoZXIgc2VjcmV0IG90aGVyIHNlY3JldCBvdGhlciE=", NULL));
	ldns_pkt_free(p);
	dnssd_wa_msg_free(m);
	ldns_rr_list_deep_free(add);
	ldns_rr_list_deep_free(del);
}

static void test_algorithms(void)
{
	const char *ok[] = {"hmac-sha256", "hmac-sha384", "hmac-sha512"};
	for (size_t i = 0; i < 3; i++) {
		struct dnssd_wa_key k = key;
		strcpy(k.algorithm, ok[i]);
		CU_ASSERT_EQUAL(dnssd_wa_algorithm_known(ok[i]), 0);
		struct dnssd_wa_msg *m = NULL;
		if (i == 1 && dnssd_wa_algorithm_ok(ok[i]) == -ENOSYS) {
			/* ldns 1.8.3 cannot sign hmac-sha384: refused, nothing sent
			 * unsigned. */
			CU_ASSERT_EQUAL(
			    dnssd_wa_query("z.example", LDNS_RR_TYPE_SOA, 7, &k, &m),
			    -EINVAL);
			CU_ASSERT_PTR_NULL(m);
			continue;
		}
		CU_ASSERT_EQUAL(dnssd_wa_algorithm_ok(ok[i]), 0);
		CU_ASSERT_EQUAL_FATAL(
		    dnssd_wa_query("z.example", LDNS_RR_TYPE_SOA, 7, &k, &m), 0);
		ldns_pkt *p = NULL;
		CU_ASSERT_EQUAL_FATAL(ldns_wire2pkt(&p, m->wire, m->len), LDNS_STATUS_OK);
		CU_ASSERT(
		    ldns_pkt_tsig_verify(p, m->wire, m->len, k.name, k.secret, NULL));
		/* MAC sizes: 32, 48, 64 bytes (+2 for the length) */
		CU_ASSERT_EQUAL(ldns_rdf_size(m->mac), 2 + 32 + 16 * i);
		ldns_pkt_free(p);
		dnssd_wa_msg_free(m);
	}
	CU_ASSERT_EQUAL(dnssd_wa_algorithm_ok("hmac-md5"), -ENOTSUP);
	CU_ASSERT_EQUAL(dnssd_wa_algorithm_ok(NULL), -ENOTSUP);
	struct dnssd_wa_key k = key;
	strcpy(k.algorithm, "hmac-md5");
	struct dnssd_wa_msg *m = NULL;
	CU_ASSERT_EQUAL(dnssd_wa_query("z.example", LDNS_RR_TYPE_SOA, 7, &k, &m),
	                -EINVAL);
	CU_ASSERT(m == NULL);
}

/* A response to req holding texts in its answer, signed as message n of a transfer. */
static uint8_t *response(const struct dnssd_wa_msg *req, const char *const *texts,
                         const ldns_rdf *prev_mac, int n, size_t *len, ldns_rdf **mac)
{
	ldns_pkt *p = ldns_pkt_new();
	ldns_pkt_set_id(p, req->id);
	ldns_pkt_set_qr(p, 1);
	for (; *texts; texts++)
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr(*texts));
	CU_ASSERT_EQUAL_FATAL(ldns_pkt_tsig_sign_next(p, key.name, key.secret, 300,
	                                              "hmac-sha256.", prev_mac, n > 0),
	                      LDNS_STATUS_OK);
	*mac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(p), 3));
	uint8_t *w = NULL;
	CU_ASSERT_EQUAL_FATAL(ldns_pkt2wire(&w, p, len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return w;
}

static void test_xfr(void)
{
	struct dnssd_wa_msg *q = NULL;
	CU_ASSERT_EQUAL_FATAL(dnssd_wa_query("z.example", LDNS_RR_TYPE_AXFR, 9, &key, &q),
	                      0);
	const char *m1[] = {"z.example. 60 IN SOA ns.z.example. h.z.example. 77 2 3 4 5",
	                    "_ipp._tcp.m.z.example. 60 IN PTR A._ipp._tcp.m.z.example.",
	                    NULL};
	const char *m2[] = {"h.m.z.example. 60 IN A 10.0.0.1",
	                    "z.example. 60 IN SOA ns.z.example. h.z.example. 77 2 3 4 5",
	                    NULL};
	size_t l1, l2;
	ldns_rdf *mac1, *mac2;
	uint8_t *w1 = response(q, m1, q->mac, 0, &l1, &mac1);
	uint8_t *w2 = response(q, m2, mac1, 1, &l2, &mac2);

	struct dnssd_wa_xfr *x = dnssd_wa_xfr_new(q, &key);
	CU_ASSERT_EQUAL(dnssd_wa_xfr_feed(x, w1, l1), 0);
	CU_ASSERT_EQUAL(dnssd_wa_xfr_feed(x, w2, l2), 1);
	CU_ASSERT_EQUAL(dnssd_wa_xfr_serial(x), 77);
	ldns_rr_list *l = dnssd_wa_xfr_take(x);
	CU_ASSERT_EQUAL(ldns_rr_list_rr_count(l), 2);
	ldns_rr_list_deep_free(l);
	dnssd_wa_xfr_free(x);

	/* A second message signed over the wrong MAC is refused. */
	x = dnssd_wa_xfr_new(q, &key);
	CU_ASSERT_EQUAL(dnssd_wa_xfr_feed(x, w1, l1), 0);
	free(w2);
	ldns_rdf_deep_free(mac2);
	w2 = response(q, m2, q->mac, 1, &l2, &mac2);
	CU_ASSERT_EQUAL(dnssd_wa_xfr_feed(x, w2, l2), -EBADMSG);
	dnssd_wa_xfr_free(x);

	/* Wrong id: not an answer to this request. */
	x = dnssd_wa_xfr_new(q, &key);
	w1[1] ^= 1;
	CU_ASSERT_EQUAL(dnssd_wa_xfr_feed(x, w1, l1), -EPROTO);
	CU_ASSERT_EQUAL(dnssd_wa_xfr_feed(x, w1, 5), -EPROTO);
	dnssd_wa_xfr_free(x);
	free(w1);
	free(w2);
	ldns_rdf_deep_free(mac1);
	ldns_rdf_deep_free(mac2);

	/* An unsigned NOTAUTH (what a server sends for a key it does not know). */
	ldns_pkt *p = ldns_pkt_new();
	ldns_pkt_set_id(p, q->id);
	ldns_pkt_set_qr(p, 1);
	ldns_pkt_set_rcode(p, LDNS_RCODE_NOTAUTH);
	uint8_t *w = NULL;
	size_t len;
	ldns_pkt2wire(&w, p, &len);
	x = dnssd_wa_xfr_new(q, &key);
	CU_ASSERT_EQUAL(dnssd_wa_xfr_feed(x, w, len), -ECONNREFUSED);
	int rc, te;
	dnssd_wa_xfr_rcode(x, &rc, &te);
	CU_ASSERT_EQUAL(rc, LDNS_RCODE_NOTAUTH);
	dnssd_wa_xfr_free(x);
	/* ...but an unsigned NOERROR is not believed. */
	ldns_pkt_set_rcode(p, LDNS_RCODE_NOERROR);
	free(w);
	ldns_pkt2wire(&w, p, &len);
	struct dnssd_wa_answer a;
	CU_ASSERT_EQUAL(dnssd_wa_answer_parse(w, len, q->id, &key, q->mac, 1, &a),
	                -EBADMSG);
	CU_ASSERT_EQUAL(dnssd_wa_answer_parse(w, len, q->id, NULL, NULL, 1, &a), 0);
	dnssd_wa_answer_clear(&a);
	free(w);
	ldns_pkt_free(p);
	dnssd_wa_msg_free(q);
}

/* A batch whose message would pass 64 KiB (the most a DNS message over TCP holds) is
 * refused with -EMSGSIZE, so that the caller splits it; ldns must never be asked to
 * build it (it aborts on an assertion). One that fits is built. */
static void test_too_big(void)
{
	ldns_rr_list *add = ldns_rr_list_new();
	char line[600], txt[256];
	memset(txt, 'x', 200);
	txt[200] = '\0';
	for (int i = 0; i < 1000; i++) {
		snprintf(line, sizeof(line),
		         "Service\\032%d._ipp._tcp.m.z.example. 60 IN TXT \"n=%d %s\"", i, i, txt);
		ldns_rr_list_push_rr(add, rr(line));
	}
	struct dnssd_wa_msg *m = NULL;
	CU_ASSERT_EQUAL(dnssd_wa_update("z.example", add, NULL, 1, &key, &m), -EMSGSIZE);
	CU_ASSERT_PTR_NULL(m);
	CU_ASSERT_EQUAL(dnssd_wa_update("z.example", NULL, add, 1, &key, &m), -EMSGSIZE);
	CU_ASSERT_PTR_NULL(m);
	ldns_rr_list *some = ldns_rr_list_new();
	for (size_t i = 0; i < 200; i++)
		ldns_rr_list_push_rr(some, ldns_rr_clone(ldns_rr_list_rr(add, i)));
	CU_ASSERT_EQUAL_FATAL(dnssd_wa_update("z.example", some, NULL, 1, &key, &m), 0);
	CU_ASSERT(m->len <= 65535);
	dnssd_wa_msg_free(m);
	ldns_rr_list_deep_free(some);
	ldns_rr_list_deep_free(add);
}

static void test_error_str(void)
{
	char b[160];
	CU_ASSERT_STRING_EQUAL(
	    dnssd_wa_error_str(LDNS_RCODE_NOTAUTH, 17, b, sizeof(b)),
	    "NOTAUTH, TSIG BADKEY: wrong secret or a name outside the key's grant");
	CU_ASSERT(strncmp(dnssd_wa_error_str(LDNS_RCODE_REFUSED, 0, b, sizeof(b)),
	                  "REFUSED: ", 9) == 0);
	CU_ASSERT(strncmp(dnssd_wa_error_str(LDNS_RCODE_NOTAUTH, 16, b, sizeof(b)),
	                  "NOTAUTH, TSIG BADSIG", 20) == 0);
	CU_ASSERT_STRING_EQUAL(dnssd_wa_error_str(0, 0, b, sizeof(b)), "NOERROR");
	CU_ASSERT_STRING_EQUAL(dnssd_wa_error_str(23, 0, b, sizeof(b)), "RCODE23");
}

static CU_TestInfo tests[] = {
    {"update message", test_update},
    {"algorithms", test_algorithms},
    {"transfer over two signed messages", test_xfr},
    {"error texts", test_error_str},
    {"a message over 64 KiB refused, not built", test_too_big},
    CU_TEST_INFO_NULL,
};
static CU_SuiteInfo suites[] = {{"waupdate", NULL, NULL, NULL, NULL, tests},
                                CU_SUITE_INFO_NULL};
UNIT_MAIN(suites)
