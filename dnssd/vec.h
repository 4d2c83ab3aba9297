/*
 * vec.h: growing an array, the one way every module does it.
 *
 * Ownership: *v stays the caller's (realloc'ed here, freed by the caller).
 */
#ifndef SITECAST_DNSSD_VEC_H
#define SITECAST_DNSSD_VEC_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/*
 * Make room in *v (*cap elements of size bytes) for at least need elements,
 * doubling from 16 so that n pushes cost O(n). 0, or -ENOMEM (on overflow too)
 * with *v and *cap unchanged.
 */
static inline int dnssd_grow(void **v, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t nc = *cap ? *cap : 16;
	while (nc < need) {
		if (nc > SIZE_MAX / 2)
			return -ENOMEM;
		nc *= 2;
	}
	if (size && nc > SIZE_MAX / size)
		return -ENOMEM;
	void *nv = realloc(*v, nc * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = nc;
	return 0;
}

#endif
