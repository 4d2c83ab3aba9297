/*
 * filter.c: policy decisions per DNS-SD service over the records of a message.
 *
 * The records are first sorted into roles by their owner name and type (a
 * record of an instance, a host address, an enumeration PTR, or nothing that
 * may pass). Each instance is then decided once, with every fact the message
 * gives about it: the subtype from a subtype PTR, the SRV target host from an
 * SRV; and last the address records, which only follow services.
 */
#include <config.h> /* the build configuration, not policy/config.h */

#include "policy/filter.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dnssd/msg.h"
#include "dnssd/name.h"
#include "dnssd/svcname.h"

enum role {
	R_NONE,  /* never passes */
	R_GROUP, /* PTR to, SRV or TXT of an instance: key is the instance name */
	R_ADDR,  /* A or AAAA of a host: key is the host name */
	R_ENUM,  /* _services._dns-sd._udp PTR: key is the service type */
};

struct info {
	uint8_t role;
	uint8_t decided;
	uint8_t subtype; /* a subtype PTR */
	const ldns_rdf *key;
};

/* Records of one message are few; larger batches get a heap array. */
#define STACK_INFOS 32

/* The wire form of name after its first k labels and its length; NULL if fewer. */
static const uint8_t *skip_labels(const ldns_rdf *name, unsigned k, size_t *rest)
{
	const uint8_t *d = ldns_rdf_data(name);
	size_t size = ldns_rdf_size(name), off = 0;

	for (unsigned i = 0; i < k; i++) {
		if (off >= size || d[off] == 0)
			return NULL;
		off += 1 + (size_t)d[off];
	}
	if (off >= size)
		return NULL;
	*rest = size - off;
	return d + off;
}

/* Whether a with its first ka labels removed equals b with its first kb removed. */
static bool tails_equal(const ldns_rdf *a, unsigned ka, const ldns_rdf *b, unsigned kb)
{
	size_t na = 0, nb = 0;
	const uint8_t *ta = skip_labels(a, ka, &na), *tb = skip_labels(b, kb, &nb);

	return ta && tb && na == nb && dnssd_wire_eq(ta, tb, na);
}

static void classify(const ldns_rr *rr, struct info *in)
{
	const ldns_rdf *owner = ldns_rr_owner(rr), *target;
	enum dnssd_name_kind ok;

	in->role = R_NONE;
	in->decided = 0;
	in->subtype = 0;
	in->key = NULL;
	if (!owner || dnssd_rr_class(rr) != LDNS_RR_CLASS_IN)
		return;
	ok = dnssd_name_kind(owner);
	switch (ldns_rr_get_type(rr)) {
	case LDNS_RR_TYPE_PTR:
		if (!(target = dnssd_rdf_name(rr, 0)))
			return;
		if (ok == DNSSD_NAME_ENUM) {
			if (dnssd_name_kind(target) == DNSSD_NAME_SERVICE_TYPE) {
				in->role = R_ENUM;
				in->key = target;
			}
			return;
		}
		/*
		 * The instance must be of the very type it is listed under (for a
		 * subtype, its parent type): "Name.<type>" against "<type>" or
		 * "_sub._sub.<type>".
		 */
		if (dnssd_name_kind(target) != DNSSD_NAME_INSTANCE)
			return;
		if (ok == DNSSD_NAME_SERVICE_TYPE) {
			if (!tails_equal(target, 1, owner, 0))
				return;
		} else if (ok == DNSSD_NAME_SUBTYPE) {
			if (!tails_equal(target, 1, owner, 2))
				return;
			in->subtype = 1;
		} else {
			return;
		}
		in->role = R_GROUP;
		in->key = target;
		return;
	case LDNS_RR_TYPE_SRV:
		if (ok != DNSSD_NAME_INSTANCE || !dnssd_srv_target(rr))
			return;
		in->role = R_GROUP;
		in->key = owner;
		return;
	case LDNS_RR_TYPE_TXT:
		if (ok != DNSSD_NAME_INSTANCE)
			return;
		in->role = R_GROUP;
		in->key = owner;
		return;
	case LDNS_RR_TYPE_A:
	case LDNS_RR_TYPE_AAAA:
		if (ok != DNSSD_NAME_HOST || ldns_rr_rd_count(rr) != 1 ||
		    !ldns_rr_rdf(rr, 0))
			return;
		if (ldns_rdf_size(ldns_rr_rdf(rr, 0)) !=
		    (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A ? 4u : 16u))
			return;
		in->role = R_ADDR;
		in->key = owner;
		return;
	case LDNS_RR_TYPE_NSEC:
		/* Never forwarded as they are (DESIGN.md): they speak for one responder. */
		return;
	default:
		/*
		 * Any other record at an instance (a buddy icon as NULL, an unknown
		 * type) shares the instance's decision like its SRV and TXT.
		 */
		if (ok != DNSSD_NAME_INSTANCE)
			return;
		in->role = R_GROUP;
		in->key = owner;
		return;
	}
}

static void set_sender(const struct policy_filter_ctx *ctx, struct policy_subject *s)
{
	if (ctx->sender && (ctx->sender->af == AF_INET || ctx->sender->af == AF_INET6)) {
		s->sender_af = ctx->sender->af;
		s->sender = ctx->sender->addr;
	}
}

/* The decision shared by every record of the instance named key. */
static bool decide_instance(const struct policy_filter_ctx *ctx,
                            const ldns_rr *const *rrs, size_t n, const struct info *info,
                            const ldns_rdf *key)
{
	struct dnssd_svcname inst, sub, host;
	struct policy_subject s = {0};
	const ldns_rdf *target = NULL;

	if (dnssd_svcname_parse(key, &inst) < 0 || inst.kind != DNSSD_NAME_INSTANCE)
		return false;
	s.service = inst.service;
	s.instance = inst.instance;
	for (size_t j = 0; j < n; j++) {
		if (info[j].role != R_GROUP || !dnssd_name_eq(info[j].key, key))
			continue;
		if (ldns_rr_get_type(rrs[j]) == LDNS_RR_TYPE_SRV && !target)
			target = dnssd_srv_target(rrs[j]);
		else if (info[j].subtype && !s.subtype &&
		         dnssd_svcname_parse(ldns_rr_owner(rrs[j]), &sub) == 0 &&
		         sub.kind == DNSSD_NAME_SUBTYPE)
			s.subtype = sub.subtype;
	}
	if (!target && ctx->instance_host)
		target = ctx->instance_host(ctx->arg, key);
	if (target && dnssd_svcname_parse(target, &host) == 0 &&
	    host.kind == DNSSD_NAME_HOST)
		s.host = host.host;
	set_sender(ctx, &s);
	return policy_decide(ctx->rules, &s) == POLICY_ALLOW;
}

static bool decide_enum(const struct policy_filter_ctx *ctx, const ldns_rdf *type)
{
	struct dnssd_svcname sn;
	struct policy_subject s = {0};

	if (dnssd_svcname_parse(type, &sn) < 0 || sn.kind != DNSSD_NAME_SERVICE_TYPE)
		return false;
	s.service = sn.service;
	set_sender(ctx, &s);
	return policy_decide_any_instance(ctx->rules, &s) == POLICY_ALLOW;
}

static bool decide_address(const struct policy_filter_ctx *ctx, const ldns_rr *const *rrs,
                           size_t n, const struct info *info, const bool *allow,
                           const ldns_rr *rr, const ldns_rdf *host)
{
	struct dnssd_svcname sn;
	int af = ldns_rr_get_type(rr) == LDNS_RR_TYPE_A ? AF_INET : AF_INET6;

	for (size_t j = 0; j < n; j++)
		if (info[j].role == R_GROUP && allow[j] &&
		    ldns_rr_get_type(rrs[j]) == LDNS_RR_TYPE_SRV &&
		    dnssd_name_eq(dnssd_srv_target(rrs[j]), host))
			return true;
	if (ctx->host_known && ctx->host_known(ctx->arg, host))
		return true;
	if (dnssd_svcname_parse(host, &sn) < 0 || sn.kind != DNSSD_NAME_HOST)
		return false;
	/* classify() checked the address length against the type. */
	return policy_host_named(ctx->rules, sn.host, af,
	                         ldns_rdf_data(ldns_rr_rdf(rr, 0)));
}

size_t policy_filter(const struct policy_filter_ctx *ctx, const ldns_rr *const *rrs,
                     size_t n, bool *allow)
{
	struct info stack[STACK_INFOS], *info = stack;
	size_t count = 0;

	if (n == 0 || !allow)
		return 0;
	for (size_t i = 0; i < n; i++)
		allow[i] = false;
	if (!ctx || !rrs)
		return 0;
	if (n > STACK_INFOS && !(info = calloc(n, sizeof(*info))))
		return 0; /* deny is the safe answer when out of memory */

	for (size_t i = 0; i < n; i++) {
		if (rrs[i])
			classify(rrs[i], &info[i]);
		else
			info[i] = (struct info){.role = R_NONE};
	}

	/* Services first: address records depend on which SRVs passed. */
	for (size_t i = 0; i < n; i++) {
		if (info[i].decided)
			continue;
		if (info[i].role == R_ENUM) {
			allow[i] = decide_enum(ctx, info[i].key);
		} else if (info[i].role == R_GROUP) {
			bool ok = decide_instance(ctx, rrs, n, info, info[i].key);
			for (size_t j = i; j < n; j++) {
				if (info[j].role == R_GROUP && !info[j].decided &&
				    dnssd_name_eq(info[j].key, info[i].key)) {
					allow[j] = ok;
					info[j].decided = 1;
				}
			}
		}
		info[i].decided = 1;
	}
	for (size_t i = 0; i < n; i++)
		if (info[i].role == R_ADDR)
			allow[i] =
			    decide_address(ctx, rrs, n, info, allow, rrs[i], info[i].key);

	for (size_t i = 0; i < n; i++)
		count += allow[i];
	if (info != stack)
		free(info);
	return count;
}

bool policy_filter_one(const struct policy_filter_ctx *ctx, const ldns_rr *rr)
{
	bool allow = false;
	const ldns_rr *one[1] = {rr};

	policy_filter(ctx, one, 1, &allow);
	return allow;
}
