/* config.c: the sitecast.yaml schema, its validators and the configuration object (see
 * config.h). */
#include <config.h> /* the build configuration, not policy/config.h */

#include "policy/config.h"
#include "policy/schema.h"
#include "dnssd/base64.h"
#include "dnssd/name.h"
#include "dnssd/rename.h"
#include "dnssd/site.h"
#include "dnssd/waupdate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

/* ------------------------------------------------------------------ what the walk fills
 */

struct match_raw {
	struct schema_pos pos; /* line 0: this action's key was absent */
	struct schema_str service, instance, host, address;
	struct dnssd_cidr cidr; /* af 0 until address parsed */
};

struct rule_raw {
	struct schema_pos pos; /* of the list entry, for explanations */
	struct match_raw allow, deny;
};

struct ruleset_raw {
	struct schema_str name;
	struct rule_raw *rules;
	size_t nrules;
};

struct mapent_raw {
	struct schema_str from, to;
	struct dnssd_cidr cfrom, cto; /* af 0 until parsed */
};

#define HOST_MAX 256
/* A DNS name in text without the final dot, and its NUL. */
#define DNSNAME_MAX 254

/* `addresses` of a peer or of dns. */
struct addr_raw {
	struct mapent_raw *map;
	size_t nmap;
	struct schema_str linklocal;
};

struct peer_raw {
	struct schema_str name, connect, fingerprint, export_name, import_name;
	/* fingerprint: a list instead of one string (then fingerprint.v is NULL) */
	struct schema_str *fps;
	size_t nfps;
	struct rule_raw *export_rules, *import_rules;
	size_t nexport, nimport;
	struct addr_raw addr;
	char host[HOST_MAX];
	uint16_t port;
};

struct dns_import_raw {
	struct schema_str site, domain, import_name;
	struct rule_raw *import_rules;
	size_t nimport;
	char name[DNSNAME_MAX]; /* domain, lower case, no final dot */
};

struct dns_raw {
	struct schema_pos pos; /* line 0: no dns section */
	struct schema_str server, zone, domain, tsig_name, algorithm, secret_file;
	struct schema_str export_name;
	struct rule_raw *export_rules;
	size_t nexport;
	struct addr_raw addr;
	uint32_t ttl, poll;
	struct dns_import_raw *imports;
	size_t nimports;
	char host[HOST_MAX];
	uint16_t port;
	/* zone, domain (the default filled in) and the key name: lower case, no final dot
	 */
	char zone_name[DNSNAME_MAX], domain_name[DNSNAME_MAX], key_name[DNSNAME_MAX];
};

struct config_raw {
	struct schema_pos pos,
	    peers_pos; /* of the file's mapping; of `peers` (0: absent) */
	struct schema_str site, listen, key, control, user, host_suffix, inst_suffix;
	struct schema_str *ifs;
	size_t nifs;
	struct peer_raw *peers;
	size_t npeers;
	struct ruleset_raw *sets;
	size_t nsets;
	uint32_t max_records, qps, grace, peer_timeout, lan_per_source, lan_total;
	bool publish, browse;
	char listen_host[HOST_MAX];
	uint16_t listen_port;
	struct dns_raw dns;
};

/* ------------------------------------------------------------------ the configuration */

struct policy_peer {
	const struct peer_raw *raw;
	struct policy_ruleset *export, *import;
	bool own_export, own_import;
	struct dnssd_addrmap *map;
	bool keep_ll;
};

struct policy_dns_import {
	const struct dns_import_raw *raw;
	struct policy_ruleset *import;
	bool own_import;
};

struct policy_dns {
	const struct dns_raw *raw;
	struct policy_ruleset *export;
	bool own_export;
	struct dnssd_addrmap *map;
	bool keep_ll;
	enum policy_tsig_algorithm alg;
	struct policy_dns_import *imports; /* parallel to raw->imports */
};

struct set_index {
	const char *name;
	size_t idx;
};

struct policy_config {
	char *path;
	struct config_raw raw;
	struct policy_ruleset **sets; /* parallel to raw.sets */
	struct set_index *index;      /* raw.sets sorted by name */
	struct policy_peer *peers;    /* parallel to raw.peers */
	struct policy_dns *dns;       /* NULL without a dns section */
};

/* ------------------------------------------------------------------ validators */

#define FIELD(base, it) ((struct schema_str *)((char *)(base) + (it)->offset))
#define AUX(base, it) ((void *)((char *)(base) + (it)->aux_offset))
#define Q(buf, s) schema_quote(buf, sizeof(buf), (s)->v, (s)->len)

static void check_site(struct schema_ctx *ctx, const struct schema_item *it,
                       struct schema_pos pos, void *base)
{
	const struct schema_str *s = FIELD(base, it);
	char q[SCHEMA_QUOTE_MAX];
	(void)pos;
	if (!dnssd_site_valid(s->v, s->len))
		schema_error(
		    ctx, s->pos,
		    "invalid %s name '%s': use 1 to 32 lowercase letters, digits and '-'",
		    it->key[0] == 's' ? "site" : "peer", Q(q, s));
}

static void check_ifname(struct schema_ctx *ctx, const struct schema_item *it,
                         struct schema_pos pos, void *base)
{
	const struct schema_str *s = FIELD(base, it);
	char q[SCHEMA_QUOTE_MAX];
	bool ok =
	    s->len >= 1 && s->len < IFNAMSIZ && strcmp(s->v, ".") && strcmp(s->v, "..");
	(void)pos;
	/* The kernel's own rule (dev_valid_name). */
	for (size_t i = 0; ok && i < s->len; i++) {
		char c = s->v[i];
		if (c == '/' || c == ':' || c == ' ' || (c >= '\t' && c <= '\r'))
			ok = false;
	}
	if (!ok)
		schema_error(ctx, s->pos,
		             "invalid interface name '%s': 1 to %d characters without "
		             "'/', ':' or spaces",
		             Q(q, s), IFNAMSIZ - 1);
}

static void check_iflist(struct schema_ctx *ctx, const struct schema_item *it,
                         struct schema_pos pos, void *base)
{
	const struct config_raw *raw = base;
	(void)it;
	(void)pos;
	schema_check_unique(ctx, raw->ifs, raw->nifs, sizeof(*raw->ifs), 0, "interface");
}

/* A DNS host name: dot-separated labels of letters, digits and '-', a trailing dot
 * allowed. */
static bool dns_name_ok(const char *s, size_t len)
{
	size_t label = 0;

	if (len && s[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? s[i] : '.';
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (dnssd_is_ldh((uint8_t)c) && (c != '-' || label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

/*
 * "host:port", "[v6]:port", or either without the port (defport).
 * host must be an IP literal, or also a DNS name when names is set.
 */
static const char *parse_hostport(const char *text, bool names, uint16_t defport,
                                  char host[HOST_MAX], uint16_t *port)
{
	const char *h = text, *p = NULL;
	size_t hlen;
	unsigned char tmp[16];

	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close)
			return "missing ']' after the IPv6 address";
		h = text + 1;
		hlen = (size_t)(close - h);
		if (close[1] == ':')
			p = close + 2;
		else if (close[1])
			return "expected ':' and a port after ']'";
		if (hlen == 0 || hlen >= HOST_MAX)
			return "not an IPv6 address in brackets";
		memcpy(host, h, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, tmp) != 1)
			return "not an IPv6 address in brackets";
	} else {
		const char *colon = strchr(text, ':');
		if (colon && strchr(colon + 1, ':'))
			return "write an IPv6 address in brackets, as [2001:db8::1]:5358";
		hlen = colon ? (size_t)(colon - text) : strlen(text);
		if (colon)
			p = colon + 1;
		if (hlen == 0)
			return "missing address before the port";
		if (hlen >= HOST_MAX)
			return "the host name is too long";
		memcpy(host, h, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET, host, tmp) != 1) {
			if (!names)
				return "not an IPv4 or IPv6 address";
			if (strspn(host, "0123456789.") == hlen)
				return "not a valid IPv4 address";
			if (!dns_name_ok(host, hlen))
				return "not a valid IP address or host name";
		}
	}
	if (!p) {
		*port = defport;
		return NULL;
	}
	unsigned long v = 0;
	size_t n = strlen(p);
	if (n == 0 || n > 5 || strspn(p, "0123456789") != n)
		return "the port must be a number from 1 to 65535";
	v = strtoul(p, NULL, 10);
	if (v < 1 || v > 65535)
		return "the port must be a number from 1 to 65535";
	*port = (uint16_t)v;
	return NULL;
}

static void check_listen(struct schema_ctx *ctx, const struct schema_item *it,
                         struct schema_pos pos, void *base)
{
	struct config_raw *raw = base;
	const struct schema_str *s = FIELD(base, it);
	char q[SCHEMA_QUOTE_MAX];
	const char *why = parse_hostport(s->v, false, POLICY_DEFAULT_PORT,
	                                 raw->listen_host, &raw->listen_port);
	(void)pos;
	if (why) {
		raw->listen_host[0] = '\0';
		schema_error(ctx, s->pos, "invalid listen address '%s': %s", Q(q, s),
		             why);
	}
}

static void check_connect(struct schema_ctx *ctx, const struct schema_item *it,
                          struct schema_pos pos, void *base)
{
	struct peer_raw *peer = base;
	const struct schema_str *s = FIELD(base, it);
	char q[SCHEMA_QUOTE_MAX];
	const char *why =
	    parse_hostport(s->v, true, POLICY_DEFAULT_PORT, peer->host, &peer->port);
	(void)pos;
	if (why) {
		peer->host[0] = '\0';
		schema_error(ctx, s->pos, "invalid connect address '%s': %s", Q(q, s),
		             why);
	}
}

static void check_server(struct schema_ctx *ctx, const struct schema_item *it,
                         struct schema_pos pos, void *base)
{
	struct dns_raw *dns = base;
	const struct schema_str *s = FIELD(base, it);
	char q[SCHEMA_QUOTE_MAX];
	const char *why = parse_hostport(s->v, false, 53, dns->host, &dns->port);
	(void)pos;
	if (why) {
		dns->host[0] = '\0';
		schema_error(ctx, s->pos, "invalid DNS server address '%s': %s", Q(q, s),
		             why);
	}
}

/* The name lower-cased without its final dot into out[DNSNAME_MAX], or false. */
static bool dns_name_store(const struct schema_str *s, char out[DNSNAME_MAX])
{
	size_t len = s->len;
	if (!dns_name_ok(s->v, len))
		return false;
	if (s->v[len - 1] == '.')
		len--;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)dnssd_lower((uint8_t)s->v[i]);
	out[len] = '\0';
	return true;
}

/* A zone, domain or key name; aux_offset says where the normalized name goes. */
static void check_dns_name(struct schema_ctx *ctx, const struct schema_item *it,
                           struct schema_pos pos, void *base)
{
	const struct schema_str *s = FIELD(base, it);
	char q[SCHEMA_QUOTE_MAX], *out = AUX(base, it);
	(void)pos;
	if (!dns_name_store(s, out)) {
		out[0] = '\0';
		schema_error(
		    ctx, s->pos,
		    "invalid %s '%s': expected a DNS name of letters, digits and "
		    "'-' in dot-separated labels",
		    strcmp(it->key, "name") ? it->key : "TSIG key name", Q(q, s));
	}
}

static void check_algorithm(struct schema_ctx *ctx, const struct schema_item *it,
                            struct schema_pos pos, void *base)
{
	const struct schema_str *s = FIELD(base, it);
	char q[SCHEMA_QUOTE_MAX];
	(void)pos;
	int rc = dnssd_wa_algorithm_ok(s->v);
	if (rc == -ENOSYS)
		schema_error(ctx, s->pos,
		             "TSIG algorithm '%s' cannot be used: the installed ldns %s "
		             "cannot sign with it; use hmac-sha256 or hmac-sha512",
		             Q(q, s), ldns_version());
	else if (rc != 0)
		schema_error(ctx, s->pos,
		             "unknown TSIG algorithm '%s': expected hmac-sha256, "
		             "hmac-sha384 or hmac-sha512",
		             Q(q, s));
}

static void check_secret_path(struct schema_ctx *ctx, const struct schema_item *it,
                              struct schema_pos pos, void *base)
{
	const struct schema_str *s = FIELD(base, it);
	(void)pos;
	if (s->len == 0)
		schema_error(ctx, s->pos, "the secret file path is empty");
}

static void check_control(struct schema_ctx *ctx, const struct schema_item *it,
                          struct schema_pos pos, void *base)
{
	const struct schema_str *s = FIELD(base, it);
	(void)pos;
	if (s->len == 0)
		schema_error(ctx, s->pos, "the control socket path is empty");
	else if (s->len >= sizeof(((struct sockaddr_un *)0)->sun_path))
		schema_error(ctx, s->pos,
		             "the control socket path is too long (at most %zu bytes)",
		             sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
}

static void check_user(struct schema_ctx *ctx, const struct schema_item *it,
                       struct schema_pos pos, void *base)
{
	const struct schema_str *s = FIELD(base, it);
	char q[SCHEMA_QUOTE_MAX];
	bool ok = s->len >= 1 && s->len <= 32 && s->v[0] != '-';
	(void)pos;
	for (size_t i = 0; ok && i < s->len; i++) {
		unsigned char c = (unsigned char)s->v[i];
		if (c <= ' ' || c == ':' || c == '/' || c == 0x7f)
			ok = false;
	}
	if (!ok)
		schema_error(ctx, s->pos, "invalid user name '%s'", Q(q, s));
}

static void check_fingerprint(struct schema_ctx *ctx, const struct schema_item *it,
                              struct schema_pos pos, void *base)
{
	const struct schema_str *s = FIELD(base, it);
	char q[SCHEMA_QUOTE_MAX];
	const char *b = s->v + 7;
	bool ok = s->len == 7 + 44 && !strncmp(s->v, "sha256:", 7) && b[43] == '=';
	(void)pos;

	for (size_t i = 0; ok && i < 43; i++)
		ok = dnssd_b64_value((unsigned char)b[i]) >= 0;
	if (!ok) {
		schema_error(
		    ctx, s->pos,
		    "invalid fingerprint '%s': expected sha256: and 44 base64 characters",
		    Q(q, s));
		return;
	}
	/* 43 characters carry 258 bits: the last two must be zero for 32 bytes. */
	if (dnssd_b64_value((unsigned char)b[42]) & 3)
		schema_error(
		    ctx, s->pos,
		    "invalid fingerprint '%s': not the base64 of a 32-byte digest",
		    Q(q, s));
}

static void check_fplist(struct schema_ctx *ctx, const struct schema_item *it,
                         struct schema_pos pos, void *base)
{
	const struct peer_raw *peer = base;
	(void)it;
	(void)pos;
	schema_check_unique(ctx, peer->fps, peer->nfps, sizeof(*peer->fps), 0,
	                    "fingerprint");
}

static void check_cidr(struct schema_ctx *ctx, const struct schema_item *it,
                       struct schema_pos pos, void *base)
{
	const struct schema_str *s = FIELD(base, it);
	struct dnssd_cidr c;
	const char *why = NULL;
	char q[SCHEMA_QUOTE_MAX];
	(void)pos;

	memset(&c, 0, sizeof(c));
	if (dnssd_cidr_parse(s->v, &c, &why) < 0) {
		schema_error(ctx, s->pos, "invalid CIDR '%s': %s", Q(q, s),
		             why ? why : "expected an address and a prefix length");
		return;
	}
	memcpy(AUX(base, it), &c, sizeof(c));
}

static void check_mapent(struct schema_ctx *ctx, const struct schema_item *it,
                         struct schema_pos pos, void *base)
{
	const struct mapent_raw *e = base;
	(void)it;
	(void)pos;
	if (!e->cfrom.af || !e->cto.af)
		return;
	if (e->cfrom.af != e->cto.af)
		schema_error(ctx, e->to.pos,
		             "'from' and 'to' must be of the same address family");
	else if (e->cfrom.plen != e->cto.plen)
		schema_error(
		    ctx, e->to.pos,
		    "'from' and 'to' must have the same prefix length (/%u and /%u)",
		    e->cfrom.plen, e->cto.plen);
}

static void check_linklocal(struct schema_ctx *ctx, const struct schema_item *it,
                            struct schema_pos pos, void *base)
{
	const struct schema_str *s = FIELD(base, it);
	(void)pos;
	if (strcmp(s->v, "drop") && strcmp(s->v, "keep"))
		schema_error(ctx, s->pos, "expected drop or keep for 'link-local'");
}

/*
 * The engine renames with these templates (dnssd_rename_new), so they are
 * checked by its own rule: one the engine would refuse must not pass here.
 * The rule reads a C string; the walk has already refused strings holding a
 * NUL, so it sees the whole value.
 */
static void check_suffix(struct schema_ctx *ctx, const struct schema_item *it,
                         struct schema_pos pos, void *base)
{
	const struct schema_str *s = FIELD(base, it);
	char q[SCHEMA_QUOTE_MAX];
	const char *why = NULL;
	(void)pos;
	if (dnssd_rename_check_template(s->v, it->key[0] == 'h', &why) < 0)
		schema_error(ctx, s->pos, "invalid %s '%s': %s", it->key, Q(q, s), why);
}

static void check_glob(struct schema_ctx *ctx, const struct schema_item *it,
                       struct schema_pos pos, void *base)
{
	const struct schema_str *s = FIELD(base, it);
	struct policy_match m = {0};
	const char *why = NULL;
	char q[SCHEMA_QUOTE_MAX];
	(void)pos;

	if (it->offset == offsetof(struct match_raw, service))
		m.service = s->v;
	else if (it->offset == offsetof(struct match_raw, instance))
		m.instance = s->v;
	else
		m.host = s->v;
	/* Compiling the pattern alone pins an error on this key. */
	struct policy_ruleset *rs = policy_ruleset_new("check");
	if (!rs) {
		schema_set_oom(ctx);
		return;
	}
	int rc = policy_ruleset_add(rs, POLICY_ALLOW, &m, &why);
	policy_ruleset_free(rs);
	if (rc == -ENOMEM)
		schema_set_oom(ctx);
	else if (rc < 0)
		schema_error(ctx, s->pos, "invalid pattern '%s' for '%s': %s", Q(q, s),
		             it->key, why ? why : "cannot be compiled");
}

static void check_rule(struct schema_ctx *ctx, const struct schema_item *it,
                       struct schema_pos pos, void *base)
{
	const struct rule_raw *r = base;
	(void)it;
	if (r->allow.pos.line && r->deny.pos.line)
		schema_error(ctx, pos, "a rule has either 'allow' or 'deny', not both");
	else if (!r->allow.pos.line && !r->deny.pos.line)
		schema_error(ctx, pos, "a rule needs 'allow' or 'deny'");
}

/* ------------------------------------------------------------------ the schema */

#define MATCH_STR(k, f, chk)                                                             \
	{                                                                                \
		.key = k, .type = SCHEMA_STR, .offset = offsetof(struct match_raw, f),   \
		.check = chk, .aux_offset = offsetof(struct match_raw, cidr)             \
	}

static const struct schema_item match_items[] = {
    MATCH_STR("service", service, check_glob),
    MATCH_STR("instance", instance, check_glob),
    MATCH_STR("host", host, check_glob),
    MATCH_STR("address", address, check_cidr),
    {0},
};

#define MATCH_MAP(k, f)                                                                  \
	{                                                                                \
		.key = k, .type = SCHEMA_MAP, .flags = SCHEMA_POS,                       \
		.offset = offsetof(struct rule_raw, f),                                  \
		.pos_offset =                                                            \
		    offsetof(struct rule_raw, f) + offsetof(struct match_raw, pos),      \
		.sub = match_items,                                                      \
		.what = "a mapping of match keys (service, instance, host, address; {} " \
		        "matches everything)"                                            \
	}

static const struct schema_item rule_items[] = {
    MATCH_MAP("allow", allow),
    MATCH_MAP("deny", deny),
    {0},
};

static const struct schema_item rule_elem = {
    .type = SCHEMA_MAP,
    .flags = SCHEMA_POS,
    .pos_offset = offsetof(struct rule_raw, pos),
    .sub = rule_items,
    .check = check_rule,
    .what = "a rule (allow: or deny: with match keys)",
};

static const struct schema_item ruleset_list = {
    .type = SCHEMA_LIST,
    .offset = offsetof(struct ruleset_raw, rules),
    .count_offset = offsetof(struct ruleset_raw, nrules),
    .elem_size = sizeof(struct rule_raw),
    .sub = &rule_elem,
    .what = "a list of rules",
};

/* An inline list of rules, the alternative to a rule-set name. */
#define RULES(T, k, f, n)                                                                \
	{                                                                                \
		.key = k, .type = SCHEMA_LIST, .offset = offsetof(T, f),                 \
		.count_offset = offsetof(T, n), .elem_size = sizeof(struct rule_raw),    \
		.sub = &rule_elem                                                        \
	}

static const struct schema_item export_list =
    RULES(struct peer_raw, "export", export_rules, nexport);
static const struct schema_item import_list =
    RULES(struct peer_raw, "import", import_rules, nimport);
static const struct schema_item dns_export_list =
    RULES(struct dns_raw, "export", export_rules, nexport);
static const struct schema_item dns_import_list =
    RULES(struct dns_import_raw, "import", import_rules, nimport);

static const struct schema_item mapent_items[] = {
    {.key = "from",
     .type = SCHEMA_STR,
     .flags = SCHEMA_REQUIRED,
     .offset = offsetof(struct mapent_raw, from),
     .check = check_cidr,
     .aux_offset = offsetof(struct mapent_raw, cfrom)},
    {.key = "to",
     .type = SCHEMA_STR,
     .flags = SCHEMA_REQUIRED,
     .offset = offsetof(struct mapent_raw, to),
     .check = check_cidr,
     .aux_offset = offsetof(struct mapent_raw, cto)},
    {0},
};

static const struct schema_item mapent_elem = {
    .type = SCHEMA_MAP,
    .sub = mapent_items,
    .check = check_mapent,
    .what = "a mapping { from: CIDR, to: CIDR }",
};

static const struct schema_item address_items[] = {
    {.key = "map",
     .type = SCHEMA_LIST,
     .offset = offsetof(struct addr_raw, map),
     .count_offset = offsetof(struct addr_raw, nmap),
     .elem_size = sizeof(struct mapent_raw),
     .sub = &mapent_elem},
    {.key = "link-local",
     .type = SCHEMA_STR,
     .offset = offsetof(struct addr_raw, linklocal),
     .def = "drop",
     .check = check_linklocal},
    {0},
};

static const struct schema_item fp_elem = {.type = SCHEMA_STR,
                                           .check = check_fingerprint};

/* Several fingerprints: any of them is accepted, so a key can be replaced in place. */
static const struct schema_item fp_list = {
    .key = "fingerprint",
    .type = SCHEMA_LIST,
    .offset = offsetof(struct peer_raw, fps),
    .count_offset = offsetof(struct peer_raw, nfps),
    .elem_size = sizeof(struct schema_str),
    .min = 1,
    .sub = &fp_elem,
    .check = check_fplist,
};

static const struct schema_item peer_items[] = {
    {.key = "name",
     .type = SCHEMA_STR,
     .flags = SCHEMA_REQUIRED,
     .offset = offsetof(struct peer_raw, name),
     .check = check_site},
    {.key = "connect",
     .type = SCHEMA_STR,
     .offset = offsetof(struct peer_raw, connect),
     .check = check_connect},
    {.key = "fingerprint",
     .type = SCHEMA_STR,
     .flags = SCHEMA_REQUIRED,
     .offset = offsetof(struct peer_raw, fingerprint),
     .check = check_fingerprint,
     .alt = &fp_list,
     .what = "a fingerprint or a list of fingerprints"},
    {.key = "export",
     .type = SCHEMA_STR,
     .offset = offsetof(struct peer_raw, export_name),
     .alt = &export_list,
     .what = "a rule-set name or a list of rules"},
    {.key = "import",
     .type = SCHEMA_STR,
     .offset = offsetof(struct peer_raw, import_name),
     .alt = &import_list,
     .what = "a rule-set name or a list of rules"},
    {.key = "addresses",
     .type = SCHEMA_MAP,
     .offset = offsetof(struct peer_raw, addr),
     .sub = address_items},
    {0},
};

static const struct schema_item peer_elem = {
    .type = SCHEMA_MAP,
    .sub = peer_items,
    .what = "a peer (a mapping with name, fingerprint, ...)",
};

static const struct schema_item tsig_items[] = {
    {.key = "name",
     .type = SCHEMA_STR,
     .flags = SCHEMA_REQUIRED,
     .offset = offsetof(struct dns_raw, tsig_name),
     .check = check_dns_name,
     .aux_offset = offsetof(struct dns_raw, key_name)},
    {.key = "algorithm",
     .type = SCHEMA_STR,
     .offset = offsetof(struct dns_raw, algorithm),
     .def = "hmac-sha256",
     .check = check_algorithm},
    {.key = "secret-file",
     .type = SCHEMA_STR,
     .flags = SCHEMA_REQUIRED,
     .offset = offsetof(struct dns_raw, secret_file),
     .check = check_secret_path},
    {0},
};

static const struct schema_item dns_import_items[] = {
    {.key = "site",
     .type = SCHEMA_STR,
     .flags = SCHEMA_REQUIRED,
     .offset = offsetof(struct dns_import_raw, site),
     .check = check_site},
    {.key = "domain",
     .type = SCHEMA_STR,
     .flags = SCHEMA_REQUIRED,
     .offset = offsetof(struct dns_import_raw, domain),
     .check = check_dns_name,
     .aux_offset = offsetof(struct dns_import_raw, name)},
    {.key = "import",
     .type = SCHEMA_STR,
     .offset = offsetof(struct dns_import_raw, import_name),
     .alt = &dns_import_list,
     .what = "a rule-set name or a list of rules"},
    {0},
};

static const struct schema_item dns_import_elem = {
    .type = SCHEMA_MAP,
    .sub = dns_import_items,
    .what = "an imported domain (a mapping with site, domain, import)",
};

static const struct schema_item dns_items[] = {
    {.key = "server",
     .type = SCHEMA_STR,
     .flags = SCHEMA_REQUIRED,
     .offset = offsetof(struct dns_raw, server),
     .check = check_server},
    {.key = "zone",
     .type = SCHEMA_STR,
     .flags = SCHEMA_REQUIRED,
     .offset = offsetof(struct dns_raw, zone),
     .check = check_dns_name,
     .aux_offset = offsetof(struct dns_raw, zone_name)},
    {.key = "domain",
     .type = SCHEMA_STR,
     .offset = offsetof(struct dns_raw, domain),
     .check = check_dns_name,
     .aux_offset = offsetof(struct dns_raw, domain_name)},
    {.key = "tsig", .type = SCHEMA_MAP, .flags = SCHEMA_REQUIRED, .sub = tsig_items},
    {.key = "export",
     .type = SCHEMA_STR,
     .offset = offsetof(struct dns_raw, export_name),
     .alt = &dns_export_list,
     .what = "a rule-set name or a list of rules"},
    {.key = "addresses",
     .type = SCHEMA_MAP,
     .offset = offsetof(struct dns_raw, addr),
     .sub = address_items},
    {.key = "ttl",
     .type = SCHEMA_UINT,
     .offset = offsetof(struct dns_raw, ttl),
     .def_num = 120,
     .min = 1,
     .max = 86400},
    {.key = "import",
     .type = SCHEMA_LIST,
     .offset = offsetof(struct dns_raw, imports),
     .count_offset = offsetof(struct dns_raw, nimports),
     .elem_size = sizeof(struct dns_import_raw),
     .sub = &dns_import_elem},
    {.key = "poll",
     .type = SCHEMA_UINT,
     .offset = offsetof(struct dns_raw, poll),
     .def_num = 10,
     .min = 1,
     .max = 3600},
    {0},
};

static const struct schema_item names_items[] = {
    {.key = "host-suffix",
     .type = SCHEMA_STR,
     .offset = offsetof(struct config_raw, host_suffix),
     .def = "-{site}",
     .check = check_suffix},
    {.key = "instance-suffix",
     .type = SCHEMA_STR,
     .offset = offsetof(struct config_raw, inst_suffix),
     .def = " ({site})",
     .check = check_suffix},
    {0},
};

static const struct schema_item limits_items[] = {
    {.key = "max-records-per-peer",
     .type = SCHEMA_UINT,
     .offset = offsetof(struct config_raw, max_records),
     .def_num = 10000,
     .min = 1,
     .max = 1000000},
    {.key = "queries-per-second",
     .type = SCHEMA_UINT,
     .offset = offsetof(struct config_raw, qps),
     .def_num = 50,
     .min = 1,
     .max = 10000},
    {.key = "peer-grace",
     .type = SCHEMA_UINT,
     .offset = offsetof(struct config_raw, grace),
     .def_num = 60,
     .min = 0,
     .max = 86400},
    {.key = "peer-timeout",
     .type = SCHEMA_UINT,
     .offset = offsetof(struct config_raw, peer_timeout),
     .def_num = 15,
     .min = 3,
     .max = 3600},
    {.key = "lan-records-per-source",
     .type = SCHEMA_UINT,
     .offset = offsetof(struct config_raw, lan_per_source),
     .def_num = 4000,
     .min = 1,
     .max = 1000000},
    {.key = "lan-records-total",
     .type = SCHEMA_UINT,
     .offset = offsetof(struct config_raw, lan_total),
     .def_num = 40000,
     .min = 1,
     .max = 10000000},
    {0},
};

static const struct schema_item avahi_items[] = {
    {.key = "publish",
     .type = SCHEMA_BOOL,
     .offset = offsetof(struct config_raw, publish)},
    {.key = "browse", .type = SCHEMA_BOOL, .offset = offsetof(struct config_raw, browse)},
    {0},
};

static const struct schema_item ifname_elem = {.type = SCHEMA_STR, .check = check_ifname};

static const struct schema_item top_items[] = {
    {.key = "site",
     .type = SCHEMA_STR,
     .flags = SCHEMA_REQUIRED,
     .offset = offsetof(struct config_raw, site),
     .check = check_site},
    {.key = "interfaces",
     .type = SCHEMA_LIST,
     .flags = SCHEMA_REQUIRED,
     .offset = offsetof(struct config_raw, ifs),
     .count_offset = offsetof(struct config_raw, nifs),
     .elem_size = sizeof(struct schema_str),
     .min = 1,
     .sub = &ifname_elem,
     .check = check_iflist},
    {.key = "listen",
     .type = SCHEMA_STR,
     .offset = offsetof(struct config_raw, listen),
     .check = check_listen},
    {.key = "key",
     .type = SCHEMA_STR,
     .flags = SCHEMA_REQUIRED,
     .offset = offsetof(struct config_raw, key)},
    {.key = "control",
     .type = SCHEMA_STR,
     .offset = offsetof(struct config_raw, control),
     .def = POLICY_DEFAULT_CONTROL,
     .check = check_control},
    /* Required without dns (checked across keys). */
    {.key = "peers",
     .type = SCHEMA_LIST,
     .flags = SCHEMA_POS,
     .pos_offset = offsetof(struct config_raw, peers_pos),
     .offset = offsetof(struct config_raw, peers),
     .count_offset = offsetof(struct config_raw, npeers),
     .elem_size = sizeof(struct peer_raw),
     .min = 1,
     .sub = &peer_elem},
    {.key = "names", .type = SCHEMA_MAP, .sub = names_items},
    {.key = "policy",
     .type = SCHEMA_DICT,
     .offset = offsetof(struct config_raw, sets),
     .count_offset = offsetof(struct config_raw, nsets),
     .elem_size = sizeof(struct ruleset_raw),
     .name_offset = offsetof(struct ruleset_raw, name),
     .sub = &ruleset_list,
     .what = "a mapping of rule-set names to lists of rules"},
    {.key = "limits", .type = SCHEMA_MAP, .sub = limits_items},
    {.key = "avahi", .type = SCHEMA_MAP, .sub = avahi_items},
    {.key = "dns",
     .type = SCHEMA_MAP,
     .flags = SCHEMA_POS,
     .offset = offsetof(struct config_raw, dns),
     .pos_offset = offsetof(struct config_raw, dns) + offsetof(struct dns_raw, pos),
     .sub = dns_items},
    {.key = "user",
     .type = SCHEMA_STR,
     .offset = offsetof(struct config_raw, user),
     .check = check_user},
    {0},
};

static const struct schema_item config_root = {.type = SCHEMA_MAP,
                                               .flags = SCHEMA_POS,
                                               .pos_offset =
                                                   offsetof(struct config_raw, pos),
                                               .sub = top_items};

/* ------------------------------------------------------------------ checks across keys
 */

static int cmp_index(const void *a, const void *b)
{
	const struct set_index *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->idx < y->idx ? -1 : x->idx > y->idx);
}

static int cmp_key(const void *k, const void *e)
{
	return strcmp(k, ((const struct set_index *)e)->name);
}

static const struct set_index *find_set(const struct policy_config *c, const char *name)
{
	if (!c->index || !c->raw.nsets)
		return NULL;
	const struct set_index *e =
	    bsearch(name, c->index, c->raw.nsets, sizeof(*c->index), cmp_key);
	/* Duplicate names are an error already; any match will do meanwhile. */
	return e;
}

static void check_ref(struct schema_ctx *ctx, const struct policy_config *c,
                      const struct schema_str *ref)
{
	char q[SCHEMA_QUOTE_MAX];

	if (!ref->v || find_set(c, ref->v))
		return;
	Q(q, ref);
	const char *best = NULL;
	if (schema_nerrors(ctx) < SCHEMA_MAX_ERRORS && c->raw.nsets) {
		const char **cands = malloc(c->raw.nsets * sizeof(*cands));
		size_t n = 0;
		if (cands) {
			for (size_t i = 0; i < c->raw.nsets; i++)
				if (c->raw.sets[i].name.v)
					cands[n++] = c->raw.sets[i].name.v;
			best = schema_suggest(ref->v, ref->len, cands, n);
			if (best) {
				char qb[SCHEMA_QUOTE_MAX];
				schema_quote(qb, sizeof(qb), best, strlen(best));
				schema_error(ctx, ref->pos,
				             "unknown rule set '%s' (did you mean '%s'?)",
				             q, qb);
			}
			free(cands);
		}
	}
	if (!best)
		schema_error(ctx, ref->pos, "unknown rule set '%s'", q);
}

/*
 * A file the configuration names, checked by the caller's function: policy/ does no
 * I/O of its own, but the error still lands at the value's position, in file order.
 */
static void check_file(struct schema_ctx *ctx, const struct policy_file_check *fc,
                       enum policy_file kind, const struct schema_str *path)
{
	char why[256] = "", q[SCHEMA_QUOTE_MAX];

	if (!fc || !fc->check || !path->v)
		return;
	int rc = fc->check(fc->arg, kind, path->v, why, sizeof(why));
	if (rc == -ENOMEM) {
		schema_set_oom(ctx);
		return;
	}
	if (rc < 0)
		schema_error(ctx, path->pos, "cannot read %s %s: %s",
		             kind == POLICY_FILE_KEY ? "key file" : "TSIG secret file",
		             Q(q, path), why[0] ? why : strerror(-rc));
}

/* name is parent or below it (both normalized). */
static bool dns_name_within(const char *name, const char *parent)
{
	size_t n = strlen(name), p = strlen(parent);
	if (n == p)
		return !strcmp(name, parent);
	return n > p && name[n - p - 1] == '.' && !strcmp(name + n - p, parent);
}

static void cross_check_dns(struct schema_ctx *ctx, struct policy_config *c,
                            const struct policy_file_check *fc)
{
	struct config_raw *raw = &c->raw;
	struct dns_raw *d = &raw->dns;
	char q[SCHEMA_QUOTE_MAX], q2[SCHEMA_QUOTE_MAX];

	if (!d->pos.line) {
		/* Without dns, peer links are the only way to other sites. */
		if (raw->pos.line && !raw->peers_pos.line)
			schema_error(ctx, raw->pos, "missing required key 'peers'");
		return;
	}
	if (d->zone_name[0] && dns_name_within(d->zone_name, "local"))
		schema_error(
		    ctx, d->zone.pos,
		    "the zone must not be in .local, the domain of multicast DNS");
	if (!d->domain.v && d->zone_name[0] && raw->site.v &&
	    dnssd_site_valid(raw->site.v, raw->site.len)) {
		int n = snprintf(d->domain_name, sizeof(d->domain_name), "%s.%s",
		                 raw->site.v, d->zone_name);
		if (n < 0 || n > 253) {
			d->domain_name[0] = '\0';
			schema_error(
			    ctx, d->zone.pos,
			    "the default domain {site}.{zone} would be longer than "
			    "253 characters: set 'domain'");
		}
	} else if (d->domain.v && d->domain_name[0] && d->zone_name[0] &&
	           !dns_name_within(d->domain_name, d->zone_name)) {
		schema_error(ctx, d->domain.pos, "domain '%s' is not inside zone '%s'",
		             Q(q, &d->domain), Q(q2, &d->zone));
	}
	check_ref(ctx, c, &d->export_name);
	for (size_t i = 0; i < d->nimports; i++) {
		const struct dns_import_raw *im = &d->imports[i];
		check_ref(ctx, c, &im->import_name);
		if (im->site.v && raw->site.v && !strcmp(im->site.v, raw->site.v))
			schema_error(ctx, im->site.pos,
			             "imported site '%s' has the name of this site",
			             Q(q, &im->site));
		for (size_t j = 0; im->site.v && j < raw->npeers; j++)
			if (raw->peers[j].name.v &&
			    !strcmp(raw->peers[j].name.v, im->site.v))
				schema_error(
				    ctx, im->site.pos,
				    "site '%s' is also a peer (line %u): a site is "
				    "reached by a peer link or through dns, not both",
				    Q(q, &im->site), raw->peers[j].name.pos.line);
		if (im->name[0] && d->domain_name[0] && !strcmp(im->name, d->domain_name))
			schema_error(ctx, im->domain.pos,
			             "domain '%s' is this site's own domain",
			             Q(q, &im->domain));
	}
	schema_check_unique(ctx, d->imports, d->nimports, sizeof(*d->imports),
	                    offsetof(struct dns_import_raw, site), "imported site");
	schema_check_unique(ctx, d->imports, d->nimports, sizeof(*d->imports),
	                    offsetof(struct dns_import_raw, domain), "imported domain");
	check_file(ctx, fc, POLICY_FILE_TSIG_SECRET, &d->secret_file);
}

static void cross_check(struct schema_ctx *ctx, struct policy_config *c,
                        const struct policy_file_check *fc)
{
	struct config_raw *raw = &c->raw;
	char q[SCHEMA_QUOTE_MAX];
	size_t n = 0;

	if (raw->nsets) {
		c->index = malloc(raw->nsets * sizeof(*c->index));
		if (!c->index) {
			schema_set_oom(ctx);
			return;
		}
		for (size_t i = 0; i < raw->nsets; i++)
			c->index[n++] = (struct set_index){
			    raw->sets[i].name.v ? raw->sets[i].name.v : "", i};
		qsort(c->index, n, sizeof(*c->index), cmp_index);
	}
	for (size_t i = 0; i < raw->npeers; i++) {
		const struct peer_raw *p = &raw->peers[i];
		if (p->name.v && raw->site.v && !strcmp(p->name.v, raw->site.v))
			schema_error(ctx, p->name.pos,
			             "peer '%s' has the name of this site",
			             Q(q, &p->name));
		check_ref(ctx, c, &p->export_name);
		check_ref(ctx, c, &p->import_name);
	}
	schema_check_unique(ctx, raw->peers, raw->npeers, sizeof(*raw->peers),
	                    offsetof(struct peer_raw, name), "peer");
	check_file(ctx, fc, POLICY_FILE_KEY, &raw->key);
	cross_check_dns(ctx, c, fc);
}

/* ------------------------------------------------------------------ building */

/* Rules into rs, which learns the file they are in: explanations name FILE:LINE. */
static void compile(struct schema_ctx *ctx, struct policy_ruleset *rs, const char *file,
                    const struct rule_raw *rules, size_t n)
{
	if (policy_ruleset_set_file(rs, file) < 0) {
		schema_set_oom(ctx);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		bool allow = rules[i].allow.pos.line != 0;
		const struct match_raw *m = allow ? &rules[i].allow : &rules[i].deny;
		struct policy_match pm = {
		    .service = m->service.v,
		    .instance = m->instance.v,
		    .host = m->host.v,
		    .address = m->cidr.af ? &m->cidr : NULL,
		};
		const char *why = NULL;
		int rc = policy_ruleset_add_at(rs, allow ? POLICY_ALLOW : POLICY_DENY,
		                               &pm, rules[i].pos.line, &why);
		if (rc == -ENOMEM) {
			schema_set_oom(ctx);
			return;
		}
		if (rc < 0)
			schema_error(ctx, m->pos, "invalid rule: %s",
			             why ? why : "cannot be compiled");
	}
}

/* A named set (shared) or an inline list compiled into a set of its own (*own). */
static struct policy_ruleset *rules_of(struct schema_ctx *ctx, struct policy_config *c,
                                       const struct schema_str *ref,
                                       const struct rule_raw *rules, size_t n, bool *own)
{
	*own = false;
	if (ref->v) {
		const struct set_index *e = find_set(c, ref->v);
		return e ? c->sets[e->idx] : NULL;
	}
	struct policy_ruleset *rs = policy_ruleset_new("inline");
	if (!rs) {
		schema_set_oom(ctx);
		return NULL;
	}
	*own = true;
	compile(ctx, rs, c->path, rules, n);
	return rs;
}

static struct dnssd_addrmap *build_map(struct schema_ctx *ctx, const struct addr_raw *a)
{
	struct dnssd_addrmap *map = dnssd_addrmap_new();
	if (!map) {
		schema_set_oom(ctx);
		return NULL;
	}
	for (size_t j = 0; j < a->nmap; j++) {
		int rc = dnssd_addrmap_add(map, &a->map[j].cfrom, &a->map[j].cto);
		if (rc == -ENOMEM) {
			schema_set_oom(ctx);
			break;
		}
		if (rc < 0)
			schema_error(ctx, a->map[j].to.pos, "cannot map '%s' to '%s'",
			             a->map[j].from.v, a->map[j].to.v);
	}
	return map;
}

static bool keep_ll(const struct addr_raw *a)
{
	return a->linklocal.v && !strcmp(a->linklocal.v, "keep");
}

static void build_dns(struct schema_ctx *ctx, struct policy_config *c)
{
	const struct dns_raw *d = &c->raw.dns;

	if (!d->pos.line)
		return;
	struct policy_dns *pd = c->dns = calloc(1, sizeof(*c->dns));
	if (!pd ||
	    (d->nimports && !(pd->imports = calloc(d->nimports, sizeof(*pd->imports))))) {
		schema_set_oom(ctx);
		return;
	}
	pd->raw = d;
	pd->keep_ll = keep_ll(&d->addr);
	pd->alg = !strcmp(d->algorithm.v, "hmac-sha512")   ? POLICY_TSIG_HMAC_SHA512
	          : !strcmp(d->algorithm.v, "hmac-sha384") ? POLICY_TSIG_HMAC_SHA384
	                                                   : POLICY_TSIG_HMAC_SHA256;
	pd->export = rules_of(ctx, c, &d->export_name, d->export_rules, d->nexport,
	                      &pd->own_export);
	pd->map = build_map(ctx, &d->addr);
	if (!pd->export || !pd->map)
		return;
	for (size_t i = 0; i < d->nimports; i++) {
		const struct dns_import_raw *im = &d->imports[i];
		struct policy_dns_import *pi = &pd->imports[i];
		pi->raw = im;
		pi->import = rules_of(ctx, c, &im->import_name, im->import_rules,
		                      im->nimport, &pi->own_import);
		if (!pi->import)
			return;
	}
}

static void build(struct schema_ctx *ctx, struct policy_config *c)
{
	struct config_raw *raw = &c->raw;

	if (raw->nsets) {
		c->sets = calloc(raw->nsets, sizeof(*c->sets));
		if (!c->sets) {
			schema_set_oom(ctx);
			return;
		}
	}
	for (size_t i = 0; i < raw->nsets; i++) {
		c->sets[i] = policy_ruleset_new(raw->sets[i].name.v);
		if (!c->sets[i]) {
			schema_set_oom(ctx);
			return;
		}
		compile(ctx, c->sets[i], c->path, raw->sets[i].rules,
		        raw->sets[i].nrules);
	}
	if (raw->npeers) {
		c->peers = calloc(raw->npeers, sizeof(*c->peers));
		if (!c->peers) {
			schema_set_oom(ctx);
			return;
		}
	}
	for (size_t i = 0; i < raw->npeers; i++) {
		const struct peer_raw *p = &raw->peers[i];
		struct policy_peer *pp = &c->peers[i];
		pp->raw = p;
		pp->keep_ll = keep_ll(&p->addr);
		pp->export = rules_of(ctx, c, &p->export_name, p->export_rules,
		                      p->nexport, &pp->own_export);
		pp->import = rules_of(ctx, c, &p->import_name, p->import_rules,
		                      p->nimport, &pp->own_import);
		pp->map = build_map(ctx, &p->addr);
		if (!pp->export || !pp->import || !pp->map)
			return;
	}
	build_dns(ctx, c);
}

/* ------------------------------------------------------------------ loading */

void policy_config_free(struct policy_config *c)
{
	if (!c)
		return;
	if (c->peers) {
		for (size_t i = 0; i < c->raw.npeers; i++) {
			if (c->peers[i].own_export)
				policy_ruleset_free(c->peers[i].export);
			if (c->peers[i].own_import)
				policy_ruleset_free(c->peers[i].import);
			dnssd_addrmap_free(c->peers[i].map);
		}
		free(c->peers);
	}
	if (c->dns) {
		if (c->dns->own_export)
			policy_ruleset_free(c->dns->export);
		dnssd_addrmap_free(c->dns->map);
		for (size_t i = 0; c->dns->imports && i < c->raw.dns.nimports; i++)
			if (c->dns->imports[i].own_import)
				policy_ruleset_free(c->dns->imports[i].import);
		free(c->dns->imports);
		free(c->dns);
	}
	if (c->sets) {
		for (size_t i = 0; i < c->raw.nsets; i++)
			policy_ruleset_free(c->sets[i]);
		free(c->sets);
	}
	free(c->index);
	schema_free(&config_root, &c->raw);
	free(c->path);
	free(c);
}

static int load(struct schema_ctx *ctx, const char *name, const char *buf, size_t len,
                const struct policy_file_check *fc, struct policy_config **out)
{
	struct schema_node *root = NULL;
	struct policy_config *c = calloc(1, sizeof(*c));
	int rc;

	if (!c || !(c->path = strdup(name))) {
		free(c);
		schema_set_oom(ctx);
		return -ENOMEM;
	}
	rc = schema_parse(ctx, buf, len, &root);
	if (rc == 0) {
		schema_load(ctx, &config_root, root, &c->raw);
		if (!schema_oom(ctx))
			cross_check(ctx, c, fc);
		if (!schema_nerrors(ctx) && !schema_oom(ctx))
			build(ctx, c);
	}
	schema_node_free(root);
	if (schema_oom(ctx))
		rc = -ENOMEM;
	else if (schema_nerrors(ctx))
		rc = -EINVAL;
	if (rc < 0)
		policy_config_free(c);
	else
		*out = c;
	return rc;
}

int policy_config_load_buffer_checked(const char *name, const char *buf, size_t len,
                                      const struct policy_file_check *fc,
                                      struct policy_config **out,
                                      struct policy_errors **errs)
{
	struct schema_ctx *ctx;
	int rc;

	*out = NULL;
	*errs = schema_errors_new();
	if (!*errs)
		return -ENOMEM;
	ctx = schema_ctx_new(name, *errs);
	if (!ctx)
		return -ENOMEM;
	rc = load(ctx, name, buf, len, fc, out);
	schema_finish(ctx);
	schema_ctx_free(ctx);
	return rc;
}

int policy_config_load_buffer(const char *name, const char *buf, size_t len,
                              struct policy_config **out, struct policy_errors **errs)
{
	return policy_config_load_buffer_checked(name, buf, len, NULL, out, errs);
}

/* The limit the daemon reads up to is the one the parser enforces. */
_Static_assert(POLICY_CONFIG_MAX_SIZE == SCHEMA_MAX_SIZE, "one configuration size limit");

int policy_config_file_error(const char *path, const char *why,
                             struct policy_errors **errs)
{
	struct schema_ctx *ctx;

	*errs = schema_errors_new();
	if (!*errs)
		return -ENOMEM;
	ctx = schema_ctx_new(path, *errs);
	if (!ctx)
		return -ENOMEM;
	schema_error(ctx, (struct schema_pos){1, 1}, "cannot read the file: %s", why);
	schema_finish(ctx);
	schema_ctx_free(ctx);
	return 0;
}

/* ------------------------------------------------------------------ accessors */

static const char *str_or_null(const struct schema_str *s)
{
	return s->v;
}

const char *policy_config_path(const struct policy_config *c)
{
	return c->path;
}

const char *policy_config_site(const struct policy_config *c)
{
	return c->raw.site.v;
}

size_t policy_config_ninterfaces(const struct policy_config *c)
{
	return c->raw.nifs;
}

const char *policy_config_interface(const struct policy_config *c, size_t i)
{
	return i < c->raw.nifs ? c->raw.ifs[i].v : NULL;
}

const char *policy_config_listen_host(const struct policy_config *c)
{
	return c->raw.listen_host[0] ? c->raw.listen_host : NULL;
}

uint16_t policy_config_listen_port(const struct policy_config *c)
{
	return c->raw.listen_host[0] ? c->raw.listen_port : 0;
}

const char *policy_config_key(const struct policy_config *c)
{
	return c->raw.key.v;
}

const char *policy_config_control(const struct policy_config *c)
{
	return c->raw.control.v;
}

const char *policy_config_user(const struct policy_config *c)
{
	return str_or_null(&c->raw.user);
}

const char *policy_config_host_suffix(const struct policy_config *c)
{
	return c->raw.host_suffix.v;
}

const char *policy_config_instance_suffix(const struct policy_config *c)
{
	return c->raw.inst_suffix.v;
}

uint32_t policy_config_max_records_per_peer(const struct policy_config *c)
{
	return c->raw.max_records;
}

uint32_t policy_config_queries_per_second(const struct policy_config *c)
{
	return c->raw.qps;
}

uint32_t policy_config_peer_grace(const struct policy_config *c)
{
	return c->raw.grace;
}

uint32_t policy_config_peer_timeout(const struct policy_config *c)
{
	return c->raw.peer_timeout;
}

uint32_t policy_config_lan_records_per_source(const struct policy_config *c)
{
	return c->raw.lan_per_source;
}

uint32_t policy_config_lan_records_total(const struct policy_config *c)
{
	return c->raw.lan_total;
}

bool policy_config_avahi_publish(const struct policy_config *c)
{
	return c->raw.publish;
}

bool policy_config_avahi_browse(const struct policy_config *c)
{
	return c->raw.browse;
}

size_t policy_config_npeers(const struct policy_config *c)
{
	return c->raw.npeers;
}

const struct policy_peer *policy_config_peer(const struct policy_config *c, size_t i)
{
	return i < c->raw.npeers ? &c->peers[i] : NULL;
}

const struct policy_peer *policy_config_peer_by_name(const struct policy_config *c,
                                                     const char *name)
{
	for (size_t i = 0; i < c->raw.npeers; i++)
		if (!strcmp(c->raw.peers[i].name.v, name))
			return &c->peers[i];
	return NULL;
}

const struct policy_ruleset *policy_config_ruleset(const struct policy_config *c,
                                                   const char *name)
{
	const struct set_index *e = find_set(c, name);
	return e ? c->sets[e->idx] : NULL;
}

const char *policy_peer_name(const struct policy_peer *p)
{
	return p->raw->name.v;
}

const char *policy_peer_connect_host(const struct policy_peer *p)
{
	return p->raw->host[0] ? p->raw->host : NULL;
}

uint16_t policy_peer_connect_port(const struct policy_peer *p)
{
	return p->raw->host[0] ? p->raw->port : 0;
}

size_t policy_peer_nfingerprints(const struct policy_peer *p)
{
	return p->raw->fingerprint.v ? 1 : p->raw->nfps;
}

const char *policy_peer_fingerprint_at(const struct policy_peer *p, size_t i)
{
	if (p->raw->fingerprint.v)
		return i == 0 ? p->raw->fingerprint.v : NULL;
	return i < p->raw->nfps ? p->raw->fps[i].v : NULL;
}

const char *policy_peer_fingerprint(const struct policy_peer *p)
{
	return policy_peer_fingerprint_at(p, 0);
}

bool policy_peer_fingerprint_accepted(const struct policy_peer *p, const char *fp)
{
	if (!fp)
		return false;
	for (size_t i = 0, n = policy_peer_nfingerprints(p); i < n; i++)
		if (!strcmp(policy_peer_fingerprint_at(p, i), fp))
			return true;
	return false;
}

const struct policy_ruleset *policy_peer_export(const struct policy_peer *p)
{
	return p->export;
}

const struct policy_ruleset *policy_peer_import(const struct policy_peer *p)
{
	return p->import;
}

const struct dnssd_addrmap *policy_peer_addrmap(const struct policy_peer *p)
{
	return p->map;
}

bool policy_peer_keep_linklocal(const struct policy_peer *p)
{
	return p->keep_ll;
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* The same set of fingerprints, in any order (the lists hold no duplicates). */
static bool same_fingerprints(const struct policy_peer *a, const struct policy_peer *b)
{
	size_t n = policy_peer_nfingerprints(a);
	if (n != policy_peer_nfingerprints(b))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!policy_peer_fingerprint_accepted(b,
		                                      policy_peer_fingerprint_at(a, i)))
			return false;
	return true;
}

bool policy_peer_link_equal(const struct policy_peer *a, const struct policy_peer *b)
{
	if (!a || !b)
		return a == b;
	return same(policy_peer_name(a), policy_peer_name(b)) &&
	       same(policy_peer_connect_host(a), policy_peer_connect_host(b)) &&
	       policy_peer_connect_port(a) == policy_peer_connect_port(b) &&
	       same_fingerprints(a, b);
}

/* ------------------------------------------------------------------ dns */

const struct policy_dns *policy_config_dns(const struct policy_config *c)
{
	return c->dns;
}

const char *policy_dns_server_host(const struct policy_dns *d)
{
	return d->raw->host;
}

uint16_t policy_dns_server_port(const struct policy_dns *d)
{
	return d->raw->port;
}

const char *policy_dns_zone(const struct policy_dns *d)
{
	return d->raw->zone_name;
}

const char *policy_dns_domain(const struct policy_dns *d)
{
	return d->raw->domain_name;
}

const char *policy_dns_tsig_name(const struct policy_dns *d)
{
	return d->raw->key_name;
}

enum policy_tsig_algorithm policy_dns_tsig_algorithm(const struct policy_dns *d)
{
	return d->alg;
}

const char *policy_dns_tsig_algorithm_name(const struct policy_dns *d)
{
	return d->raw->algorithm.v;
}

const char *policy_dns_tsig_secret_file(const struct policy_dns *d)
{
	return d->raw->secret_file.v;
}

const struct policy_ruleset *policy_dns_export(const struct policy_dns *d)
{
	return d->export;
}

const struct dnssd_addrmap *policy_dns_addrmap(const struct policy_dns *d)
{
	return d->map;
}

bool policy_dns_keep_linklocal(const struct policy_dns *d)
{
	return d->keep_ll;
}

uint32_t policy_dns_ttl(const struct policy_dns *d)
{
	return d->raw->ttl;
}

uint32_t policy_dns_poll(const struct policy_dns *d)
{
	return d->raw->poll;
}

size_t policy_dns_nimports(const struct policy_dns *d)
{
	return d->raw->nimports;
}

const struct policy_dns_import *policy_dns_import(const struct policy_dns *d, size_t i)
{
	return i < d->raw->nimports ? &d->imports[i] : NULL;
}

const struct policy_dns_import *policy_dns_import_by_site(const struct policy_dns *d,
                                                          const char *site)
{
	for (size_t i = 0; site && i < d->raw->nimports; i++)
		if (!strcmp(d->raw->imports[i].site.v, site))
			return &d->imports[i];
	return NULL;
}

const char *policy_dns_import_site(const struct policy_dns_import *im)
{
	return im->raw->site.v;
}

const char *policy_dns_import_domain(const struct policy_dns_import *im)
{
	return im->raw->name;
}

const struct policy_ruleset *policy_dns_import_rules(const struct policy_dns_import *im)
{
	return im->import;
}

bool policy_dns_server_equal(const struct policy_dns *a, const struct policy_dns *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a->raw->host, b->raw->host) && a->raw->port == b->raw->port &&
	       !strcmp(a->raw->zone_name, b->raw->zone_name) &&
	       !strcmp(a->raw->domain_name, b->raw->domain_name) &&
	       !strcmp(a->raw->key_name, b->raw->key_name) && a->alg == b->alg &&
	       !strcmp(a->raw->secret_file.v, b->raw->secret_file.v);
}
