/*
 * proxy_forward.c: the proxy engine's questions to remotes (proxy_int.h): which
 * remote owns a name asked on the LAN or by the publisher, the name there, and
 * whether its cache already answers well; rate-limited per remote, gathered and
 * sent once per engine call (proxy_leave).
 */
#include <config.h>

#include "engine/proxy_int.h"

/* Whether peer's cache cannot answer name and type well: nothing live, or a record
 * near its expiry (RFC 6762 §5.2). */
static bool need_asking(struct proxy *p, struct rpeer *peer, const ldns_rdf *name,
                        uint16_t type)
{
	struct dnssd_entry *buf[32], **v;
	size_t n = dnssd_cache_find_all(peer->remote, name, type, 0, p->now, buf, 32, &v);
	bool live = false, need = false;
	for (size_t i = 0; i < n && !need; i++) {
		if (dnssd_entry_is_goodbye(v[i]) || !dnssd_entry_ttl_left(v[i], p->now))
			continue;
		live = true;
		uint64_t ttl = dnssd_entry_ttl(v[i]);
		uint64_t age = p->now - dnssd_entry_updated(v[i]);
		need = age >= ttl * NEAR_EXPIRY_PERMILLE;
	}
	dnssd_cache_found_free(v, buf);
	return need || !live;
}

/* Whether the peer's import rules could take services of this type name. */
static bool import_wants(const struct rpeer *peer, const ldns_rdf *name)
{
	struct dnssd_svcname sn;
	const struct policy_ruleset *rs = peer->rc.import_rules;
	if (dnssd_svcname_parse(name, &sn) < 0)
		return false;
	if (sn.kind == DNSSD_NAME_ENUM)
		return policy_ruleset_count(rs) > 0;
	if (sn.kind != DNSSD_NAME_SERVICE_TYPE && sn.kind != DNSSD_NAME_SUBTYPE)
		return false;
	struct policy_subject s = {.service = sn.service,
	                           .subtype =
	                               sn.kind == DNSSD_NAME_SUBTYPE ? sn.subtype : NULL};
	return policy_decide_any_instance(rs, &s) == POLICY_ALLOW;
}

/* Forward q to peer (asking for name there) when its cache cannot answer well. */
static void maybe_forward(struct proxy *p, struct rpeer *peer, const ldns_rr *q,
                          const ldns_rdf *name)
{
	const ldns_rdf *qname = ldns_rr_owner(q);
	uint16_t qtype = proxy_rr_type(q);

	/* An added remote without send_questions is never asked (remote.h). */
	if (!peer->up || !proxy_remote_asks(peer) || !need_asking(p, peer, qname, qtype))
		return;
	struct nent *f = proxy_ntab_find(&peer->fwd, qname, qtype);
	if (f && p->now < f->t + FWD_GAP_MS)
		return;
	if (!proxy_question_token(p, &peer->fwd_q)) {
		p->st.drops[PROXY_DROP_RATE]++;
		return;
	}
	if ((f = proxy_ntab_add(&peer->fwd, qname, qtype)))
		f->t = p->now;
	proxy_rv_push_own(&peer->fwdq, proxy_make_question(name, qtype));
}

/* Which peers own a name asked on the LAN, and the name there. */
void proxy_forward_question(struct proxy *p, const ldns_rr *q)
{
	const ldns_rdf *qname = ldns_rr_owner(q);
	enum dnssd_name_kind k = dnssd_name_kind(qname);
	const struct nent *a = proxy_ntab_find(&p->alias, qname, 0);
	bool done = false;

	if (a && a->peer && a->name) {
		maybe_forward(p, a->peer, q, a->name);
		return;
	}
	if (k == DNSSD_NAME_ENUM || k == DNSSD_NAME_SERVICE_TYPE ||
	    k == DNSSD_NAME_SUBTYPE) {
		for (size_t i = 0; i < p->npeers; i++)
			if (p->peers[i]->up && import_wants(p->peers[i], qname))
				maybe_forward(p, p->peers[i], q, qname);
		return;
	}
	if (k != DNSSD_NAME_INSTANCE && k != DNSSD_NAME_HOST)
		return;
	for (size_t i = 0; i < p->npeers; i++) {
		struct rpeer *peer = p->peers[i];
		if (!peer->up)
			continue;
		ldns_rdf *un = dnssd_unrename_name(p->rename, peer->name, qname);
		if (un && !dnssd_name_eq(un, qname)) {
			maybe_forward(p, peer, q, un);
			done = true;
		}
		ldns_rdf_deep_free(un);
	}
	if (done)
		return;
	/* Names kept as they are (empty templates): whoever holds them. */
	for (size_t i = 0; i < p->npeers; i++) {
		struct dnssd_entry *tmp[1];
		if (p->peers[i]->up &&
		    dnssd_cache_find(p->peers[i]->remote, qname, LDNS_RR_TYPE_ANY, 0,
		                     p->now, tmp, 1))
			maybe_forward(p, p->peers[i], q, qname);
	}
}

void proxy_flush_fwd(struct proxy *p)
{
	for (size_t i = 0; i < p->npeers; i++) {
		struct rpeer *peer = p->peers[i];
		if (!peer->fwdq.n)
			continue;
		int (*send)(void *, unsigned, const ldns_rr *const *, size_t);
		void *arg = peer->pcfg ? p->io.arg : peer->ops_arg;
		send = peer->pcfg ? p->io.peer_send_questions : peer->ops.send_questions;
		if (send && send(arg, peer->id, peer->fwdq.v, peer->fwdq.n) >= 0) {
			peer->questions_out += peer->fwdq.n;
			p->st.questions_forwarded += peer->fwdq.n;
		} else {
			p->st.peer_send_errors++;
		}
		proxy_rv_free(&peer->fwdq);
	}
}
