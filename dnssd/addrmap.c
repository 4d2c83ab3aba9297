/*
 * addrmap.c: CIDR prefixes, 1:1 prefix maps (NETMAP) and link-local tests.
 *
 * Addresses are plain byte arrays in network order (as in A and AAAA rdata),
 * so applying a map is a masked copy of the prefix bytes.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dnssd/addrmap.h"
#include "dnssd/vec.h"

struct entry {
	struct dnssd_cidr from, to;
};

struct dnssd_addrmap {
	struct entry *e;
	size_t n, cap;
};

static size_t addr_len(int af)
{
	return af == AF_INET ? 4 : af == AF_INET6 ? 16 : 0;
}

/* Mask byte i of a plen-bit prefix. */
static uint8_t mask_byte(unsigned plen, size_t i)
{
	if (plen >= 8 * (i + 1))
		return 0xff;
	if (plen <= 8 * i)
		return 0;
	return (uint8_t)(0xff << (8 - (plen - 8 * i)));
}

static int fail(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return -EINVAL;
}

int dnssd_cidr_parse(const char *text, struct dnssd_cidr *out, const char **why)
{
	char buf[INET6_ADDRSTRLEN + 1];
	const char *slash;
	size_t alen;
	struct dnssd_cidr c = {0};

	if (!text)
		return fail(why, "not an IPv4 or IPv6 address");
	slash = strchr(text, '/');
	alen = slash ? (size_t)(slash - text) : strlen(text);
	if (alen == 0 || alen >= sizeof(buf))
		return fail(why, "not an IPv4 or IPv6 address");
	memcpy(buf, text, alen);
	buf[alen] = '\0';
	if (strchr(buf, ':')) {
		c.af = AF_INET6;
		if (inet_pton(AF_INET6, buf, c.addr) != 1)
			return fail(why, "not an IPv4 or IPv6 address");
	} else {
		c.af = AF_INET;
		if (inet_pton(AF_INET, buf, c.addr) != 1)
			return fail(why, "not an IPv4 or IPv6 address");
	}
	unsigned max = c.af == AF_INET ? 32 : 128;
	c.plen = max;
	if (slash) {
		const char *p = slash + 1;
		unsigned v = 0;
		if (*p == '\0')
			return fail(why, "missing prefix length after '/'");
		for (; *p; p++) {
			if (*p < '0' || *p > '9')
				return fail(why, "prefix length is not a number");
			if (v <= max)
				v = v * 10 + (unsigned)(*p - '0');
		}
		if (v > max)
			return fail(why, "prefix length out of range");
		c.plen = v;
	}
	for (size_t i = 0; i < addr_len(c.af); i++)
		if (c.addr[i] & ~mask_byte(c.plen, i))
			return fail(why, "host bits set");
	*out = c;
	return 0;
}

bool dnssd_cidr_contains(const struct dnssd_cidr *c, int af, const uint8_t *addr)
{
	if (!c || !addr || af != c->af)
		return false;
	size_t n = addr_len(af);
	for (size_t i = 0; i < n && 8 * i < c->plen; i++) {
		uint8_t m = mask_byte(c->plen, i);
		if ((addr[i] & m) != (c->addr[i] & m))
			return false;
	}
	return n != 0;
}

struct dnssd_addrmap *dnssd_addrmap_new(void)
{
	return calloc(1, sizeof(struct dnssd_addrmap));
}

void dnssd_addrmap_free(struct dnssd_addrmap *m)
{
	if (!m)
		return;
	free(m->e);
	free(m);
}

int dnssd_addrmap_add(struct dnssd_addrmap *m, const struct dnssd_cidr *from,
                      const struct dnssd_cidr *to)
{
	if (!m || !from || !to || from->af != to->af || addr_len(from->af) == 0 ||
	    from->plen != to->plen || from->plen > 8 * addr_len(from->af))
		return -EINVAL;
	if (dnssd_grow((void **)&m->e, &m->cap, m->n + 1, sizeof(*m->e)) < 0)
		return -ENOMEM;
	m->e[m->n].from = *from;
	m->e[m->n].to = *to;
	m->n++;
	return 0;
}

size_t dnssd_addrmap_count(const struct dnssd_addrmap *m)
{
	return m ? m->n : 0;
}

bool dnssd_addrmap_apply(const struct dnssd_addrmap *m, int af, uint8_t *addr)
{
	if (!m || !addr)
		return false;
	for (size_t k = 0; k < m->n; k++) {
		const struct entry *e = &m->e[k];
		if (!dnssd_cidr_contains(&e->from, af, addr))
			continue;
		size_t n = addr_len(af);
		for (size_t i = 0; i < n && 8 * i < e->to.plen; i++) {
			uint8_t msk = mask_byte(e->to.plen, i);
			addr[i] = (uint8_t)((e->to.addr[i] & msk) | (addr[i] & ~msk));
		}
		return true;
	}
	return false;
}

bool dnssd_addr_is_linklocal(int af, const uint8_t *addr)
{
	if (!addr)
		return false;
	if (af == AF_INET)
		return addr[0] == 169 && addr[1] == 254;
	if (af == AF_INET6)
		return addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80;
	return false;
}
