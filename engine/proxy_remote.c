/*
 * proxy_remote.c: the remotes of the proxy engine (remote.h), peer links and
 * added remotes alike: their state, link up (resync: everything exportable sent
 * again, what we hold from it asked for again) and down (grace period), and
 * what is withdrawn from the LAN when a remote's records go (proxy_int.h).
 */
#include <config.h>

#include "engine/proxy_int.h"

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
