/*
 * test_encode.c: encoding mDNS datagrams (dnssd/encode.h): round trips through
 * the decoder, header and class bits, splitting at the MTU, name compression.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/encode.h"
#include "dnssd/msg.h"
#include "tests/unit/mdns_packets.h"
#include "tests/unit/unit.h"

static ldns_rr *rr_from(const char *s)
{
	ldns_rr *rr = NULL;
	CU_ASSERT_FATAL(ldns_rr_new_frm_str(&rr, s, 0, NULL, NULL) == LDNS_STATUS_OK);
	return rr;
}

static ldns_rr *question_from(const char *s)
{
	ldns_rr *rr = NULL;
	CU_ASSERT_FATAL(ldns_rr_new_question_frm_str(&rr, s, NULL, NULL) ==
	                LDNS_STATUS_OK);
	return rr;
}

static void test_round_trip(void)
{
	const char *const packets[] = {avahi_announce, apple_announce, probe, query_qu,
	                               goodbye};
	for (size_t k = 0; k < sizeof(packets) / sizeof(packets[0]); k++) {
		uint8_t buf[MAXPKT];
		size_t len = hex(packets[k], buf), olen;
		struct dnssd_msg *m = decode(buf, len, NULL), *m2;
		CU_ASSERT_FATAL(m != NULL);
		struct dnssd_enc *e = encode_msg(m, 1500);
		CU_ASSERT_EQUAL_FATAL(dnssd_enc_finish(e), 1);
		const uint8_t *out = dnssd_enc_packet(e, 0, &olen);
		/* Compressed at least as well as the responders did (OPT aside). */
		CU_ASSERT(olen <= len);
		m2 = decode(out, olen, NULL);
		CU_ASSERT_FATAL(m2 != NULL);
		check_same_msg(m, m2);
		CU_ASSERT_EQUAL(dnssd_msg_is_goodbye(m), dnssd_msg_is_goodbye(m2));
		dnssd_msg_free(m2);
		dnssd_enc_free(e);
		dnssd_msg_free(m);
	}
}

static void test_header_and_class_bits(void)
{
	ldns_rr *q = question_from("_ipp._tcp.local. IN PTR");
	ldns_rr_set_class(q, 0x8001);
	ldns_rr *a = rr_from("printer.local. 120 IN A 10.0.0.1");
	ldns_rr_set_class(a, 0x8001);

	/* A legacy unicast reply keeps the query's ID; QR and AA set. */
	struct dnssd_enc *e = dnssd_enc_new(1500, true, 0x1d2b);
	CU_ASSERT_EQUAL(dnssd_enc_rr(e, DNSSD_SEC_ANSWER, a), 0);
	CU_ASSERT_EQUAL(dnssd_enc_finish(e), 1);
	size_t len;
	const uint8_t *p = dnssd_enc_packet(e, 0, &len);
	CU_ASSERT_EQUAL(p[0], 0x1d);
	CU_ASSERT_EQUAL(p[1], 0x2b);
	CU_ASSERT_EQUAL(p[2], 0x84);
	CU_ASSERT_EQUAL(p[3], 0x00);
	struct dnssd_msg *m = decode(p, len, NULL);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT(dnssd_rr_cache_flush(dnssd_msg_rr(m, DNSSD_SEC_ANSWER, 0)));
	dnssd_msg_free(m);
	CU_ASSERT(dnssd_enc_packet(e, 1, &len) == NULL);
	CU_ASSERT_EQUAL(len, 0);
	dnssd_enc_free(e);

	/* A query: no flags; the QU bit survives. */
	e = dnssd_enc_new(1500, false, 0);
	CU_ASSERT_EQUAL(dnssd_enc_question(e, q), 0);
	CU_ASSERT_EQUAL(dnssd_enc_finish(e), 1);
	p = dnssd_enc_packet(e, 0, &len);
	CU_ASSERT_EQUAL(p[2], 0x00);
	CU_ASSERT_EQUAL(p[3], 0x00);
	m = decode(p, len, NULL);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(dnssd_msg_kind(m), DNSSD_QUERY);
	CU_ASSERT(dnssd_q_unicast(dnssd_msg_rr(m, DNSSD_SEC_QUESTION, 0)));
	dnssd_msg_free(m);

	/* Adding again and finishing again lays everything out anew. */
	CU_ASSERT_EQUAL(dnssd_enc_rr(e, DNSSD_SEC_ANSWER, a), 0);
	CU_ASSERT_EQUAL(dnssd_enc_finish(e), 1);
	p = dnssd_enc_packet(e, 0, &len);
	m = decode(p, len, NULL);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(dnssd_msg_count(m, DNSSD_SEC_QUESTION), 1);
	CU_ASSERT_EQUAL(dnssd_msg_count(m, DNSSD_SEC_ANSWER), 1);
	dnssd_msg_free(m);

	/* Questions go into the question section only. */
	CU_ASSERT_EQUAL(dnssd_enc_rr(e, DNSSD_SEC_QUESTION, a), -EINVAL);
	CU_ASSERT_EQUAL(dnssd_enc_rr(e, (enum dnssd_section)7, a), -EINVAL);
	dnssd_enc_free(e);

	e = dnssd_enc_new(1500, true, 0);
	CU_ASSERT_EQUAL(dnssd_enc_finish(e), 0);
	CU_ASSERT(dnssd_enc_packet(e, 0, &len) == NULL);
	dnssd_enc_free(e);
	dnssd_enc_free(NULL);
	dnssd_msg_free(NULL);
	ldns_rr_free(q);
	ldns_rr_free(a);
}

/* The i-th of a mix of the records a responder holds. */
static ldns_rr *service_rr(int i)
{
	char s[300];
	switch (i % 4) {
	case 0:
		snprintf(s, sizeof(s),
		         "_ipp._tcp.local. 4500 IN PTR Printer\\ %d._ipp._tcp.local.",
		         i / 4);
		break;
	case 1:
		snprintf(s, sizeof(s),
		         "Printer\\ %d._ipp._tcp.local. 120 IN SRV 0 0 631 p%d.local.",
		         i / 4, i / 4);
		break;
	case 2:
		snprintf(s, sizeof(s),
		         "Printer\\ %d._ipp._tcp.local. 4500 IN TXT \"txtvers=1\" "
		         "\"rp=ipp/print\" "
		         "\"note=Floor %d\"",
		         i / 4, i / 4);
		break;
	default:
		snprintf(s, sizeof(s), "p%d.local. 120 IN A 192.168.%d.%d", i / 4,
		         i / 4 / 250, i / 4 % 250 + 1);
		break;
	}
	ldns_rr *rr = rr_from(s);
	if (i % 4)
		ldns_rr_set_class(rr, 0x8001);
	return rr;
}

static void test_split(void)
{
	enum { N = 100 };
	ldns_rr *rrs[N];
	struct dnssd_enc *e = dnssd_enc_new(512, true, 0);
	for (int i = 0; i < N; i++) {
		rrs[i] = service_rr(i);
		CU_ASSERT_EQUAL(
		    dnssd_enc_rr(e, i < 90 ? DNSSD_SEC_ANSWER : DNSSD_SEC_ADDITIONAL,
		                 rrs[i]),
		    0);
	}
	/* 5190 bytes uncompressed, about 3100 compressed: 6 datagrams at least. */
	size_t n = dnssd_enc_finish(e), got = 0;
	CU_ASSERT(n >= 6 && n <= 11);
	for (size_t k = 0; k < n; k++) {
		size_t len;
		const uint8_t *p = dnssd_enc_packet(e, k, &len);
		CU_ASSERT(len <= 512);
		/* Filled until the next record (at most 112 bytes) did not fit. */
		if (k + 1 < n)
			CU_ASSERT(len > 512 - 112);
		/* A response is never marked truncated. */
		CU_ASSERT_EQUAL(p[2], 0x84);
		struct dnssd_msg *m = decode(p, len, NULL);
		CU_ASSERT_FATAL(m != NULL);
		CU_ASSERT(dnssd_msg_count(m, DNSSD_SEC_ANSWER) +
		              dnssd_msg_count(m, DNSSD_SEC_ADDITIONAL) >
		          0);
		for (int s = DNSSD_SEC_ANSWER; s <= DNSSD_SEC_ADDITIONAL; s++) {
			for (size_t i = 0; i < dnssd_msg_count(m, s); i++, got++) {
				CU_ASSERT_FATAL(got < N);
				CU_ASSERT(
				    same_rr(dnssd_msg_rr(m, s, i), rrs[got], false));
				CU_ASSERT_EQUAL(s, got < 90 ? DNSSD_SEC_ANSWER
				                            : DNSSD_SEC_ADDITIONAL);
			}
		}
		dnssd_msg_free(m);
	}
	CU_ASSERT_EQUAL(got, N);
	dnssd_enc_free(e);

	/* A query with many known answers: question first, TC on all but the last. */
	ldns_rr *q = question_from("_ipp._tcp.local. IN PTR");
	e = dnssd_enc_new(512, false, 0);
	for (int i = 0; i < N; i += 4)
		CU_ASSERT_EQUAL(dnssd_enc_rr(e, DNSSD_SEC_ANSWER, rrs[i]), 0);
	CU_ASSERT_EQUAL(dnssd_enc_question(e, q), 0);
	n = dnssd_enc_finish(e);
	CU_ASSERT(n >= 2);
	got = 0;
	for (size_t k = 0; k < n; k++) {
		size_t len;
		const uint8_t *p = dnssd_enc_packet(e, k, &len);
		CU_ASSERT(len <= 512);
		struct dnssd_msg *m = decode(p, len, NULL);
		CU_ASSERT_FATAL(m != NULL);
		CU_ASSERT_EQUAL(dnssd_msg_count(m, DNSSD_SEC_QUESTION), k == 0 ? 1 : 0);
		CU_ASSERT_EQUAL(dnssd_msg_truncated(m), k + 1 < n);
		got += dnssd_msg_count(m, DNSSD_SEC_ANSWER);
		dnssd_msg_free(m);
	}
	CU_ASSERT_EQUAL(got, N / 4);
	dnssd_enc_free(e);
	ldns_rr_free(q);

	/* Past 9000 bytes, the MTU is held to 9000. */
	e = dnssd_enc_new(65535, true, 0);
	for (int k = 0; k < 4; k++)
		for (int i = 0; i < N; i++)
			CU_ASSERT_EQUAL(dnssd_enc_rr(e, DNSSD_SEC_ANSWER, rrs[i]), 0);
	n = dnssd_enc_finish(e);
	CU_ASSERT(n >= 2);
	for (size_t k = 0; k < n; k++) {
		size_t len;
		dnssd_enc_packet(e, k, &len);
		CU_ASSERT(len <= DNSSD_MAX_PACKET);
		if (k + 1 < n)
			CU_ASSERT(len > DNSSD_MAX_PACKET - 112);
	}
	dnssd_enc_free(e);
	for (int i = 0; i < N; i++)
		ldns_rr_free(rrs[i]);
}

static void test_too_big(void)
{
	/* A TXT of 600 bytes: over an MTU of 512, fine at 1500. */
	char s[1024] = "Printer._ipp._tcp.local. 4500 IN TXT";
	for (int i = 0; i < 6; i++)
		strcat(
		    s,
		    " \"note=0123456789012345678901234567890123456789012345678901234567"
		    "8901234567890123456789012345678\"");
	ldns_rr *txt = rr_from(s);
	CU_ASSERT(ldns_rr_uncompressed_size(txt) > 600);
	struct dnssd_enc *e = dnssd_enc_new(512, true, 0);
	CU_ASSERT_EQUAL(dnssd_enc_rr(e, DNSSD_SEC_ANSWER, txt), -EMSGSIZE);
	CU_ASSERT_EQUAL(dnssd_enc_finish(e), 0);
	dnssd_enc_free(e);
	e = dnssd_enc_new(1500, true, 0);
	CU_ASSERT_EQUAL(dnssd_enc_rr(e, DNSSD_SEC_ANSWER, txt), 0);
	CU_ASSERT_EQUAL(dnssd_enc_finish(e), 1);
	dnssd_enc_free(e);

	/* A record exactly as big as the MTU allows fits; one byte less does not. */
	size_t exact = 12 + ldns_rr_uncompressed_size(txt);
	e = dnssd_enc_new(exact, true, 0);
	CU_ASSERT_EQUAL(dnssd_enc_rr(e, DNSSD_SEC_ANSWER, txt), 0);
	CU_ASSERT_EQUAL(dnssd_enc_rr(e, DNSSD_SEC_ANSWER, txt), 0);
	CU_ASSERT_EQUAL(dnssd_enc_finish(e), 2);
	size_t len;
	dnssd_enc_packet(e, 1, &len);
	CU_ASSERT_EQUAL(len, exact);
	dnssd_enc_free(e);
	e = dnssd_enc_new(exact - 1, true, 0);
	CU_ASSERT_EQUAL(dnssd_enc_rr(e, DNSSD_SEC_ANSWER, txt), -EMSGSIZE);
	dnssd_enc_free(e);

	/* Nothing fits an MTU smaller than a header and a question. */
	ldns_rr *q = question_from("a. IN A");
	e = dnssd_enc_new(16, false, 0);
	CU_ASSERT_EQUAL(dnssd_enc_question(e, q), -EMSGSIZE);
	dnssd_enc_free(e);
	e = dnssd_enc_new(19, false, 0);
	CU_ASSERT_EQUAL(dnssd_enc_question(e, q), 0);
	dnssd_enc_free(e);
	ldns_rr_free(q);
	ldns_rr_free(txt);
}

static void test_compression(void)
{
	const char *const recs[] = {
	    "_ipp._tcp.local. 4500 IN PTR Printer\\ A._ipp._tcp.local.",
	    "Printer\\ A._ipp._tcp.local. 120 IN SRV 0 0 631 printer.local.",
	    "Printer\\ A._ipp._tcp.local. 4500 IN TXT \"txtvers=1\" \"rp=ipp/print\"",
	    "printer.local. 120 IN A 192.168.1.20",
	};
	struct dnssd_enc *e = dnssd_enc_new(1500, true, 0);
	size_t uncompressed = 12;
	ldns_rr *rrs[4];
	for (int i = 0; i < 4; i++) {
		rrs[i] = rr_from(recs[i]);
		uncompressed += ldns_rr_uncompressed_size(rrs[i]);
		CU_ASSERT_EQUAL(dnssd_enc_rr(e, DNSSD_SEC_ANSWER, rrs[i]), 0);
	}
	CU_ASSERT_EQUAL_FATAL(dnssd_enc_finish(e), 1);
	size_t len;
	const uint8_t *p = dnssd_enc_packet(e, 0, &len);
	/*
	 * Saved: PTR target 27 -> 12, SRV owner 27 -> 2, SRV target 15 -> 10,
	 * TXT owner 27 -> 2, A owner 15 -> 2.
	 */
	CU_ASSERT_EQUAL(uncompressed - len, 15 + 25 + 5 + 25 + 13);
	struct dnssd_msg *m = decode(p, len, NULL);
	CU_ASSERT_FATAL(m != NULL);
	for (int i = 0; i < 4; i++)
		CU_ASSERT(same_rr(dnssd_msg_rr(m, DNSSD_SEC_ANSWER, i), rrs[i], false));
	dnssd_msg_free(m);
	dnssd_enc_free(e);
	for (int i = 0; i < 4; i++)
		ldns_rr_free(rrs[i]);

	/* Names compare without case; the first spelling is the one written. */
	ldns_rr *a = rr_from("PRINTER.local. 120 IN A 10.0.0.1");
	ldns_rr *b = rr_from("printer.LOCAL. 120 IN A 10.0.0.2");
	e = dnssd_enc_new(1500, true, 0);
	CU_ASSERT_EQUAL(dnssd_enc_rr(e, DNSSD_SEC_ANSWER, a), 0);
	CU_ASSERT_EQUAL(dnssd_enc_rr(e, DNSSD_SEC_ANSWER, b), 0);
	CU_ASSERT_EQUAL(dnssd_enc_finish(e), 1);
	p = dnssd_enc_packet(e, 0, &len);
	CU_ASSERT_EQUAL(len, 12 + (15 + 14) + (2 + 14));
	dnssd_enc_free(e);
	ldns_rr_free(a);
	ldns_rr_free(b);
}

static CU_TestInfo encode_tests[] = {
    {"round trip keeps records, TTLs, class bits", test_round_trip},
    {"header flags, ID, QU and cache-flush bits", test_header_and_class_bits},
    {"split at MTU 512, TC for queries, 9000 cap", test_split},
    {"record too big for the MTU", test_too_big},
    {"name compression", test_compression},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"encode", NULL, NULL, NULL, NULL, encode_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
