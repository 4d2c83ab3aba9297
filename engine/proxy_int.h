/*
 * proxy_int.h: what the files of the proxy engine share (not for other
 * modules: their interface is proxy.h).
 *
 * The engine is one module in several files, each named for the part of the
 * data path it holds:
 *   proxy.c          state, lifecycle, the clock (proxy_run), statistics
 *   proxy_rr.c       record and name helpers, small vectors, name tables
 *   proxy_lanin.c    LAN in: responses, questions, answers from the caches,
 *                    services found by a browser (proxy_local_service)
 *   proxy_lanout.c   LAN output queues (announcements, answers, goodbyes) and
 *                    the questions the engine asks on the LAN
 *   proxy_export.c   export -> peer out: policy, address maps, dedup, sending
 *   proxy_forward.c  questions forwarded to the remotes that own the names
 *   proxy_import.c   peer in -> import: records and questions from remotes
 *   proxy_remote.c   remotes (remote.h): state, up (resync), down (grace)
 *   proxy_publish.c  the external publisher (Avahi) and the services it holds
 *   proxy_pubname.c  the names the publisher chose after collisions
 *   proxy_reconf.c   a new configuration taken over while running
 * Functions shared between them carry the module prefix like the public ones;
 * ownership is as in the comment of each.
 */
#ifndef SITECAST_ENGINE_PROXY_INT_H
#define SITECAST_ENGINE_PROXY_INT_H

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/addrmap.h"
#include "dnssd/cache.h"
#include "dnssd/encode.h"
#include "dnssd/name.h"
#include "dnssd/rename.h"
#include "dnssd/rrkey.h"
#include "dnssd/sent.h"
#include "dnssd/svcname.h"
#include "dnssd/vec.h"
#include "policy/config.h"
#include "policy/filter.h"
#include "policy/rules.h"
#include "engine/proxy.h"
#include "engine/remote.h"

/* Records learned from the LAN, and what a peer can be told it holds. */
#define LOCAL_MAX_RECORDS 65536
#define SENT_MAX_RECORDS 65536
/* Services per peer followed for service_event (a flood must not grow it unbounded). */
#define EXP_INST_MAX 10000
/* RFC 6762 §6: at most one multicast of a record per second per interface. */
#define MCAST_GAP_MS 1000
/* RFC 6762 §8.3: two announcements, one second apart. */
#define ANNOUNCE_GAP_MS 1000
/* RFC 6762 §6: shared answers wait 20-120 ms; §7.2: 400-500 ms after a TC query. */
#define DELAY_MIN_MS 20
#define TC_DELAY_MIN_MS 400
#define DELAY_SPAN_MS 101
/* RFC 6762 §6.7: legacy unicast answers carry TTLs of at most 10 s. */
#define LEGACY_TTL_MAX 10
/* RFC 6762 §5.2: records in use are asked for again at 80% of their TTL. */
#define NEAR_EXPIRY_PERMILLE 800
/* Known answers listed with a question we ask the LAN, per cache (RFC 6762 §7.1). */
#define KNOWN_MAX 2000
/* The same question is not forwarded to a peer, nor asked on the LAN, more often. */
#define FWD_GAP_MS 1000
#define ASK_GAP_MS 1000
/* A refresh arriving this soon after a forwarded question answers it on the LAN. */
#define FWD_PENDING_MS 5000
/* Renamed names are remembered this long after their records expired. */
#define ALIAS_KEEP_MS (10 * 60 * 1000)
/*
 * After a link comes up, a peer's records it does not send again within this
 * time were withdrawn there while the link was down (their goodbyes lost).
 * It covers a restarted peer learning its LAN again.
 */
#define RESYNC_WINDOW_MS 30000
/* Housekeeping of the tables. */
#define SWEEP_MS 10000
/*
 * Floods: the records and questions a second the engine works on from one LAN
 * source (limits.lan-records-per-source) and from all of them together
 * (limits.lan-records-total), a second's worth of either at once. Sources that
 * hash to one slot, or spoofed ones, share a bucket.
 */
#define SRC_SLOTS 256
/*
 * A source's share of the local cache (records it sent, by slot): a flooding host
 * fills its share, not the cache, so that the other hosts' services still get in.
 * A big responder (2,000 services, a Bonjour Sleep Proxy) holds a few thousand.
 */
#define SRC_CACHE_MAX (LOCAL_MAX_RECORDS / 4)
/*
 * Shed recovery: a source whose responses were shed is asked again, once it has
 * sent nothing over its budget for SHED_QUIET_MS, for the service types of the
 * LAN, listing what is cached as known answers (KNOWN_MAX) so that it sends
 * only what is missing. A round whose answers are
 * shed again is followed by another, up to SHED_ROUNDS_MAX in a row; rounds are
 * at least SHED_QUIET_MS apart on the whole LAN. Records new in the cache within
 * SHED_WINDOW_MS of a round count as recovered. The service types are those of
 * the LAN's PTRs, at most LAN_TYPES_MAX, forgotten LAN_TYPES_KEEP_MS after they
 * were last heard.
 */
#define SHED_QUIET_MS 1000
#define SHED_ROUNDS_MAX 8
#define SHED_WINDOW_MS 5000
#define LAN_TYPES_MAX 256
#define LAN_TYPES_KEEP_MS (4500 * 1000ULL)
/*
 * Entries of a peer's held table at once: instances waiting for their host's
 * address, and (key type HELD_HOST) the hosts they wait for, so that only an
 * address of one of those makes the engine look through the table again.
 */
#define HELD_MAX 1024
#define HELD_HOST LDNS_RR_TYPE_A
/* The local cache is exported in slices this big on resync (policy_filter is
 * quadratic in the records of one call). */
#define EXPORT_SLICE 256
#define NFAM 2

/* What a queued LAN record is (struct oitem). */
enum { OI_ANNOUNCE, OI_ANSWER, OI_GOODBYE };

struct rrvec {
	const ldns_rr **v;
	ldns_rr **own; /* clones to free with the vector */
	size_t n, cap, nown, owncap;
};

/*
 * An entry keyed by a name (lowercase wire form) and a type. Tables of
 * imported services hold one for every name of every service: one allocation
 * each, the name it maps to included.
 */
struct nent {
	struct nent *next;
	uint64_t t;         /* expiry or last use, per table */
	struct rpeer *peer; /* alias: owning peer */
	/*
	 * alias: original name; instance: SRV target. Set with proxy_nent_set_name();
	 * it lives in the entry's own allocation, after the key.
	 */
	const ldns_rdf *name;
	ldns_rr **rrs; /* held: records waiting for their host */
	size_t nrr, rrcap;
	uint32_t hash;
	uint16_t klen;
	uint16_t ncap; /* bytes of name room after the key */
	uint8_t key[];
};

/* A chained hash table that grows with its count. */
struct ntab {
	struct nent **b;
	size_t mask, count;
};

/* The context of the policy filter's callbacks (policy_filter_ctx.arg): one remote. */
struct proxy_remote_ctx {
	struct proxy *p;
	struct rpeer *peer;
};

struct lset;

/* A remote record went: what is published may have to change (a cache callback). */
void proxy_pub_expired(void *arg, struct dnssd_entry *e);
/* Hand the publisher again what it holds, now and then (proxy_run). */
void proxy_publish_refresh(struct proxy *p);

/* Local records answering a question, with their additional records (RFC 6763 §12). */
void proxy_local_answers(struct proxy *p, const ldns_rdf *name, uint16_t type,
                         struct lset *out, int depth);
/* Sort ls in the order records are sent. */
void proxy_lset_sort(struct lset *ls);

/*
 * Every public entry point (proxy.h, remote.h) starts with proxy_enter (the
 * time of the call) and ends with proxy_leave, which sends what the call
 * queued: questions for remotes, questions for the LAN, LAN output due now.
 */
void proxy_enter(struct proxy *p, uint64_t now_ms);
void proxy_leave(struct proxy *p);

/* A token bucket, in milli-tokens so that slow rates still refill every millisecond. */
struct proxy_bucket {
	uint64_t tok, t; /* milli-tokens held, and when last refilled */
};

/*
 * Take n tokens if the bucket holds them, refilled first at rate tokens a second
 * up to burst tokens. A rate of 0 takes nothing.
 */
bool proxy_bucket_take(struct proxy_bucket *b, uint64_t rate, uint64_t burst, uint64_t now,
                       uint64_t n);

/* A legacy unicast asker waiting for a record asked of a peer (proxy_lanin.c). */
struct waiter {
	struct sockaddr_storage src;
	unsigned ifindex;
	uint16_t id;
	ldns_rr *asked; /* the question as asked, echoed in the answer */
	ldns_rr *q;     /* by the engine's names */
	uint64_t t;
};
#define WAIT_MAX 32

/* A LAN source's budget slot (SRC_SLOTS of them). */
struct proxy_src {
	struct proxy_bucket b;
	uint64_t shed_at;  /* the last response shed while a round is pending */
	uint64_t round_at; /* the last recovery round for it */
	uint32_t held;     /* entries of the local cache it sent */
	uint8_t rounds;    /* rounds in a row so far */
	bool pending;      /* responses were shed since the last round */
};

/*
 * A remote (remote.h): a peer link (pcfg set, id = its configuration index, sends
 * through proxy_io) or an added remote (pcfg NULL, id >= PROXY_REMOTE_ID_BASE,
 * sends through ops). Export and import read its settings from rc only.
 */
struct rpeer {
	const struct policy_peer *pcfg;
	unsigned id;
	char name[PROXY_REMOTE_NAME_MAX + 1];
	struct proxy_remote_cfg rc; /* rc.name points to name */
	struct proxy_remote_ops ops;
	void *ops_arg;
	bool up;
	bool grace;  /* down: records kept until grace_at */
	bool resync; /* up again: records not sent again by resync_at are stale */
	uint64_t grace_at, resync_at, since;

	struct dnssd_sent *sent;
	struct dnssd_cache *remote;
	uint32_t remote_max;
	struct ntab exp_hosts; /* hosts targeted by SRVs exported to it: t = expiry */
	struct ntab held;      /* instances waiting for an address: rrs, t = expiry */
	struct ntab exp_inst;  /* SRV owners it holds, for service_event: t = expiry */
	struct ntab imp_hosts; /* original hosts targeted by imported SRVs: t = expiry */
	struct ntab imp_inst;  /* original instance -> original SRV target (name) */
	struct ntab fwd;       /* local name + type -> when forwarded */
	struct rrvec fwdq;     /* questions to send at the end of the call */

	struct proxy_bucket fwd_q; /* forwarded questions */
	struct proxy_bucket in_q;  /* questions received */

	uint64_t records_in, records_out, questions_in, questions_out;
};

/*
 * A record queued for the LAN, shared by the items that send it: an
 * announcement goes on every interface and family, twice, and a copy each
 * would be most of the heap while thousands of services arrive.
 */
struct qrr {
	ldns_rr *rr;
	size_t refs;
};

struct oitem {
	struct qrr *r; /* one reference */
	struct rpeer *peer;
	uint64_t due, asked;
	uint32_t src;
	uint8_t sec, kind;
};

struct outq {
	struct oitem *v;
	size_t n, cap;
};

struct iface {
	bool used;
	unsigned ifindex;
	char name[IF_NAMESIZE];
	struct outq q[NFAM];
};

struct proxy {
	const struct policy_config *cfg;
	struct proxy_io io;
	struct dnssd_rename *rename;
	struct dnssd_cache *local;
	struct rpeer **peers; /* the configured peers by index, then added remotes */
	size_t npeers, ncfgpeers;
	unsigned next_remote_id;
	struct iface ifs[PROXY_MAX_INTERFACES];
	struct ntab alias;   /* renamed name we proxy_announce -> peer, original name */
	struct ntab asked;   /* name + type -> last asked on the LAN */
	struct rrvec askq;   /* questions for the LAN at the end of the call */
	ldns_rdf *enum_name; /* _services._dns-sd._udp.local. */
	uint64_t rng;
	uint64_t now;
	uint64_t next_sweep;
	struct proxy_stats st;
	/* io.service_set: an external publisher takes the imported services */
	bool ext_live;   /* it is live: the engine is quiet on the LAN about them */
	bool pub_dirty;  /* the remote caches changed since the last proxy_publish_sync */
	struct ntab pub; /* renamed instance -> name: itself, t: hash of what was set */
	/* proxy_service_renamed: instance -> the publisher's name for it, and back */
	struct ntab pubren, pubrev;
	/* LAN input budgets (limits.lan-records-*), in milli-tokens, and shed recovery */
	struct proxy_src src[SRC_SLOTS];
	uint64_t src_seed;
	struct proxy_bucket lan_bucket;
	size_t shed_pending;   /* slots with pending set */
	uint64_t shed_round;   /* the last recovery round on the LAN */
	uint64_t shed_next;    /* when proxy_shed_run has work (UINT64_MAX: none) */
	struct ntab lan_types; /* service types of the LAN's PTRs: t = last heard */
	struct waiter wait[WAIT_MAX]; /* legacy askers waiting for a peer's answer */
	size_t nwait;
	/*
	 * Records rebuilt from the local cache whose SRV target was handed out:
	 * by proxy_local_instance_host (valid until its next call, as policy/filter.h
	 * allows) and by proxy_instance_ready (until its next call).
	 */
	ldns_rr *host_scratch;
	ldns_rr *ready_scratch;
};

struct lset {
	struct litem *v;
	size_t n, cap;
	struct rrvec own; /* clones carrying the TTL left */
};

struct ent_list {
	struct dnssd_entry **v;
	size_t n, cap;
};

struct ann_ctx {
	struct proxy *p;
	struct rpeer *peer;
	size_t pos;
};

/* ------------------------------------------------------------ proxy_rr.c */


int proxy_rv_push(struct rrvec *rv, const ldns_rr *rr);

/* Push a clone the vector owns; rr is freed on failure. */
int proxy_rv_push_own(struct rrvec *rv, ldns_rr *rr);

/* Hand the clones src owns over to dst (src's list of records is left as it is). */
int proxy_rv_give(struct rrvec *dst, struct rrvec *src);

void proxy_rv_free(struct rrvec *rv);

bool proxy_is_dname(const ldns_rdf *d);

uint16_t proxy_rr_type(const ldns_rr *rr);

/* The same record to mDNS: owner, type, class without the top bit and rdata. */
bool proxy_rr_same(const ldns_rr *a, const ldns_rr *b);

/* The instance a record belongs to: SRV/TXT owner, or the target of a type PTR. */
const ldns_rdf *proxy_instance_of(const ldns_rr *rr);

/* The name that says whose a record is (NULL for enumeration PTRs, nobody's). */
const ldns_rdf *proxy_subject_name(const ldns_rr *rr);

bool proxy_rr_addr(const ldns_rr *rr, int *af, const uint8_t **addr);

/*
 * The addresses of host's live A and AAAA records in cache c, every one of them,
 * appended to *v (*n held, room for *cap, grown with dnssd_grow: the caller frees
 * *v). 0 or -ENOMEM (what was appended stays).
 */
/* The first entry of name and type in cache c that is no goodbye, or NULL. */
struct dnssd_entry *proxy_first_live(struct dnssd_cache *c, const ldns_rdf *name,
                                     uint16_t type, uint64_t now);
int proxy_host_addrs(struct dnssd_cache *c, const ldns_rdf *host, uint64_t now,
                     struct dnssd_addr **v, size_t *n, size_t *cap);
/* The same one at a time, A first, until fn returns false; false when it did. */
bool proxy_host_addr_each(struct dnssd_cache *c, const ldns_rdf *host, uint64_t now,
                          bool (*fn)(void *arg, const struct dnssd_addr *a), void *arg);

ldns_rr *proxy_clone_ttl(const ldns_rr *rr, uint32_t ttl);

/*
 * A cached record, built afresh with ttl (the cache keeps records in a compact
 * form of its own). Calls malloc: the caller frees. NULL when out of memory.
 */
ldns_rr *proxy_entry_rr_ttl(const struct dnssd_entry *e, uint32_t ttl);

ldns_rr *proxy_make_question(const ldns_rdf *name, uint16_t type);

int proxy_sa_port(const struct sockaddr *sa);

void proxy_sa_sender(const struct sockaddr *sa, struct policy_sender *s);

void proxy_set_entry_sender(struct dnssd_entry *e, const struct policy_sender *s);

void proxy_entry_sender(const struct dnssd_entry *e, struct policy_sender *s);

/* Who asked: known answers in a continuation packet only count for their asker. */
uint32_t proxy_sa_hash(const struct sockaddr *sa);

int proxy_af_fam(int af);

int proxy_fam_af(int fam);

int proxy_ntab_init(struct ntab *t);

struct nent *proxy_ntab_find(const struct ntab *t, const ldns_rdf *name, uint16_t type);

struct nent *proxy_ntab_add(struct ntab *t, const ldns_rdf *name, uint16_t type);

/*
 * Set e's name to a copy of name. The entry may move to make room: use the
 * entry returned from then on (NULL when out of memory: e is left as it was).
 */
struct nent *proxy_nent_set_name(struct ntab *t, struct nent *e, const ldns_rdf *name);

void proxy_ntab_del(struct ntab *t, struct nent *e);

/* Delete the entries for which drop() says so (all of them when drop is NULL). */
void proxy_ntab_filter(struct ntab *t, bool (*drop)(struct nent *e, const void *arg),
                       const void *arg);

void proxy_ntab_fini(struct ntab *t);

size_t proxy_ntab_count(const struct ntab *t);

bool proxy_older_than(struct nent *e, const void *arg);

/* ------------------------------------------------------------ proxy.c */

uint64_t proxy_rnd(struct proxy *p);

struct rpeer *proxy_peer_by_id(const struct proxy *p, unsigned id);

uint64_t proxy_ifbit(size_t pos, int fam);

struct iface *proxy_iface_find(struct proxy *p, unsigned ifindex, size_t *pos);

void proxy_announce_here(void *arg, struct dnssd_entry *e);

void proxy_sweep(struct proxy *p);

/* ------------------------------------------------------------ proxy_lanout.c */

/* Payload bytes per datagram; 0 when the family cannot be used on the interface. */
size_t proxy_mtu_for(struct proxy *p, unsigned ifindex, int af);

void proxy_send_enc(struct proxy *p, struct dnssd_enc *e, unsigned ifindex, int af,
                    const struct sockaddr *dst);

/*
 * Share rr (NULL: out of memory). The caller holds the first reference and
 * drops it with proxy_qrr_put(); rr is freed with the last one.
 */
struct qrr *proxy_qrr_new(ldns_rr *rr);

void proxy_qrr_put(struct qrr *r);

/* Queue a record: the item takes a reference to r of its own (r NULL: -ENOMEM). */
int proxy_q_push(struct outq *q, struct qrr *r, struct rpeer *peer, uint64_t due,
                 uint64_t asked, uint32_t src, uint8_t sec, uint8_t kind);

void proxy_q_clear(struct outq *q);

uint64_t proxy_q_next(const struct outq *q);

/* New or changed: twice, one second apart (RFC 6762 §8.3). */
void proxy_announce(struct proxy *p, struct rpeer *peer, const ldns_rr *rr);

/* The answer to a question forwarded for the LAN at asked, now in. */
void proxy_queue_answer(struct proxy *p, const ldns_rr *rr, struct rpeer *peer,
                        uint64_t asked);

void proxy_lan_goodbye(struct proxy *p, const ldns_rr *rr);

void proxy_lan_goodbye_entry(struct proxy *p, const struct dnssd_entry *e);

void proxy_flush_due(struct proxy *p);

/* Forget queued work for a peer that goes away. */
void proxy_purge_peer_items(struct proxy *p, const struct rpeer *peer);

/* Ask the LAN (all interfaces, QM) at the end of this call, at most once a second. */
void proxy_lan_ask(struct proxy *p, const ldns_rdf *name, uint16_t type);

void proxy_send_questions(struct proxy *p, size_t pos, const ldns_rr *const *qs,
                          size_t n);

void proxy_flush_ask(struct proxy *p);


/* ------------------------------------------------------------ proxy_pubname.c */

/* The publisher's key for a renamed instance: its full name in lower case (caller
 * frees; NULL when out of memory). */
char *proxy_pub_key(const ldns_rdf *instance);
/* The publisher's name for inst (service or host) is forgotten, with its alias. */
void proxy_pubname_forget(struct proxy *p, const ldns_rdf *inst);

/*
 * rr (a remote record on its way to the LAN) with the owner, the target of a PTR
 * or of an SRV, that the publisher renamed (proxy_service_renamed,
 * proxy_host_renamed) given its new name.
 */
void proxy_pub_lan_rr(const struct proxy *p, ldns_rr *rr);
/* A question for a name the publisher chose, for the engine's name (caller frees);
 * NULL when q's name is not one of those. */
ldns_rr *proxy_pub_question_in(const struct proxy *p, const ldns_rr *q);

/* ------------------------------------------------------------ proxy_lanin.c */

bool proxy_any_peer_up(const struct proxy *p);

/* A record of the LAN on ifindex (heard, or found by another browser): cached, and
 * collected in recs for export. True when it was not cached before. */
bool proxy_local_rr(struct proxy *p, unsigned ifindex, const struct policy_sender *sender,
                    const ldns_rr *rr, bool any_up, struct rrvec *recs);

/*
 * Shed recovery rounds that are due (proxy_src); returns when to call again
 * (UINT64_MAX: nothing pending).
 */
uint64_t proxy_shed_run(struct proxy *p);

/* A record new or refreshed from a peer: legacy askers waiting for it get it. */
void proxy_answer_waiters(struct proxy *p, const ldns_rr *rr);
void proxy_waiters_free(struct proxy *p);

/* dnssd_entry_cb (arg: the proxy) for local entries destroyed: their source's share. */
void proxy_local_gone(void *arg, struct dnssd_entry *e);
/* Every source's share counted again from the cache (at each sweep). */
void proxy_local_recount(struct proxy *p);


/* One question's token from b, at limits.queries-per-second (rate and burst). */
bool proxy_question_token(struct proxy *p, struct proxy_bucket *b);

/* ------------------------------------------------------------ proxy_forward.c */

/* Which peers own a name asked on the LAN, and the name there. */
void proxy_forward_question(struct proxy *p, const ldns_rr *q);

/* Send each remote the questions gathered for it (proxy_leave). */
void proxy_flush_fwd(struct proxy *p);

/* ------------------------------------------------------------ proxy_export.c */

const ldns_rdf *proxy_local_instance_host(void *arg, const ldns_rdf *instance);

/*
 * Whether an instance can be offered to peer: its SRV known and its host with an
 * address the peer may have. Otherwise *ask_srv or *ask_host say what the LAN
 * should be asked for; *ask_host stays valid until the next call.
 */
bool proxy_instance_ready(struct proxy *p, const struct rpeer *peer, const ldns_rdf *inst,
                          const ldns_rdf **ask_host, bool *ask_srv);

void proxy_send_records(struct proxy *p, struct rpeer *peer, const struct rrvec *out);

void proxy_export_all_peers(struct proxy *p, const ldns_rr *const *recs, size_t n,
                            const struct policy_sender *sender);

/* Whether a name is one we announce for a peer (or did lately). */
bool proxy_name_is_remote(struct proxy *p, const ldns_rdf *name);

/* Whether some up peer may be offered services of this type. */
bool proxy_type_exported(struct proxy *p, const ldns_rdf *type);

int proxy_type_rank_of(uint16_t type);

void proxy_lset_free(struct lset *ls);

/* Export (sel NULL) or only select (into sel) in slices of one sender each. */
void proxy_lset_export(struct proxy *p, struct rpeer *peer, const struct lset *ls,
                       bool force, struct rrvec *sel);

/* The whole local cache. */
void proxy_collect_local(struct proxy *p, struct lset *ls, bool stored_ttl);

/* ------------------------------------------------------------ proxy_import.c */

bool proxy_imp_host_known(void *arg, const ldns_rdf *host);

const ldns_rdf *proxy_imp_instance_host(void *arg, const ldns_rdf *instance);

void proxy_record_aliases(struct proxy *p, struct rpeer *peer, const ldns_rr *orig,
                          const ldns_rr *renamed);

/* The record as it was at its site: names back through the alias table. */
ldns_rr *proxy_unrename_rr(struct proxy *p, const ldns_rr *rr);

/* A record pushed out of a full cache leaves the LAN too. */
void proxy_remote_evicted(void *arg, struct dnssd_entry *e);

/* Put a renamed record into the peer's cache and say so on the LAN. */
void proxy_import_put(struct proxy *p, struct rpeer *peer, const ldns_rr *rr);

void proxy_import_track(struct proxy *p, struct rpeer *peer, const ldns_rr *rr);

void proxy_list_entry(void *arg, struct dnssd_entry *e);

/* Withdraw from the LAN what the peer did not send again after the link came up. */
void proxy_withdraw_stale(struct proxy *p, struct rpeer *peer);

void proxy_goodbye_entry(void *arg, struct dnssd_entry *e);

/* Everything learned from peer leaves the LAN now. */
void proxy_withdraw_peer(struct proxy *p, struct rpeer *peer);

void proxy_rpeer_free(struct rpeer *peer);

struct rpeer *proxy_rpeer_new(const struct policy_config *cfg, unsigned id);
/* Whether questions go to this remote (an added one without send_questions: never). */
static inline bool proxy_remote_asks(const struct rpeer *peer)
{
	return peer->pcfg || peer->ops.send_questions;
}
/* An added remote's state (remote.h), down, with rc's settings copied in. */
struct rpeer *proxy_remote_new(const struct policy_config *cfg, unsigned id,
                               const struct proxy_remote_cfg *rc);
/* The settings of peer link pc, as a remote's. */
void proxy_remote_cfg_of_peer(struct rpeer *peer, const struct policy_config *cfg,
                              const struct policy_peer *pc);

bool proxy_alias_of_peer(struct nent *e, const void *arg);

/* ------------------------------------------------------------ proxy_publish.c */

/* Bring the publisher in line with the remote caches: set what is new or changed,
 * remove what is no longer complete. */
void proxy_publish_sync(struct proxy *p);

#endif
