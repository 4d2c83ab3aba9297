/*
 * service.h: one DNS-SD service instance in plain C strings, the one description
 * the engine and an external publisher or browser (reflector/avahi.c) exchange,
 * so that neither converts into a look-alike type of the other.
 *
 *   name     "Printer A (manhattan)"   the instance label, unescaped UTF-8
 *   type     "_ipp._tcp"
 *   domain   "local" (NULL: "local")
 *   host     "printer-manhattan.local" the SRV target, without the final dot
 *   txt      the TXT strings in wire order (each at most 255 bytes, any byte)
 *   subtypes "_universal", or in full "_universal._sub._ipp._tcp"
 *   addrs    the host's addresses
 *
 * Nothing is capped: every array is as long as its count says. A side that cannot
 * take something refuses the whole service with its own error.
 *
 * Ownership: the struct only points; whoever fills it owns every string and array,
 * which stay valid for the call it is passed to (neither side keeps the pointers).
 */
#ifndef SITECAST_DNSSD_SERVICE_H
#define SITECAST_DNSSD_SERVICE_H

#include <stddef.h>
#include <stdint.h>

/* One TXT string: len bytes of data (data may be NULL when len is 0). */
struct dnssd_txt {
	const uint8_t *data;
	size_t len;
};

/* An address: AF_INET in the first 4 bytes of a, or AF_INET6 in all 16. */
struct dnssd_addr {
	int af;
	uint8_t a[16];
};

struct dnssd_service {
	const char *name;
	const char *type;
	const char *domain;
	const char *host;
	uint16_t port;
	const struct dnssd_txt *txt;
	size_t ntxt;
	const char *const *subtypes;
	size_t nsubtypes;
	const struct dnssd_addr *addrs;
	size_t naddrs;
};

#endif
