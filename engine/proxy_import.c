/*
 * proxy_import.c: peer in -> import: records and questions from remotes; the
 * import policy, renaming, the remote caches and their aliases (proxy_int.h).
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
		if (p->nwait)
			proxy_answer_waiters(p, rr);
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
		if (p->nwait)
			proxy_answer_waiters(p, rr);
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

/*
 * The start of an entry point with n records or questions from remote peer_id:
 * the engine entered, and the remote's state, or NULL when the call is void or
 * the remote unknown (what it carried counted as dropped).
 */
static struct rpeer *peer_enter(struct proxy *p, unsigned peer_id, ldns_rr *const *v,
                                size_t n, uint64_t now_ms)
{
	if (!p || (!v && n))
		return NULL;
	proxy_enter(p, now_ms);
	struct rpeer *peer = proxy_peer_by_id(p, peer_id);
	if (!peer)
		p->st.drops[PROXY_DROP_PEER] += n;
	return peer;
}

void proxy_peer_records(struct proxy *p, unsigned peer_id, const char *origin,
                        unsigned hops, ldns_rr *const *rrs, size_t n, uint64_t now_ms)
{
	struct rpeer *peer = peer_enter(p, peer_id, rrs, n, now_ms);
	if (!peer)
		return;
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

void proxy_peer_questions(struct proxy *p, unsigned peer_id, ldns_rr *const *qs, size_t n,
                          uint64_t now_ms)
{
	struct lset recs = {0};
	struct rpeer *peer = peer_enter(p, peer_id, qs, n, now_ms);
	if (!peer)
		return;
	peer->questions_in += n;
	for (size_t i = 0; i < n; i++) {
		const ldns_rr *q = qs[i];
		if (!q || !proxy_is_dname(ldns_rr_owner(q)))
			continue;
		if (!proxy_question_token(p, &peer->in_q)) {
			p->st.drops[PROXY_DROP_RATE]++;
			continue;
		}
		proxy_lan_ask(p, ldns_rr_owner(q), proxy_rr_type(q));
		proxy_local_answers(p, ldns_rr_owner(q), proxy_rr_type(q), &recs, 0);
	}
	proxy_lset_sort(&recs);
	proxy_lset_export(p, peer, &recs, true, NULL);
	proxy_lset_free(&recs);
	proxy_leave(p);
}
