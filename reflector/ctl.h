/*
 * ctl.h: the control socket that sitecastctl talks to.
 *
 * A Unix stream socket (mode 0600: only the daemon's user, and root, may ask).
 * A client sends one request line (ctl_req.h: "status", "status json",
 * "metrics", "services", "explain NAME") and reads the answer until the daemon
 * closes the connection. The text form is for people; the JSON form is one object with
 * the same content (see sitecastctl(8)); metrics is Prometheus text format. A request
 * that is malformed or too long is answered with one line "error: CAUSE".
 *
 * Ownership: ctl_new() allocates (ctl_free(), which also removes the socket
 * file). The configuration, lan, peer manager and proxy are the caller's and
 * must outlive the ctl (or be replaced with ctl_set_config()).
 */
#ifndef SITECAST_REFLECTOR_CTL_H
#define SITECAST_REFLECTOR_CTL_H

#include <sys/types.h>

struct event_base;
struct ctl;
struct lan;
struct peer_mgr;
struct proxy;
struct policy_config;

/* Bind path (replacing a stale socket file). NULL with a log line on failure. */
struct ctl *ctl_new(struct event_base *base, const char *path,
                    const struct policy_config *cfg, struct lan *lan,
                    struct peer_mgr *peers, struct proxy *proxy);
void ctl_set_config(struct ctl *c, const struct policy_config *cfg);
/* The wide-area domains whose state status shows (NULL: no dns section). */
struct wad;
void ctl_set_dns(struct ctl *c, const struct wad *w);
/*
 * Give the socket, and its directory when ctl_new() created it, to the user the
 * daemon is about to become, so that it can remove them at exit (root can connect
 * whatever the owner). 0 or a negative errno.
 */
int ctl_chown(struct ctl *c, uid_t uid, gid_t gid);
void ctl_free(struct ctl *c);

/*
 * The status report as text (json false) or JSON, in a buffer the caller frees.
 * NULL on ENOMEM. Exposed for tests.
 */
char *ctl_status(const struct ctl *c, int json);
/* The counters in Prometheus text exposition format; the same ownership. */
char *ctl_metrics(const struct ctl *c);
/*
 * Every service the gateway holds (`sitecastctl services`), text or JSON; the
 * same ownership. The keys of the JSON form are listed in sitecastctl(8).
 */
char *ctl_services(const struct ctl *c, int json);
/*
 * The decisions about one instance name (`sitecastctl explain`), text or JSON;
 * the same ownership. When no cache holds the name, or it is not an instance
 * name, the answer starts with a line "error: ..." (what the rules would decide
 * follows it for a name not held).
 */
char *ctl_explain(const struct ctl *c, const char *name, int json);

#endif
