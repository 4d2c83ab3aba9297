/*
 * ctl_req.h: the control socket's request line, parsed without I/O.
 *
 * A request is one line of printable ASCII ending in "\n" (or the end of what the
 * client sent): a command word, then optional words separated by single spaces:
 *
 *   status [json]        the status report, text or JSON
 *   metrics              the counters in Prometheus text exposition format
 *   services [json]      every service held, with the decisions about it
 *   explain NAME [json]  the decisions about one instance name
 *
 * NAME is percent-encoded: every byte that is not printable ASCII, and the
 * space and '%' themselves, as %XX (two hex digits), so that a name with
 * spaces or UTF-8 ("Caf%C3%A9%20A._ipp._tcp.local") is one word. %00 is
 * refused. ctl_req_encode() writes that form.
 *
 * The table in ctl_req.c lists the commands with the number of arguments and the
 * options each takes, so a new one is one more entry.
 *
 * Ownership: ctl_req_parse() fills a caller's struct whose arg points into the
 * caller's buffer (valid as long as that buffer is); nothing is allocated.
 */
#ifndef SITECAST_REFLECTOR_CTL_REQ_H
#define SITECAST_REFLECTOR_CTL_REQ_H

#include <stddef.h>

/* The longest request line, its "\n" included; longer ones are refused. */
#define CTL_REQ_MAX 512

enum ctl_req_type {
	CTL_REQ_STATUS,
	CTL_REQ_METRICS,
	CTL_REQ_SERVICES,
	CTL_REQ_EXPLAIN,
};

struct ctl_req {
	enum ctl_req_type type;
	int json;        /* the "json" option was given */
	const char *arg; /* the command's argument, decoded, NUL-terminated, or NULL */
};

/*
 * Parse buf[0..len) in place (the line end and the separators become NULs; buf
 * must have room for len + 1 bytes). 0 on success; otherwise a negative errno
 * and *err names the cause in a static string for the error reply:
 * -EMSGSIZE the line is longer than CTL_REQ_MAX, -EINVAL malformed (control or
 * non-ASCII bytes, empty, bad spacing, wrong number of arguments, unknown option),
 * -ENOENT unknown command. A bad %XX in an argument is -EINVAL.
 */
int ctl_req_parse(char *buf, size_t len, struct ctl_req *req, const char **err);

/*
 * The percent-encoded form of s (see above) into out (size bytes, NUL included):
 * the length written, or -ENAMETOOLONG when it does not fit.
 */
int ctl_req_encode(const char *s, char *out, size_t size);

#endif
