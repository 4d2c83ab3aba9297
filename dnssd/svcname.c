/*
 * svcname.c: splitting, classifying and building DNS-SD service names.
 *
 * Everything works on the uncompressed wire form that ldns keeps in a dname
 * rdf, so an instance label is a byte string: a '.', a space or a UTF-8
 * sequence inside it needs no special care, and the hot path (classifying the
 * names of every record) never goes through presentation strings.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/name.h"
#include "dnssd/svcname.h"

#define MAX_WIRE 255
#define MAX_LABEL 63
/* A 255-byte name holds at most 127 one-byte labels. */
#define MAX_LABELS 128

/* Where the labels of a name lie, and what the name is. */
struct layout {
	enum dnssd_name_kind kind;
	const uint8_t *wire;
	unsigned n;              /* labels, not counting the root */
	uint8_t off[MAX_LABELS]; /* offset of each label's length byte */
	unsigned dom;            /* index of the first domain label */
	unsigned svc;            /* index of the service label (_ipp) */
};

static inline unsigned lab_len(const struct layout *lo, unsigned i)
{
	return lo->wire[lo->off[i]];
}

static inline const uint8_t *lab_data(const struct layout *lo, unsigned i)
{
	return lo->wire + lo->off[i] + 1;
}

/* Label i equals s (lower-case ASCII), ignoring ASCII case. */
static bool lab_is(const struct layout *lo, unsigned i, const char *s)
{
	size_t n = strlen(s);
	if (i >= lo->n || lab_len(lo, i) != n)
		return false;
	const uint8_t *d = lab_data(lo, i);
	for (size_t k = 0; k < n; k++)
		if (dnssd_lower(d[k]) != (uint8_t)s[k])
			return false;
	return true;
}

static bool lab_underscore(const struct layout *lo, unsigned i)
{
	return i < lo->n && lab_data(lo, i)[0] == '_';
}

static bool lab_is_proto(const struct layout *lo, unsigned i)
{
	return lab_is(lo, i, "_tcp") || lab_is(lo, i, "_udp");
}

static bool lab_has_byte(const struct layout *lo, unsigned i, uint8_t b)
{
	return memchr(lab_data(lo, i), b, lab_len(lo, i)) != NULL;
}

size_t dnssd_utf8_seq(const uint8_t *s, size_t n)
{
	if (n == 0)
		return 0;
	uint8_t c = s[0];
	size_t len;
	uint8_t lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if (s[k] < 0x80 || s[k] > 0xbf)
			return 0;
	return len;
}

/*
 * Presentation form of one label: '.' and '\' are escaped with a backslash,
 * control bytes, DEL and bytes that are not part of valid UTF-8 as \DDD;
 * spaces and UTF-8 text stay readable. With out NULL only the length is
 * computed.
 */
static size_t escape_label(char *out, const uint8_t *d, size_t n)
{
	size_t o = 0;
	for (size_t k = 0; k < n;) {
		uint8_t c = d[k];
		size_t seq = c >= 0x80 ? dnssd_utf8_seq(d + k, n - k) : 1;
		if (c == '.' || c == '\\') {
			if (out) {
				out[o] = '\\';
				out[o + 1] = (char)c;
			}
			o += 2;
			k++;
		} else if (c < 0x20 || c == 0x7f || seq == 0) {
			if (out) {
				out[o] = '\\';
				out[o + 1] = (char)('0' + c / 100);
				out[o + 2] = (char)('0' + c / 10 % 10);
				out[o + 3] = (char)('0' + c % 10);
			}
			o += 4;
			k++;
		} else {
			if (out)
				memcpy(out + o, d + k, seq);
			o += seq;
			k += seq;
		}
	}
	return o;
}

/* Presentation length of labels from..n-1, joined by dots, no trailing dot. */
static size_t domain_len(const struct layout *lo, unsigned from)
{
	size_t len = 0;
	for (unsigned i = from; i < lo->n; i++)
		len += escape_label(NULL, lab_data(lo, i), lab_len(lo, i)) + (i > from);
	return len;
}

/* Split wire into labels: 0, or -EINVAL when it is not a well-formed name. */
static int split(const uint8_t *wire, size_t size, struct layout *lo)
{
	size_t i = 0;

	if (!wire || size == 0 || size > MAX_WIRE)
		return -EINVAL;
	lo->wire = wire;
	lo->n = 0;
	for (;;) {
		if (i >= size)
			return -EINVAL;
		uint8_t l = wire[i];
		if (l == 0)
			return i + 1 == size ? 0 : -EINVAL;
		if (l > MAX_LABEL || i + 1 + l >= size)
			return -EINVAL;
		lo->off[lo->n++] = (uint8_t)i;
		i += 1 + (size_t)l;
	}
}

static enum dnssd_name_kind kind_of(struct layout *lo)
{
	unsigned n = lo->n;
	unsigned p;

	if (n >= 2 && lab_is(lo, n - 1, "arpa") &&
	    (lab_is(lo, n - 2, "in-addr") || lab_is(lo, n - 2, "ip6")))
		return DNSSD_NAME_REVERSE;

	/*
	 * The protocol label is the first _tcp/_udp at index 1 to 3 that
	 * follows an underscore label: what precedes it is the service label
	 * and possibly an instance or "subtype._sub", what follows the domain.
	 */
	for (p = 1; p <= 3 && p < n; p++)
		if (lab_is_proto(lo, p) && lab_underscore(lo, p - 1))
			break;
	if (p > 3 || p >= n) {
		if (n == 2 && lab_is(lo, 1, "local") && !lab_underscore(lo, 0) &&
		    !lab_has_byte(lo, 0, 0))
			return DNSSD_NAME_HOST;
		return DNSSD_NAME_OTHER;
	}
	lo->svc = p - 1;
	lo->dom = p + 1;
	if (domain_len(lo, lo->dom) >= sizeof(((struct dnssd_svcname *)0)->domain))
		return DNSSD_NAME_OTHER;
	/* _dns-sd._udp is the enumeration's, never a service of its own. */
	if (lab_is(lo, lo->svc, "_dns-sd") && lab_is(lo, p, "_udp"))
		return (p == 2 && lab_is(lo, 0, "_services")) ? DNSSD_NAME_ENUM
		                                              : DNSSD_NAME_OTHER;
	/* The service type becomes "svc.proto": no dot or NUL inside svc. */
	if (lab_has_byte(lo, lo->svc, '.') || lab_has_byte(lo, lo->svc, 0))
		return DNSSD_NAME_OTHER;
	switch (p) {
	case 1:
		return DNSSD_NAME_SERVICE_TYPE;
	case 2:
		return lab_has_byte(lo, 0, 0) ? DNSSD_NAME_OTHER : DNSSD_NAME_INSTANCE;
	default:
		if (!lab_is(lo, 1, "_sub") || lab_has_byte(lo, 0, 0))
			return DNSSD_NAME_OTHER;
		return DNSSD_NAME_SUBTYPE;
	}
}

static int layout_of(const ldns_rdf *name, struct layout *lo)
{
	if (!name || ldns_rdf_get_type(name) != LDNS_RDF_TYPE_DNAME)
		return -EINVAL;
	int rc = split(ldns_rdf_data(name), ldns_rdf_size(name), lo);
	if (rc < 0)
		return rc;
	lo->kind = kind_of(lo);
	return 0;
}

enum dnssd_name_kind dnssd_name_kind(const ldns_rdf *name)
{
	struct layout lo;
	if (layout_of(name, &lo) < 0)
		return DNSSD_NAME_OTHER;
	return lo.kind;
}

static void copy_label(char *dst, const struct layout *lo, unsigned i)
{
	memcpy(dst, lab_data(lo, i), lab_len(lo, i));
	dst[lab_len(lo, i)] = '\0';
}

static void copy_domain(char *dst, const struct layout *lo, unsigned from)
{
	size_t o = 0;
	for (unsigned i = from; i < lo->n; i++) {
		if (i > from)
			dst[o++] = '.';
		o += escape_label(dst + o, lab_data(lo, i), lab_len(lo, i));
	}
	dst[o] = '\0';
}

int dnssd_svcname_parse(const ldns_rdf *name, struct dnssd_svcname *out)
{
	struct layout lo;
	int rc = layout_of(name, &lo);
	if (rc < 0)
		return rc;

	out->kind = lo.kind;
	out->instance[0] = out->subtype[0] = out->service[0] = out->host[0] = '\0';
	out->domain[0] = '\0';
	out->instance_len = 0;

	switch (lo.kind) {
	case DNSSD_NAME_OTHER:
		return 0;
	case DNSSD_NAME_REVERSE:
		copy_domain(out->domain, &lo, lo.n - 2);
		return 0;
	case DNSSD_NAME_HOST:
		copy_label(out->host, &lo, 0);
		copy_domain(out->domain, &lo, 1);
		return 0;
	case DNSSD_NAME_INSTANCE:
		copy_label(out->instance, &lo, 0);
		out->instance_len = lab_len(&lo, 0);
		break;
	case DNSSD_NAME_SUBTYPE:
		copy_label(out->subtype, &lo, 0);
		break;
	case DNSSD_NAME_ENUM:
	case DNSSD_NAME_SERVICE_TYPE:
		break;
	}
	if (lo.kind != DNSSD_NAME_ENUM) {
		size_t sl = lab_len(&lo, lo.svc), pl = lab_len(&lo, lo.svc + 1);
		memcpy(out->service, lab_data(&lo, lo.svc), sl);
		out->service[sl] = '.';
		memcpy(out->service + sl + 1, lab_data(&lo, lo.svc + 1), pl);
		out->service[sl + 1 + pl] = '\0';
	}
	copy_domain(out->domain, &lo, lo.dom);
	return 0;
}

/* Building wire names. */
struct wbuf {
	uint8_t d[MAX_WIRE + 64];
	size_t len;
};

static int put_label(struct wbuf *b, const void *data, size_t n)
{
	if (n == 0 || n > MAX_LABEL)
		return -EINVAL;
	if (b->len + 1 + n > MAX_WIRE - 1)
		return -ENAMETOOLONG;
	b->d[b->len] = (uint8_t)n;
	memcpy(b->d + b->len + 1, data, n);
	b->len += 1 + n;
	return 0;
}

static int put_str(struct wbuf *b, const char *s)
{
	return put_label(b, s, strlen(s));
}

/* "_ipp._tcp": exactly two labels, no escapes. */
static int put_service(struct wbuf *b, const char *svc)
{
	const char *dot = strchr(svc, '.');
	if (!dot || strchr(dot + 1, '.'))
		return -EINVAL;
	int rc = put_label(b, svc, (size_t)(dot - svc));
	return rc < 0 ? rc : put_str(b, dot + 1);
}

/*
 * A domain in presentation form: labels separated by dots, "\X" for a
 * literal X and "\DDD" for a byte in decimal. "" and "." are the root; one
 * trailing dot is allowed.
 */
static int put_domain(struct wbuf *b, const char *s)
{
	uint8_t lab[MAX_LABEL + 1];
	size_t n = 0;

	if (strcmp(s, ".") == 0)
		return 0;
	while (*s) {
		unsigned c = (unsigned char)*s++;
		if (c == '.') {
			int rc = put_label(b, lab, n);
			if (rc < 0)
				return rc;
			n = 0;
			continue;
		}
		if (c == '\\') {
			if (s[0] >= '0' && s[0] <= '9') {
				if (!(s[1] >= '0' && s[1] <= '9' && s[2] >= '0' &&
				      s[2] <= '9'))
					return -EINVAL;
				c = (unsigned)(s[0] - '0') * 100 +
				    (unsigned)(s[1] - '0') * 10 + (unsigned)(s[2] - '0');
				if (c > 255)
					return -EINVAL;
				s += 3;
			} else if (*s) {
				c = (unsigned char)*s++;
			} else {
				return -EINVAL;
			}
		}
		if (n == MAX_LABEL)
			return -EINVAL;
		lab[n++] = (uint8_t)c;
	}
	return n ? put_label(b, lab, n) : 0;
}

int dnssd_svcname_build(const struct dnssd_svcname *sn, ldns_rdf **out)
{
	struct wbuf b = {.len = 0};
	int rc;

	switch (sn->kind) {
	case DNSSD_NAME_ENUM:
		rc = put_str(&b, "_services");
		if (rc == 0)
			rc = put_str(&b, "_dns-sd");
		if (rc == 0)
			rc = put_str(&b, "_udp");
		break;
	case DNSSD_NAME_SERVICE_TYPE:
		rc = put_service(&b, sn->service);
		break;
	case DNSSD_NAME_SUBTYPE:
		rc = put_str(&b, sn->subtype);
		if (rc == 0)
			rc = put_str(&b, "_sub");
		if (rc == 0)
			rc = put_service(&b, sn->service);
		break;
	case DNSSD_NAME_INSTANCE: {
		size_t n = sn->instance_len ? sn->instance_len
		                            : strnlen(sn->instance, sizeof(sn->instance));
		rc = n < sizeof(sn->instance) ? put_label(&b, sn->instance, n) : -EINVAL;
		if (rc == 0)
			rc = put_service(&b, sn->service);
		break;
	}
	case DNSSD_NAME_HOST:
		rc = put_str(&b, sn->host);
		break;
	default:
		return -EINVAL;
	}
	if (rc == 0)
		rc = put_domain(&b, sn->domain);
	if (rc < 0)
		return rc;
	b.d[b.len++] = 0;
	*out = ldns_dname_new_frm_data((uint16_t)b.len, b.d);
	return *out ? 0 : -ENOMEM;
}

char *dnssd_name_str(const ldns_rdf *name)
{
	struct layout lo;

	if (!name || ldns_rdf_get_type(name) != LDNS_RDF_TYPE_DNAME ||
	    split(ldns_rdf_data(name), ldns_rdf_size(name), &lo) < 0)
		return strdup("(invalid name)");
	if (lo.n == 0)
		return strdup(".");
	char *s = malloc(4 * MAX_WIRE + 2);
	if (!s)
		return NULL;
	size_t o = 0;
	for (unsigned i = 0; i < lo.n; i++) {
		o += escape_label(s + o, lab_data(&lo, i), lab_len(&lo, i));
		s[o++] = '.';
	}
	s[o] = '\0';
	return s;
}
