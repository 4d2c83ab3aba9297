/*
 * addrmap.h: address prefixes, 1:1 prefix maps (NETMAP) and link-local tests.
 *
 * A map rewrites addresses of this site as a peer sees them: with
 * { from: 192.168.1.0/24, to: 10.101.1.0/24 }, 192.168.1.12 becomes
 * 10.101.1.12 (prefix replaced, host bits kept). The first matching entry
 * wins. Addresses that no entry matches are unchanged. A /0 entry matches
 * every address of its family and keeps it as it is (no prefix bits to
 * replace), so it ends the search: entries after it never apply.
 *
 * Ownership: dnssd_addrmap_new() allocates (dnssd_addrmap_free()); struct
 * dnssd_cidr is a plain value.
 */
#ifndef SITECAST_DNSSD_ADDRMAP_H
#define SITECAST_DNSSD_ADDRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dnssd_cidr {
	int af;           /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network byte order; host bits zero after parsing */
	unsigned plen;    /* prefix length */
};

/*
 * Parse "192.168.1.0/24" or "2001:db8::/32" (a bare address is a /32 or /128).
 * Returns 0, or -EINVAL with *why (may be NULL) set to one of these static
 * messages: "not an IPv4 or IPv6 address" (also for scoped "fe80::1%eth0" and
 * surrounding spaces), "missing prefix length after '/'", "prefix length is
 * not a number", "prefix length out of range" (over 32 or 128), "host bits
 * set" (192.168.1.1/24: the address must be the network's). out is only
 * written on success.
 */
int dnssd_cidr_parse(const char *text, struct dnssd_cidr *out, const char **why);
/* Whether addr (af, 4 or 16 bytes) lies in c. False when the families differ. */
bool dnssd_cidr_contains(const struct dnssd_cidr *c, int af, const uint8_t *addr);

struct dnssd_addrmap;

struct dnssd_addrmap *dnssd_addrmap_new(void);
void dnssd_addrmap_free(struct dnssd_addrmap *m);
/*
 * Add a mapping after the existing ones. -EINVAL if families or prefix
 * lengths differ; -ENOMEM. Host bits in to->addr are ignored.
 */
int dnssd_addrmap_add(struct dnssd_addrmap *m, const struct dnssd_cidr *from,
                      const struct dnssd_cidr *to);
size_t dnssd_addrmap_count(const struct dnssd_addrmap *m);
/*
 * Rewrite addr (af, 4 or 16 bytes) in place: the first entry whose `from`
 * contains it replaces its prefix with `to`'s. Returns true when an entry
 * matched. m may be NULL (no map: nothing matches).
 */
bool dnssd_addrmap_apply(const struct dnssd_addrmap *m, int af, uint8_t *addr);

/* 169.254.0.0/16 or fe80::/10. */
bool dnssd_addr_is_linklocal(int af, const uint8_t *addr);

#endif
