/*
 * fuzz_msg.c: libFuzzer target for what a LAN datagram goes through.
 *
 * Arbitrary bytes are decoded; a message that decodes is classified, filtered
 * by a small policy, renamed as from another site, its addresses mapped,
 * cached, checked for de-duplication and encoded again at a small MTU, and the
 * encoded packets are decoded once more. Sanitizers catch what goes wrong; a
 * cached record that does not come back from the cache byte for byte as it
 * was put (the cache keeps a compact form of its own) aborts.
 */
#include <config.h>

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/addrmap.h"
#include "dnssd/cache.h"
#include "dnssd/encode.h"
#include "dnssd/msg.h"
#include "dnssd/rename.h"
#include "dnssd/sent.h"
#include "dnssd/svcname.h"
#include "policy/filter.h"
#include "policy/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The record the cache gives back for e must be rr, TTL, class bit and case alike. */
static void check_stored(const struct dnssd_entry *e, const ldns_rr *rr)
{
	ldns_rr *back = dnssd_entry_rr_new(e);
	uint8_t *w1 = NULL, *w2 = NULL;
	size_t n1 = 0, n2 = 0;
	if (!back)
		abort();
	if (ldns_rr2wire(&w1, rr, LDNS_SECTION_ANSWER, &n1) != LDNS_STATUS_OK ||
	    ldns_rr2wire(&w2, back, LDNS_SECTION_ANSWER, &n2) != LDNS_STATUS_OK || n1 != n2 ||
	    memcmp(w1, w2, n1) != 0)
		abort();
	free(w1);
	free(w2);
	ldns_rr_free(back);
}

static struct dnssd_rename *renamer;
static struct dnssd_addrmap *map4, *map6;
static struct policy_ruleset *rules;
static struct dnssd_cache *cache;
static struct dnssd_sent *sent;
static uint64_t clock_ms;

static void setup(void)
{
	struct dnssd_cidr from, to;
	struct policy_match m = {0};

	renamer = dnssd_rename_new(NULL, NULL);
	map4 = dnssd_addrmap_new();
	dnssd_cidr_parse("192.168.1.0/24", &from, NULL);
	dnssd_cidr_parse("10.101.1.0/24", &to, NULL);
	dnssd_addrmap_add(map4, &from, &to);
	map6 = dnssd_addrmap_new();
	dnssd_cidr_parse("fd00:1::/64", &from, NULL);
	dnssd_cidr_parse("fd10:1::/64", &to, NULL);
	dnssd_addrmap_add(map6, &from, &to);
	rules = policy_ruleset_new("fuzz");
	m.service = "_airplay._tcp";
	m.instance = "Conference*";
	policy_ruleset_add(rules, POLICY_ALLOW, &m, NULL);
	m.instance = NULL;
	policy_ruleset_add(rules, POLICY_DENY, &m, NULL);
	m.service = "_*._tcp";
	policy_ruleset_add(rules, POLICY_ALLOW, &m, NULL);
	/* A small cache so eviction paths run too. */
	cache = dnssd_cache_new(64);
	sent = dnssd_sent_new(64);
}

static void rewrite_address(ldns_rr *rr)
{
	ldns_rdf *rd = ldns_rr_rdf(rr, 0);
	if (!rd)
		return;
	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A && ldns_rdf_size(rd) == 4)
		dnssd_addrmap_apply(map4, AF_INET, ldns_rdf_data(rd));
	else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA && ldns_rdf_size(rd) == 16)
		dnssd_addrmap_apply(map6, AF_INET6, ldns_rdf_data(rd));
	(void)dnssd_addr_is_linklocal(ldns_rr_get_type(rr) == LDNS_RR_TYPE_A ? AF_INET : AF_INET6,
				      ldns_rdf_data(rd));
}

static void reencode(struct dnssd_enc *enc)
{
	size_t n = dnssd_enc_finish(enc);
	for (size_t i = 0; i < n; i++) {
		size_t len;
		const uint8_t *p = dnssd_enc_packet(enc, i, &len);
		struct dnssd_msg *again = NULL;
		if (p && dnssd_msg_decode(p, len, &again, NULL) == 0)
			dnssd_msg_free(again);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dnssd_msg *m = NULL;
	enum dnssd_reason why;

	if (!renamer)
		setup();
	clock_ms += 700;
	if (dnssd_msg_decode(data, size, &m, &why) != 0) {
		(void)dnssd_reason_str(why);
		return 0;
	}
	(void)dnssd_msg_kind(m);
	(void)dnssd_msg_is_goodbye(m);

	struct dnssd_enc *enc = dnssd_enc_new(512, dnssd_msg_kind(m) == DNSSD_RESPONSE, 0);
	for (size_t i = 0; i < dnssd_msg_count(m, DNSSD_SEC_QUESTION); i++)
		(void)dnssd_enc_question(enc, dnssd_msg_rr(m, DNSSD_SEC_QUESTION, i));

	size_t n = dnssd_msg_count(m, DNSSD_SEC_ANSWER);
	const ldns_rr **rrs = calloc(n + 1, sizeof(*rrs));
	bool *allow = calloc(n + 1, sizeof(*allow));
	for (size_t i = 0; i < n; i++)
		rrs[i] = dnssd_msg_rr(m, DNSSD_SEC_ANSWER, i);
	struct policy_sender sender = {.af = AF_INET, .addr = {192, 168, 1, 10}};
	struct policy_filter_ctx ctx = {.rules = rules, .sender = &sender};
	policy_filter(&ctx, rrs, n, allow);

	for (size_t i = 0; i < n; i++) {
		struct dnssd_svcname sn;
		ldns_rr *copy = ldns_rr_clone(rrs[i]);
		if (!copy)
			continue;
		(void)dnssd_svcname_parse(ldns_rr_owner(copy), &sn);
		struct dnssd_entry *e = NULL;
		if (dnssd_cache_put(cache, copy, 1, clock_ms, &e, NULL, NULL) > 0 && e)
			check_stored(e, copy);
		if (dnssd_rename_rr(renamer, "manhattan", copy) == 0) {
			ldns_rdf *back = dnssd_unrename_name(renamer, "manhattan", ldns_rr_owner(copy));
			ldns_rdf_deep_free(back);
		}
		rewrite_address(copy);
		if (allow[i])
			(void)dnssd_sent_check(sent, copy, clock_ms);
		(void)dnssd_enc_rr(enc, DNSSD_SEC_ANSWER, copy);
		ldns_rr_free(copy);
	}
	reencode(enc);
	dnssd_cache_expire(cache, clock_ms, NULL, NULL);
	dnssd_sent_expire(sent, clock_ms);
	dnssd_enc_free(enc);
	free(rrs);
	free(allow);
	dnssd_msg_free(m);
	return 0;
}
