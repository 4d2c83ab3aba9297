/*
 * bench_dnssd.c: throughput of the dnssd stages on printer announcements.
 *
 * Each announcement is what an IPP printer multicasts: PTR _ipp._tcp.local ->
 * "Printer N._ipp._tcp.local", SRV 0 0 631 printerN.local, a TXT record with
 * the keys printers publish, and A 192.168.1.x, the unique records with the
 * cache-flush bit. 10,000 distinct services are built up front and cached
 * (and held in the dedup state) before timing, so cache and dedup work on a
 * realistically full table. Each stage is timed over whole passes of the
 * 10,000 datagrams for about the given number of seconds (default 1).
 *
 * The classify, rename, cache, find, dedup and encode stages work on records
 * decoded up front (several megabytes), so their figures include fetching
 * those from memory; the pipeline, like the daemon, works on records it has
 * just decoded. "cache insert (new)" is the one pass that filled the cache.
 *
 * "pipeline export" is what the exporting gateway does with an announcement:
 * decode, export policy (three rules, per service as policy_filter decides),
 * link-local check and address map, dedup decision, and the RECORDS frame for
 * the peer link. "pipeline import" is what the importing gateway does with
 * that frame: decode it, import policy, rename, remote cache, and encode the
 * datagram it multicasts. "pipeline full" is both, one after the other, on
 * one core. Every stage runs for every announcement, whatever the dedup
 * decision, as if each were new: the daemon does less for repeats.
 *
 * Usage: bench_dnssd [seconds-per-stage [stage]]
 * With a stage (a word of its name, e.g. "cache"), only the matching stages
 * run, which is handy under a profiler.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldns/ldns.h>
#include <sys/socket.h>

#include "dnssd/addrmap.h"
#include "dnssd/cache.h"
#include "dnssd/encode.h"
#include "dnssd/msg.h"
#include "dnssd/rename.h"
#include "dnssd/sent.h"
#include "dnssd/svcname.h"
#include "policy/filter.h"
#include "policy/rules.h"
#include "reflector/frame.h"

#define SERVICES 10000
#define RECORDS 4
#define MTU 1460
#define FRAME_BYTES 2048 /* one announcement's records */
#define PIPELINE_TARGET 150000.0
/* CPU time of this thread by default (what "on one core" means, also on a busy
 * machine); -DBENCH_CLOCK=CLOCK_MONOTONIC for wall-clock time. */
#ifndef BENCH_CLOCK
#define BENCH_CLOCK CLOCK_THREAD_CPUTIME_ID
#endif

struct datagram {
	uint8_t *buf;
	size_t len;
};

static struct datagram packets[SERVICES];
static struct dnssd_msg *decoded[SERVICES];
static double stage_seconds = 1.0;
static const char *only_stage;
static volatile uint64_t sink; /* keeps results alive past the optimiser */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(BENCH_CLOCK, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_dnssd: %s\n", what);
	exit(1);
}

static ldns_rr *mkrr(const char *text, bool flush)
{
	ldns_rr *rr = NULL;
	if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) != LDNS_STATUS_OK)
		die(text);
	if (flush)
		ldns_rr_set_class(rr, ldns_rr_get_class(rr) | DNSSD_CLASS_TOPBIT);
	return rr;
}

static void build_packet(unsigned i, struct datagram *d)
{
	char text[1024];
	ldns_pkt *pkt = ldns_pkt_new();
	if (!pkt)
		die("out of memory");
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_set_aa(pkt, true);
	ldns_pkt_set_id(pkt, 0);

	snprintf(text, sizeof(text),
	         "_ipp._tcp.local. 4500 IN PTR Printer\\ %u._ipp._tcp.local.", i);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, mkrr(text, false));
	snprintf(text, sizeof(text),
	         "Printer\\ %u._ipp._tcp.local. 120 IN SRV 0 0 631 printer%u.local.", i,
	         i);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, mkrr(text, true));
	snprintf(text, sizeof(text),
	         "Printer\\ %u._ipp._tcp.local. 4500 IN TXT \"txtvers=1\" \"qtotal=1\" "
	         "\"rp=ipp/print\" \"ty=Brother HL-L2350DW series\" "
	         "\"product=(Brother HL-L2350DW series)\" "
	         "\"pdl=application/octet-stream,image/urf,image/pwg-raster\" "
	         "\"adminurl=http://printer%u.local./net/net/airprint.html\" "
	         "\"UUID=e3248000-80ce-11db-8000-%012x\" \"Color=F\" \"Duplex=T\"",
	         i, i, i);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, mkrr(text, true));
	snprintf(text, sizeof(text), "printer%u.local. 120 IN A 192.168.1.%u", i,
	         1 + i % 254);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, mkrr(text, true));

	if (ldns_pkt2wire(&d->buf, pkt, &d->len) != LDNS_STATUS_OK)
		die("ldns_pkt2wire failed");
	ldns_pkt_free(pkt);
}

/*
 * Run pass(state, i) over all services, in whole passes, for about
 * stage_seconds; one pass first to warm caches and calibrate.
 */
typedef void (*pass_fn)(void *state, unsigned i, uint64_t now_ms);

static double run(const char *stage, pass_fn fn, void *state)
{
	if (only_stage && !strstr(stage, only_stage))
		return 0;
	uint64_t clock_ms = 1000;
	double t0 = now_s();
	for (unsigned i = 0; i < SERVICES; i++)
		fn(state, i, clock_ms);
	double one = now_s() - t0;
	unsigned passes = one > 0 ? (unsigned)(stage_seconds / one) : 1;
	if (passes < 1)
		passes = 1;

	t0 = now_s();
	for (unsigned p = 0; p < passes; p++) {
		/* The clock moves on by 1 ms a pass: far from any half-TTL. */
		clock_ms++;
		for (unsigned i = 0; i < SERVICES; i++)
			fn(state, i, clock_ms);
	}
	double dt = now_s() - t0;
	double per_s = (double)passes * SERVICES / dt;
	printf("%-34s %15.0f %15.0f\n", stage, per_s, 1e9 / per_s);
	fflush(stdout);
	return per_s;
}

/* ---------------------------------------------------------------- stages */

static void pass_decode(void *state, unsigned i, uint64_t now)
{
	(void)state;
	(void)now;
	struct dnssd_msg *m = NULL;
	enum dnssd_reason why;
	if (dnssd_msg_decode(packets[i].buf, packets[i].len, &m, &why) < 0)
		die("decode failed");
	sink += dnssd_msg_count(m, DNSSD_SEC_ANSWER);
	dnssd_msg_free(m);
}

static void pass_classify(void *state, unsigned i, uint64_t now)
{
	(void)state;
	(void)now;
	const struct dnssd_msg *m = decoded[i];
	struct dnssd_svcname sn;
	sink += dnssd_msg_kind(m);
	for (size_t k = 0; k < dnssd_msg_count(m, DNSSD_SEC_ANSWER); k++) {
		const ldns_rr *rr = dnssd_msg_rr(m, DNSSD_SEC_ANSWER, k);
		if (dnssd_svcname_parse(ldns_rr_owner(rr), &sn) < 0)
			die("svcname parse failed");
		sink += sn.kind;
	}
}

struct rewrite_state {
	struct dnssd_rename *rename;
	struct dnssd_addrmap *map;
};

static void pass_rewrite(void *state, unsigned i, uint64_t now)
{
	(void)now;
	struct rewrite_state *st = state;
	const struct dnssd_msg *m = decoded[i];
	for (size_t k = 0; k < dnssd_msg_count(m, DNSSD_SEC_ANSWER); k++) {
		/* Records belong to the message: the proxy renames a copy. */
		ldns_rr *rr = ldns_rr_clone(dnssd_msg_rr(m, DNSSD_SEC_ANSWER, k));
		if (!rr)
			die("out of memory");
		if (dnssd_rename_rr(st->rename, "manhattan", rr) < 0)
			die("rename failed");
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A) {
			ldns_rdf *a = ldns_rr_rdf(rr, 0);
			if (!dnssd_addrmap_apply(st->map, AF_INET, ldns_rdf_data(a)))
				die("address not mapped");
		}
		sink += ldns_rr_rd_count(rr);
		ldns_rr_free(rr);
	}
}

static void pass_cache(void *state, unsigned i, uint64_t now)
{
	struct dnssd_cache *c = state;
	const struct dnssd_msg *m = decoded[i];
	for (size_t k = 0; k < dnssd_msg_count(m, DNSSD_SEC_ANSWER); k++) {
		struct dnssd_entry *e;
		int r = dnssd_cache_put(c, dnssd_msg_rr(m, DNSSD_SEC_ANSWER, k), 1, now,
		                        &e, NULL, NULL);
		if (r < 0)
			die("cache put failed");
		sink += (uint64_t)r;
	}
}

static void pass_cache_find(void *state, unsigned i, uint64_t now)
{
	struct dnssd_cache *c = state;
	const struct dnssd_msg *m = decoded[i];
	struct dnssd_entry *out[4];
	/* What answering a query for the instance (SRV and TXT) and its host takes. */
	const ldns_rr *srv = dnssd_msg_rr(m, DNSSD_SEC_ANSWER, 1);
	const ldns_rr *a = dnssd_msg_rr(m, DNSSD_SEC_ANSWER, 3);
	size_t n =
	    dnssd_cache_find(c, ldns_rr_owner(srv), LDNS_RR_TYPE_ANY, 0, now, out, 4);
	n += dnssd_cache_find(c, ldns_rr_owner(a), LDNS_RR_TYPE_A, 0, now, out, 4);
	if (n != 3)
		die("cache find missed");
	sink += n;
}

static void pass_dedup(void *state, unsigned i, uint64_t now)
{
	struct dnssd_sent *s = state;
	const struct dnssd_msg *m = decoded[i];
	for (size_t k = 0; k < dnssd_msg_count(m, DNSSD_SEC_ANSWER); k++)
		sink += dnssd_sent_check(s, dnssd_msg_rr(m, DNSSD_SEC_ANSWER, k), now);
}

/* The one datagram an announcement makes, finished and used; frees e. */
static void finish_datagram(struct dnssd_enc *e)
{
	if (dnssd_enc_finish(e) != 1)
		die("announcement not in one datagram");
	size_t len;
	sink += *dnssd_enc_packet(e, 0, &len);
	sink += len;
	dnssd_enc_free(e);
}

static void pass_encode(void *state, unsigned i, uint64_t now)
{
	(void)state;
	(void)now;
	const struct dnssd_msg *m = decoded[i];
	struct dnssd_enc *e = dnssd_enc_new(MTU, true, 0);
	if (!e)
		die("out of memory");
	for (size_t k = 0; k < dnssd_msg_count(m, DNSSD_SEC_ANSWER); k++)
		if (dnssd_enc_rr(e, DNSSD_SEC_ANSWER,
		                 dnssd_msg_rr(m, DNSSD_SEC_ANSWER, k)) < 0)
			die("encode failed");
	finish_datagram(e);
}

struct pipeline_state {
	struct dnssd_cache *cache;
	struct dnssd_sent *sent;
};

static void pass_pipeline(void *state, unsigned i, uint64_t now)
{
	struct pipeline_state *st = state;
	struct dnssd_msg *m = NULL;
	enum dnssd_reason why;
	if (dnssd_msg_decode(packets[i].buf, packets[i].len, &m, &why) < 0)
		die("decode failed");
	for (size_t k = 0; k < dnssd_msg_count(m, DNSSD_SEC_ANSWER); k++) {
		const ldns_rr *rr = dnssd_msg_rr(m, DNSSD_SEC_ANSWER, k);
		struct dnssd_entry *e;
		if (dnssd_cache_put(st->cache, rr, 1, now, &e, NULL, NULL) < 0)
			die("cache put failed");
		sink += dnssd_sent_check(st->sent, rr, now);
	}
	dnssd_msg_free(m);
}

struct full_state {
	struct policy_ruleset *rules; /* export here and import there alike */
	struct policy_sender sender;
	struct dnssd_addrmap *map;
	struct dnssd_rename *rename;
	struct dnssd_sent *sent;
	struct dnssd_cache *remote;
};

/* A RECORDS frame as the peer link carries it. */
struct wire_frame {
	uint8_t buf[FRAME_BYTES];
	size_t len;
};

/*
 * The exporting gateway, as the daemon does it: the records of the datagram
 * are used where they were decoded, only an address to map is copied, and
 * what passes is encoded into a RECORDS frame for the peer (into f).
 */
static void export_one(struct full_state *st, unsigned i, uint64_t now,
                       struct wire_frame *f)
{
	struct dnssd_msg *m = NULL;
	enum dnssd_reason why;
	const ldns_rr *rrs[RECORDS], *out[RECORDS];
	ldns_rr *mapped[RECORDS];
	bool allow[RECORDS];
	size_t n, nout = 0, nmapped = 0, taken;

	if (dnssd_msg_decode(packets[i].buf, packets[i].len, &m, &why) < 0)
		die("decode failed");
	n = dnssd_msg_count(m, DNSSD_SEC_ANSWER);
	if (n > RECORDS)
		die("announcement grew");
	for (size_t k = 0; k < n; k++)
		rrs[k] = dnssd_msg_rr(m, DNSSD_SEC_ANSWER, k);
	struct policy_filter_ctx exp = {.rules = st->rules, .sender = &st->sender};
	if (policy_filter(&exp, rrs, n, allow) != n)
		die("export policy denied a printer");
	for (size_t k = 0; k < n; k++) {
		const ldns_rr *rr = rrs[k];
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A) {
			uint8_t a[4];
			memcpy(a, ldns_rdf_data(ldns_rr_rdf(rr, 0)), 4);
			if (dnssd_addr_is_linklocal(AF_INET, a) ||
			    !dnssd_addrmap_apply(st->map, AF_INET, a))
				die("address not mapped");
			ldns_rr *c = ldns_rr_clone(rr);
			ldns_rdf *d = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, a);
			if (!c || !d)
				die("out of memory");
			ldns_rdf_deep_free(ldns_rr_set_rdf(c, d, 0));
			rr = mapped[nmapped++] = c;
		}
		sink += dnssd_sent_check(st->sent, rr, now);
		out[nout++] = rr;
	}
	int len = frame_encode_records(f->buf, sizeof(f->buf), "manhattan", 0, out, nout,
	                               &taken);
	if (len < 0 || taken != nout)
		die("frame encoding failed");
	f->len = (size_t)len;
	for (size_t k = 0; k < nmapped; k++)
		ldns_rr_free(mapped[k]);
	dnssd_msg_free(m);
}

/*
 * The importing gateway, from the frame the link delivered: its records are
 * decoded, allowed, renamed in place, cached and multicast in one datagram.
 */
static void import_one(struct full_state *st, const struct wire_frame *wf, uint64_t now)
{
	struct frame f;
	bool allow[RECORDS];
	if (frame_decode_one(wf->buf, wf->len, &f) < 0 || f.type != FRAME_RECORDS ||
	    f.nrr > RECORDS)
		die("frame decoding failed");
	struct policy_filter_ctx imp = {.rules = st->rules};
	if (policy_filter(&imp, (const ldns_rr *const *)f.rrs, f.nrr, allow) != f.nrr)
		die("import policy denied a printer");
	struct dnssd_enc *e = dnssd_enc_new(MTU, true, 0);
	if (!e)
		die("out of memory");
	for (size_t k = 0; k < f.nrr; k++) {
		struct dnssd_entry *ent;
		if (dnssd_rename_rr(st->rename, f.site, f.rrs[k]) < 0)
			die("rename failed");
		if (dnssd_cache_put(st->remote, f.rrs[k], 1, now, &ent, NULL, NULL) < 0)
			die("cache put failed");
		if (dnssd_enc_rr(e, DNSSD_SEC_ANSWER, f.rrs[k]) < 0)
			die("encode failed");
	}
	finish_datagram(e);
	frame_clear(&f);
}

static void pass_full(void *state, unsigned i, uint64_t now)
{
	struct wire_frame f;
	export_one(state, i, now, &f);
	import_one(state, &f, now);
}

static void pass_export(void *state, unsigned i, uint64_t now)
{
	struct wire_frame f;
	export_one(state, i, now, &f);
	sink += f.len;
}

/* What export_one gave for each service, as the import side's input. */
static struct wire_frame exported[SERVICES];

static void pass_import(void *state, unsigned i, uint64_t now)
{
	import_one(state, &exported[i], now);
}

static struct policy_ruleset *offices_rules(void)
{
	/* The "offices" rule set of the example configuration. */
	struct policy_ruleset *rs = policy_ruleset_new("offices");
	struct policy_match secret = {.service = "_ipp._tcp", .instance = "Secret*"};
	struct policy_match ipp = {.service = "_ipp._tcp"};
	struct policy_match ssh = {.service = "_ssh._tcp"};
	if (!rs || policy_ruleset_add(rs, POLICY_DENY, &secret, NULL) < 0 ||
	    policy_ruleset_add(rs, POLICY_ALLOW, &ipp, NULL) < 0 ||
	    policy_ruleset_add(rs, POLICY_DENY, &ssh, NULL) < 0)
		die("rule set setup failed");
	return rs;
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	if (argc > 1) {
		char *end;
		stage_seconds = strtod(argv[1], &end);
		if (*end || stage_seconds <= 0 || stage_seconds > 60)
			die("usage: bench_dnssd [seconds-per-stage [stage]]");
	}
	if (argc > 2)
		only_stage = argv[2];

	double t0 = now_s();
	size_t bytes = 0;
	for (unsigned i = 0; i < SERVICES; i++) {
		build_packet(i, &packets[i]);
		bytes += packets[i].len;
		enum dnssd_reason why;
		if (dnssd_msg_decode(packets[i].buf, packets[i].len, &decoded[i], &why) <
		    0)
			die("a built announcement does not decode");
		if (dnssd_msg_count(decoded[i], DNSSD_SEC_ANSWER) != RECORDS)
			die("announcement lost records");
	}
	printf("%u announcements of %u records, %zu bytes on average (built in %.1f s)\n",
	       SERVICES, RECORDS, bytes / SERVICES, now_s() - t0);

	struct rewrite_state rw = {dnssd_rename_new(NULL, NULL), dnssd_addrmap_new()};
	struct dnssd_cidr from, to;
	if (!rw.rename || !rw.map ||
	    dnssd_cidr_parse("192.168.1.0/24", &from, NULL) < 0 ||
	    dnssd_cidr_parse("10.101.1.0/24", &to, NULL) < 0 ||
	    dnssd_addrmap_add(rw.map, &from, &to) < 0)
		die("rename or address map setup failed");

	/* Preloaded: all services cached and already sent to the peer. */
	struct dnssd_cache *cache = dnssd_cache_new(4 * SERVICES + 1000);
	struct dnssd_sent *sent = dnssd_sent_new(4 * SERVICES + 1000);
	struct pipeline_state pl = {dnssd_cache_new(4 * SERVICES + 1000),
	                            dnssd_sent_new(4 * SERVICES + 1000)};
	if (!cache || !sent || !pl.cache || !pl.sent)
		die("out of memory");
	t0 = now_s();
	for (unsigned i = 0; i < SERVICES; i++)
		pass_cache(cache, i, 0);
	double insert_s = SERVICES / (now_s() - t0);
	for (unsigned i = 0; i < SERVICES; i++) {
		pass_cache(pl.cache, i, 0);
		pass_dedup(sent, i, 0);
		pass_dedup(pl.sent, i, 0);
	}
	if (dnssd_cache_count(cache) != 4 * SERVICES ||
	    dnssd_sent_count(sent) != 4 * SERVICES)
		die("preload incomplete");

	printf("\n%-34s %15s %15s\n", "stage", "announcements/s", "ns/announcement");
	run("decode", pass_decode, NULL);
	run("classify (kind + svcname)", pass_classify, NULL);
	run("rename + address rewrite", pass_rewrite, &rw);
	if (!only_stage || strstr("cache insert (new)", only_stage))
		printf("%-34s %15.0f %15.0f\n", "cache insert (new)", insert_s,
		       1e9 / insert_s);
	run("cache insert/lookup (4 puts)", pass_cache, cache);
	run("cache find (instance + host)", pass_cache_find, cache);
	run("dedup decision (4 checks)", pass_dedup, sent);
	run("encode (MTU 1460)", pass_encode, NULL);
	double pipe = run("pipeline decode+cache+dedup", pass_pipeline, &pl);

	struct full_state full = {
	    .rules = offices_rules(),
	    .sender = {.af = AF_INET, .addr = {192, 168, 1, 10}},
	    .map = rw.map,
	    .rename = rw.rename,
	    .sent = dnssd_sent_new(4 * SERVICES + 1000),
	    .remote = dnssd_cache_new(4 * SERVICES + 1000),
	};
	if (!full.sent || !full.remote)
		die("out of memory");
	for (unsigned i = 0; i < SERVICES; i++) {
		export_one(&full, i, 0, &exported[i]);
		import_one(&full, &exported[i], 0);
	}
	double whole = run("pipeline full", pass_full, &full);
	double exp = run("pipeline export", pass_export, &full);
	double imp = run("pipeline import", pass_import, &full);

	if (pipe > 0)
		printf("\npipeline decode+cache+dedup: %.0f/s (target %.0f)\n", pipe,
		       PIPELINE_TARGET);
	if (exp > 0)
		printf(
		    "pipeline export (decode, policy, map, dedup, frame encode): %.0f/s "
		    "(target %.0f)\n",
		    exp, PIPELINE_TARGET);
	if (imp > 0)
		printf("pipeline import (frame decode, policy, rename, cache, encode): "
		       "%.0f/s (target %.0f)\n",
		       imp, PIPELINE_TARGET);
	if (whole > 0)
		printf("pipeline full (both gateways on one core): %.0f/s\n", whole);
	if (dnssd_cache_count(pl.cache) != 4 * SERVICES)
		die("pipeline cache lost entries");

	for (unsigned i = 0; i < SERVICES; i++) {
		dnssd_msg_free(decoded[i]);
		free(packets[i].buf);
	}
	dnssd_cache_free(cache);
	dnssd_cache_free(pl.cache);
	dnssd_sent_free(sent);
	dnssd_sent_free(pl.sent);
	dnssd_sent_free(full.sent);
	dnssd_cache_free(full.remote);
	policy_ruleset_free(full.rules);
	dnssd_rename_free(rw.rename);
	dnssd_addrmap_free(rw.map);
	return 0;
}
