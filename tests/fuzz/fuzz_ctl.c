/*
 * fuzz_ctl.c: libFuzzer target for the control socket's request parser.
 *
 * The input is what a client sent, cut at the daemon's buffer size as the socket
 * code does. The parser must either refuse it with a cause or accept a request
 * whose parts are what the line said: a known type, an argument inside the
 * buffer, and only printable ASCII in what was accepted but for the decoded
 * argument (%XX may give any byte but NUL). An argument encoded again with
 * ctl_req_encode() parses back to the same bytes.
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reflector/ctl_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[CTL_REQ_MAX + 1];
	size_t len = size < CTL_REQ_MAX ? size : CTL_REQ_MAX;
	struct ctl_req req;
	const char *err = NULL;

	memcpy(buf, data, len);
	int rc = ctl_req_parse(buf, len, &req, &err);
	if (rc < 0) {
		if (!err || !*err || (rc != -EINVAL && rc != -EMSGSIZE && rc != -ENOENT))
			abort();
		return 0;
	}
	if (err || (req.type != CTL_REQ_STATUS && req.type != CTL_REQ_METRICS &&
	            req.type != CTL_REQ_SERVICES && req.type != CTL_REQ_EXPLAIN))
		abort();
	if (req.json && req.type == CTL_REQ_METRICS)
		abort();
	if ((req.type == CTL_REQ_EXPLAIN) != (req.arg != NULL))
		abort();
	if (req.arg && (req.arg < buf || req.arg >= buf + len || !*req.arg))
		abort();
	/* What was accepted is one printable line, up to the argument. */
	for (const char *p = buf; *p && p != req.arg; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			abort();
	if (req.arg) {
		static char enc[CTL_REQ_MAX * 3 + 16], again[sizeof(enc)];
		char *arg = strdup(req.arg);
		if (!arg)
			abort();
		memcpy(enc, "explain ", 8);
		int n = ctl_req_encode(arg, enc + 8, sizeof(enc) - 8);
		if (n < 0)
			abort();
		struct ctl_req r2;
		memcpy(again, enc, (size_t)n + 9);
		if (ctl_req_parse(again, (size_t)n + 8, &r2, &err) == 0 &&
		    (r2.type != CTL_REQ_EXPLAIN || !r2.arg || strcmp(r2.arg, arg) != 0))
			abort();
		free(arg);
	}
	return 0;
}
