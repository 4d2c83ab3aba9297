/*
 * proxy_import.c: the proxy engine's import from peers (policy, renaming,
 * the remote caches and their aliases), and what is kept per peer: link up
 * and down, grace period, resync (proxy_int.h).
 */
#include <config.h>

#include "engine/proxy_int.h"

/* ------------------------------------------------------------ import from peers */

bool proxy_imp_host_known(void *arg, const ldns_rdf *host)
{
	const struct proxy *p = ((struct proxy_remote_ctx *)arg)->p;
	const struct rpeer *peer = ((struct proxy_remote_ctx *)arg)->peer;
	const struct nent *e = proxy_ntab_find(&peer->imp_hosts, host, 0);
	return e && e->t > p->now;
}

const ldns_rdf *proxy_imp_instance_host(void *arg, const ldns_rdf *instance)
{
	const struct rpeer *peer = ((struct proxy_remote_ctx *)arg)->peer;
	const struct nent *e = proxy_ntab_find(&peer->imp_inst, instance, 0);
	return e ? e->name : NULL;
}

static void alias_put(struct proxy *p, struct rpeer *peer, const ldns_rdf *renamed,
                      const ldns_rdf *orig, uint64_t exp)
{
	if (dnssd_name_eq(renamed, orig))
		return;
	struct nent *a = proxy_ntab_add(&p->alias, renamed, 0);
	if (!a)
		return;
	if ((!a->name || !dnssd_name_eq(a->name, orig)) &&
	    !(a = proxy_nent_set_name(&p->alias, a, orig)))
		return;
	a->peer = peer;
	if (exp > a->t)
		a->t = exp;
}

void proxy_record_aliases(struct proxy *p, struct rpeer *peer, const ldns_rr *orig,
                          const ldns_rr *renamed)
{
	uint64_t exp = p->now + (uint64_t)ldns_rr_ttl(orig) * 1000;
	alias_put(p, peer, ldns_rr_owner(renamed), ldns_rr_owner(orig), exp);
	for (size_t i = 0; i < ldns_rr_rd_count(orig) && i < ldns_rr_rd_count(renamed);
	     i++) {
		const ldns_rdf *a = dnssd_rdf_name(orig, i),
		               *b = dnssd_rdf_name(renamed, i);
		if (a && b)
			alias_put(p, peer, b, a, exp);
	}
}

/* The record as it was at its site: names back through the alias table. */
ldns_rr *proxy_unrename_rr(struct proxy *p, const ldns_rr *rr)
{
	ldns_rr *c = ldns_rr_clone(rr);
	const struct nent *a;
	if (!c)
		return NULL;
	if ((a = proxy_ntab_find(&p->alias, ldns_rr_owner(c), 0)) && a->name) {
		ldns_rdf *n = ldns_rdf_clone(a->name);
		if (n) {
			ldns_rdf_deep_free(ldns_rr_owner(c));
			ldns_rr_set_owner(c, n);
		}
	}
	for (size_t i = 0; i < ldns_rr_rd_count(c); i++) {
		const ldns_rdf *d = dnssd_rdf_name(c, i);
		if (d && (a = proxy_ntab_find(&p->alias, d, 0)) && a->name) {
			ldns_rdf *n = ldns_rdf_clone(a->name);
			if (n)
				ldns_rdf_deep_free(ldns_rr_set_rdf(c, n, i));
		}
	}
	return c;
}

/* A record pushed out of a full cache leaves the LAN too. */
void proxy_remote_evicted(void *arg, struct dnssd_entry *e)
{
	struct proxy *p = arg;
	p->st.drops[PROXY_DROP_LIMIT]++;
	p->pub_dirty = true;
	proxy_lan_goodbye_entry(p, e);
}

/* Put a renamed record into the peer's cache and say so on the LAN. */
void proxy_import_put(struct proxy *p, struct rpeer *peer, const ldns_rr *rr)
{
	struct dnssd_entry *e = NULL;
	int r = dnssd_cache_put(peer->remote, rr, 0, p->now, &e, proxy_remote_evicted, p);
	const struct nent *f;

	switch (r) {
	case -ENOSPC:
		p->st.drops[PROXY_DROP_LIMIT]++;
		break;
	case DNSSD_PUT_NEW:
		p->pub_dirty = true;
		proxy_announce(p, peer, rr);
		if (p->io.service_event && proxy_rr_type(rr) == LDNS_RR_TYPE_SRV)
			p->io.service_event(p->io.arg, peer->id, PROXY_SVC_IMPORTED,
			                    ldns_rr_owner(rr));
		break;
	case DNSSD_PUT_CHANGED: /* a new TTL is no news (RFC 6762 §8.4: rdata is) */
	case DNSSD_PUT_REFRESHED:
		/* the answer to a question we forwarded: tell the askers */
		f = proxy_ntab_find(&peer->fwd, ldns_rr_owner(rr), proxy_rr_type(rr));
		if (!f)
			f = proxy_ntab_find(&peer->fwd, ldns_rr_owner(rr),
			                    LDNS_RR_TYPE_ANY);
		if (f && p->now < f->t + FWD_PENDING_MS)
			proxy_queue_answer(p, rr, peer, f->t);
		break;
	case DNSSD_PUT_GOODBYE:
		p->pub_dirty = true;
		proxy_lan_goodbye(p, rr);
		if (p->io.service_event && proxy_rr_type(rr) == LDNS_RR_TYPE_SRV)
			p->io.service_event(p->io.arg, peer->id, PROXY_SVC_UNIMPORTED,
			                    ldns_rr_owner(rr));
		if (e)
			dnssd_cache_remove(peer->remote, e);
		break;
	default:
		break;
	}
}

void proxy_import_track(struct proxy *p, struct rpeer *peer, const ldns_rr *rr)
{
	const ldns_rdf *host = dnssd_srv_target(rr);
	if (!host || ldns_rr_ttl(rr) == 0)
		return;
	uint64_t exp = p->now + (uint64_t)ldns_rr_ttl(rr) * 1000;
	struct nent *h = proxy_ntab_add(&peer->imp_hosts, host, 0);
	if (h && exp > h->t)
		h->t = exp;
	struct nent *in = proxy_ntab_add(&peer->imp_inst, ldns_rr_owner(rr), 0);
	if (in && (!in->name || !dnssd_name_eq(in->name, host)))
		in = proxy_nent_set_name(&peer->imp_inst, in, host);
	if (in && exp > in->t)
		in->t = exp;
}

/* Import policy, renaming and caching of records as they are at the peer's site. */
static void import_records(struct proxy *p, struct rpeer *peer, const ldns_rr *const *rrs,
                           size_t n, const struct dnssd_rename *rn)
{
	bool *allow = calloc(n ? n : 1, sizeof(*allow));
	struct proxy_remote_ctx cbarg = {p, peer};
	if (!allow)
		return;
	struct policy_filter_ctx ctx = {
	    .rules = peer->rc.import_rules,
	    .host_known = proxy_imp_host_known,
	    .instance_host = proxy_imp_instance_host,
	    .arg = &cbarg,
	};
	policy_filter(&ctx, rrs, n, allow);
	for (size_t i = 0; i < n; i++) {
		if (!allow[i]) {
			p->st.drops[PROXY_DROP_POLICY]++;
			continue;
		}
		proxy_import_track(p, peer, rrs[i]);
		ldns_rr *c = ldns_rr_clone(rrs[i]);
		if (!c)
			continue;
		if (dnssd_rename_rr(rn, peer->name, c) < 0) {
			p->st.drops[PROXY_DROP_RENAME]++;
			ldns_rr_free(c);
			continue;
		}
		proxy_record_aliases(p, peer, rrs[i], c);
		proxy_import_put(p, peer, c);
		ldns_rr_free(c);
	}
	free(allow);
}

void proxy_peer_records(struct proxy *p, unsigned peer_id, const char *origin,
                        unsigned hops, ldns_rr *const *rrs, size_t n, uint64_t now_ms)
{
	struct rpeer *peer;

	if (!p || (!rrs && n))
		return;
	proxy_enter(p, now_ms);
	if (!(peer = proxy_peer_by_id(p, peer_id))) {
		p->st.drops[PROXY_DROP_PEER] += n;
		return;
	}
	if (!origin || strcmp(origin, policy_config_site(p->cfg)) == 0 || hops > 0) {
		p->st.drops[PROXY_DROP_LOOP] += n;
		return;
	}
	if (strcmp(origin, peer->name) != 0) {
		p->st.drops[PROXY_DROP_ORIGIN] += n;
		return;
	}
	peer->records_in += n;
	import_records(p, peer, (const ldns_rr *const *)rrs, n, p->rename);
	proxy_leave(p);
}

/* ------------------------------------------------------------ peer state */

/*
 * Resync: the TTLs as received, as if the peer had heard the last announcement,
 * so that records it still holds are plain refreshes there, not news.
 */
static void export_everything(struct proxy *p, struct rpeer *peer)
{
	struct lset all = {0};
	proxy_collect_local(p, &all, true);
	proxy_lset_export(p, peer, &all, false, NULL);
	proxy_lset_free(&all);
}

void proxy_list_entry(void *arg, struct dnssd_entry *e)
{
	struct ent_list *l = arg;
	if (!dnssd_entry_is_goodbye(e) &&
	    dnssd_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)) == 0)
		l->v[l->n++] = e;
}

struct types_ctx {
	struct proxy *p;
	struct rpeer *peer;
	struct ntab seen;
};

static void ask_type_of(void *arg, struct dnssd_entry *e)
{
	struct types_ctx *tc = arg;
	if (dnssd_entry_type(e) != LDNS_RR_TYPE_PTR)
		return;
	ldns_rr *rr = dnssd_entry_rr_new(e);
	if (!rr)
		return;
	const ldns_rdf *owner = ldns_rr_owner(rr);
	enum dnssd_name_kind k = dnssd_name_kind(owner);
	if ((k != DNSSD_NAME_SERVICE_TYPE && k != DNSSD_NAME_SUBTYPE) ||
	    proxy_ntab_find(&tc->seen, owner, 0) ||
	    !proxy_ntab_add(&tc->seen, owner, 0)) {
		ldns_rr_free(rr);
		return;
	}
	if (!proxy_question_token(tc->p, &tc->peer->fwd_q))
		tc->p->st.drops[PROXY_DROP_RATE]++;
	else
		proxy_rv_push_own(&tc->peer->fwdq,
		                  proxy_make_question(owner, LDNS_RR_TYPE_PTR));
	ldns_rr_free(rr);
}

/* The service types (and subtypes) a peer gave us, asked for at its site: they keep
 * their names. */
static void ask_types_again(struct proxy *p, struct rpeer *peer)
{
	struct types_ctx tc = {p, peer, {0}};
	if (!proxy_remote_asks(peer) || proxy_ntab_init(&tc.seen) < 0)
		return;
	dnssd_cache_foreach(peer->remote, ask_type_of, &tc);
	proxy_ntab_fini(&tc.seen);
}

struct stale_ctx {
	struct ent_list *l;
	uint64_t since;
};

static void list_stale(void *arg, struct dnssd_entry *e)
{
	struct stale_ctx *sc = arg;
	if (dnssd_entry_updated(e) < sc->since)
		proxy_list_entry(sc->l, e);
}

/* Withdraw from the LAN what the peer did not send again after the link came up. */
void proxy_withdraw_stale(struct proxy *p, struct rpeer *peer)
{
	struct ent_list l = {0};
	struct stale_ctx sc = {&l, peer->since};
	dnssd_cache_foreach(peer->remote, list_stale, &sc);
	p->pub_dirty |= l.n > 0;
	for (size_t i = 0; i < l.n; i++) {
		proxy_lan_goodbye_entry(p, l.v[i]);
		dnssd_cache_remove(peer->remote, l.v[i]);
	}
	free(l.v);
}

void proxy_peer_up(struct proxy *p, unsigned peer_id, uint64_t now_ms)
{
	struct rpeer *peer;
	if (!p || !(peer = proxy_peer_by_id(p, peer_id)))
		return;
	proxy_enter(p, now_ms);
	peer->up = true;
	peer->grace = false;
	peer->since = now_ms;
	dnssd_sent_clear(peer->sent);
	proxy_ntab_filter(&peer->exp_hosts, NULL, NULL);
	proxy_ntab_filter(&peer->held, NULL, NULL);
	proxy_ntab_filter(&peer->exp_inst, NULL, NULL);
	export_everything(p, peer);
	/* Learn what the LAN has now (browsing goes on from the answers). */
	proxy_lan_ask(p, p->enum_name, LDNS_RR_TYPE_PTR);
	/* What we hold from the peer must come again; a restarted peer is asked. */
	if (dnssd_cache_count(peer->remote)) {
		peer->resync = true;
		peer->resync_at = now_ms + RESYNC_WINDOW_MS;
		ask_types_again(p, peer);
	}
	proxy_leave(p);
}

void proxy_peer_down(struct proxy *p, unsigned peer_id, uint64_t now_ms)
{
	struct rpeer *peer;
	if (!p || !(peer = proxy_peer_by_id(p, peer_id)) || !peer->up)
		return;
	proxy_enter(p, now_ms);
	peer->up = false;
	peer->since = now_ms;
	peer->resync = false;
	peer->grace = true;
	peer->grace_at = now_ms + (uint64_t)peer->rc.grace_s * 1000;
	proxy_rv_free(&peer->fwdq);
	proxy_leave(p);
}

void proxy_goodbye_entry(void *arg, struct dnssd_entry *e)
{
	if (!dnssd_entry_is_goodbye(e))
		proxy_lan_goodbye_entry(arg, e);
}

/* Everything learned from peer leaves the LAN now. */
void proxy_withdraw_peer(struct proxy *p, struct rpeer *peer)
{
	p->pub_dirty = true;
	dnssd_cache_remove_origin(peer->remote, 0, proxy_goodbye_entry, p);
	proxy_ntab_filter(&peer->imp_hosts, NULL, NULL);
	proxy_ntab_filter(&peer->imp_inst, NULL, NULL);
	proxy_ntab_filter(&peer->fwd, NULL, NULL);
	proxy_purge_peer_items(p, peer);
}

void proxy_rpeer_free(struct rpeer *peer)
{
	if (!peer)
		return;
	dnssd_sent_free(peer->sent);
	dnssd_cache_free(peer->remote);
	proxy_ntab_fini(&peer->exp_hosts);
	proxy_ntab_fini(&peer->held);
	proxy_ntab_fini(&peer->exp_inst);
	proxy_ntab_fini(&peer->imp_hosts);
	proxy_ntab_fini(&peer->imp_inst);
	proxy_ntab_fini(&peer->fwd);
	proxy_rv_free(&peer->fwdq);
	free(peer);
}

void proxy_remote_cfg_of_peer(struct rpeer *peer, const struct policy_config *cfg,
                              const struct policy_peer *pc)
{
	peer->pcfg = pc;
	peer->rc = (struct proxy_remote_cfg){
	    .name = peer->name,
	    .export_rules = policy_peer_export(pc),
	    .addrmap = policy_peer_addrmap(pc),
	    .keep_linklocal = policy_peer_keep_linklocal(pc),
	    .import_rules = policy_peer_import(pc),
	    .grace_s = policy_config_peer_grace(cfg),
	};
}

/* Everything of a remote but its settings; NULL on ENOMEM. */
static struct rpeer *remote_alloc(const struct policy_config *cfg, unsigned id,
                                  const char *name)
{
	struct rpeer *peer = calloc(1, sizeof(*peer));
	if (!peer)
		goto fail;
	peer->id = id;
	snprintf(peer->name, sizeof(peer->name), "%s", name);
	peer->remote_max = policy_config_max_records_per_peer(cfg);
	peer->fwd_q.tok = peer->in_q.tok = (uint64_t)policy_config_queries_per_second(cfg) * 1000;
	if (!(peer->sent = dnssd_sent_new(SENT_MAX_RECORDS)) ||
	    !(peer->remote = dnssd_cache_new(peer->remote_max)) ||
	    proxy_ntab_init(&peer->exp_hosts) < 0 || proxy_ntab_init(&peer->held) < 0 ||
	    proxy_ntab_init(&peer->exp_inst) < 0 ||
	    proxy_ntab_init(&peer->imp_hosts) < 0 ||
	    proxy_ntab_init(&peer->imp_inst) < 0 || proxy_ntab_init(&peer->fwd) < 0)
		goto fail;
	return peer;
fail:
	proxy_rpeer_free(peer);
	return NULL;
}

struct rpeer *proxy_rpeer_new(const struct policy_config *cfg, unsigned id)
{
	const struct policy_peer *pc = policy_config_peer(cfg, id);
	struct rpeer *peer = pc ? remote_alloc(cfg, id, policy_peer_name(pc)) : NULL;
	if (peer)
		proxy_remote_cfg_of_peer(peer, cfg, pc);
	return peer;
}

struct rpeer *proxy_remote_new(const struct policy_config *cfg, unsigned id,
                               const struct proxy_remote_cfg *rc)
{
	struct rpeer *peer = remote_alloc(cfg, id, rc->name);
	if (peer) {
		peer->rc = *rc;
		peer->rc.name = peer->name;
		if (!peer->rc.grace_s)
			peer->rc.grace_s = policy_config_peer_grace(cfg);
	}
	return peer;
}

bool proxy_alias_of_peer(struct nent *e, const void *arg)
{
	return e->peer == arg;
}
