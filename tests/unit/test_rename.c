/* test_rename.c: host and instance suffixes between sites, and their inverse. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "dnssd/rename.h"
#include "dnssd/svcname.h"
#include "tests/unit/unit.h"

static ldns_rdf *name(const char *text)
{
	ldns_rdf *n = ldns_dname_new_frm_str(text);
	CU_ASSERT_FATAL(n != NULL);
	return n;
}

/* A two- to five-label name from raw labels (NULL ends the list). */
static ldns_rdf *labels(const char *l0, size_t n0, const char *rest)
{
	uint8_t buf[300];
	size_t o = 0;
	buf[o++] = (uint8_t)n0;
	memcpy(buf + o, l0, n0);
	o += n0;
	ldns_rdf *tail = name(rest);
	memcpy(buf + o, ldns_rdf_data(tail), ldns_rdf_size(tail));
	o += ldns_rdf_size(tail);
	ldns_rdf_deep_free(tail);
	ldns_rdf *n = ldns_dname_new_frm_data((uint16_t)o, buf);
	CU_ASSERT_FATAL(n != NULL);
	return n;
}

static ldns_rr *rr(const char *text)
{
	ldns_rr *r = NULL;
	CU_ASSERT_EQUAL_FATAL(ldns_rr_new_frm_str(&r, text, 0, NULL, NULL),
	                      LDNS_STATUS_OK);
	return r;
}

static bool same_name(const ldns_rdf *a, const ldns_rdf *b)
{
	return ldns_rdf_size(a) == ldns_rdf_size(b) &&
	       memcmp(ldns_rdf_data(a), ldns_rdf_data(b), ldns_rdf_size(a)) == 0;
}

static void assert_name(const ldns_rdf *got, const char *want)
{
	CU_ASSERT_FATAL(got != NULL);
	ldns_rdf *w = name(want);
	if (!same_name(got, w)) {
		char *s = dnssd_name_str(got);
		fprintf(stderr, "\n    got  %s\n    want %s\n", s, want);
		free(s);
	}
	CU_ASSERT(same_name(got, w));
	ldns_rdf_deep_free(w);
}

static void assert_rr_equal(const ldns_rr *a, const ldns_rr *b)
{
	CU_ASSERT_EQUAL(ldns_rr_compare(a, b), 0);
	CU_ASSERT(same_name(ldns_rr_owner(a), ldns_rr_owner(b)));
	CU_ASSERT_EQUAL(ldns_rr_get_class(a), ldns_rr_get_class(b));
	CU_ASSERT_EQUAL(ldns_rr_ttl(a), ldns_rr_ttl(b));
}

/* Independent of the code under test: strict RFC 3629 check. */
static bool valid_utf8(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint8_t c = s[i];
		size_t len;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			len = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + len > n)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
		if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

static struct dnssd_rename *defaults(void)
{
	struct dnssd_rename *r = dnssd_rename_new(NULL, NULL);
	CU_ASSERT_FATAL(r != NULL);
	return r;
}

/* ------------------------------------------------------------ templates */

static void assert_template_error(const char *tmpl, int is_host, const char *msg)
{
	const char *why = NULL;
	CU_ASSERT_EQUAL(dnssd_rename_check_template(tmpl, is_host, &why), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	if (strcmp(why, msg) != 0)
		fprintf(stderr, "\n    template \"%s\": %s\n", tmpl, why);
	CU_ASSERT_STRING_EQUAL(why, msg);
	CU_ASSERT_EQUAL(dnssd_rename_check_template(tmpl, is_host, NULL), -EINVAL);
	errno = 0;
	struct dnssd_rename *r =
	    is_host ? dnssd_rename_new(tmpl, NULL) : dnssd_rename_new(NULL, tmpl);
	CU_ASSERT_PTR_NULL(r);
	CU_ASSERT_EQUAL(errno, EINVAL);
	dnssd_rename_free(r);
}

static void test_templates_valid(void)
{
	static const char *const hosts[] = {NULL,      "",           "-{site}", "{site}",
	                                    "-remote", "-{site}-gw", "X1"};
	static const char *const insts[] = {
	    NULL,        "",          " ({site})",
	    " [{site}]", " @ {site}", " \xe2\x80\x94 {site}",
	    "{site}: ",  " (remote)", "} {site}"};
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		CU_ASSERT_EQUAL(dnssd_rename_check_template(hosts[i], 1, NULL), 0);
	for (size_t i = 0; i < sizeof(insts) / sizeof(insts[0]); i++)
		CU_ASSERT_EQUAL(dnssd_rename_check_template(insts[i], 0, NULL), 0);

	/* Exactly at the limit: 62 bytes with a 32-character site. */
	char buf[80] = "-{site}";
	memset(buf + 7, 'x', 29);
	buf[36] = '\0';
	CU_ASSERT_EQUAL(dnssd_rename_check_template(buf, 1, NULL), 0);
}

static void test_templates_invalid(void)
{
	static const char *const letters =
	    "a host suffix may only hold letters, digits, '-' and {site}";
	static const char *const too_long =
	    "too long to leave room in a 63-byte label with a 32-character site name";
	assert_template_error("-{Site}", 1,
	                      "'{' must begin {site}, the only placeholder");
	assert_template_error(" ({site)", 0,
	                      "'{' must begin {site}, the only placeholder");
	assert_template_error(" {", 0, "'{' must begin {site}, the only placeholder");
	assert_template_error(".{site}", 1, letters);
	assert_template_error("_{site}", 1, letters);
	assert_template_error(" ({site})", 1, letters);
	assert_template_error("-b\xc3\xbcro", 1, letters);
	assert_template_error("-{site}-", 1, "a host suffix must not end with '-'");
	assert_template_error("-", 1, "a host suffix must not end with '-'");
	assert_template_error(" (\x01{site})", 0,
	                      "an instance suffix must not hold control characters");
	assert_template_error(" \x7f", 0,
	                      "an instance suffix must not hold control characters");
	assert_template_error(" (\xff{site})", 0,
	                      "an instance suffix must be valid UTF-8");
	assert_template_error(" (\xc3)", 0, "an instance suffix must be valid UTF-8");
	assert_template_error(" \xed\xa0\x80", 0,
	                      "an instance suffix must be valid UTF-8");

	/* 63 bytes with a 32-character site, one over the limit. */
	char buf[80] = "-{site}";
	memset(buf + 7, 'x', 30);
	buf[37] = '\0';
	assert_template_error(buf, 1, too_long);
	/* Two {site}: 64 bytes at worst, so never valid. */
	assert_template_error("{site}{site}", 0, too_long);
	assert_template_error("-{site}-{site}", 1, too_long);
}

static void test_free_null(void)
{
	dnssd_rename_free(NULL);
	CU_PASS("free(NULL) is safe");
}

/* ------------------------------------------------------------ names */

static void assert_renamed(const struct dnssd_rename *r, const char *site, const char *in,
                           const char *want)
{
	ldns_rdf *n = name(in);
	ldns_rdf *got = dnssd_rename_name(r, site, n);
	assert_name(got, want);
	/* The kind does not change, and the inverse gives the original back. */
	CU_ASSERT_EQUAL(dnssd_name_kind(got), dnssd_name_kind(n));
	ldns_rdf *back = dnssd_unrename_name(r, site, got);
	CU_ASSERT_FATAL(back != NULL);
	CU_ASSERT(same_name(back, n));
	ldns_rdf_deep_free(back);
	ldns_rdf_deep_free(got);
	ldns_rdf_deep_free(n);
}

static void test_names_default(void)
{
	struct dnssd_rename *r = defaults();
	assert_renamed(r, "manhattan", "Brother HL-L2350DW series._ipp._tcp.local.",
	               "Brother HL-L2350DW series (manhattan)._ipp._tcp.local.");
	assert_renamed(r, "manhattan", "Living Room._airplay._tcp.local.",
	               "Living Room (manhattan)._airplay._tcp.local.");
	assert_renamed(r, "brooklyn", "B\xc3\xbcro Drucker (2)._ipp._tcp.local.",
	               "B\xc3\xbcro Drucker (2) (brooklyn)._ipp._tcp.local.");
	assert_renamed(r, "manhattan", "printer.local.", "printer-manhattan.local.");
	assert_renamed(r, "manhattan", "MacBook-Pro.local.",
	               "MacBook-Pro-manhattan.local.");
	assert_renamed(r, "site-2", "Printer A._ipp._tcp.example.com.",
	               "Printer A (site-2)._ipp._tcp.example.com.");
	/* Not instances or hosts: copied as they are. */
	static const char *const same[] = {"_ipp._tcp.local.",
	                                   "_universal._sub._ipp._tcp.local.",
	                                   "_services._dns-sd._udp.local.",
	                                   "b._dns-sd._udp.local.",
	                                   "12.1.168.192.in-addr.arpa.",
	                                   "printer.example.com.",
	                                   "local.",
	                                   "."};
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		assert_renamed(r, "manhattan", same[i], same[i]);
	dnssd_rename_free(r);
}

static void test_names_dot_label(void)
{
	struct dnssd_rename *r = defaults();
	ldns_rdf *n = labels("Printer.A", 9, "_ipp._tcp.local.");
	ldns_rdf *got = dnssd_rename_name(r, "manhattan", n);
	ldns_rdf *want = labels("Printer.A (manhattan)", 21, "_ipp._tcp.local.");
	CU_ASSERT_FATAL(got != NULL);
	CU_ASSERT(same_name(got, want));
	CU_ASSERT_EQUAL(dnssd_name_kind(got), DNSSD_NAME_INSTANCE);
	/* The same as presentation text with an escaped dot. */
	assert_name(got, "Printer\\.A\\032\\(manhattan\\)._ipp._tcp.local.");
	ldns_rdf *back = dnssd_unrename_name(r, "manhattan", got);
	CU_ASSERT_FATAL(back != NULL);
	CU_ASSERT(same_name(back, n));
	ldns_rdf_deep_free(back);
	ldns_rdf_deep_free(want);
	ldns_rdf_deep_free(got);
	ldns_rdf_deep_free(n);
	dnssd_rename_free(r);
}

static void test_names_templates(void)
{
	struct dnssd_rename *r = dnssd_rename_new("-{site}-gw", " [{site}]");
	CU_ASSERT_FATAL(r != NULL);
	assert_renamed(r, "nyc", "printer.local.", "printer-nyc-gw.local.");
	assert_renamed(r, "nyc", "Printer A._ipp._tcp.local.",
	               "Printer A [nyc]._ipp._tcp.local.");
	dnssd_rename_free(r);

	/* Without {site}: the same suffix for every site. */
	r = dnssd_rename_new("-remote", " (remote)");
	CU_ASSERT_FATAL(r != NULL);
	assert_renamed(r, "nyc", "printer.local.", "printer-remote.local.");
	assert_renamed(r, "la", "Printer A._ipp._tcp.local.",
	               "Printer A (remote)._ipp._tcp.local.");
	dnssd_rename_free(r);

	/* Empty templates keep names as they are, and invert to themselves. */
	r = dnssd_rename_new("", "");
	CU_ASSERT_FATAL(r != NULL);
	assert_renamed(r, "nyc", "printer.local.", "printer.local.");
	assert_renamed(r, "nyc", "Printer A._ipp._tcp.local.",
	               "Printer A._ipp._tcp.local.");
	dnssd_rename_free(r);

	/* One empty, one not. */
	r = dnssd_rename_new(NULL, "");
	CU_ASSERT_FATAL(r != NULL);
	assert_renamed(r, "nyc", "printer.local.", "printer-nyc.local.");
	assert_renamed(r, "nyc", "Printer A._ipp._tcp.local.",
	               "Printer A._ipp._tcp.local.");
	dnssd_rename_free(r);
}

static void test_names_bad_arguments(void)
{
	struct dnssd_rename *r = defaults();
	ldns_rdf *n = name("printer.local.");
	char longsite[40];
	memset(longsite, 'a', 33);
	longsite[33] = '\0';
	static const char *sites[] = {"",    "Manhattan", "new york",
	                              "a.b", "a{site}",   NULL};
	sites[5] = longsite;
	for (size_t i = 0; i < sizeof(sites) / sizeof(sites[0]); i++) {
		errno = 0;
		CU_ASSERT_PTR_NULL(dnssd_rename_name(r, sites[i], n));
		CU_ASSERT_EQUAL(errno, EINVAL);
		errno = 0;
		CU_ASSERT_PTR_NULL(dnssd_unrename_name(r, sites[i], n));
		CU_ASSERT_EQUAL(errno, EINVAL);
	}
	/* 32 characters is the longest site name. */
	longsite[32] = '\0';
	ldns_rdf *got = dnssd_rename_name(r, longsite, n);
	CU_ASSERT_PTR_NOT_NULL(got);
	ldns_rdf_deep_free(got);

	errno = 0;
	CU_ASSERT_PTR_NULL(dnssd_rename_name(r, NULL, n));
	CU_ASSERT_EQUAL(errno, EINVAL);
	errno = 0;
	CU_ASSERT_PTR_NULL(dnssd_rename_name(NULL, "nyc", n));
	CU_ASSERT_EQUAL(errno, EINVAL);
	errno = 0;
	CU_ASSERT_PTR_NULL(dnssd_rename_name(r, "nyc", NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);

	ldns_rdf *a = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, "192.168.1.12");
	errno = 0;
	CU_ASSERT_PTR_NULL(dnssd_rename_name(r, "nyc", a));
	CU_ASSERT_EQUAL(errno, EINVAL);
	errno = 0;
	CU_ASSERT_PTR_NULL(dnssd_unrename_name(r, "nyc", a));
	CU_ASSERT_EQUAL(errno, EINVAL);
	ldns_rdf_deep_free(a);
	ldns_rdf_deep_free(n);
	dnssd_rename_free(r);
}

static void test_names_too_long(void)
{
	/* An instance name of 250 bytes has no room for the suffix. */
	char text[300];
	strcpy(text, "Printer._ipp._tcp.");
	for (int i = 0; i < 3; i++)
		strcat(
		    text,
		    "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd.");
	strcat(text, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.local.");
	ldns_rdf *n = name(text);
	CU_ASSERT_EQUAL(dnssd_name_kind(n), DNSSD_NAME_INSTANCE);
	struct dnssd_rename *r = defaults();
	errno = 0;
	CU_ASSERT_PTR_NULL(dnssd_rename_name(r, "manhattan", n));
	CU_ASSERT_EQUAL(errno, ENAMETOOLONG);
	ldns_rdf_deep_free(n);
	dnssd_rename_free(r);
}

/* ------------------------------------------------------------ records */

static void assert_rr_renamed(const struct dnssd_rename *r, const char *site,
                              const char *in, const char *want)
{
	ldns_rr *got = rr(in);
	ldns_rr *w = rr(want);
	CU_ASSERT_EQUAL(dnssd_rename_rr(r, site, got), 0);
	if (ldns_rr_compare(got, w) != 0) {
		char *s = ldns_rr2str(got);
		fprintf(stderr, "\n    got  %s    want %s\n", s, want);
		free(s);
	}
	assert_rr_equal(got, w);
	ldns_rr_free(got);
	ldns_rr_free(w);
}

static void test_rr_ptr(void)
{
	struct dnssd_rename *r = defaults();
	assert_rr_renamed(
	    r, "manhattan",
	    "_ipp._tcp.local. 4500 IN PTR "
	    "Brother\\032HL-L2350DW\\032series._ipp._tcp.local.",
	    "_ipp._tcp.local. 4500 IN PTR "
	    "Brother\\032HL-L2350DW\\032series\\032\\(manhattan\\)._ipp._tcp.local.");
	/* Subtype PTR: owner stays, the instance target is renamed. */
	assert_rr_renamed(
	    r, "manhattan",
	    "_universal._sub._ipp._tcp.local. 4500 IN PTR "
	    "Brother\\032HL-L2350DW\\032series._ipp._tcp.local.",
	    "_universal._sub._ipp._tcp.local. 4500 IN PTR "
	    "Brother\\032HL-L2350DW\\032series\\032\\(manhattan\\)._ipp._tcp.local.");
	/* Service enumeration: neither side changes. */
	assert_rr_renamed(r, "manhattan",
	                  "_services._dns-sd._udp.local. 4500 IN PTR _ipp._tcp.local.",
	                  "_services._dns-sd._udp.local. 4500 IN PTR _ipp._tcp.local.");
	/* Goodbyes are renamed like any record. */
	assert_rr_renamed(
	    r, "brooklyn",
	    "_airplay._tcp.local. 0 IN PTR Living\\032Room._airplay._tcp.local.",
	    "_airplay._tcp.local. 0 IN PTR "
	    "Living\\032Room\\032\\(brooklyn\\)._airplay._tcp.local.");
	dnssd_rename_free(r);
}

static void test_rr_srv_txt(void)
{
	struct dnssd_rename *r = defaults();
	assert_rr_renamed(
	    r, "manhattan",
	    "Living\\032Room._airplay._tcp.local. 120 IN SRV 0 0 7000 Living-Room.local.",
	    "Living\\032Room\\032\\(manhattan\\)._airplay._tcp.local. 120 IN SRV 0 0 "
	    "7000 "
	    "Living-Room-manhattan.local.");
	/* A unicast SRV target is left alone. */
	assert_rr_renamed(
	    r, "manhattan",
	    "Printer._ipp._tcp.local. 120 IN SRV 0 0 631 printer.example.com.",
	    "Printer\\032\\(manhattan\\)._ipp._tcp.local. 120 IN SRV 0 0 631 "
	    "printer.example.com.");
	assert_rr_renamed(
	    r, "manhattan",
	    "Brother\\032HL-L2350DW\\032series._ipp._tcp.local. 4500 IN TXT "
	    "\"txtvers=1\" "
	    "\"qtotal=1\" \"rp=ipp/print\" \"ty=Brother HL-L2350DW series\"",
	    "Brother\\032HL-L2350DW\\032series\\032\\(manhattan\\)._ipp._tcp.local. 4500 "
	    "IN "
	    "TXT \"txtvers=1\" \"qtotal=1\" \"rp=ipp/print\" "
	    "\"ty=Brother HL-L2350DW series\"");
	dnssd_rename_free(r);
}

static void test_rr_addresses(void)
{
	struct dnssd_rename *r = defaults();
	assert_rr_renamed(r, "manhattan", "MacBook-Pro.local. 120 IN A 192.168.1.20",
	                  "MacBook-Pro-manhattan.local. 120 IN A 192.168.1.20");
	assert_rr_renamed(r, "manhattan", "MacBook-Pro.local. 120 IN AAAA 2001:db8::1:20",
	                  "MacBook-Pro-manhattan.local. 120 IN AAAA 2001:db8::1:20");
	assert_rr_renamed(r, "manhattan", "www.example.com. 120 IN A 192.0.2.1",
	                  "www.example.com. 120 IN A 192.0.2.1");
	dnssd_rename_free(r);
}

static void test_rr_nsec(void)
{
	struct dnssd_rename *r = defaults();
	assert_rr_renamed(
	    r, "manhattan",
	    "Printer\\032A._ipp._tcp.local. 4500 IN NSEC Printer\\032A._ipp._tcp.local. "
	    "TXT SRV",
	    "Printer\\032A\\032\\(manhattan\\)._ipp._tcp.local. 4500 IN NSEC "
	    "Printer\\032A\\032\\(manhattan\\)._ipp._tcp.local. TXT SRV");
	assert_rr_renamed(
	    r, "manhattan", "printer.local. 120 IN NSEC printer.local. A AAAA",
	    "printer-manhattan.local. 120 IN NSEC printer-manhattan.local. A AAAA");
	dnssd_rename_free(r);
}

static void test_rr_reverse(void)
{
	struct dnssd_rename *r = defaults();
	static const char *const text =
	    "12.1.168.192.in-addr.arpa. 120 IN PTR printer.local.";
	ldns_rr *got = rr(text), *orig = rr(text);
	CU_ASSERT_EQUAL(dnssd_rename_rr(r, "manhattan", got), -EINVAL);
	assert_rr_equal(got, orig);
	ldns_rr_free(got);
	ldns_rr_free(orig);
	dnssd_rename_free(r);
}

static void test_rr_from_wire(void)
{
	/*
	 * As a responder sends it: cache-flush class, a label holding a dot,
	 * the SRV target compressed against the owner's "local".
	 */
	static const char pkt[] = "\x09Printer.A\x04_ipp\x04_tcp\x05local\x00" /* owner */
	                          "\x00\x21\x80\x01"         /* SRV, cache-flush IN */
	                          "\x00\x00\x00\x78"         /* TTL 120 */
	                          "\x00\x10"                 /* rdlength */
	                          "\x00\x00\x00\x00\x02\x77" /* 0 0 631 */
	                          "\x07printer\xc0\x14";     /* printer + "local" at 20 */
	ldns_rr *x = NULL;
	size_t pos = 0;
	ldns_status st = ldns_wire2rr(&x, (const uint8_t *)pkt, sizeof(pkt) - 1, &pos,
	                              LDNS_SECTION_ANSWER);
	CU_ASSERT_EQUAL_FATAL(st, LDNS_STATUS_OK);
	CU_ASSERT_EQUAL(pos, sizeof(pkt) - 1);
	struct dnssd_rename *r = defaults();
	CU_ASSERT_EQUAL_FATAL(dnssd_rename_rr(r, "manhattan", x), 0);

	ldns_rdf *owner = labels("Printer.A (manhattan)", 21, "_ipp._tcp.local.");
	CU_ASSERT(same_name(ldns_rr_owner(x), owner));
	assert_name(ldns_rr_rdf(x, 3), "printer-manhattan.local.");
	CU_ASSERT_EQUAL(ldns_rr_get_class(x), 0x8001);
	CU_ASSERT_EQUAL(ldns_rr_ttl(x), 120);
	CU_ASSERT_EQUAL(ldns_rdf2native_int16(ldns_rr_rdf(x, 2)), 631);
	ldns_rdf_deep_free(owner);

	/* It encodes again, and the rdata length follows the longer name. */
	ldns_buffer *b = ldns_buffer_new(512);
	CU_ASSERT_EQUAL(ldns_rr2buffer_wire(b, x, LDNS_SECTION_ANSWER), LDNS_STATUS_OK);
	CU_ASSERT_EQUAL(ldns_buffer_position(b), (size_t)(39 + 10 + 6 + 25));
	ldns_buffer_free(b);
	ldns_rr_free(x);
	dnssd_rename_free(r);
}

static void test_rr_all_or_nothing(void)
{
	/* The owner could be renamed, the next domain name could not. */
	char text[600];
	strcpy(text, "a._ipp._tcp.local. 120 IN NSEC Printer._ipp._tcp.");
	for (int i = 0; i < 3; i++)
		strcat(
		    text,
		    "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd.");
	strcat(text, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.local. TXT SRV");
	ldns_rr *got = rr(text), *orig = rr(text);
	struct dnssd_rename *r = defaults();
	CU_ASSERT_EQUAL(dnssd_rename_rr(r, "manhattan", got), -ENAMETOOLONG);
	assert_rr_equal(got, orig);
	CU_ASSERT_EQUAL(dnssd_rename_rr(r, "Manhattan", got), -EINVAL);
	CU_ASSERT_EQUAL(dnssd_rename_rr(r, "manhattan", NULL), -EINVAL);
	assert_rr_equal(got, orig);
	ldns_rr_free(got);
	ldns_rr_free(orig);
	dnssd_rename_free(r);
}

static void test_rr_empty_templates(void)
{
	struct dnssd_rename *r = dnssd_rename_new("", "");
	CU_ASSERT_FATAL(r != NULL);
	assert_rr_renamed(
	    r, "manhattan",
	    "Living\\032Room._airplay._tcp.local. 120 IN SRV 0 0 7000 Living-Room.local.",
	    "Living\\032Room._airplay._tcp.local. 120 IN SRV 0 0 7000 "
	    "Living-Room.local.");
	dnssd_rename_free(r);
	r = dnssd_rename_new(NULL, "");
	CU_ASSERT_FATAL(r != NULL);
	assert_rr_renamed(
	    r, "manhattan",
	    "Living\\032Room._airplay._tcp.local. 120 IN SRV 0 0 7000 Living-Room.local.",
	    "Living\\032Room._airplay._tcp.local. 120 IN SRV 0 0 7000 "
	    "Living-Room-manhattan.local.");
	dnssd_rename_free(r);
}

/* ------------------------------------------------------------ inverse */

static void assert_not_ours(const struct dnssd_rename *r, const char *site,
                            const char *text)
{
	ldns_rdf *n = name(text);
	errno = 0;
	CU_ASSERT_PTR_NULL(dnssd_unrename_name(r, site, n));
	CU_ASSERT_EQUAL(errno, ENOENT);
	ldns_rdf_deep_free(n);
}

static void test_unrename(void)
{
	struct dnssd_rename *r = defaults();
	ldns_rdf *n = name("PRINTER-MANHATTAN.local.");
	ldns_rdf *back = dnssd_unrename_name(r, "manhattan", n);
	assert_name(back, "PRINTER.local.");
	ldns_rdf_deep_free(back);
	ldns_rdf_deep_free(n);

	n = name("Living Room (Manhattan)._airplay._tcp.local.");
	back = dnssd_unrename_name(r, "manhattan", n);
	assert_name(back, "Living Room._airplay._tcp.local.");
	ldns_rdf_deep_free(back);
	ldns_rdf_deep_free(n);

	/* A suffix of its own at the origin stays. */
	n = name("Printer (manhattan) (manhattan)._ipp._tcp.local.");
	back = dnssd_unrename_name(r, "manhattan", n);
	assert_name(back, "Printer (manhattan)._ipp._tcp.local.");
	ldns_rdf_deep_free(back);
	ldns_rdf_deep_free(n);

	assert_not_ours(r, "manhattan", "printer.local.");
	assert_not_ours(r, "manhattan", "printer-brooklyn.local.");
	assert_not_ours(r, "brooklyn", "printer-manhattan.local.");
	assert_not_ours(r, "manhattan", "-manhattan.local.");
	assert_not_ours(r, "manhattan", "Printer A._ipp._tcp.local.");
	assert_not_ours(r, "manhattan", "Printer A (brooklyn)._ipp._tcp.local.");
	assert_not_ours(r, "manhattan", " (manhattan)._ipp._tcp.local.");
	assert_not_ours(r, "manhattan", "Printer A(manhattan)._ipp._tcp.local.");

	/* Names that are never renamed come back as they are. */
	n = name("_ipp._tcp.local.");
	back = dnssd_unrename_name(r, "manhattan", n);
	CU_ASSERT_FATAL(back != NULL);
	CU_ASSERT(same_name(back, n));
	ldns_rdf_deep_free(back);
	ldns_rdf_deep_free(n);
	dnssd_rename_free(r);
}

/* ------------------------------------------------------------ 63-byte labels */

/*
 * Rename an instance label of n bytes, check the result is at most 63
 * bytes, ends with the suffix, starts with the first keep bytes of the
 * original and is valid UTF-8 when the original was.
 */
static void assert_cut(const struct dnssd_rename *r, const char *site, const char *label,
                       size_t n, const char *suffix, size_t keep, int is_host)
{
	ldns_rdf *in = labels(label, n, is_host ? "local." : "_ipp._tcp.local.");
	CU_ASSERT_EQUAL(dnssd_name_kind(in),
	                is_host ? DNSSD_NAME_HOST : DNSSD_NAME_INSTANCE);
	ldns_rdf *out = dnssd_rename_name(r, site, in);
	CU_ASSERT_FATAL(out != NULL);
	const uint8_t *w = ldns_rdf_data(out);
	size_t slen = strlen(suffix);
	CU_ASSERT(w[0] <= 63);
	CU_ASSERT_EQUAL(w[0], keep + slen);
	CU_ASSERT(memcmp(w + 1, label, keep) == 0);
	CU_ASSERT(memcmp(w + 1 + keep, suffix, slen) == 0);
	if (valid_utf8((const uint8_t *)label, n))
		CU_ASSERT(valid_utf8(w + 1, w[0]));
	CU_ASSERT_EQUAL(dnssd_name_kind(out), dnssd_name_kind(in));
	/* The rest of the name is untouched. */
	CU_ASSERT_EQUAL(ldns_rdf_size(out) - w[0], ldns_rdf_size(in) - n);
	ldns_rdf_deep_free(out);
	ldns_rdf_deep_free(in);
}

static void test_cut_ascii(void)
{
	struct dnssd_rename *r = defaults();
	char l[64];
	memset(l, 'p', 63);
	/* " (manhattan)" is 12 bytes: 51 are kept. */
	assert_cut(r, "manhattan", l, 63, " (manhattan)", 51, 0);
	/* Exactly 63 with the suffix: nothing cut. */
	assert_cut(r, "manhattan", l, 51, " (manhattan)", 51, 0);
	assert_cut(r, "manhattan", l, 52, " (manhattan)", 51, 0);
	/* Hosts: "-manhattan" is 10 bytes. */
	assert_cut(r, "manhattan", l, 63, "-manhattan", 53, 1);
	assert_cut(r, "manhattan", l, 53, "-manhattan", 53, 1);

	/* The longest site: 35 bytes of suffix, 28 kept. */
	char site[33];
	memset(site, 'z', 32);
	site[32] = '\0';
	char suffix[40];
	snprintf(suffix, sizeof(suffix), " (%s)", site);
	assert_cut(r, site, l, 63, suffix, 28, 0);
	dnssd_rename_free(r);
}

static void test_cut_utf8(void)
{
	struct dnssd_rename *r = defaults();
	char l[64];
	/* 51 bytes fit before " (manhattan)". */

	/* 2-byte character over the limit: bytes 50..51. */
	memset(l, 'a', 63);
	memcpy(l + 50, "\xc3\xa9", 2);
	assert_cut(r, "manhattan", l, 63, " (manhattan)", 50, 0);
	/* ... and ending right on it: bytes 49..50 are kept. */
	memset(l, 'a', 63);
	memcpy(l + 49, "\xc3\xa9", 2);
	assert_cut(r, "manhattan", l, 63, " (manhattan)", 51, 0);

	/* 3-byte character (euro sign) cut after its first and second byte. */
	memset(l, 'a', 63);
	memcpy(l + 50, "\xe2\x82\xac", 3);
	assert_cut(r, "manhattan", l, 63, " (manhattan)", 50, 0);
	memset(l, 'a', 63);
	memcpy(l + 49, "\xe2\x82\xac", 3);
	assert_cut(r, "manhattan", l, 63, " (manhattan)", 49, 0);
	memset(l, 'a', 63);
	memcpy(l + 48, "\xe2\x82\xac", 3);
	assert_cut(r, "manhattan", l, 63, " (manhattan)", 51, 0);

	/* 4-byte character (emoji) cut after its first, second and third byte. */
	for (size_t at = 48; at <= 50; at++) {
		memset(l, 'a', 63);
		memcpy(l + at, "\xf0\x9f\x98\x80", 4);
		assert_cut(r, "manhattan", l, 63, " (manhattan)", at, 0);
	}

	/* All multi-byte: 21 x 3 bytes (CJK), 17 whole characters fit. */
	for (int i = 0; i < 21; i++)
		memcpy(l + 3 * i, "\xe5\x8d\xb0", 3);
	assert_cut(r, "manhattan", l, 63, " (manhattan)", 51, 0);
	/* 15 x 4 bytes and a 3-byte tail: 12 emoji fit (48 bytes). */
	for (int i = 0; i < 15; i++)
		memcpy(l + 4 * i, "\xf0\x9f\x96\xa8", 4);
	memcpy(l + 60, "\xe5\x8d\xb0", 3);
	assert_cut(r, "manhattan", l, 63, " (manhattan)", 48, 0);

	/* Invalid UTF-8: each stray byte is a character of its own. */
	memset(l, 0xff, 63);
	assert_cut(r, "manhattan", l, 63, " (manhattan)", 51, 0);
	/* A lead byte without its continuation bytes at the cut point. */
	memset(l, 'a', 63);
	l[50] = (char)0xe2;
	assert_cut(r, "manhattan", l, 63, " (manhattan)", 51, 0);
	dnssd_rename_free(r);
}

static void test_cut_not_invertible(void)
{
	struct dnssd_rename *r = defaults();
	char l[64];
	memset(l, 'p', 63);
	ldns_rdf *in = labels(l, 63, "_ipp._tcp.local.");
	ldns_rdf *out = dnssd_rename_name(r, "manhattan", in);
	CU_ASSERT_FATAL(out != NULL);
	ldns_rdf *back = dnssd_unrename_name(r, "manhattan", out);
	ldns_rdf *cut = labels(l, 51, "_ipp._tcp.local.");
	CU_ASSERT_FATAL(back != NULL);
	CU_ASSERT(same_name(back, cut));
	CU_ASSERT(!same_name(back, in));
	ldns_rdf_deep_free(cut);
	ldns_rdf_deep_free(back);
	ldns_rdf_deep_free(out);
	ldns_rdf_deep_free(in);
	dnssd_rename_free(r);
}

static CU_TestInfo template_tests[] = {
    {"valid templates", test_templates_valid},
    {"invalid templates and their messages", test_templates_invalid},
    {"free(NULL)", test_free_null},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo name_tests[] = {
    {"default suffixes, Avahi and Apple names", test_names_default},
    {"label holding a dot", test_names_dot_label},
    {"other templates, empty templates", test_names_templates},
    {"bad sites and arguments", test_names_bad_arguments},
    {"name too long for the suffix", test_names_too_long},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo rr_tests[] = {
    {"PTR: instances, subtypes, enumeration", test_rr_ptr},
    {"SRV and TXT", test_rr_srv_txt},
    {"A and AAAA", test_rr_addresses},
    {"NSEC", test_rr_nsec},
    {"reverse PTR refused", test_rr_reverse},
    {"record from the wire", test_rr_from_wire},
    {"all or nothing", test_rr_all_or_nothing},
    {"empty templates", test_rr_empty_templates},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo inverse_tests[] = {
    {"unrename", test_unrename},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo cut_tests[] = {
    {"ASCII labels", test_cut_ascii},
    {"2-, 3- and 4-byte characters at the cut", test_cut_utf8},
    {"cut names do not invert", test_cut_not_invertible},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"rename: templates", NULL, NULL, NULL, NULL, template_tests},
    {"rename: names", NULL, NULL, NULL, NULL, name_tests},
    {"rename: records", NULL, NULL, NULL, NULL, rr_tests},
    {"rename: inverse", NULL, NULL, NULL, NULL, inverse_tests},
    {"rename: 63-byte labels", NULL, NULL, NULL, NULL, cut_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
