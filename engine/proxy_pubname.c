/*
 * proxy_pubname.c: the proxy engine's names the external publisher chose after
 * collisions (proxy_int.h), applied where records leave for the LAN and where
 * questions come in.
 */
#include <config.h>

#include "engine/proxy_int.h"

/* The publisher's key for a renamed instance: its full name in lower case. */
char *proxy_pub_key(const ldns_rdf *instance)
{
	char *k = dnssd_name_str(instance);
	for (char *c = k; c && *c; c++)
		*c = (char)dnssd_lower((uint8_t)*c);
	return k;
}

/*
 * The publisher renamed a service on a collision (a LAN host holds the name). The
 * engine's name stays the key of everything it keeps (caches, policy, the peer's
 * names); the LAN sees the publisher's name: pubren maps the engine's instance name
 * to it and pubrev back, applied where records leave for the LAN (proxy_pub_lan_rr)
 * and where questions come in (proxy_pub_question_in). The alias table also holds the
 * new name, so that questions for it are forwarded to the owning site and records of
 * it heard on the LAN are ours.
 */

void proxy_pubname_forget(struct proxy *p, const ldns_rdf *inst)
{
	struct nent *r = proxy_ntab_find(&p->pubren, inst, 0);
	if (!r)
		return;
	if (r->name) {
		struct nent *b = proxy_ntab_find(&p->pubrev, r->name, 0);
		struct nent *a = proxy_ntab_find(&p->alias, r->name, 0);
		if (b)
			proxy_ntab_del(&p->pubrev, b);
		if (a)
			proxy_ntab_del(&p->alias, a);
	}
	proxy_ntab_del(&p->pubren, r);
}

/* from (the engine's name) is to on the LAN: both tables, and the alias. */
static int rename_put(struct proxy *p, const ldns_rdf *from, const ldns_rdf *to)
{
	struct nent *r = proxy_ntab_add(&p->pubren, from, 0);
	if (!r || !(r = proxy_nent_set_name(&p->pubren, r, to)))
		return -ENOMEM;
	struct nent *b = proxy_ntab_add(&p->pubrev, to, 0);
	if (!b || !(b = proxy_nent_set_name(&p->pubrev, b, from))) {
		proxy_pubname_forget(p, from);
		return -ENOMEM;
	}
	/* questions for the new name go where those for the engine's name go */
	const struct nent *a = proxy_ntab_find(&p->alias, from, 0);
	if (a && a->name && a->peer) {
		struct rpeer *peer = a->peer;
		ldns_rdf *orig = ldns_rdf_clone(a->name);
		struct nent *na = orig ? proxy_ntab_add(&p->alias, to, 0) : NULL;
		if (na && (na = proxy_nent_set_name(&p->alias, na, orig))) {
			na->peer = peer;
			na->t = UINT64_MAX - ALIAS_KEEP_MS; /* until proxy_pubname_forget */
		}
		ldns_rdf_deep_free(orig);
	}
	return 0;
}

struct find_key {
	const char *key;
	const ldns_rdf *inst;
};

static bool match_key(struct nent *e, const void *arg)
{
	struct find_key *fk = (struct find_key *)(uintptr_t)arg;
	char *k = e->name && !fk->inst ? proxy_pub_key(e->name) : NULL;
	if (k && strcmp(k, fk->key) == 0)
		fk->inst = e->name;
	free(k);
	return false;
}

int proxy_service_renamed(struct proxy *p, const char *key, const char *name,
                          uint64_t now_ms)
{
	struct dnssd_svcname sn;
	ldns_rdf *pub = NULL;
	int rc = 0;

	if (!p || !key || !name)
		return -EINVAL;
	/* Only tables change (it may be called from within service_set): no
	 * proxy_enter / proxy_leave, nothing is sent from here. */
	(void)now_ms;
	struct find_key fk = {key, NULL};
	proxy_ntab_filter(&p->pub, match_key, &fk);
	if (!fk.inst) {
		rc = -ENOENT;
		goto out;
	}
	if (dnssd_svcname_parse(fk.inst, &sn) < 0 || sn.kind != DNSSD_NAME_INSTANCE ||
	    strlen(name) >= sizeof(sn.instance)) {
		rc = -EINVAL;
		goto out;
	}
	proxy_pubname_forget(p, fk.inst);
	if (strcmp(name, sn.instance) == 0)
		goto out; /* its own name again */
	snprintf(sn.instance, sizeof(sn.instance), "%s", name);
	sn.instance_len = strlen(name);
	if (dnssd_svcname_build(&sn, &pub) < 0) {
		rc = -EINVAL;
		goto out;
	}
	rc = rename_put(p, fk.inst, pub);
out:
	ldns_rdf_deep_free(pub);
	return rc;
}

int proxy_host_renamed(struct proxy *p, const char *host, const char *name,
                       uint64_t now_ms)
{
	ldns_rdf *from = NULL, *to = NULL;
	int rc = -EINVAL;
	(void)now_ms; /* as proxy_service_renamed: tables only */
	if (!p || !host || !name)
		return -EINVAL;
	if (ldns_str2rdf_dname(&from, host) == LDNS_STATUS_OK &&
	    ldns_str2rdf_dname(&to, name) == LDNS_STATUS_OK &&
	    dnssd_name_kind(from) == DNSSD_NAME_HOST && dnssd_name_kind(to) == DNSSD_NAME_HOST) {
		proxy_pubname_forget(p, from);
		rc = dnssd_name_eq(from, to) ? 0 : rename_put(p, from, to);
	}
	ldns_rdf_deep_free(from);
	ldns_rdf_deep_free(to);
	return rc;
}

/* The name a renamed instance has on the LAN, or NULL. */
static const ldns_rdf *lan_name(const struct proxy *p, const ldns_rdf *name)
{
	const struct nent *r;
	if (!p->pubren.count || !name || !(r = proxy_ntab_find(&p->pubren, name, 0)))
		return NULL;
	return r->name;
}

void proxy_pub_lan_rr(const struct proxy *p, ldns_rr *rr)
{
	const ldns_rdf *n;
	if (!p->pubren.count || !rr)
		return;
	if ((n = lan_name(p, ldns_rr_owner(rr)))) {
		ldns_rdf *c = ldns_rdf_clone(n);
		if (c) {
			ldns_rdf_deep_free(ldns_rr_owner(rr));
			ldns_rr_set_owner(rr, c);
		}
	}
	/* the instance a PTR names, the host an SRV targets */
	size_t k = proxy_rr_type(rr) == LDNS_RR_TYPE_PTR ? 0 : 3;
	if ((proxy_rr_type(rr) == LDNS_RR_TYPE_PTR && ldns_rr_rd_count(rr) == 1) ||
	    (proxy_rr_type(rr) == LDNS_RR_TYPE_SRV && ldns_rr_rd_count(rr) == 4)) {
		if ((n = lan_name(p, dnssd_rdf_name(rr, k)))) {
			ldns_rdf *c = ldns_rdf_clone(n);
			if (c)
				ldns_rdf_deep_free(ldns_rr_set_rdf(rr, c, k));
		}
	}
}

ldns_rr *proxy_pub_question_in(const struct proxy *p, const ldns_rr *q)
{
	const struct nent *b;
	if (!p->pubrev.count || !q || !(b = proxy_ntab_find(&p->pubrev, ldns_rr_owner(q), 0)) ||
	    !b->name)
		return NULL;
	ldns_rr *c = ldns_rr_clone(q);
	ldns_rdf *o = c ? ldns_rdf_clone(b->name) : NULL;
	if (!o) {
		ldns_rr_free(c);
		return NULL;
	}
	ldns_rdf_deep_free(ldns_rr_owner(c));
	ldns_rr_set_owner(c, o);
	return c;
}

const char *proxy_service_lan_name(const struct proxy *p, const ldns_rdf *instance,
                                   char *buf, size_t len)
{
	struct dnssd_svcname sn;
	const ldns_rdf *n;
	if (!p || !instance || !buf || !len || !(n = lan_name(p, instance)) ||
	    dnssd_svcname_parse(n, &sn) < 0 || sn.kind != DNSSD_NAME_INSTANCE)
		return NULL;
	snprintf(buf, len, "%s", sn.instance);
	return buf;
}
