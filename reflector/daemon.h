/*
 * daemon.h: what sitecastd's main() hands to the running daemon.
 *
 * main() parses the command line and loads the configuration (and alone
 * handles -n); daemon_run() does everything after that: sockets, peer links,
 * the event loop, SIGHUP reloads, until SIGTERM or a fatal start-up error.
 *
 * Ownership: daemon_run() takes cfg and frees it (and any configuration it
 * loads on reload) before it returns; opt stays the caller's.
 */
#ifndef SITECAST_DAEMON_H
#define SITECAST_DAEMON_H

#include <stdbool.h>

#include "policy/config.h"

struct options {
	const char *config_path; /* -c, or the default under sysconfdir */
	bool check_only;         /* -n */
	bool foreground;         /* -f */
	int verbose;             /* number of -v */
};

/* Run until asked to stop. Returns the process exit status (0 or 1). */
int daemon_run(struct policy_config *cfg, const struct options *opt);

#endif
