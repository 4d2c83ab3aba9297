/*
 * mdns_packets.h: mDNS datagrams as responders send them, and the decode and
 * encode helpers of the programs that test dnssd/msg.h and dnssd/encode.h
 * (test_msg, test_encode). Header-only: each program has its own copy of the
 * static definitions; what decode() and encode_msg() return is the caller's
 * to free (dnssd_msg_free, dnssd_enc_free).
 */
#ifndef SITECAST_TESTS_MDNS_PACKETS_H
#define SITECAST_TESTS_MDNS_PACKETS_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/encode.h"
#include "dnssd/msg.h"
#include "tests/unit/unit.h"

/* avahi-daemon announcing "Büro Drucker" (_ipp._tcp, subtype _universal) */
static const char avahi_announce[] =
    /* response, id 0, QR AA, 5 answers, 2 additional */
    "00 00 84 00 00 00 00 05 00 00 00 02 "
    /* _services._dns-sd._udp.local PTR _ipp._tcp.local, TTL 4500 */
    "09 5f 73 65 72 76 69 63 65 73 07 5f 64 6e 73 2d 73 64 04 5f 75 64 70 05 "
    "6c 6f 63 61 6c 00 00 0c 00 01 00 00 11 94 00 0c 04 5f 69 70 70 04 5f 74 "
    "63 70 c0 23 "
    /* _ipp._tcp.local PTR "Büro Drucker" (UTF-8), name compressed */
    "c0 34 00 0c 00 01 00 00 11 94 00 10 0d 42 c3 bc 72 6f 20 44 72 75 63 6b "
    "65 72 c0 34 "
    /* _universal._sub._ipp._tcp.local PTR "Büro Drucker" */
    "0a 5f 75 6e 69 76 65 72 73 61 6c 04 5f 73 75 62 c0 34 00 0c 00 01 00 00 "
    "11 94 00 02 c0 4c "
    /* SRV cache-flush TTL 120: 0 0 631 buero-drucker.local */
    "c0 4c 00 21 80 01 00 00 00 78 00 16 00 00 00 00 02 77 0d 62 75 65 72 6f "
    "2d 64 72 75 63 6b 65 72 c0 23 "
    /* TXT cache-flush TTL 4500: 12 strings, 345 bytes */
    "c0 4c 00 10 80 01 00 00 11 94 01 59 09 74 78 74 76 65 72 73 3d 31 08 71 "
    "74 6f 74 61 6c 3d 31 0c 72 70 3d 69 70 70 2f 70 72 69 6e 74 1c 74 79 3d "
    "42 72 6f 74 68 65 72 20 48 4c 2d 4c 32 33 35 30 44 57 20 73 65 72 69 65 "
    "73 23 70 72 6f 64 75 63 74 3d 28 42 72 6f 74 68 65 72 20 48 4c 2d 4c 32 "
    "33 35 30 44 57 20 73 65 72 69 65 73 29 10 6e 6f 74 65 3d 42 c3 bc 72 6f "
    "20 32 2e 20 4f 47 3a 61 64 6d 69 6e 75 72 6c 3d 68 74 74 70 3a 2f 2f 62 "
    "75 65 72 6f 2d 64 72 75 63 6b 65 72 2e 6c 6f 63 61 6c 2e 2f 6e 65 74 2f "
    "6e 65 74 2f 61 69 72 70 72 69 6e 74 2e 68 74 6d 6c 37 70 64 6c 3d 61 70 "
    "70 6c 69 63 61 74 69 6f 6e 2f 6f 63 74 65 74 2d 73 74 72 65 61 6d 2c 69 "
    "6d 61 67 65 2f 75 72 66 2c 69 6d 61 67 65 2f 70 77 67 2d 72 61 73 74 65 "
    "72 38 55 52 46 3d 57 38 2c 43 50 31 2c 49 53 34 2d 31 2c 4d 54 31 2d 33 "
    "2d 34 2d 35 2d 38 2c 4f 42 31 30 2c 50 51 34 2c 52 53 33 30 30 2d 36 30 "
    "30 2c 56 31 2e 34 2c 44 4d 31 29 55 55 49 44 3d 65 33 32 34 38 30 30 30 "
    "2d 38 30 63 65 2d 31 31 64 62 2d 38 30 30 30 2d 33 30 30 35 35 63 37 37 "
    "33 62 63 66 07 43 6f 6c 6f 72 3d 46 08 44 75 70 6c 65 78 3d 54 "
    /* A cache-flush 192.168.1.20 */
    "c0 8c 00 01 80 01 00 00 00 78 00 04 c0 a8 01 14 "
    /* AAAA cache-flush fe80::211:22ff:fe33:4455 */
    "c0 8c 00 1c 80 01 00 00 00 78 00 10 fe 80 00 00 00 00 00 00 02 11 22 ff "
    "fe 33 44 55 ";

/* An Apple device announcing "Printer\.A" (a dot inside the label) */
static const char apple_announce[] =
    /* response, id 0, QR AA, 4 answers, 3 additional */
    "00 00 84 00 00 00 00 04 00 00 00 03 "
    /* _ipp._tcp.local PTR Printer\.A._ipp._tcp.local */
    "04 5f 69 70 70 04 5f 74 63 70 05 6c 6f 63 61 6c 00 00 0c 00 01 00 00 11 "
    "94 00 0c 09 50 72 69 6e 74 65 72 2e 41 c0 0c "
    /* SRV cache-flush: 0 0 631 Printer-A.local, target compressed */
    "c0 27 00 21 80 01 00 00 00 78 00 12 00 00 00 00 02 77 09 50 72 69 6e 74 "
    "65 72 2d 41 c0 16 "
    /* TXT cache-flush */
    "c0 27 00 10 80 01 00 00 11 94 00 24 09 74 78 74 76 65 72 73 3d 31 0c 72 "
    "70 3d 69 70 70 2f 70 72 69 6e 74 0c 74 79 3d 50 72 69 6e 74 65 72 20 41 "
    /* A cache-flush 10.1.2.3 */
    "c0 45 00 01 80 01 00 00 00 78 00 04 0a 01 02 03 "
    /* NSEC cache-flush, next name compressed to the owner: TXT SRV */
    "c0 27 00 2f 80 01 00 00 11 94 00 09 c0 27 00 05 00 00 80 00 40 "
    /* NSEC cache-flush for the host: A */
    "c0 45 00 2f 80 01 00 00 00 78 00 05 c0 45 00 01 40 "
    /* OPT, UDP size 1440, EDNS0 Owner option */
    "00 00 29 05 a0 00 00 11 94 00 12 00 04 00 0e 00 01 a4 83 e7 12 34 56 a4 "
    "83 e7 12 34 56 ";

/* Probe (RFC 6762 §8.1): questions of type ANY with QU, proposed records in authority */
static const char probe[] =
    /* query, id 0, 2 questions, 2 authority */
    "00 00 00 00 00 02 00 00 00 02 00 00 "
    /* "Büro Drucker"._ipp._tcp.local ANY, class IN with QU */
    "0d 42 c3 bc 72 6f 20 44 72 75 63 6b 65 72 04 5f 69 70 70 04 5f 74 63 70 "
    "05 6c 6f 63 61 6c 00 00 ff 80 01 "
    /* buero-drucker.local ANY, QU */
    "0d 62 75 65 72 6f 2d 64 72 75 63 6b 65 72 c0 24 00 ff 80 01 "
    /* SRV 0 0 631 buero-drucker.local (no cache-flush in probes) */
    "c0 0c 00 21 00 01 00 00 00 78 00 08 00 00 00 00 02 77 c0 2f "
    /* A 192.168.1.20 */
    "c0 2f 00 01 00 01 00 00 00 78 00 04 c0 a8 01 14 ";

/* Query with the QU bit and one known answer */
static const char query_qu[] =
    /* query, id 0, 1 question, 1 answer */
    "00 00 00 00 00 01 00 01 00 00 00 00 "
    /* _ipp._tcp.local PTR, QU */
    "04 5f 69 70 70 04 5f 74 63 70 05 6c 6f 63 61 6c 00 00 0c 80 01 "
    /* known answer, TTL 3000 */
    "c0 0c 00 0c 00 01 00 00 0b b8 00 10 0d 42 c3 bc 72 6f 20 44 72 75 63 6b "
    "65 72 c0 0c ";

/* Goodbye: the service withdrawn, every answer with TTL 0 */
static const char goodbye[] =
    /* response, 2 answers */
    "00 00 84 00 00 00 00 02 00 00 00 00 "
    /* PTR TTL 0 */
    "04 5f 69 70 70 04 5f 74 63 70 05 6c 6f 63 61 6c 00 00 0c 00 01 00 00 00 "
    "00 00 10 0d 42 c3 bc 72 6f 20 44 72 75 63 6b 65 72 c0 0c "
    /* SRV cache-flush TTL 0 */
    "c0 27 00 21 80 01 00 00 00 00 00 16 00 00 00 00 02 77 0d 62 75 65 72 6f "
    "2d 64 72 75 63 6b 65 72 c0 16 ";

#define MAXPKT DNSSD_MAX_PACKET

static inline size_t hex(const char *h, uint8_t *out)
{
	return unit_hex(h, out, MAXPKT);
}

/*
 * Decode from a heap copy of exactly len bytes, freed before returning: a read
 * past the end shows under AddressSanitizer or valgrind, and the message must
 * not keep pointers into the caller's buffer.
 */
static inline struct dnssd_msg *decode(const uint8_t *buf, size_t len,
                                       enum dnssd_reason *reason)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct dnssd_msg *m = (struct dnssd_msg *)1;
	enum dnssd_reason r = DNSSD_R_MAX;
	CU_ASSERT_FATAL(copy != NULL);
	memcpy(copy, buf, len);
	int rc = dnssd_msg_decode(copy, len, &m, &r);
	free(copy);
	if (rc == 0) {
		CU_ASSERT(m != NULL);
		CU_ASSERT_EQUAL(r, DNSSD_R_OK);
	} else {
		CU_ASSERT_EQUAL(rc, -EBADMSG);
		CU_ASSERT(m == NULL);
		CU_ASSERT(r > DNSSD_R_OK && r < DNSSD_R_MAX);
	}
	if (reason)
		*reason = r;
	return m;
}

/* Two records equal in owner (bytes, so case counts), type, raw class, TTL and rdata. */
static inline bool same_rr(const ldns_rr *a, const ldns_rr *b, bool question)
{
	uint8_t *wa = NULL, *wb = NULL;
	size_t la = 0, lb = 0;
	int sec = question ? LDNS_SECTION_QUESTION : LDNS_SECTION_ANSWER;
	if (ldns_rr2wire(&wa, a, sec, &la) != LDNS_STATUS_OK ||
	    ldns_rr2wire(&wb, b, sec, &lb) != LDNS_STATUS_OK) {
		free(wa);
		free(wb);
		return false;
	}
	bool same =
	    la == lb && memcmp(wa, wb, la) == 0 && ldns_rr_ttl(a) == ldns_rr_ttl(b);
	free(wa);
	free(wb);
	return same;
}

/* Every section of m into an encoder of the given MTU. */
static inline struct dnssd_enc *encode_msg(const struct dnssd_msg *m, size_t mtu)
{
	bool response = dnssd_msg_kind(m) == DNSSD_RESPONSE;
	struct dnssd_enc *e = dnssd_enc_new(mtu, response, dnssd_msg_id(m));
	CU_ASSERT_FATAL(e != NULL);
	for (size_t i = 0; i < dnssd_msg_count(m, DNSSD_SEC_QUESTION); i++)
		CU_ASSERT_EQUAL(
		    dnssd_enc_question(e, dnssd_msg_rr(m, DNSSD_SEC_QUESTION, i)), 0);
	for (int s = DNSSD_SEC_ANSWER; s <= DNSSD_SEC_ADDITIONAL; s++)
		for (size_t i = 0; i < dnssd_msg_count(m, s); i++)
			CU_ASSERT_EQUAL(dnssd_enc_rr(e, s, dnssd_msg_rr(m, s, i)), 0);
	return e;
}

static inline void check_same_msg(const struct dnssd_msg *a, const struct dnssd_msg *b)
{
	CU_ASSERT_EQUAL(dnssd_msg_kind(a), dnssd_msg_kind(b));
	CU_ASSERT_EQUAL(dnssd_msg_id(a), dnssd_msg_id(b));
	for (int s = DNSSD_SEC_QUESTION; s <= DNSSD_SEC_ADDITIONAL; s++) {
		CU_ASSERT_EQUAL_FATAL(dnssd_msg_count(a, s), dnssd_msg_count(b, s));
		for (size_t i = 0; i < dnssd_msg_count(a, s); i++)
			CU_ASSERT(same_rr(dnssd_msg_rr(a, s, i), dnssd_msg_rr(b, s, i),
			                  s == DNSSD_SEC_QUESTION));
	}
}

#endif
