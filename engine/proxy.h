/*
 * proxy.h: the proxy engine, the part of sitecastd that speaks mDNS on the LAN
 * and DNS-SD semantics across the peer links (../shared/DESIGN.md, data path).
 *
 * The engine does no I/O and never reads the clock. The daemon feeds it LAN
 * datagrams, records and questions from peers, peer link state and the time;
 * the engine sends through the callbacks of struct proxy_io and says, from
 * proxy_run(), when it wants to be called again.
 *
 *   LAN response  -> local cache -> per up peer: export policy, link-local drop,
 *                    address map, services held until their host has an address,
 *                    dedup (dnssd_sent) -> peer_send_records(origin = own site, hops 0)
 *   peer records  -> loop guard, import policy, rename -> that peer's remote cache
 *                    -> announced on every LAN interface (twice, 1 s apart), goodbyes
 *                    at once
 *   LAN query     -> answered from the remote caches (multicast after 20-120 ms,
 *                    unicast for QU questions and legacy unicast queries); when the
 *                    cache cannot answer or the records near expiry, the question is
 *                    un-renamed and forwarded to the owning peer (rate-limited)
 *   peer question -> asked on the LAN; what is cached goes back to that peer at once
 *
 * Records never go back where they came from: remote records are announced on the
 * LAN only, local records are exported to peers only, a local record is never
 * repeated on another LAN interface, and nothing learned from a peer (or named
 * like something learned from a peer) is exported.
 *
 * Callbacks must not call back into the engine (queue peer traffic and deliver it
 * from the event loop, as the network does). All calls from one thread.
 *
 * Ownership: proxy_new() allocates (proxy_free()). The configuration is the
 * caller's and must outlive the engine or be replaced with proxy_reconfigure()
 * before it is freed. Records and buffers passed in are only read during the call;
 * records and buffers passed to the callbacks belong to the engine and are valid
 * only during the callback. Strings in struct proxy_peer_stats belong to the
 * engine and stay valid until the next proxy_reconfigure() or proxy_remove_remote().
 */
#ifndef SITECAST_ENGINE_PROXY_H
#define SITECAST_ENGINE_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "dnssd/msg.h"
#include "dnssd/service.h"
#include "policy/rules.h"

struct policy_config;
struct proxy;

/* LAN interfaces served at once. */
#define PROXY_MAX_INTERFACES 32

/* What proxy_io.service_event reports. */
enum proxy_service_event {
	PROXY_SVC_EXPORTED,   /* first sent to the peer since the link came up */
	PROXY_SVC_UNEXPORTED, /* its goodbye sent to the peer */
	PROXY_SVC_IMPORTED,   /* new in the cache of what the peer sent (renamed) */
	PROXY_SVC_UNIMPORTED, /* its goodbye received from the peer */
};

struct proxy_io {
	void *arg;
	/*
	 * Send one datagram on LAN interface ifindex: dst NULL = the mDNS group of af
	 * (224.0.0.251 or ff02::fb), else unicast to dst (which has family af).
	 * 0 or a negative errno (counted in lan_send_errors).
	 */
	int (*lan_send)(void *arg, unsigned ifindex, int af, const struct sockaddr *dst,
	                const uint8_t *buf, size_t len);
	/*
	 * DNS payload bytes that fit one datagram of af on ifindex (MTU minus IP and
	 * UDP headers); 0 when af cannot be used there (nothing is multicast on it).
	 * NULL: Ethernet sizes.
	 */
	size_t (*lan_mtu)(void *arg, unsigned ifindex, int af);
	/* Records for peer_id from site origin; hops: links crossed before this one
	 * (0: the origin is the sender). TTL 0 = goodbye. */
	int (*peer_send_records)(void *arg, unsigned peer_id, const char *origin,
	                         unsigned hops, const ldns_rr *const *rrs, size_t n);
	/* Questions (names as they are at the peer's site) for peer_id to ask its LAN. */
	int (*peer_send_questions)(void *arg, unsigned peer_id, const ldns_rr *const *qs,
	                           size_t n);
	/*
	 * Optional, for the log: a service instance (the owner of an SRV record, as
	 * this site names it) crossed the link with peer_id, or its goodbye did.
	 * Exports are followed for up to 10,000 services per peer; leave it NULL
	 * when nothing is logged, so that the engine keeps no such state.
	 */
	void (*service_event)(void *arg, unsigned peer_id, enum proxy_service_event ev,
	                      const ldns_rdf *instance);
	/*
	 * Optional, an external publisher (both or neither): imported services as they
	 * become complete in the remote caches (PTR, SRV, TXT and at least one address
	 * of the SRV target) and whenever what they hold changes, then removed on their
	 * goodbye, withdrawal, expiry, the end of a peer's grace period and at
	 * proxy_shutdown. svc names the service as this site shows it ("Printer A
	 * (manhattan)", host "printer-manhattan.local", domain "local"), with every
	 * TXT string, subtype and address of its host held. key is the renamed
	 * instance's full name in lower case ("printer a (manhattan)._ipp._tcp.local.").
	 * Called from proxy_run.
	 */
	int (*service_set)(void *arg, const char *key, const struct dnssd_service *svc);
	int (*service_remove)(void *arg, const char *key);
};

/* Why the engine dropped something, next to the decode reasons of dnssd_reason. */
enum proxy_drop {
	PROXY_DROP_NOT_MDNS_PORT, /* "not-mdns-port": a response not from port 5353 */
	PROXY_DROP_LOOP,   /* "loop": own origin, hops > 0, or a name we announce */
	PROXY_DROP_ORIGIN, /* "origin": a peer speaking for another site */
	PROXY_DROP_POLICY, /* "policy": a record denied by import or export policy */
	PROXY_DROP_LIMIT,  /* "limit": a cache full (max-records-per-peer) */
	PROXY_DROP_RATE,   /* "rate": a question over queries-per-second */
	PROXY_DROP_RENAME, /* "rename": a record that could not be renamed */
	PROXY_DROP_PEER,   /* "peer": input for a peer id that is not configured */
	PROXY_DROP_SOURCE, /* "source-rate": a LAN datagram over its source's budget */
	PROXY_DROP_MAX
};

/* Short stable name of a drop reason, as above. */
const char *proxy_drop_str(enum proxy_drop d);

struct proxy_stats {
	uint64_t lan_packets_in, lan_bytes_in;
	uint64_t lan_packets_out, lan_bytes_out;
	uint64_t lan_send_errors, peer_send_errors;
	uint64_t decode_drops[DNSSD_R_MAX]; /* by enum dnssd_reason (0 unused) */
	uint64_t drops[PROXY_DROP_MAX];     /* by enum proxy_drop */
	uint64_t answers_multicast;   /* records answered from the caches, multicast */
	uint64_t answers_unicast;     /* and unicast */
	uint64_t questions_forwarded; /* questions sent to peers */
	/* LAN responses shed over a budget are asked for again (shed recovery): */
	uint64_t shed_questions; /* questions asked for that */
	uint64_t shed_recovered; /* records new in the cache after such a question */
	size_t local_records;         /* records cached from the LAN */
	size_t remote_records;        /* records cached from peers, all peers */
	size_t interfaces;
};

struct proxy_peer_stats {
	const char *name;
	bool up;
	uint64_t since_ms; /* last change of up (0: never) */
	uint64_t records_in, records_out;
	uint64_t questions_in, questions_out;
	size_t cached;      /* records held from this peer */
	bool grace_running; /* down, records kept until grace_ends_ms */
	uint64_t grace_ends_ms;
};

/* NULL on ENOMEM or when the names templates of cfg are unusable. */
struct proxy *proxy_new(const struct policy_config *cfg, const struct proxy_io *io);
void proxy_free(struct proxy *p);

/*
 * Serve a LAN interface (again): what the peers gave us is announced on it and its
 * responders are asked what services they have. 0, -EEXIST, -ENOSPC (over
 * PROXY_MAX_INTERFACES), -EINVAL or -ENOMEM.
 */
int proxy_add_interface(struct proxy *p, unsigned ifindex, const char *name,
                        uint64_t now_ms);
/* Stop serving it (down or gone): nothing more is sent there. */
void proxy_remove_interface(struct proxy *p, unsigned ifindex);

/*
 * A datagram from the LAN on ifindex. src holds the source address and port;
 * dst_multicast tells whether it was sent to the mDNS group. Each source address
 * has a budget of records and questions a second (and the whole LAN another, for
 * spoofed sources), limits.lan-records-per-source and limits.lan-records-total; what
 * is over it is dropped undecoded ("source-rate"), so that a flooding host costs
 * little and the others keep getting through. A source whose responses were shed
 * is asked again for the LAN's service types once it is back within its budget,
 * with what is cached as known answers, until nothing of it is shed.
 */
void proxy_lan_input(struct proxy *p, unsigned ifindex, const struct sockaddr *src,
                     bool dst_multicast, const uint8_t *buf, size_t len, uint64_t now_ms);

/*
 * Peer link events. peer_id is the index of the peer in the configuration
 * (policy_config_peer(cfg, peer_id)). Up: the peer's sent state is cleared and
 * everything exportable sent again (resync), the LAN is browsed again, and the
 * peer is asked again for the service types we hold from it; what we hold from
 * it and it does not send again within 30 s was withdrawn there while the link
 * was down, and is withdrawn here too. Down: its records stay for
 * limits.peer-grace seconds, then are withdrawn from the LAN with goodbyes.
 */
void proxy_peer_up(struct proxy *p, unsigned peer_id, uint64_t now_ms);
void proxy_peer_down(struct proxy *p, unsigned peer_id, uint64_t now_ms);

/* Records received from a peer (origin and hops as the frame said). Only read. */
void proxy_peer_records(struct proxy *p, unsigned peer_id, const char *origin,
                        unsigned hops, ldns_rr *const *rrs, size_t n, uint64_t now_ms);
/* Questions received from a peer, names as they are here. Only read. */
void proxy_peer_questions(struct proxy *p, unsigned peer_id, ldns_rr *const *qs, size_t n,
                          uint64_t now_ms);

/*
 * Do the work that is due (delayed answers, second announcements, expiries, grace
 * periods) and return the time (ms, same clock) at which to call again. Cheap when
 * nothing is due: call it after every other proxy_* call too, since input can
 * bring the next deadline closer.
 */
uint64_t proxy_run(struct proxy *p, uint64_t now_ms);

/* Goodbyes on every LAN interface for every record announced; the remote caches
 * are emptied. For a clean exit. */
void proxy_shutdown(struct proxy *p, uint64_t now_ms);

/*
 * Switch to newcfg (already validated). Peers are matched by name: a kept peer
 * keeps its state and link, a removed peer's records are withdrawn from the LAN,
 * a new peer starts down. Then policy is evaluated again: records no longer
 * allowed are withdrawn (goodbyes to the peer, or on the LAN), records now allowed
 * are sent, and remote records are renamed again if the names templates changed.
 * peer_ids are those of newcfg from now on. 0 or -ENOMEM (then the old
 * configuration stays in use).
 */
int proxy_reconfigure(struct proxy *p, const struct policy_config *newcfg,
                      uint64_t now_ms);

/*
 * Whether the external publisher of proxy_io.service_set is live (say avahi-daemon
 * runs): then it announces and answers for the imported services, and the engine
 * neither announces nor answers remote records on the LAN (it still forwards
 * questions, so that what is in use stays fresh). Not live (the start): the engine
 * does both itself; turning it off again announces everything held at once.
 */
void proxy_set_external(struct proxy *p, bool live, uint64_t now_ms);

/*
 * The external publisher published the service it was given under key
 * (proxy_io.service_set) as name, an instance label (UTF-8, unescaped), after a
 * collision with a service of the LAN. From then on that is the service's name
 * on the LAN: when the engine announces and answers itself (publisher not live)
 * and for its goodbyes, questions for it are answered and forwarded to the
 * owning site as for the name it replaces, and proxy_service_lan_name reports it.
 * The engine's name stays the key; name equal to it ends the rename, and so does
 * the service's removal. It may be called from within service_set: it sends
 * nothing. 0, -ENOENT (no service set under key), -EINVAL (name) or -ENOMEM.
 */
int proxy_service_renamed(struct proxy *p, const char *key, const char *name,
                          uint64_t now_ms);

/*
 * The same for the address records of an imported host: the publisher published
 * host ("printer-manhattan.local", as dnssd_service.host gave it) as name
 * ("printer-manhattan-2.local"). Used for the host's records and the SRV targets
 * from then on, as proxy_service_renamed; name equal to host ends it. 0, -EINVAL
 * (not host names) or -ENOMEM.
 */
int proxy_host_renamed(struct proxy *p, const char *host, const char *name,
                       uint64_t now_ms);

/*
 * The instance label an imported service has on the LAN when the publisher
 * renamed it (instance: its name as the engine keeps it), written to buf (len
 * bytes, NUL-terminated, cut to fit); buf, or NULL when it was not renamed.
 */
const char *proxy_service_lan_name(const struct proxy *p, const ldns_rdf *instance,
                                   char *buf, size_t len);

/*
 * A service of the LAN on ifindex that another browser found (removed: it went).
 * Taken as the records its responder sends, with Avahi's TTLs (PTR of the type and
 * of the enumeration, TXT: 4500 s; SRV, A/AAAA: 120 s; cache-flush on the unique
 * ones), so that a record also heard on the LAN is the same cache entry and is
 * exported once. Removed: goodbyes for PTR, SRV and TXT (the host's addresses may
 * serve other services). Every address of f becomes an address record of its host;
 * the first is the sender policy's address rules see. Subtypes are not taken (a
 * browser reports the service under its parent type). 0, -ENOENT (ifindex not
 * served), -EINVAL (names, a TXT string over 255 bytes) or -ENOMEM. Only read.
 */
int proxy_local_service(struct proxy *p, unsigned ifindex, const struct dnssd_service *f,
                        bool removed, uint64_t now_ms);

void proxy_get_stats(const struct proxy *p, struct proxy_stats *out);
/* 0, or -ENOENT when peer_id is not configured. */
int proxy_get_peer_stats(const struct proxy *p, unsigned peer_id,
                         struct proxy_peer_stats *out);

/* ---- what the engine knows, for `sitecastctl services` and `explain` ----
 *
 * Read-only: these walk the caches and evaluate the rule sets again, change
 * nothing the engine does, and send nothing. They cost a pass over the caches:
 * for an administrator's request, not for every packet.
 */

/* One rule set's decision on one service: a remote's export or import rules. */
struct proxy_decision {
	unsigned remote_id; /* the engine's id of the remote (remote.h) */
	const char *remote; /* its name: the peer's site, or the added remote's */
	bool peer;          /* a configured peer link; false: an added remote (DNS) */
	bool up;            /* its link is up (for DNS: the server answers) */
	bool import;        /* its import rules decided (else its export rules) */
	const struct policy_ruleset *rules; /* NULL: none configured, so denied */
	struct policy_explain ex; /* ex.action is the decision, ex.rule/line the rule */
};

/*
 * A service instance as this gateway holds it. Local: heard on (or found on)
 * this site's LAN, with one export decision per remote that has an export
 * side. Remote: in the cache of what remote_id sent (renamed), with the
 * import decision of that remote. Strings are UTF-8 as announced (the instance
 * label unescaped: "Printer A (manhattan)"); host is the SRV target without
 * its final dot ("printer-manhattan.local").
 */
struct proxy_view_service {
	bool local;
	bool known;   /* in a cache; false: what the rules would decide */
	char *name;   /* instance label as named here */
	char *type;   /* "_ipp._tcp" */
	char *domain; /* "local" */
	char *host;   /* NULL when no SRV is held */
	uint16_t port;
	struct dnssd_addr *addrs; /* the host's addresses, as held here */
	size_t naddrs;
	uint64_t seen_ms;  /* the SRV last put (0: unknown) */
	uint32_t ttl_left; /* seconds left of the SRV's TTL */
	/* remote services: where they come from */
	unsigned remote_id;
	const char *origin;         /* the origin site (the remote's name) */
	char *origin_name;          /* the instance label at the origin ("Printer A") */
	char *origin_host;          /* the SRV target at the origin, or NULL */
	char *lan_name; /* the instance label Avahi gave it on this LAN after a name
	                 * collision (names.publish), or NULL: not renamed */
	struct proxy_decision *dec; /* local: export per remote; remote: its import */
	size_t ndec;
};

struct proxy_view {
	struct proxy_view_service *v;
	size_t n;
};

/*
 * Every service held at now_ms: local ones first (sorted by type, then name),
 * then remote ones (by remote, type, name). 0 and *out set, or -ENOMEM.
 */
int proxy_view_services(struct proxy *p, uint64_t now_ms, struct proxy_view **out);

/*
 * The services named name (an instance name, in the local form
 * "Printer A._ipp._tcp.local." or the renamed form of a remote's): the local
 * one if held, and each remote's that holds it (a renamed name is resolved back
 * through the rename to its origin). When no cache holds it, what the rules
 * would decide (known false, host and sender unknown): as a local service with
 * every remote's export decision unless the name carries a remote's suffix, and
 * as the service of each remote whose suffix it carries (all of them when the
 * instance suffix is empty) with that remote's import decision. 0 and *out set,
 * -EINVAL (not an instance name) or -ENOMEM.
 */
int proxy_view_explain(struct proxy *p, const ldns_rdf *name, uint64_t now_ms,
                       struct proxy_view **out);

/*
 * An instance name typed by a person: "Printer A._ipp._tcp.local" (the final
 * dot and the domain optional, "local" by default), the instance label taken
 * as it is up to the service type, dots and spaces included, no escapes.
 * 0 and *out (caller frees with ldns_rdf_deep_free()), or -EINVAL.
 */
int proxy_view_parse_name(const char *text, ldns_rdf **out);

/*
 * Ownership: proxy_view_services() and proxy_view_explain() allocate the view
 * and every string and array in it (proxy_view_free(), NULL safe); the remote
 * and origin names, the rule sets and ex.file are the engine's and the
 * configuration's: valid until the next proxy_reconfigure(),
 * proxy_update_remote() or proxy_remove_remote().
 */
void proxy_view_free(struct proxy_view *v);

#endif
