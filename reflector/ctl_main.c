/* ctl_main.c: sitecastctl, the administrator's command (see sitecastctl(8)). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "policy/config.h"
#include "reflector/ctl_req.h"
#include "reflector/tls.h"

static const char usage[] = "usage: sitecastctl keygen FILE\n"
                            "       sitecastctl fingerprint FILE\n"
                            "       sitecastctl [-s SOCKET] status [--json]\n"
                            "       sitecastctl [-s SOCKET] metrics\n"
                            "       sitecastctl [-s SOCKET] services [--json]\n"
                            "       sitecastctl [-s SOCKET] explain NAME [--json]\n";

/* Errors are one line naming the file and the cause; the exit status is 1. */
static int cmd_keygen(const char *path)
{
	char fp[TLS_FINGERPRINT_SIZE];
	int err = tls_keygen(path, fp, sizeof(fp));
	if (err) {
		fprintf(stderr, "sitecastctl: %s: %s\n", path, tls_strerror(err));
		return 1;
	}
	printf("%s\n", fp);
	return 0;
}

static int cmd_fingerprint(const char *path)
{
	char fp[TLS_FINGERPRINT_SIZE];
	int err = tls_fingerprint_of_file(path, fp, sizeof(fp));
	if (err) {
		fprintf(stderr, "sitecastctl: %s: %s\n", path, tls_strerror(err));
		return 1;
	}
	printf("%s\n", fp);
	return 0;
}

/*
 * Ask the daemon over its control socket and copy the answer to stdout. An
 * answer whose first line is "error: CAUSE" is an error: that line goes to
 * stderr as "sitecastctl: CAUSE", what follows it to stdout, and the exit
 * status is 1.
 */
static int cmd_ask(const char *path, const char *req)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "sitecastctl: %s: path too long\n", path);
		return 1;
	}
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		fprintf(stderr, "sitecastctl: %s: %s%s\n", path, strerror(e),
		        e == ENOENT || e == ECONNREFUSED ? " (is sitecastd running?)"
		                                         : "");
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "sitecastctl: %s: %s\n", path, strerror(errno));
		close(fd);
		return 1;
	}
	/* The whole answer first: its first line says whether it is an error. */
	char *ans = NULL;
	size_t total = 0, cap = 0;
	ssize_t n;
	for (;;) {
		if (cap - total < 4096) {
			char *na = realloc(ans, cap + 65536);
			if (!na) {
				fprintf(stderr, "sitecastctl: out of memory\n");
				free(ans);
				close(fd);
				return 1;
			}
			ans = na;
			cap += 65536;
		}
		n = read(fd, ans + total, cap - total);
		if (n <= 0)
			break;
		total += (size_t)n;
	}
	close(fd);
	if (n < 0 || total == 0) {
		fprintf(stderr, "sitecastctl: %s: no answer from sitecastd\n", path);
		free(ans);
		return 1;
	}
	int rc = 0;
	size_t off = 0;
	if (total >= 7 && strncmp(ans, "error: ", 7) == 0) {
		char *nl = memchr(ans, '\n', total);
		size_t end = nl ? (size_t)(nl - ans) : total;
		fprintf(stderr, "sitecastctl: %.*s\n", (int)(end - 7), ans + 7);
		off = nl ? end + 1 : total;
		rc = 1;
	}
	fwrite(ans + off, 1, total - off, stdout);
	free(ans);
	return rc;
}

/* explain NAME [--json]: NAME goes percent-encoded (ctl_req.h). */
static int cmd_explain(const char *sock, const char *name, int json)
{
	char enc[CTL_REQ_MAX], req[CTL_REQ_MAX + 16];
	if (!name[0] || ctl_req_encode(name, enc, sizeof(enc) - 16) < 0) {
		fprintf(stderr, "sitecastctl: explain: the name is %s\n",
		        name[0] ? "too long" : "empty");
		return 1;
	}
	snprintf(req, sizeof(req), "explain %s%s\n", enc, json ? " json" : "");
	return cmd_ask(sock, req);
}

int main(int argc, char **argv)
{
	const char *sock = POLICY_DEFAULT_CONTROL;
	if (argc >= 3 && !strcmp(argv[1], "-s")) {
		sock = argv[2];
		argv += 2;
		argc -= 2;
		if (argc < 2 ||
		    (strcmp(argv[1], "status") != 0 && strcmp(argv[1], "metrics") != 0 &&
		     strcmp(argv[1], "services") != 0 &&
		     strcmp(argv[1], "explain") != 0)) {
			fprintf(stderr,
			        "sitecastctl: -s goes with status, metrics, services or "
			        "explain\n%s",
			        usage);
			return 1;
		}
	}
	if (argc >= 2 && !strcmp(argv[1], "status")) {
		if (argc == 2)
			return cmd_ask(sock, "status\n");
		if (argc == 3 && !strcmp(argv[2], "--json"))
			return cmd_ask(sock, "status json\n");
		fprintf(stderr, "sitecastctl: status takes only --json\n%s", usage);
		return 1;
	}
	if (argc >= 2 && !strcmp(argv[1], "metrics")) {
		if (argc == 2)
			return cmd_ask(sock, "metrics\n");
		fprintf(stderr, "sitecastctl: metrics takes no argument\n%s", usage);
		return 1;
	}
	if (argc >= 2 && !strcmp(argv[1], "services")) {
		if (argc == 2)
			return cmd_ask(sock, "services\n");
		if (argc == 3 && !strcmp(argv[2], "--json"))
			return cmd_ask(sock, "services json\n");
		fprintf(stderr, "sitecastctl: services takes only --json\n%s", usage);
		return 1;
	}
	if (argc >= 2 && !strcmp(argv[1], "explain")) {
		if (argc == 3 && strcmp(argv[2], "--json") != 0)
			return cmd_explain(sock, argv[2], 0);
		if (argc == 4 && !strcmp(argv[3], "--json"))
			return cmd_explain(sock, argv[2], 1);
		if (argc == 4 && !strcmp(argv[2], "--json"))
			return cmd_explain(sock, argv[3], 1);
		fprintf(stderr,
		        "sitecastctl: explain takes one NAME, such as \"Printer "
		        "A._ipp._tcp.local\" (quoted), and --json\n%s",
		        usage);
		return 1;
	}
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc < 2) {
		fputs(usage, stderr);
		return 1;
	}
	const char *cmd = argv[1];
	int (*fn)(const char *) = NULL;
	if (!strcmp(cmd, "keygen"))
		fn = cmd_keygen;
	else if (!strcmp(cmd, "fingerprint"))
		fn = cmd_fingerprint;
	if (!fn) {
		fprintf(stderr, "sitecastctl: unknown command '%s'\n%s", cmd, usage);
		return 1;
	}
	if (argc != 3) {
		fprintf(stderr, "sitecastctl: %s needs exactly one FILE\n%s", cmd, usage);
		return 1;
	}
	return fn(argv[2]);
}
