/*
 * rename.c: host and instance suffixes for records imported from other sites.
 *
 * This runs on every imported record, so it works on the wire form of names
 * only: the kind of a name comes from dnssd_name_kind(), and renaming
 * replaces the first label (the instance or host label) and copies the rest
 * of the wire bytes unchanged.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/name.h"
#include "dnssd/rename.h"
#include "dnssd/site.h"
#include "dnssd/svcname.h"

#define MAX_WIRE 255
#define MAX_LABEL 63
#define DEFAULT_HOST "-{site}"
#define DEFAULT_INST " ({site})"
#define PLACEHOLDER "{site}"
#define PLACEHOLDER_LEN (sizeof(PLACEHOLDER) - 1)
#define HOST_CHARS_MSG "a host suffix may only hold letters, digits, '-' and {site}"

struct dnssd_rename {
	char *tmpl[2]; /* [0] instance, [1] host */
};

/* Both suffixes expanded for one site. */
struct suffixes {
	uint8_t d[2][MAX_LABEL];
	size_t len[2];
};

int dnssd_rename_check_template(const char *tmpl, int is_host, const char **why)
{
	const char *msg = NULL;
	size_t longest = 0, i = 0, n;

	if (!tmpl)
		return 0;
	n = strlen(tmpl);
	while (i < n && !msg) {
		const uint8_t *p = (const uint8_t *)tmpl + i;
		if (p[0] == '{') {
			if (strncmp((const char *)p, PLACEHOLDER, PLACEHOLDER_LEN) != 0) {
				msg = "'{' must begin {site}, the only placeholder";
				break;
			}
			longest += DNSSD_SITE_MAX;
			i += PLACEHOLDER_LEN;
			continue;
		}
		if (is_host && !dnssd_is_ldh((uint8_t)p[0])) {
			msg = HOST_CHARS_MSG;
		} else if (p[0] < 0x20 || p[0] == 0x7f) {
			msg = "an instance suffix must not hold control characters";
		} else {
			size_t seq = dnssd_utf8_seq(p, n - i);
			if (seq == 0)
				msg = "an instance suffix must be valid UTF-8";
			longest += seq;
			i += seq;
		}
	}
	if (!msg && is_host && n > 0 && tmpl[n - 1] == '-')
		msg = "a host suffix must not end with '-'";
	if (!msg && longest >= MAX_LABEL)
		msg = "too long to leave room in a 63-byte label with a 32-character "
		      "site name";
	if (msg) {
		if (why)
			*why = msg;
		return -EINVAL;
	}
	return 0;
}

struct dnssd_rename *dnssd_rename_new(const char *host_tmpl, const char *inst_tmpl)
{
	if (!host_tmpl)
		host_tmpl = DEFAULT_HOST;
	if (!inst_tmpl)
		inst_tmpl = DEFAULT_INST;
	if (dnssd_rename_check_template(host_tmpl, 1, NULL) < 0 ||
	    dnssd_rename_check_template(inst_tmpl, 0, NULL) < 0) {
		errno = EINVAL;
		return NULL;
	}
	struct dnssd_rename *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->tmpl[0] = strdup(inst_tmpl);
	r->tmpl[1] = strdup(host_tmpl);
	if (!r->tmpl[0] || !r->tmpl[1]) {
		dnssd_rename_free(r);
		errno = ENOMEM;
		return NULL;
	}
	return r;
}

void dnssd_rename_free(struct dnssd_rename *r)
{
	if (!r)
		return;
	free(r->tmpl[0]);
	free(r->tmpl[1]);
	free(r);
}

/* Templates were checked: with a valid site, a suffix is at most 62 bytes. */
static void expand(const char *tmpl, const char *site, size_t site_len, uint8_t *out,
                   size_t *len)
{
	size_t o = 0;
	while (*tmpl) {
		if (*tmpl == '{') {
			memcpy(out + o, site, site_len);
			o += site_len;
			tmpl += PLACEHOLDER_LEN;
		} else {
			out[o++] = (uint8_t)*tmpl++;
		}
	}
	*len = o;
}

static int prepare(const struct dnssd_rename *r, const char *site, struct suffixes *sx)
{
	/* One byte past the longest name is enough to tell it is too long. */
	size_t sl = site ? strnlen(site, DNSSD_SITE_MAX + 1) : 0;
	if (!r || !dnssd_site_valid(site, sl))
		return -EINVAL;
	expand(r->tmpl[0], site, sl, sx->d[0], &sx->len[0]);
	expand(r->tmpl[1], site, sl, sx->d[1], &sx->len[1]);
	return 0;
}

/* Which suffix applies to a name: 0 instance, 1 host, -1 none. */
static int suffix_for(const ldns_rdf *name)
{
	switch (dnssd_name_kind(name)) {
	case DNSSD_NAME_INSTANCE:
		return 0;
	case DNSSD_NAME_HOST:
		return 1;
	default:
		return -1;
	}
}

/*
 * The longest prefix of s (n bytes) that ends on a character boundary and
 * is at most max bytes. Bytes that are not valid UTF-8 count as characters
 * of their own, so a label of any bytes can be cut.
 */
static size_t utf8_cut(const uint8_t *s, size_t n, size_t max)
{
	size_t i = 0;
	while (i < n) {
		size_t step = dnssd_utf8_seq(s + i, n - i);
		if (step == 0)
			step = 1;
		if (i + step > max)
			break;
		i += step;
	}
	return i;
}

/* A new dname: label, then suffix, then every label of name after its first. */
static int with_first_label(const ldns_rdf *name, const uint8_t *label, size_t len,
                            const uint8_t *suffix, size_t slen, ldns_rdf **out)
{
	const uint8_t *w = ldns_rdf_data(name);
	size_t size = ldns_rdf_size(name);
	size_t rest = 1 + (size_t)w[0];
	size_t total = 1 + len + slen + (size - rest);

	if (total > MAX_WIRE)
		return -ENAMETOOLONG;
	uint8_t *buf = malloc(total);
	if (!buf)
		return -ENOMEM;
	buf[0] = (uint8_t)(len + slen);
	memcpy(buf + 1, label, len);
	if (slen)
		memcpy(buf + 1 + len, suffix, slen);
	memcpy(buf + 1 + len + slen, w + rest, size - rest);
	*out = ldns_rdf_new(LDNS_RDF_TYPE_DNAME, total, buf);
	if (!*out) {
		free(buf);
		return -ENOMEM;
	}
	return 0;
}

/* Rename one name: 0 with *out NULL when it stays as it is. */
static int rename_one(const struct suffixes *sx, const ldns_rdf *name, ldns_rdf **out)
{
	int which = suffix_for(name);

	*out = NULL;
	if (which < 0 || sx->len[which] == 0)
		return 0;
	const uint8_t *w = ldns_rdf_data(name);
	size_t slen = sx->len[which];
	size_t keep = utf8_cut(w + 1, w[0], MAX_LABEL - slen);
	return with_first_label(name, w + 1, keep, sx->d[which], slen, out);
}

/* Real record types hold at most a few names (SOA, RP: two). */
#define MAX_RDATA_NAMES 8

int dnssd_rename_rr(const struct dnssd_rename *r, const char *site, ldns_rr *rr)
{
	struct suffixes sx;
	ldns_rdf *owner = NULL;
	struct {
		size_t pos;
		ldns_rdf *rdf;
	} rd[MAX_RDATA_NAMES];
	size_t nrd = 0;
	int rc;

	if (!rr || !ldns_rr_owner(rr) || prepare(r, site, &sx) < 0)
		return -EINVAL;
	if (dnssd_name_kind(ldns_rr_owner(rr)) == DNSSD_NAME_REVERSE)
		return -EINVAL;

	/* Everything is computed before anything is replaced: all or nothing. */
	rc = rename_one(&sx, ldns_rr_owner(rr), &owner);
	for (size_t i = 0; rc == 0 && i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		ldns_rdf *n = NULL;
		if (!f || ldns_rdf_get_type(f) != LDNS_RDF_TYPE_DNAME)
			continue;
		rc = rename_one(&sx, f, &n);
		if (!n)
			continue;
		if (nrd == MAX_RDATA_NAMES) {
			ldns_rdf_deep_free(n);
			rc = -EINVAL;
			break;
		}
		rd[nrd].pos = i;
		rd[nrd++].rdf = n;
	}
	if (rc < 0) {
		ldns_rdf_deep_free(owner);
		for (size_t i = 0; i < nrd; i++)
			ldns_rdf_deep_free(rd[i].rdf);
		return rc;
	}
	if (owner) {
		ldns_rdf_deep_free(ldns_rr_owner(rr));
		ldns_rr_set_owner(rr, owner);
	}
	for (size_t i = 0; i < nrd; i++)
		ldns_rdf_deep_free(ldns_rr_set_rdf(rr, rd[i].rdf, rd[i].pos));
	return 0;
}

static bool is_dname(const ldns_rdf *name)
{
	return name && ldns_rdf_get_type(name) == LDNS_RDF_TYPE_DNAME &&
	       ldns_rdf_size(name) > 0;
}

ldns_rdf *dnssd_rename_name(const struct dnssd_rename *r, const char *site,
                            const ldns_rdf *name)
{
	struct suffixes sx;
	ldns_rdf *out;

	if (!is_dname(name) || prepare(r, site, &sx) < 0) {
		errno = EINVAL;
		return NULL;
	}
	int rc = rename_one(&sx, name, &out);
	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	if (!out && !(out = ldns_rdf_clone(name)))
		errno = ENOMEM;
	return out;
}

static bool ends_with_ci(const uint8_t *s, size_t n, const uint8_t *suffix, size_t slen)
{
	if (n < slen)
		return false;
	s += n - slen;
	return dnssd_wire_eq(s, suffix, slen);
}

ldns_rdf *dnssd_unrename_name(const struct dnssd_rename *r, const char *site,
                              const ldns_rdf *name)
{
	struct suffixes sx;
	ldns_rdf *out = NULL;

	if (!is_dname(name) || prepare(r, site, &sx) < 0) {
		errno = EINVAL;
		return NULL;
	}
	int which = suffix_for(name);
	if (which < 0 || sx.len[which] == 0) {
		if (!(out = ldns_rdf_clone(name)))
			errno = ENOMEM;
		return out;
	}
	const uint8_t *w = ldns_rdf_data(name);
	size_t slen = sx.len[which];
	/* Something must be left of the original label. */
	if (w[0] <= slen || !ends_with_ci(w + 1, w[0], sx.d[which], slen)) {
		errno = ENOENT;
		return NULL;
	}
	int rc = with_first_label(name, w + 1, w[0] - slen, NULL, 0, &out);
	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	return out;
}
