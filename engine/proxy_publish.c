/*
 * proxy_publish.c: the proxy engine with an external publisher (Avahi): the
 * imported services handed to it whole (proxy_int.h).
 */
#include <config.h>

#include "engine/proxy_int.h"

/* ------------------------------------------------------------ external publisher */

/* A remote record went: what is published may have to change. */
void proxy_pub_expired(void *arg, struct dnssd_entry *e)
{
	(void)e;
	((struct proxy *)arg)->pub_dirty = true;
}

/* The live record of name and type last put in the peer's cache, or NULL. */
static struct dnssd_entry *newest(struct proxy *p, struct rpeer *peer,
                                  const ldns_rdf *name, uint16_t type)
{
	struct dnssd_entry *buf[8], **v, *best = NULL;
	size_t n = dnssd_cache_find_all(peer->remote, name, type, 0, p->now, buf, 8, &v);
	for (size_t i = 0; i < n; i++)
		if (!dnssd_entry_is_goodbye(v[i]) &&
		    (!best || dnssd_entry_updated(v[i]) > dnssd_entry_updated(best)))
			best = v[i];
	dnssd_cache_found_free(v, buf);
	return best;
}

static bool has_ptr_to(struct proxy *p, struct rpeer *peer, const ldns_rdf *owner,
                       const ldns_rdf *instance)
{
	struct dnssd_entry *v[64];
	size_t n =
	    dnssd_cache_find(peer->remote, owner, LDNS_RR_TYPE_PTR, 0, p->now, v, 64);
	if (n > 64) {
		/* many instances of the type: the exact record answers */
		ldns_rr *rr = ldns_rr_new();
		ldns_rdf *o = ldns_rdf_clone(owner), *t = ldns_rdf_clone(instance);
		struct dnssd_entry *e = NULL;
		if (rr && o && t) {
			ldns_rr_set_owner(rr, o);
			ldns_rr_set_type(rr, LDNS_RR_TYPE_PTR);
			o = NULL;
			if (ldns_rr_push_rdf(rr, t)) {
				t = NULL;
				e = dnssd_cache_get(peer->remote, rr);
			}
		}
		ldns_rdf_deep_free(o);
		ldns_rdf_deep_free(t);
		ldns_rr_free(rr);
		return e && !dnssd_entry_is_goodbye(e);
	}
	bool found = false;
	for (size_t i = 0; i < n && !found; i++) {
		if (dnssd_entry_is_goodbye(v[i]))
			continue;
		ldns_rr *rr = dnssd_entry_rr_new(v[i]);
		found = rr && dnssd_rdf_name(rr, 0) &&
		        dnssd_name_eq(dnssd_rdf_name(rr, 0), instance);
		ldns_rr_free(rr);
	}
	return found;
}

struct pub_lists {
	struct ent_list srv, sub;
};

static void list_pub(void *arg, struct dnssd_entry *e)
{
	struct pub_lists *l = arg;
	if (dnssd_entry_type(e) == LDNS_RR_TYPE_SRV) {
		proxy_list_entry(&l->srv, e);
	} else if (dnssd_entry_type(e) == LDNS_RR_TYPE_PTR) {
		ldns_rr *rr = dnssd_entry_rr_new(e);
		if (rr && dnssd_name_kind(ldns_rr_owner(rr)) == DNSSD_NAME_SUBTYPE)
			proxy_list_entry(&l->sub, e);
		ldns_rr_free(rr);
	}
}

/* Ask the owning peer for name and type (renamed here), as a LAN query would. */
static void pub_ask(struct proxy *p, const ldns_rdf *name, uint16_t type)
{
	ldns_rr *q = proxy_make_question(name, type);
	if (q)
		proxy_forward_question(p, q);
	ldns_rr_free(q);
}

/* What a service is handed to the publisher with, every item of it (no cap). */
struct pub_parts {
	struct dnssd_txt *txt;
	size_t ntxt, txt_cap;
	struct dnssd_addr *addrs;
	size_t naddrs, addrs_cap;
	char (*subv)[64]; /* subtype labels; subp points at them */
	const char **subp;
	size_t nsub, sub_cap;
};

static void pub_parts_free(struct pub_parts *pp)
{
	free(pp->txt);
	free(pp->addrs);
	free(pp->subv);
	free(pp->subp);
}

/*
 * The strings of TXT record trr into pp (pointing into trr). 0, -EINVAL for a
 * record that is no TXT's, -ENOMEM.
 */
static int pub_txt(const ldns_rr *trr, struct pub_parts *pp)
{
	for (size_t i = 0; i < ldns_rr_rd_count(trr); i++) {
		const ldns_rdf *d = ldns_rr_rdf(trr, i);
		if (ldns_rdf_get_type(d) != LDNS_RDF_TYPE_STR || ldns_rdf_size(d) < 1 ||
		    (size_t)ldns_rdf_data(d)[0] + 1 != ldns_rdf_size(d))
			return -EINVAL;
		/* an empty string alone is an empty TXT (RFC 6763 §6.1) */
		if (!ldns_rdf_data(d)[0] && ldns_rr_rd_count(trr) == 1)
			break;
		if (dnssd_grow((void **)&pp->txt, &pp->txt_cap, pp->ntxt + 1,
		               sizeof(*pp->txt)) < 0)
			return -ENOMEM;
		pp->txt[pp->ntxt++] =
		    (struct dnssd_txt){ldns_rdf_data(d) + 1, ldns_rdf_data(d)[0]};
	}
	return 0;
}

/* The subtypes among the PTR entries subs that point at inst, into pp. */
static int pub_subtypes(const struct ent_list *subs, const ldns_rdf *inst,
                        struct pub_parts *pp)
{
	struct dnssd_svcname st;
	int rc = 0;
	for (size_t i = 0; i < subs->n && rc == 0; i++) {
		ldns_rr *sp = dnssd_entry_rr_new(subs->v[i]);
		if (sp && dnssd_rdf_name(sp, 0) &&
		    dnssd_name_eq(dnssd_rdf_name(sp, 0), inst) &&
		    dnssd_svcname_parse(ldns_rr_owner(sp), &st) == 0 &&
		    st.kind == DNSSD_NAME_SUBTYPE) {
			if (dnssd_grow((void **)&pp->subv, &pp->sub_cap, pp->nsub + 1,
			               sizeof(*pp->subv)) < 0)
				rc = -ENOMEM;
			else
				memcpy(pp->subv[pp->nsub++], st.subtype, sizeof(*pp->subv));
		}
		ldns_rr_free(sp);
	}
	/* pointers last: subv may have moved while it grew */
	if (rc == 0 && pp->nsub && !(pp->subp = calloc(pp->nsub, sizeof(*pp->subp))))
		rc = -ENOMEM;
	for (size_t i = 0; rc == 0 && i < pp->nsub; i++)
		pp->subp[i] = pp->subv[i];
	return rc;
}

/*
 * What was set, in a hash: order of addresses and subtypes does not matter. Each
 * string is hashed with its NUL and each TXT string after its length, so that
 * fields cannot run into each other.
 */
static uint64_t pub_hash(const char *key, const struct dnssd_service *svc)
{
	uint64_t h = dnssd_hash(key, strlen(key) + 1, 0), sum = 0;
	h = dnssd_hash(svc->name, strlen(svc->name) + 1, h);
	h = dnssd_hash(svc->host, strlen(svc->host) + 1, h);
	h = dnssd_hash(&svc->port, sizeof(svc->port), h);
	for (size_t i = 0; i < svc->ntxt; i++) {
		uint8_t l = (uint8_t)svc->txt[i].len;
		h = dnssd_hash(svc->txt[i].data, svc->txt[i].len, dnssd_hash(&l, 1, h));
	}
	for (size_t i = 0; i < svc->naddrs; i++)
		sum += dnssd_hash(&svc->addrs[i], sizeof(svc->addrs[i]), 0);
	for (size_t i = 0; i < svc->nsubtypes; i++)
		sum += dnssd_hash(svc->subtypes[i], strlen(svc->subtypes[i]), 's');
	return dnssd_hash(&sum, sizeof(sum), h);
}

/* publish_one() with the SRV record of e built. */
static void publish_srv(struct proxy *p, struct rpeer *peer, struct dnssd_entry *e,
                        const ldns_rr *srv, const struct ent_list *subs,
                        struct ntab *seen)
{
	const ldns_rdf *inst = ldns_rr_owner(srv), *target = dnssd_srv_target(srv);
	struct dnssd_svcname sn, tn;
	struct pub_parts pp = {0};
	ldns_rdf *type = NULL;
	struct dnssd_entry *te;
	char *key = NULL, *host = NULL;
	ldns_rr *trr = NULL;

	if (!target || ldns_rr_rd_count(srv) < 4 ||
	    newest(p, peer, inst, LDNS_RR_TYPE_SRV) != e ||
	    dnssd_svcname_parse(inst, &sn) < 0 || sn.kind != DNSSD_NAME_INSTANCE ||
	    memchr(sn.instance, 0, sn.instance_len))
		return;
	tn = sn;
	tn.kind = DNSSD_NAME_SERVICE_TYPE;
	if (dnssd_svcname_build(&tn, &type) < 0)
		return;
	bool complete = has_ptr_to(p, peer, type, inst);
	ldns_rdf_deep_free(type);
	if (!complete)
		return;
	/*
	 * Without a publisher the LAN's queries bring what is missing (the import
	 * policy may have refused the addresses before an allowed SRV came): ask.
	 */
	if (proxy_host_addrs(peer->remote, target, p->now, &pp.addrs, &pp.naddrs,
	                     &pp.addrs_cap) < 0)
		goto out;
	te = newest(p, peer, inst, LDNS_RR_TYPE_TXT);
	if (!te)
		pub_ask(p, inst, LDNS_RR_TYPE_TXT);
	if (!pp.naddrs) {
		pub_ask(p, target, LDNS_RR_TYPE_A);
		pub_ask(p, target, LDNS_RR_TYPE_AAAA);
	}
	if (!te || !pp.naddrs || !(trr = dnssd_entry_rr_new(te)) ||
	    pub_txt(trr, &pp) < 0 || pub_subtypes(subs, inst, &pp) < 0)
		goto out;
	if (!(key = proxy_pub_key(inst)) || !(host = dnssd_name_str(target)))
		goto out;
	size_t hl = strlen(host);
	if (hl > 1 && host[hl - 1] == '.')
		host[hl - 1] = '\0';
	struct dnssd_service svc = {
	    .name = sn.instance,
	    .type = sn.service,
	    .domain = sn.domain,
	    .host = host,
	    .port = ldns_rdf2native_int16(ldns_rr_rdf(srv, 2)),
	    .txt = pp.txt,
	    .ntxt = pp.ntxt,
	    .subtypes = pp.subp,
	    .nsubtypes = pp.nsub,
	    .addrs = pp.addrs,
	    .naddrs = pp.naddrs,
	};
	uint64_t h = pub_hash(key, &svc);

	proxy_ntab_add(seen, inst, 0);
	struct nent *pe = proxy_ntab_add(&p->pub, inst, 0);
	if (!pe || (pe->name && pe->t == h))
		goto out;
	if (!pe->name) {
		struct nent *named = proxy_nent_set_name(&p->pub, pe, inst);
		if (!named) {
			proxy_ntab_del(&p->pub, pe);
			goto out;
		}
		pe = named;
	}
	pe->t = h;
	p->io.service_set(p->io.arg, key, &svc);
out:
	pub_parts_free(&pp);
	free(key);
	free(host);
	ldns_rr_free(trr);
}

/* Hand the service of SRV entry e to the publisher if complete and changed. */
static void publish_one(struct proxy *p, struct rpeer *peer, struct dnssd_entry *e,
                        const struct ent_list *subs, struct ntab *seen)
{
	ldns_rr *srv = dnssd_entry_rr_new(e);
	if (srv)
		publish_srv(p, peer, e, srv, subs, seen);
	ldns_rr_free(srv);
}

struct unpub_ctx {
	struct proxy *p;
	const struct ntab *seen;
};

static bool unpublish(struct nent *e, const void *arg)
{
	const struct unpub_ctx *uc = arg;
	if (e->name && proxy_ntab_find(uc->seen, e->name, 0))
		return false;
	char *key = e->name ? proxy_pub_key(e->name) : NULL;
	if (key)
		uc->p->io.service_remove(uc->p->io.arg, key);
	free(key);
	/* withdrawn under the name it had; set again, it starts from its own */
	if (e->name)
		proxy_pubname_forget(uc->p, e->name);
	return true;
}

/* Bring the publisher in line with the remote caches: set what is new or changed,
 * remove what is no longer complete. */
void proxy_publish_sync(struct proxy *p)
{
	struct ntab seen;

	p->pub_dirty = false;
	if (!p->io.service_set || !p->io.service_remove || proxy_ntab_init(&seen) < 0)
		return;
	for (size_t i = 0; i < p->npeers; i++) {
		struct pub_lists l = {{0}, {0}};
		dnssd_cache_foreach(p->peers[i]->remote, list_pub, &l);
		for (size_t j = 0; j < l.srv.n; j++)
			publish_one(p, p->peers[i], l.srv.v[j], &l.sub, &seen);
		free(l.srv.v);
		free(l.sub.v);
	}
	struct unpub_ctx uc = {p, &seen};
	proxy_ntab_filter(&p->pub, unpublish, &uc);
	proxy_ntab_fini(&seen);
	proxy_flush_fwd(p);
}

/*
 * What is published is in use, as if a LAN host browsed it all the time: ask the
 * owning peer before its records expire (a remote is asked only near expiry: proxy_forward.c).
 * Without this the records would age out unseen while the publisher's clients keep
 * them, and a service type's long-lived PTR would keep their questions from being
 * forwarded afterwards.
 */
void proxy_publish_refresh(struct proxy *p)
{
	static const uint16_t atypes[2] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
	if (!p->io.service_set || !p->pub.b)
		return;
	for (size_t b = 0; b <= p->pub.mask; b++)
		for (struct nent *e = p->pub.b[b]; e; e = e->next) {
			struct dnssd_entry *srv = NULL, *tmp[1];
			struct rpeer *peer = NULL;
			for (size_t i = 0; i < p->npeers && !srv; i++)
				if ((srv = newest(p, p->peers[i], e->name,
				                  LDNS_RR_TYPE_SRV)))
					peer = p->peers[i];
			ldns_rr *srr = srv ? dnssd_entry_rr_new(srv) : NULL;
			const ldns_rdf *target = srr ? dnssd_srv_target(srr) : NULL;
			if (!target) {
				ldns_rr_free(srr);
				continue;
			}
			pub_ask(p, e->name, LDNS_RR_TYPE_SRV);
			pub_ask(p, e->name, LDNS_RR_TYPE_TXT);
			for (int k = 0; k < 2; k++)
				if (dnssd_cache_find(peer->remote, target, atypes[k], 0,
				                     p->now, tmp, 1))
					pub_ask(p, target, atypes[k]);
			struct dnssd_svcname sn;
			ldns_rdf *type = NULL;
			if (dnssd_svcname_parse(e->name, &sn) == 0) {
				sn.kind = DNSSD_NAME_SERVICE_TYPE;
				if (dnssd_svcname_build(&sn, &type) == 0)
					pub_ask(p, type, LDNS_RR_TYPE_PTR);
			}
			ldns_rdf_deep_free(type);
			ldns_rr_free(srr);
		}
	proxy_flush_fwd(p);
}

void proxy_set_external(struct proxy *p, bool live, uint64_t now_ms)
{
	if (!p || p->ext_live == live)
		return;
	proxy_enter(p, now_ms);
	p->ext_live = live;
	for (size_t i = 0; i < PROXY_MAX_INTERFACES; i++) {
		if (!p->ifs[i].used)
			continue;
		for (int f = 0; f < NFAM; f++)
			proxy_q_clear(&p->ifs[i].q[f]);
		/* No goodbyes either way: the other one speaks for the same records. */
		for (size_t j = 0; j < p->npeers && !live; j++) {
			struct ann_ctx ac = {p, p->peers[j], i};
			dnssd_cache_foreach(p->peers[j]->remote, proxy_announce_here,
			                    &ac);
		}
	}
	proxy_leave(p);
}
