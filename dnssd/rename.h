/*
 * rename.h: renaming hosts and instances between sites.
 *
 * Templates come from the `names` section of the configuration: `{site}` is
 * replaced by the origin site's name. With host-suffix "-{site}" the host
 * printer.local. becomes printer-manhattan.local.; with instance-suffix
 * " ({site})" the instance "Printer A" becomes "Printer A (manhattan)".
 * The result label stays within 63 bytes: the original is cut on a UTF-8
 * character boundary before the suffix is added.
 *
 * A record is renamed consistently: its owner (instance or host names) and the
 * names inside its rdata (PTR target instance, SRV target host). Service type
 * names, subtype names and the enumeration name are left alone. Reverse
 * (in-addr.arpa / ip6.arpa) records are not renamed: callers drop them.
 *
 * Ownership: dnssd_rename_new() allocates (dnssd_rename_free()). rename_rr
 * modifies the record in place (the replaced rdfs are freed). unrename_name
 * allocates the returned name (caller frees with ldns_rdf_deep_free()).
 */
#ifndef SITECAST_DNSSD_RENAME_H
#define SITECAST_DNSSD_RENAME_H

#include <ldns/ldns.h>

struct dnssd_rename;

/*
 * host_tmpl and inst_tmpl may be NULL for the defaults ("-{site}", " ({site})").
 * An empty template keeps names unchanged. Returns NULL on ENOMEM or when a
 * template is invalid (a host suffix must give a valid hostname label).
 */
struct dnssd_rename *dnssd_rename_new(const char *host_tmpl, const char *inst_tmpl);
void dnssd_rename_free(struct dnssd_rename *r);

/* Check a template: 0 or -EINVAL with *why set to a static message. */
int dnssd_rename_check_template(const char *tmpl, int is_host, const char **why);

/* Rename one record as coming from site. 0, -EINVAL (not a name to rename) or -ENOMEM. */
int dnssd_rename_rr(const struct dnssd_rename *r, const char *site, ldns_rr *rr);

/* Rename one name (instance or host name; others are returned copied). NULL on error. */
ldns_rdf *dnssd_rename_name(const struct dnssd_rename *r, const char *site, const ldns_rdf *name);

/*
 * The inverse, for questions going back to the origin site: given a name as
 * seen here, return the name at site. Returns NULL with errno ENOENT when the
 * name does not carry site's suffix (then it is not that site's). Names whose
 * instance label was cut to fit 63 bytes cannot be inverted here: the proxy
 * remembers those.
 */
ldns_rdf *dnssd_unrename_name(const struct dnssd_rename *r, const char *site, const ldns_rdf *name);

#endif
