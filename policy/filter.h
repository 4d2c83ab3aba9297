/*
 * filter.h: per-service policy decisions over the records of one message.
 *
 * DNS-SD services are decided as a whole: the PTR naming an instance, the
 * instance's SRV, TXT and every other record at the instance name (a NULL
 * buddy icon, an unknown type; NSEC aside) share one decision (made on service type, subtype,
 * instance, the SRV target host and the sender's address). Address records
 * follow services: an A/AAAA record passes only when its owner is the target
 * of an SRV allowed in this message, or host_known() says an earlier allowed
 * SRV targets it, or a rule names the host explicitly. Service enumeration
 * PTRs pass when some instance of the type could pass. NSEC and reverse
 * (in-addr.arpa, ip6.arpa) records never pass; neither does anything that is
 * not a DNS-SD or host name, nor any record whose class is not IN (the
 * cache-flush bit aside), nor a PTR listing an instance of another type.
 *
 * The instance's subject: service type and instance label from its name, the
 * subtype from a subtype PTR for it in the same message (the first one), the
 * host from the SRV in the same message or else from instance_host(), and
 * the sender's address. An address record that follows a service is not
 * checked against `address` keys again: those apply to the service's sender.
 *
 * Ownership: nothing is allocated for the caller; allow[] is caller-provided.
 */
#ifndef SITECAST_POLICY_FILTER_H
#define SITECAST_POLICY_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "policy/rules.h"

/* Where a message came from: af 0 when unknown. */
struct policy_sender {
	int af;
	uint8_t addr[16];
};

/* Whether host (a full name such as printer.local.) is the target of an SRV allowed earlier. */
typedef bool (*policy_host_known_fn)(void *arg, const ldns_rdf *host);
/*
 * The SRV target of an instance known from earlier messages, or NULL (for TXT
 * without SRV). The name is used at once: it need stay valid only until the
 * next call.
 */
typedef const ldns_rdf *(*policy_instance_host_fn)(void *arg, const ldns_rdf *instance);

struct policy_filter_ctx {
	const struct policy_ruleset *rules;
	const struct policy_sender *sender;   /* may be NULL */
	policy_host_known_fn host_known;      /* may be NULL */
	policy_instance_host_fn instance_host; /* may be NULL */
	void *arg;
};

/*
 * Decide each of n records: allow[i] is set true or false. Returns the number
 * allowed. Records may come in any order within the array.
 */
size_t policy_filter(const struct policy_filter_ctx *ctx, const ldns_rr *const *rrs, size_t n,
		     bool *allow);

/* The decision for one record alone (the SRV target must then come from instance_host). */
bool policy_filter_one(const struct policy_filter_ctx *ctx, const ldns_rr *rr);

#endif
