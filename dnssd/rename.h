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
 * names inside its rdata (PTR target instance, SRV target host, NSEC next
 * domain name: every name field of the rdata). Each name is renamed by its
 * kind (dnssd_name_kind()): instance names get the instance suffix, host
 * names (host.local) the host suffix, and everything else (service types,
 * subtypes, the enumeration name and its targets, unicast names) is left
 * alone. Reverse (in-addr.arpa / ip6.arpa) records are not renamed: callers
 * drop them.
 *
 * Cutting: when label + suffix exceed 63 bytes, the label is cut to the
 * longest prefix that ends on a UTF-8 character boundary and leaves room for
 * the suffix; bytes that are not valid UTF-8 count as one character each.
 *
 * Sites: site is the origin site's name, valid by dnssd_site_valid()
 * (dnssd/site.h, the rule the configuration uses); anything else is
 * -EINVAL. `{site}` is replaced wherever it appears in a template, as often
 * as it appears.
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

/*
 * Check a template: 0 or -EINVAL with *why (may be NULL) set to a static
 * message. NULL is the default and valid. Both kinds: a '{' must begin
 * {site}, and the suffix must stay under 63 bytes with a 32-character site
 * name. A host suffix may only hold letters, digits, '-' and {site}, and must
 * not end with '-'; an instance suffix must be valid UTF-8 without control
 * characters. The configuration checks names.host-suffix and
 * names.instance-suffix with this too, so that a file that loads never
 * holds a template dnssd_rename_new() refuses; the message follows
 * "invalid host-suffix '...': " there, so it names the problem alone.
 */
int dnssd_rename_check_template(const char *tmpl, int is_host, const char **why);

/*
 * Rename one record as coming from site. 0 (also when nothing needed
 * renaming), -EINVAL (reverse owner, bad site), -ENAMETOOLONG (a renamed name
 * would pass 255 bytes) or -ENOMEM; on error the record is unchanged.
 */
int dnssd_rename_rr(const struct dnssd_rename *r, const char *site, ldns_rr *rr);

/*
 * Rename one name (instance or host name; others are returned copied). NULL
 * on error with errno EINVAL (not a dname, bad site), ENAMETOOLONG or ENOMEM.
 */
ldns_rdf *dnssd_rename_name(const struct dnssd_rename *r, const char *site,
                            const ldns_rdf *name);

/*
 * The inverse, for questions going back to the origin site: given a name as
 * seen here, return the name at site. Returns NULL with errno ENOENT when the
 * name does not carry site's suffix (then it is not that site's); the suffix
 * is compared ignoring ASCII case, as DNS names are, and something must be
 * left of the label once it is taken off. Names of other kinds, and names
 * whose suffix template is empty, are returned copied. Names whose label was
 * cut to fit 63 bytes cannot be inverted here (for a 63-byte label the result
 * is the cut label): the proxy remembers those. NULL with errno EINVAL for
 * bad arguments, ENOMEM.
 */
ldns_rdf *dnssd_unrename_name(const struct dnssd_rename *r, const char *site,
                              const ldns_rdf *name);

#endif
