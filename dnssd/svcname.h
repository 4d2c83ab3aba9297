/*
 * svcname.h: DNS-SD service names (RFC 6763 §4, §7.1).
 *
 *   Printer A._ipp._tcp.local.             instance "Printer A", service "_ipp._tcp"
 *   _universal._sub._ipp._tcp.local.       subtype "_universal", service "_ipp._tcp"
 *   _ipp._tcp.local.                       service type "_ipp._tcp"
 *   _services._dns-sd._udp.local.          service enumeration
 *   printer.local.                         host
 *   12.1.168.192.in-addr.arpa.             reverse
 *
 * Labels are handled as raw bytes (a DNS label may hold dots, spaces, any UTF-8);
 * the instance field holds the label unescaped. Comparisons of service types
 * and domains are case-insensitive (ASCII).
 *
 * Ownership: everything is in caller-provided structs; dnssd_svcname_build()
 * allocates the ldns_rdf it returns (caller frees with ldns_rdf_deep_free()).
 */
#ifndef SITECAST_DNSSD_SVCNAME_H
#define SITECAST_DNSSD_SVCNAME_H

#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

enum dnssd_name_kind {
	DNSSD_NAME_OTHER,        /* none of the below */
	DNSSD_NAME_ENUM,         /* _services._dns-sd._udp.<domain> */
	DNSSD_NAME_SERVICE_TYPE, /* _svc._proto.<domain> */
	DNSSD_NAME_SUBTYPE,      /* _sub._sub._svc._proto.<domain> */
	DNSSD_NAME_INSTANCE,     /* Instance._svc._proto.<domain> */
	DNSSD_NAME_HOST,         /* host.<domain>, e.g. printer.local */
	DNSSD_NAME_REVERSE,      /* *.in-addr.arpa, *.ip6.arpa */
};

struct dnssd_svcname {
	enum dnssd_name_kind kind;
	char instance[64]; /* raw label bytes, NUL-terminated (NUL inside: OTHER) */
	size_t instance_len;
	char subtype[64];  /* "_universal", without "._sub" */
	char service[130]; /* "_ipp._tcp" */
	char host[64];     /* first label of a host name: "printer" */
	char domain[256];  /* presentation form without trailing dot: "local" */
};

/* Classify and split a name. Returns 0, or -EINVAL if name is not a dname. */
int dnssd_svcname_parse(const ldns_rdf *name, struct dnssd_svcname *out);

/*
 * Build the name that sn describes (by its kind; OTHER and REVERSE are -EINVAL).
 * The instance label is instance_len bytes of instance, or up to its NUL when
 * instance_len is 0; service must be two labels ("_ipp._tcp"); domain is
 * presentation form ("\." and "\DDD" escapes, "" for the root). The
 * result of dnssd_svcname_parse() builds back the very same wire name, but
 * for the fixed labels "_sub" and "_services._dns-sd._udp", which are always
 * built in lower case (the same DNS name: names compare case-insensitively).
 * Returns 0 and sets *out (caller frees), -EINVAL (bad field), -ENAMETOOLONG
 * (over 255 bytes) or -ENOMEM.
 */
int dnssd_svcname_build(const struct dnssd_svcname *sn, ldns_rdf **out);

/*
 * The kind dnssd_svcname_parse() would give, read straight from the wire
 * form without copying anything: for the per-record hot path (renaming,
 * policy). DNSSD_NAME_OTHER for anything that is not a well-formed dname.
 *
 * Classification details: the protocol label is the first "_tcp" or "_udp"
 * in second to fourth position that follows a label starting with '_';
 * the domain is whatever comes after it ("local", "example.com", or the
 * root). A subtype needs "_sub" right before the service label. Names under
 * "_dns-sd._udp" other than the enumeration name (such as the browse-domain
 * names b._dns-sd._udp) are OTHER. A host is exactly two labels ending in
 * "local" whose first label does not start with '_'. Names whose instance,
 * subtype or host label holds a NUL byte, whose service label holds a '.'
 * and whose domain would not fit the domain field are OTHER.
 */
enum dnssd_name_kind dnssd_name_kind(const ldns_rdf *name);

/*
 * The name as presentation text for logs: labels joined by dots with a
 * trailing dot ("." for the root); '.' and '\' inside a label are escaped
 * with a backslash, control bytes, DEL and bytes that are not valid UTF-8 as
 * \DDD; spaces and UTF-8 text are kept, so ldns_dname_new_frm_str() reads the
 * text back to the same name. "(invalid name)" for anything not a
 * well-formed dname. Caller frees; NULL only when out of memory.
 */
char *dnssd_name_str(const ldns_rdf *name);

/*
 * Length of the UTF-8 sequence that starts at s (n bytes available): 1 to 4,
 * or 0 when the bytes there are not a well-formed sequence (RFC 3629: no
 * stray continuation bytes, overlong forms, surrogates or code points above
 * U+10FFFF) or n is 0.
 */
size_t dnssd_utf8_seq(const uint8_t *s, size_t n);

#endif
