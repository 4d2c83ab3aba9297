/*
 * proxy_view.c: what the engine holds, for `sitecastctl services` and `explain`
 * (proxy.h). Read-only: the caches are walked and the rule sets evaluated again
 * with the facts the caches give about each service, the way export and import
 * decided them; nothing is sent and no state of the engine changes.
 */
#include <config.h>

#include <strings.h>

#include "engine/proxy_int.h"

/* ------------------------------------------------------------ building a view */

static void svc_fini(struct proxy_view_service *s)
{
	free(s->name);
	free(s->type);
	free(s->domain);
	free(s->host);
	free(s->addrs);
	free(s->origin_name);
	free(s->origin_host);
	free(s->lan_name);
	free(s->dec);
}

void proxy_view_free(struct proxy_view *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++)
		svc_fini(&v->v[i]);
	free(v->v);
	free(v);
}

/* A new zeroed entry at the end of v, or NULL when out of memory. */
static struct proxy_view_service *view_add(struct proxy_view *v, size_t *cap)
{
	if (dnssd_grow((void **)&v->v, cap, v->n + 1, sizeof(*v->v)) < 0)
		return NULL;
	memset(&v->v[v->n], 0, sizeof(v->v[0]));
	return &v->v[v->n++];
}

/* A name in presentation form without its final dot (the root stays "."). */
static char *name_text(const ldns_rdf *name)
{
	char *s = dnssd_name_str(name);
	size_t n = s ? strlen(s) : 0;
	if (n > 1 && s[n - 1] == '.')
		s[n - 1] = '\0';
	return s;
}

/* One decision more for s: at most one per remote of p, room for all at the first. */
static int add_decision(const struct proxy *p, struct proxy_view_service *s,
                        const struct rpeer *rp, bool import,
                        const struct policy_subject *subj)
{
	if (!s->dec && !(s->dec = calloc(p->npeers ? p->npeers : 1, sizeof(*s->dec))))
		return -ENOMEM;
	if (s->ndec >= p->npeers)
		return -EINVAL;
	struct proxy_decision *d = &s->dec[s->ndec++];
	memset(d, 0, sizeof(*d));
	d->remote_id = rp->id;
	d->remote = rp->name;
	d->peer = rp->pcfg != NULL;
	d->up = rp->up;
	d->import = import;
	d->rules = import ? rp->rc.import_rules : rp->rc.export_rules;
	policy_decide_explain(d->rules, subj, &d->ex);
	return 0;
}

/* Whether a remote has an export side: every peer link (its rules may be none),
 * an added remote only when it is given export rules (a DNS export domain). */
static bool exports_to(const struct rpeer *rp)
{
	return rp->pcfg || rp->rc.export_rules;
}

static bool imports_from(const struct rpeer *rp)
{
	return rp->pcfg || rp->rc.import_rules;
}

/*
 * The fields of an instance name into s (name, type, domain) and the subject's
 * service and instance (pointing into sn, which must outlive subj). -EINVAL
 * when the name is not an instance's.
 */
static int set_names(struct proxy_view_service *s, const ldns_rdf *inst,
                     struct dnssd_svcname *sn, struct policy_subject *subj)
{
	if (dnssd_svcname_parse(inst, sn) < 0 || sn->kind != DNSSD_NAME_INSTANCE)
		return -EINVAL;
	s->name = strdup(sn->instance);
	s->type = strdup(sn->service);
	s->domain = strdup(sn->domain);
	if (!s->name || !s->type || !s->domain)
		return -ENOMEM;
	subj->service = sn->service;
	subj->instance = sn->instance;
	return 0;
}

/* The host label of a host name for the subject ("printer"), into hn. */
static const char *host_label(const ldns_rdf *host, struct dnssd_svcname *hn)
{
	if (host && dnssd_svcname_parse(host, hn) == 0 && hn->kind == DNSSD_NAME_HOST)
		return hn->host;
	return NULL;
}

/* ------------------------------------------------------------ walking the caches */

struct walk {
	struct proxy *p;
	uint64_t now;
	struct ent_list srv; /* live SRV entries of the cache walked */
	struct ntab sub;     /* instance -> the owner of its first subtype PTR */
	struct ntab seen;    /* instances already in the view from this cache */
	int err;
};

static void walk_entry(void *arg, struct dnssd_entry *e)
{
	struct walk *w = arg;
	if (w->err || dnssd_entry_is_goodbye(e) || !dnssd_entry_ttl_left(e, w->now))
		return;
	uint16_t t = dnssd_entry_type(e);
	if (t == LDNS_RR_TYPE_SRV) {
		if (dnssd_grow((void **)&w->srv.v, &w->srv.cap, w->srv.n + 1,
		               sizeof(*w->srv.v)) < 0) {
			w->err = -ENOMEM;
			return;
		}
		w->srv.v[w->srv.n++] = e;
	} else if (t == LDNS_RR_TYPE_PTR) {
		ldns_rr *rr = dnssd_entry_rr_new(e);
		const ldns_rdf *target = rr ? dnssd_rdf_name(rr, 0) : NULL;
		if (!rr)
			w->err = -ENOMEM;
		else if (target &&
		         dnssd_name_kind(ldns_rr_owner(rr)) == DNSSD_NAME_SUBTYPE &&
		         !proxy_ntab_find(&w->sub, target, 0)) {
			struct nent *n = proxy_ntab_add(&w->sub, target, 0);
			if (!n || !proxy_nent_set_name(&w->sub, n, ldns_rr_owner(rr)))
				w->err = -ENOMEM;
		}
		ldns_rr_free(rr);
	}
}

static int walk_cache(struct walk *w, struct dnssd_cache *c)
{
	w->srv.n = 0;
	proxy_ntab_filter(&w->sub, NULL, NULL);
	proxy_ntab_filter(&w->seen, NULL, NULL);
	dnssd_cache_foreach(c, walk_entry, w);
	return w->err;
}

static void walk_fini(struct walk *w)
{
	free(w->srv.v);
	proxy_ntab_fini(&w->sub);
	proxy_ntab_fini(&w->seen);
}

/* The subtype of instance inst known from the cache walked, into sn. */
static const char *subtype_of(const struct walk *w, const ldns_rdf *inst,
                              struct dnssd_svcname *sn)
{
	const struct nent *n = proxy_ntab_find(&w->sub, inst, 0);
	if (n && n->name && dnssd_svcname_parse(n->name, sn) == 0 &&
	    sn->kind == DNSSD_NAME_SUBTYPE)
		return sn->subtype;
	return NULL;
}

/*
 * Whether the instance was met before in the cache walked (an instance with two
 * SRV records is listed once); it is marked as met. -ENOMEM: *met is left false.
 */
static int met_before(struct walk *w, const ldns_rdf *inst, bool *met)
{
	*met = proxy_ntab_find(&w->seen, inst, 0) != NULL;
	if (!*met && !proxy_ntab_add(&w->seen, inst, 0))
		return -ENOMEM;
	return 0;
}

/*
 * What both walks read from SRV entry e of cache c: a new service of v with
 * its names, host, port, times and addresses, in *out (NULL, and 0, when e is
 * not an instance or its instance was met before). *rr is e's record, which
 * the caller frees whatever the result; *sn and *subj are filled for it.
 */
static int service_from_srv(struct walk *w, struct proxy_view *v, size_t *cap,
                            struct dnssd_cache *c, struct dnssd_entry *e, ldns_rr **rr,
                            struct dnssd_svcname *sn, struct policy_subject *subj,
                            struct proxy_view_service **out)
{
	*out = NULL;
	if (!(*rr = dnssd_entry_rr_new(e)))
		return -ENOMEM;
	const ldns_rdf *inst = ldns_rr_owner(*rr), *target = dnssd_srv_target(*rr);
	bool met = false;
	int err = 0;
	if (dnssd_svcname_parse(inst, sn) < 0 || sn->kind != DNSSD_NAME_INSTANCE ||
	    !target || (err = met_before(w, inst, &met)) < 0 || met)
		return err;
	struct proxy_view_service *s = view_add(v, cap);
	if (!s)
		return -ENOMEM;
	s->known = true;
	if ((err = set_names(s, inst, sn, subj)) < 0)
		return err;
	if (!(s->host = name_text(target)))
		return -ENOMEM;
	s->port = ldns_rdf2native_int16(ldns_rr_rdf(*rr, 2));
	s->seen_ms = dnssd_entry_updated(e);
	s->ttl_left = dnssd_entry_ttl_left(e, w->now);
	size_t acap = 0;
	if (proxy_host_addrs(c, target, w->now, &s->addrs, &s->naddrs, &acap) < 0)
		return -ENOMEM;
	*out = s;
	return 0;
}

/* One local service from its SRV entry e, with an export decision per remote. */
static int local_service(struct proxy *p, struct walk *w, struct proxy_view *v,
                         size_t *cap, struct dnssd_entry *e)
{
	ldns_rr *rr = NULL;
	struct proxy_view_service *s;
	struct dnssd_svcname sn, hn, stn;
	struct policy_subject subj = {0};
	struct policy_sender snd;

	int err = service_from_srv(w, v, cap, p->local, e, &rr, &sn, &subj, &s);
	if (err < 0 || !s)
		goto out;
	s->local = true;
	const ldns_rdf *inst = ldns_rr_owner(rr), *target = dnssd_srv_target(rr);
	subj.subtype = subtype_of(w, inst, &stn);
	subj.host = host_label(target, &hn);
	proxy_entry_sender(e, &snd);
	if (snd.af) {
		subj.sender_af = snd.af;
		subj.sender = snd.addr;
	}
	err = -ENOMEM;
	for (size_t i = 0; i < p->npeers; i++)
		if (exports_to(p->peers[i]) &&
		    add_decision(p, s, p->peers[i], false, &subj) < 0)
			goto out;
	err = 0;
out:
	ldns_rr_free(rr);
	return err;
}

/* One service of rp's remote cache from its SRV entry e, with rp's import decision. */
static int remote_service(struct proxy *p, struct walk *w, struct proxy_view *v,
                          size_t *cap, struct rpeer *rp, struct dnssd_entry *e)
{
	ldns_rr *rr = NULL;
	struct proxy_view_service *s;
	struct dnssd_svcname sn, on, hn, stn;
	struct policy_subject subj = {0};

	int err = service_from_srv(w, v, cap, rp->remote, e, &rr, &sn, &subj, &s);
	if (err < 0 || !s)
		goto out;
	s->remote_id = rp->id;
	s->origin = rp->name;
	const ldns_rdf *inst = ldns_rr_owner(rr), *target = dnssd_srv_target(rr);
	err = -ENOMEM;
	/* As large as a label of a parsed name, so nothing is cut. */
	char lbuf[sizeof(sn.instance)];
	if (proxy_service_lan_name(p, inst, lbuf, sizeof(lbuf)) &&
	    !(s->lan_name = strdup(lbuf)))
		goto out;
	/* Names at the origin: through the aliases import recorded; a name without
	 * one was not renamed (an empty suffix). */
	const struct nent *a = proxy_ntab_find(&p->alias, inst, 0);
	const ldns_rdf *oinst = a && a->name ? a->name : inst;
	const struct nent *h = proxy_ntab_find(&p->alias, target, 0);
	const ldns_rdf *ohost = h && h->name ? h->name : target;
	if (dnssd_svcname_parse(oinst, &on) < 0 || on.kind != DNSSD_NAME_INSTANCE)
		on = sn;
	if (!(s->origin_name = strdup(on.instance)) ||
	    !(s->origin_host = name_text(ohost)))
		goto out;
	/* Import decided on the records as the origin named them. */
	subj.instance = on.instance;
	subj.host = host_label(ohost, &hn);
	subj.subtype = subtype_of(w, inst, &stn);
	if (imports_from(rp) && add_decision(p, s, rp, true, &subj) < 0)
		goto out;
	err = 0;
out:
	ldns_rr_free(rr);
	return err;
}

static int svc_cmp(const void *a, const void *b)
{
	const struct proxy_view_service *x = a, *y = b;
	int c = strcasecmp(x->type, y->type);
	return c ? c : strcasecmp(x->name, y->name);
}

int proxy_view_services(struct proxy *p, uint64_t now_ms, struct proxy_view **out)
{
	struct proxy_view *v = calloc(1, sizeof(*v));
	struct walk w = {.p = p, .now = now_ms};
	size_t cap = 0;
	int err = -ENOMEM;

	*out = NULL;
	if (!v || proxy_ntab_init(&w.sub) < 0 || proxy_ntab_init(&w.seen) < 0) {
		walk_fini(&w);
		free(v);
		return -ENOMEM;
	}
	if ((err = walk_cache(&w, p->local)) < 0)
		goto fail;
	for (size_t i = 0; i < w.srv.n; i++)
		if ((err = local_service(p, &w, v, &cap, w.srv.v[i])) < 0)
			goto fail;
	size_t nlocal = v->n;
	if (nlocal > 1)
		qsort(v->v, nlocal, sizeof(*v->v), svc_cmp);
	for (size_t k = 0; k < p->npeers; k++) {
		size_t from = v->n;
		if ((err = walk_cache(&w, p->peers[k]->remote)) < 0)
			goto fail;
		for (size_t i = 0; i < w.srv.n; i++)
			if ((err = remote_service(p, &w, v, &cap, p->peers[k],
			                          w.srv.v[i])) < 0)
				goto fail;
		if (v->n - from > 1)
			qsort(v->v + from, v->n - from, sizeof(*v->v), svc_cmp);
	}
	walk_fini(&w);
	*out = v;
	return 0;
fail:
	walk_fini(&w);
	proxy_view_free(v);
	return err;
}

/* ------------------------------------------------------------ one name */

/* What the rules would decide about a name no cache holds. */
static int hypothetical(struct proxy *p, struct proxy_view *v, size_t *cap,
                        const ldns_rdf *name)
{
	struct dnssd_svcname sn, on;
	struct policy_subject subj = {0};
	bool renamed = false;
	int err;

	/* As the service of each remote whose suffix the name carries. */
	for (size_t i = 0; i < p->npeers; i++) {
		struct rpeer *rp = p->peers[i];
		if (!imports_from(rp))
			continue;
		ldns_rdf *orig = dnssd_unrename_name(p->rename, rp->name, name);
		if (!orig)
			continue;
		bool same = dnssd_name_eq(orig, name);
		renamed |= !same;
		struct proxy_view_service *s = view_add(v, cap);
		err = -ENOMEM;
		if (s) {
			s->remote_id = rp->id;
			s->origin = rp->name;
			err = set_names(s, name, &sn, &subj);
		}
		if (!err && (dnssd_svcname_parse(orig, &on) < 0 ||
		             on.kind != DNSSD_NAME_INSTANCE))
			on = sn;
		if (!err && !(s->origin_name = strdup(on.instance)))
			err = -ENOMEM;
		subj.instance = on.instance;
		ldns_rdf_deep_free(orig);
		if (err || (err = add_decision(p, s, rp, true, &subj)) < 0)
			return err;
	}
	if (renamed)
		return 0;
	/* As a service of this LAN, unless it is named like a remote's. */
	struct proxy_view_service *s = view_add(v, cap);
	if (!s)
		return -ENOMEM;
	s->local = true;
	memset(&subj, 0, sizeof(subj));
	if ((err = set_names(s, name, &sn, &subj)) < 0)
		return err;
	for (size_t i = 0; i < p->npeers; i++)
		if (exports_to(p->peers[i]) &&
		    (err = add_decision(p, s, p->peers[i], false, &subj)) < 0)
			return err;
	return 0;
}

int proxy_view_explain(struct proxy *p, const ldns_rdf *name, uint64_t now_ms,
                       struct proxy_view **out)
{
	struct proxy_view *v;
	struct walk w = {.p = p, .now = now_ms};
	struct dnssd_entry *e;
	size_t cap = 0;
	int err = 0;

	*out = NULL;
	if (!name || dnssd_name_kind(name) != DNSSD_NAME_INSTANCE)
		return -EINVAL;
	if (!(v = calloc(1, sizeof(*v))) || proxy_ntab_init(&w.sub) < 0 ||
	    proxy_ntab_init(&w.seen) < 0) {
		walk_fini(&w);
		free(v);
		return -ENOMEM;
	}
	/* The subtype of the instance comes from its cache: walked only when the
	 * instance is there. */
	if ((e = proxy_first_live(p->local, name, LDNS_RR_TYPE_SRV, now_ms)) &&
	    (err = walk_cache(&w, p->local)) == 0)
		err = local_service(p, &w, v, &cap, e);
	for (size_t k = 0; k < p->npeers && !err; k++) {
		struct rpeer *rp = p->peers[k];
		if ((e = proxy_first_live(rp->remote, name, LDNS_RR_TYPE_SRV, now_ms)) &&
		    (err = walk_cache(&w, rp->remote)) == 0)
			err = remote_service(p, &w, v, &cap, rp, e);
	}
	if (!err && v->n == 0)
		err = hypothetical(p, v, &cap, name);
	walk_fini(&w);
	if (err < 0) {
		proxy_view_free(v);
		return err;
	}
	*out = v;
	return 0;
}

/* ------------------------------------------------------------ names people type */

/* Whether s[0..n) is a service label ("_ipp"): '_' and then something. */
static bool svc_label(const char *s, size_t n)
{
	return n >= 2 && s[0] == '_' && !memchr(s, '.', n);
}

int proxy_view_parse_name(const char *text, ldns_rdf **out)
{
	struct dnssd_svcname sn = {.kind = DNSSD_NAME_INSTANCE};
	size_t len = text ? strlen(text) : 0;

	*out = NULL;
	if (len > 0 && text[len - 1] == '.')
		len--;
	/*
	 * The service type is the last "._xxx._tcp" or "._xxx._udp" with an instance
	 * before it: what follows is the domain. Searched from the end, so that an
	 * instance label that itself holds "._tcp" still parses.
	 */
	for (size_t i = len; i-- > 0;) {
		if (text[i] != '.' || i + 5 > len)
			continue;
		const char *proto = text + i + 1;
		if (strncasecmp(proto, "_tcp", 4) != 0 &&
		    strncasecmp(proto, "_udp", 4) != 0)
			continue;
		if (i + 5 < len && proto[4] != '.')
			continue;
		/* the service label before the protocol, and a '.' before it */
		size_t j = i;
		while (j > 0 && text[j - 1] != '.')
			j--;
		if (j < 2 || !svc_label(text + j, i - j))
			continue;
		size_t ilen = j - 1, slen = i + 5 - j;
		if (ilen == 0 || ilen >= sizeof(sn.instance) ||
		    slen >= sizeof(sn.service) || memchr(text, '\0', ilen))
			return -EINVAL;
		memcpy(sn.instance, text, ilen);
		sn.instance[ilen] = '\0';
		sn.instance_len = ilen;
		memcpy(sn.service, text + j, slen);
		sn.service[slen] = '\0';
		size_t dlen = i + 5 < len ? len - (i + 6) : 0;
		if (dlen >= sizeof(sn.domain))
			return -EINVAL;
		if (dlen)
			memcpy(sn.domain, text + i + 6, dlen);
		else
			memcpy(sn.domain, "local", 6);
		sn.domain[dlen ? dlen : 5] = '\0';
		return dnssd_svcname_build(&sn, out) < 0 ? -EINVAL : 0;
	}
	return -EINVAL;
}
