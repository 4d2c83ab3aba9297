/* test_svcname.c: classifying, splitting and building DNS-SD names. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "dnssd/svcname.h"
#include "tests/unit/unit.h"

/* A name from presentation text (ldns reads "\." and "\DDD" escapes). */
static ldns_rdf *name(const char *text)
{
	ldns_rdf *n = ldns_dname_new_frm_str(text);
	CU_ASSERT_FATAL(n != NULL);
	return n;
}

/* A name from its labels given as (length, bytes) pairs, ended by length 0. */
static ldns_rdf *wire(size_t len, ...)
{
	uint8_t buf[300];
	size_t o = 0;
	va_list ap;

	va_start(ap, len);
	while (len) {
		const char *d = va_arg(ap, const char *);
		buf[o++] = (uint8_t)len;
		memcpy(buf + o, d, len);
		o += len;
		len = va_arg(ap, size_t);
	}
	va_end(ap);
	buf[o++] = 0;
	ldns_rdf *n = ldns_dname_new_frm_data((uint16_t)o, buf);
	CU_ASSERT_FATAL(n != NULL);
	return n;
}

/* Parse, check that dnssd_name_kind() agrees, and return the kind. */
static enum dnssd_name_kind parse(const ldns_rdf *n, struct dnssd_svcname *sn)
{
	CU_ASSERT_EQUAL_FATAL(dnssd_svcname_parse(n, sn), 0);
	CU_ASSERT_EQUAL(dnssd_name_kind(n), sn->kind);
	return sn->kind;
}

/* Build sn back and check that the wire form is byte for byte the original. */
static void assert_builds_back(const ldns_rdf *orig, const struct dnssd_svcname *sn)
{
	ldns_rdf *b = NULL;
	CU_ASSERT_EQUAL_FATAL(dnssd_svcname_build(sn, &b), 0);
	CU_ASSERT_FATAL(b != NULL);
	CU_ASSERT_EQUAL(ldns_rdf_get_type(b), LDNS_RDF_TYPE_DNAME);
	CU_ASSERT_EQUAL_FATAL(ldns_rdf_size(b), ldns_rdf_size(orig));
	CU_ASSERT(memcmp(ldns_rdf_data(b), ldns_rdf_data(orig), ldns_rdf_size(b)) == 0);
	ldns_rdf_deep_free(b);
}

/* ------------------------------------------------------------ realistic names */

static void test_avahi_instance(void)
{
	struct dnssd_svcname sn;
	ldns_rdf *n = name("Brother\\032HL-L2350DW\\032series._ipp._tcp.local.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_INSTANCE);
	CU_ASSERT_STRING_EQUAL(sn.instance, "Brother HL-L2350DW series");
	CU_ASSERT_EQUAL(sn.instance_len, strlen("Brother HL-L2350DW series"));
	CU_ASSERT_STRING_EQUAL(sn.service, "_ipp._tcp");
	CU_ASSERT_STRING_EQUAL(sn.domain, "local");
	CU_ASSERT_STRING_EQUAL(sn.subtype, "");
	CU_ASSERT_STRING_EQUAL(sn.host, "");
	assert_builds_back(n, &sn);
	ldns_rdf_deep_free(n);
}

static void test_apple_instance(void)
{
	struct dnssd_svcname sn;
	ldns_rdf *n = name("Living Room._airplay._tcp.local.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_INSTANCE);
	CU_ASSERT_STRING_EQUAL(sn.instance, "Living Room");
	CU_ASSERT_STRING_EQUAL(sn.service, "_airplay._tcp");
	CU_ASSERT_STRING_EQUAL(sn.domain, "local");
	assert_builds_back(n, &sn);
	ldns_rdf_deep_free(n);

	/* AirPlay's RAOP names carry the MAC address and an '@'. */
	n = name("7C2EBD0A1B2C@Living Room._raop._tcp.local.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_INSTANCE);
	CU_ASSERT_STRING_EQUAL(sn.instance, "7C2EBD0A1B2C@Living Room");
	CU_ASSERT_STRING_EQUAL(sn.service, "_raop._tcp");
	assert_builds_back(n, &sn);
	ldns_rdf_deep_free(n);
}

static void test_utf8_instance(void)
{
	struct dnssd_svcname sn;
	const char *inst = "B\xc3\xbcro Drucker (2)";
	ldns_rdf *n = name("B\xc3\xbcro Drucker (2)._ipp._tcp.local.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_INSTANCE);
	CU_ASSERT_STRING_EQUAL(sn.instance, inst);
	CU_ASSERT_EQUAL(sn.instance_len, 17);
	CU_ASSERT_STRING_EQUAL(sn.service, "_ipp._tcp");
	assert_builds_back(n, &sn);
	ldns_rdf_deep_free(n);

	/* The same name as escapes (how dig or a zone file spells it). */
	ldns_rdf *m = name("B\\195\\188ro\\032Drucker\\032\\(2\\)._ipp._tcp.local.");
	CU_ASSERT_EQUAL(parse(m, &sn), DNSSD_NAME_INSTANCE);
	CU_ASSERT_STRING_EQUAL(sn.instance, inst);
	ldns_rdf_deep_free(m);
}

static void test_dot_in_instance(void)
{
	struct dnssd_svcname sn;
	ldns_rdf *n = name("Printer\\.A._ipp._tcp.local.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_INSTANCE);
	CU_ASSERT_STRING_EQUAL(sn.instance, "Printer.A");
	CU_ASSERT_EQUAL(sn.instance_len, 9);
	CU_ASSERT_STRING_EQUAL(sn.service, "_ipp._tcp");
	assert_builds_back(n, &sn);

	/* The same name put together from wire labels. */
	ldns_rdf *w = wire(9, "Printer.A", 4, "_ipp", 4, "_tcp", 5, "local", (size_t)0);
	CU_ASSERT_EQUAL(ldns_dname_compare(n, w), 0);
	CU_ASSERT_EQUAL(parse(w, &sn), DNSSD_NAME_INSTANCE);
	CU_ASSERT_STRING_EQUAL(sn.instance, "Printer.A");
	ldns_rdf_deep_free(w);
	ldns_rdf_deep_free(n);

	/* Dots, backslashes and a label that looks like a whole service name. */
	n = wire(21, "a.b\\c._ipp._tcp.local", 4, "_ipp", 4, "_tcp", 5, "local",
	         (size_t)0);
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_INSTANCE);
	CU_ASSERT_STRING_EQUAL(sn.instance, "a.b\\c._ipp._tcp.local");
	CU_ASSERT_STRING_EQUAL(sn.service, "_ipp._tcp");
	CU_ASSERT_STRING_EQUAL(sn.domain, "local");
	assert_builds_back(n, &sn);
	ldns_rdf_deep_free(n);
}

static void test_subtypes(void)
{
	struct dnssd_svcname sn;
	ldns_rdf *n = name("_universal._sub._ipp._tcp.local.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_SUBTYPE);
	CU_ASSERT_STRING_EQUAL(sn.subtype, "_universal");
	CU_ASSERT_STRING_EQUAL(sn.service, "_ipp._tcp");
	CU_ASSERT_STRING_EQUAL(sn.domain, "local");
	CU_ASSERT_STRING_EQUAL(sn.instance, "");
	assert_builds_back(n, &sn);
	ldns_rdf_deep_free(n);

	/* RFC 6763 §7.1: subtype labels need not start with '_'. */
	n = name("printer._sub._http._tcp.local.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_SUBTYPE);
	CU_ASSERT_STRING_EQUAL(sn.subtype, "printer");
	CU_ASSERT_STRING_EQUAL(sn.service, "_http._tcp");
	assert_builds_back(n, &sn);
	ldns_rdf_deep_free(n);

	/* The fixed "_sub" label is built in lower case: the same DNS name. */
	n = name("_Cups._SUB._IPP._tcp.local.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_SUBTYPE);
	CU_ASSERT_STRING_EQUAL(sn.subtype, "_Cups");
	CU_ASSERT_STRING_EQUAL(sn.service, "_IPP._tcp");
	ldns_rdf *b = NULL, *want = name("_Cups._sub._IPP._tcp.local.");
	CU_ASSERT_EQUAL_FATAL(dnssd_svcname_build(&sn, &b), 0);
	assert_builds_back(want, &sn);
	CU_ASSERT_EQUAL(ldns_dname_compare(b, n), 0);
	ldns_rdf_deep_free(b);
	ldns_rdf_deep_free(want);
	ldns_rdf_deep_free(n);

	/* Two labels before the service that are not "x._sub": not DNS-SD. */
	n = name("a.b._ipp._tcp.local.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_OTHER);
	ldns_rdf_deep_free(n);
}

static void test_service_types(void)
{
	struct dnssd_svcname sn;
	ldns_rdf *n = name("_ipp._tcp.local.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_SERVICE_TYPE);
	CU_ASSERT_STRING_EQUAL(sn.service, "_ipp._tcp");
	CU_ASSERT_STRING_EQUAL(sn.domain, "local");
	assert_builds_back(n, &sn);
	ldns_rdf_deep_free(n);

	n = name("_sleep-proxy._udp.local.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_SERVICE_TYPE);
	CU_ASSERT_STRING_EQUAL(sn.service, "_sleep-proxy._udp");
	ldns_rdf_deep_free(n);

	/* Case is kept in the fields and ignored in the classification. */
	n = name("_IPP._TCP.Local.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_SERVICE_TYPE);
	CU_ASSERT_STRING_EQUAL(sn.service, "_IPP._TCP");
	CU_ASSERT_STRING_EQUAL(sn.domain, "Local");
	assert_builds_back(n, &sn);
	ldns_rdf_deep_free(n);

	/* Only _tcp and _udp are protocol labels. */
	n = name("_ipp._sctp.local.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_OTHER);
	ldns_rdf_deep_free(n);
	n = name("ipp._tcp.local.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_OTHER);
	ldns_rdf_deep_free(n);
}

static void test_enumeration(void)
{
	struct dnssd_svcname sn;
	ldns_rdf *n = name("_services._dns-sd._udp.local.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_ENUM);
	CU_ASSERT_STRING_EQUAL(sn.domain, "local");
	CU_ASSERT_STRING_EQUAL(sn.service, "");
	assert_builds_back(n, &sn);
	ldns_rdf_deep_free(n);

	n = name("_SERVICES._DNS-SD._UDP.LOCAL.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_ENUM);
	CU_ASSERT_STRING_EQUAL(sn.domain, "LOCAL");
	ldns_rdf *want = name("_services._dns-sd._udp.LOCAL.");
	assert_builds_back(want, &sn);
	ldns_rdf_deep_free(want);
	ldns_rdf_deep_free(n);

	/* Browse-domain names are no instances of a "_dns-sd._udp" service. */
	static const char *const others[] = {
	    "b._dns-sd._udp.local.", "lb._dns-sd._udp.local.", "_dns-sd._udp.local.",
	    "_x._sub._dns-sd._udp.local."};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		n = name(others[i]);
		CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_OTHER);
		ldns_rdf_deep_free(n);
	}
}

static void test_hosts(void)
{
	struct dnssd_svcname sn;
	ldns_rdf *n = name("MacBook-Pro.local.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_HOST);
	CU_ASSERT_STRING_EQUAL(sn.host, "MacBook-Pro");
	CU_ASSERT_STRING_EQUAL(sn.domain, "local");
	CU_ASSERT_STRING_EQUAL(sn.instance, "");
	assert_builds_back(n, &sn);
	ldns_rdf_deep_free(n);

	n = name("BRN3C2AF4A1B2C3.LOCAL.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_HOST);
	CU_ASSERT_STRING_EQUAL(sn.host, "BRN3C2AF4A1B2C3");
	assert_builds_back(n, &sn);
	ldns_rdf_deep_free(n);

	static const char *const others[] = {"_x.local.",
	                                     "local.",
	                                     ".",
	                                     "printer.sub.local.",
	                                     "printer.example.com.",
	                                     "www.example.com."};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		n = name(others[i]);
		CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_OTHER);
		ldns_rdf_deep_free(n);
	}
}

static void test_reverse(void)
{
	struct dnssd_svcname sn;
	ldns_rdf *n = name("12.1.168.192.in-addr.arpa.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_REVERSE);
	CU_ASSERT_STRING_EQUAL(sn.domain, "in-addr.arpa");
	ldns_rdf_deep_free(n);

	n = name(
	    "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.IP6.ARPA.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_REVERSE);
	CU_ASSERT_STRING_EQUAL(sn.domain, "IP6.ARPA");
	ldns_rdf *b = NULL;
	CU_ASSERT_EQUAL(dnssd_svcname_build(&sn, &b), -EINVAL);
	CU_ASSERT_PTR_NULL(b);
	ldns_rdf_deep_free(n);

	n = name("arpa.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_OTHER);
	ldns_rdf_deep_free(n);
}

static void test_other_domains(void)
{
	struct dnssd_svcname sn;
	ldns_rdf *n = name("_ipp._tcp.example.com.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_SERVICE_TYPE);
	CU_ASSERT_STRING_EQUAL(sn.service, "_ipp._tcp");
	CU_ASSERT_STRING_EQUAL(sn.domain, "example.com");
	assert_builds_back(n, &sn);
	ldns_rdf_deep_free(n);

	n = name("Printer A._ipp._tcp.dns-sd.example.com.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_INSTANCE);
	CU_ASSERT_STRING_EQUAL(sn.instance, "Printer A");
	CU_ASSERT_STRING_EQUAL(sn.domain, "dns-sd.example.com");
	assert_builds_back(n, &sn);
	ldns_rdf_deep_free(n);

	n = name("_services._dns-sd._udp.example.com.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_ENUM);
	CU_ASSERT_STRING_EQUAL(sn.domain, "example.com");
	assert_builds_back(n, &sn);
	ldns_rdf_deep_free(n);

	/* Domain labels with a dot or UTF-8 come back through the escapes. */
	n = name("_ipp._tcp.ex\\.ample.b\xc3\xbcro.\\001x.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_SERVICE_TYPE);
	CU_ASSERT_STRING_EQUAL(sn.domain, "ex\\.ample.b\xc3\xbcro.\\001x");
	assert_builds_back(n, &sn);
	ldns_rdf_deep_free(n);

	/* The root domain. */
	n = name("_ipp._tcp.");
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_SERVICE_TYPE);
	CU_ASSERT_STRING_EQUAL(sn.domain, "");
	assert_builds_back(n, &sn);
	ldns_rdf_deep_free(n);
}

/* ------------------------------------------------------------ odd and bad input */

static void test_labels_with_nul(void)
{
	struct dnssd_svcname sn;
	ldns_rdf *n = wire(3, "a\0b", 4, "_ipp", 4, "_tcp", 5, "local", (size_t)0);
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_OTHER);
	ldns_rdf_deep_free(n);
	n = wire(3, "a\0b", 5, "local", (size_t)0);
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_OTHER);
	ldns_rdf_deep_free(n);
	n = wire(3, "_\0b", 4, "_sub", 4, "_ipp", 4, "_tcp", 5, "local", (size_t)0);
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_OTHER);
	ldns_rdf_deep_free(n);
	/* A service label with a dot cannot be written as "svc.proto". */
	n = wire(5, "_ip.p", 4, "_tcp", 5, "local", (size_t)0);
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_OTHER);
	ldns_rdf_deep_free(n);
}

/* Wire forms that no decoder should hand out, but that must not crash. */
static void assert_bad_wire(const void *bytes, size_t len)
{
	struct dnssd_svcname sn;
	ldns_rdf *n = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, len, bytes);
	CU_ASSERT_FATAL(n != NULL);
	CU_ASSERT_EQUAL(dnssd_svcname_parse(n, &sn), -EINVAL);
	CU_ASSERT_EQUAL(dnssd_name_kind(n), DNSSD_NAME_OTHER);
	char *s = dnssd_name_str(n);
	CU_ASSERT_STRING_EQUAL(s, "(invalid name)");
	free(s);
	ldns_rdf_deep_free(n);
}

static void test_not_a_name(void)
{
	struct dnssd_svcname sn;
	ldns_rdf *a = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, "192.168.1.12");
	CU_ASSERT_FATAL(a != NULL);
	CU_ASSERT_EQUAL(dnssd_svcname_parse(a, &sn), -EINVAL);
	CU_ASSERT_EQUAL(dnssd_name_kind(a), DNSSD_NAME_OTHER);
	CU_ASSERT_EQUAL(dnssd_svcname_parse(NULL, &sn), -EINVAL);
	CU_ASSERT_EQUAL(dnssd_name_kind(NULL), DNSSD_NAME_OTHER);
	char *s = dnssd_name_str(a);
	CU_ASSERT_STRING_EQUAL(s, "(invalid name)");
	free(s);
	ldns_rdf_deep_free(a);

	assert_bad_wire("\x05local", 6);        /* no root label */
	assert_bad_wire("\x09local\0", 7);      /* label runs past the end */
	assert_bad_wire("\x05local\0\0", 8);    /* bytes after the root */
	assert_bad_wire("\xc0\x0c", 2);         /* compression pointer */
	assert_bad_wire("\x05local\x40x\0", 9); /* extended label type */
	uint8_t big[66] = {64};
	memset(big + 1, 'x', 64);
	assert_bad_wire(big, sizeof(big)); /* 64-byte label */
	uint8_t longname[257];
	for (size_t i = 0; i < 256; i += 2) {
		longname[i] = 1;
		longname[i + 1] = 'a';
	}
	longname[256] = 0;
	assert_bad_wire(longname, sizeof(longname)); /* 257 bytes */
}

static void test_domain_too_long_for_field(void)
{
	/* 3 x 60 control bytes: 720 characters once escaped, over domain[256]. */
	char lab[60];
	memset(lab, 1, sizeof(lab));
	struct dnssd_svcname sn;
	ldns_rdf *n = wire(4, "_ipp", 4, "_tcp", 60, lab, 60, lab, 60, lab, (size_t)0);
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_OTHER);
	ldns_rdf_deep_free(n);
	/* Printable, the same labels fit. */
	memset(lab, 'x', sizeof(lab));
	n = wire(4, "_ipp", 4, "_tcp", 60, lab, 60, lab, 60, lab, (size_t)0);
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_SERVICE_TYPE);
	CU_ASSERT_EQUAL(strlen(sn.domain), 182);
	assert_builds_back(n, &sn);
	ldns_rdf_deep_free(n);
}

static void test_longest_instance(void)
{
	char lab[64];
	memset(lab, 'p', 63);
	lab[63] = '\0';
	struct dnssd_svcname sn;
	ldns_rdf *n = wire(63, lab, 4, "_ipp", 4, "_tcp", 5, "local", (size_t)0);
	CU_ASSERT_EQUAL(parse(n, &sn), DNSSD_NAME_INSTANCE);
	CU_ASSERT_EQUAL(sn.instance_len, 63);
	CU_ASSERT_STRING_EQUAL(sn.instance, lab);
	assert_builds_back(n, &sn);
	ldns_rdf_deep_free(n);
}

/* ------------------------------------------------------------ building */

static void test_build_fields(void)
{
	struct dnssd_svcname sn = {.kind = DNSSD_NAME_INSTANCE};
	strcpy(sn.instance, "Printer.A");
	strcpy(sn.service, "_ipp._tcp");
	strcpy(sn.domain, "local");
	ldns_rdf *b = NULL, *want;
	CU_ASSERT_EQUAL_FATAL(dnssd_svcname_build(&sn, &b), 0);
	want = wire(9, "Printer.A", 4, "_ipp", 4, "_tcp", 5, "local", (size_t)0);
	CU_ASSERT_EQUAL(ldns_dname_compare(b, want), 0);
	ldns_rdf_deep_free(b);
	ldns_rdf_deep_free(want);

	/* instance_len wins over the NUL: labels may be binary. */
	memcpy(sn.instance, "a\0b", 4);
	sn.instance_len = 3;
	CU_ASSERT_EQUAL_FATAL(dnssd_svcname_build(&sn, &b), 0);
	want = wire(3, "a\0b", 4, "_ipp", 4, "_tcp", 5, "local", (size_t)0);
	CU_ASSERT_EQUAL(ldns_rdf_size(b), ldns_rdf_size(want));
	CU_ASSERT(memcmp(ldns_rdf_data(b), ldns_rdf_data(want), ldns_rdf_size(b)) == 0);
	ldns_rdf_deep_free(b);
	ldns_rdf_deep_free(want);

	/* A trailing dot on the domain is accepted. */
	struct dnssd_svcname h = {.kind = DNSSD_NAME_HOST};
	strcpy(h.host, "printer");
	strcpy(h.domain, "local.");
	CU_ASSERT_EQUAL_FATAL(dnssd_svcname_build(&h, &b), 0);
	want = name("printer.local.");
	CU_ASSERT_EQUAL(ldns_dname_compare(b, want), 0);
	ldns_rdf_deep_free(b);
	ldns_rdf_deep_free(want);
}

static void test_build_errors(void)
{
	struct dnssd_svcname sn = {.kind = DNSSD_NAME_OTHER};
	ldns_rdf *b = NULL;
	CU_ASSERT_EQUAL(dnssd_svcname_build(&sn, &b), -EINVAL);

	sn.kind = DNSSD_NAME_SERVICE_TYPE;
	strcpy(sn.domain, "local");
	static const char *const bad_services[] = {"ipp", "_a._b._c", "._tcp", "_ipp.",
	                                           ""};
	for (size_t i = 0; i < sizeof(bad_services) / sizeof(bad_services[0]); i++) {
		strcpy(sn.service, bad_services[i]);
		CU_ASSERT_EQUAL(dnssd_svcname_build(&sn, &b), -EINVAL);
	}
	strcpy(sn.service, "_ipp._tcp");
	static const char *const bad_domains[] = {"a..b", ".local", "x\\25", "x\\256",
	                                          "x\\"};
	for (size_t i = 0; i < sizeof(bad_domains) / sizeof(bad_domains[0]); i++) {
		strcpy(sn.domain, bad_domains[i]);
		CU_ASSERT_EQUAL(dnssd_svcname_build(&sn, &b), -EINVAL);
	}
	/* 64-byte label. */
	memset(sn.domain, 'd', 64);
	sn.domain[64] = '\0';
	CU_ASSERT_EQUAL(dnssd_svcname_build(&sn, &b), -EINVAL);
	/* Four 63-byte labels and the service: over 255 bytes. */
	char *d = sn.domain;
	for (int i = 0; i < 4; i++) {
		memset(d, 'd', 63);
		d[63] = i < 3 ? '.' : '\0';
		d += 64;
	}
	CU_ASSERT_EQUAL(dnssd_svcname_build(&sn, &b), -ENAMETOOLONG);

	struct dnssd_svcname st = {.kind = DNSSD_NAME_SUBTYPE};
	strcpy(st.service, "_ipp._tcp");
	strcpy(st.domain, "local");
	CU_ASSERT_EQUAL(dnssd_svcname_build(&st, &b), -EINVAL); /* empty subtype */

	struct dnssd_svcname in = {.kind = DNSSD_NAME_INSTANCE, .instance_len = 64};
	strcpy(in.service, "_ipp._tcp");
	CU_ASSERT_EQUAL(dnssd_svcname_build(&in, &b), -EINVAL);
	CU_ASSERT_PTR_NULL(b);
}

/* ------------------------------------------------------------ presentation */

static void assert_str(const ldns_rdf *n, const char *want)
{
	char *s = dnssd_name_str(n);
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_STRING_EQUAL(s, want);
	/* What logs show reads back to the same name. */
	ldns_rdf *back = ldns_dname_new_frm_str(s);
	CU_ASSERT_FATAL(back != NULL);
	CU_ASSERT_EQUAL(ldns_rdf_size(back), ldns_rdf_size(n));
	CU_ASSERT(memcmp(ldns_rdf_data(back), ldns_rdf_data(n), ldns_rdf_size(n)) == 0);
	ldns_rdf_deep_free(back);
	free(s);
}

static void test_name_str(void)
{
	ldns_rdf *n = name("B\xc3\xbcro Drucker (2)._ipp._tcp.local.");
	assert_str(n, "B\xc3\xbcro Drucker (2)._ipp._tcp.local.");
	ldns_rdf_deep_free(n);

	n = wire(9, "Printer.A", 4, "_ipp", 4, "_tcp", 5, "local", (size_t)0);
	assert_str(n, "Printer\\.A._ipp._tcp.local.");
	ldns_rdf_deep_free(n);

	n = wire(6, "a\\b\x01\x7f\xff", 5, "local", (size_t)0);
	assert_str(n, "a\\\\b\\001\\127\\255.local.");
	ldns_rdf_deep_free(n);

	/* A UTF-8 sequence cut short and an overlong encoding are escaped. */
	n = wire(4, "x\xe2\x82y", 2, "\xc0\xaf", (size_t)0);
	assert_str(n, "x\\226\\130y.\\192\\175.");
	ldns_rdf_deep_free(n);

	n = name(".");
	assert_str(n, ".");
	ldns_rdf_deep_free(n);
}

static CU_TestInfo realistic_tests[] = {
    {"Avahi printer instance", test_avahi_instance},
    {"Apple AirPlay and RAOP instances", test_apple_instance},
    {"UTF-8 instance", test_utf8_instance},
    {"dot inside an instance label", test_dot_in_instance},
    {"subtypes", test_subtypes},
    {"service types", test_service_types},
    {"service enumeration", test_enumeration},
    {"hosts", test_hosts},
    {"reverse names", test_reverse},
    {"other domains", test_other_domains},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo odd_tests[] = {
    {"labels with NUL or dot", test_labels_with_nul},
    {"not a name, malformed wire", test_not_a_name},
    {"domain too long for the field", test_domain_too_long_for_field},
    {"63-byte instance", test_longest_instance},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo build_tests[] = {
    {"fields to wire", test_build_fields},
    {"bad fields", test_build_errors},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo str_tests[] = {
    {"presentation for logs", test_name_str},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"svcname: realistic names", NULL, NULL, NULL, NULL, realistic_tests},
    {"svcname: odd and malformed names", NULL, NULL, NULL, NULL, odd_tests},
    {"svcname: build", NULL, NULL, NULL, NULL, build_tests},
    {"svcname: presentation", NULL, NULL, NULL, NULL, str_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
