/* test_frame.c: the peer-link frame codec, byte for byte and against malformed input. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "reflector/frame.h"
#include "tests/unit/unit.h"

static uint8_t buf[FRAME_MAX];

static ldns_rr *rr(const char *text, uint16_t klass)
{
	ldns_rr *r = NULL;
	CU_ASSERT_FATAL(ldns_rr_new_frm_str(&r, text, 0, NULL, NULL) == LDNS_STATUS_OK);
	if (klass)
		ldns_rr_set_class(r, klass);
	return r;
}

static ldns_rr *question(const char *name, ldns_rr_type type, uint16_t klass)
{
	ldns_rr *q = ldns_rr_new();
	ldns_rdf *owner = NULL;
	CU_ASSERT_FATAL(ldns_str2rdf_dname(&owner, name) == LDNS_STATUS_OK);
	ldns_rr_set_owner(q, owner);
	ldns_rr_set_type(q, type);
	ldns_rr_set_class(q, klass);
	ldns_rr_set_question(q, true);
	return q;
}

/* Same owner, type, raw class (flag bits included), TTL and rdata. */
static int rr_same(const ldns_rr *a, const ldns_rr *b)
{
	return ldns_rr_compare(a, b) == 0 &&
	       ldns_rr_get_class(a) == ldns_rr_get_class(b) &&
	       ldns_rr_ttl(a) == ldns_rr_ttl(b) &&
	       ldns_rr_get_type(a) == ldns_rr_get_type(b) &&
	       ldns_dname_compare(ldns_rr_owner(a), ldns_rr_owner(b)) == 0;
}

static void free_rrs(ldns_rr **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ldns_rr_free(v[i]);
}

/* ------------------------------------------------------------------ round trips */

static void test_hello(void)
{
	int len = frame_encode_hello(buf, sizeof(buf), FRAME_VERSION, 0x5, "manhattan");
	uint8_t want[64];
	size_t wn =
	    unit_hex("01 00 00 0f  01  00 00 00 05  09 6d 61 6e 68 61 74 74 61 6e", want,
	             sizeof(want));
	CU_ASSERT_EQUAL(len, (int)wn);
	CU_ASSERT(memcmp(buf, want, wn) == 0);

	struct frame f;
	size_t used = 0;
	CU_ASSERT_EQUAL(frame_decode(buf, (size_t)len, &used, &f), 1);
	CU_ASSERT_EQUAL(used, (size_t)len);
	CU_ASSERT_EQUAL(f.type, FRAME_HELLO);
	CU_ASSERT_EQUAL(f.version, 1);
	CU_ASSERT_EQUAL(f.caps, 5);
	CU_ASSERT_STRING_EQUAL(f.site, "manhattan");
	frame_clear(&f);
}

static void test_records(void)
{
	ldns_rr *in[] = {
	    rr("_ipp._tcp.local. 4500 IN PTR Printer\\032A._ipp._tcp.local.", 0),
	    rr("Printer\\032A._ipp._tcp.local. 120 IN SRV 0 0 631 printer.local.",
	       0x8001),
	    rr("Printer\\032A._ipp._tcp.local. 4500 IN TXT \"txtvers=1\" "
	       "\"rp=ipp/print\"",
	       0x8001),
	    rr("printer.local. 120 IN A 192.168.1.20", 0x8001),
	    rr("printer.local. 120 IN AAAA fd00::20", 0x8001),
	    rr("old.local. 0 IN A 192.168.1.21", 0x8001), /* a goodbye */
	};
	size_t n = sizeof(in) / sizeof(in[0]), taken = 0;
	int len = frame_encode_records(buf, sizeof(buf), "manhattan", 2,
	                               (const ldns_rr *const *)in, n, &taken);
	CU_ASSERT(len > 0);
	CU_ASSERT_EQUAL(taken, n);
	/* type, 24-bit length, origin, hops, count */
	CU_ASSERT_EQUAL(buf[0], FRAME_RECORDS);
	CU_ASSERT_EQUAL((size_t)(buf[1] << 16 | buf[2] << 8 | buf[3]), (size_t)len - 4);
	CU_ASSERT_EQUAL(buf[4], 9);
	CU_ASSERT(memcmp(buf + 5, "manhattan", 9) == 0);
	CU_ASSERT_EQUAL(buf[14], 2);
	CU_ASSERT_EQUAL(buf[15] << 8 | buf[16], (int)n);

	struct frame f;
	CU_ASSERT_EQUAL_FATAL(frame_decode_one(buf, (size_t)len, &f), 0);
	CU_ASSERT_EQUAL(f.type, FRAME_RECORDS);
	CU_ASSERT_STRING_EQUAL(f.site, "manhattan");
	CU_ASSERT_EQUAL(f.hops, 2);
	CU_ASSERT_EQUAL_FATAL(f.nrr, n);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT(rr_same(f.rrs[i], in[i]));
	CU_ASSERT_EQUAL(ldns_rr_get_class(f.rrs[1]), 0x8001);
	CU_ASSERT_EQUAL(ldns_rr_ttl(f.rrs[5]), 0);
	frame_clear(&f);
	CU_ASSERT_PTR_NULL(f.rrs);
	free_rrs(in, n);
}

static void test_withdraw(void)
{
	ldns_rr *in[] = {rr("Scanner._uscan._tcp.local. 4500 IN TXT \"x=1\"", 0x8001)};
	size_t taken;
	int len = frame_encode_withdraw(buf, sizeof(buf), "brooklyn",
	                                (const ldns_rr *const *)in, 1, &taken);
	CU_ASSERT(len > 0);
	CU_ASSERT_EQUAL(taken, 1);
	struct frame f;
	CU_ASSERT_EQUAL_FATAL(frame_decode_one(buf, (size_t)len, &f), 0);
	CU_ASSERT_EQUAL(f.type, FRAME_WITHDRAW);
	CU_ASSERT_STRING_EQUAL(f.site, "brooklyn");
	CU_ASSERT_EQUAL_FATAL(f.nrr, 1);
	CU_ASSERT(rr_same(f.rrs[0], in[0]));
	frame_clear(&f);
	free_rrs(in, 1);
}

static void test_questions(void)
{
	ldns_rr *qs[] = {question("_ipp._tcp.local.", LDNS_RR_TYPE_PTR, 0x8001),
	                 question("printer-manhattan.local.", LDNS_RR_TYPE_AAAA, 1)};
	size_t taken;
	int len = frame_encode_questions(buf, sizeof(buf), (const ldns_rr *const *)qs, 2,
	                                 &taken);
	uint8_t want[128];
	size_t wn =
	    unit_hex("04 00 00 34  00 02"
	             " 04 5f 69 70 70 04 5f 74 63 70 05 6c 6f 63 61 6c 00  00 0c 80 01"
	             " 11 70 72 69 6e 74 65 72 2d 6d 61 6e 68 61 74 74 61 6e"
	             " 05 6c 6f 63 61 6c 00  00 1c 00 01",
	             want, sizeof(want));
	CU_ASSERT_EQUAL(len, (int)wn);
	CU_ASSERT(memcmp(buf, want, wn) == 0);

	struct frame f;
	CU_ASSERT_EQUAL_FATAL(frame_decode_one(buf, (size_t)len, &f), 0);
	CU_ASSERT_EQUAL(f.type, FRAME_QUESTIONS);
	CU_ASSERT_EQUAL_FATAL(f.nrr, 2);
	CU_ASSERT(ldns_rr_is_question(f.rrs[0]));
	CU_ASSERT_EQUAL(ldns_rr_get_class(f.rrs[0]), 0x8001);
	CU_ASSERT_EQUAL(ldns_rr_get_type(f.rrs[1]), LDNS_RR_TYPE_AAAA);
	CU_ASSERT(ldns_dname_compare(ldns_rr_owner(f.rrs[1]), ldns_rr_owner(qs[1])) == 0);
	frame_clear(&f);
	free_rrs(qs, 2);
}

static void test_keepalive_bye(void)
{
	struct frame f;
	int len = frame_encode_keepalive(buf, sizeof(buf));
	CU_ASSERT_EQUAL(len, 4);
	CU_ASSERT(memcmp(buf, "\x05\x00\x00\x00", 4) == 0);
	CU_ASSERT_EQUAL(frame_decode_one(buf, 4, &f), 0);
	CU_ASSERT_EQUAL(f.type, FRAME_KEEPALIVE);

	len = frame_encode_bye(buf, sizeof(buf), "shutting down");
	CU_ASSERT_EQUAL(len, 4 + 1 + 13);
	CU_ASSERT_EQUAL(frame_decode_one(buf, (size_t)len, &f), 0);
	CU_ASSERT_EQUAL(f.type, FRAME_BYE);
	CU_ASSERT_STRING_EQUAL(f.reason, "shutting down");

	len = frame_encode_bye(buf, sizeof(buf), NULL);
	CU_ASSERT_EQUAL(len, 5);
	CU_ASSERT_EQUAL(frame_decode_one(buf, (size_t)len, &f), 0);
	CU_ASSERT_STRING_EQUAL(f.reason, "");

	/* A reason longer than the field is cut, not refused. */
	char longr[400];
	memset(longr, 'x', sizeof(longr) - 1);
	longr[sizeof(longr) - 1] = '\0';
	len = frame_encode_bye(buf, sizeof(buf), longr);
	CU_ASSERT_EQUAL(len, 4 + 1 + FRAME_REASON_MAX);
	CU_ASSERT_EQUAL(frame_decode_one(buf, (size_t)len, &f), 0);
	CU_ASSERT_EQUAL(strlen(f.reason), FRAME_REASON_MAX);
}

/* Frames arrive in pieces: nothing is decoded until a whole frame is there. */
static void test_stream(void)
{
	uint8_t two[256];
	int a = frame_encode_hello(two, sizeof(two), 1, 0, "queens");
	int b = frame_encode_keepalive(two + a, sizeof(two) - (size_t)a);
	size_t total = (size_t)a + (size_t)b, used = 0;
	struct frame f;
	for (size_t have = 0; have < (size_t)a; have++)
		CU_ASSERT_EQUAL(frame_decode(two, have, &used, &f), 0);
	CU_ASSERT_EQUAL(frame_decode(two, total, &used, &f), 1);
	CU_ASSERT_EQUAL(used, (size_t)a);
	CU_ASSERT_STRING_EQUAL(f.site, "queens");
	CU_ASSERT_EQUAL(frame_decode(two + used, total - used, &used, &f), 1);
	CU_ASSERT_EQUAL(f.type, FRAME_KEEPALIVE);
}

/* The receiver may keep records by taking them out of the frame. */
static void test_ownership(void)
{
	ldns_rr *in[] = {rr("a.local. 120 IN A 10.0.0.1", 0),
	                 rr("b.local. 120 IN A 10.0.0.2", 0)};
	size_t taken;
	int len = frame_encode_records(buf, sizeof(buf), "brooklyn", 0,
	                               (const ldns_rr *const *)in, 2, &taken);
	struct frame f;
	CU_ASSERT_EQUAL_FATAL(frame_decode_one(buf, (size_t)len, &f), 0);
	ldns_rr *kept = f.rrs[1];
	f.rrs[1] = NULL;
	frame_clear(&f); /* frees the first only */
	CU_ASSERT(rr_same(kept, in[1]));
	ldns_rr_free(kept);
	free_rrs(in, 2);
}

/* Long lists are split into frames of at most FRAME_MAX, in order, losing nothing. */
static void test_split(void)
{
	enum { N = 3000 };
	static ldns_rr *in[N];
	char text[300];
	for (size_t i = 0; i < N; i++) {
		/* owner 1+4+1+5+1 = 12, fixed 10, rdata 1+80 = 81: 103 bytes each */
		snprintf(text, sizeof(text), "s%03zu.local. 120 IN TXT \"%080zu\"",
		         i % 1000, i);
		in[i] = rr(text, 0x8001);
	}
	size_t per = (FRAME_MAX - 4 - (1 + 9) - 1 - 2) / 103;
	size_t done = 0, frames = 0;
	while (done < N) {
		size_t taken = 0;
		int len = frame_encode_records(buf, sizeof(buf), "manhattan", 1,
		                               (const ldns_rr *const *)in + done,
		                               N - done, &taken);
		CU_ASSERT_FATAL(len > 0);
		CU_ASSERT(len <= FRAME_MAX);
		CU_ASSERT_EQUAL(taken, N - done < per ? N - done : per);
		struct frame f;
		CU_ASSERT_EQUAL_FATAL(frame_decode_one(buf, (size_t)len, &f), 0);
		CU_ASSERT_EQUAL_FATAL(f.nrr, taken);
		for (size_t i = 0; i < taken; i++)
			CU_ASSERT(rr_same(f.rrs[i], in[done + i]));
		frame_clear(&f);
		done += taken;
		frames++;
	}
	CU_ASSERT_EQUAL(frames, (N + per - 1) / per);

	/* A smaller buffer holds fewer; one too small for the first record says so. */
	size_t taken = 0;
	int len = frame_encode_records(buf, 4 + 10 + 1 + 2 + 103 * 2, "manhattan", 1,
	                               (const ldns_rr *const *)in, N, &taken);
	CU_ASSERT_EQUAL(len, 4 + 10 + 1 + 2 + 103 * 2);
	CU_ASSERT_EQUAL(taken, 2);
	len = frame_encode_records(buf, 4 + 10 + 1 + 2 + 102, "manhattan", 1,
	                           (const ldns_rr *const *)in, N, &taken);
	CU_ASSERT_EQUAL(len, -EMSGSIZE);
	CU_ASSERT_EQUAL(taken, 0);

	/* A record that cannot fit in any frame. */
	ldns_rr *big = ldns_rr_new();
	ldns_rr_set_type(big, LDNS_RR_TYPE_TXT);
	ldns_rdf *owner = NULL;
	ldns_str2rdf_dname(&owner, "big.local.");
	ldns_rr_set_owner(big, owner);
	/* rdata of 65535 bytes, the most there can be: 255 strings of 255, one of 254 */
	for (int i = 0; i < 256; i++) {
		uint8_t s[256];
		s[0] = i < 255 ? 255 : 254;
		memset(s + 1, 'a', 255);
		ldns_rr_push_rdf(big,
		                 ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, 1u + s[0], s));
	}
	const ldns_rr *bigv[] = {big};
	CU_ASSERT_EQUAL(
	    frame_encode_records(buf, sizeof(buf), "manhattan", 0, bigv, 1, &taken),
	    -EMSGSIZE);
	ldns_rr_free(big);
	free_rrs(in, N);
}

static void test_encode_errors(void)
{
	ldns_rr *a = rr("a.local. 120 IN A 10.0.0.1", 0);
	const ldns_rr *v[] = {a};
	size_t taken;
	CU_ASSERT_EQUAL(
	    frame_encode_records(buf, sizeof(buf), "Manhattan", 0, v, 1, &taken),
	    -EINVAL);
	CU_ASSERT_EQUAL(
	    frame_encode_records(buf, sizeof(buf), "manhattan", 0, v, 0, &taken),
	    -EINVAL);
	CU_ASSERT_EQUAL(frame_encode_hello(buf, sizeof(buf), 1, 0, ""), -EINVAL);
	CU_ASSERT_EQUAL(frame_encode_hello(buf, 3, 1, 0, "x"), -ENOSPC);
	CU_ASSERT_EQUAL(frame_encode_keepalive(buf, 3), -ENOSPC);
	ldns_rr_free(a);
}

/* ------------------------------------------------------------------ malformed input */

/* Decode hex as one frame and return the error. */
static int bad(const char *hex)
{
	uint8_t in[512];
	size_t n = unit_hex(hex, in, sizeof(in));
	struct frame f;
	int rc = frame_decode_one(in, n, &f);
	if (rc == 0)
		frame_clear(&f);
	return rc;
}

static void test_short_header(void)
{
	uint8_t in[3] = {FRAME_KEEPALIVE, 0, 0};
	size_t used;
	struct frame f;
	CU_ASSERT_EQUAL(frame_decode(in, 0, &used, &f), 0);
	CU_ASSERT_EQUAL(frame_decode(in, 3, &used, &f), 0);
	CU_ASSERT_EQUAL(frame_decode_one(in, 3, &f), FRAME_E_SHORT);
	/* The length says more than there is. */
	CU_ASSERT_EQUAL(bad("05 00 00 02 00"), FRAME_E_SHORT);
}

static void test_oversize(void)
{
	/* Refused from the header alone: no need to buffer 16 MiB to find out. */
	uint8_t h[4] = {FRAME_RECORDS, 0xff, 0xff, 0xff};
	size_t used;
	struct frame f;
	CU_ASSERT_EQUAL(frame_decode(h, 4, &used, &f), FRAME_E_OVERSIZE);
	uint8_t h2[4] = {FRAME_RECORDS, 0x00, 0xff, 0xfd}; /* 65533: one over */
	CU_ASSERT_EQUAL(frame_decode(h2, 4, &used, &f), FRAME_E_OVERSIZE);
	uint8_t h3[4] = {FRAME_RECORDS, 0x00, 0xff, 0xfc}; /* the largest: wait for it */
	CU_ASSERT_EQUAL(frame_decode(h3, 4, &used, &f), 0);
}

static void test_unknown_type(void)
{
	CU_ASSERT_EQUAL(bad("00 00 00 00"), FRAME_E_TYPE);
	CU_ASSERT_EQUAL(bad("07 00 00 00"), FRAME_E_TYPE);
	CU_ASSERT_EQUAL(bad("ff 00 00 00"), FRAME_E_TYPE);
	CU_ASSERT_STRING_EQUAL(frame_strerror(FRAME_E_TYPE), "unknown frame type");
}

/* RECORDS from "b" hops 0; one A record for a.local is 01 61 05 local 00 + 14 bytes */
#define REC_A "01 61 05 6c 6f 63 61 6c 00 00 01 00 01 00 00 00 78 00 04 0a 00 00 01"

static void test_counts(void)
{
	/* The well-formed frame, for reference: 4 + 2 + 1 + 2 + 23 = 28 */
	CU_ASSERT_EQUAL(bad("02 00 00 1c 01 62 00 00 01 " REC_A), 0);
	/* count 2, one record */
	CU_ASSERT_EQUAL(bad("02 00 00 1c 01 62 00 00 02 " REC_A), FRAME_E_COUNT);
	/* count larger than the payload could ever hold */
	CU_ASSERT_EQUAL(bad("02 00 00 1c 01 62 00 ff ff " REC_A), FRAME_E_COUNT);
	/* count 0 */
	CU_ASSERT_EQUAL(bad("02 00 00 05 01 62 00 00 00"), FRAME_E_COUNT);
	/* questions: count 3, two present */
	CU_ASSERT_EQUAL(
	    bad("04 00 00 10 00 03 01 61 00 00 01 00 01 01 62 00 00 01 00 01"),
	    FRAME_E_COUNT);
	/* the count field itself is missing */
	CU_ASSERT_EQUAL(bad("04 00 00 01 00"), FRAME_E_TRUNCATED);
}

static void test_truncated(void)
{
	/* rdlength 4 but 3 bytes of rdata, frame length consistent with what is there */
	CU_ASSERT_EQUAL(
	    bad("02 00 00 1b 01 62 00 00 01 "
	        "01 61 05 6c 6f 63 61 6c 00 00 01 00 01 00 00 00 78 00 04 0a 00 00"),
	    FRAME_E_TRUNCATED);
	/* cut inside the fixed fields */
	CU_ASSERT_EQUAL(
	    bad("02 00 00 11 01 62 00 00 01 01 61 05 6c 6f 63 61 6c 00 00 01 00"),
	    FRAME_E_TRUNCATED);
	/* cut inside the owner name */
	CU_ASSERT_EQUAL(
	    bad("02 00 00 13 01 62 00 00 01 0a 61 61 61 61 61 61 61 61 61 61 05 6c 6f"),
	    FRAME_E_TRUNCATED);
	/* so few bytes that even one record cannot be there */
	CU_ASSERT_EQUAL(bad("02 00 00 09 01 62 00 00 01 01 61 05 6c"), FRAME_E_COUNT);
	/* site length past the end */
	CU_ASSERT_EQUAL(bad("01 00 00 07 01 00 00 00 00 09 6d"), FRAME_E_TRUNCATED);
	/* BYE reason length past the end */
	CU_ASSERT_EQUAL(bad("06 00 00 02 05 61"), FRAME_E_TRUNCATED);
	/* HELLO with no room for its capabilities */
	CU_ASSERT_EQUAL(bad("01 00 00 02 01 00"), FRAME_E_TRUNCATED);
}

/* A HELLO whose site is n letters 'a'. */
static const char *hello_hex(size_t n)
{
	static char hex[512];
	snprintf(hex, sizeof(hex), "01 00 00 %02zx 01 00 00 00 00 %02zx", 6 + n, n);
	for (size_t i = 0; i < n; i++)
		strcat(hex, " 61");
	return hex;
}

static void test_bad_site(void)
{
	CU_ASSERT_EQUAL(bad("01 00 00 07 01 00 00 00 00 01 41"), FRAME_E_SITE); /* "A" */
	CU_ASSERT_EQUAL(bad("01 00 00 06 01 00 00 00 00 00"), FRAME_E_SITE);    /* "" */
	CU_ASSERT_EQUAL(bad("01 00 00 08 01 00 00 00 00 02 61 2e"),
	                FRAME_E_SITE); /* "a." */
	CU_ASSERT_EQUAL(bad("01 00 00 08 01 00 00 00 00 02 61 00"),
	                FRAME_E_SITE);                                           /* NUL */
	CU_ASSERT_EQUAL(bad("02 00 00 1c 01 5f 00 00 01 " REC_A), FRAME_E_SITE); /* "_" */
	CU_ASSERT_EQUAL(bad(hello_hex(33)), FRAME_E_SITE);
	CU_ASSERT_EQUAL(bad(hello_hex(32)), 0);
	CU_ASSERT(frame_site_valid("new-york-2"));
	CU_ASSERT(!frame_site_valid("new york"));
}

static void test_bad_names(void)
{
	/* compressed owner */
	CU_ASSERT_EQUAL(
	    bad("02 00 00 15 01 62 00 00 01 c0 00 00 01 00 01 00 00 00 78 00 04 0a 00 "
	        "00 01"),
	    FRAME_E_NAME);
	/* extended label type 0x40 */
	CU_ASSERT_EQUAL(bad("04 00 00 09 00 01 41 61 00 00 01 00 01"), FRAME_E_NAME);
	/* PTR whose target is a compression pointer back to the owner */
	CU_ASSERT_EQUAL(
	    bad("02 00 00 1a 01 62 00 00 01 "
	        "01 61 05 6c 6f 63 61 6c 00 00 0c 00 01 00 00 00 78 00 02 c0 02"),
	    FRAME_E_NAME);
	/* a name over 255 bytes: five labels of 63 */
	char hex[2048] = "04 00 00 00 00 01";
	for (int l = 0; l < 5; l++) {
		strcat(hex, " 3f");
		for (int i = 0; i < 63; i++)
			strcat(hex, " 61");
	}
	strcat(hex, " 00 00 01 00 01");
	size_t plen = 2 + 5 * 64 + 1 + 4;
	char lenhex[16];
	snprintf(lenhex, sizeof(lenhex), "%02zx %02zx", plen >> 8, plen & 0xff);
	memcpy(hex + 6, lenhex, 5);
	CU_ASSERT_EQUAL(bad(hex), FRAME_E_NAME);
}

static void test_bad_rdata(void)
{
	/* an A record with 3 bytes of rdata */
	CU_ASSERT_EQUAL(
	    bad("02 00 00 1b 01 62 00 00 01 "
	        "01 61 05 6c 6f 63 61 6c 00 00 01 00 01 00 00 00 78 00 03 0a 00 00"),
	    FRAME_E_RECORD);
	/* SRV whose target runs past rdlength */
	CU_ASSERT_EQUAL(bad("02 00 00 20 01 62 00 00 01 "
	                    "01 61 05 6c 6f 63 61 6c 00 00 21 00 01 00 00 00 78 00 08 "
	                    "00 00 00 00 02 77 03 61"),
	                FRAME_E_RECORD);
}

static void test_trailing(void)
{
	CU_ASSERT_EQUAL(bad("05 00 00 01 00"), FRAME_E_TRAILING);
	CU_ASSERT_EQUAL(bad("01 00 00 08 01 00 00 00 00 01 61 00"), FRAME_E_TRAILING);
	CU_ASSERT_EQUAL(bad("02 00 00 1d 01 62 00 00 01 " REC_A " 00"), FRAME_E_TRAILING);
	CU_ASSERT_EQUAL(bad("06 00 00 03 01 61 62"), FRAME_E_TRAILING);
	/* bytes after a whole frame, for the one-frame decoder */
	CU_ASSERT_EQUAL(bad("05 00 00 00 05"), FRAME_E_TRAILING);
}

/*
 * The table's payload bounds are what the encoders produce at the extremes, so
 * a receiver that refuses frames over the bound (peer.c before HELLO) never
 * refuses a valid one.
 */
static void test_type_bounds(void)
{
	size_t min = 0, max = 0;
	char site32[FRAME_SITE_MAX + 1], reason[FRAME_REASON_MAX + 1];
	memset(site32, 'a', FRAME_SITE_MAX);
	site32[FRAME_SITE_MAX] = '\0';
	memset(reason, 'r', FRAME_REASON_MAX);
	reason[FRAME_REASON_MAX] = '\0';
	ldns_rr *root = rr(". 0 IN TYPE65280 \\# 0", 0);
	ldns_rr *q = question(".", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN);
	const ldns_rr *const one[] = {root};
	const ldns_rr *const oneq[] = {q};

	CU_ASSERT_FALSE(frame_type_known(0, &min, &max));
	CU_ASSERT_FALSE(frame_type_known(FRAME_TYPE_END, &min, &max));
	CU_ASSERT_STRING_EQUAL(frame_type_name(FRAME_TYPE_END), "unknown");

	CU_ASSERT_TRUE_FATAL(frame_type_known(FRAME_HELLO, &min, &max));
	CU_ASSERT_EQUAL(frame_encode_hello(buf, sizeof(buf), 1, 0, "a"), 4 + (int)min);
	CU_ASSERT_EQUAL(frame_encode_hello(buf, sizeof(buf), 1, 0, site32), 4 + (int)max);
	CU_ASSERT_EQUAL(max, 38); /* doc/protocol.md: "at most 38 bytes of payload" */

	CU_ASSERT_TRUE_FATAL(frame_type_known(FRAME_RECORDS, &min, &max));
	CU_ASSERT_EQUAL(frame_encode_records(buf, sizeof(buf), "a", 0, one, 1, NULL),
	                4 + (int)min);
	CU_ASSERT_EQUAL(max, FRAME_MAX_PAYLOAD);
	CU_ASSERT_TRUE_FATAL(frame_type_known(FRAME_WITHDRAW, &min, &max));
	CU_ASSERT_EQUAL(frame_encode_withdraw(buf, sizeof(buf), "a", one, 1, NULL),
	                4 + (int)min);
	CU_ASSERT_TRUE_FATAL(frame_type_known(FRAME_QUESTIONS, &min, &max));
	CU_ASSERT_EQUAL(frame_encode_questions(buf, sizeof(buf), oneq, 1, NULL),
	                4 + (int)min);
	CU_ASSERT_TRUE_FATAL(frame_type_known(FRAME_KEEPALIVE, &min, &max));
	CU_ASSERT_EQUAL(frame_encode_keepalive(buf, sizeof(buf)), 4 + (int)min);
	CU_ASSERT_EQUAL(max, 0);
	CU_ASSERT_TRUE_FATAL(frame_type_known(FRAME_BYE, &min, &max));
	CU_ASSERT_EQUAL(frame_encode_bye(buf, sizeof(buf), ""), 4 + (int)min);
	CU_ASSERT_EQUAL(frame_encode_bye(buf, sizeof(buf), reason), 4 + (int)max);

	/* The generic encoder refuses what has no row. */
	struct frame_out none = {.type = FRAME_TYPE_END};
	CU_ASSERT_EQUAL(frame_encode(buf, sizeof(buf), &none, NULL), -EINVAL);
	none.type = 0;
	CU_ASSERT_EQUAL(frame_encode(buf, sizeof(buf), &none, NULL), -EINVAL);
	ldns_rr_free(root);
	ldns_rr_free(q);
}

static CU_TestInfo codec_tests[] = {
    {"HELLO round trip, exact bytes", test_hello},
    {"RECORDS round trip keeps class bits and TTL 0", test_records},
    {"WITHDRAW round trip", test_withdraw},
    {"QUESTIONS round trip, exact bytes, QU bit", test_questions},
    {"KEEPALIVE and BYE", test_keepalive_bye},
    {"frames arriving in pieces", test_stream},
    {"records taken out of a frame", test_ownership},
    {"splitting at the frame size", test_split},
    {"encoder argument errors", test_encode_errors},
    {"payload bounds of each type", test_type_bounds},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo malformed_tests[] = {
    {"short header", test_short_header},
    {"oversize length", test_oversize},
    {"unknown type", test_unknown_type},
    {"counts that lie", test_counts},
    {"truncated fields and records", test_truncated},
    {"bad site names", test_bad_site},
    {"compressed and over-long names", test_bad_names},
    {"rdata that does not parse", test_bad_rdata},
    {"trailing bytes", test_trailing},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"frame codec", NULL, NULL, NULL, NULL, codec_tests},
    {"frame decoder on malformed input", NULL, NULL, NULL, NULL, malformed_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
