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
	char instance[64];   /* raw label bytes, NUL-terminated (labels with NUL are OTHER) */
	size_t instance_len;
	char subtype[64];    /* "_universal", without "._sub" */
	char service[130];   /* "_ipp._tcp" */
	char host[64];       /* first label of a host name: "printer" */
	char domain[256];    /* presentation form without trailing dot: "local" */
};

/* Classify and split a name. Returns 0, or -EINVAL if name is not a dname. */
int dnssd_svcname_parse(const ldns_rdf *name, struct dnssd_svcname *out);

/*
 * Build the name that sn describes (by its kind; OTHER and REVERSE are -EINVAL).
 * Returns 0 and sets *out (caller frees), -EINVAL or -ENAMETOOLONG.
 */
int dnssd_svcname_build(const struct dnssd_svcname *sn, ldns_rdf **out);

/* The name's labels as presentation text with DNS escapes, for logs. Caller frees. */
char *dnssd_name_str(const ldns_rdf *name);

#endif
