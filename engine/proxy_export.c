/*
 * proxy_export.c: export -> peer out: what a remote may get (policy, address
 * maps, services held until their host has an address, dedup) and the records
 * sent to it (proxy_int.h).
 */
#include <config.h>

#include "engine/proxy_int.h"

/* ------------------------------------------------------------ export to peers */

static bool exp_host_known(void *arg, const ldns_rdf *host)
{
	struct rpeer *peer = ((struct proxy_remote_ctx *)arg)->peer;
	const struct proxy *p = ((struct proxy_remote_ctx *)arg)->p;
	const struct nent *e = proxy_ntab_find(&peer->exp_hosts, host, 0);
	return e && e->t > p->now;
}

const ldns_rdf *proxy_local_instance_host(void *arg, const ldns_rdf *instance)
{
	struct proxy *p = ((struct proxy_remote_ctx *)arg)->p;
	struct dnssd_entry *srv =
	    proxy_first_live(p->local, instance, LDNS_RR_TYPE_SRV, p->now);
	/* The name is needed until the next call only (policy/filter.h). */
	ldns_rr_free(p->host_scratch);
	p->host_scratch = srv ? dnssd_entry_rr_new(srv) : NULL;
	return p->host_scratch ? dnssd_srv_target(p->host_scratch) : NULL;
}

struct ready_ctx {
	bool keep_ll;
	bool any, ready;
};

/* An address of the host: one the peer may have ends the walk. */
static bool addr_ready(void *arg, const struct dnssd_addr *a)
{
	struct ready_ctx *rc = arg;
	rc->any = true;
	rc->ready = rc->keep_ll || !dnssd_addr_is_linklocal(a->af, a->a);
	return !rc->ready;
}

/*
 * Whether an instance can be offered to peer: its SRV known and its host with an
 * address the peer may have. Otherwise *ask_srv or *ask_host say what the LAN
 * should be asked for; *ask_host stays valid until the next call.
 */
bool proxy_instance_ready(struct proxy *p, const struct rpeer *peer, const ldns_rdf *inst,
                          const ldns_rdf **ask_host, bool *ask_srv)
{
	struct dnssd_entry *buf[4], **srv;
	bool keep_ll = peer->rc.keep_linklocal, ready = false, have_srv = false;
	size_t ns =
	    dnssd_cache_find_all(p->local, inst, LDNS_RR_TYPE_SRV, 0, p->now, buf, 4, &srv);

	*ask_host = NULL;
	*ask_srv = false;
	for (size_t i = 0; i < ns && !have_srv; i++) {
		ldns_rr *srr =
		    dnssd_entry_is_goodbye(srv[i]) ? NULL : dnssd_entry_rr_new(srv[i]);
		const ldns_rdf *host = srr ? dnssd_srv_target(srr) : NULL;
		if (!host) {
			ldns_rr_free(srr);
			continue;
		}
		/* the first live SRV decides */
		have_srv = true;
		struct ready_ctx rc = {keep_ll, false, false};
		proxy_host_addr_each(p->local, host, p->now, addr_ready, &rc);
		ready = rc.ready;
		if (!ready && !rc.any) {
			/* the caller asks for it: a name of our own */
			ldns_rr_free(p->ready_scratch);
			p->ready_scratch = srr;
			*ask_host = host;
		} else {
			ldns_rr_free(srr);
		}
	}
	dnssd_cache_found_free(srv, buf);
	*ask_srv = !have_srv;
	return ready;
}

static void hold_rr(struct rpeer *peer, const ldns_rdf *inst, const ldns_rr *rr,
                    uint64_t now)
{
	struct nent *h = proxy_ntab_add(&peer->held, inst, 0);
	if (!h)
		return;
	for (size_t i = 0; i < h->nrr; i++) {
		if (proxy_rr_same(h->rrs[i], rr)) {
			ldns_rr *c = ldns_rr_clone(rr);
			if (c) {
				ldns_rr_free(h->rrs[i]);
				h->rrs[i] = c;
			}
			goto stamp;
		}
	}
	if (dnssd_grow((void **)&h->rrs, &h->rrcap, h->nrr + 1, sizeof(*h->rrs)) == 0) {
		ldns_rr *c = ldns_rr_clone(rr);
		if (c)
			h->rrs[h->nrr++] = c;
	}
stamp:;
	uint64_t exp = now + (uint64_t)ldns_rr_ttl(rr) * 1000;
	if (exp > h->t)
		h->t = exp;
}

static void unhold_rr(struct rpeer *peer, const ldns_rdf *inst, const ldns_rr *rr)
{
	struct nent *h = proxy_ntab_find(&peer->held, inst, 0);
	if (!h)
		return;
	for (size_t i = 0; i < h->nrr; i++) {
		if (proxy_rr_same(h->rrs[i], rr)) {
			ldns_rr_free(h->rrs[i]);
			h->rrs[i] = h->rrs[--h->nrr];
			break;
		}
	}
	if (!h->nrr)
		proxy_ntab_del(&peer->held, h);
}

/* Remember the host a held instance's SRV targets, if known, as waited for. */
static void hold_host(struct proxy *p, struct rpeer *peer, const ldns_rdf *inst,
                      const ldns_rr *rr)
{
	struct proxy_remote_ctx cbarg = {p, peer};
	const ldns_rdf *host = proxy_local_instance_host(&cbarg, inst);
	struct nent *h;
	if (!host || !(h = proxy_ntab_add(&peer->held, host, HELD_HOST)))
		return;
	uint64_t exp = p->now + (uint64_t)ldns_rr_ttl(rr) * 1000;
	if (exp > h->t)
		h->t = exp;
}

struct release_ctx {
	struct proxy *p;
	struct rpeer *peer;
	struct rrvec *out;
};

static bool release_ready(struct nent *h, const void *arg)
{
	const struct release_ctx *rc = arg;
	const ldns_rdf *host;
	bool ask_srv;

	if (!h->nrr ||
	    !proxy_instance_ready(rc->p, rc->peer, proxy_instance_of(h->rrs[0]), &host,
	                          &ask_srv))
		return false;
	for (size_t i = 0; i < h->nrr; i++) {
		if (dnssd_sent_check(rc->peer->sent, h->rrs[i], rc->p->now) &&
		    proxy_rv_push_own(rc->out, h->rrs[i]) == 0) {
			h->rrs[i] = NULL;
		}
	}
	return true;
}

/* Tell the log which services the peer now holds or no longer holds. */
static void note_exports(struct proxy *p, struct rpeer *peer, const struct rrvec *out)
{
	for (size_t i = 0; i < out->n; i++) {
		const ldns_rr *rr = out->v[i];
		const ldns_rdf *inst = ldns_rr_owner(rr);
		if (proxy_rr_type(rr) != LDNS_RR_TYPE_SRV)
			continue;
		struct nent *e = proxy_ntab_find(&peer->exp_inst, inst, 0);
		if (ldns_rr_ttl(rr) == 0) {
			if (e) {
				proxy_ntab_del(&peer->exp_inst, e);
				p->io.service_event(p->io.arg, peer->id,
				                    PROXY_SVC_UNEXPORTED, inst);
			}
			continue;
		}
		if (!e && proxy_ntab_count(&peer->exp_inst) < EXP_INST_MAX &&
		    (e = proxy_ntab_add(&peer->exp_inst, inst, 0)))
			p->io.service_event(p->io.arg, peer->id, PROXY_SVC_EXPORTED,
			                    inst);
		uint64_t exp = p->now + (uint64_t)ldns_rr_ttl(rr) * 1000;
		if (e && exp > e->t)
			e->t = exp;
	}
}

void proxy_send_records(struct proxy *p, struct rpeer *peer, const struct rrvec *out)
{
	int (*send)(void *, unsigned, const char *, unsigned, const ldns_rr *const *, size_t);
	void *arg = peer->pcfg ? p->io.arg : peer->ops_arg;
	send = peer->pcfg ? p->io.peer_send_records : peer->ops.send_records;
	if (!out->n || !send)
		return;
	const char *site = policy_config_site(p->cfg);
	if (send(arg, peer->id, site, 0, out->v, out->n) < 0) {
		p->st.peer_send_errors++;
		return;
	}
	peer->records_out += out->n;
	if (p->io.service_event)
		note_exports(p, peer, out);
}

/* Add live local records of name and type (and rdata name target) to cand, once. */
static void add_cached(struct proxy *p, struct rrvec *cand, const ldns_rdf *name,
                       uint16_t type, const ldns_rdf *target)
{
	struct dnssd_entry *buf[32], **ad;
	size_t na = dnssd_cache_find_all(p->local, name, type, 0, p->now, buf, 32, &ad);
	for (size_t j = 0; j < na; j++) {
		if (dnssd_entry_is_goodbye(ad[j]))
			continue;
		ldns_rr *a = dnssd_entry_rr_new(ad[j]);
		bool dup = !a || (target && !dnssd_name_eq(dnssd_rdf_name(a, 0), target));
		for (size_t k = 0; k < cand->n && !dup; k++)
			dup = proxy_rr_same(cand->v[k], a);
		if (dup)
			ldns_rr_free(a);
		else
			proxy_rv_push_own(cand, a);
	}
	dnssd_cache_found_free(ad, buf);
}

/*
 * Whether the LAN has an instance of the type an enumeration PTR names. Types are
 * offered only with instances, so that our own announcements of a remote type,
 * repeated here, do not make the type look local.
 */
static bool type_has_instances(struct proxy *p, const ldns_rr *rr)
{
	const ldns_rdf *type = dnssd_rdf_name(rr, 0);
	return type && proxy_first_live(p->local, type, LDNS_RR_TYPE_PTR, p->now);
}

/*
 * What of recs the peer may have, as it must see it: export policy, link-local
 * addresses dropped, addresses mapped. Adds to sel (clones where rewritten).
 */
static void select_export(struct proxy *p, struct rpeer *peer, const ldns_rr *const *recs,
                          size_t n, const struct policy_sender *sender, struct rrvec *sel)
{
	struct rrvec cand = {0};
	bool *allow = NULL;
	struct proxy_remote_ctx cbarg = {p, peer};
	const struct dnssd_addrmap *map = peer->rc.addrmap;
	bool keep_ll = peer->rc.keep_linklocal;

	for (size_t i = 0; i < n; i++)
		proxy_rv_push(&cand, recs[i]);
	/*
	 * Host records follow services: the target's addresses go with a new SRV;
	 * and the enumeration PTR of a type goes with the type's PTRs.
	 */
	for (size_t i = 0; i < n; i++) {
		const ldns_rdf *host = dnssd_srv_target(recs[i]);
		if (ldns_rr_ttl(recs[i]) == 0)
			continue;
		if (host) {
			add_cached(p, &cand, host, LDNS_RR_TYPE_A, NULL);
			add_cached(p, &cand, host, LDNS_RR_TYPE_AAAA, NULL);
		} else if (proxy_rr_type(recs[i]) == LDNS_RR_TYPE_PTR &&
		           dnssd_name_kind(ldns_rr_owner(recs[i])) ==
		               DNSSD_NAME_SERVICE_TYPE) {
			add_cached(p, &cand, p->enum_name, LDNS_RR_TYPE_PTR,
			           ldns_rr_owner(recs[i]));
		}
	}
	if (!cand.n || !(allow = calloc(cand.n, sizeof(*allow))))
		goto out;

	struct policy_filter_ctx ctx = {
	    .rules = peer->rc.export_rules,
	    .sender = sender,
	    .host_known = exp_host_known,
	    .instance_host = proxy_local_instance_host,
	    .arg = &cbarg,
	};
	policy_filter(&ctx, cand.v, cand.n, allow);

	for (size_t i = 0; i < cand.n; i++) {
		const ldns_rr *rr = cand.v[i];
		int af;
		const uint8_t *a;
		if (!allow[i]) {
			if (i < n)
				p->st.drops[PROXY_DROP_POLICY]++;
			continue;
		}
		if (proxy_rr_type(rr) == LDNS_RR_TYPE_PTR && ldns_rr_ttl(rr) > 0 &&
		    dnssd_name_kind(ldns_rr_owner(rr)) == DNSSD_NAME_ENUM &&
		    !type_has_instances(p, rr))
			continue;
		if (proxy_rr_addr(rr, &af, &a)) {
			if (!keep_ll && dnssd_addr_is_linklocal(af, a))
				continue;
			uint8_t buf[16];
			memcpy(buf, a, af == AF_INET ? 4 : 16);
			if (dnssd_addrmap_apply(map, af, buf)) {
				ldns_rr *c = ldns_rr_clone(rr);
				ldns_rdf *d = ldns_rdf_new_frm_data(
				    af == AF_INET ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA,
				    af == AF_INET ? 4 : 16, buf);
				if (!c || !d) {
					ldns_rr_free(c);
					ldns_rdf_deep_free(d);
					continue;
				}
				ldns_rdf_deep_free(ldns_rr_set_rdf(c, d, 0));
				proxy_rv_push_own(sel, c);
				continue;
			}
		}
		const ldns_rdf *host = dnssd_srv_target(rr);
		if (host && ldns_rr_ttl(rr) > 0) {
			struct nent *h = proxy_ntab_add(&peer->exp_hosts, host, 0);
			uint64_t exp = p->now + (uint64_t)ldns_rr_ttl(rr) * 1000;
			if (h && exp > h->t)
				h->t = exp;
		}
		proxy_rv_push(sel, rr);
	}
out:
	free(allow);
	/* records built from the cache may be in sel: they live as long as it does */
	if (proxy_rv_give(sel, &cand) < 0)
		sel->n = 0; /* cannot keep them: select nothing rather than dangle */
	proxy_rv_free(&cand);
}

/*
 * Export recs to one peer: select, hold back services whose host has no usable
 * address yet, de-duplicate (unless force) and send.
 */
static void export_batch(struct proxy *p, struct rpeer *peer, const ldns_rr *const *recs,
                         size_t n, const struct policy_sender *sender, bool force)
{
	struct rrvec sel = {0}, out = {0};
	bool recheck = false;

	select_export(p, peer, recs, n, sender, &sel);
	for (size_t i = 0; i < sel.n; i++) {
		const ldns_rr *rr = sel.v[i];
		const ldns_rdf *inst = proxy_instance_of(rr), *host;
		bool ask_srv;
		uint16_t t = proxy_rr_type(rr);

		if (((t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_AAAA) &&
		     proxy_ntab_find(&peer->held, ldns_rr_owner(rr), HELD_HOST)) ||
		    (t == LDNS_RR_TYPE_SRV &&
		     proxy_ntab_find(&peer->held, ldns_rr_owner(rr), 0)))
			recheck = true;
		if (inst && ldns_rr_ttl(rr) == 0) {
			unhold_rr(peer, inst, rr);
		} else if (inst &&
		           !proxy_instance_ready(p, peer, inst, &host, &ask_srv)) {
			if (!proxy_ntab_find(&peer->held, inst, 0) &&
			    proxy_ntab_count(&peer->held) >= HELD_MAX) {
				/* services that never complete, by the thousand */
				p->st.drops[PROXY_DROP_LIMIT]++;
				continue;
			}
			hold_rr(peer, inst, rr, p->now);
			hold_host(p, peer, inst, rr);
			if (ask_srv) {
				proxy_lan_ask(p, inst, LDNS_RR_TYPE_SRV);
				proxy_lan_ask(p, inst, LDNS_RR_TYPE_TXT);
			} else if (host) {
				proxy_lan_ask(p, host, LDNS_RR_TYPE_A);
				proxy_lan_ask(p, host, LDNS_RR_TYPE_AAAA);
			}
			continue;
		}
		bool go = dnssd_sent_check(peer->sent, rr, p->now);
		if (go || (force && ldns_rr_ttl(rr) > 0))
			proxy_rv_push(&out, rr);
	}
	if (recheck && proxy_ntab_count(&peer->held)) {
		struct release_ctx rc = {p, peer, &out};
		proxy_ntab_filter(&peer->held, release_ready, &rc);
	}
	proxy_send_records(p, peer, &out);
	/* out may point at clones owned by sel */
	proxy_rv_free(&out);
	proxy_rv_free(&sel);
}

void proxy_export_all_peers(struct proxy *p, const ldns_rr *const *recs, size_t n,
                            const struct policy_sender *sender)
{
	for (size_t i = 0; i < p->npeers; i++)
		if (p->peers[i]->up)
			export_batch(p, p->peers[i], recs, n, sender, false);
}

/* Whether a name is one we proxy_announce for a peer (or did lately). */
bool proxy_name_is_remote(struct proxy *p, const ldns_rdf *name)
{
	const struct nent *a = proxy_ntab_find(&p->alias, name, 0);
	if (a)
		return true;
	for (size_t i = 0; i < p->npeers; i++) {
		struct dnssd_entry *tmp[1];
		if (dnssd_cache_find(p->peers[i]->remote, name, LDNS_RR_TYPE_ANY, 0,
		                     p->now, tmp, 1) > 0)
			return true;
	}
	return false;
}

/* Whether some up peer may be offered services of this type. */
bool proxy_type_exported(struct proxy *p, const ldns_rdf *type)
{
	struct dnssd_svcname sn;
	if (dnssd_svcname_parse(type, &sn) < 0 || sn.kind != DNSSD_NAME_SERVICE_TYPE)
		return false;
	struct policy_subject s = {.service = sn.service};
	for (size_t i = 0; i < p->npeers; i++)
		if (p->peers[i]->up &&
		    policy_decide_any_instance(p->peers[i]->rc.export_rules,
		                               &s) == POLICY_ALLOW)
			return true;
	return false;
}

/* ------------------------------------------------------------ peer questions */

/*
 * Local records gathered for export, each with the sender that said it (kept in
 * the local entry's aux slots as an IPv6 or IPv4-mapped address), because
 * `address` rules decide on the sender.
 */
struct litem {
	const ldns_rr *rr;
	struct policy_sender snd;
	int rank;
};

int proxy_type_rank_of(uint16_t type)
{
	switch (type) {
	case LDNS_RR_TYPE_SRV:
		return 0;
	case LDNS_RR_TYPE_TXT:
		return 1;
	case LDNS_RR_TYPE_PTR:
		return 2;
	case LDNS_RR_TYPE_A:
	case LDNS_RR_TYPE_AAAA:
		return 3;
	default:
		return 4;
	}
}

static int type_rank(const ldns_rr *rr)
{
	return proxy_type_rank_of(proxy_rr_type(rr));
}

/* Add a live entry; stored_ttl keeps the TTL as received rather than what is left. */
/*
 * Add entry e, as built already (rr, which ls then owns: it stays valid while
 * ls does, or is freed at once when false is returned) or else built here.
 */
static bool lset_add(struct proxy *p, struct lset *ls, struct dnssd_entry *e,
                     bool stored_ttl, ldns_rr *rr)
{
	uint32_t left = dnssd_entry_ttl_left(e, p->now);
	if (dnssd_entry_is_goodbye(e) || !left) {
		ldns_rr_free(rr);
		return false;
	}
	if (!rr)
		rr = dnssd_entry_rr_new(e);
	if (rr)
		ldns_rr_set_ttl(rr, stored_ttl ? dnssd_entry_ttl(e) : left);
	if (proxy_rv_push_own(&ls->own, rr) < 0)
		return false;
	if (dnssd_grow((void **)&ls->v, &ls->cap, ls->n + 1, sizeof(*ls->v)) < 0)
		return false;
	ls->v[ls->n].rr = rr;
	proxy_entry_sender(e, &ls->v[ls->n].snd);
	ls->v[ls->n].rank = type_rank(rr);
	ls->n++;
	return true;
}

void proxy_lset_free(struct lset *ls)
{
	free(ls->v);
	proxy_rv_free(&ls->own);
	memset(ls, 0, sizeof(*ls));
}

static int litem_cmp(const void *a, const void *b)
{
	const struct litem *x = a, *y = b;
	if (x->snd.af != y->snd.af)
		return x->snd.af - y->snd.af;
	int c = memcmp(x->snd.addr, y->snd.addr, sizeof(x->snd.addr));
	return c ? c : x->rank - y->rank;
}

/* Sort by sender, then services before the addresses that follow them. */
void proxy_lset_sort(struct lset *ls)
{
	if (ls->n > 1)
		qsort(ls->v, ls->n, sizeof(*ls->v), litem_cmp);
}

/* Export (sel NULL) or only select (into sel) in slices of one sender each. */
void proxy_lset_export(struct proxy *p, struct rpeer *peer, const struct lset *ls,
                       bool force, struct rrvec *sel)
{
	const ldns_rr *slice[EXPORT_SLICE];
	for (size_t i = 0; i < ls->n;) {
		size_t k = 0;
		const struct policy_sender *snd = &ls->v[i].snd;
		while (i + k < ls->n && k < EXPORT_SLICE &&
		       ls->v[i + k].snd.af == snd->af &&
		       memcmp(ls->v[i + k].snd.addr, snd->addr, sizeof(snd->addr)) == 0) {
			slice[k] = ls->v[i + k].rr;
			k++;
		}
		if (sel)
			select_export(p, peer, slice, k, snd->af ? snd : NULL, sel);
		else
			export_batch(p, peer, slice, k, snd->af ? snd : NULL, force);
		i += k;
	}
}

struct collect_ctx {
	struct proxy *p;
	struct lset *ls;
	bool stored_ttl;
};

static void collect_entry(void *arg, struct dnssd_entry *e)
{
	struct collect_ctx *cc = arg;
	lset_add(cc->p, cc->ls, e, cc->stored_ttl, NULL);
}

/* The whole local cache. */
void proxy_collect_local(struct proxy *p, struct lset *ls, bool stored_ttl)
{
	struct collect_ctx cc = {p, ls, stored_ttl};
	dnssd_cache_foreach(p->local, collect_entry, &cc);
	proxy_lset_sort(ls);
}

/* Local records answering a question, with their additional records (RFC 6763 §12). */
void proxy_local_answers(struct proxy *p, const ldns_rdf *name, uint16_t type,
                          struct lset *out, int depth)
{
	struct dnssd_entry *buf[32], **tmp;
	size_t m = dnssd_cache_find_all(p->local, name, type, 0, p->now, buf, 32, &tmp);
	for (size_t i = 0; i < m; i++) {
		ldns_rr *rr = dnssd_entry_rr_new(tmp[i]);
		const ldns_rdf *t;
		bool dup = !rr;
		for (size_t k = 0; k < out->n && !dup; k++)
			dup = proxy_rr_same(out->v[k].rr, rr);
		if (dup) {
			ldns_rr_free(rr);
			continue;
		}
		/* out owns rr from here on */
		if (!lset_add(p, out, tmp[i], false, rr) || depth > 1)
			continue;
		if (proxy_rr_type(rr) == LDNS_RR_TYPE_PTR &&
		    (t = dnssd_rdf_name(rr, 0)) &&
		    dnssd_name_kind(t) == DNSSD_NAME_INSTANCE) {
			proxy_local_answers(p, t, LDNS_RR_TYPE_SRV, out, depth + 1);
			proxy_local_answers(p, t, LDNS_RR_TYPE_TXT, out, depth + 1);
		} else if ((t = dnssd_srv_target(rr))) {
			proxy_local_answers(p, t, LDNS_RR_TYPE_A, out, 2);
			proxy_local_answers(p, t, LDNS_RR_TYPE_AAAA, out, 2);
		}
	}
	dnssd_cache_found_free(tmp, buf);
}

