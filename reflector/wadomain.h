/*
 * wadomain.h: wide-area DNS-SD in the daemon (the `dns` key, RFC 6763 §11):
 * this site's domain kept on a DNS server with UPDATE, other sites' domains
 * read back from it, both as remotes of the proxy engine (engine/remote.h).
 *
 *   export: one added remote with dns.export, dns.addresses. What the engine
 *           sends it (this site's allowed records, goodbyes) is kept; within
 *           a second the domain's wanted content (dnssd_wa_export) is diffed
 *           against what the server holds (read by AXFR when the server comes
 *           up, then followed through each UPDATE that succeeded) and the
 *           changes go out in as few signed UPDATEs as fit. Only this
 *           gateway's records are ever deleted (dnssd_wa_owned). A batch
 *           failing with SERVFAIL is split until what cannot go in is found.
 *   import: one added remote per dns.import entry. The zone's SOA serial is
 *           polled every dns.poll seconds (one query for all imports of a
 *           zone); when it changes, the zone is transferred and each domain's
 *           records go to the engine as the entry's site's records, with
 *           goodbyes for what disappeared, and refreshed before their TTL runs
 *           out while nothing changes.
 * The remotes are up while the server answers, down while it cannot be
 * reached (imports then keep their records for limits.peer-grace).
 *
 * Ownership: wad_new() allocates (wad_free() removes its remotes from the
 * engine). The configuration and the engine are the caller's; the
 * configuration must stay valid until wad_reconfigure() is given the next one.
 * The secret is copied.
 */
#ifndef SITECAST_REFLECTOR_WADOMAIN_H
#define SITECAST_REFLECTOR_WADOMAIN_H

#include <stdio.h>

struct event_base;
struct proxy;
struct policy_config;
struct cfgfile_secret;
struct wad;

/*
 * For the dns section of cfg (which must have one). run(arg) is called after
 * anything was given to the engine, so that the caller runs it (proxy_run).
 * NULL with errno set (ENOMEM, EINVAL for a server address that is not one).
 */
struct wad *wad_new(struct event_base *base, struct proxy *p,
                    const struct policy_config *cfg, const struct cfgfile_secret *secret,
                    void (*run)(void *arg), void *arg);
void wad_free(struct wad *w);

/*
 * The new configuration, whose server, zone, domain and key are those of the
 * running one (policy_dns_server_equal; else free and make a new one): the
 * remotes get the new rules and maps, imports are added and removed. 0 or
 * -ENOMEM.
 */
int wad_reconfigure(struct wad *w, const struct policy_config *cfg);

/*
 * The dns part of sitecastctl status: text lines, or (json) the member
 * ',"dns":{...}' to go inside the status object.
 */
void wad_report(const struct wad *w, FILE *f, int json);

/* The dns counters for sitecastctl metrics (Prometheus text, sitecast_dns_*). */
void wad_metrics(const struct wad *w, FILE *f);

#endif
