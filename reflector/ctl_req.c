/* ctl_req.c: the control socket's request parser (see ctl_req.h). */
#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "reflector/ctl_req.h"

#define CTL_REQ_WORDS 4

static const struct {
	const char *name;
	enum ctl_req_type type;
	unsigned nargs;      /* required arguments before the options */
	unsigned json_allow; /* the "json" option is accepted */
} ctl_req_table[] = {
    {"status", CTL_REQ_STATUS, 0, 1},
    {"metrics", CTL_REQ_METRICS, 0, 0},
    {"services", CTL_REQ_SERVICES, 0, 1},
    {"explain", CTL_REQ_EXPLAIN, 1, 1},
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode %XX in place; the result is never longer. -EINVAL for a bad escape or %00. */
static int pct_decode(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (*s != '%') {
			*o++ = *s;
			continue;
		}
		int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);
		if (lo < 0 || (hi == 0 && lo == 0))
			return -EINVAL;
		*o++ = (char)(hi << 4 | lo);
		s += 2;
	}
	*o = '\0';
	return 0;
}

int ctl_req_encode(const char *s, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		bool plain = ch > 0x20 && ch < 0x7f && ch != '%';
		if (n + (plain ? 1 : 3) >= size)
			return -ENAMETOOLONG;
		if (plain) {
			out[n++] = (char)ch;
		} else {
			out[n++] = '%';
			out[n++] = hex[ch >> 4];
			out[n++] = hex[ch & 15];
		}
	}
	if (n >= size)
		return -ENAMETOOLONG;
	out[n] = '\0';
	return (int)n;
}

int ctl_req_parse(char *buf, size_t len, struct ctl_req *req, const char **err)
{
	char *w[CTL_REQ_WORDS];
	size_t nw = 0, i;

	memset(req, 0, sizeof(*req));
	if (len > CTL_REQ_MAX) {
		*err = "request too large";
		return -EMSGSIZE;
	}
	/* One line: what follows a "\n" is ignored (a client sends nothing after it). */
	for (i = 0; i < len && buf[i] != '\n'; i++)
		;
	if (i == len && len == CTL_REQ_MAX) {
		*err = "request too large";
		return -EMSGSIZE;
	}
	len = i;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	if (len == 0) {
		*err = "empty request";
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)buf[i];
		if (ch < 0x20 || ch > 0x7e) {
			*err = "request has a control or non-ASCII byte";
			return -EINVAL;
		}
	}
	/* Words separated by exactly one space, none leading or trailing. */
	char *p = buf;
	for (;;) {
		if (*p == ' ' || *p == '\0') {
			*err = "malformed request (spacing)";
			return -EINVAL;
		}
		if (nw == CTL_REQ_WORDS) {
			*err = "too many words in request";
			return -EINVAL;
		}
		w[nw++] = p;
		p = strchr(p, ' ');
		if (!p)
			break;
		*p++ = '\0';
	}
	for (i = 0; i < sizeof(ctl_req_table) / sizeof(ctl_req_table[0]); i++)
		if (strcmp(w[0], ctl_req_table[i].name) == 0)
			break;
	if (i == sizeof(ctl_req_table) / sizeof(ctl_req_table[0])) {
		*err = "unknown request";
		return -ENOENT;
	}
	if (nw - 1 < ctl_req_table[i].nargs) {
		*err = "missing argument";
		return -EINVAL;
	}
	req->type = ctl_req_table[i].type;
	if (ctl_req_table[i].nargs) {
		if (pct_decode(w[1]) < 0) {
			*err = "malformed %XX escape in argument";
			return -EINVAL;
		}
		req->arg = w[1];
	}
	for (size_t k = 1 + ctl_req_table[i].nargs; k < nw; k++) {
		if (ctl_req_table[i].json_allow && strcmp(w[k], "json") == 0 &&
		    !req->json) {
			req->json = 1;
			continue;
		}
		*err = "unknown option";
		return -EINVAL;
	}
	*err = NULL;
	return 0;
}
