/* avhconv.c: engine and Avahi service descriptions, one into the other (see avhconv.h).
 */
#include "config.h"

#include "reflector/avhconv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Addresses are copied whole: both sides hold 16 bytes (IPv4 in the first 4). */
_Static_assert(sizeof(((struct avh_addr *)0)->a) == sizeof(((struct proxy_addr *)0)->a),
               "one address size");

/* The fields both sides' services have alike; txt is the converted array. */
#define ALIKE_FIELDS(in, txtv)                                                           \
	.name = (in)->name, .type = (in)->type, .domain = (in)->domain,                  \
	.host = (in)->host, .port = (in)->port, .txt = (txtv), .ntxt = (in)->ntxt

/* calloc for n elements that also succeeds (with one) for n == 0. */
static void *array_new(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

int avhconv_service(const struct proxy_service *in, struct avhconv_service *out)
{
	memset(out, 0, sizeof(*out));
	out->txt = array_new(in->ntxt, sizeof(*out->txt));
	out->addrs = array_new(in->naddrs, sizeof(*out->addrs));
	if (!out->txt || !out->addrs) {
		avhconv_service_clear(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < in->ntxt; i++)
		out->txt[i] = (struct avh_txt){in->txt[i].data, in->txt[i].len};
	for (size_t i = 0; i < in->naddrs; i++) {
		out->addrs[i].af = in->addrs[i].af;
		memcpy(out->addrs[i].a, in->addrs[i].a, sizeof(out->addrs[i].a));
	}
	out->svc = (struct avh_service){
	    ALIKE_FIELDS(in, out->txt), .subtypes = in->subtypes,
	    .nsubtypes = in->nsubtypes, .addrs = out->addrs,
	    .naddrs = in->naddrs,
	};
	return 0;
}

void avhconv_service_clear(struct avhconv_service *c)
{
	free(c->txt);
	free(c->addrs);
	memset(c, 0, sizeof(*c));
}

int avhconv_found(const struct avh_found *in, struct avhconv_found *out)
{
	memset(out, 0, sizeof(*out));
	out->txt = array_new(in->ntxt, sizeof(*out->txt));
	if (!out->txt)
		return -ENOMEM;
	for (size_t i = 0; i < in->ntxt; i++)
		out->txt[i] = (struct proxy_txt){in->txt[i].data, in->txt[i].len};
	out->found = (struct proxy_found){ALIKE_FIELDS(in, out->txt)};
	out->found.addr.af = in->addr.af;
	memcpy(out->found.addr.a, in->addr.a, sizeof(out->found.addr.a));
	return 0;
}

void avhconv_found_clear(struct avhconv_found *c)
{
	free(c->txt);
	memset(c, 0, sizeof(*c));
}
