/*
 * site.h: the one rule for a site name, [a-z0-9-]{1,32}, wherever a name is
 * read or used: the configuration's `site` and `peers[].name`,
 * `dns.import[].site`, the site names that peers send in frames, and the
 * origin site that renaming puts into host and instance suffixes.
 *
 * It lives in dnssd/ because renaming (the lowest layer) needs it and
 * layers only include downwards; it is header only so that code outside
 * the libraries (the frame codec and its tests) uses the same rule without
 * linking them. Nothing is allocated.
 */
#ifndef SITECAST_DNSSD_SITE_H
#define SITECAST_DNSSD_SITE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest site name, in bytes; names are ASCII, so also in characters. */
#define DNSSD_SITE_MAX 32

/* Whether the len bytes at s (no terminator needed) are a valid site name. */
static inline bool dnssd_site_valid(const void *s, size_t len)
{
	const unsigned char *p = s;

	if (!s || len < 1 || len > DNSSD_SITE_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') ||
		      p[i] == '-'))
			return false;
	return true;
}

#endif
