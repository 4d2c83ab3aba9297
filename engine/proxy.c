/*
 * proxy.c: the proxy engine (see proxy.h for the data path).
 *
 * State, all driven by the caller's clock:
 *  - one local cache of what the LAN responders said (origin = interface index);
 *  - per peer: its remote cache (renamed records, bounded by max-records-per-peer),
 *    its dnssd_sent (what it already holds), the hosts that exported SRVs target,
 *    the instances held back until their host has an address (at most HELD_MAX,
 *    with the hosts they wait for), the original hosts and SRV targets of what it
 *    gave us (import policy needs the names as they were), recently forwarded
 *    questions and two token buckets;
 *  - token buckets for LAN input: one per source address (hashed into SRC_SLOTS)
 *    and one for the whole LAN, against floods;
 *  - the alias table: every renamed name we proxy_announce -> owning peer and original
 *    name, for forwarding questions back (a cut instance label cannot be inverted)
 *    and as loop guard;
 *  - per interface and address family an output queue of multicast work:
 *    announcements, delayed answers and goodbyes, sent in as few datagrams as
 *    the MTU allows.
 *
 * The aux slots of remote cache entries hold the last multicast of the record:
 * slot 0 the time, slot 1 a mask of (interface, family) bits multicast within
 * the second before it. A record multicast on several interfaces within one
 * second is stamped with the latest time for all of them, which only ever makes
 * the one-second rule of RFC 6762 §6 stricter.
 */
#include <config.h>

#include "engine/proxy_int.h"

static const char *const drop_names[PROXY_DROP_MAX] = {
    [PROXY_DROP_NOT_MDNS_PORT] = "not-mdns-port",
    [PROXY_DROP_LOOP] = "loop",
    [PROXY_DROP_ORIGIN] = "origin",
    [PROXY_DROP_POLICY] = "policy",
    [PROXY_DROP_LIMIT] = "limit",
    [PROXY_DROP_RATE] = "rate",
    [PROXY_DROP_RENAME] = "rename",
    [PROXY_DROP_PEER] = "peer",
    [PROXY_DROP_SOURCE] = "source-rate",
};

const char *proxy_drop_str(enum proxy_drop d)
{
	return (unsigned)d < PROXY_DROP_MAX ? drop_names[d] : "unknown";
}

/* ------------------------------------------------------------ engine state */

uint64_t proxy_rnd(struct proxy *p)
{
	/* xorshift64*: jitter only, nothing secret depends on it. */
	uint64_t x = p->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	p->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

struct rpeer *proxy_peer_by_id(const struct proxy *p, unsigned id)
{
	if (id < p->ncfgpeers)
		return p->peers[id];
	/* Added remotes are few (one per DNS domain): a short scan. */
	for (size_t i = p->ncfgpeers; i < p->npeers; i++)
		if (p->peers[i]->id == id)
			return p->peers[i];
	return NULL;
}

void proxy_enter(struct proxy *p, uint64_t now_ms)
{
	p->now = now_ms;
}

void proxy_leave(struct proxy *p)
{
	proxy_flush_fwd(p);
	proxy_flush_ask(p);
	proxy_flush_due(p);
}

bool proxy_bucket_take(struct proxy_bucket *b, uint64_t rate, uint64_t burst, uint64_t now,
                       uint64_t n)
{
	uint64_t cap = burst * 1000;
	if (!rate)
		return false;
	if (now > b->t) {
		uint64_t add = (now - b->t) * rate;
		/* add / rate != the elapsed time: the product overflowed */
		b->tok = (b->tok + add > cap || add / rate != now - b->t) ? cap : b->tok + add;
	}
	b->t = now;
	if (b->tok < n * 1000)
		return false;
	b->tok -= n * 1000;
	return true;
}

bool proxy_question_token(struct proxy *p, struct proxy_bucket *b)
{
	uint32_t qps = policy_config_queries_per_second(p->cfg);
	return proxy_bucket_take(b, qps, qps, p->now, 1);
}

uint64_t proxy_ifbit(size_t pos, int fam)
{
	return 1ULL << (2 * pos + (size_t)fam);
}

struct iface *proxy_iface_find(struct proxy *p, unsigned ifindex, size_t *pos)
{
	for (size_t i = 0; i < PROXY_MAX_INTERFACES; i++)
		if (p->ifs[i].used && p->ifs[i].ifindex == ifindex) {
			if (pos)
				*pos = i;
			return &p->ifs[i];
		}
	return NULL;
}

/* ------------------------------------------------------------ lifecycle */

struct proxy *proxy_new(const struct policy_config *cfg, const struct proxy_io *io)
{
	struct proxy *p;
	if (!cfg || !io || !(p = calloc(1, sizeof(*p))))
		return NULL;
	p->cfg = cfg;
	p->io = *io;
	p->rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uintptr_t)p;
	p->src_seed = proxy_rnd(p);
	p->shed_next = UINT64_MAX;
	if (proxy_ntab_init(&p->alias) < 0 || proxy_ntab_init(&p->asked) < 0 ||
	    proxy_ntab_init(&p->pub) < 0 || proxy_ntab_init(&p->lan_types) < 0 ||
	    proxy_ntab_init(&p->pubren) < 0 || proxy_ntab_init(&p->pubrev) < 0)
		goto fail;
	p->rename = dnssd_rename_new(policy_config_host_suffix(cfg),
	                             policy_config_instance_suffix(cfg));
	p->local = dnssd_cache_new(LOCAL_MAX_RECORDS);
	p->enum_name = ldns_dname_new_frm_str("_services._dns-sd._udp.local.");
	if (!p->rename || !p->local || !p->enum_name)
		goto fail;
	p->npeers = p->ncfgpeers = policy_config_npeers(cfg);
	p->next_remote_id = PROXY_REMOTE_ID_BASE;
	if (!(p->peers = calloc(p->npeers ? p->npeers : 1, sizeof(*p->peers))))
		goto fail;
	for (size_t i = 0; i < p->npeers; i++)
		if (!(p->peers[i] = proxy_rpeer_new(cfg, (unsigned)i)))
			goto fail;
	return p;
fail:
	proxy_free(p);
	return NULL;
}

void proxy_free(struct proxy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < PROXY_MAX_INTERFACES; i++)
		for (int f = 0; f < NFAM; f++) {
			proxy_q_clear(&p->ifs[i].q[f]);
			free(p->ifs[i].q[f].v);
		}
	for (size_t i = 0; p->peers && i < p->npeers; i++)
		proxy_rpeer_free(p->peers[i]);
	free(p->peers);
	proxy_ntab_fini(&p->alias);
	proxy_ntab_fini(&p->asked);
	proxy_ntab_fini(&p->pub);
	proxy_ntab_fini(&p->lan_types);
	proxy_waiters_free(p);
	proxy_ntab_fini(&p->pubren);
	proxy_ntab_fini(&p->pubrev);
	proxy_rv_free(&p->askq);
	dnssd_cache_free(p->local);
	dnssd_rename_free(p->rename);
	ldns_rdf_deep_free(p->enum_name);
	ldns_rr_free(p->host_scratch);
	ldns_rr_free(p->ready_scratch);
	free(p);
}

void proxy_announce_here(void *arg, struct dnssd_entry *e)
{
	struct ann_ctx *ac = arg;
	struct iface *ifc = &ac->p->ifs[ac->pos];
	if (dnssd_entry_is_goodbye(e))
		return;
	struct qrr *r = proxy_qrr_new(dnssd_entry_rr_new(e));
	for (int f = 0; f < NFAM && r; f++)
		for (int k = 0; k < 2; k++)
			proxy_q_push(&ifc->q[f], r, ac->peer,
			             ac->p->now + (uint64_t)k * ANNOUNCE_GAP_MS,
			             ac->p->now, 0, DNSSD_SEC_ANSWER, OI_ANNOUNCE);
	proxy_qrr_put(r);
}

int proxy_add_interface(struct proxy *p, unsigned ifindex, const char *name,
                        uint64_t now_ms)
{
	size_t pos = PROXY_MAX_INTERFACES;
	if (!p || !ifindex)
		return -EINVAL;
	proxy_enter(p, now_ms);
	if (proxy_iface_find(p, ifindex, NULL))
		return -EEXIST;
	for (size_t i = 0; i < PROXY_MAX_INTERFACES && pos == PROXY_MAX_INTERFACES; i++)
		if (!p->ifs[i].used)
			pos = i;
	if (pos == PROXY_MAX_INTERFACES)
		return -ENOSPC;
	struct iface *ifc = &p->ifs[pos];
	ifc->used = true;
	ifc->ifindex = ifindex;
	snprintf(ifc->name, sizeof(ifc->name), "%s", name ? name : "");
	/* A new link knows nothing: proxy_announce what we hold, ask what it has. */
	for (size_t i = 0; i < p->npeers && !p->ext_live; i++) {
		struct ann_ctx ac = {p, p->peers[i], pos};
		dnssd_cache_foreach(p->peers[i]->remote, proxy_announce_here, &ac);
	}
	ldns_rr *q = proxy_make_question(p->enum_name, LDNS_RR_TYPE_PTR);
	if (q) {
		const ldns_rr *qs[1] = {q};
		proxy_send_questions(p, pos, qs, 1);
		ldns_rr_free(q);
	}
	proxy_leave(p);
	return 0;
}

void proxy_remove_interface(struct proxy *p, unsigned ifindex)
{
	struct iface *ifc;
	if (!p || !(ifc = proxy_iface_find(p, ifindex, NULL)))
		return;
	for (int f = 0; f < NFAM; f++)
		proxy_q_clear(&ifc->q[f]);
	ifc->used = false;
	ifc->ifindex = 0;
}

static bool expired(struct nent *e, const void *arg)
{
	return e->t <= *(const uint64_t *)arg;
}

static bool alias_stale(struct nent *e, const void *arg)
{
	return e->t + ALIAS_KEEP_MS <= *(const uint64_t *)arg;
}

void proxy_sweep(struct proxy *p)
{
	uint64_t now = p->now, ask_before = now > ASK_GAP_MS ? now - ASK_GAP_MS : 0;
	uint64_t fwd_before = now > FWD_PENDING_MS ? now - FWD_PENDING_MS : 0;
	proxy_ntab_filter(&p->alias, alias_stale, &now);
	proxy_ntab_filter(&p->asked, proxy_older_than, &ask_before);
	uint64_t types_before = now > LAN_TYPES_KEEP_MS ? now - LAN_TYPES_KEEP_MS : 0;
	proxy_ntab_filter(&p->lan_types, proxy_older_than, &types_before);
	proxy_local_recount(p);
	for (size_t i = 0; i < p->npeers; i++) {
		struct rpeer *peer = p->peers[i];
		proxy_ntab_filter(&peer->exp_hosts, expired, &now);
		proxy_ntab_filter(&peer->held, expired, &now);
		proxy_ntab_filter(&peer->exp_inst, expired, &now);
		proxy_ntab_filter(&peer->imp_hosts, expired, &now);
		proxy_ntab_filter(&peer->imp_inst, expired, &now);
		proxy_ntab_filter(&peer->fwd, proxy_older_than, &fwd_before);
		dnssd_sent_expire(peer->sent, now);
	}
}

/* ------------------------------------------------------------ statistics */

void proxy_get_stats(const struct proxy *p, struct proxy_stats *out)
{
	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	if (!p)
		return;
	*out = p->st;
	out->local_records = dnssd_cache_count(p->local);
	for (size_t i = 0; i < p->npeers; i++)
		out->remote_records += dnssd_cache_count(p->peers[i]->remote);
	for (size_t i = 0; i < PROXY_MAX_INTERFACES; i++)
		out->interfaces += p->ifs[i].used;
}

int proxy_get_peer_stats(const struct proxy *p, unsigned peer_id,
                         struct proxy_peer_stats *out)
{
	const struct rpeer *peer;
	if (!p || !out || !(peer = proxy_peer_by_id(p, peer_id)))
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->name = peer->name;
	out->up = peer->up;
	out->since_ms = peer->since;
	out->records_in = peer->records_in;
	out->records_out = peer->records_out;
	out->questions_in = peer->questions_in;
	out->questions_out = peer->questions_out;
	out->cached = dnssd_cache_count(peer->remote);
	out->grace_running = peer->grace;
	out->grace_ends_ms = peer->grace_at;
	return 0;
}

uint64_t proxy_run(struct proxy *p, uint64_t now_ms)
{
	uint64_t next;
	if (!p)
		return UINT64_MAX;
	proxy_enter(p, now_ms);
	next = dnssd_cache_expire(p->local, now_ms, proxy_local_gone, p);
	for (size_t i = 0; i < p->npeers; i++) {
		struct rpeer *peer = p->peers[i];
		if (peer->grace && peer->grace_at <= now_ms) {
			peer->grace = false;
			proxy_withdraw_peer(p, peer);
		}
		if (peer->resync && peer->resync_at <= now_ms) {
			peer->resync = false;
			proxy_withdraw_stale(p, peer);
		}
		uint64_t t = dnssd_cache_expire(peer->remote, now_ms, proxy_pub_expired, p);
		if (t < next)
			next = t;
		if (peer->grace && peer->grace_at < next)
			next = peer->grace_at;
		if (peer->resync && peer->resync_at < next)
			next = peer->resync_at;
	}
	if (now_ms >= p->next_sweep) {
		proxy_sweep(p);
		proxy_publish_refresh(p);
		p->next_sweep = now_ms + SWEEP_MS;
	}
	if (p->pub_dirty)
		proxy_publish_sync(p);
	uint64_t shed = proxy_shed_run(p);
	proxy_leave(p);
	if (shed < next)
		next = shed;
	if (p->next_sweep < next)
		next = p->next_sweep;
	for (size_t i = 0; i < PROXY_MAX_INTERFACES; i++) {
		if (!p->ifs[i].used)
			continue;
		for (int f = 0; f < NFAM; f++) {
			uint64_t t = proxy_q_next(&p->ifs[i].q[f]);
			if (t < next)
				next = t;
		}
	}
	return next > now_ms ? next : now_ms + 1;
}

void proxy_shutdown(struct proxy *p, uint64_t now_ms)
{
	if (!p)
		return;
	proxy_enter(p, now_ms);
	for (size_t i = 0; i < PROXY_MAX_INTERFACES; i++)
		for (int f = 0; f < NFAM; f++)
			proxy_q_clear(&p->ifs[i].q[f]);
	for (size_t i = 0; i < p->npeers; i++)
		dnssd_cache_remove_origin(p->peers[i]->remote, 0, proxy_goodbye_entry, p);
	proxy_publish_sync(p);
	proxy_leave(p);
}
