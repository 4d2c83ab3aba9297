/*
 * test_peer.c: peer links between two managers in one process, over 127.0.0.1
 * with real TLS 1.3 and keys made at start, driven by one libevent loop. The
 * keys themselves are test_tls.c, the frame codec test_frame.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "policy/config.h"
#include "reflector/frame.h"
#include "reflector/log.h"
#include "reflector/peer.h"
#include "reflector/tls.h"
#include "tests/unit/unit.h"

/* The whole program stops here, whatever hangs. */
#define BUDGET_S 19

static struct event_base *base;
static struct event *tick, *budget;
static char tmpdir[64];
static char key_m[128], key_b[128], key_q[128];
static char fp_m[TLS_FINGERPRINT_SIZE], fp_b[TLS_FINGERPRINT_SIZE],
    fp_q[TLS_FINGERPRINT_SIZE];

/* ------------------------------------------------------------------ the loop */

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static void budget_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	fprintf(stderr, "test_peer: over its %d s budget, giving up\n", BUDGET_S);
	exit(1);
}

static long ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run the loop until pred holds or ms pass; whether it held. */
static bool wait_until(bool (*pred)(void *), void *arg, long ms)
{
	long end = ms_now() + ms;
	while (!pred(arg)) {
		if (ms_now() > end)
			return false;
		event_base_loop(base, EVLOOP_ONCE);
	}
	return true;
}

static bool never(void *arg)
{
	(void)arg;
	return false;
}

static void run_for(long ms)
{
	wait_until(never, NULL, ms);
}

/* ------------------------------------------------------------------ a site under test */

struct site {
	const char *name;
	SSL_CTX *ctx;
	struct peer_mgr *mgr;
	struct policy_config *cfg;
	int ups, downs;
	char down_reason[512];
	char origin[FRAME_SITE_MAX + 1];
	unsigned hops;
	ldns_rr *got[8];
	size_t ngot, nrecords, nwithdrawn, nquestions;
	uint16_t qclass;
};

static void on_up(void *arg, unsigned id, const char *name)
{
	struct site *s = arg;
	(void)id;
	(void)name;
	s->ups++;
}

static void on_down(void *arg, unsigned id, const char *name, const char *reason)
{
	struct site *s = arg;
	(void)id;
	(void)name;
	s->downs++;
	snprintf(s->down_reason, sizeof(s->down_reason), "%s", reason);
}

static void on_records(void *arg, unsigned id, const char *origin, unsigned hops,
                       ldns_rr **rrs, size_t n)
{
	struct site *s = arg;
	(void)id;
	snprintf(s->origin, sizeof(s->origin), "%s", origin);
	s->hops = hops;
	s->nrecords += n;
	/* Keep the first few: taken out of the array, ours to free. */
	for (size_t i = 0; i < n && s->ngot < 8; i++) {
		s->got[s->ngot++] = rrs[i];
		rrs[i] = NULL;
	}
}

static void on_withdraw(void *arg, unsigned id, const char *origin, ldns_rr **rrs,
                        size_t n)
{
	struct site *s = arg;
	(void)id;
	(void)rrs;
	snprintf(s->origin, sizeof(s->origin), "%s", origin);
	s->nwithdrawn += n;
}

static void on_questions(void *arg, unsigned id, ldns_rr **qs, size_t n)
{
	struct site *s = arg;
	(void)id;
	s->nquestions += n;
	if (n)
		s->qclass = ldns_rr_get_class(qs[0]);
}

static const struct peer_callbacks callbacks = {on_up, on_down, on_records, on_withdraw,
                                                on_questions};

/* fps: the fingerprint value as YAML (a quoted string or a list). */
static struct policy_config *config_fps(const char *site, const char *key,
                                        const char *peer, uint16_t connect_port,
                                        const char *fps)
{
	char yaml[1024], connect[64] = "";
	if (connect_port)
		snprintf(connect, sizeof(connect), "    connect: \"127.0.0.1:%u\"\n",
		         connect_port);
	snprintf(yaml, sizeof(yaml),
	         "site: %s\n"
	         "interfaces: [lo]\n"
	         "key: %s\n"
	         "peers:\n"
	         "  - name: %s\n"
	         "%s"
	         "    fingerprint: %s\n",
	         site, key, peer, connect, fps);
	struct policy_config *cfg = NULL;
	struct policy_errors *errs = NULL;
	int rc = policy_config_load_buffer("test.yaml", yaml, strlen(yaml), &cfg, &errs);
	for (size_t i = 0; errs && i < policy_errors_count(errs); i++)
		fprintf(stderr, "%s\n", policy_errors_get(errs, i));
	policy_errors_free(errs);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	return cfg;
}

static struct policy_config *config(const char *site, const char *key, const char *peer,
                                    uint16_t connect_port, const char *fp)
{
	char q[128];
	snprintf(q, sizeof(q), "\"%s\"", fp);
	return config_fps(site, key, peer, connect_port, q);
}

static struct policy_config *config2(const char *site, const char *key, const char *peer,
                                     uint16_t connect_port, const char *fp1,
                                     const char *fp2)
{
	char l[256];
	snprintf(l, sizeof(l), "[\"%s\", \"%s\"]", fp1, fp2);
	return config_fps(site, key, peer, connect_port, l);
}

static const struct peer_tuning *fast(void)
{
	static struct peer_tuning t = {
	    .handshake_ms = 2000,
	    .keepalive_ms = 200,
	    .dead_ms = 1500,
	    .backoff_min_ms = 50,
	    .backoff_max_ms = 400,
	    .max_output = 4u << 20,
	    .max_pending = 64,
	};
	return &t;
}

static void site_start(struct site *s, const char *name, const char *key, bool listen)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	CU_ASSERT_EQUAL_FATAL(tls_ctx_new(key, &s->ctx), 0);
	s->mgr = peer_mgr_new(base, s->ctx, name, &callbacks, s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s->mgr);
	peer_mgr_set_tuning(s->mgr, fast());
	if (listen)
		CU_ASSERT_EQUAL_FATAL(peer_mgr_listen(s->mgr, "127.0.0.1", 0), 0);
}

static void site_config(struct site *s, struct policy_config *cfg)
{
	CU_ASSERT_EQUAL(peer_mgr_set_peers(s->mgr, cfg), 0);
	policy_config_free(s->cfg);
	s->cfg = cfg;
}

static void site_stop(struct site *s)
{
	peer_mgr_free(s->mgr);
	s->mgr = NULL;
	policy_config_free(s->cfg);
	s->cfg = NULL;
	SSL_CTX_free(s->ctx);
	s->ctx = NULL;
	for (size_t i = 0; i < s->ngot; i++)
		ldns_rr_free(s->got[i]);
	s->ngot = 0;
}

static struct peer_stats stats(struct site *s, const char *peer)
{
	struct peer_stats st;
	memset(&st, 0, sizeof(st));
	CU_ASSERT_EQUAL(peer_get_stats(s->mgr, peer_mgr_find(s->mgr, peer), &st), 0);
	return st;
}

static struct peer_mgr_stats mgr_stats(struct site *s)
{
	struct peer_mgr_stats st;
	peer_mgr_get_stats(s->mgr, &st);
	return st;
}

struct up_pred {
	struct site *a, *b;
	const char *pa, *pb;
};

static bool both_up(void *arg)
{
	struct up_pred *u = arg;
	return peer_is_up(u->a->mgr, peer_mgr_find(u->a->mgr, u->pa)) &&
	       peer_is_up(u->b->mgr, peer_mgr_find(u->b->mgr, u->pb));
}

static bool has_down(void *arg)
{
	return ((struct site *)arg)->downs > 0;
}

/* Manhattan listens; Brooklyn dials it. */
static void pair_up(struct site *m, struct site *b)
{
	site_start(m, "manhattan", key_m, true);
	site_start(b, "brooklyn", key_b, false);
	site_config(m, config("manhattan", key_m, "brooklyn", 0, fp_b));
	site_config(b, config("brooklyn", key_b, "manhattan",
	                      peer_mgr_listen_port(m->mgr), fp_m));
	struct up_pred u = {m, b, "brooklyn", "manhattan"};
	CU_ASSERT_FATAL(wait_until(both_up, &u, 3000));
}

static ldns_rr *rr(const char *text, uint16_t klass)
{
	ldns_rr *r = NULL;
	CU_ASSERT_FATAL(ldns_rr_new_frm_str(&r, text, 0, NULL, NULL) == LDNS_STATUS_OK);
	if (klass)
		ldns_rr_set_class(r, klass);
	return r;
}

/* ------------------------------------------------------------ a hand-driven client */

/* A TLS client that speaks frames by hand, to be what a proper peer never is. */
struct raw {
	SSL_CTX *ctx;
	struct bufferevent *bev;
	bool connected, closed, got_hello;
	char bye[FRAME_REASON_MAX + 1];
	int frames;
};

static void raw_read_cb(struct bufferevent *bev, void *arg)
{
	struct raw *r = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	for (;;) {
		size_t n = evbuffer_get_length(in), used = 0;
		if (n == 0)
			return;
		const uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)n);
		struct frame f;
		int rc = frame_decode(p, n, &used, &f);
		if (rc <= 0)
			return;
		r->frames++;
		if (f.type == FRAME_HELLO)
			r->got_hello = true;
		if (f.type == FRAME_BYE)
			snprintf(r->bye, sizeof(r->bye), "%s", f.reason);
		frame_clear(&f);
		evbuffer_drain(in, used);
	}
}

static void raw_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct raw *r = arg;
	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		r->connected = true;
	else
		r->closed = true;
}

/* key NULL: a client with no certificate at all. */
static void raw_connect(struct raw *r, const char *key, uint16_t port)
{
	memset(r, 0, sizeof(*r));
	if (key) {
		CU_ASSERT_EQUAL_FATAL(tls_ctx_new(key, &r->ctx), 0);
	} else {
		r->ctx = SSL_CTX_new(TLS_client_method());
		SSL_CTX_set_min_proto_version(r->ctx, TLS1_3_VERSION);
		SSL_CTX_set_verify(r->ctx, SSL_VERIFY_NONE, NULL);
	}
	r->bev = bufferevent_openssl_socket_new(
	    base, -1, SSL_new(r->ctx), BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->bev);
	bufferevent_openssl_set_allow_dirty_shutdown(r->bev, 1);
	bufferevent_setcb(r->bev, raw_read_cb, NULL, raw_event_cb, r);
	bufferevent_enable(r->bev, EV_READ | EV_WRITE);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_EQUAL_FATAL(
	    bufferevent_socket_connect(r->bev, (struct sockaddr *)&sin, sizeof(sin)), 0);
}

static void raw_send(struct raw *r, const void *buf, size_t len)
{
	bufferevent_write(r->bev, buf, len);
}

static void raw_hello(struct raw *r, const char *site)
{
	uint8_t buf[64];
	int len = frame_encode_hello(buf, sizeof(buf), FRAME_VERSION, 0, site);
	raw_send(r, buf, (size_t)len);
}

static void raw_free(struct raw *r)
{
	if (r->bev)
		bufferevent_free(r->bev);
	SSL_CTX_free(r->ctx);
	memset(r, 0, sizeof(*r));
}

static bool raw_connected(void *arg)
{
	struct raw *r = arg;
	return r->connected || r->closed;
}

static bool raw_closed(void *arg)
{
	return ((struct raw *)arg)->closed;
}

static bool raw_hello_in(void *arg)
{
	struct raw *r = arg;
	return r->got_hello || r->closed;
}

/* ------------------------------------------------------------------ tests */

static void test_link_up(void)
{
	struct site m, b;
	pair_up(&m, &b);
	CU_ASSERT_EQUAL(m.ups, 1);
	CU_ASSERT_EQUAL(b.ups, 1);
	struct peer_stats sm = stats(&m, "brooklyn"), sb = stats(&b, "manhattan");
	CU_ASSERT_EQUAL(sm.state, PEER_UP);
	CU_ASSERT_EQUAL(sb.state, PEER_UP);
	CU_ASSERT_STRING_EQUAL(peer_state_name(sm.state), "up");
	CU_ASSERT(sm.incoming);
	CU_ASSERT(!sb.incoming);
	CU_ASSERT_STRING_EQUAL(sm.name, "brooklyn");
	CU_ASSERT(sm.id != 0);
	CU_ASSERT(strncmp(sb.address, "127.0.0.1:", 10) == 0);
	CU_ASSERT(sm.since > 0 && sm.since <= time(NULL));
	/* HELLO crossed both ways */
	CU_ASSERT(sm.frames_in >= 1 && sm.frames_out >= 1);
	CU_ASSERT_EQUAL(mgr_stats(&m).pending, 0);
	CU_ASSERT_EQUAL(mgr_stats(&m).refused, 0);

	/* Keepalives hold a quiet link up well past the dead-peer timeout. */
	run_for(1800);
	CU_ASSERT_EQUAL(m.downs, 0);
	CU_ASSERT_EQUAL(b.downs, 0);
	CU_ASSERT(stats(&m, "brooklyn").frames_in >= 5);

	/* A clean stop says why. */
	peer_mgr_free(b.mgr);
	b.mgr = NULL;
	CU_ASSERT(wait_until(has_down, &m, 2000));
	CU_ASSERT(strstr(m.down_reason, "shutting down") != NULL);
	site_stop(&b);
	site_stop(&m);
}

struct count_pred {
	size_t *have;
	size_t want;
};

static bool count_reached(void *arg)
{
	struct count_pred *c = arg;
	return *c->have >= c->want;
}

static void test_records_cross(void)
{
	struct site m, b;
	pair_up(&m, &b);
	unsigned to_m = peer_mgr_find(b.mgr, "manhattan");
	unsigned to_b = peer_mgr_find(m.mgr, "brooklyn");

	ldns_rr *in[] = {
	    rr("_ipp._tcp.local. 4500 IN PTR Printer\\032B._ipp._tcp.local.", 0),
	    rr("Printer\\032B._ipp._tcp.local. 120 IN SRV 0 0 631 printer.local.",
	       0x8001),
	    rr("Printer\\032B._ipp._tcp.local. 4500 IN TXT \"rp=ipp/print\"", 0x8001),
	    rr("printer.local. 120 IN A 192.168.2.20", 0x8001),
	    rr("gone.local. 0 IN A 192.168.2.21", 0x8001),
	};
	CU_ASSERT_EQUAL(
	    peer_send_records(b.mgr, to_m, "brooklyn", 1, (const ldns_rr *const *)in, 5),
	    0);
	struct count_pred c = {&m.nrecords, 5};
	CU_ASSERT_FATAL(wait_until(count_reached, &c, 2000));
	CU_ASSERT_STRING_EQUAL(m.origin, "brooklyn");
	CU_ASSERT_EQUAL(m.hops, 1);
	CU_ASSERT_EQUAL_FATAL(m.ngot, 5);
	for (size_t i = 0; i < 5; i++) {
		CU_ASSERT(ldns_rr_compare(m.got[i], in[i]) == 0);
		CU_ASSERT_EQUAL(ldns_rr_get_class(m.got[i]), ldns_rr_get_class(in[i]));
		CU_ASSERT_EQUAL(ldns_rr_ttl(m.got[i]), ldns_rr_ttl(in[i]));
	}

	/* Withdrawals */
	CU_ASSERT_EQUAL(peer_send_withdraw(b.mgr, to_m, "brooklyn",
	                                   (const ldns_rr *const *)in + 3, 1),
	                0);
	c = (struct count_pred){&m.nwithdrawn, 1};
	CU_ASSERT(wait_until(count_reached, &c, 2000));

	/* Questions the other way, QU bit intact */
	ldns_rr *q = ldns_rr_new();
	ldns_rdf *owner = NULL;
	ldns_str2rdf_dname(&owner, "_ipp._tcp.local.");
	ldns_rr_set_owner(q, owner);
	ldns_rr_set_type(q, LDNS_RR_TYPE_PTR);
	ldns_rr_set_class(q, 0x8001);
	ldns_rr_set_question(q, true);
	const ldns_rr *qv[] = {q};
	CU_ASSERT_EQUAL(peer_send_questions(m.mgr, to_b, qv, 1), 0);
	c = (struct count_pred){&b.nquestions, 1};
	CU_ASSERT(wait_until(count_reached, &c, 2000));
	CU_ASSERT_EQUAL(b.qclass, 0x8001);
	ldns_rr_free(q);

	/* A batch larger than a frame arrives whole, in several frames. */
	enum { N = 2000 };
	static ldns_rr *many[N];
	char text[200];
	for (size_t i = 0; i < N; i++) {
		snprintf(text, sizeof(text), "h%zu.local. 120 IN TXT \"%060zu\"", i, i);
		many[i] = rr(text, 0);
	}
	uint64_t frames_before = stats(&b, "manhattan").frames_out;
	CU_ASSERT_EQUAL(peer_send_records(b.mgr, to_m, "brooklyn", 0,
	                                  (const ldns_rr *const *)many, N),
	                0);
	c = (struct count_pred){&m.nrecords, 5 + N};
	CU_ASSERT(wait_until(count_reached, &c, 3000));
	CU_ASSERT_EQUAL(m.nrecords, 5 + N);
	CU_ASSERT(stats(&b, "manhattan").frames_out - frames_before >= 2);
	CU_ASSERT_EQUAL(stats(&b, "manhattan").records_out, 5 + N);
	CU_ASSERT_EQUAL(stats(&m, "brooklyn").records_in, 5 + N);
	CU_ASSERT_EQUAL(stats(&m, "brooklyn").withdrawn_in, 1);
	CU_ASSERT(stats(&m, "brooklyn").bytes_in > N * 80);
	/* Bytes match but for keepalives still on their way. */
	uint64_t bin = stats(&m, "brooklyn").bytes_in,
	         bout = stats(&b, "manhattan").bytes_out;
	CU_ASSERT(bin <= bout && bin + 64 >= bout);

	/* Argument errors */
	CU_ASSERT_EQUAL(
	    peer_send_records(b.mgr, 9999, "brooklyn", 0, (const ldns_rr *const *)in, 1),
	    -ENOENT);
	CU_ASSERT_EQUAL(
	    peer_send_records(b.mgr, to_m, "Brooklyn!", 0, (const ldns_rr *const *)in, 1),
	    -EINVAL);

	for (size_t i = 0; i < N; i++)
		ldns_rr_free(many[i]);
	for (size_t i = 0; i < 5; i++)
		ldns_rr_free(in[i]);
	site_stop(&b);
	site_stop(&m);
}

static bool refused_once(void *arg)
{
	struct site *s = arg;
	return mgr_stats(s).refused > 0;
}

struct err_pred {
	struct site *s;
	const char *peer, *needle;
};

/* The peer's last error mentions needle. */
static bool error_has(void *arg)
{
	struct err_pred *e = arg;
	struct peer_stats st;
	if (peer_get_stats(e->s->mgr, peer_mgr_find(e->s->mgr, e->peer), &st))
		return false;
	return strstr(st.last_error, e->needle) != NULL;
}

static void test_wrong_fingerprint_dialer(void)
{
	/* Brooklyn expects the Queens key at Manhattan's address: it must not go on. */
	struct site m, b;
	site_start(&m, "manhattan", key_m, true);
	site_start(&b, "brooklyn", key_b, false);
	site_config(&m, config("manhattan", key_m, "brooklyn", 0, fp_b));
	site_config(&b, config("brooklyn", key_b, "manhattan",
	                       peer_mgr_listen_port(m.mgr), fp_q));
	struct err_pred e = {&b, "manhattan", fp_m};
	CU_ASSERT(wait_until(error_has, &e, 2000));
	struct peer_stats st = stats(&b, "manhattan");
	CU_ASSERT(strstr(st.last_error, "presented fingerprint") != NULL);
	CU_ASSERT(strstr(mgr_stats(&b).last_refused, fp_m) != NULL);
	CU_ASSERT(st.state != PEER_UP);
	CU_ASSERT_EQUAL(b.ups, 0);
	CU_ASSERT_EQUAL(m.ups, 0);
	/* It keeps trying (backoff), and keeps refusing. */
	run_for(300);
	CU_ASSERT_EQUAL(b.ups + m.ups, 0);
	CU_ASSERT(mgr_stats(&b).refused >= 2);
	site_stop(&b);
	site_stop(&m);
}

static void test_wrong_fingerprint_listener(void)
{
	/* Manhattan has a wrong key on file for Brooklyn: refused at HELLO, key shown. */
	struct site m, b;
	site_start(&m, "manhattan", key_m, true);
	site_start(&b, "brooklyn", key_b, false);
	site_config(&m, config("manhattan", key_m, "brooklyn", 0, fp_q));
	site_config(&b, config("brooklyn", key_b, "manhattan",
	                       peer_mgr_listen_port(m.mgr), fp_m));
	struct err_pred e = {&m, "brooklyn", fp_b};
	CU_ASSERT(wait_until(error_has, &e, 2000));
	CU_ASSERT(mgr_stats(&m).refused >= 1);
	CU_ASSERT(strstr(mgr_stats(&m).last_refused, fp_b) != NULL);
	/* The dialer is told it was refused. */
	struct err_pred told = {&b, "manhattan", "refused"};
	CU_ASSERT(wait_until(error_has, &told, 2000));
	CU_ASSERT_EQUAL(b.ups + m.ups, 0);
	site_stop(&b);
	site_stop(&m);
}

static void test_fingerprint_list(void)
{
	/* Each side lists a key it never sees beside the right one: the link comes up
	 * whichever place the right one has. */
	struct site m, b;
	site_start(&m, "manhattan", key_m, true);
	site_start(&b, "brooklyn", key_b, false);
	site_config(&m, config2("manhattan", key_m, "brooklyn", 0, fp_q, fp_b));
	site_config(&b, config2("brooklyn", key_b, "manhattan",
	                        peer_mgr_listen_port(m.mgr), fp_m, fp_q));
	struct up_pred u = {&m, &b, "brooklyn", "manhattan"};
	CU_ASSERT_FATAL(wait_until(both_up, &u, 3000));
	unsigned ups = m.ups + b.ups;

	/* The unused key leaves the list (the rotation is done): the link stays. */
	site_config(&m, config("manhattan", key_m, "brooklyn", 0, fp_b));
	run_for(400);
	CU_ASSERT(both_up(&u));
	CU_ASSERT_EQUAL(m.downs + b.downs, 0);
	CU_ASSERT_EQUAL(m.ups + b.ups, ups);

	/* The key in use leaves it: the link goes, and the refusal names the key
	 * presented and the first one configured. */
	site_config(&m, config2("manhattan", key_m, "brooklyn", 0, fp_q, fp_m));
	CU_ASSERT(wait_until(has_down, &m, 2000));
	struct err_pred e = {&m, "brooklyn", fp_b};
	CU_ASSERT(wait_until(error_has, &e, 3000));
	const char *why = mgr_stats(&m).last_refused;
	CU_ASSERT(strstr(why, fp_b) != NULL);
	CU_ASSERT(strstr(why, fp_q) != NULL);
	CU_ASSERT(!peer_is_up(m.mgr, peer_mgr_find(m.mgr, "brooklyn")));
	site_stop(&b);
	site_stop(&m);
}

static void test_wrong_site(void)
{
	/* Manhattan has the Queens key on file for "brooklyn"; it says it is queens. */
	struct site m, q;
	site_start(&m, "manhattan", key_m, true);
	site_start(&q, "queens", key_q, false);
	site_config(&m, config("manhattan", key_m, "brooklyn", 0, fp_q));
	site_config(
	    &q, config("queens", key_q, "manhattan", peer_mgr_listen_port(m.mgr), fp_m));
	CU_ASSERT(wait_until(refused_once, &m, 2000));
	const char *why = mgr_stats(&m).last_refused;
	CU_ASSERT(strstr(why, fp_q) != NULL);
	CU_ASSERT(strstr(why, "queens") != NULL);
	CU_ASSERT_EQUAL(m.ups + q.ups, 0);
	site_stop(&q);

	/* A client with the Brooklyn key that names itself queens: no such peer. */
	struct raw r;
	raw_connect(&r, key_b, peer_mgr_listen_port(m.mgr));
	CU_ASSERT_FATAL(wait_until(raw_connected, &r, 2000));
	raw_hello(&r, "queens");
	CU_ASSERT(wait_until(raw_closed, &r, 2000));
	CU_ASSERT(!r.got_hello);
	CU_ASSERT(strstr(mgr_stats(&m).last_refused, fp_b) != NULL);
	raw_free(&r);

	/* Dialing out: the far end has the right key but calls itself queens. */
	struct site fake;
	site_start(&fake, "queens", key_q, true);
	site_config(&fake, config("queens", key_q, "manhattan", 0, fp_m));
	site_config(&m, config("manhattan", key_m, "brooklyn",
	                       peer_mgr_listen_port(fake.mgr), fp_q));
	struct err_pred e = {&m, "brooklyn", "names itself queens"};
	CU_ASSERT(wait_until(error_has, &e, 2000));
	CU_ASSERT(strstr(stats(&m, "brooklyn").last_error, fp_q) != NULL);
	CU_ASSERT_EQUAL(m.ups, 0);
	site_stop(&fake);
	site_stop(&m);
}

static void test_no_client_certificate(void)
{
	struct site m;
	site_start(&m, "manhattan", key_m, true);
	site_config(&m, config("manhattan", key_m, "brooklyn", 0, fp_b));
	struct raw r;
	raw_connect(&r, NULL, peer_mgr_listen_port(m.mgr));
	/* TLS 1.3 finishes the client's side first; the server's alert follows. */
	if (wait_until(raw_connected, &r, 2000) && r.connected)
		raw_hello(&r, "brooklyn");
	CU_ASSERT(wait_until(raw_closed, &r, 2000));
	CU_ASSERT(!r.got_hello);
	CU_ASSERT(wait_until(refused_once, &m, 1000));
	CU_ASSERT(strstr(mgr_stats(&m).last_refused, "certificate") != NULL);
	CU_ASSERT_EQUAL(m.ups, 0);
	CU_ASSERT_EQUAL(mgr_stats(&m).pending, 0);
	raw_free(&r);
	site_stop(&m);
}

/* An authenticated Brooklyn, by hand, against a real Manhattan. */
static void raw_peer_up(struct site *m, struct raw *r)
{
	raw_connect(r, key_b, peer_mgr_listen_port(m->mgr));
	CU_ASSERT_FATAL(wait_until(raw_connected, r, 2000) && r->connected);
	raw_hello(r, "brooklyn");
	CU_ASSERT_FATAL(wait_until(raw_hello_in, r, 2000) && r->got_hello);
	CU_ASSERT(peer_is_up(m->mgr, peer_mgr_find(m->mgr, "brooklyn")));
}

static void test_bad_frames_close(void)
{
	struct site m;
	site_start(&m, "manhattan", key_m, true);
	site_config(&m, config("manhattan", key_m, "brooklyn", 0, fp_b));
	struct raw r;

	struct {
		const char *hex, *reason;
	} cases[] = {
	    {"02 01 00 00", "larger than 65536"},    /* oversize */
	    {"09 00 00 00", "unknown frame type"},   /* unknown type */
	    {"02 00 00 05 01 62 00 00 05", "count"}, /* RECORDS whose count lies */
	    {"01 00 00 0e 01 00 00 00 00 08 62 72 6f 6f 6b 6c 79 6e", "HELLO again"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m.downs = 0;
		raw_peer_up(&m, &r);
		uint8_t buf[64];
		size_t n = unit_hex(cases[i].hex, buf, sizeof(buf));
		raw_send(&r, buf, n);
		CU_ASSERT(wait_until(has_down, &m, 2000));
		CU_ASSERT(strstr(m.down_reason, cases[i].reason) != NULL);
		if (!strstr(m.down_reason, cases[i].reason))
			fprintf(stderr, "case %zu: %s\n", i, m.down_reason);
		CU_ASSERT(wait_until(raw_closed, &r, 2000));
		/* The peer is told why. */
		CU_ASSERT(strstr(r.bye, "protocol error") != NULL);
		raw_free(&r);
	}
	site_stop(&m);
}

static bool ups_at_least_2(void *arg)
{
	return ((struct site *)arg)->ups >= 2;
}

static void test_reconnect(void)
{
	struct site m, b;
	pair_up(&m, &b);
	uint16_t port = peer_mgr_listen_port(m.mgr);
	site_stop(&m);
	CU_ASSERT(wait_until(has_down, &b, 2000));
	/* Nobody listens: attempts fail and back off. */
	run_for(500);
	struct peer_stats st = stats(&b, "manhattan");
	CU_ASSERT(st.state == PEER_BACKOFF || st.state == PEER_CONNECTING);
	CU_ASSERT(strstr(st.last_error, "refused") != NULL);

	site_start(&m, "manhattan", key_m, false);
	CU_ASSERT_EQUAL_FATAL(peer_mgr_listen(m.mgr, "127.0.0.1", port), 0);
	site_config(&m, config("manhattan", key_m, "brooklyn", 0, fp_b));
	CU_ASSERT(wait_until(ups_at_least_2, &b, 2000));
	CU_ASSERT_EQUAL(m.ups, 1);
	CU_ASSERT_EQUAL(stats(&b, "manhattan").ups, 2);
	site_stop(&b);
	site_stop(&m);
}

static void test_keepalive_timeout(void)
{
	struct site m, b;
	pair_up(&m, &b);
	/* Manhattan goes quiet: its keepalives stop. */
	struct peer_tuning t = *fast();
	t.keepalive_ms = 60000;
	t.dead_ms = 60000;
	peer_mgr_set_tuning(m.mgr, &t);
	/* The tuning applies to new links: make one. */
	site_config(&m, config("manhattan", key_m, "brooklyn", 0, fp_q));
	site_config(&m, config("manhattan", key_m, "brooklyn", 0, fp_b));
	CU_ASSERT(wait_until(ups_at_least_2, &b, 3000));
	b.downs = 0;
	long t0 = ms_now();
	CU_ASSERT(wait_until(has_down, &b, 4000));
	long took = ms_now() - t0;
	CU_ASSERT(strstr(b.down_reason, "silent") != NULL);
	CU_ASSERT(took >= 1000); /* dead_ms 1500, not earlier than about that */
	site_stop(&b);
	site_stop(&m);
}

static void test_simultaneous_dial(void)
{
	struct site m, b;
	site_start(&m, "manhattan", key_m, true);
	site_start(&b, "brooklyn", key_b, true);
	site_config(&m, config("manhattan", key_m, "brooklyn",
	                       peer_mgr_listen_port(b.mgr), fp_b));
	site_config(&b, config("brooklyn", key_b, "manhattan",
	                       peer_mgr_listen_port(m.mgr), fp_m));
	struct up_pred u = {&m, &b, "brooklyn", "manhattan"};
	CU_ASSERT(wait_until(both_up, &u, 3000));
	run_for(600);
	CU_ASSERT(both_up(&u));
	/* Both keep the link Brooklyn dialed ("brooklyn" sorts first). */
	CU_ASSERT(stats(&m, "brooklyn").incoming);
	CU_ASSERT(!stats(&b, "manhattan").incoming);
	int mu = m.ups, bu = b.ups;
	run_for(600);
	CU_ASSERT_EQUAL(m.ups, mu);
	CU_ASSERT_EQUAL(b.ups, bu);
	CU_ASSERT(m.ups - m.downs == 1);
	CU_ASSERT(b.ups - b.downs == 1);
	site_stop(&b);
	site_stop(&m);
}

static void test_newer_link_replaces(void)
{
	struct site m, b, b2;
	pair_up(&m, &b);
	/* Brooklyn restarted without Manhattan noticing: the new link wins. */
	site_start(&b2, "brooklyn", key_b, false);
	site_config(&b2, config("brooklyn", key_b, "manhattan",
	                        peer_mgr_listen_port(m.mgr), fp_m));
	CU_ASSERT(wait_until(has_down, &b, 2000));
	CU_ASSERT(strstr(b.down_reason, "replaced") != NULL);
	CU_ASSERT(wait_until(ups_at_least_2, &m, 2000));
	CU_ASSERT(peer_is_up(b2.mgr, peer_mgr_find(b2.mgr, "manhattan")));
	CU_ASSERT(peer_is_up(m.mgr, peer_mgr_find(m.mgr, "brooklyn")));
	site_stop(&b);
	site_stop(&b2);
	site_stop(&m);
}

static void test_reload(void)
{
	struct site m, b;
	pair_up(&m, &b);
	unsigned id = peer_mgr_find(m.mgr, "brooklyn");
	/* Same link settings in a new configuration object: the link stays. */
	site_config(&m, config("manhattan", key_m, "brooklyn", 0, fp_b));
	run_for(200);
	CU_ASSERT_EQUAL(m.downs, 0);
	CU_ASSERT_EQUAL(b.downs, 0);
	CU_ASSERT_EQUAL(peer_mgr_find(m.mgr, "brooklyn"), id);
	/* A changed fingerprint drops it, keeping the peer's id. */
	site_config(&m, config("manhattan", key_m, "brooklyn", 0, fp_q));
	CU_ASSERT_EQUAL(m.downs, 1);
	CU_ASSERT(strstr(m.down_reason, "changed") != NULL);
	CU_ASSERT_EQUAL(peer_mgr_find(m.mgr, "brooklyn"), id);
	/* Removing the peer. */
	site_config(&m, config("manhattan", key_m, "queens", 0, fp_q));
	CU_ASSERT_EQUAL(peer_mgr_find(m.mgr, "brooklyn"), 0);
	CU_ASSERT(peer_mgr_find(m.mgr, "queens") > id);
	site_stop(&b);
	site_stop(&m);
}

static bool pending_zero(void *arg)
{
	return mgr_stats(arg).pending == 0;
}

static bool accepted_5(void *arg)
{
	return mgr_stats(arg).accepted >= 5;
}

static void test_pending_bound(void)
{
	struct site m;
	site_start(&m, "manhattan", key_m, true);
	struct peer_tuning t = *fast();
	t.max_pending = 3;
	t.handshake_ms = 1000;
	peer_mgr_set_tuning(m.mgr, &t);
	site_config(&m, config("manhattan", key_m, "brooklyn", 0, fp_b));
	int fds[5];
	struct sockaddr_in sin = {.sin_family = AF_INET,
	                          .sin_port = htons(peer_mgr_listen_port(m.mgr))};
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < 5; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		CU_ASSERT(connect(fds[i], (struct sockaddr *)&sin, sizeof(sin)) == 0);
	}
	CU_ASSERT(wait_until(accepted_5, &m, 1000));
	struct peer_mgr_stats st = mgr_stats(&m);
	CU_ASSERT_EQUAL(st.accepted, 5);
	CU_ASSERT_EQUAL(st.pending, 3);
	CU_ASSERT_EQUAL(st.overflow, 2);
	/* Silent connections meet the handshake deadline. */
	CU_ASSERT(wait_until(pending_zero, &m, 2500));
	CU_ASSERT_EQUAL(mgr_stats(&m).refused, 3);
	CU_ASSERT(strstr(mgr_stats(&m).last_refused, "within") != NULL);
	for (int i = 0; i < 5; i++)
		close(fds[i]);
	site_stop(&m);
}

static bool accepted_6(void *arg)
{
	return mgr_stats(arg).accepted >= 6;
}

/* One address cannot take every pending slot: another host still gets in. */
static void test_pending_per_host(void)
{
	struct site m;
	site_start(&m, "manhattan", key_m, true);
	struct peer_tuning t = *fast();
	t.max_pending = 10;
	t.max_pending_per_host = 2;
	peer_mgr_set_tuning(m.mgr, &t);
	site_config(&m, config("manhattan", key_m, "brooklyn", 0, fp_b));
	int fds[6];
	struct sockaddr_in sin = {.sin_family = AF_INET,
	                          .sin_port = htons(peer_mgr_listen_port(m.mgr))};
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < 6; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (i == 5) {
			/* The sixth comes from another loopback address. */
			struct sockaddr_in src = {.sin_family = AF_INET};
			src.sin_addr.s_addr = htonl(0x7f000002);
			CU_ASSERT(bind(fds[i], (struct sockaddr *)&src, sizeof(src)) == 0);
		}
		CU_ASSERT(connect(fds[i], (struct sockaddr *)&sin, sizeof(sin)) == 0);
	}
	CU_ASSERT(wait_until(accepted_6, &m, 1000));
	struct peer_mgr_stats st = mgr_stats(&m);
	CU_ASSERT_EQUAL(st.pending, 3);
	CU_ASSERT_EQUAL(st.overflow, 3);
	for (int i = 0; i < 6; i++)
		close(fds[i]);
	site_stop(&m);
}

static void test_output_bound(void)
{
	struct site m;
	site_start(&m, "manhattan", key_m, true);
	struct peer_tuning t = *fast();
	t.max_output = 256 * 1024;
	peer_mgr_set_tuning(m.mgr, &t);
	site_config(&m, config("manhattan", key_m, "brooklyn", 0, fp_b));
	struct raw r;
	raw_peer_up(&m, &r);
	/* Brooklyn stops reading; Manhattan keeps sending. */
	bufferevent_disable(r.bev, EV_READ);
	enum { N = 1000 };
	static ldns_rr *many[N];
	char text[200];
	for (size_t i = 0; i < N; i++) {
		snprintf(text, sizeof(text), "h%zu.local. 120 IN TXT \"%080zu\"", i, i);
		many[i] = rr(text, 0);
	}
	unsigned id = peer_mgr_find(m.mgr, "brooklyn");
	int rc = 0;
	long end = ms_now() + 5000;
	while (ms_now() < end && m.downs == 0) {
		rc = peer_send_records(m.mgr, id, "manhattan", 0,
		                       (const ldns_rr *const *)many, N);
		if (rc == -ENOBUFS)
			break;
		run_for(5);
	}
	CU_ASSERT_EQUAL(rc, -ENOBUFS);
	/* Sending fails at once; the link goes from the loop, with on_down. */
	CU_ASSERT(peer_send_records(m.mgr, id, "manhattan", 0,
	                            (const ldns_rr *const *)many, 1) == -ENOBUFS ||
	          m.downs > 0);
	CU_ASSERT(wait_until(has_down, &m, 2000));
	CU_ASSERT(strstr(m.down_reason, "not reading") != NULL);
	CU_ASSERT_EQUAL(
	    peer_send_records(m.mgr, id, "manhattan", 0, (const ldns_rr *const *)many, 1),
	    -ENOTCONN);
	for (size_t i = 0; i < N; i++)
		ldns_rr_free(many[i]);
	raw_free(&r);
	site_stop(&m);
}

static void test_listen_errors(void)
{
	struct site m, x;
	site_start(&m, "manhattan", key_m, true);
	site_start(&x, "brooklyn", key_b, false);
	CU_ASSERT_EQUAL(peer_mgr_listen(x.mgr, "127.0.0.1", peer_mgr_listen_port(m.mgr)),
	                -EADDRINUSE);
	CU_ASSERT_EQUAL(peer_mgr_listen(x.mgr, "not-an-address", 5358), -EINVAL);
	CU_ASSERT_EQUAL(peer_mgr_listen_port(x.mgr), 0);
	site_stop(&x);
	site_stop(&m);
}

/* ------------------------------------------------------------------ setup */

static int suite_init(void)
{
	log_init(1, getenv("TEST_VERBOSE") ? 2 : 0, "test_peer");
	/* As in the daemon: writing to a closed connection is an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_peer.XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	snprintf(key_m, sizeof(key_m), "%s/manhattan.pem", tmpdir);
	snprintf(key_b, sizeof(key_b), "%s/brooklyn.pem", tmpdir);
	snprintf(key_q, sizeof(key_q), "%s/queens.pem", tmpdir);
	if (tls_keygen(key_m, fp_m, sizeof(fp_m)) ||
	    tls_keygen(key_b, fp_b, sizeof(fp_b)) ||
	    tls_keygen(key_q, fp_q, sizeof(fp_q)))
		return 1;
	base = event_base_new();
	if (!base)
		return 1;
	tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	budget = evtimer_new(base, budget_cb, NULL);
	struct timeval tv = {0, 10000}, bv = {BUDGET_S, 0};
	event_add(tick, &tv);
	evtimer_add(budget, &bv);
	return 0;
}

static int suite_clean(void)
{
	event_free(tick);
	event_free(budget);
	event_base_free(base);
	unlink(key_m);
	unlink(key_b);
	unlink(key_q);
	rmdir(tmpdir);
	return 0;
}

static CU_TestInfo tests[] = {
    {"any fingerprint of a list is accepted; a reload that keeps the key keeps the link",
     test_fingerprint_list},
    {"link comes up both ways, keepalives hold it", test_link_up},
    {"records, withdrawals and questions cross intact", test_records_cross},
    {"dialer refuses a wrong key, shows the one presented",
     test_wrong_fingerprint_dialer},
    {"listener refuses a wrong key, shows the one presented",
     test_wrong_fingerprint_listener},
    {"HELLO naming another site is refused", test_wrong_site},
    {"client without a certificate is refused", test_no_client_certificate},
    {"oversize, unknown and malformed frames close the link", test_bad_frames_close},
    {"reconnects with backoff after the listener restarts", test_reconnect},
    {"a silent peer is dead after the timeout", test_keepalive_timeout},
    {"simultaneous dials keep one link, the same on both sides", test_simultaneous_dial},
    {"a newer link from the same peer replaces the old", test_newer_link_replaces},
    {"reload keeps unchanged links, resets changed ones", test_reload},
    {"pending connections are bounded and time out", test_pending_bound},
    {"one address cannot hold every pending slot", test_pending_per_host},
    {"a peer that does not read is disconnected", test_output_bound},
    {"listen errors are returned", test_listen_errors},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"peer links", suite_init, suite_clean, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
