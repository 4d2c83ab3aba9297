/*
 * proxy_lanout.c: what the proxy engine sends on the LAN: the output queues
 * of announcements, answers and goodbyes (one multicast of a record a second
 * per interface, RFC 6762 §6), and the questions it asks (proxy_int.h).
 */
#include <config.h>

#include "engine/proxy_int.h"

/* ------------------------------------------------------------ LAN output */

/* Payload bytes per datagram; 0 when the family cannot be used on the interface. */
size_t proxy_mtu_for(struct proxy *p, unsigned ifindex, int af)
{
	size_t m = af == AF_INET6 ? 1452 : 1472; /* Ethernet */
	if (p->io.lan_mtu)
		m = p->io.lan_mtu(p->io.arg, ifindex, af);
	return m > DNSSD_MAX_PACKET ? DNSSD_MAX_PACKET : m;
}

void proxy_send_enc(struct proxy *p, struct dnssd_enc *e, unsigned ifindex, int af,
                    const struct sockaddr *dst)
{
	size_t n = dnssd_enc_finish(e);
	for (size_t i = 0; i < n; i++) {
		size_t len = 0;
		const uint8_t *buf = dnssd_enc_packet(e, i, &len);
		if (!buf || !p->io.lan_send)
			continue;
		if (p->io.lan_send(p->io.arg, ifindex, af, dst, buf, len) < 0) {
			p->st.lan_send_errors++;
		} else {
			p->st.lan_packets_out++;
			p->st.lan_bytes_out += len;
		}
	}
}

/*
 * Share rr (NULL: out of memory). The caller holds the first reference and
 * drops it with proxy_qrr_put(); rr is freed with the last one.
 */
struct qrr *proxy_qrr_new(ldns_rr *rr)
{
	struct qrr *r = rr ? malloc(sizeof(*r)) : NULL;
	if (!r) {
		ldns_rr_free(rr);
		return NULL;
	}
	r->rr = rr;
	r->refs = 1;
	return r;
}

void proxy_qrr_put(struct qrr *r)
{
	if (r && --r->refs == 0) {
		ldns_rr_free(r->rr);
		free(r);
	}
}

/* Queue a record: the item takes a reference to r of its own (r NULL: -ENOMEM). */
int proxy_q_push(struct outq *q, struct qrr *r, struct rpeer *peer, uint64_t due,
                 uint64_t asked, uint32_t src, uint8_t sec, uint8_t kind)
{
	if (!r || dnssd_grow((void **)&q->v, &q->cap, q->n + 1, sizeof(*q->v)) < 0)
		return -ENOMEM;
	r->refs++;
	q->v[q->n++] = (struct oitem){.r = r,
	                              .peer = peer,
	                              .due = due,
	                              .asked = asked,
	                              .src = src,
	                              .sec = sec,
	                              .kind = kind};
	return 0;
}

void proxy_q_clear(struct outq *q)
{
	for (size_t i = 0; i < q->n; i++)
		proxy_qrr_put(q->v[i].r);
	q->n = 0;
}

uint64_t proxy_q_next(const struct outq *q)
{
	uint64_t t = UINT64_MAX;
	for (size_t i = 0; i < q->n; i++)
		if (q->v[i].due < t)
			t = q->v[i].due;
	return t;
}

/*
 * Queue rr on every interface and family, at each of the n times due[]: the
 * items share it, and the last one sent or dropped frees it (NULL: out of
 * memory, nothing queued).
 */
static void queue_all(struct proxy *p, ldns_rr *rr, struct rpeer *peer,
                      const uint64_t *due, size_t n, uint64_t asked, uint8_t kind)
{
	struct qrr *r = proxy_qrr_new(rr);
	if (!r)
		return;
	for (size_t i = 0; i < PROXY_MAX_INTERFACES; i++) {
		if (!p->ifs[i].used)
			continue;
		for (int f = 0; f < NFAM; f++)
			for (size_t k = 0; k < n; k++)
				proxy_q_push(&p->ifs[i].q[f], r, peer, due[k], asked, 0,
				             DNSSD_SEC_ANSWER, kind);
	}
	proxy_qrr_put(r);
}

/*
 * While an external publisher is live it speaks for the remote records: the
 * engine queues nothing about them, and copies nothing to queue.
 */

/* New or changed: twice, one second apart (RFC 6762 §8.3). */
void proxy_announce(struct proxy *p, struct rpeer *peer, const ldns_rr *rr)
{
	const uint64_t due[2] = {p->now, p->now + ANNOUNCE_GAP_MS};
	if (!p->ext_live)
		queue_all(p, ldns_rr_clone(rr), peer, due, 2, p->now, OI_ANNOUNCE);
}

/* The answer to a question forwarded for the LAN at asked, now in. */
void proxy_queue_answer(struct proxy *p, const ldns_rr *rr, struct rpeer *peer,
                        uint64_t asked)
{
	if (!p->ext_live)
		queue_all(p, ldns_rr_clone(rr), peer, &p->now, 1, asked, OI_ANSWER);
}

void proxy_lan_goodbye(struct proxy *p, const ldns_rr *rr)
{
	if (!p->ext_live)
		queue_all(p, proxy_clone_ttl(rr, 0), NULL, &p->now, 1, p->now,
		          OI_GOODBYE);
}

void proxy_lan_goodbye_entry(struct proxy *p, const struct dnssd_entry *e)
{
	if (!p->ext_live)
		queue_all(p, proxy_entry_rr_ttl(e, 0), NULL, &p->now, 1, p->now,
		          OI_GOODBYE);
}

struct bitem {
	struct dnssd_entry *e;
	uint8_t sec;
};

static int bitem_cmp(const void *a, const void *b)
{
	const struct bitem *x = a, *y = b;
	if (x->e != y->e)
		return (uintptr_t)x->e < (uintptr_t)y->e ? -1 : 1;
	return (int)x->sec - (int)y->sec;
}

static void enc_entry(struct proxy *p, struct dnssd_enc *enc, enum dnssd_section sec,
                      struct dnssd_entry *e)
{
	ldns_rr *c = proxy_entry_rr_ttl(e, dnssd_entry_ttl_left(e, p->now));
	if (c) {
		proxy_pub_lan_rr(p, c);
		dnssd_enc_rr(enc, sec, c);
		ldns_rr_free(c);
	}
}

static void mark_multicast(struct dnssd_entry *e, uint64_t bit, uint64_t now)
{
	uint64_t last = dnssd_entry_aux(e, 0), mask = dnssd_entry_aux(e, 1);
	if (mask && now < last + MCAST_GAP_MS)
		mask |= bit;
	else
		mask = bit;
	dnssd_entry_set_aux(e, 0, now);
	dnssd_entry_set_aux(e, 1, mask);
}

/* Send what is due on one interface and family, keeping the one-second rule. */
static void flush_queue(struct proxy *p, size_t pos, int fam)
{
	struct iface *ifc = &p->ifs[pos];
	struct outq *q = &ifc->q[fam];
	uint64_t now = p->now, bit = proxy_ifbit(pos, fam);
	struct bitem *b = NULL;
	struct qrr **gb = NULL;
	size_t nb = 0, bcap = 0, ngb = 0, gbcap = 0, keep = 0;

	for (size_t i = 0; i < q->n; i++) {
		struct oitem it = q->v[i];
		if (it.due > now) {
			q->v[keep++] = it;
			continue;
		}
		if (it.kind == OI_GOODBYE) {
			if (dnssd_grow((void **)&gb, &gbcap, ngb + 1, sizeof(*gb)) == 0)
				gb[ngb++] = it.r;
			else
				proxy_qrr_put(it.r);
			continue;
		}
		struct dnssd_entry *e = it.peer && it.peer->remote
		                            ? dnssd_cache_get(it.peer->remote, it.r->rr)
		                            : NULL;
		if (!e || dnssd_entry_is_goodbye(e) ||
		    dnssd_entry_ttl_left(e, now) == 0) {
			proxy_qrr_put(it.r);
			continue;
		}
		uint64_t last = dnssd_entry_aux(e, 0);
		if ((dnssd_entry_aux(e, 1) & bit) && now < last + MCAST_GAP_MS) {
			if (it.kind == OI_ANSWER && last >= it.asked) {
				/* multicast here since the question: answered */
				proxy_qrr_put(it.r);
				continue;
			}
			it.due = last + MCAST_GAP_MS;
			q->v[keep++] = it;
			continue;
		}
		proxy_qrr_put(it.r);
		if (dnssd_grow((void **)&b, &bcap, nb + 1, sizeof(*b)) == 0)
			b[nb++] = (struct bitem){.e = e, .sec = it.sec};
	}
	q->n = keep;

	struct dnssd_enc *enc = NULL;
	size_t mtu = nb || ngb ? proxy_mtu_for(p, ifc->ifindex, proxy_fam_af(fam)) : 0;
	if (mtu && (enc = dnssd_enc_new(mtu, true, 0))) {
		for (size_t i = 0; i < ngb; i++) {
			ldns_rr *c = p->pubren.count ? ldns_rr_clone(gb[i]->rr) : NULL;
			proxy_pub_lan_rr(p, c);
			dnssd_enc_rr(enc, DNSSD_SEC_ANSWER, c ? c : gb[i]->rr);
			ldns_rr_free(c);
		}
		/* One copy per record; an answer wins over the same record as additional.
		 */
		if (nb > 1)
			qsort(b, nb, sizeof(*b), bitem_cmp);
		for (int pass = 0; pass < 2; pass++) {
			enum dnssd_section want =
			    pass ? DNSSD_SEC_ADDITIONAL : DNSSD_SEC_ANSWER;
			for (size_t i = 0; i < nb; i++) {
				if (i > 0 && b[i].e == b[i - 1].e)
					continue;
				if (b[i].sec != want)
					continue;
				enc_entry(p, enc, want, b[i].e);
				if (want == DNSSD_SEC_ANSWER)
					p->st.answers_multicast++;
			}
		}
		proxy_send_enc(p, enc, ifc->ifindex, proxy_fam_af(fam), NULL);
		dnssd_enc_free(enc);
		for (size_t i = 0; i < nb; i++)
			if (i == 0 || b[i].e != b[i - 1].e)
				mark_multicast(b[i].e, bit, now);
	}
	for (size_t i = 0; i < ngb; i++)
		proxy_qrr_put(gb[i]);
	free(gb);
	free(b);
}

void proxy_flush_due(struct proxy *p)
{
	for (size_t i = 0; i < PROXY_MAX_INTERFACES; i++) {
		if (!p->ifs[i].used)
			continue;
		for (int f = 0; f < NFAM; f++)
			if (p->ifs[i].q[f].n && proxy_q_next(&p->ifs[i].q[f]) <= p->now)
				flush_queue(p, i, f);
	}
}

/* Forget queued work for a peer that goes away. */
void proxy_purge_peer_items(struct proxy *p, const struct rpeer *peer)
{
	for (size_t i = 0; i < PROXY_MAX_INTERFACES; i++) {
		for (int f = 0; f < NFAM; f++) {
			struct outq *q = &p->ifs[i].q[f];
			size_t keep = 0;
			for (size_t j = 0; j < q->n; j++) {
				if (q->v[j].peer == peer && q->v[j].kind != OI_GOODBYE)
					proxy_qrr_put(q->v[j].r);
				else
					q->v[keep++] = q->v[j];
			}
			q->n = keep;
		}
	}
}

/* ------------------------------------------------------------ asking the LAN */

/* Ask the LAN (all interfaces, QM) at the end of this call, at most once a second. */
void proxy_lan_ask(struct proxy *p, const ldns_rdf *name, uint16_t type)
{
	struct nent *a = proxy_ntab_find(&p->asked, name, type);
	if (a && p->now < a->t + ASK_GAP_MS)
		return;
	if (!(a = proxy_ntab_add(&p->asked, name, type)))
		return;
	a->t = p->now;
	proxy_rv_push_own(&p->askq, proxy_make_question(name, type));
}

/*
 * The fresh records of one cache that answer q, as known answers (at most kmax): all
 * of them, so that a responder with many services of a type sends only those we
 * lack (a long list is split with TC bits).
 */
static void add_known_from(struct proxy *p, struct dnssd_enc *enc, struct dnssd_cache *c,
                           const ldns_rr *q, size_t kmax)
{
	struct dnssd_entry *buf[32], **tmp;
	size_t m = dnssd_cache_find_all(c, ldns_rr_owner(q), proxy_rr_type(q), 0, p->now,
	                                buf, 32, &tmp);
	if (m > kmax)
		m = kmax;
	for (size_t i = 0; i < m; i++) {
		uint32_t ttl = dnssd_entry_ttl(tmp[i]),
		         left = dnssd_entry_ttl_left(tmp[i], p->now);
		if (!dnssd_entry_is_goodbye(tmp[i]) && (uint64_t)left * 2 > ttl)
			enc_entry(p, enc, DNSSD_SEC_ANSWER, tmp[i]);
	}
	dnssd_cache_found_free(tmp, buf);
}

/*
 * Known answers: responders need not repeat what is fresh (local cache), and the
 * records we proxy_announce for other sites are listed too, because a question we ask
 * and leave unanswered would otherwise make hosts flush them as records nobody
 * answers for (RFC 6762 §10.5; Avahi does this).
 */
static void add_known_answers(struct proxy *p, struct dnssd_enc *enc, const ldns_rr *q)
{
	add_known_from(p, enc, p->local, q, KNOWN_MAX);
	for (size_t i = 0; i < p->npeers; i++)
		add_known_from(p, enc, p->peers[i]->remote, q, KNOWN_MAX);
}

void proxy_send_questions(struct proxy *p, size_t pos, const ldns_rr *const *qs, size_t n)
{
	struct iface *ifc = &p->ifs[pos];
	for (int f = 0; f < NFAM; f++) {
		int af = proxy_fam_af(f);
		size_t mtu = proxy_mtu_for(p, ifc->ifindex, af);
		struct dnssd_enc *enc = mtu ? dnssd_enc_new(mtu, false, 0) : NULL;
		if (!enc)
			continue;
		for (size_t i = 0; i < n; i++)
			dnssd_enc_question(enc, qs[i]);
		for (size_t i = 0; i < n; i++)
			add_known_answers(p, enc, qs[i]);
		proxy_send_enc(p, enc, ifc->ifindex, af, NULL);
		dnssd_enc_free(enc);
	}
}

void proxy_flush_ask(struct proxy *p)
{
	if (!p->askq.n)
		return;
	for (size_t i = 0; i < PROXY_MAX_INTERFACES; i++)
		if (p->ifs[i].used)
			proxy_send_questions(p, i, p->askq.v, p->askq.n);
	proxy_rv_free(&p->askq);
}
