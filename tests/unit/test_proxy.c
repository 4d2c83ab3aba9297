/*
 * test_proxy.c: the proxy engine end to end, with the network swapped out.
 *
 * Two engines, manhattan and brooklyn, run with their real configuration
 * (loaded from YAML), their real caches, policy and renaming. Their LANs are
 * capture lists of datagrams (decoded again with dnssd_msg_decode to look at
 * what a Bonjour browser would see) and their peer link is a queue of record
 * and question batches delivered to the other engine, as the network would,
 * after the call that produced them. Time is simulated.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "dnssd/msg.h"
#include "policy/config.h"
#include "engine/proxy.h"
#include "engine/remote.h"
#include "tests/unit/unit.h"

#define IF_M 2
#define IF_B 3
#define IF_B2 4
#define T0 1000000ULL
#define KEY_FILE "/tmp/sitecast-test-proxy.key"
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

static int io_service_set(void *arg, const char *key, const struct proxy_service *svc)
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

static int io_service_remove(void *arg, const char *key)
{
	(void)arg;
	CU_ASSERT_FATAL(npubs < 16);
	struct pubcall *c = &pubs[npubs++];
	memset(c, 0, sizeof(*c));
	c->remove = true;
	snprintf(c->key, sizeof(c->key), "%s", key);
	return 0;
}

static void *grow_array(void *v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return v;
	*cap = *cap ? *cap * 2 : 64;
	v = realloc(v, *cap * size);
	CU_ASSERT_FATAL(v != NULL);
	return v;
}

static int io_lan_send(void *arg, unsigned ifindex, int af, const struct sockaddr *dst,
                       const uint8_t *buf, size_t len)
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

static size_t io_lan_mtu(void *arg, unsigned ifindex, int af)
{
	struct node *n = arg;
	(void)ifindex;
	return af == AF_INET6 ? n->mtu - 20 : n->mtu;
}

static void queue_send(struct node *n, bool questions, const char *origin, unsigned hops,
                       const ldns_rr *const *rrs, size_t cnt)
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

static int io_peer_records(void *arg, unsigned peer_id, const char *origin, unsigned hops,
                           const ldns_rr *const *rrs, size_t cnt)
{
	CU_ASSERT_EQUAL(peer_id, 0);
	queue_send(arg, false, origin, hops, rrs, cnt);
	return 0;
}

static int io_peer_questions(void *arg, unsigned peer_id, const ldns_rr *const *qs,
                             size_t cnt)
{
	CU_ASSERT_EQUAL(peer_id, 0);
	queue_send(arg, true, NULL, 0, qs, cnt);
	return 0;
}

/* Deliver what from sent since the last time; returns how many batches went. */
static size_t deliver(struct node *from, struct node *to)
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
static void settle(void)
{
	do {
		M.deadline = proxy_run(M.px, now);
		B.deadline = proxy_run(B.px, now);
	} while (deliver(&M, &B) + deliver(&B, &M));
}

static void advance_to(uint64_t t)
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

static void advance(uint64_t ms)
{
	advance_to(now + ms);
}

static void free_node(struct node *n)
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

static void clear_lan(struct node *n)
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

static struct policy_config *load_cfg(const char *name, const char *text)
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

static void start_node(struct node *n, const char *site, const char *cfgtext,
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

static int suite_init(void)
{
	FILE *f = fopen(KEY_FILE, "w");
	if (!f)
		return -1;
	fputs("not a real key: the engine never reads it\n", f);
	fclose(f);
	return 0;
}

static int suite_clean(void)
{
	unlink(KEY_FILE);
	return 0;
}

static void setup(void)
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
static void restart(struct node *n, const char *cfgtext)
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

static void teardown(void)
{
	free_node(&M);
	free_node(&B);
}

/* ------------------------------------------------------------ building LAN traffic */

static ldns_rr *mkrr(const char *text)
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

static ldns_rr *mkq(const char *text)
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
static size_t mkpkt(uint8_t **out, bool response, uint16_t id, const char *const *specs)
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

static struct sockaddr_storage addr4(const char *ip, uint16_t port)
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
static void lan_from(struct node *n, unsigned ifindex, const char *ip, uint16_t port,
                     bool multicast, bool response, uint16_t id, const char *const *specs)
{
	uint8_t *buf;
	size_t len = mkpkt(&buf, response, id, specs);
	struct sockaddr_storage src = addr4(ip, port);
	proxy_lan_input(n->px, ifindex, (struct sockaddr *)&src, multicast, buf, len,
	                now);
	free(buf);
	settle();
}

static void lan_response(struct node *n, const char *const *specs)
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

static struct dnssd_msg *decode(const struct dgram *d)
{
	struct dnssd_msg *m = NULL;
	enum dnssd_reason why;
	CU_ASSERT_FATAL(dnssd_msg_decode(d->buf, d->len, &m, &why) == 0);
	return m;
}

static bool name_is(const ldns_rdf *name, const char *text)
{
	ldns_rdf *want = ldns_dname_new_frm_str(text);
	CU_ASSERT_FATAL(want != NULL);
	bool eq = ldns_dname_compare(name, want) == 0;
	ldns_rdf_deep_free(want);
	return eq;
}

/* Records of type (0: any) owned by name (NULL: any) in a section of m. */
static size_t count_rr(const struct dnssd_msg *m, enum dnssd_section s, const char *name,
                       ldns_rr_type type)
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

static const ldns_rr *find_rr(const struct dnssd_msg *m, enum dnssd_section s,
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
static size_t mcast_with(const struct node *n, size_t first, int af, const char *name,
                         ldns_rr_type type, uint64_t *when)
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

static size_t responses(const struct node *n, size_t first)
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
static size_t sent_records(const struct node *n, size_t first, const char *name,
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

static size_t sent_questions(const struct node *n, size_t first, const char *name)
{
	size_t k = 0;
	for (size_t i = first; i < n->nout; i++)
		for (size_t j = 0; n->out[i].questions && j < n->out[i].n; j++)
			k += !name || name_is(ldns_rr_owner(n->out[i].rrs[j]), name);
	return k;
}

static uint64_t drops(const struct node *n, enum proxy_drop d)
{
	struct proxy_stats st;
	proxy_get_stats(n->px, &st);
	return st.drops[d];
}

/* ------------------------------------------------------------ tests */

static void test_announcement_crosses(void)
{
	lan_response(&M, printer);

	/* manhattan exported the service, mapped, without the link-local address */
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), PRINTER_EXPORTED);
	CU_ASSERT_EQUAL(sent_records(&M, 0, "printer.local.", LDNS_RR_TYPE_AAAA, false),
	                0);
	CU_ASSERT_STRING_EQUAL(M.out[0].origin, "manhattan");
	CU_ASSERT_EQUAL(M.out[0].hops, 0);

	/* brooklyn announced it at once, renamed, on both families */
	CU_ASSERT_EQUAL(mcast_with(&B, 0, AF_INET, R_INST, LDNS_RR_TYPE_SRV, NULL), 1);
	CU_ASSERT_EQUAL(mcast_with(&B, 0, AF_INET6, R_INST, LDNS_RR_TYPE_SRV, NULL), 1);
	CU_ASSERT_FATAL(B.nlan > 0);
	struct dnssd_msg *m = decode(&B.lan[0]);
	CU_ASSERT_EQUAL(dnssd_msg_kind(m), DNSSD_RESPONSE);
	CU_ASSERT_EQUAL(dnssd_msg_id(m), 0);
	const ldns_rr *ptr =
	    find_rr(m, DNSSD_SEC_ANSWER, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR);
	CU_ASSERT_FATAL(ptr != NULL);
	CU_ASSERT(name_is(ldns_rr_rdf(ptr, 0), R_INST));
	const ldns_rr *sub = find_rr(
	    m, DNSSD_SEC_ANSWER, "_universal._sub._ipp._tcp.local.", LDNS_RR_TYPE_PTR);
	CU_ASSERT(sub && name_is(ldns_rr_rdf(sub, 0), R_INST));
	const ldns_rr *srv = find_rr(m, DNSSD_SEC_ANSWER, R_INST, LDNS_RR_TYPE_SRV);
	CU_ASSERT_FATAL(srv != NULL);
	CU_ASSERT(name_is(ldns_rr_rdf(srv, 3), R_HOST));
	CU_ASSERT_EQUAL(ldns_rdf2native_int16(ldns_rr_rdf(srv, 2)), 631);
	CU_ASSERT_EQUAL(ldns_rr_ttl(srv), 120);
	CU_ASSERT(dnssd_rr_cache_flush(srv));
	CU_ASSERT(find_rr(m, DNSSD_SEC_ANSWER, R_INST, LDNS_RR_TYPE_TXT) != NULL);
	const ldns_rr *a = find_rr(m, DNSSD_SEC_ANSWER, R_HOST, LDNS_RR_TYPE_A);
	CU_ASSERT_FATAL(a != NULL);
	char *txt = ldns_rdf2str(ldns_rr_rdf(a, 0));
	CU_ASSERT_STRING_EQUAL(txt, "10.101.1.12");
	free(txt);
	CU_ASSERT_EQUAL(count_rr(m, DNSSD_SEC_ANSWER, NULL, LDNS_RR_TYPE_AAAA), 0);
	CU_ASSERT_EQUAL(count_rr(m, DNSSD_SEC_ANSWER, NULL, 0), PRINTER_EXPORTED);
	dnssd_msg_free(m);

	/* and again one second later, then no more */
	advance(5000);
	uint64_t when[4] = {0};
	CU_ASSERT_EQUAL(mcast_with(&B, 0, AF_INET, R_INST, LDNS_RR_TYPE_SRV, when), 2);
	CU_ASSERT_EQUAL(when[0], T0);
	CU_ASSERT_EQUAL(when[1], T0 + 1000);

	/* manhattan's LAN heard no answer from us: local records are not reflected */
	CU_ASSERT_EQUAL(responses(&M, 0), 0);

	struct proxy_stats st;
	proxy_get_stats(B.px, &st);
	CU_ASSERT_EQUAL(st.remote_records, PRINTER_EXPORTED);
	struct proxy_peer_stats ps;
	CU_ASSERT_EQUAL(proxy_get_peer_stats(B.px, 0, &ps), 0);
	CU_ASSERT_STRING_EQUAL(ps.name, "manhattan");
	CU_ASSERT(ps.up);
	CU_ASSERT_EQUAL(ps.records_in, PRINTER_EXPORTED);
	CU_ASSERT_EQUAL(proxy_get_peer_stats(M.px, 0, &ps), 0);
	CU_ASSERT_EQUAL(ps.records_out, PRINTER_EXPORTED);
}

static void test_denied_not_exported(void)
{
	static const char *const tv[] = {
	    "A:_airplay._tcp.local. 4500 IN PTR Living\\032Room._airplay._tcp.local.",
	    "A:!Living\\032Room._airplay._tcp.local. 120 IN SRV 0 0 7000 appletv.local.",
	    "A:!Living\\032Room._airplay._tcp.local. 4500 IN TXT \"model=AppleTV\"",
	    "A:_services._dns-sd._udp.local. 4500 IN PTR _airplay._tcp.local.",
	    "A:!appletv.local. 120 IN A 192.168.1.20",
	    NULL,
	};
	lan_response(&M, tv);
	advance(3000);
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), 0);
	CU_ASSERT_EQUAL(B.nlan, 0);
	CU_ASSERT(drops(&M, PROXY_DROP_POLICY) >= 5);

	/* the allowed printer still goes, in the same packet as a denied service */
	lan_response(&M, printer);
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), PRINTER_EXPORTED);
}

static void test_linklocal_host_held(void)
{
	static const char *const old[] = {
	    "A:_ipp._tcp.local. 4500 IN PTR Old._ipp._tcp.local.",
	    "A:!Old._ipp._tcp.local. 120 IN SRV 0 0 631 oldprinter.local.",
	    "A:!Old._ipp._tcp.local. 4500 IN TXT \"txtvers=1\"",
	    "A:!oldprinter.local. 120 IN A 169.254.3.4",
	    "A:!oldprinter.local. 120 IN AAAA fe80::3",
	    NULL,
	};
	static const char *const routable[] = {
	    "A:!oldprinter.local. 120 IN A 192.168.1.77",
	    NULL,
	};
	lan_response(&M, old);
	advance(3000);
	/* a service nobody there could reach is not offered */
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), 0);
	CU_ASSERT_EQUAL(responses(&B, 0), 0);

	/* once the host has an address the peer can use, the service follows */
	lan_response(&M, routable);
	CU_ASSERT_EQUAL(
	    sent_records(&M, 0, "Old._ipp._tcp.local.", LDNS_RR_TYPE_SRV, false), 1);
	CU_ASSERT_EQUAL(sent_records(&M, 0, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR, false),
	                1);
	CU_ASSERT_EQUAL(sent_records(&M, 0, "oldprinter.local.", LDNS_RR_TYPE_A, false),
	                1);
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), 4);
	CU_ASSERT_EQUAL(mcast_with(&B, 0, AF_INET, "oldprinter-manhattan.local.",
	                           LDNS_RR_TYPE_A, NULL),
	                1);
}

static void test_goodbye_propagates(void)
{
	lan_response(&M, printer);
	advance(500);
	size_t lan0 = B.nlan, out0 = M.nout;
	lan_response(&M, printer_bye);

	CU_ASSERT_EQUAL(sent_records(&M, out0, NULL, 0, true), PRINTER_EXPORTED);
	/* goodbyes on brooklyn's LAN at once, and nothing of the record after */
	size_t k = 0;
	for (size_t i = lan0; i < B.nlan; i++) {
		struct dnssd_msg *m = decode(&B.lan[i]);
		const ldns_rr *srv =
		    find_rr(m, DNSSD_SEC_ANSWER, R_INST, LDNS_RR_TYPE_SRV);
		if (srv && B.lan[i].af == AF_INET) {
			CU_ASSERT_EQUAL(ldns_rr_ttl(srv), 0);
			CU_ASSERT_EQUAL(B.lan[i].t, now);
			CU_ASSERT_EQUAL(count_rr(m, DNSSD_SEC_ANSWER, NULL, 0),
			                PRINTER_EXPORTED);
			k++;
		}
		dnssd_msg_free(m);
	}
	CU_ASSERT_EQUAL(k, 1);
	size_t lan1 = B.nlan;
	advance(5000);
	CU_ASSERT_EQUAL(mcast_with(&B, lan1, AF_INET, R_INST, LDNS_RR_TYPE_SRV, NULL), 0);
	struct proxy_stats st;
	proxy_get_stats(B.px, &st);
	CU_ASSERT_EQUAL(st.remote_records, 0);
}

static void test_dedup(void)
{
	uint64_t start = now;
	for (int s = 0; s <= 20; s++) {
		advance_to(start + (uint64_t)s * 1000);
		lan_response(&M, printer);
	}
	/* twenty repeats: the peer heard it once */
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), PRINTER_EXPORTED);
	for (int s = 21; s <= 130; s++) {
		advance_to(start + (uint64_t)s * 1000);
		lan_response(&M, printer);
	}
	/* then the 120 s records again each time half their TTL has passed */
	CU_ASSERT_EQUAL(sent_records(&M, 0, "Printer\\032A._ipp._tcp.local.",
	                             LDNS_RR_TYPE_SRV, false),
	                3);
	CU_ASSERT_EQUAL(sent_records(&M, 0, "printer.local.", LDNS_RR_TYPE_A, false), 3);
	CU_ASSERT_EQUAL(sent_records(&M, 0, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR, false),
	                1);
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), PRINTER_EXPORTED + 4);
	/* a refresh is not news on brooklyn's LAN */
	CU_ASSERT_EQUAL(mcast_with(&B, 0, AF_INET, R_INST, LDNS_RR_TYPE_SRV, NULL), 2);
}

static const char *const browse_qm[] = {"Q:_ipp._tcp.local. IN PTR", NULL};
static const char *const browse_qu[] = {"Q:!_ipp._tcp.local. IN PTR", NULL};

static void check_service_answer(const struct dnssd_msg *m)
{
	const ldns_rr *ptr =
	    find_rr(m, DNSSD_SEC_ANSWER, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR);
	CU_ASSERT_FATAL(ptr != NULL);
	CU_ASSERT(name_is(ldns_rr_rdf(ptr, 0), R_INST));
	/* RFC 6763 §12: what resolving needs comes along */
	CU_ASSERT_EQUAL(count_rr(m, DNSSD_SEC_ADDITIONAL, R_INST, LDNS_RR_TYPE_SRV), 1);
	CU_ASSERT_EQUAL(count_rr(m, DNSSD_SEC_ADDITIONAL, R_INST, LDNS_RR_TYPE_TXT), 1);
	CU_ASSERT_EQUAL(count_rr(m, DNSSD_SEC_ADDITIONAL, R_HOST, LDNS_RR_TYPE_A), 1);
}

static void test_query_answered_from_cache(void)
{
	lan_response(&M, printer);
	advance(10000);

	/* multicast question: multicast answer after 20-120 ms (random: try often) */
	size_t lan0 = B.nlan;
	size_t out0 = B.nout;
	struct dnssd_msg *m;
	for (int i = 0; i < 20; i++) {
		advance(1500);
		lan0 = B.nlan;
		lan_from(&B, IF_B, "192.168.2.60", 5353, true, false, 0, browse_qm);
		CU_ASSERT_EQUAL(B.nlan, lan0);
		advance(19);
		CU_ASSERT_EQUAL(B.nlan, lan0);
		advance(101);
		uint64_t when[2] = {0};
		CU_ASSERT_EQUAL(mcast_with(&B, lan0, AF_INET, "_ipp._tcp.local.",
		                           LDNS_RR_TYPE_PTR, when),
		                1);
		CU_ASSERT(when[0] >= now - 101 && when[0] <= now);
		CU_ASSERT_FATAL(B.nlan > lan0);
		m = decode(&B.lan[lan0]);
		check_service_answer(m);
		dnssd_msg_free(m);
	}
	/* the cache could answer: manhattan was not asked */
	CU_ASSERT_EQUAL(sent_questions(&B, out0, NULL), 0);
	/* it is not repeated on the other family: the asker is on IPv4 */
	CU_ASSERT_EQUAL(
	    mcast_with(&B, lan0, AF_INET6, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR, NULL),
	    0);

	/* QU: unicast to the asker, at once */
	advance(2000);
	lan0 = B.nlan;
	lan_from(&B, IF_B, "192.168.2.61", 5353, true, false, 0, browse_qu);
	CU_ASSERT_EQUAL_FATAL(B.nlan, lan0 + 1);
	const struct dgram *d = &B.lan[lan0];
	CU_ASSERT(d->unicast);
	struct sockaddr_storage want = addr4("192.168.2.61", 5353);
	CU_ASSERT_EQUAL(((struct sockaddr_in *)&d->dst)->sin_addr.s_addr,
	                ((struct sockaddr_in *)&want)->sin_addr.s_addr);
	CU_ASSERT_EQUAL(((struct sockaddr_in *)&d->dst)->sin_port, htons(5353));
	m = decode(d);
	check_service_answer(m);
	CU_ASSERT_EQUAL(dnssd_msg_id(m), 0);
	dnssd_msg_free(m);

	/* legacy unicast: the ID, the question, TTL <= 10, no cache-flush */
	static const char *const legacy[] = {"Q:" R_INST " IN SRV", NULL};
	lan0 = B.nlan;
	lan_from(&B, IF_B, "192.168.2.62", 40000, true, false, 0x1234, legacy);
	CU_ASSERT_EQUAL_FATAL(B.nlan, lan0 + 1);
	d = &B.lan[lan0];
	CU_ASSERT(d->unicast);
	CU_ASSERT_EQUAL(((struct sockaddr_in *)&d->dst)->sin_port, htons(40000));
	m = decode(d);
	CU_ASSERT_EQUAL(dnssd_msg_id(m), 0x1234);
	CU_ASSERT_EQUAL(dnssd_msg_count(m, DNSSD_SEC_QUESTION), 1);
	const ldns_rr *srv = find_rr(m, DNSSD_SEC_ANSWER, R_INST, LDNS_RR_TYPE_SRV);
	CU_ASSERT_FATAL(srv != NULL);
	CU_ASSERT(ldns_rr_ttl(srv) <= 10 && ldns_rr_ttl(srv) > 0);
	CU_ASSERT(!dnssd_rr_cache_flush(srv));
	const ldns_rr *a = find_rr(m, DNSSD_SEC_ADDITIONAL, R_HOST, LDNS_RR_TYPE_A);
	CU_ASSERT(a && ldns_rr_ttl(a) <= 10 && !dnssd_rr_cache_flush(a));
	dnssd_msg_free(m);

	/* known-answer suppression: the asker has it with more than half its TTL */
	advance(2000);
	static const char *const ka[] = {
	    "Q:_ipp._tcp.local. IN PTR",
	    "A:_ipp._tcp.local. 4000 IN PTR " R_INST,
	    NULL,
	};
	lan0 = B.nlan;
	lan_from(&B, IF_B, "192.168.2.63", 5353, true, false, 0, ka);
	advance(1000);
	CU_ASSERT_EQUAL(
	    mcast_with(&B, lan0, AF_INET, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR, NULL), 0);
	/* but not with less than half */
	static const char *const ka_old[] = {
	    "Q:_ipp._tcp.local. IN PTR",
	    "A:_ipp._tcp.local. 2000 IN PTR " R_INST,
	    NULL,
	};
	lan_from(&B, IF_B, "192.168.2.63", 5353, true, false, 0, ka_old);
	advance(1000);
	CU_ASSERT_EQUAL(
	    mcast_with(&B, lan0, AF_INET, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR, NULL), 1);

	/* brooklyn never answers with manhattan-side names or its own LAN's records */
	static const char *const local_q[] = {"Q:printer.local. IN A", NULL};
	lan0 = B.nlan;
	lan_from(&B, IF_B, "192.168.2.64", 5353, true, false, 0, local_q);
	advance(1000);
	CU_ASSERT_EQUAL(responses(&B, lan0), 0);
}

static void test_question_forwarded(void)
{
	/* nothing cached for the type: brooklyn asks manhattan, which asks its LAN */
	static const char *const q[] = {"Q:_presence._tcp.local. IN PTR", NULL};
	lan_from(&B, IF_B, "192.168.2.60", 5353, true, false, 0, q);
	CU_ASSERT_EQUAL(sent_questions(&B, 0, "_presence._tcp.local."), 1);
	size_t mq = 0;
	for (size_t i = 0; i < M.nlan; i++) {
		struct dnssd_msg *m = decode(&M.lan[i]);
		if (dnssd_msg_kind(m) == DNSSD_QUERY && !M.lan[i].unicast &&
		    count_rr(m, DNSSD_SEC_QUESTION, "_presence._tcp.local.",
		             LDNS_RR_TYPE_PTR))
			mq++;
		dnssd_msg_free(m);
	}
	CU_ASSERT_EQUAL(mq, 2); /* IPv4 and IPv6 */

	/* the same question again at once is not forwarded twice */
	lan_from(&B, IF_B, "192.168.2.61", 5353, true, false, 0, q);
	CU_ASSERT_EQUAL(sent_questions(&B, 0, "_presence._tcp.local."), 1);

	/* manhattan's responder answers; the service appears at brooklyn */
	static const char *const alice[] = {
	    "A:_presence._tcp.local. 4500 IN PTR alice._presence._tcp.local.",
	    "D:!alice._presence._tcp.local. 120 IN SRV 0 0 5298 mac.local.",
	    "D:!alice._presence._tcp.local. 4500 IN TXT \"status=avail\"",
	    "D:!mac.local. 120 IN A 192.168.1.30",
	    NULL,
	};
	lan_response(&M, alice);
	CU_ASSERT_EQUAL(mcast_with(&B, 0, AF_INET,
	                           "alice\\032\\040manhattan\\041._presence._tcp.local.",
	                           LDNS_RR_TYPE_SRV, NULL),
	                1);

	/* names that look like manhattan's go back to manhattan, un-renamed */
	static const char *const host_q[] = {"Q:scanner-manhattan.local. IN A", NULL};
	lan_from(&B, IF_B, "192.168.2.60", 5353, true, false, 0, host_q);
	CU_ASSERT_EQUAL(sent_questions(&B, 0, "scanner.local."), 1);
	CU_ASSERT_EQUAL(sent_questions(&B, 0, "scanner-manhattan.local."), 0);
}

static void test_question_rate_limited(void)
{
	advance(5000); /* a full bucket */
	uint64_t rate0 = drops(&B, PROXY_DROP_RATE);
	for (int i = 0; i < 20; i++) {
		char name[64];
		snprintf(name, sizeof(name), "Q:h%d-manhattan.local. IN A", i);
		const char *const q[] = {name, NULL};
		lan_from(&B, IF_B, "192.168.2.60", 5353, true, false, 0, q);
	}
	/* queries-per-second: 5 */
	CU_ASSERT_EQUAL(sent_questions(&B, 0, NULL), 5);
	CU_ASSERT_EQUAL(drops(&B, PROXY_DROP_RATE) - rate0, 15);
	advance(1000);
	for (int i = 20; i < 40; i++) {
		char name[64];
		snprintf(name, sizeof(name), "Q:h%d-manhattan.local. IN A", i);
		const char *const q[] = {name, NULL};
		lan_from(&B, IF_B, "192.168.2.60", 5353, true, false, 0, q);
	}
	CU_ASSERT_EQUAL(sent_questions(&B, 0, NULL), 10);
}

static void test_near_expiry_reasked(void)
{
	lan_response(&M, printer);
	advance(60000);
	size_t bq = B.nout, mo = M.nout, ml = M.nlan;
	static const char *const q[] = {"Q:" R_INST " IN SRV", NULL};
	/* at half its TTL the cached SRV answers alone */
	lan_from(&B, IF_B, "192.168.2.60", 5353, true, false, 0, q);
	CU_ASSERT_EQUAL(sent_questions(&B, bq, NULL), 0);
	/* past 80% it is asked for at its origin, by its own name there */
	advance(37000);
	lan_from(&B, IF_B, "192.168.2.60", 5353, true, false, 0, q);
	CU_ASSERT_EQUAL(sent_questions(&B, bq, "Printer\\032A._ipp._tcp.local."), 1);
	/* manhattan asks its LAN and sends what it has at once, past the dedup */
	size_t mq = 0;
	for (size_t i = ml; i < M.nlan; i++) {
		struct dnssd_msg *m = decode(&M.lan[i]);
		mq += dnssd_msg_kind(m) == DNSSD_QUERY &&
		      count_rr(m, DNSSD_SEC_QUESTION, "Printer\\032A._ipp._tcp.local.",
		               LDNS_RR_TYPE_SRV);
		dnssd_msg_free(m);
	}
	CU_ASSERT(mq >= 1);
	CU_ASSERT_EQUAL(sent_records(&M, mo, "Printer\\032A._ipp._tcp.local.",
	                             LDNS_RR_TYPE_SRV, false),
	                1);
}

/*
 * When brooklyn asks its LAN for manhattan, the records it announces for manhattan
 * go along as known answers: a question nobody answers would make hosts flush them
 * (RFC 6762 §10.5).
 */
static void test_own_query_lists_remote(void)
{
	lan_response(&M, printer);
	advance(5000);
	size_t bl = B.nlan;
	ldns_rr *q = NULL;
	CU_ASSERT_FATAL(ldns_rr_new_question_frm_str(&q, "_ipp._tcp.local. IN PTR", NULL,
	                                             NULL) == LDNS_STATUS_OK);
	proxy_peer_questions(B.px, 0, &q, 1, now);
	ldns_rr_free(q);
	size_t listed = 0, queries = 0;
	for (size_t i = bl; i < B.nlan; i++) {
		struct dnssd_msg *m = decode(&B.lan[i]);
		if (dnssd_msg_kind(m) == DNSSD_QUERY &&
		    count_rr(m, DNSSD_SEC_QUESTION, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR)) {
			queries++;
			const ldns_rr *ka =
			    find_rr(m, DNSSD_SEC_ANSWER, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR);
			listed += ka && name_is(ldns_rr_rdf(ka, 0), R_INST);
		}
		dnssd_msg_free(m);
	}
	CU_ASSERT(queries >= 1);
	CU_ASSERT_EQUAL(listed, queries);
}

static void test_loop_guard(void)
{
	ldns_rr *rrs[2] = {mkrr("!x.local. 120 IN A 10.0.0.1"),
	                   mkrr("_ipp._tcp.local. 4500 IN PTR X._ipp._tcp.local.")};
	uint64_t loop0 = drops(&B, PROXY_DROP_LOOP);
	/* records that claim to come from brooklyn, or from further away */
	proxy_peer_records(B.px, 0, "brooklyn", 0, rrs, 2, now);
	proxy_peer_records(B.px, 0, "manhattan", 1, rrs, 2, now);
	CU_ASSERT_EQUAL(drops(&B, PROXY_DROP_LOOP) - loop0, 4);
	/* a peer speaks only for itself */
	proxy_peer_records(B.px, 0, "queens", 0, rrs, 2, now);
	CU_ASSERT_EQUAL(drops(&B, PROXY_DROP_ORIGIN), 2);
	settle();
	CU_ASSERT_EQUAL(B.nlan, 0);
	ldns_rr_free(rrs[0]);
	ldns_rr_free(rrs[1]);

	/* what brooklyn announces, repeated by another responder there, stays there */
	lan_response(&M, printer);
	advance(2000);
	CU_ASSERT_FATAL(B.nlan > 0);
	size_t out0 = B.nout;
	loop0 = drops(&B, PROXY_DROP_LOOP);
	for (size_t i = 0; i < B.nlan; i++) {
		struct sockaddr_storage src = addr4("192.168.2.99", 5353);
		proxy_lan_input(B.px, IF_B, (struct sockaddr *)&src, true, B.lan[i].buf,
		                B.lan[i].len, now);
	}
	settle();
	CU_ASSERT_EQUAL(sent_records(&B, out0, NULL, 0, false), 0);
	CU_ASSERT(drops(&B, PROXY_DROP_LOOP) - loop0 >= PRINTER_EXPORTED);
}

static void test_no_reflection_between_interfaces(void)
{
	CU_ASSERT_EQUAL(proxy_add_interface(B.px, IF_B2, "eth1", now), 0);
	CU_ASSERT_EQUAL(proxy_add_interface(B.px, IF_B2, "eth1", now), -EEXIST);
	settle();
	clear_lan(&B);
	static const char *const tv[] = {
	    "A:_ipp._tcp.local. 4500 IN PTR Local._ipp._tcp.local.",
	    "A:!Local._ipp._tcp.local. 120 IN SRV 0 0 631 local.local.",
	    "A:!local.local. 120 IN A 192.168.2.5",
	    NULL,
	};
	lan_response(&B, tv);
	advance(3000);
	/* exported to the peer, but not repeated on eth1 (nor on eth0) */
	CU_ASSERT_EQUAL(
	    sent_records(&B, 0, "Local._ipp._tcp.local.", LDNS_RR_TYPE_SRV, false), 1);
	CU_ASSERT_EQUAL(responses(&B, 0), 0);
	/* and manhattan's copy is named for brooklyn, mapped as brooklyn says */
	const ldns_rr *a = NULL;
	for (size_t i = 0; i < M.nlan && !a; i++) {
		struct dnssd_msg *m = decode(&M.lan[i]);
		const ldns_rr *x =
		    find_rr(m, DNSSD_SEC_ANSWER, "local-brooklyn.local.", LDNS_RR_TYPE_A);
		if (x) {
			char *txt = ldns_rdf2str(ldns_rr_rdf(x, 0));
			CU_ASSERT_STRING_EQUAL(txt, "10.102.2.5");
			free(txt);
			a = x;
		}
		dnssd_msg_free(m);
	}
	CU_ASSERT(a != NULL);

	/* a new interface hears what the peers gave us */
	lan_response(&M, printer);
	advance(3000);
	proxy_remove_interface(B.px, IF_B2);
	clear_lan(&B);
	CU_ASSERT_EQUAL(proxy_add_interface(B.px, IF_B2, "eth1", now), 0);
	settle();
	size_t on_b2 = 0;
	for (size_t i = 0; i < B.nlan; i++) {
		struct dnssd_msg *m = decode(&B.lan[i]);
		on_b2 += B.lan[i].ifindex == IF_B2 &&
		         count_rr(m, DNSSD_SEC_ANSWER, R_INST, LDNS_RR_TYPE_SRV) > 0;
		dnssd_msg_free(m);
	}
	CU_ASSERT_EQUAL(on_b2, 2); /* IPv4 and IPv6 */
	CU_ASSERT_EQUAL(mcast_with(&B, 0, AF_INET, R_INST, LDNS_RR_TYPE_SRV, NULL), 1);
}

static void test_peer_down_grace(void)
{
	lan_response(&M, printer);
	advance(2000);
	M.link_up = B.link_up = false;
	proxy_peer_down(B.px, 0, now);
	proxy_peer_down(M.px, 0, now);
	uint64_t down = now;
	struct proxy_peer_stats ps;
	proxy_get_peer_stats(B.px, 0, &ps);
	CU_ASSERT(!ps.up && ps.grace_running);

	/* within the grace period the records stay and still answer */
	advance_to(down + 30000);
	size_t lan0 = B.nlan;
	lan_from(&B, IF_B, "192.168.2.61", 5353, true, false, 0, browse_qu);
	CU_ASSERT_EQUAL(B.nlan, lan0 + 1);
	advance_to(down + 59999);
	lan0 = B.nlan;
	CU_ASSERT_EQUAL(mcast_with(&B, 0, AF_INET, R_INST, LDNS_RR_TYPE_SRV, NULL), 2);

	/* then goodbyes */
	advance_to(down + 60000);
	size_t k = 0;
	for (size_t i = lan0; i < B.nlan; i++) {
		struct dnssd_msg *m = decode(&B.lan[i]);
		const ldns_rr *srv =
		    find_rr(m, DNSSD_SEC_ANSWER, R_INST, LDNS_RR_TYPE_SRV);
		if (srv && B.lan[i].af == AF_INET) {
			k++;
			CU_ASSERT_EQUAL(ldns_rr_ttl(srv), 0);
			CU_ASSERT_EQUAL(count_rr(m, DNSSD_SEC_ANSWER, NULL, 0),
			                PRINTER_EXPORTED);
		}
		dnssd_msg_free(m);
	}
	CU_ASSERT_EQUAL(k, 1);
	struct proxy_stats st;
	proxy_get_stats(B.px, &st);
	CU_ASSERT_EQUAL(st.remote_records, 0);

	/* back up: manhattan sends everything again */
	M.link_up = B.link_up = true;
	size_t out0 = M.nout;
	proxy_peer_up(M.px, 0, now);
	proxy_peer_up(B.px, 0, now);
	settle();
	CU_ASSERT_EQUAL(sent_records(&M, out0, NULL, 0, false), PRINTER_EXPORTED);
	CU_ASSERT(mcast_with(&B, lan0, AF_INET, R_INST, LDNS_RR_TYPE_SRV, NULL) >= 1);
}

static void test_shutdown_goodbyes(void)
{
	lan_response(&M, printer);
	advance(3000);
	size_t lan0 = B.nlan;
	proxy_shutdown(B.px, now);
	size_t k = 0;
	for (size_t i = lan0; i < B.nlan; i++) {
		struct dnssd_msg *m = decode(&B.lan[i]);
		CU_ASSERT_EQUAL(count_rr(m, DNSSD_SEC_ANSWER, NULL, 0), PRINTER_EXPORTED);
		for (size_t j = 0; j < dnssd_msg_count(m, DNSSD_SEC_ANSWER); j++)
			CU_ASSERT_EQUAL(ldns_rr_ttl(dnssd_msg_rr(m, DNSSD_SEC_ANSWER, j)),
			                0);
		k++;
		dnssd_msg_free(m);
	}
	CU_ASSERT_EQUAL(k, 2); /* IPv4 and IPv6 */
	struct proxy_stats st;
	proxy_get_stats(B.px, &st);
	CU_ASSERT_EQUAL(st.remote_records, 0);
}

static void test_mtu_split(void)
{
	ldns_rr *rrs[200];
	size_t n = 0;
	char text[256];
	for (int i = 0; i < 66; i++) {
		snprintf(text, sizeof(text),
		         "_ipp._tcp.local. 4500 IN PTR P%02d._ipp._tcp.local.", i);
		rrs[n++] = mkrr(text);
		snprintf(text, sizeof(text),
		         "!P%02d._ipp._tcp.local. 120 IN SRV 0 0 631 big.local.", i);
		rrs[n++] = mkrr(text);
		snprintf(text, sizeof(text),
		         "!P%02d._ipp._tcp.local. 4500 IN TXT \"txtvers=1\" "
		         "\"note=printer %d\"",
		         i, i);
		rrs[n++] = mkrr(text);
	}
	rrs[n++] = mkrr("_services._dns-sd._udp.local. 4500 IN PTR _ipp._tcp.local.");
	rrs[n++] = mkrr("!big.local. 120 IN A 10.101.1.99");
	CU_ASSERT_EQUAL_FATAL(n, 200);
	B.mtu = 1000;
	proxy_peer_records(B.px, 0, "manhattan", 0, rrs, n, now);
	settle();
	for (size_t i = 0; i < n; i++)
		ldns_rr_free(rrs[i]);

	size_t pk = 0, total = 0;
	for (size_t i = 0; i < B.nlan; i++) {
		if (B.lan[i].af != AF_INET)
			continue;
		CU_ASSERT(B.lan[i].len <= 1000);
		struct dnssd_msg *m = decode(&B.lan[i]);
		total += dnssd_msg_count(m, DNSSD_SEC_ANSWER);
		dnssd_msg_free(m);
		pk++;
	}
	CU_ASSERT_EQUAL(total, 200);
	CU_ASSERT(pk >= 2);
	/* packed: every datagram but the last is nearly full */
	size_t full = 0;
	for (size_t i = 0; i < B.nlan; i++)
		if (B.lan[i].af == AF_INET && B.lan[i].len > 850)
			full++;
	CU_ASSERT(full >= pk - 1);
}

static void test_reconfigure_withdraws(void)
{
	lan_response(&M, printer);
	advance(3000);
	size_t out0 = M.nout, lan0 = B.nlan;
	struct policy_config *ncfg = load_cfg("manhattan", cfg_manhattan_noipp);
	CU_ASSERT_EQUAL(proxy_reconfigure(M.px, ncfg, now), 0);
	policy_config_free(M.cfg);
	M.cfg = ncfg;
	settle();
	/* brooklyn is told to forget the printer, and its LAN with it */
	CU_ASSERT_EQUAL(sent_records(&M, out0, NULL, 0, true), PRINTER_EXPORTED);
	CU_ASSERT_EQUAL(sent_records(&M, out0, NULL, 0, false), 0);
	size_t k = 0;
	for (size_t i = lan0; i < B.nlan; i++) {
		struct dnssd_msg *m = decode(&B.lan[i]);
		const ldns_rr *srv =
		    find_rr(m, DNSSD_SEC_ANSWER, R_INST, LDNS_RR_TYPE_SRV);
		k += srv && ldns_rr_ttl(srv) == 0;
		dnssd_msg_free(m);
	}
	CU_ASSERT_EQUAL(k, 2);
	/* and a new printer announcement is not exported */
	out0 = M.nout;
	lan_response(&M, printer);
	CU_ASSERT_EQUAL(sent_records(&M, out0, NULL, 0, false), 0);
}

static void test_bad_input_counted(void)
{
	uint8_t junk[5] = {1, 2, 3, 4, 5};
	struct sockaddr_storage src = addr4("192.168.1.50", 5353);
	proxy_lan_input(M.px, IF_M, (struct sockaddr *)&src, true, junk, sizeof(junk),
	                now);
	struct proxy_stats st;
	proxy_get_stats(M.px, &st);
	CU_ASSERT_EQUAL(st.decode_drops[DNSSD_R_SHORT], 1);

	/* responses from another port are not mDNS */
	lan_from(&M, IF_M, "192.168.1.50", 12345, true, true, 0, printer);
	CU_ASSERT_EQUAL(drops(&M, PROXY_DROP_NOT_MDNS_PORT), 1);
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), 0);
	proxy_get_stats(M.px, &st);
	CU_ASSERT_EQUAL(st.local_records, 0);
	CU_ASSERT(st.lan_packets_in >= 2);

	/* a peer id that is not configured */
	ldns_rr *rr = mkrr("x.local. 120 IN A 10.0.0.1");
	proxy_peer_records(M.px, 7, "brooklyn", 0, &rr, 1, now);
	CU_ASSERT_EQUAL(drops(&M, PROXY_DROP_PEER), 1);
	ldns_rr_free(rr);
	struct proxy_peer_stats ps;
	CU_ASSERT_EQUAL(proxy_get_peer_stats(M.px, 7, &ps), -ENOENT);
	CU_ASSERT_STRING_EQUAL(proxy_drop_str(PROXY_DROP_RATE), "rate");
	CU_ASSERT_STRING_EQUAL(proxy_drop_str(PROXY_DROP_NOT_MDNS_PORT), "not-mdns-port");
}

/* n instances that nothing describes (PTRs only), from host ip, numbered from first. */
static void lone_ptrs(const char *ip, unsigned first, unsigned n)
{
	char text[25][96];
	const char *specs[26];
	CU_ASSERT_FATAL(n <= 25);
	for (unsigned i = 0; i < n; i++) {
		snprintf(text[i], sizeof(text[i]),
		         "A:_ipp._tcp.local. 4500 IN PTR Lone\\032%u._ipp._tcp.local.",
		         first + i);
		specs[i] = text[i];
	}
	specs[n] = NULL;
	lan_from(&M, IF_M, ip, 5353, true, true, 0, specs);
}

static void test_lan_flood_limited(void)
{
	/* one host's burst: 4,000 records at once, then 1,000 a second */
	size_t asked0 = M.nlan;
	for (unsigned k = 0; k < 200; k++)
		lone_ptrs("192.168.1.66", k * 25, 25);
	uint64_t over = drops(&M, PROXY_DROP_SOURCE);
	CU_ASSERT(over >= 200 - 4000 / 26 && over < 200);
	/* instances that never complete are held back for the peer, 1,024 at most */
	CU_ASSERT(drops(&M, PROXY_DROP_LIMIT) > 0);
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), 0);
	/* both families of the LAN are asked for the SRV and TXT of each held one */
	size_t questions = 0;
	for (size_t i = asked0; i < M.nlan; i++) {
		struct dnssd_msg *m = decode(&M.lan[i]);
		questions += dnssd_msg_count(m, DNSSD_SEC_QUESTION);
		dnssd_msg_free(m);
	}
	CU_ASSERT(questions > 0 && questions <= 2 * 2 * 1024);

	/* another host is not held up by it, and its printer crosses whole */
	lan_response(&M, printer);
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), PRINTER_EXPORTED);
	CU_ASSERT_EQUAL(drops(&M, PROXY_DROP_SOURCE), over);

	/* the flooding host gets its budget back with time */
	advance(5000);
	lone_ptrs("192.168.1.66", 100000, 1);
	CU_ASSERT_EQUAL(drops(&M, PROXY_DROP_SOURCE), over);
	CU_ASSERT_STRING_EQUAL(proxy_drop_str(PROXY_DROP_SOURCE), "source-rate");
}

static void test_sender_rule_resync(void)
{
	restart(&M, cfg_manhattan_byaddr);
	size_t out0 = M.nout;
	lan_response(&M, printer);
	CU_ASSERT_EQUAL(sent_records(&M, out0, NULL, 0, false), PRINTER_EXPORTED);
	/* another host: its services stay home */
	static const char *const other[] = {
	    "A:_ipp._tcp.local. 4500 IN PTR Other._ipp._tcp.local.",
	    "A:!Other._ipp._tcp.local. 120 IN SRV 0 0 631 other.local.",
	    "A:!other.local. 120 IN A 192.168.1.51",
	    NULL,
	};
	out0 = M.nout;
	lan_from(&M, IF_M, "192.168.1.51", 5353, true, true, 0, other);
	CU_ASSERT_EQUAL(sent_records(&M, out0, NULL, 0, false), 0);
	/* the link comes back: what .50 said goes again, decided on its sender */
	advance(5000);
	out0 = M.nout;
	proxy_peer_down(M.px, 0, now);
	proxy_peer_up(M.px, 0, now);
	settle();
	CU_ASSERT_EQUAL(sent_records(&M, out0, "Printer\\032A._ipp._tcp.local.",
	                             LDNS_RR_TYPE_SRV, false),
	                1);
	CU_ASSERT_EQUAL(sent_records(&M, out0, "Other._ipp._tcp.local.", 0, false), 0);
}

static void test_remote_limit(void)
{
	restart(&B, cfg_brooklyn_small);
	lan_response(&M, printer);
	struct proxy_stats st;
	proxy_get_stats(B.px, &st);
	CU_ASSERT_EQUAL(st.remote_records, 4);
	CU_ASSERT(st.drops[PROXY_DROP_LIMIT] >= 2);
}

static void test_reconfigure_import(void)
{
	lan_response(&M, printer);
	advance(3000);
	size_t lan0 = B.nlan;
	struct policy_config *ncfg = load_cfg("brooklyn", cfg_brooklyn_noipp);
	CU_ASSERT_EQUAL(proxy_reconfigure(B.px, ncfg, now), 0);
	policy_config_free(B.cfg);
	B.cfg = ncfg;
	settle();
	/* printers are no longer taken from manhattan: goodbyes on the LAN */
	size_t k = 0;
	for (size_t i = lan0; i < B.nlan; i++) {
		struct dnssd_msg *m = decode(&B.lan[i]);
		const ldns_rr *srv =
		    find_rr(m, DNSSD_SEC_ANSWER, R_INST, LDNS_RR_TYPE_SRV);
		k += srv && ldns_rr_ttl(srv) == 0 && B.lan[i].af == AF_INET;
		dnssd_msg_free(m);
	}
	CU_ASSERT_EQUAL(k, 1);
	struct proxy_stats st;
	proxy_get_stats(B.px, &st);
	CU_ASSERT_EQUAL(st.remote_records, 0);
	/* a presence service arrives under the new host suffix */
	static const char *const alice[] = {
	    "A:_presence._tcp.local. 4500 IN PTR alice._presence._tcp.local.",
	    "A:!alice._presence._tcp.local. 120 IN SRV 0 0 5298 mac.local.",
	    "A:!mac.local. 120 IN A 192.168.1.30",
	    NULL,
	};
	lan_response(&M, alice);
	CU_ASSERT_EQUAL(mcast_with(&B, lan0, AF_INET, "mac-manhattan-office.local.",
	                           LDNS_RR_TYPE_A, NULL),
	                1);
}

static void test_truncated_query_waits(void)
{
	lan_response(&M, printer);
	advance(5000);
	uint8_t *buf;
	size_t len = mkpkt(&buf, false, 0, browse_qm);
	buf[2] |= 0x02; /* TC: known answers follow */
	struct sockaddr_storage src = addr4("192.168.2.60", 5353);
	size_t lan0 = B.nlan;
	proxy_lan_input(B.px, IF_B, (struct sockaddr *)&src, true, buf, len, now);
	free(buf);
	settle();
	advance(399);
	CU_ASSERT_EQUAL(B.nlan, lan0);
	/* the asker's next packet lists the PTR: nothing left to say */
	static const char *const more[] = {"A:_ipp._tcp.local. 4500 IN PTR " R_INST,
	                                   NULL};
	lan_from(&B, IF_B, "192.168.2.60", 5353, true, false, 0, more);
	advance(200);
	CU_ASSERT_EQUAL(
	    mcast_with(&B, lan0, AF_INET, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR, NULL), 0);
	/* without it, the answer comes after 400-500 ms */
	len = mkpkt(&buf, false, 0, browse_qm);
	buf[2] |= 0x02;
	uint64_t asked = now;
	proxy_lan_input(B.px, IF_B, (struct sockaddr *)&src, true, buf, len, now);
	free(buf);
	settle();
	advance(600);
	uint64_t when[2] = {0};
	CU_ASSERT_EQUAL(
	    mcast_with(&B, lan0, AF_INET, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR, when), 1);
	CU_ASSERT(when[0] >= asked + 400 && when[0] <= asked + 500);
}

static void test_cut_name_asked_by_original(void)
{
	/* 61 bytes: with " (manhattan)" the label must be cut to stay within 63 */
	static const char *const longname[] = {
	    "A:_ipp._tcp.local. 4500 IN PTR "
	    "Very\\032Long\\032Printer\\032Name\\032On\\032The\\032Third\\032Floor\\032Co"
	    "nference\\032Room\\032301._ipp._tcp.local.",
	    "A:!"
	    "Very\\032Long\\032Printer\\032Name\\032On\\032The\\032Third\\032Floor\\032Co"
	    "nference\\032Room\\032301."
	    "_ipp._tcp.local. 120 IN SRV 0 0 631 printer.local.",
	    "A:!printer.local. 120 IN A 192.168.1.12",
	    NULL,
	};
	lan_response(&M, longname);
	CU_ASSERT_FATAL(B.nlan > 0);
	struct dnssd_msg *m = decode(&B.lan[0]);
	const ldns_rr *ptr =
	    find_rr(m, DNSSD_SEC_ANSWER, "_ipp._tcp.local.", LDNS_RR_TYPE_PTR);
	CU_ASSERT_FATAL(ptr != NULL);
	ldns_rdf *renamed = ldns_rdf_clone(ldns_rr_rdf(ptr, 0));
	dnssd_msg_free(m);
	CU_ASSERT_EQUAL(ldns_rdf_data(renamed)[0], 63);

	/* near expiry, the SRV is asked for at manhattan by its full original name */
	advance(100000);
	ldns_rr *q = ldns_rr_new();
	ldns_rr_set_owner(q, renamed);
	ldns_rr_set_type(q, LDNS_RR_TYPE_SRV);
	ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(q, true);
	ldns_pkt *pkt = ldns_pkt_new();
	ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, q);
	uint8_t *buf;
	size_t len;
	CU_ASSERT_FATAL(ldns_pkt2wire(&buf, pkt, &len) == LDNS_STATUS_OK);
	ldns_pkt_free(pkt);
	struct sockaddr_storage src = addr4("192.168.2.60", 5353);
	size_t out0 = B.nout;
	proxy_lan_input(B.px, IF_B, (struct sockaddr *)&src, true, buf, len, now);
	free(buf);
	settle();
	CU_ASSERT_EQUAL(
	    sent_questions(
	        &B, out0,
	        "Very\\032Long\\032Printer\\032Name\\032On\\032The\\032Third\\032"
	        "Floor\\032Conference\\032Room\\032301._ipp._tcp.local."),
	    1);
}

static void test_garbage_survived(void)
{
	uint8_t *good;
	size_t len = mkpkt(&good, true, 0, printer);
	uint8_t *bad = malloc(len);
	uint64_t x = 88172645463325252ULL;
	struct sockaddr_storage src = addr4("192.168.1.50", 5353);
	for (int i = 0; i < 3000; i++) {
		memcpy(bad, good, len);
		for (int k = 0; k < 1 + i % 4; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			bad[x % len] = (uint8_t)(x >> 32);
		}
		size_t l = i % 7 == 0 ? (size_t)(x >> 40) % len : len;
		proxy_lan_input(M.px, IF_M, (struct sockaddr *)&src, true, bad, l, now);
		proxy_lan_input(B.px, IF_B, (struct sockaddr *)&src, i % 2, bad, l, now);
		settle();
		now += 7;
	}
	free(bad);
	free(good);
	struct proxy_stats st;
	proxy_get_stats(M.px, &st);
	CU_ASSERT(st.lan_packets_in == 3000);
}

static void test_flap_resync(void)
{
	static const char *const alice[] = {
	    "A:_presence._tcp.local. 4500 IN PTR alice._presence._tcp.local.",
	    "A:!alice._presence._tcp.local. 120 IN SRV 0 0 5298 mac.local.",
	    "A:!mac.local. 120 IN A 192.168.1.30",
	    NULL,
	};
	lan_response(&M, printer);
	lan_response(&M, alice);
	advance(5000);
	/* the link drops; meanwhile the printer leaves manhattan */
	M.link_up = B.link_up = false;
	proxy_peer_down(M.px, 0, now);
	proxy_peer_down(B.px, 0, now);
	advance(10000);
	lan_response(&M, printer_bye);
	advance(10000);
	size_t lan0 = B.nlan, bq = B.nout;
	M.link_up = B.link_up = true;
	proxy_peer_up(M.px, 0, now);
	proxy_peer_up(B.px, 0, now);
	settle();
	uint64_t up = now;
	/* brooklyn asks again for the types it holds */
	CU_ASSERT_EQUAL(sent_questions(&B, bq, "_ipp._tcp.local."), 1);
	CU_ASSERT_EQUAL(sent_questions(&B, bq, "_universal._sub._ipp._tcp.local."), 1);
	CU_ASSERT_EQUAL(sent_questions(&B, bq, "_presence._tcp.local."), 1);
	/* what came again is a refresh, not news */
	CU_ASSERT_EQUAL(responses(&B, lan0), 0);
	/* what did not come again is withdrawn after the resync window */
	advance_to(up + 29000);
	CU_ASSERT_EQUAL(responses(&B, lan0), 0);
	advance_to(up + 31000);
	size_t bye = 0;
	for (size_t i = lan0; i < B.nlan; i++) {
		struct dnssd_msg *m = decode(&B.lan[i]);
		const ldns_rr *srv =
		    find_rr(m, DNSSD_SEC_ANSWER, R_INST, LDNS_RR_TYPE_SRV);
		bye += srv && ldns_rr_ttl(srv) == 0 && B.lan[i].af == AF_INET;
		CU_ASSERT_EQUAL(
		    count_rr(m, DNSSD_SEC_ANSWER,
		             "alice\\032\\040manhattan\\041._presence._tcp.local.", 0),
		    0);
		dnssd_msg_free(m);
	}
	CU_ASSERT_EQUAL(bye, 1);
	struct proxy_stats st;
	proxy_get_stats(B.px, &st);
	CU_ASSERT_EQUAL(st.remote_records, 3); /* alice: PTR, SRV and A */
}

/* avahi.publish: brooklyn hands the service to its publisher and stays quiet. */
static void test_external_publisher(void)
{
	const char *key = "printer a (manhattan)._ipp._tcp.local.";
	with_publisher = true;
	restart(&B, cfg_brooklyn);
	with_publisher = false;
	npubs = 0;
	proxy_set_external(B.px, true, now);

	lan_response(&M, printer);
	settle();
	CU_ASSERT_EQUAL_FATAL(npubs, 1);
	CU_ASSERT_FALSE(pubs[0].remove);
	CU_ASSERT_STRING_EQUAL(pubs[0].key, key);
	CU_ASSERT_STRING_EQUAL(pubs[0].name, "Printer A (manhattan)");
	CU_ASSERT_STRING_EQUAL(pubs[0].type, "_ipp._tcp");
	CU_ASSERT_STRING_EQUAL(pubs[0].host, "printer-manhattan.local");
	CU_ASSERT_EQUAL(pubs[0].port, 631);
	CU_ASSERT_EQUAL(pubs[0].ntxt, 2);
	CU_ASSERT_STRING_EQUAL(pubs[0].txt, "txtvers=1");
	CU_ASSERT_EQUAL(pubs[0].nsub, 1);
	CU_ASSERT_STRING_EQUAL(pubs[0].sub, "_universal");
	CU_ASSERT_EQUAL(pubs[0].naddrs, 1);
	CU_ASSERT_STRING_EQUAL(pubs[0].addr, "10.101.1.12");

	/* the publisher announces and answers: nothing from the engine on the LAN */
	static const char *const q[] = {"Q:_ipp._tcp.local. IN PTR", NULL};
	lan_from(&B, IF_B, "192.168.2.50", 5353, true, true, 0, q);
	advance(3000);
	CU_ASSERT_EQUAL(responses(&B, 0), 0);

	/* the same records again change nothing */
	lan_response(&M, printer);
	advance(10);
	CU_ASSERT_EQUAL(npubs, 1);

	/* in use as long as it is published: asked for again before it expires */
	size_t first = B.nout;
	advance_to(T0 + 90000);
	CU_ASSERT_EQUAL(sent_questions(&B, first, "Printer\\032A._ipp._tcp.local."), 0);
	advance_to(T0 + 110000);
	CU_ASSERT(sent_questions(&B, first, "Printer\\032A._ipp._tcp.local.") >= 1);
	CU_ASSERT(sent_questions(&B, first, "printer.local.") >= 1);
	lan_response(&M, printer);
	advance(10);
	CU_ASSERT_EQUAL(npubs, 1);

	/* a goodbye removes it */
	lan_response(&M, printer_bye);
	advance(10);
	CU_ASSERT_EQUAL_FATAL(npubs, 2);
	CU_ASSERT(pubs[1].remove);
	CU_ASSERT_STRING_EQUAL(pubs[1].key, key);
	CU_ASSERT_EQUAL(responses(&B, 0), 0);

	/* the publisher gone, the engine announces what it holds itself */
	lan_response(&M, printer);
	advance(10);
	CU_ASSERT_EQUAL(npubs, 3);
	proxy_set_external(B.px, false, now);
	advance(2000);
	CU_ASSERT_EQUAL(mcast_with(&B, 0, AF_INET, R_INST, LDNS_RR_TYPE_SRV, NULL), 2);

	/* shutdown removes it from the publisher */
	proxy_shutdown(B.px, now);
	CU_ASSERT_EQUAL_FATAL(npubs, 4);
	CU_ASSERT(pubs[3].remove);
}

/* avahi.browse: a service another browser found is exported like one heard. */
static void test_local_service_found(void)
{
	static const struct proxy_txt txt[] = {{(const uint8_t *)"txtvers=1", 9},
	                                       {(const uint8_t *)"rp=ipp/print", 12}};
	struct proxy_found f = {.name = "Printer A",
	                        .type = "_ipp._tcp",
	                        .domain = "local",
	                        .host = "printer.local",
	                        .port = 631,
	                        .txt = txt,
	                        .ntxt = 2,
	                        .addr = {.af = AF_INET}};
	inet_pton(AF_INET, "192.168.1.12", f.addr.a);

	CU_ASSERT_EQUAL(proxy_local_service(M.px, 99, &f, false, now), -ENOENT);
	CU_ASSERT_EQUAL(M.nout, 0);
	CU_ASSERT_EQUAL(proxy_local_service(M.px, IF_M, &f, false, now), 0);
	settle();
	/* enumeration PTR, PTR, SRV, TXT, A */
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), 5);
	CU_ASSERT_EQUAL(mcast_with(&B, 0, AF_INET, R_INST, LDNS_RR_TYPE_SRV, NULL), 1);

	/* heard on the LAN too: only what the browser did not give (the subtype) */
	size_t first = M.nout;
	lan_response(&M, printer);
	settle();
	CU_ASSERT_EQUAL(sent_records(&M, first, NULL, 0, false), 1);
	CU_ASSERT_EQUAL(
	    sent_records(&M, first, "_universal._sub._ipp._tcp.local.", 0, false), 1);

	/* removed: goodbyes for the service, not for the host's address */
	first = M.nout;
	CU_ASSERT_EQUAL(proxy_local_service(M.px, IF_M, &f, true, now), 0);
	settle();
	CU_ASSERT_EQUAL(sent_records(&M, first, "Printer\\032A._ipp._tcp.local.",
	                             LDNS_RR_TYPE_SRV, true),
	                1);
	CU_ASSERT_EQUAL(sent_records(&M, first, "printer.local.", 0, true), 0);
}

/* ------------------------------------------------------------ added remotes (remote.h) */

/* What an added remote was handed: records into zone.out, questions counted. */
static struct node zone;
static unsigned zone_id;
static size_t zone_questions;

static int zone_records(void *arg, unsigned id, const char *origin, unsigned hops,
                        const ldns_rr *const *rrs, size_t cnt)
{
	CU_ASSERT_EQUAL(id, zone_id);
	queue_send(arg, false, origin, hops, rrs, cnt);
	return 0;
}

static int zone_ask(void *arg, unsigned id, const ldns_rr *const *qs, size_t cnt)
{
	(void)arg;
	(void)id;
	(void)qs;
	zone_questions += cnt;
	return 0;
}

static void free_zone(void)
{
	for (size_t i = 0; i < zone.nout; i++) {
		for (size_t j = 0; j < zone.out[i].n; j++)
			ldns_rr_free(zone.out[i].rrs[j]);
		free(zone.out[i].rrs);
	}
	free(zone.out);
	memset(&zone, 0, sizeof(zone));
}

/* A DNS-export-like remote: the whole allowed set when up, changes after, no questions. */
static const struct proxy_view_service *view_find(const struct proxy_view *v, bool local,
                                                  const char *name);

static void test_added_export_remote(void)
{
	const struct policy_peer *pb = policy_config_peer(M.cfg, 0);
	struct proxy_remote_cfg rc = {
	    .name = "zone",
	    .export_rules = policy_peer_export(pb),
	    .addrmap = policy_peer_addrmap(pb),
	};
	struct proxy_remote_ops ops = {.send_records = zone_records};
	long id = proxy_add_remote(M.px, &rc, &ops, &zone, now);
	CU_ASSERT_FATAL(id >= (long)PROXY_REMOTE_ID_BASE);
	zone_id = (unsigned)id;
	CU_ASSERT_EQUAL(proxy_add_remote(M.px, &rc, &ops, &zone, now), -EEXIST);
	rc.name = "brooklyn";
	CU_ASSERT_EQUAL(proxy_add_remote(M.px, &rc, &ops, &zone, now), -EEXIST);
	rc.name = "zone";

	/* down: nothing goes to it; the peer link is served as before */
	lan_response(&M, printer);
	CU_ASSERT_EQUAL(zone.nout, 0);
	CU_ASSERT_EQUAL(sent_records(&M, 0, NULL, 0, false), PRINTER_EXPORTED);

	/* up: the whole allowed set, mapped, link-local dropped, from this site */
	proxy_peer_up(M.px, zone_id, now);
	settle();
	CU_ASSERT_EQUAL(sent_records(&zone, 0, NULL, 0, false), PRINTER_EXPORTED);
	CU_ASSERT_EQUAL(sent_records(&zone, 0, "printer.local.", LDNS_RR_TYPE_AAAA, false), 0);
	CU_ASSERT_FATAL(zone.nout > 0);
	CU_ASSERT_STRING_EQUAL(zone.out[0].origin, "manhattan");
	const ldns_rr *a = NULL;
	for (size_t j = 0; j < zone.out[0].n; j++)
		if (ldns_rr_get_type(zone.out[0].rrs[j]) == LDNS_RR_TYPE_A)
			a = zone.out[0].rrs[j];
	CU_ASSERT_FATAL(a != NULL);
	char *txt = ldns_rdf2str(ldns_rr_rdf(a, 0));
	CU_ASSERT_STRING_EQUAL(txt, "10.101.1.12");
	free(txt);
	struct proxy_peer_stats ps;
	CU_ASSERT_EQUAL(proxy_get_peer_stats(M.px, zone_id, &ps), 0);
	CU_ASSERT_STRING_EQUAL(ps.name, "zone");
	CU_ASSERT(ps.up);
	CU_ASSERT_EQUAL(ps.records_out, PRINTER_EXPORTED);

	/* services: a decision for the domain beside the peer's */
	struct proxy_view *v = NULL;
	CU_ASSERT_FATAL(proxy_view_services(M.px, now, &v) == 0);
	CU_ASSERT_FATAL(v->n == 1 && v->v[0].ndec == 2);
	CU_ASSERT(v->v[0].dec[0].peer);
	CU_ASSERT_STRING_EQUAL(v->v[0].dec[1].remote, "zone");
	CU_ASSERT(!v->v[0].dec[1].peer && v->v[0].dec[1].up);
	CU_ASSERT_EQUAL(v->v[0].dec[1].remote_id, zone_id);
	CU_ASSERT_EQUAL(v->v[0].dec[1].ex.action, POLICY_ALLOW);
	proxy_view_free(v);

	/* repeated announcements are not sent again; goodbyes are */
	size_t z0 = zone.nout;
	advance(2000);
	lan_response(&M, printer);
	CU_ASSERT_EQUAL(sent_records(&zone, z0, NULL, 0, false), 0);
	lan_response(&M, printer_bye);
	CU_ASSERT_EQUAL(sent_records(&zone, z0, NULL, 0, true), PRINTER_EXPORTED);

	/* no questions go to it */
	lan_from(&M, IF_M, "192.168.1.61", 5353, true, false, 0, browse_qm);
	advance(2000);
	CU_ASSERT_EQUAL(zone_questions, 0);

	/* a new configuration keeps it; new settings through proxy_update_remote */
	struct policy_config *old = M.cfg;
	M.cfg = load_cfg("manhattan", cfg_manhattan_noipp);
	CU_ASSERT_EQUAL(proxy_reconfigure(M.px, M.cfg, now), 0);
	pb = policy_config_peer(M.cfg, 0);
	rc.export_rules = policy_peer_export(pb);
	rc.addrmap = policy_peer_addrmap(pb);
	CU_ASSERT_EQUAL(proxy_update_remote(M.px, zone_id, &rc, now), 0);
	policy_config_free(old);
	CU_ASSERT_EQUAL(proxy_get_peer_stats(M.px, zone_id, &ps), 0);
	CU_ASSERT(ps.up);
	CU_ASSERT_EQUAL(proxy_update_remote(M.px, 0, &rc, now), -ENOENT);

	CU_ASSERT_EQUAL(proxy_remove_remote(M.px, zone_id, now), 0);
	CU_ASSERT_EQUAL(proxy_get_peer_stats(M.px, zone_id, &ps), -ENOENT);
	CU_ASSERT_EQUAL(proxy_remove_remote(M.px, zone_id, now), -ENOENT);
	CU_ASSERT_EQUAL(proxy_remove_remote(M.px, 0, now), -ENOENT);
	free_zone();
}

#define Q_INST "Printer\\032A\\032\\040queens\\041._ipp._tcp.local."

/* A DNS-import-like remote: records fed in with their origin, grace when down. */
static void test_added_import_remote(void)
{
	const struct policy_peer *pm = policy_config_peer(B.cfg, 0);
	struct proxy_remote_cfg rc = {
	    .name = "queens",
	    .import_rules = policy_peer_import(pm),
	    .grace_s = 5,
	};
	struct proxy_remote_ops ops = {.send_records = zone_records, .send_questions = zone_ask};
	long id = proxy_add_remote(B.px, &rc, &ops, &zone, now);
	CU_ASSERT_FATAL(id >= (long)PROXY_REMOTE_ID_BASE);
	zone_id = (unsigned)id;
	proxy_peer_up(B.px, zone_id, now);

	/* nothing of brooklyn's LAN is exported to it: it has no export rules */
	lan_response(&B, printer);
	CU_ASSERT_EQUAL(zone.nout, 0);

	ldns_rr *rrs[PRINTER_EXPORTED];
	size_t n = 0;
	for (size_t i = 0; printer[i]; i++)
		if (!strstr(printer[i], "fe80"))
			rrs[n++] = mkrr(printer[i] + 2);
	CU_ASSERT_FATAL(n == PRINTER_EXPORTED);

	/* a remote speaking for another site is refused */
	uint64_t origin0 = drops(&B, PROXY_DROP_ORIGIN);
	proxy_peer_records(B.px, zone_id, "bronx", 0, rrs, n, now);
	CU_ASSERT_EQUAL(drops(&B, PROXY_DROP_ORIGIN), origin0 + n);

	size_t lan0 = B.nlan;
	proxy_peer_records(B.px, zone_id, "queens", 0, rrs, n, now);
	settle();
	CU_ASSERT_EQUAL(mcast_with(&B, lan0, AF_INET, Q_INST, LDNS_RR_TYPE_SRV, NULL), 1);
	struct proxy_peer_stats ps;
	CU_ASSERT_EQUAL(proxy_get_peer_stats(B.px, zone_id, &ps), 0);
	CU_ASSERT_EQUAL(ps.cached, PRINTER_EXPORTED);

	/* services: the domain's service beside the LAN's, and no export decision
	 * for a remote without export rules */
	struct proxy_view *v = NULL;
	CU_ASSERT_FATAL(proxy_view_services(B.px, now, &v) == 0);
	const struct proxy_view_service *ls = view_find(v, true, "Printer A");
	const struct proxy_view_service *rs = view_find(v, false, "Printer A (queens)");
	CU_ASSERT_FATAL(ls != NULL && rs != NULL);
	CU_ASSERT_EQUAL(ls->ndec, 1);
	CU_ASSERT_STRING_EQUAL(rs->origin, "queens");
	CU_ASSERT_STRING_EQUAL(rs->origin_name, "Printer A");
	CU_ASSERT_FATAL(rs->ndec == 1);
	CU_ASSERT(!rs->dec[0].peer && rs->dec[0].import);
	CU_ASSERT_EQUAL(rs->dec[0].ex.action, POLICY_ALLOW);
	proxy_view_free(v);

	/* down: kept for its own grace period, then goodbyes */
	proxy_peer_down(B.px, zone_id, now);
	uint64_t down = now;
	advance_to(down + 4999);
	lan0 = B.nlan;
	advance_to(down + 5000);
	size_t k = 0;
	for (size_t i = lan0; i < B.nlan; i++) {
		struct dnssd_msg *m = decode(&B.lan[i]);
		const ldns_rr *srv = find_rr(m, DNSSD_SEC_ANSWER, Q_INST, LDNS_RR_TYPE_SRV);
		if (srv && B.lan[i].af == AF_INET) {
			k++;
			CU_ASSERT_EQUAL(ldns_rr_ttl(srv), 0);
		}
		dnssd_msg_free(m);
	}
	CU_ASSERT_EQUAL(k, 1);
	CU_ASSERT_EQUAL(proxy_get_peer_stats(B.px, zone_id, &ps), 0);
	CU_ASSERT_EQUAL(ps.cached, 0);
	for (size_t i = 0; i < n; i++)
		ldns_rr_free(rrs[i]);
	free_zone();
}

/* ------------------------------------------------------------ services and explain */

/* The one service of v named name (local or not), or NULL. */
static const struct proxy_view_service *view_find(const struct proxy_view *v, bool local,
                                                  const char *name)
{
	for (size_t i = 0; v && i < v->n; i++)
		if (v->v[i].local == local && strcmp(v->v[i].name, name) == 0)
			return &v->v[i];
	return NULL;
}

static bool has_addr(const struct proxy_view_service *s, const char *text)
{
	char a[INET6_ADDRSTRLEN];
	for (size_t i = 0; i < s->naddrs; i++)
		if (inet_ntop(s->addrs[i].af, s->addrs[i].a, a, sizeof(a)) &&
		    strcmp(a, text) == 0)
			return true;
	return false;
}

static const char *const apple_tv[] = {
    "A:_airplay._tcp.local. 4500 IN PTR Living\\032Room._airplay._tcp.local.",
    "A:!Living\\032Room._airplay._tcp.local. 120 IN SRV 0 0 7000 appletv.local.",
    "A:!Living\\032Room._airplay._tcp.local. 4500 IN TXT \"model=AppleTV\"",
    "A:!appletv.local. 120 IN A 192.168.1.20",
    NULL,
};

/* Lines of cfg_manhattan and cfg_brooklyn (the file name is the site's). */
#define LINE_ALLOW_IPP 14
#define LINE_DENY_AIRPLAY 15

static void test_view_services(void)
{
	lan_response(&M, printer);
	lan_response(&M, apple_tv);
	advance(3000);
	struct proxy_view *v = NULL;
	CU_ASSERT_FATAL(proxy_view_services(M.px, now, &v) == 0);
	CU_ASSERT_EQUAL(v->n, 2);
	/* sorted by type: _airplay before _ipp */
	CU_ASSERT_STRING_EQUAL(v->v[0].name, "Living Room");
	const struct proxy_view_service *s = view_find(v, true, "Printer A");
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT(s->known);
	CU_ASSERT_STRING_EQUAL(s->type, "_ipp._tcp");
	CU_ASSERT_STRING_EQUAL(s->domain, "local");
	CU_ASSERT_STRING_EQUAL(s->host, "printer.local");
	CU_ASSERT_EQUAL(s->port, 631);
	CU_ASSERT(has_addr(s, "192.168.1.12"));
	CU_ASSERT_EQUAL(s->ttl_left, 117);
	CU_ASSERT_FATAL(s->ndec == 1);
	CU_ASSERT_STRING_EQUAL(s->dec[0].remote, "brooklyn");
	CU_ASSERT(s->dec[0].peer && s->dec[0].up && !s->dec[0].import);
	CU_ASSERT_EQUAL(s->dec[0].ex.action, POLICY_ALLOW);
	CU_ASSERT_EQUAL(s->dec[0].ex.rule, 0);
	CU_ASSERT_EQUAL(s->dec[0].ex.line, LINE_ALLOW_IPP);
	CU_ASSERT_STRING_EQUAL(s->dec[0].ex.file, "manhattan");
	CU_ASSERT_STRING_EQUAL(policy_ruleset_name(s->dec[0].rules), "offices");
	s = view_find(v, true, "Living Room");
	CU_ASSERT_FATAL(s != NULL && s->ndec == 1);
	CU_ASSERT_EQUAL(s->dec[0].ex.action, POLICY_DENY);
	CU_ASSERT_EQUAL(s->dec[0].ex.rule, 1);
	CU_ASSERT_EQUAL(s->dec[0].ex.line, LINE_DENY_AIRPLAY);
	proxy_view_free(v);

	/* Brooklyn holds the printer renamed, at its mapped address, from manhattan */
	CU_ASSERT_FATAL(proxy_view_services(B.px, now, &v) == 0);
	CU_ASSERT_EQUAL(v->n, 1);
	s = view_find(v, false, "Printer A (manhattan)");
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_STRING_EQUAL(s->origin, "manhattan");
	CU_ASSERT_STRING_EQUAL(s->origin_name, "Printer A");
	CU_ASSERT_STRING_EQUAL(s->origin_host, "printer.local");
	CU_ASSERT_STRING_EQUAL(s->host, "printer-manhattan.local");
	CU_ASSERT_EQUAL(s->naddrs, 1);
	CU_ASSERT(has_addr(s, "10.101.1.12"));
	CU_ASSERT_EQUAL(s->seen_ms, T0);
	CU_ASSERT_FATAL(s->ndec == 1);
	CU_ASSERT(s->dec[0].import);
	CU_ASSERT_EQUAL(s->dec[0].ex.action, POLICY_ALLOW);
	CU_ASSERT_EQUAL(s->dec[0].ex.line, LINE_ALLOW_IPP);
	CU_ASSERT_STRING_EQUAL(s->dec[0].ex.file, "brooklyn");
	proxy_view_free(v);

	/* the view is read-only: nothing was sent for it */
	size_t nlan = B.nlan, nout = M.nout;
	CU_ASSERT_FATAL(proxy_view_services(M.px, now, &v) == 0);
	proxy_view_free(v);
	CU_ASSERT_EQUAL(B.nlan, nlan);
	CU_ASSERT_EQUAL(M.nout, nout);

	/* after the goodbyes, nothing is listed */
	lan_response(&M, printer_bye);
	advance(3000);
	CU_ASSERT_FATAL(proxy_view_services(B.px, now, &v) == 0);
	CU_ASSERT_EQUAL(v->n, 0);
	proxy_view_free(v);
}

static ldns_rdf *typed(const char *text)
{
	ldns_rdf *d = NULL;
	CU_ASSERT_FATAL(proxy_view_parse_name(text, &d) == 0 && d != NULL);
	return d;
}

static void test_view_explain(void)
{
	lan_response(&M, printer);
	lan_response(&M, apple_tv);
	advance(3000);
	struct proxy_view *v = NULL;

	/* the renamed form, resolved back to its origin */
	ldns_rdf *d = typed("Printer A (manhattan)._ipp._tcp.local");
	CU_ASSERT_FATAL(proxy_view_explain(B.px, d, now, &v) == 0);
	ldns_rdf_deep_free(d);
	CU_ASSERT_FATAL(v->n == 1);
	CU_ASSERT(v->v[0].known && !v->v[0].local);
	CU_ASSERT_STRING_EQUAL(v->v[0].origin_name, "Printer A");
	CU_ASSERT_EQUAL(v->v[0].dec[0].ex.line, LINE_ALLOW_IPP);
	proxy_view_free(v);

	/* the denied one at its own site, any case */
	d = typed("living room._airplay._tcp.local.");
	CU_ASSERT_FATAL(proxy_view_explain(M.px, d, now, &v) == 0);
	ldns_rdf_deep_free(d);
	CU_ASSERT_FATAL(v->n == 1 && v->v[0].local && v->v[0].known);
	CU_ASSERT_EQUAL(v->v[0].dec[0].ex.action, POLICY_DENY);
	CU_ASSERT_EQUAL(v->v[0].dec[0].ex.line, LINE_DENY_AIRPLAY);
	proxy_view_free(v);

	/* a renamed name nobody holds: what manhattan's import rules would say */
	d = typed("Fax (manhattan)._ipp._tcp.local.");
	CU_ASSERT_FATAL(proxy_view_explain(B.px, d, now, &v) == 0);
	ldns_rdf_deep_free(d);
	CU_ASSERT_FATAL(v->n == 1);
	CU_ASSERT(!v->v[0].known && !v->v[0].local);
	CU_ASSERT_STRING_EQUAL(v->v[0].origin, "manhattan");
	CU_ASSERT_STRING_EQUAL(v->v[0].origin_name, "Fax");
	CU_ASSERT_EQUAL(v->v[0].dec[0].ex.action, POLICY_ALLOW);
	CU_ASSERT(v->v[0].dec[0].import);
	proxy_view_free(v);

	/* a local name nobody holds: the export rules, as a service of the LAN */
	d = typed("Lobby._airplay._tcp");
	CU_ASSERT_FATAL(proxy_view_explain(M.px, d, now, &v) == 0);
	ldns_rdf_deep_free(d);
	CU_ASSERT_FATAL(v->n == 1);
	CU_ASSERT(!v->v[0].known && v->v[0].local);
	CU_ASSERT_EQUAL(v->v[0].dec[0].ex.action, POLICY_DENY);
	CU_ASSERT_EQUAL(v->v[0].dec[0].ex.line, LINE_DENY_AIRPLAY);
	proxy_view_free(v);

	/* a service type is not an instance */
	d = ldns_dname_new_frm_str("_ipp._tcp.local.");
	v = NULL;
	CU_ASSERT_EQUAL(proxy_view_explain(M.px, d, now, &v), -EINVAL);
	CU_ASSERT(v == NULL);
	ldns_rdf_deep_free(d);
}

static void test_view_parse_name(void)
{
	ldns_rdf *d = NULL, *want;
	CU_ASSERT_FATAL(proxy_view_parse_name("Printer A._ipp._tcp.local", &d) == 0);
	want = ldns_dname_new_frm_str("Printer\\032A._ipp._tcp.local.");
	CU_ASSERT(ldns_dname_compare(d, want) == 0);
	ldns_rdf_deep_free(d);
	ldns_rdf_deep_free(want);
	/* dots in the instance label, another domain, no domain at all */
	CU_ASSERT_FATAL(proxy_view_parse_name("Room 1.2._http._tcp.example.com.", &d) ==
	                0);
	want = ldns_dname_new_frm_str("Room\\0321\\.2._http._tcp.example.com.");
	CU_ASSERT(ldns_dname_compare(d, want) == 0);
	ldns_rdf_deep_free(d);
	ldns_rdf_deep_free(want);
	CU_ASSERT_FATAL(proxy_view_parse_name("Café._ipp._udp", &d) == 0);
	want = ldns_dname_new_frm_str("Caf\\195\\169._ipp._udp.local.");
	CU_ASSERT(ldns_dname_compare(d, want) == 0);
	ldns_rdf_deep_free(d);
	ldns_rdf_deep_free(want);
	static const char *const bad[] = {
	    "",
	    ".",
	    "printer.local",
	    "_ipp._tcp.local",
	    "._ipp._tcp.local",
	    "A._ipp.local",
	    "A.ipp._tcp.local",
	    "0123456789012345678901234567890123456789012345678901234567890123._ipp._tcp",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = NULL;
		CU_ASSERT_EQUAL(proxy_view_parse_name(bad[i], &d), -EINVAL);
		CU_ASSERT(d == NULL);
	}
}

static CU_TestInfo engine_tests[] = {
    {"announcement crosses, renamed and mapped", test_announcement_crosses},
    {"denied service not exported", test_denied_not_exported},
    {"link-local-only host held back", test_linklocal_host_held},
    {"goodbye propagates", test_goodbye_propagates},
    {"repeated announcements deduplicated", test_dedup},
    {"queries answered from the cache", test_query_answered_from_cache},
    {"question forwarded when missing", test_question_forwarded},
    {"forwarded questions rate-limited", test_question_rate_limited},
    {"records in use asked again near expiry", test_near_expiry_reasked},
    {"own LAN queries list the records announced for peers", test_own_query_lists_remote},
    {"loop guard", test_loop_guard},
    {"no reflection between interfaces", test_no_reflection_between_interfaces},
    {"peer down, grace, goodbyes, resync", test_peer_down_grace},
    {"shutdown goodbyes", test_shutdown_goodbyes},
    {"200 records split by MTU", test_mtu_split},
    {"reconfigure withdraws", test_reconfigure_withdraws},
    {"bad input counted", test_bad_input_counted},
    {"sender rules hold on resync", test_sender_rule_resync},
    {"LAN flood limited per source", test_lan_flood_limited},
    {"remote cache limit", test_remote_limit},
    {"reconfigure import and names", test_reconfigure_import},
    {"truncated query waits for known answers", test_truncated_query_waits},
    {"cut instance names asked by their original", test_cut_name_asked_by_original},
    {"mangled datagrams survived", test_garbage_survived},
    {"link flap: resync and stale records", test_flap_resync},
    {"external publisher (avahi.publish)", test_external_publisher},
    {"services found by a browser (avahi.browse)", test_local_service_found},
    {"added remote: export like a DNS domain", test_added_export_remote},
    {"added remote: import like a DNS domain", test_added_import_remote},
    {"view: services with the rule that decided", test_view_services},
    {"view: explain local, renamed and unknown names", test_view_explain},
    {"view: instance names as people type them", test_view_parse_name},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"proxy", suite_init, suite_clean, setup, teardown, engine_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
