/*
 * bench_rules.c: cost of policy decisions.
 *
 * Decisions per second against a 100-rule set whose match is the first rule,
 * the middle one, the last one, or none, once with mostly literal service
 * types and once with globs only (nothing the type index can skip), and
 * policy_filter() over a five-record printer announcement. Each figure is
 * measured for about 0.4 s of CPU time, so a busy machine slows the
 * run rather than the figures.
 */
#include <config.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <ldns/ldns.h>

#include "dnssd/svcname.h"
#include "policy/filter.h"
#include "policy/rules.h"

#define RUN_SECONDS 0.4

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile unsigned long sink;

/* Calls per second of fn(arg), timed in batches until RUN_SECONDS pass. */
static double rate(unsigned long (*fn)(void *), void *arg, unsigned batch)
{
	unsigned long calls = 0;
	double start = now(), t;

	do {
		for (unsigned i = 0; i < batch; i++)
			sink += fn(arg);
		calls += batch;
		t = now() - start;
	} while (t < RUN_SECONDS);
	return (double)calls / t;
}

struct decide_arg {
	const struct policy_ruleset *rs;
	const struct policy_subject *s;
};

static unsigned long one_decision(void *p)
{
	const struct decide_arg *a = p;
	return (unsigned long)policy_decide(a->rs, a->s);
}

/*
 * A mixed 100-rule set: mostly literal service types, every tenth with an
 * instance glob, every tenth a prefix glob on the type, every tenth with a
 * host glob and an address prefix. With globs, every service key is a glob.
 */
static struct policy_ruleset *hundred_rules(bool globs)
{
	struct policy_ruleset *rs = policy_ruleset_new("hundred");
	struct dnssd_cidr lan;
	const char *why;

	if (!rs || dnssd_cidr_parse("192.168.1.0/24", &lan, &why) < 0)
		return NULL;
	for (int i = 0; i < 100; i++) {
		char svc[32];
		struct policy_match m = {.service = svc};
		snprintf(svc, sizeof(svc), "_svc%02d._tcp", i);
		if (globs) /* nothing a literal index can skip */
			snprintf(svc, sizeof(svc), i % 2 ? "_svc%02d._t?p" : "_svc%02d.*",
			         i);
		switch (globs ? -1 : i % 10) {
		case 3:
			m.instance = "Conference*";
			break;
		case 5:
			m.host = "appletv-[0-9]*";
			m.address = &lan;
			break;
		case 7:
			snprintf(svc, sizeof(svc), "_svc%02d._*", i);
			break;
		default:
			break;
		}
		if (policy_ruleset_add(rs, i % 2 ? POLICY_DENY : POLICY_ALLOW, &m, &why) <
		    0) {
			fprintf(stderr, "rule %d: %s\n", i, why);
			policy_ruleset_free(rs);
			return NULL;
		}
	}
	return rs;
}

struct filter_arg {
	const struct policy_filter_ctx *ctx;
	const ldns_rr *const *rrs;
	size_t n;
	bool *allow;
};

static unsigned long one_filter(void *p)
{
	const struct filter_arg *a = p;
	return policy_filter(a->ctx, a->rrs, a->n, a->allow);
}

static ldns_rr *rr(const char *text, const ldns_rdf *owner, const ldns_rdf *rdata0)
{
	ldns_rr *r = NULL;
	if (ldns_rr_new_frm_str(&r, text, 0, NULL, NULL) != LDNS_STATUS_OK) {
		fprintf(stderr, "bad record: %s\n", text);
		exit(1);
	}
	if (owner) {
		ldns_rdf_deep_free(ldns_rr_owner(r));
		ldns_rr_set_owner(r, ldns_rdf_clone(owner));
	}
	if (rdata0)
		ldns_rdf_deep_free(ldns_rr_set_rdf(r, ldns_rdf_clone(rdata0), 0));
	return r;
}

static void bench_filter(const char *label, const struct policy_ruleset *rs,
                         const char *service)
{
	struct dnssd_svcname sn = {.kind = DNSSD_NAME_INSTANCE};
	struct policy_sender sender = {.af = AF_INET};
	struct policy_filter_ctx ctx = {.rules = rs, .sender = &sender};
	ldns_rdf *inst = NULL;
	ldns_rr *rrs[5];
	bool allow[5];

	inet_pton(AF_INET, "192.168.1.20", sender.addr);
	snprintf(sn.instance, sizeof(sn.instance), "Office Printer");
	snprintf(sn.service, sizeof(sn.service), "%s", service);
	snprintf(sn.domain, sizeof(sn.domain), "local");
	if (dnssd_svcname_build(&sn, &inst) < 0)
		exit(1);
	char ptr[160];
	snprintf(ptr, sizeof(ptr), "%s.local. 4500 IN PTR x.local.", service);
	rrs[0] = rr(ptr, NULL, inst);
	rrs[1] = rr("x.local. 120 IN SRV 0 0 631 printer.local.", inst, NULL);
	rrs[2] = rr("x.local. 4500 IN TXT \"txtvers=1\" \"rp=ipp/print\" \"ty=Office\"",
	            inst, NULL);
	rrs[3] = rr("printer.local. 120 IN A 192.168.1.20", NULL, NULL);
	rrs[4] = rr("printer.local. 120 IN AAAA 2001:db8:1::20", NULL, NULL);

	struct filter_arg a = {&ctx, (const ldns_rr *const *)rrs, 5, allow};
	size_t passed = policy_filter(&ctx, a.rrs, a.n, allow);
	double r = rate(one_filter, &a, 1000);
	printf("policy_filter, 5-record announcement, %-24s %10.0f messages/s "
	       "(%.0f records/s, %zu of 5 pass)\n",
	       label, r, r * 5, passed);
	for (int i = 0; i < 5; i++)
		ldns_rr_free(rrs[i]);
	ldns_rdf_deep_free(inst);
}

static void bench_decide(const char *set, const struct policy_ruleset *rs)
{
	uint8_t sender[4];
	static const struct {
		const char *label;
		const char *service;
	} cases[] = {
	    {"match at rule 1", "_svc00._tcp"},
	    {"match at rule 50", "_svc49._tcp"},
	    {"match at rule 100", "_svc99._tcp"},
	    {"no match", "_none._tcp"},
	};

	inet_pton(AF_INET, "192.168.1.20", sender);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy_subject s = {
		    .service = cases[i].service,
		    .instance = "Conference Room 2",
		    .host = "appletv-2",
		    .sender_af = AF_INET,
		    .sender = sender,
		};
		struct decide_arg a = {rs, &s};
		enum policy_action act = policy_decide(rs, &s);
		printf("policy_decide, %-16s %-18s %12.0f decisions/s (%s)\n", set,
		       cases[i].label, rate(one_decision, &a, 10000),
		       act == POLICY_ALLOW ? "allow" : "deny");
	}
}

int main(void)
{
	struct policy_ruleset *rs = hundred_rules(false);

	if (!rs)
		return 1;
	bench_decide("100 mixed rules,", rs);
	bench_filter("100 rules, match at 99:", rs, "_svc98._tcp");
	policy_ruleset_free(rs);

	if (!(rs = hundred_rules(true)))
		return 1;
	bench_decide("100 glob rules,", rs);
	policy_ruleset_free(rs);
	/* The example policy of the documentation. */
	rs = policy_ruleset_new("offices");
	static const struct policy_match offices[] = {
	    {.service = "_ipp._tcp"},
	    {.service = "_airplay._tcp", .instance = "Conference*"},
	    {.service = "_airplay._tcp"},
	    {.service = "_presence._tcp"},
	};
	static const enum policy_action actions[] = {POLICY_ALLOW, POLICY_ALLOW,
	                                             POLICY_DENY, POLICY_ALLOW};
	for (size_t i = 0; rs && i < 4; i++)
		if (policy_ruleset_add(rs, actions[i], &offices[i], NULL) < 0)
			return 1;
	if (!rs)
		return 1;
	bench_filter("4 rules (offices):", rs, "_ipp._tcp");
	policy_ruleset_free(rs);
	return 0;
}
