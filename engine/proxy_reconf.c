/*
 * proxy_reconf.c: a new configuration taken over by the running proxy
 * engine: peers added, removed or changed, records decided again under the
 * new rules and names (proxy_int.h).
 */
#include <config.h>

#include "engine/proxy_int.h"

/* ------------------------------------------------------------ reconfiguration */

/* Records the peer should not hold any more: old selection minus the new one. */
static void withdraw_exports(struct proxy *p, struct rpeer *peer, const struct rrvec *old,
                             const struct rrvec *now_sel)
{
	struct dnssd_cache *set = dnssd_cache_new(0);
	struct rrvec out = {0};
	if (!set)
		return;
	for (size_t i = 0; i < now_sel->n; i++)
		if (ldns_rr_ttl(now_sel->v[i]) > 0)
			dnssd_cache_put(set, now_sel->v[i], 0, p->now, NULL, NULL, NULL);
	for (size_t i = 0; i < old->n; i++) {
		if (dnssd_cache_get(set, old->v[i]))
			continue;
		ldns_rr *gb = proxy_clone_ttl(old->v[i], 0);
		if (gb && dnssd_sent_check(peer->sent, gb, p->now))
			proxy_rv_push_own(&out, gb);
		else
			ldns_rr_free(gb);
	}
	proxy_send_records(p, peer, &out);
	proxy_rv_free(&out);
	dnssd_cache_free(set);
}

static int entry_rank_cmp(const void *a, const void *b)
{
	return proxy_type_rank_of(dnssd_entry_type(*(struct dnssd_entry *const *)a)) -
	       proxy_type_rank_of(dnssd_entry_type(*(struct dnssd_entry *const *)b));
}

/* Decide a peer's records again under the new import rules and names templates. */
static void reimport(struct proxy *p, struct rpeer *peer, const struct dnssd_rename *rn)
{
	struct ent_list l = {0};
	struct rrvec orig = {0}, put = {0};
	bool *allow = NULL;
	struct proxy_remote_ctx cbarg = {p, peer};

	dnssd_cache_foreach(peer->remote, proxy_list_entry, &l);
	if (!l.n)
		goto out;
	/* services first, so that slices decide addresses through imp_hosts */
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), entry_rank_cmp);
	for (size_t i = 0; i < l.n; i++) {
		ldns_rr *cur = dnssd_entry_rr_new(l.v[i]);
		ldns_rr *o = cur ? proxy_unrename_rr(p, cur) : NULL;
		ldns_rr_free(cur);
		if (o)
			ldns_rr_set_ttl(o, dnssd_entry_ttl_left(l.v[i], p->now));
		if (proxy_rv_push_own(&orig, o) < 0)
			goto out;
	}
	if (!(allow = calloc(l.n, sizeof(*allow))))
		goto out;
	struct policy_filter_ctx ctx = {
	    .rules = peer->rc.import_rules,
	    .host_known = proxy_imp_host_known,
	    .instance_host = proxy_imp_instance_host,
	    .arg = &cbarg,
	};
	/* what the old rules let through says nothing now */
	proxy_ntab_filter(&peer->imp_hosts, NULL, NULL);
	proxy_ntab_filter(&peer->imp_inst, NULL, NULL);
	for (size_t i = 0; i < l.n; i += EXPORT_SLICE) {
		size_t k = l.n - i < EXPORT_SLICE ? l.n - i : EXPORT_SLICE;
		policy_filter(&ctx, orig.v + i, k, allow + i);
		for (size_t j = i; j < i + k; j++)
			if (allow[j])
				proxy_import_track(p, peer, orig.v[j]);
	}
	for (size_t i = 0; i < l.n; i++) {
		ldns_rr *cur = dnssd_entry_rr_new(l.v[i]);
		ldns_rr *c = allow[i] ? ldns_rr_clone(orig.v[i]) : NULL;
		bool renamed = c && dnssd_rename_rr(rn, peer->name, c) == 0;
		if (renamed && cur && proxy_rr_same(c, cur)) {
			ldns_rr_free(c);
			ldns_rr_free(cur);
			continue;
		}
		if (cur)
			proxy_lan_goodbye(p, cur);
		ldns_rr_free(cur);
		dnssd_cache_remove(peer->remote, l.v[i]);
		if (renamed && ldns_rr_ttl(c) > 0) {
			proxy_record_aliases(p, peer, orig.v[i], c);
			proxy_rv_push_own(&put, c);
		} else {
			ldns_rr_free(c);
		}
	}
	for (size_t i = 0; i < put.n; i++)
		proxy_import_put(p, peer, put.v[i]);
out:
	free(allow);
	free(l.v);
	proxy_rv_free(&orig);
	proxy_rv_free(&put);
}

/* A new bound for a peer's cache: the records move to a cache of the new size. */
static int resize_remote(struct proxy *p, struct rpeer *peer, uint32_t max)
{
	struct dnssd_cache *nc = dnssd_cache_new(max);
	struct ent_list l = {0};
	if (!nc)
		return -ENOMEM;
	dnssd_cache_foreach(peer->remote, proxy_list_entry, &l);
	for (size_t i = 0; i < l.n; i++) {
		struct dnssd_entry *e = NULL;
		ldns_rr *c =
		    proxy_entry_rr_ttl(l.v[i], dnssd_entry_ttl_left(l.v[i], p->now));
		if (!c)
			continue;
		if (dnssd_cache_put(nc, c, 0, p->now, &e, proxy_remote_evicted, p) < 0) {
			p->st.drops[PROXY_DROP_LIMIT]++;
			proxy_lan_goodbye(p, c);
		} else if (e) {
			dnssd_entry_set_aux(e, 0, dnssd_entry_aux(l.v[i], 0));
			dnssd_entry_set_aux(e, 1, dnssd_entry_aux(l.v[i], 1));
		}
		ldns_rr_free(c);
	}
	free(l.v);
	dnssd_cache_free(peer->remote);
	peer->remote = nc;
	peer->remote_max = max;
	return 0;
}

int proxy_reconfigure(struct proxy *p, const struct policy_config *newcfg,
                      uint64_t now_ms)
{
	size_t nn, nextra;
	struct rpeer **np = NULL;
	struct rrvec *oldsel = NULL;
	struct lset all = {0};
	struct dnssd_rename *rn;

	if (!p || !newcfg)
		return -EINVAL;
	proxy_enter(p, now_ms);
	nn = policy_config_npeers(newcfg);
	nextra = p->npeers - p->ncfgpeers;
	rn = dnssd_rename_new(policy_config_host_suffix(newcfg),
	                      policy_config_instance_suffix(newcfg));
	np = calloc(nn + nextra ? nn + nextra : 1, sizeof(*np));
	oldsel = calloc(nn ? nn : 1, sizeof(*oldsel));
	if (!rn || !np || !oldsel)
		goto fail;
	for (size_t i = 0; i < nn; i++) {
		const char *name = policy_peer_name(policy_config_peer(newcfg, i));
		for (size_t j = 0; j < p->ncfgpeers; j++)
			if (p->peers[j] && strcmp(p->peers[j]->name, name) == 0)
				np[i] = p->peers[j];
		if (!np[i] && !(np[i] = proxy_rpeer_new(newcfg, (unsigned)i)))
			goto fail;
	}
	/* Added remotes stay as they are (remote.h: the caller updates them). */
	for (size_t k = 0; k < nextra; k++)
		np[nn + k] = p->peers[p->ncfgpeers + k];

	/* What each kept peer holds under the old rules. */
	proxy_collect_local(p, &all, true);
	for (size_t i = 0; i < nn; i++)
		if (np[i]->pcfg && np[i]->up &&
		    np[i]->pcfg != policy_config_peer(newcfg, i))
			proxy_lset_export(p, np[i], &all, false, &oldsel[i]);

	/* Switch. */
	for (size_t j = 0; j < p->npeers; j++) {
		bool kept = false;
		for (size_t i = 0; i < nn + nextra; i++)
			kept |= np[i] == p->peers[j];
		if (!kept) {
			proxy_withdraw_peer(p, p->peers[j]);
			proxy_ntab_filter(&p->alias, proxy_alias_of_peer, p->peers[j]);
			proxy_rpeer_free(p->peers[j]);
		}
	}
	free(p->peers);
	p->peers = np;
	p->npeers = nn + nextra;
	p->ncfgpeers = nn;
	p->cfg = newcfg;
	dnssd_rename_free(p->rename);
	p->rename = rn;
	for (size_t i = 0; i < nn; i++) {
		struct rpeer *peer = np[i];
		uint32_t max = policy_config_max_records_per_peer(newcfg);
		proxy_remote_cfg_of_peer(peer, newcfg, policy_config_peer(newcfg, i));
		peer->id = (unsigned)i;
		if (max != peer->remote_max)
			resize_remote(p, peer, max);
		reimport(p, peer, rn);
		if (!peer->up)
			continue;
		struct rrvec sel = {0};
		proxy_ntab_filter(&peer->exp_hosts, NULL, NULL);
		proxy_lset_export(p, peer, &all, false, &sel);
		withdraw_exports(p, peer, &oldsel[i], &sel);
		proxy_rv_free(&sel);
		proxy_ntab_filter(&peer->held, NULL, NULL);
		proxy_lset_export(p, peer, &all, false, NULL);
	}
	for (size_t k = 0; k < nextra; k++)
		reimport(p, np[nn + k], rn);
	for (size_t i = 0; i < nn; i++)
		proxy_rv_free(&oldsel[i]);
	free(oldsel);
	proxy_lset_free(&all);
	p->pub_dirty = true;
	proxy_leave(p);
	return 0;
fail:
	if (np)
		for (size_t i = 0; i < nn; i++) {
			bool old = false;
			for (size_t j = 0; j < p->npeers; j++)
				old |= np[i] == p->peers[j];
			if (!old)
				proxy_rpeer_free(np[i]);
		}
	free(np);
	free(oldsel);
	dnssd_rename_free(rn);
	return -ENOMEM;
}

/* ------------------------------------------------------------ added remotes */

long proxy_add_remote(struct proxy *p, const struct proxy_remote_cfg *rc,
                      const struct proxy_remote_ops *ops, void *arg, uint64_t now_ms)
{
	struct rpeer **np, *peer;

	if (!p || !rc || !ops || !rc->name || !rc->name[0] ||
	    strlen(rc->name) > PROXY_REMOTE_NAME_MAX || (rc->export_rules && !ops->send_records))
		return -EINVAL;
	for (size_t i = 0; i < p->npeers; i++)
		if (strcmp(p->peers[i]->name, rc->name) == 0)
			return -EEXIST;
	if (p->next_remote_id == UINT32_MAX)
		return -ENOSPC;
	/* one more slot: the array is sized to the remotes (reconfiguration resizes it) */
	if (!(np = realloc(p->peers, (p->npeers + 1) * sizeof(*np))))
		return -ENOMEM;
	p->peers = np;
	if (!(peer = proxy_remote_new(p->cfg, p->next_remote_id, rc)))
		return -ENOMEM;
	proxy_enter(p, now_ms);
	peer->ops = *ops;
	peer->ops_arg = arg;
	p->peers[p->npeers++] = peer;
	proxy_leave(p);
	return (long)p->next_remote_id++;
}

static struct rpeer *added_remote(struct proxy *p, unsigned id)
{
	struct rpeer *peer = id >= PROXY_REMOTE_ID_BASE ? proxy_peer_by_id(p, id) : NULL;
	return peer && !peer->pcfg ? peer : NULL;
}

int proxy_update_remote(struct proxy *p, unsigned id, const struct proxy_remote_cfg *rc,
                        uint64_t now_ms)
{
	struct rpeer *peer;
	struct lset all = {0};
	struct rrvec oldsel = {0}, sel = {0};

	if (!p || !rc || !(peer = added_remote(p, id)))
		return -ENOENT;
	proxy_enter(p, now_ms);
	if (peer->up) {
		proxy_collect_local(p, &all, true);
		proxy_lset_export(p, peer, &all, false, &oldsel);
	}
	peer->rc = *rc;
	peer->rc.name = peer->name;
	if (!peer->rc.grace_s)
		peer->rc.grace_s = policy_config_peer_grace(p->cfg);
	reimport(p, peer, p->rename);
	if (peer->up) {
		proxy_ntab_filter(&peer->exp_hosts, NULL, NULL);
		proxy_lset_export(p, peer, &all, false, &sel);
		withdraw_exports(p, peer, &oldsel, &sel);
		proxy_ntab_filter(&peer->held, NULL, NULL);
		proxy_lset_export(p, peer, &all, false, NULL);
	}
	proxy_rv_free(&oldsel);
	proxy_rv_free(&sel);
	proxy_lset_free(&all);
	p->pub_dirty = true;
	proxy_leave(p);
	return 0;
}

int proxy_remove_remote(struct proxy *p, unsigned id, uint64_t now_ms)
{
	struct rpeer *peer;

	if (!p || !(peer = added_remote(p, id)))
		return -ENOENT;
	proxy_enter(p, now_ms);
	proxy_withdraw_peer(p, peer);
	proxy_ntab_filter(&p->alias, proxy_alias_of_peer, peer);
	for (size_t i = p->ncfgpeers; i < p->npeers; i++)
		if (p->peers[i] == peer) {
			memmove(&p->peers[i], &p->peers[i + 1],
			        (p->npeers - i - 1) * sizeof(*p->peers));
			p->npeers--;
			break;
		}
	proxy_rpeer_free(peer);
	p->pub_dirty = true;
	proxy_leave(p);
	return 0;
}
