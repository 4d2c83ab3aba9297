/*
 * remote.h: remotes, the far ends the engine exports to and imports from.
 *
 * A remote speaks for one other site (its name) and has one identity, the id the
 * engine gives it. The engine holds, per remote, what it exported there (dedup,
 * address map, hosts following services) and what it imported from there (the
 * remote cache, renames, grace period); the remote itself only carries bytes.
 * Two kinds share this one export and import path:
 *
 *   peer link   (reflector/, over peer.c): every configured peer, in the order of
 *               policy_config_peer(); its id is that index, and proxy_new() and
 *               proxy_reconfigure() add, keep (matched by name) and remove them,
 *               sending through proxy_io.peer_send_records / peer_send_questions.
 *   added remote (proxy_add_remote): anything else, such as a wide-area DNS
 *               domain. The caller passes the settings (struct proxy_remote_cfg)
 *               and the operations (struct proxy_remote_ops); the engine reads no
 *               configuration for it. Its id is PROXY_REMOTE_ID_BASE or above and
 *               never reused while the engine lives. proxy_reconfigure() leaves it
 *               as it is; the caller calls proxy_update_remote() with settings
 *               from the new configuration before the old one is freed.
 *
 * For either kind, with its id:
 *   proxy_peer_up / proxy_peer_down     link state (down: records kept for grace
 *                                       seconds, then withdrawn from the LAN)
 *   proxy_peer_records                  records from it, with their origin site
 *   proxy_peer_questions                questions from it about this LAN
 *   proxy_get_peer_stats                its counters
 *
 * A DNS export remote (this site's services published into a zone) passes
 * export_rules and addrmap, no import_rules, and no send_questions: it gets the
 * full allowed set when it comes up (resync) and every change after it (new or
 * changed records, goodbyes with TTL 0), never a question. A DNS import remote
 * (another site's domain read by zone transfer) passes import_rules and no
 * export_rules, feeds what the zone holds through proxy_peer_records(origin =
 * its site, hops 0), and goes down (proxy_peer_down) while the server cannot be
 * reached, so that its records survive grace seconds as a peer's do.
 *
 * Ownership: the strings of proxy_remote_cfg are copied; the rule sets and the
 * address map are the caller's and must stay valid until proxy_update_remote()
 * replaces them, proxy_remove_remote() or proxy_free(). ops is copied; arg is
 * the caller's. Records passed to send_records / send_questions belong to the
 * engine and are valid during the call only; like every callback these must not
 * call back into the engine.
 */
#ifndef SITECAST_ENGINE_REMOTE_H
#define SITECAST_ENGINE_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

struct proxy;
struct policy_ruleset;
struct dnssd_addrmap;

/* Ids of added remotes start here; peer links use 0 .. npeers-1 below it. */
#define PROXY_REMOTE_ID_BASE 0x10000u

/* Longest remote name (a site name is at most 32 bytes). */
#define PROXY_REMOTE_NAME_MAX 39

struct proxy_remote_cfg {
	const char *name;                           /* the site it speaks for */
	const struct policy_ruleset *export_rules;  /* NULL: nothing is exported */
	const struct dnssd_addrmap *addrmap;        /* NULL: addresses unchanged */
	bool keep_linklocal;                        /* false: link-local dropped */
	const struct policy_ruleset *import_rules;  /* NULL: nothing is accepted */
	uint32_t grace_s;                           /* 0: limits.peer-grace */
};

struct proxy_remote_ops {
	/* Records from site origin (hops: links crossed before this one); TTL 0 =
	 * goodbye. 0 or a negative errno (counted in peer_send_errors). */
	int (*send_records)(void *arg, unsigned id, const char *origin, unsigned hops,
	                    const ldns_rr *const *rrs, size_t n);
	/* Questions (names as at the remote's site). NULL: questions are never
	 * forwarded to this remote (its cache is answered from as it is). */
	int (*send_questions)(void *arg, unsigned id, const ldns_rr *const *qs, size_t n);
};

/*
 * Add a remote; it starts down. Returns its id (>= PROXY_REMOTE_ID_BASE), or
 * -EINVAL (no name, a name over PROXY_REMOTE_NAME_MAX, no send_records while
 * export_rules is set), -EEXIST (a remote of that name) or -ENOMEM.
 */
long proxy_add_remote(struct proxy *p, const struct proxy_remote_cfg *rc,
                      const struct proxy_remote_ops *ops, void *arg, uint64_t now_ms);

/*
 * New settings for an added remote (the name stays): policy is evaluated again
 * as proxy_reconfigure() does for a peer. 0, -ENOENT or -ENOMEM.
 */
int proxy_update_remote(struct proxy *p, unsigned id, const struct proxy_remote_cfg *rc,
                        uint64_t now_ms);

/* Remove an added remote: what was learned from it leaves the LAN now. 0 or -ENOENT. */
int proxy_remove_remote(struct proxy *p, unsigned id, uint64_t now_ms);

#endif
