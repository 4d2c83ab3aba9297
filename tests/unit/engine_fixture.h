/*
 * engine_fixture.h: the proxy engine end to end, with the network swapped out;
 * the common setup of the test_engine_* programs (one per engine part).
 *
 * Two engines, manhattan and brooklyn, run with their real configuration
 * (loaded from YAML), their real caches, policy and renaming. Their LANs are
 * capture lists of datagrams (decoded again with dnssd_msg_decode to look at
 * what a Bonjour browser would see) and their peer link is a queue of record
 * and question batches delivered to the other engine, as the network would,
 * after the call that produced them. Time is simulated. An added remote
 * ("zone") stands for a DNS domain beside the peer link.
 *
 * Each program includes this once and registers setup and teardown with its
 * suite: the nodes M and B are started afresh for every test. What the helpers return
 * (decoded messages, packets) is the caller's to free, as each helper says.
 */
#ifndef SITECAST_TESTS_ENGINE_FIXTURE_H
#define SITECAST_TESTS_ENGINE_FIXTURE_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "dnssd/msg.h"
#include "engine/proxy.h"
#include "engine/remote.h"
#include "policy/config.h"
#include "tests/unit/unit.h"

#define IF_M 2
#define IF_B 3
#define IF_B2 4
#define T0 1000000ULL
/*
 * Never opened: loading a configuration does no I/O (policy/), and the engine
 * reads no keys. So the programs can run at the same time.
 */
#define KEY_FILE "/tmp/sitecast-test-engine.key"
#define FP "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

/* ------------------------------------------------------------ the simulated network */

struct dgram {
	unsigned ifindex;
	int af;
	bool unicast;
	struct sockaddr_storage dst;
	uint8_t *buf;
	size_t len;
	uint64_t t;
};

struct psend {
	bool questions;
	char origin[40];
	unsigned hops;
	ldns_rr **rrs;
	size_t n;
	uint64_t t;
};

struct node {
	const char *site;
	struct policy_config *cfg;
	struct proxy *px;
	struct dgram *lan;
	size_t nlan, lancap;
	struct psend *out;
	size_t nout, outcap, delivered;
	size_t mtu;
	bool link_up;
	uint64_t deadline;
};

static struct node M, B;
static uint64_t now;

/* What the engine handed an external publisher (proxy_io.service_set / _remove). */
static bool with_publisher; /* start_node gives the next node these callbacks */
static struct pubcall {
	bool remove;
	char key[300], name[64], type[32], host[64], txt[64], sub[64], addr[64];
	uint16_t port;
	size_t ntxt, nsub, naddrs;
} pubs[16];
static size_t npubs;

static inline int io_service_set(void *arg, const char *key,
                                 const struct dnssd_service *svc)
{
	(void)arg;
	CU_ASSERT_FATAL(npubs < 16);
	struct pubcall *c = &pubs[npubs++];
	memset(c, 0, sizeof(*c));
	snprintf(c->key, sizeof(c->key), "%s", key);
	snprintf(c->name, sizeof(c->name), "%s", svc->name);
	snprintf(c->type, sizeof(c->type), "%s", svc->type);
	snprintf(c->host, sizeof(c->host), "%s", svc->host);
	c->port = svc->port;
	c->ntxt = svc->ntxt;
	c->nsub = svc->nsubtypes;
	c->naddrs = svc->naddrs;
	if (svc->ntxt)
		snprintf(c->txt, sizeof(c->txt), "%.*s", (int)svc->txt[0].len,
		         (const char *)svc->txt[0].data);
	if (svc->nsubtypes)
		snprintf(c->sub, sizeof(c->sub), "%s", svc->subtypes[0]);
	if (svc->naddrs)
		inet_ntop(svc->addrs[0].af, svc->addrs[0].a, c->addr, sizeof(c->addr));
	return 0;
}

static inline int io_service_remove(void *arg, const char *key)
{
	(void)arg;
	CU_ASSERT_FATAL(npubs < 16);
	struct pubcall *c = &pubs[npubs++];
	memset(c, 0, sizeof(*c));
	c->remove = true;
	snprintf(c->key, sizeof(c->key), "%s", key);
	return 0;
}

static inline void *grow_array(void *v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return v;
	*cap = *cap ? *cap * 2 : 64;
	v = realloc(v, *cap * size);
	CU_ASSERT_FATAL(v != NULL);
	return v;
}

static inline int io_lan_send(void *arg, unsigned ifindex, int af,
                              const struct sockaddr *dst, const uint8_t *buf, size_t len)
{
	struct node *n = arg;
	n->lan = grow_array(n->lan, &n->lancap, n->nlan, sizeof(*n->lan));
	struct dgram *d = &n->lan[n->nlan++];
	memset(d, 0, sizeof(*d));
	d->ifindex = ifindex;
	d->af = af;
	d->unicast = dst != NULL;
	if (dst)
		memcpy(&d->dst, dst,
		       dst->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
		                                  : sizeof(struct sockaddr_in));
	d->buf = malloc(len);
	memcpy(d->buf, buf, len);
	d->len = len;
	d->t = now;
	return 0;
}

static inline size_t io_lan_mtu(void *arg, unsigned ifindex, int af)
{
	struct node *n = arg;
	(void)ifindex;
	return af == AF_INET6 ? n->mtu - 20 : n->mtu;
}

static inline void queue_send(struct node *n, bool questions, const char *origin,
                              unsigned hops, const ldns_rr *const *rrs, size_t cnt)
{
	n->out = grow_array(n->out, &n->outcap, n->nout, sizeof(*n->out));
	struct psend *s = &n->out[n->nout++];
	memset(s, 0, sizeof(*s));
	s->questions = questions;
	snprintf(s->origin, sizeof(s->origin), "%s", origin ? origin : "");
	s->hops = hops;
	s->rrs = calloc(cnt ? cnt : 1, sizeof(*s->rrs));
	for (size_t i = 0; i < cnt; i++)
		s->rrs[i] = ldns_rr_clone(rrs[i]);
	s->n = cnt;
	s->t = now;
}

static inline int io_peer_records(void *arg, unsigned peer_id, const char *origin,
                                  unsigned hops, const ldns_rr *const *rrs, size_t cnt)
{
	CU_ASSERT_EQUAL(peer_id, 0);
	queue_send(arg, false, origin, hops, rrs, cnt);
	return 0;
}

static inline int io_peer_questions(void *arg, unsigned peer_id, const ldns_rr *const *qs,
                                    size_t cnt)
{
	CU_ASSERT_EQUAL(peer_id, 0);
	queue_send(arg, true, NULL, 0, qs, cnt);
	return 0;
}

/* Deliver what from sent since the last time; returns how many batches went. */
static inline size_t deliver(struct node *from, struct node *to)
{
	size_t k = 0;
	while (from->delivered < from->nout) {
		struct psend *s = &from->out[from->delivered++];
		if (!from->link_up || !to->link_up)
			continue;
		if (s->questions)
			proxy_peer_questions(to->px, 0, s->rrs, s->n, now);
		else
			proxy_peer_records(to->px, 0, s->origin, s->hops, s->rrs, s->n,
			                   now);
		k++;
	}
	return k;
}

/* Let both engines and the link do everything that is due at `now`. */
static inline void settle(void)
{
	do {
		M.deadline = proxy_run(M.px, now);
		B.deadline = proxy_run(B.px, now);
	} while (deliver(&M, &B) + deliver(&B, &M));
}

static inline void advance_to(uint64_t t)
{
	for (;;) {
		uint64_t next = M.deadline < B.deadline ? M.deadline : B.deadline;
		if (next > t)
			break;
		now = next > now ? next : now;
		settle();
	}
	now = t;
	settle();
}

static inline void advance(uint64_t ms)
{
	advance_to(now + ms);
}

static inline void free_node(struct node *n)
{
	proxy_free(n->px);
	policy_config_free(n->cfg);
	for (size_t i = 0; i < n->nlan; i++)
		free(n->lan[i].buf);
	free(n->lan);
	for (size_t i = 0; i < n->nout; i++) {
		for (size_t j = 0; j < n->out[i].n; j++)
			ldns_rr_free(n->out[i].rrs[j]);
		free(n->out[i].rrs);
	}
	free(n->out);
	memset(n, 0, sizeof(*n));
}

static inline void clear_lan(struct node *n)
{
	for (size_t i = 0; i < n->nlan; i++)
		free(n->lan[i].buf);
	n->nlan = 0;
}

/* ------------------------------------------------------------ configurations */

static const char *const cfg_manhattan =
    "site: manhattan\n"
    "interfaces: [eth0]\n"
    "key: " KEY_FILE "\n"
    "peers:\n"
    "  - name: brooklyn\n"
    "    fingerprint: \"" FP "\"\n"
    "    export: offices\n"
    "    import: offices\n"
    "    addresses:\n"
    "      map:\n"
    "        - { from: 192.168.1.0/24, to: 10.101.1.0/24 }\n"
    "policy:\n"
    "  offices:\n"
    "    - allow: { service: _ipp._tcp }\n"
    "    - deny: { service: _airplay._tcp }\n"
    "    - allow: { service: _presence._tcp }\n"
    "limits:\n"
    "  queries-per-second: 5\n"
    "  peer-grace: 60\n";

static const char *const cfg_brooklyn =
    "site: brooklyn\n"
    "interfaces: [eth0]\n"
    "key: " KEY_FILE "\n"
    "peers:\n"
    "  - name: manhattan\n"
    "    fingerprint: \"" FP "\"\n"
    "    export: offices\n"
    "    import: offices\n"
    "    addresses:\n"
    "      map:\n"
    "        - { from: 192.168.2.0/24, to: 10.102.2.0/24 }\n"
    "policy:\n"
    "  offices:\n"
    "    - allow: { service: _ipp._tcp }\n"
    "    - deny: { service: _airplay._tcp }\n"
    "    - allow: { service: _presence._tcp }\n"
    "limits:\n"
    "  queries-per-second: 5\n"
    "  peer-grace: 60\n";

/* Manhattan after an edit: printers are not shared any more. */
static const char *const cfg_manhattan_noipp =
    "site: manhattan\n"
    "interfaces: [eth0]\n"
    "key: " KEY_FILE "\n"
    "peers:\n"
    "  - name: brooklyn\n"
    "    fingerprint: \"" FP "\"\n"
    "    export: [ { allow: { service: _presence._tcp } } ]\n"
    "    import: offices\n"
    "policy:\n"
    "  offices:\n"
    "    - allow: { service: _ipp._tcp }\n"
    "limits:\n"
    "  queries-per-second: 5\n";

/* Manhattan shares whatever one host says, by its address. */
static const char *const cfg_manhattan_byaddr =
    "site: manhattan\n"
    "interfaces: [eth0]\n"
    "key: " KEY_FILE "\n"
    "peers:\n"
    "  - name: brooklyn\n"
    "    fingerprint: \"" FP "\"\n"
    "    export: [ { allow: { address: 192.168.1.50/32 } } ]\n";

/* Brooklyn takes few records and no printers after an edit. */
static const char *const cfg_brooklyn_small = "site: brooklyn\n"
                                              "interfaces: [eth0]\n"
                                              "key: " KEY_FILE "\n"
                                              "peers:\n"
                                              "  - name: manhattan\n"
                                              "    fingerprint: \"" FP "\"\n"
                                              "    import: offices\n"
                                              "policy:\n"
                                              "  offices:\n"
                                              "    - allow: { service: _ipp._tcp }\n"
                                              "limits:\n"
                                              "  max-records-per-peer: 4\n";

static const char *const cfg_brooklyn_noipp =
    "site: brooklyn\n"
    "interfaces: [eth0]\n"
    "key: " KEY_FILE "\n"
    "names:\n"
    "  host-suffix: \"-{site}-office\"\n"
    "peers:\n"
    "  - name: manhattan\n"
    "    fingerprint: \"" FP "\"\n"
    "    import: [ { allow: { service: _presence._tcp } } ]\n";

static inline struct policy_config *load_cfg(const char *name, const char *text)
{
	struct policy_config *cfg = NULL;
	struct policy_errors *errs = NULL;
	int r = policy_config_load_buffer(name, text, strlen(text), &cfg, &errs);
	for (size_t i = 0; errs && i < policy_errors_count(errs); i++)
		fprintf(stderr, "%s\n", policy_errors_get(errs, i));
	policy_errors_free(errs);
	CU_ASSERT_FATAL(r == 0 && cfg != NULL);
	return cfg;
}

static inline void start_node(struct node *n, const char *site, const char *cfgtext,
                              unsigned ifindex)
{
	struct proxy_io io = {
	    .arg = n,
	    .lan_send = io_lan_send,
	    .lan_mtu = io_lan_mtu,
	    .peer_send_records = io_peer_records,
	    .peer_send_questions = io_peer_questions,
	};
	if (with_publisher) {
		io.service_set = io_service_set;
		io.service_remove = io_service_remove;
	}
	memset(n, 0, sizeof(*n));
	n->site = site;
	n->mtu = 1472;
	n->link_up = true;
	n->cfg = load_cfg(site, cfgtext);
	n->px = proxy_new(n->cfg, &io);
	CU_ASSERT_FATAL(n->px != NULL);
	CU_ASSERT_FATAL(proxy_add_interface(n->px, ifindex, "eth0", now) == 0);
}

static inline void setup(void)
{
	now = T0;
	start_node(&M, "manhattan", cfg_manhattan, IF_M);
	start_node(&B, "brooklyn", cfg_brooklyn, IF_B);
	proxy_peer_up(M.px, 0, now);
	proxy_peer_up(B.px, 0, now);
	settle();
	clear_lan(&M);
	clear_lan(&B);
}

/* Start one side again with another configuration, and the link with it. */
static inline void restart(struct node *n, const char *cfgtext)
{
	const char *site = n->site;
	unsigned ifindex = n == &M ? IF_M : IF_B;
	struct node *other = n == &M ? &B : &M;
	free_node(n);
	start_node(n, site, cfgtext, ifindex);
	proxy_peer_down(other->px, 0, now);
	proxy_peer_up(n->px, 0, now);
	proxy_peer_up(other->px, 0, now);
	settle();
	clear_lan(n);
	clear_lan(other);
}

static inline void teardown(void)
{
	free_node(&M);
	free_node(&B);
}

/* ------------------------------------------------------------ building LAN traffic */

static inline ldns_rr *mkrr(const char *text)
{
	ldns_rr *rr = NULL;
	bool top = text[0] == '!';
	ldns_status s = ldns_rr_new_frm_str(&rr, text + top, 0, NULL, NULL);
	if (s != LDNS_STATUS_OK)
		fprintf(stderr, "bad record %s: %s\n", text, ldns_get_errorstr_by_id(s));
	CU_ASSERT_FATAL(s == LDNS_STATUS_OK);
	if (top)
		ldns_rr_set_class(rr,
		                  (ldns_rr_class)(LDNS_RR_CLASS_IN | DNSSD_CLASS_TOPBIT));
	return rr;
}

static inline ldns_rr *mkq(const char *text)
{
	ldns_rr *rr = NULL;
	bool top = text[0] == '!';
	CU_ASSERT_FATAL(ldns_rr_new_question_frm_str(&rr, text + top, NULL, NULL) ==
	                LDNS_STATUS_OK);
	if (top)
		ldns_rr_set_class(rr,
		                  (ldns_rr_class)(LDNS_RR_CLASS_IN | DNSSD_CLASS_TOPBIT));
	return rr;
}

/*
 * A datagram from specs: "Q:" a question, "A:" an answer, "D:" an additional
 * record; '!' after the prefix sets the top bit of the class (QU or cache-flush).
 */
static inline size_t mkpkt(uint8_t **out, bool response, uint16_t id,
                           const char *const *specs)
{
	ldns_pkt *pkt = ldns_pkt_new();
	uint8_t *wire = NULL;
	size_t len = 0;
	CU_ASSERT_FATAL(pkt != NULL);
	ldns_pkt_set_id(pkt, id);
	ldns_pkt_set_qr(pkt, response);
	ldns_pkt_set_aa(pkt, response);
	for (size_t i = 0; specs[i]; i++) {
		const char *s = specs[i] + 2;
		switch (specs[i][0]) {
		case 'Q':
			ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, mkq(s));
			break;
		case 'D':
			ldns_pkt_push_rr(pkt, LDNS_SECTION_ADDITIONAL, mkrr(s));
			break;
		default:
			ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, mkrr(s));
			break;
		}
	}
	CU_ASSERT_FATAL(ldns_pkt2wire(&wire, pkt, &len) == LDNS_STATUS_OK);
	ldns_pkt_free(pkt);
	*out = wire;
	return len;
}

static inline struct sockaddr_storage addr4(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	inet_pton(AF_INET, ip, &sin->sin_addr);
	return ss;
}

/* A datagram from host ip:port on the node's LAN interface, then everything it causes. */
static inline void lan_from(struct node *n, unsigned ifindex, const char *ip,
                            uint16_t port, bool multicast, bool response, uint16_t id,
                            const char *const *specs)
{
	uint8_t *buf;
	size_t len = mkpkt(&buf, response, id, specs);
	struct sockaddr_storage src = addr4(ip, port);
	proxy_lan_input(n->px, ifindex, (struct sockaddr *)&src, multicast, buf, len,
	                now);
	free(buf);
	settle();
}

static inline void lan_response(struct node *n, const char *const *specs)
{
	lan_from(n, n == &M ? IF_M : IF_B, n == &M ? "192.168.1.50" : "192.168.2.50",
	         5353, true, true, 0, specs);
}

/* The printer of manhattan, announced the way Avahi does. */
static const char *const printer[] = {
    "A:_ipp._tcp.local. 4500 IN PTR Printer\\032A._ipp._tcp.local.",
    "A:_universal._sub._ipp._tcp.local. 4500 IN PTR Printer\\032A._ipp._tcp.local.",
    "A:!Printer\\032A._ipp._tcp.local. 120 IN SRV 0 0 631 printer.local.",
    "A:!Printer\\032A._ipp._tcp.local. 4500 IN TXT \"txtvers=1\" \"rp=ipp/print\"",
    "A:_services._dns-sd._udp.local. 4500 IN PTR _ipp._tcp.local.",
    "A:!printer.local. 120 IN A 192.168.1.12",
    "A:!printer.local. 120 IN AAAA fe80::1",
    NULL,
};
#define PRINTER_EXPORTED 6 /* all but the link-local AAAA */

static const char *const printer_bye[] = {
    "A:_ipp._tcp.local. 0 IN PTR Printer\\032A._ipp._tcp.local.",
    "A:_universal._sub._ipp._tcp.local. 0 IN PTR Printer\\032A._ipp._tcp.local.",
    "A:!Printer\\032A._ipp._tcp.local. 0 IN SRV 0 0 631 printer.local.",
    "A:!Printer\\032A._ipp._tcp.local. 0 IN TXT \"txtvers=1\" \"rp=ipp/print\"",
    "A:_services._dns-sd._udp.local. 0 IN PTR _ipp._tcp.local.",
    "A:!printer.local. 0 IN A 192.168.1.12",
    NULL,
};

#define R_INST "Printer\\032A\\032\\040manhattan\\041._ipp._tcp.local."
#define R_HOST "printer-manhattan.local."

/* ------------------------------------------------------------ looking at the output */

static inline struct dnssd_msg *decode(const struct dgram *d)
{
	struct dnssd_msg *m = NULL;
	enum dnssd_reason why;
	CU_ASSERT_FATAL(dnssd_msg_decode(d->buf, d->len, &m, &why) == 0);
	return m;
}

static inline bool name_is(const ldns_rdf *name, const char *text)
{
	ldns_rdf *want = ldns_dname_new_frm_str(text);
	CU_ASSERT_FATAL(want != NULL);
	bool eq = ldns_dname_compare(name, want) == 0;
	ldns_rdf_deep_free(want);
	return eq;
}

/* Records of type (0: any) owned by name (NULL: any) in a section of m. */
static inline size_t count_rr(const struct dnssd_msg *m, enum dnssd_section s,
                              const char *name, ldns_rr_type type)
{
	size_t k = 0;
	for (size_t i = 0; i < dnssd_msg_count(m, s); i++) {
		const ldns_rr *rr = dnssd_msg_rr(m, s, i);
		if ((!type || ldns_rr_get_type(rr) == type) &&
		    (!name || name_is(ldns_rr_owner(rr), name)))
			k++;
	}
	return k;
}

static inline const ldns_rr *find_rr(const struct dnssd_msg *m, enum dnssd_section s,
                                     const char *name, ldns_rr_type type)
{
	for (size_t i = 0; i < dnssd_msg_count(m, s); i++) {
		const ldns_rr *rr = dnssd_msg_rr(m, s, i);
		if (ldns_rr_get_type(rr) == type && name_is(ldns_rr_owner(rr), name))
			return rr;
	}
	return NULL;
}

/* Multicast responses on a node's LAN (af, from index first) holding name/type. */
static inline size_t mcast_with(const struct node *n, size_t first, int af,
                                const char *name, ldns_rr_type type, uint64_t *when)
{
	size_t k = 0;
	for (size_t i = first; i < n->nlan; i++) {
		const struct dgram *d = &n->lan[i];
		if (d->unicast || d->af != af)
			continue;
		struct dnssd_msg *m = decode(d);
		if (dnssd_msg_kind(m) == DNSSD_RESPONSE &&
		    count_rr(m, DNSSD_SEC_ANSWER, name, type) > 0) {
			if (when)
				when[k] = d->t;
			k++;
		}
		dnssd_msg_free(m);
	}
	return k;
}

static inline size_t responses(const struct node *n, size_t first)
{
	size_t k = 0;
	for (size_t i = first; i < n->nlan; i++) {
		struct dnssd_msg *m = decode(&n->lan[i]);
		k += dnssd_msg_kind(m) == DNSSD_RESPONSE;
		dnssd_msg_free(m);
	}
	return k;
}

/* Records sent to the peer (from batch first on) with this owner and type (0: any). */
static inline size_t sent_records(const struct node *n, size_t first, const char *name,
                                  ldns_rr_type type, bool goodbyes)
{
	size_t k = 0;
	for (size_t i = first; i < n->nout; i++) {
		if (n->out[i].questions)
			continue;
		for (size_t j = 0; j < n->out[i].n; j++) {
			const ldns_rr *rr = n->out[i].rrs[j];
			if ((ldns_rr_ttl(rr) == 0) != goodbyes)
				continue;
			if ((!type || ldns_rr_get_type(rr) == type) &&
			    (!name || name_is(ldns_rr_owner(rr), name)))
				k++;
		}
	}
	return k;
}

static inline size_t sent_questions(const struct node *n, size_t first, const char *name)
{
	size_t k = 0;
	for (size_t i = first; i < n->nout; i++)
		for (size_t j = 0; n->out[i].questions && j < n->out[i].n; j++)
			k += !name || name_is(ldns_rr_owner(n->out[i].rrs[j]), name);
	return k;
}

static inline uint64_t drops(const struct node *n, enum proxy_drop d)
{
	struct proxy_stats st;
	proxy_get_stats(n->px, &st);
	return st.drops[d];
}

/* ------------------------------------------------------------ added remotes (remote.h)
 */

/* What an added remote was handed: records into zone.out, questions counted. */
static struct node zone;
static unsigned zone_id;
static size_t zone_questions;

static inline int zone_records(void *arg, unsigned id, const char *origin, unsigned hops,
                               const ldns_rr *const *rrs, size_t cnt)
{
	CU_ASSERT_EQUAL(id, zone_id);
	queue_send(arg, false, origin, hops, rrs, cnt);
	return 0;
}

static inline int zone_ask(void *arg, unsigned id, const ldns_rr *const *qs, size_t cnt)
{
	(void)arg;
	(void)id;
	(void)qs;
	zone_questions += cnt;
	return 0;
}

static inline void free_zone(void)
{
	for (size_t i = 0; i < zone.nout; i++) {
		for (size_t j = 0; j < zone.out[i].n; j++)
			ldns_rr_free(zone.out[i].rrs[j]);
		free(zone.out[i].rrs);
	}
	free(zone.out);
	memset(&zone, 0, sizeof(zone));
}

/* ------------------------------------------------------------ the engine's view */

/* The one service of v named name (local or not), or NULL. */
static inline const struct proxy_view_service *view_find(const struct proxy_view *v,
                                                         bool local, const char *name)
{
	for (size_t i = 0; v && i < v->n; i++)
		if (v->v[i].local == local && strcmp(v->v[i].name, name) == 0)
			return &v->v[i];
	return NULL;
}

#endif
