/*
 * config.h: the sitecast configuration (sitecast.yaml, see sitecast.yaml(5)).
 *
 * policy_config_load_buffer() reads the whole file's bytes with libyaml through one
 * schema table and builds an immutable configuration object (the daemon reads the
 * file: policy/ does no I/O). Every problem it can
 * find is reported as one line "FILE:LINE:COLUMN: message" (line and column
 * 1-based); a configuration with any error is not returned. The daemon loads
 * a new configuration on SIGHUP and swaps it in only when it loaded cleanly.
 *
 * Ownership: policy_config_load_buffer*() allocate the configuration and the error
 * list (free with policy_config_free() / policy_errors_free()). Everything the
 * accessors return belongs to the configuration and lives as long as it does.
 */
#ifndef SITECAST_POLICY_CONFIG_H
#define SITECAST_POLICY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnssd/addrmap.h"
#include "policy/errors.h"
#include "policy/rules.h"

#define POLICY_DEFAULT_PORT 5358
#define POLICY_DEFAULT_CONTROL "/run/sitecast/control.sock"

struct policy_config;
struct policy_peer;
struct policy_dns;
struct policy_dns_import;

/*
 * Load a configuration from memory, the bytes of a file that the caller read
 * (the daemon's reflector/cfgfile.c: cfgfile_load); name is used as FILE in
 * messages. Returns 0 with *out set, or a negative errno (-EINVAL for
 * configuration errors) with *errs listing every error; errs is always set
 * (possibly empty) and must be freed. Touches no file: the key and the TSIG
 * secret are only checked, by the caller's check, in the _checked variant.
 */
int policy_config_load_buffer(const char *name, const char *buf, size_t len,
			      struct policy_config **out, struct policy_errors **errs);
void policy_config_free(struct policy_config *c);

/* Files a configuration names; policy/ never opens them. */
enum policy_file {
	POLICY_FILE_KEY,         /* `key`: the node's key and certificate (PEM) */
	POLICY_FILE_TSIG_SECRET, /* `dns.tsig.secret-file`: a base64 secret */
};

/*
 * The caller's check of such a file (the daemon's is cfgfile_check, in
 * reflector/cfgfile.h): 0 when the file can be used, else a negative errno,
 * with the reason in why (size bytes, NUL-terminated; empty means
 * strerror). -ENOMEM makes the load fail with -ENOMEM. The loader turns a
 * failure into "FILE:LINE:COLUMN: cannot read key file PATH: why" (or "TSIG
 * secret file") at the position of the value, among the other errors in file
 * order, and the load fails; it checks each file once, also when other
 * errors were found.
 */
struct policy_file_check {
	int (*check)(void *arg, enum policy_file kind, const char *path, char *why,
		     size_t size);
	void *arg;
};

/* policy_config_load_buffer() with fc checking the files named. */
int policy_config_load_buffer_checked(const char *name, const char *buf, size_t len,
				      const struct policy_file_check *fc,
				      struct policy_config **out,
				      struct policy_errors **errs);

/* Largest configuration accepted (bytes); larger ones are refused before parsing. */
#define POLICY_CONFIG_MAX_SIZE (1024 * 1024)

/*
 * A file that could not be read, as a load's errors: *errs gets the one line
 * "PATH:1:1: cannot read the file: why" (caller frees). 0 or -ENOMEM.
 */
int policy_config_file_error(const char *path, const char *why,
                             struct policy_errors **errs);

const char *policy_config_path(const struct policy_config *c);
const char *policy_config_site(const struct policy_config *c);
size_t policy_config_ninterfaces(const struct policy_config *c);
const char *policy_config_interface(const struct policy_config *c, size_t i);
/* listen address, or NULL when only dialing out. host is a literal IPv4/IPv6 address. */
const char *policy_config_listen_host(const struct policy_config *c);
uint16_t policy_config_listen_port(const struct policy_config *c);
const char *policy_config_key(const struct policy_config *c);
const char *policy_config_control(const struct policy_config *c);
const char *policy_config_user(const struct policy_config *c); /* NULL if not set */
const char *policy_config_host_suffix(const struct policy_config *c);
const char *policy_config_instance_suffix(const struct policy_config *c);
uint32_t policy_config_max_records_per_peer(const struct policy_config *c);
uint32_t policy_config_queries_per_second(const struct policy_config *c);
uint32_t policy_config_peer_grace(const struct policy_config *c);
/* limits.peer-timeout: seconds without traffic before a link is dead (3 to 3600). */
uint32_t policy_config_peer_timeout(const struct policy_config *c);
/* limits.lan-records-per-source / -total: records and questions a second from one
 * LAN host / from all of them before the excess is shed. */
uint32_t policy_config_lan_records_per_source(const struct policy_config *c);
uint32_t policy_config_lan_records_total(const struct policy_config *c);
bool policy_config_avahi_publish(const struct policy_config *c);
bool policy_config_avahi_browse(const struct policy_config *c);

size_t policy_config_npeers(const struct policy_config *c);
const struct policy_peer *policy_config_peer(const struct policy_config *c, size_t i);
const struct policy_peer *policy_config_peer_by_name(const struct policy_config *c,
						     const char *name);
/* A named rule set from `policy`, or NULL. */
const struct policy_ruleset *policy_config_ruleset(const struct policy_config *c,
						   const char *name);

const char *policy_peer_name(const struct policy_peer *p);
/* connect host (literal address or DNS name) and port, or NULL / 0 to wait for the peer. */
const char *policy_peer_connect_host(const struct policy_peer *p);
uint16_t policy_peer_connect_port(const struct policy_peer *p);
/*
 * The peer's accepted fingerprints ("sha256:" and 44 base64 characters), in
 * the order of the file: one for a string, one or more for a list, never 0;
 * no two are equal. policy_peer_fingerprint() is the first of them.
 */
size_t policy_peer_nfingerprints(const struct policy_peer *p);
const char *policy_peer_fingerprint_at(const struct policy_peer *p, size_t i); /* NULL past */
const char *policy_peer_fingerprint(const struct policy_peer *p);
/* Whether fp (exact string) is one of the peer's fingerprints; false for NULL. */
bool policy_peer_fingerprint_accepted(const struct policy_peer *p, const char *fp);
/* Rule sets; never NULL (an absent key is an empty set, which denies everything). */
const struct policy_ruleset *policy_peer_export(const struct policy_peer *p);
const struct policy_ruleset *policy_peer_import(const struct policy_peer *p);
const struct dnssd_addrmap *policy_peer_addrmap(const struct policy_peer *p);
bool policy_peer_keep_linklocal(const struct policy_peer *p);
/*
 * Whether the link settings (name, connect, the set of fingerprints in any
 * order) are the same: the link may stay up.
 */
bool policy_peer_link_equal(const struct policy_peer *a, const struct policy_peer *b);

/*
 * Wide-area DNS-SD (the `dns` section): NULL when the file has none. With
 * dns, `peers` may be absent. Names (zone, domain, TSIG key, imported
 * domains) come in lower case without the final dot; domain is never empty
 * (its default {site}.{zone} is filled in) and is the zone or inside it.
 */
const struct policy_dns *policy_config_dns(const struct policy_config *c);
/* dns.server: a literal IPv4 or IPv6 address (no brackets) and a port (default 53). */
const char *policy_dns_server_host(const struct policy_dns *d);
uint16_t policy_dns_server_port(const struct policy_dns *d);
const char *policy_dns_zone(const struct policy_dns *d);
const char *policy_dns_domain(const struct policy_dns *d);
const char *policy_dns_tsig_name(const struct policy_dns *d);

enum policy_tsig_algorithm {
	POLICY_TSIG_HMAC_SHA256, /* the default */
	POLICY_TSIG_HMAC_SHA384,
	POLICY_TSIG_HMAC_SHA512,
};
enum policy_tsig_algorithm policy_dns_tsig_algorithm(const struct policy_dns *d);
/* "hmac-sha256", "hmac-sha384" or "hmac-sha512", as written. */
const char *policy_dns_tsig_algorithm_name(const struct policy_dns *d);
/*
 * The path of the secret file as written. policy/ never opens it: read it with
 * cfgfile_read_tsig_secret() (reflector/cfgfile.h); the daemon's load checks it.
 */
const char *policy_dns_tsig_secret_file(const struct policy_dns *d);
/* What is published into domain: never NULL (absent: an empty set, nothing). */
const struct policy_ruleset *policy_dns_export(const struct policy_dns *d);
/* dns.addresses, as for a peer. */
const struct dnssd_addrmap *policy_dns_addrmap(const struct policy_dns *d);
bool policy_dns_keep_linklocal(const struct policy_dns *d);
uint32_t policy_dns_ttl(const struct policy_dns *d);  /* 1 to 86400, default 120 */
uint32_t policy_dns_poll(const struct policy_dns *d); /* 1 to 3600 s, default 10 */

/* dns.import, in file order. Sites are unique, never this site nor a peer. */
size_t policy_dns_nimports(const struct policy_dns *d);
const struct policy_dns_import *policy_dns_import(const struct policy_dns *d, size_t i);
const struct policy_dns_import *policy_dns_import_by_site(const struct policy_dns *d,
							  const char *site);
const char *policy_dns_import_site(const struct policy_dns_import *im);
const char *policy_dns_import_domain(const struct policy_dns_import *im);
/* Never NULL (absent: an empty set, which imports nothing). */
const struct policy_ruleset *policy_dns_import_rules(const struct policy_dns_import *im);
/*
 * Whether server, zone, domain and the TSIG key (name, algorithm, secret file
 * path) are the same: what was published may be kept on reload. NULLs are
 * equal to each other only.
 */
bool policy_dns_server_equal(const struct policy_dns *a, const struct policy_dns *b);

#endif
