/*
 * rules.h: allow/deny rule sets (the `policy` section of the configuration).
 *
 * A rule set is an ordered list of rules; the first rule whose keys all match
 * decides, and when none matches the answer is deny. Match keys, all optional:
 *   service   glob on the service type ("_ipp._tcp", "_*._tcp"), ASCII
 *             case-insensitive; a subtype matches through its parent type
 *   instance  glob on the instance label, case-insensitive (ASCII and the
 *             simple case folds of UTF-8 letters), '*' and '?' step over whole
 *             UTF-8 characters
 *   host      glob on the host name without ".local"
 *   address   CIDR; matches address records by their address and every other
 *             record by the sender's address
 * Globs support '*', '?' and '[...]' classes ("[a-z]", negated with '!' or
 * '^', ']' first is literal); '\' escapes the next character; '*' and '?'
 * step over whole UTF-8 characters everywhere. Instance folding is the
 * simple case folding of ASCII, Latin-1 Supplement, Latin Extended-A and
 * Additional, Greek, Cyrillic and fullwidth Latin letters, from a built-in
 * table: it does not depend on the process locale.
 *
 * A service key may also name one subtype in full
 * ("_universal._sub._ipp._tcp"): it then matches only instances announced
 * with that subtype.
 *
 * Rules are compiled when added (literal service types are indexed), so
 * policy_decide() does no allocation and skips the rules of other types.
 *
 * Ownership: policy_ruleset_new() allocates (policy_ruleset_free()); strings
 * passed to policy_ruleset_add() are copied.
 */
#ifndef SITECAST_POLICY_RULES_H
#define SITECAST_POLICY_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnssd/addrmap.h"

enum policy_action { POLICY_DENY = 0, POLICY_ALLOW = 1 };

/* One rule's keys; NULL means the key is absent (matches anything). */
struct policy_match {
	const char *service;
	const char *instance;
	const char *host;
	const struct dnssd_cidr *address;
};

/*
 * What is being decided. NULL / af 0 means unknown. A rule key that needs an
 * unknown field does not match, except in policy_decide_any_instance().
 */
struct policy_subject {
	const char *service;   /* "_ipp._tcp" */
	const char *subtype;   /* "_universal" or NULL */
	const char *instance;  /* raw instance label (UTF-8) */
	const char *host;      /* host label(s) without ".local" */
	int addr_af;           /* address record's address, or 0 */
	const uint8_t *addr;
	int sender_af;         /* source of the packet, or 0 */
	const uint8_t *sender;
};

struct policy_ruleset;

/*
 * name is copied; it may be NULL (policy_ruleset_name() then returns NULL).
 * The configuration names a set after its key under `policy`, and a list
 * written in place of a name (peers[].export: [ ... ]) "inline".
 */
struct policy_ruleset *policy_ruleset_new(const char *name);
void policy_ruleset_free(struct policy_ruleset *rs);
const char *policy_ruleset_name(const struct policy_ruleset *rs);
size_t policy_ruleset_count(const struct policy_ruleset *rs);
/* The file the rules were written in (copied; NULL clears): 0, -EINVAL, -ENOMEM. */
int policy_ruleset_set_file(struct policy_ruleset *rs, const char *file);
const char *policy_ruleset_file(const struct policy_ruleset *rs); /* NULL if unset */
/* Rule i (0-based, in order): its line in that file (0: unknown or past the end),
 * and its action (deny past the end). */
unsigned policy_ruleset_rule_line(const struct policy_ruleset *rs, size_t i);
enum policy_action policy_ruleset_rule_action(const struct policy_ruleset *rs, size_t i);

/*
 * Append a rule. 0, -EINVAL (bad glob or address prefix: *why set to a static
 * message such as "unterminated character class", "trailing backslash",
 * "empty pattern", "pattern is not valid UTF-8") or -ENOMEM. why may be NULL.
 */
int policy_ruleset_add(struct policy_ruleset *rs, enum policy_action action,
		       const struct policy_match *m, const char **why);
/* The same for a rule written at line of the set's file (0: unknown). */
int policy_ruleset_add_at(struct policy_ruleset *rs, enum policy_action action,
			  const struct policy_match *m, unsigned line, const char **why);

/* First match wins; none matching is POLICY_DENY. rs NULL denies everything. */
enum policy_action policy_decide(const struct policy_ruleset *rs, const struct policy_subject *s);

/* Which rule decided, for `sitecastctl explain` and `services`. */
#define POLICY_NO_RULE ((size_t)-1)
struct policy_explain {
	enum policy_action action;
	size_t rule;      /* 0-based index of the deciding rule, or POLICY_NO_RULE */
	const char *file; /* policy_ruleset_file(): borrowed from the set, may be NULL */
	unsigned line;    /* the rule's line in file; 0 if unknown or no rule matched */
};

/*
 * policy_decide() that also says which rule decided (ex may be NULL). The
 * same walk as policy_decide(), which does not pay for the explanation.
 */
enum policy_action policy_decide_explain(const struct policy_ruleset *rs,
					 const struct policy_subject *s,
					 struct policy_explain *ex);

/*
 * One line for an administrator, into buf (size bytes, snprintf's return):
 * "allow: rule 2 of rule set offices at /etc/sitecast/sitecast.yaml:31",
 * "deny: no rule matched (rule set inline)". rs is the set ex came from.
 */
int policy_explain_format(const struct policy_ruleset *rs, const struct policy_explain *ex,
			  char *buf, size_t size);

/*
 * For service enumeration (_services._dns-sd._udp PTR): allow when some
 * instance of s->service could be allowed, i.e. the first rule that matches
 * on its service key (and address key) is an allow rule, or an allow rule
 * with instance or host keys comes before any unconditional deny of the type.
 * Generally: a key on a field s leaves unknown may match; a rule matching on
 * its known keys decides, an allow that may match allows, a deny that may
 * match is passed over.
 */
enum policy_action policy_decide_any_instance(const struct policy_ruleset *rs,
					      const struct policy_subject *s);

/*
 * Whether a rule explicitly names this host (a `host` key without `service`)
 * and allows it: the first rule matching the host name (without ".local")
 * and its address (af 0 / addr NULL: unknown) must be such an allow rule; a
 * catch-all deny before it wins.
 */
bool policy_host_named(const struct policy_ruleset *rs, const char *host, int af,
		       const uint8_t *addr);

/*
 * Glob matching as rules use it, exposed for tests: fold selects the
 * case-insensitivity of instance keys. False for an invalid pattern.
 */
bool policy_glob_match(const char *pattern, const char *text, bool fold);

#endif
