/*
 * avhconv.h: services between the engine (engine/proxy.h) and the Avahi module
 * (reflector/avahi.h), which describe them alike but in their own types so that
 * neither depends on the other.
 *
 * The conversions carry everything: the TXT string and address arrays are
 * sized to what they convert (no cap), and the strings are not copied (they
 * point into the input, which must outlive the result). Nothing is ever cut;
 * an input the other side cannot take is refused there, with its own error.
 *
 * Ownership: each conversion allocates the arrays its result points to, kept
 * in the struct it fills; the matching _clear() frees them (safe on a zeroed
 * struct and after a failed conversion).
 */
#ifndef SITECAST_REFLECTOR_AVHCONV_H
#define SITECAST_REFLECTOR_AVHCONV_H

#include "engine/proxy.h"
#include "reflector/avahi.h"

/* An engine service to publish, as avh_service_set() takes it (in .svc). */
struct avhconv_service {
	struct avh_service svc;
	struct avh_txt *txt;
	struct avh_addr *addrs;
};

/* 0, or -ENOMEM with *out cleared. */
int avhconv_service(const struct proxy_service *in, struct avhconv_service *out);
void avhconv_service_clear(struct avhconv_service *c);

/* A service Avahi's browser found, as proxy_local_service() takes it (in .found). */
struct avhconv_found {
	struct proxy_found found;
	struct proxy_txt *txt;
};

/* 0, or -ENOMEM with *out cleared. */
int avhconv_found(const struct avh_found *in, struct avhconv_found *out);
void avhconv_found_clear(struct avhconv_found *c);

#endif
