/*
 * fuzz_ctl.c: libFuzzer target for the control socket's request parser.
 *
 * The input is what a client sent, cut at the daemon's buffer size as the socket
 * code does. The parser must either refuse it with a cause or accept a request
 * whose parts are what the line said: a known type, an argument inside the
 * buffer, and only printable ASCII in what was accepted.
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
	if (err || (req.type != CTL_REQ_STATUS && req.type != CTL_REQ_METRICS))
		abort();
	if (req.json && req.type != CTL_REQ_STATUS)
		abort();
	if (req.arg && (req.arg < buf || req.arg >= buf + len))
		abort();
	/* What was accepted is one printable line. */
	for (const char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			abort();
	return 0;
}
