/*
 * proxy_lanin.c: LAN datagrams into the proxy engine: responses (local cache,
 * export), questions (answers from the remote caches, forwarding to peers),
 * with the per-source rate limits, and services another browser found on the
 * LAN (proxy_local_service), taken as if announced (proxy_int.h).
 */
#include <config.h>

#include "engine/proxy_int.h"

/* ------------------------------------------------------------ LAN input */

bool proxy_any_peer_up(const struct proxy *p)
{
	for (size_t i = 0; i < p->npeers; i++)
		if (p->peers[i]->up)
			return true;
	return false;
}

/* The service types of the LAN, for shed recovery to ask about (proxy_src). */
static void note_lan_type(struct proxy *p, const ldns_rr *rr)
{
	const ldns_rdf *type = NULL;
	if (proxy_rr_type(rr) != LDNS_RR_TYPE_PTR || ldns_rr_ttl(rr) == 0)
		return;
	if (dnssd_name_kind(ldns_rr_owner(rr)) == DNSSD_NAME_SERVICE_TYPE)
		type = ldns_rr_owner(rr);
	else if (dnssd_name_kind(ldns_rr_owner(rr)) == DNSSD_NAME_ENUM &&
	         dnssd_rdf_name(rr, 0) &&
	         dnssd_name_kind(dnssd_rdf_name(rr, 0)) == DNSSD_NAME_SERVICE_TYPE)
		type = dnssd_rdf_name(rr, 0);
	if (!type)
		return;
	struct nent *t = proxy_ntab_find(&p->lan_types, type, 0);
	if (!t && proxy_ntab_count(&p->lan_types) < LAN_TYPES_MAX &&
	    (t = proxy_ntab_add(&p->lan_types, type, 0)) &&
	    !(t = proxy_nent_set_name(&p->lan_types, t, type)))
		return;
	if (t)
		t->t = p->now;
}

/* Hosts of one IPv4 /24 (or IPv6 /120) differ in the last byte only: added to the
 * hash of the rest, it gives each of them a slot of its own. */
_Static_assert(SRC_SLOTS >= 256, "a slot for every last byte");

/* The budget slot of a sender (the same for a local entry's stored sender). */
static struct proxy_src *sender_slot(struct proxy *p, const struct policy_sender *s)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	uint8_t b[16] = {0};
	if (s->af == AF_INET) {
		memcpy(b, v4mapped, 12);
		memcpy(b + 12, s->addr, 4);
	} else if (s->af == AF_INET6) {
		memcpy(b, s->addr, 16);
	}
	uint64_t h = dnssd_hash(b, sizeof(b) - 1, p->src_seed);
	return &p->src[((h ^ h >> 32) + b[15]) % SRC_SLOTS];
}

static struct proxy_src *entry_slot(struct proxy *p, const struct dnssd_entry *e)
{
	struct policy_sender s;
	proxy_entry_sender(e, &s);
	return sender_slot(p, &s);
}

void proxy_local_gone(void *arg, struct dnssd_entry *e)
{
	struct proxy_src *slot = entry_slot(arg, e);
	if (slot->held)
		slot->held--;
}

static void count_held(void *arg, struct dnssd_entry *e)
{
	entry_slot(arg, e)->held++;
}

/*
 * The shares counted again: an expired entry put again before it was collected is
 * counted twice (its sender is gone with its aux slots), and this bounds the error.
 */
void proxy_local_recount(struct proxy *p)
{
	for (size_t i = 0; i < SRC_SLOTS; i++)
		p->src[i].held = 0;
	dnssd_cache_foreach(p->local, count_held, p);
}

bool proxy_local_rr(struct proxy *p, unsigned ifindex, const struct policy_sender *sender,
                    const ldns_rr *rr, bool any_up, struct rrvec *recs)
{
	struct proxy_src *slot;
	const ldns_rdf *subj;
	if (!rr || proxy_rr_type(rr) == LDNS_RR_TYPE_NSEC ||
	    dnssd_rr_class(rr) != LDNS_RR_CLASS_IN ||
	    dnssd_name_kind(ldns_rr_owner(rr)) == DNSSD_NAME_REVERSE)
		return false;
	subj = proxy_subject_name(rr);
	if (subj && proxy_name_is_remote(p, subj)) {
		/* our own announcement repeated by another responder */
		p->st.drops[PROXY_DROP_LOOP]++;
		return false;
	}
	slot = sender_slot(p, sender);
	if (slot->held >= SRC_CACHE_MAX && !dnssd_cache_get(p->local, rr)) {
		/* one host's share of the cache is full: the others keep theirs */
		p->st.drops[PROXY_DROP_LIMIT]++;
		return false;
	}
	struct dnssd_entry *e = NULL;
	int put = dnssd_cache_put(p->local, rr, ifindex, p->now, &e, proxy_local_gone, p);
	if (put == -ENOSPC)
		p->st.drops[PROXY_DROP_LIMIT]++;
	if (e) {
		struct proxy_src *was = put == DNSSD_PUT_NEW ? NULL : entry_slot(p, e);
		if (was != slot) {
			if (was && was->held)
				was->held--;
			slot->held++;
		}
		proxy_set_entry_sender(e, sender);
	}
	note_lan_type(p, rr);
	proxy_rv_push(recs, rr);
	/* Browsing: the types a peer may have are asked for in turn. */
	if (any_up && proxy_rr_type(rr) == LDNS_RR_TYPE_PTR && ldns_rr_ttl(rr) > 0 &&
	    dnssd_name_kind(ldns_rr_owner(rr)) == DNSSD_NAME_ENUM &&
	    dnssd_rdf_name(rr, 0) && proxy_type_exported(p, dnssd_rdf_name(rr, 0)))
		proxy_lan_ask(p, dnssd_rdf_name(rr, 0), LDNS_RR_TYPE_PTR);
	return put == DNSSD_PUT_NEW;
}

static struct proxy_src *src_slot(struct proxy *p, const struct sockaddr *src)
{
	struct policy_sender s;
	proxy_sa_sender(src, &s);
	return sender_slot(p, &s);
}

static void lan_response(struct proxy *p, unsigned ifindex, const struct sockaddr *src,
                         const struct dnssd_msg *m)
{
	static const enum dnssd_section secs[2] = {DNSSD_SEC_ANSWER,
	                                           DNSSD_SEC_ADDITIONAL};
	struct rrvec recs = {0};
	struct policy_sender sender;
	bool any_up = proxy_any_peer_up(p);
	const struct proxy_src *slot = src_slot(p, src);
	/* answers to a shed recovery round: what is new was recovered */
	bool recovering = slot->round_at && p->now < slot->round_at + SHED_WINDOW_MS;

	proxy_sa_sender(src, &sender);
	for (int s = 0; s < 2; s++) {
		size_t n = dnssd_msg_count(m, secs[s]);
		for (size_t i = 0; i < n; i++)
			if (proxy_local_rr(p, ifindex, &sender,
			                   dnssd_msg_rr(m, secs[s], i), any_up, &recs) &&
			    recovering)
				p->st.shed_recovered++;
	}
	if (recs.n && any_up)
		proxy_export_all_peers(p, recs.v, recs.n, &sender);
	proxy_rv_free(&recs);
}

struct ans {
	struct rpeer *peer;
	struct dnssd_entry *e;
	uint8_t sec;
};

struct avec {
	struct ans *v;
	size_t n, cap;
};

static void av_push(struct avec *av, struct rpeer *peer, struct dnssd_entry *e,
                    uint8_t sec)
{
	for (size_t i = 0; i < av->n; i++)
		if (av->v[i].e == e) {
			if (sec == DNSSD_SEC_ANSWER)
				av->v[i].sec = sec;
			return;
		}
	if (dnssd_grow((void **)&av->v, &av->cap, av->n + 1, sizeof(*av->v)) == 0)
		av->v[av->n++] = (struct ans){peer, e, sec};
}

/* Live records of name and type in one peer's cache (all peers when only is NULL). */
static void find_remote(struct proxy *p, struct rpeer *only, const ldns_rdf *name,
                        uint16_t type, uint8_t sec, struct avec *av)
{
	for (size_t i = 0; i < p->npeers; i++) {
		struct rpeer *peer = p->peers[i];
		struct dnssd_entry *buf[32], **tmp;
		if (only && peer != only)
			continue;
		size_t m = dnssd_cache_find_all(peer->remote, name, type, 0, p->now, buf, 32,
		                                &tmp);
		for (size_t j = 0; j < m; j++)
			if (!dnssd_entry_is_goodbye(tmp[j]) &&
			    dnssd_entry_ttl_left(tmp[j], p->now))
				av_push(av, peer, tmp[j], sec);
		dnssd_cache_found_free(tmp, buf);
	}
}

/* RFC 6763 §12: SRV and TXT with a PTR answer, addresses with an SRV. */
static void add_additionals(struct proxy *p, struct avec *av)
{
	for (size_t i = 0; i < av->n; i++) {
		struct ans a = av->v[i];
		uint16_t type = dnssd_entry_type(a.e);
		if (type != LDNS_RR_TYPE_PTR && type != LDNS_RR_TYPE_SRV)
			continue;
		ldns_rr *rr = dnssd_entry_rr_new(a.e);
		const ldns_rdf *t;
		if (!rr)
			continue;
		if (proxy_rr_type(rr) == LDNS_RR_TYPE_PTR && a.sec == DNSSD_SEC_ANSWER &&
		    (t = dnssd_rdf_name(rr, 0)) &&
		    dnssd_name_kind(t) == DNSSD_NAME_INSTANCE) {
			find_remote(p, a.peer, t, LDNS_RR_TYPE_SRV, DNSSD_SEC_ADDITIONAL,
			            av);
			find_remote(p, a.peer, t, LDNS_RR_TYPE_TXT, DNSSD_SEC_ADDITIONAL,
			            av);
		} else if ((t = dnssd_srv_target(rr))) {
			find_remote(p, a.peer, t, LDNS_RR_TYPE_A, DNSSD_SEC_ADDITIONAL,
			            av);
			find_remote(p, a.peer, t, LDNS_RR_TYPE_AAAA, DNSSD_SEC_ADDITIONAL,
			            av);
		}
		ldns_rr_free(rr);
	}
}

/* RFC 6762 §7.1: the asker lists it with at least half its TTL. */
static bool known_answer(const struct dnssd_msg *m, const ldns_rr *rr)
{
	size_t n = dnssd_msg_count(m, DNSSD_SEC_ANSWER);
	for (size_t i = 0; i < n; i++) {
		const ldns_rr *ka = dnssd_msg_rr(m, DNSSD_SEC_ANSWER, i);
		if (ka && (uint64_t)ldns_rr_ttl(ka) * 2 >= ldns_rr_ttl(rr) &&
		    proxy_rr_same(ka, rr))
			return true;
	}
	return false;
}

/* known_answer() for a cached record, built only when the asker listed any. */
static bool known_entry(const struct proxy *p, const struct dnssd_msg *m,
                        const struct dnssd_entry *e)
{
	if (!dnssd_msg_count(m, DNSSD_SEC_ANSWER))
		return false;
	ldns_rr *rr = dnssd_entry_rr_new(e);
	proxy_pub_lan_rr(p, rr);
	bool known = rr && known_answer(m, rr);
	ldns_rr_free(rr);
	return known;
}

/* A response of slot's source was shed: a recovery round will follow. */
static void shed_response(struct proxy *p, struct proxy_src *slot)
{
	/* the last round was long ago: this is a new episode */
	if (slot->rounds && p->now >= slot->round_at + SHED_WINDOW_MS)
		slot->rounds = 0;
	if (slot->rounds >= SHED_ROUNDS_MAX)
		return; /* a source that never stops: it sends again by itself */
	if (!slot->pending) {
		slot->pending = true;
		p->shed_pending++;
	}
	slot->shed_at = p->now;
	if (p->now + SHED_QUIET_MS < p->shed_next)
		p->shed_next = p->now + SHED_QUIET_MS;
}

/*
 * Whether a LAN datagram fits the budgets of its source and of the LAN, at the
 * cost of the records and questions its header announces (decoding checks them).
 * A second's worth of either budget may come at once.
 */
static bool lan_admit(struct proxy *p, const struct sockaddr *src, const uint8_t *buf,
                      size_t len)
{
	uint64_t n = 1;
	uint32_t per_src = policy_config_lan_records_per_source(p->cfg),
	         total = policy_config_lan_records_total(p->cfg);
	if (len >= 12)
		for (int i = 4; i < 12; i += 2)
			n += (uint64_t)buf[i] << 8 | buf[i + 1];
	if (n > len / 5 + 1) /* counts that lie; decoding drops it */
		n = len / 5 + 1;
	struct proxy_src *slot = src_slot(p, src);
	if (proxy_bucket_take(&slot->b, per_src, per_src, p->now, n) &&
	    proxy_bucket_take(&p->lan_bucket, total, total, p->now, n))
		return true;
	/* The header alone tells a response with records (QR, answer count). */
	if (len >= 12 && (buf[2] & 0x80) && (buf[6] | buf[7]))
		shed_response(p, slot);
	return false;
}

struct type_list {
	const ldns_rdf **v;
	size_t n, cap;
};

static bool collect_type(struct nent *e, const void *arg)
{
	struct type_list *tl = (struct type_list *)(uintptr_t)arg;
	if (e->name && dnssd_grow((void **)&tl->v, &tl->cap, tl->n + 1, sizeof(*tl->v)) == 0)
		tl->v[tl->n++] = e->name;
	return false;
}

/*
 * One recovery round: the service enumeration and every exported type of the LAN
 * asked at the end of this call (all at once, with the cached records as known
 * answers, so that responders send only what we lack). Asked through the table of
 * questions asked, so that the enumeration's answer does not ask them again.
 */
static void shed_round(struct proxy *p)
{
	struct type_list tl = {0};
	size_t before = p->askq.n;
	proxy_ntab_filter(&p->lan_types, collect_type, &tl);
	proxy_lan_ask(p, p->enum_name, LDNS_RR_TYPE_PTR);
	for (size_t i = 0; i < tl.n; i++)
		if (proxy_type_exported(p, tl.v[i]))
			proxy_lan_ask(p, tl.v[i], LDNS_RR_TYPE_PTR);
	p->st.shed_questions += p->askq.n - before;
	free(tl.v);
}

uint64_t proxy_shed_run(struct proxy *p)
{
	if (!p->shed_pending) {
		p->shed_next = UINT64_MAX;
		return UINT64_MAX;
	}
	if (p->now < p->shed_next)
		return p->shed_next;
	uint64_t next = UINT64_MAX, round_ok = p->shed_round + SHED_QUIET_MS;
	bool ask = false;
	for (size_t i = 0; i < SRC_SLOTS; i++) {
		struct proxy_src *s = &p->src[i];
		if (!s->pending)
			continue;
		uint64_t due = s->shed_at + SHED_QUIET_MS;
		if (due < round_ok)
			due = round_ok;
		if (p->now < due) {
			if (due < next)
				next = due;
			continue;
		}
		/* quiet for long enough: asked in this round */
		s->pending = false;
		s->round_at = p->now;
		s->rounds++;
		p->shed_pending--;
		ask = true;
	}
	if (ask) {
		shed_round(p);
		p->shed_round = p->now;
	}
	p->shed_next = next;
	return next;
}

/* Unicast answers: QU questions, unicast queries and legacy unicast (RFC 6762 §6.7). */
static void send_unicast(struct proxy *p, unsigned ifindex, const struct sockaddr *src,
                         const struct dnssd_msg *m, const struct avec *av, bool legacy)
{
	int af = src->sa_family;
	size_t mtu = proxy_mtu_for(p, ifindex, af);
	struct dnssd_enc *enc =
	    dnssd_enc_new(mtu ? mtu : 512, true, legacy ? dnssd_msg_id(m) : 0);
	if (!enc)
		return;
	if (legacy) {
		size_t nq = dnssd_msg_count(m, DNSSD_SEC_QUESTION);
		for (size_t i = 0; i < nq; i++)
			dnssd_enc_question(enc, dnssd_msg_rr(m, DNSSD_SEC_QUESTION, i));
	}
	for (int pass = 0; pass < 2; pass++) {
		enum dnssd_section want = pass ? DNSSD_SEC_ADDITIONAL : DNSSD_SEC_ANSWER;
		for (size_t i = 0; i < av->n; i++) {
			if (av->v[i].sec != want)
				continue;
			uint32_t ttl = dnssd_entry_ttl_left(av->v[i].e, p->now);
			ldns_rr *c = proxy_entry_rr_ttl(av->v[i].e, ttl);
			if (!c)
				continue;
			proxy_pub_lan_rr(p, c);
			if (legacy) {
				if (ttl > LEGACY_TTL_MAX)
					ldns_rr_set_ttl(c, LEGACY_TTL_MAX);
				ldns_rr_set_class(c, (ldns_rr_class)dnssd_rr_class(c));
			}
			dnssd_enc_rr(enc, want, c);
			ldns_rr_free(c);
			if (want == DNSSD_SEC_ANSWER)
				p->st.answers_unicast++;
		}
	}
	proxy_send_enc(p, enc, ifindex, af, src);
	dnssd_enc_free(enc);
}

/* Known answers that follow a TC query cancel what is queued for that asker. */
static void drop_known_pending(struct proxy *p, size_t pos, int fam, uint32_t src,
                               const struct dnssd_msg *m)
{
	struct outq *q = &p->ifs[pos].q[fam];
	size_t keep = 0;
	for (size_t i = 0; i < q->n; i++) {
		struct oitem *it = &q->v[i];
		if (it->kind == OI_ANSWER && it->src == src && it->peer) {
			struct dnssd_entry *e =
			    dnssd_cache_get(it->peer->remote, it->r->rr);
			if (e && known_entry(p, m, e)) {
				proxy_qrr_put(it->r);
				continue;
			}
		}
		q->v[keep++] = *it;
	}
	q->n = keep;
}

/*
 * Legacy unicast askers (RFC 6762 §6.7) of a record the caches lack: it is asked of
 * the owning site, and the answer, when it comes within FWD_PENDING_MS, is sent to
 * them by unicast as well (the multicast announcement does not reach their port).
 */
static void waiter_free(struct waiter *w)
{
	ldns_rr_free(w->asked);
	ldns_rr_free(w->q);
	memset(w, 0, sizeof(*w));
}

void proxy_waiters_free(struct proxy *p)
{
	for (size_t i = 0; i < p->nwait; i++)
		waiter_free(&p->wait[i]);
	p->nwait = 0;
}

static void add_waiter(struct proxy *p, unsigned ifindex, const struct sockaddr *src,
                       uint16_t id, const ldns_rr *asked, const ldns_rr *q)
{
	size_t keep = 0;
	for (size_t i = 0; i < p->nwait; i++) {
		if (p->now >= p->wait[i].t + FWD_PENDING_MS)
			waiter_free(&p->wait[i]);
		else
			p->wait[keep++] = p->wait[i];
	}
	p->nwait = keep;
	if (!asked || p->nwait == WAIT_MAX)
		return; /* the asker asks again, as legacy resolvers do */
	struct waiter *w = &p->wait[p->nwait];
	memset(w, 0, sizeof(*w));
	w->asked = ldns_rr_clone(asked);
	w->q = ldns_rr_clone(q);
	if (!w->asked || !w->q) {
		waiter_free(w);
		return;
	}
	memcpy(&w->src, src,
	       src->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                  : sizeof(struct sockaddr_in));
	w->ifindex = ifindex;
	w->id = id;
	w->t = p->now;
	p->nwait++;
}

void proxy_answer_waiters(struct proxy *p, const ldns_rr *rr)
{
	size_t keep = 0;
	for (size_t i = 0; i < p->nwait; i++) {
		struct waiter *w = &p->wait[i];
		uint16_t qt = proxy_rr_type(w->q);
		if (p->now >= w->t + FWD_PENDING_MS) {
			waiter_free(w);
			continue;
		}
		if (ldns_rr_ttl(rr) == 0 || (qt != LDNS_RR_TYPE_ANY && qt != proxy_rr_type(rr)) ||
		    !dnssd_name_eq(ldns_rr_owner(w->q), ldns_rr_owner(rr))) {
			p->wait[keep++] = *w;
			continue;
		}
		const struct sockaddr *dst = (const struct sockaddr *)&w->src;
		size_t mtu = proxy_mtu_for(p, w->ifindex, dst->sa_family);
		struct dnssd_enc *enc = dnssd_enc_new(mtu ? mtu : 512, true, w->id);
		ldns_rr *c = ldns_rr_clone(rr);
		if (enc && c) {
			if (ldns_rr_ttl(c) > LEGACY_TTL_MAX)
				ldns_rr_set_ttl(c, LEGACY_TTL_MAX);
			ldns_rr_set_class(c, (ldns_rr_class)dnssd_rr_class(c));
			proxy_pub_lan_rr(p, c);
			dnssd_enc_question(enc, w->asked);
			dnssd_enc_rr(enc, DNSSD_SEC_ANSWER, c);
			proxy_send_enc(p, enc, w->ifindex, dst->sa_family, dst);
			p->st.answers_unicast++;
		}
		ldns_rr_free(c);
		dnssd_enc_free(enc);
		waiter_free(w);
	}
	p->nwait = keep;
}

static void lan_query(struct proxy *p, unsigned ifindex, const struct sockaddr *src,
                      bool dst_multicast, const struct dnssd_msg *m)
{
	size_t pos = 0;
	struct iface *ifc = proxy_iface_find(p, ifindex, &pos);
	int fam = proxy_af_fam(src->sa_family);
	bool legacy = proxy_sa_port(src) != DNSSD_MDNS_PORT;
	size_t nq = dnssd_msg_count(m, DNSSD_SEC_QUESTION);
	uint32_t srch = proxy_sa_hash(src);
	struct avec uni = {0};

	if (!ifc || fam < 0)
		return;
	if (nq == 0) {
		drop_known_pending(p, pos, fam, srch, m);
		return;
	}
	uint64_t delay = (dnssd_msg_truncated(m) ? TC_DELAY_MIN_MS : DELAY_MIN_MS) +
	                 proxy_rnd(p) % DELAY_SPAN_MS;
	for (size_t i = 0; i < nq; i++) {
		const ldns_rr *q = dnssd_msg_rr(m, DNSSD_SEC_QUESTION, i);
		struct avec av = {0};
		uint16_t kl;
		if (!q)
			continue;
		kl = dnssd_rr_class(q);
		if (kl != LDNS_RR_CLASS_IN && kl != LDNS_RR_CLASS_ANY)
			continue;
		/* a name the publisher chose: the records the engine keeps for it */
		ldns_rr *mq = proxy_pub_question_in(p, q);
		if (mq)
			q = mq;
		if (!p->ext_live) {
			find_remote(p, NULL, ldns_rr_owner(q), proxy_rr_type(q),
			            DNSSD_SEC_ANSWER, &av);
			add_additionals(p, &av);
		}
		bool had = av.n > 0;
		size_t keep = 0;
		for (size_t j = 0; j < av.n; j++)
			if (!known_entry(p, m, av.v[j].e))
				av.v[keep++] = av.v[j];
		av.n = keep;
		if (legacy || !dst_multicast || dnssd_q_unicast(q)) {
			for (size_t j = 0; j < av.n; j++)
				av_push(&uni, av.v[j].peer, av.v[j].e, av.v[j].sec);
		} else {
			for (size_t j = 0; j < av.n; j++) {
				struct qrr *r =
				    proxy_qrr_new(dnssd_entry_rr_new(av.v[j].e));
				proxy_q_push(&ifc->q[fam], r, av.v[j].peer,
				             p->now + delay, p->now, srch, av.v[j].sec,
				             OI_ANSWER);
				proxy_qrr_put(r);
			}
		}
		/* nothing to answer a legacy asker with yet: it waits for the peer */
		if (legacy && !p->ext_live && !had)
			add_waiter(p, ifindex, src, dnssd_msg_id(m),
			           dnssd_msg_rr(m, DNSSD_SEC_QUESTION, i), q);
		free(av.v);
		proxy_forward_question(p, q);
		ldns_rr_free(mq);
	}
	if (uni.n)
		send_unicast(p, ifindex, src, m, &uni, legacy);
	free(uni.v);
}

void proxy_lan_input(struct proxy *p, unsigned ifindex, const struct sockaddr *src,
                     bool dst_multicast, const uint8_t *buf, size_t len, uint64_t now_ms)
{
	struct dnssd_msg *m = NULL;
	enum dnssd_reason why = DNSSD_R_OK;

	if (!p || !src || !buf)
		return;
	proxy_enter(p, now_ms);
	p->st.lan_packets_in++;
	p->st.lan_bytes_in += len;
	if (!proxy_iface_find(p, ifindex, NULL))
		return;
	if (!lan_admit(p, src, buf, len)) {
		p->st.drops[PROXY_DROP_SOURCE]++;
		return;
	}
	if (dnssd_msg_decode(buf, len, &m, &why) < 0) {
		if ((unsigned)why < DNSSD_R_MAX)
			p->st.decode_drops[why]++;
		return;
	}
	if (dnssd_msg_kind(m) == DNSSD_RESPONSE) {
		if (proxy_sa_port(src) != DNSSD_MDNS_PORT)
			p->st.drops[PROXY_DROP_NOT_MDNS_PORT]++;
		else
			lan_response(p, ifindex, src, m);
	} else {
		lan_query(p, ifindex, src, dst_multicast, m);
	}
	dnssd_msg_free(m);
	proxy_leave(p);
}

/* and for PTR and TXT */

/* ------------------------------------------------------------ services found by a browser */

#define FOUND_TTL_HOST 120   /* Avahi's TTL for SRV and address records */
#define FOUND_TTL_OTHER 4500 

static ldns_rr *found_rr(struct rrvec *v, const ldns_rdf *owner, uint16_t type,
                         uint32_t ttl, bool unique)
{
	ldns_rr *rr = ldns_rr_new();
	ldns_rdf *o = ldns_rdf_clone(owner);
	if (!rr || !o) {
		ldns_rr_free(rr);
		ldns_rdf_deep_free(o);
		return NULL;
	}
	ldns_rr_set_owner(rr, o);
	ldns_rr_set_type(rr, type);
	ldns_rr_set_ttl(rr, ttl);
	ldns_rr_set_class(rr, (ldns_rr_class)(LDNS_RR_CLASS_IN | (unique ? 0x8000 : 0)));
	if (proxy_rv_push_own(v, rr) < 0)
		return NULL;
	return rr;
}

/* Appends rdata field d (owned by rr from now on); false when out of memory. */
static bool push_rdf(ldns_rr *rr, ldns_rdf *d)
{
	if (!rr || !d || !ldns_rr_push_rdf(rr, d)) {
		ldns_rdf_deep_free(d);
		return false;
	}
	return true;
}

/* The records a responder sends for f (goodbyes: PTR, SRV, TXT with TTL 0) in v. */
static int found_records(struct proxy *p, const struct dnssd_service *f, bool removed,
                         struct rrvec *v)
{
	struct dnssd_svcname sn = {.kind = DNSSD_NAME_INSTANCE};
	ldns_rdf *inst = NULL, *type = NULL, *host = NULL;
	ldns_rr *rr;
	int rc = -ENOMEM;
	bool ok = true;

	if (strlen(f->name) >= sizeof(sn.instance) ||
	    strlen(f->type) >= sizeof(sn.service) ||
	    (f->domain && strlen(f->domain) >= sizeof(sn.domain)))
		return -EINVAL;
	/* strings of at most 255 bytes, in an rdata that fits 16 bits */
	size_t txt_bytes = 0;
	for (size_t i = 0; i < f->ntxt; i++) {
		if (f->txt[i].len > 255)
			return -EINVAL;
		txt_bytes += 1 + f->txt[i].len;
	}
	if (txt_bytes > 65535)
		return -EINVAL;
	snprintf(sn.instance, sizeof(sn.instance), "%s", f->name);
	snprintf(sn.service, sizeof(sn.service), "%s", f->type);
	snprintf(sn.domain, sizeof(sn.domain), "%s", f->domain ? f->domain : "local");
	if (dnssd_svcname_build(&sn, &inst) < 0)
		return -EINVAL;
	sn.kind = DNSSD_NAME_SERVICE_TYPE;
	if (dnssd_svcname_build(&sn, &type) < 0 ||
	    ldns_str2rdf_dname(&host, f->host) != LDNS_STATUS_OK) {
		rc = -EINVAL;
		goto out;
	}
	uint32_t ttl_host = removed ? 0 : FOUND_TTL_HOST;
	uint32_t ttl_other = removed ? 0 : FOUND_TTL_OTHER;

	if (!removed) {
		rr = found_rr(v, p->enum_name, LDNS_RR_TYPE_PTR, ttl_other, false);
		ok &= push_rdf(rr, ldns_rdf_clone(type));
	}
	rr = found_rr(v, type, LDNS_RR_TYPE_PTR, ttl_other, false);
	ok &= push_rdf(rr, ldns_rdf_clone(inst));
	rr = found_rr(v, inst, LDNS_RR_TYPE_SRV, ttl_host, true);
	ok &= push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 0)) &&
	      push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 0)) &&
	      push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, f->port)) &&
	      push_rdf(rr, ldns_rdf_clone(host));
	rr = found_rr(v, inst, LDNS_RR_TYPE_TXT, ttl_other, true);
	/* an empty TXT is one empty string (RFC 6763 §6.1), as responders send it */
	for (size_t i = 0; i < (f->ntxt ? f->ntxt : 1) && rr; i++) {
		uint8_t buf[256];
		size_t len = f->ntxt ? f->txt[i].len : 0;
		buf[0] = (uint8_t)len;
		if (len)
			memcpy(buf + 1, f->txt[i].data, len);
		ok &=
		    push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, len + 1, buf));
	}
	ok &= rr != NULL;
	for (size_t i = 0; !removed && i < f->naddrs; i++) {
		const struct dnssd_addr *a = &f->addrs[i];
		if (a->af != AF_INET && a->af != AF_INET6)
			continue;
		bool v4 = a->af == AF_INET;
		rr = found_rr(v, host, v4 ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA, ttl_host,
		              true);
		ok &= push_rdf(
		    rr, ldns_rdf_new_frm_data(v4 ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA,
		                              v4 ? 4 : 16, a->a));
	}
	rc = ok ? 0 : -ENOMEM;
out:
	ldns_rdf_deep_free(inst);
	ldns_rdf_deep_free(type);
	ldns_rdf_deep_free(host);
	return rc;
}

int proxy_local_service(struct proxy *p, unsigned ifindex, const struct dnssd_service *f,
                        bool removed, uint64_t now_ms)
{
	struct rrvec own = {0}, recs = {0};
	struct policy_sender sender = {0};
	int rc;

	if (!p || !f || !f->name || !f->type || !f->host || (f->ntxt && !f->txt) ||
	    (f->naddrs && !f->addrs))
		return -EINVAL;
	if (!proxy_iface_find(p, ifindex, NULL))
		return -ENOENT;
	proxy_enter(p, now_ms);
	rc = found_records(p, f, removed, &own);
	if (rc == 0) {
		bool any_up = proxy_any_peer_up(p);
		if (f->naddrs && (f->addrs[0].af == AF_INET || f->addrs[0].af == AF_INET6)) {
			sender.af = f->addrs[0].af;
			memcpy(sender.addr, f->addrs[0].a, sender.af == AF_INET ? 4 : 16);
		}
		for (size_t i = 0; i < own.n; i++)
			proxy_local_rr(p, ifindex, &sender, own.v[i], any_up, &recs);
		if (recs.n && any_up)
			proxy_export_all_peers(p, recs.v, recs.n, &sender);
	}
	proxy_rv_free(&recs);
	proxy_rv_free(&own);
	proxy_leave(p);
	return rc;
}
