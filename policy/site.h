/*
 * site.h: the one rule for a site name, [a-z0-9-]{1,32}, wherever a name is
 * read: the configuration's `site` and `peers[].name`, `dns.import[].site`,
 * and the site names that peers send in frames.
 *
 * Header only, so that code outside policy/ (the frame codec) uses the same
 * rule without linking the configuration loader. Nothing is allocated.
 */
#ifndef SITECAST_POLICY_SITE_H
#define SITECAST_POLICY_SITE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest site name, in bytes; names are ASCII, so also in characters. */
#define POLICY_SITE_MAX 32

/* Whether the len bytes at s (no terminator needed) are a valid site name. */
static inline bool policy_site_valid(const void *s, size_t len)
{
	const unsigned char *p = s;

	if (!s || len < 1 || len > POLICY_SITE_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') ||
		      p[i] == '-'))
			return false;
	return true;
}

#endif
