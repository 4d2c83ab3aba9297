/*
 * daemon.c: the running daemon (see daemon.h).
 *
 * Wires the I/O modules to the proxy engine on one libevent loop:
 *   lan (mDNS sockets)  --datagrams-->  proxy  --records-->  peer_mgr (TLS links)
 *   peer_mgr            --records--->   proxy  --datagrams-> lan
 *   avh (avahi.browse)  --services-->   proxy  --services--> avh (avahi.publish)
 * The engine never reads the clock or touches a socket; this file gives it the
 * monotonic time, runs it when its deadline comes, and translates between the
 * engine's peer numbers (index in the configuration) and the peer manager's ids.
 */
#include <config.h>

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "dnssd/svcname.h"
#include "policy/config.h"
#include "reflector/avahi.h"
#include "reflector/cfgfile.h"
#include "reflector/ctl.h"
#include "reflector/daemon.h"
#include "reflector/lan.h"
#include "reflector/log.h"
#include "reflector/peer.h"
#include "engine/proxy.h"
#include "reflector/tls.h"
#include "reflector/wadomain.h"
#include "reflector/mono.h"

struct daemon {
	struct event_base *base;
	struct policy_config *cfg;
	const struct options *opt;
	SSL_CTX *tls;
	struct lan *lan;
	struct peer_mgr *peers;
	struct proxy *proxy;
	struct ctl *ctl;
	struct avh *avh;             /* avahi.publish or avahi.browse */
	struct wad *wad;             /* wide-area DNS-SD (dns), NULL without it */
	struct cfgfile_secret *tsig; /* its TSIG secret as last read */
	bool avahi_publish;
	struct event *timer;
	struct event *sighup, *sigterm, *sigint;
	uint64_t deadline; /* when the timer is set to fire, UINT64_MAX if not */
	int exit_status;
	/* user: of the configuration, looked up before anything is bound */
	bool drop;
	uid_t uid;
	gid_t gid;
	char *user;
	/* -c made absolute: the daemon leaves its working directory when it forks */
	char *config_path;
	/* engine remote id <-> peer manager id (remote_map_build) */
	unsigned *mgr_of_remote, *remote_of_mgr;
	size_t nremote, nmgr;
	/* service lines: SVC_LOG_PER_S a second, the rest counted */
	struct log_limit svc_log;
};

/* A LAN host announcing thousands of services must not flood the log. */
#define SVC_LOG_PER_S 20

/*
 * A peer link is one remote of the engine (engine/remote.h), known there by its
 * configuration index, and one link of the peer manager, known there by its
 * manager id. The two tables below translate between them in one step; they are
 * built again whenever the configuration or the manager's peers change.
 */
static int remote_map_build(struct daemon *d, const struct policy_config *cfg)
{
	size_t n = policy_config_npeers(cfg), nmgr = 1;
	unsigned *mgr_of = calloc(n ? n : 1, sizeof(*mgr_of));
	unsigned *remote_of = NULL;

	if (!mgr_of)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		mgr_of[i] = peer_mgr_find(d->peers, policy_peer_name(policy_config_peer(cfg, i)));
		if (mgr_of[i] >= nmgr)
			nmgr = (size_t)mgr_of[i] + 1;
	}
	if (!(remote_of = calloc(nmgr, sizeof(*remote_of)))) {
		free(mgr_of);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		if (mgr_of[i])
			remote_of[mgr_of[i]] = (unsigned)i + 1;
	free(d->mgr_of_remote);
	free(d->remote_of_mgr);
	d->mgr_of_remote = mgr_of;
	d->nremote = n;
	d->remote_of_mgr = remote_of;
	d->nmgr = nmgr;
	return 0;
}

/* The engine's remote id of manager id, or -1 (not a peer of the configuration). */
static int remote_of_mgr(const struct daemon *d, unsigned id)
{
	return id < d->nmgr && d->remote_of_mgr[id] ? (int)d->remote_of_mgr[id] - 1 : -1;
}

/* The manager id of the engine's remote id, or 0. */
static unsigned mgr_of_remote(const struct daemon *d, unsigned remote)
{
	return remote < d->nremote ? d->mgr_of_remote[remote] : 0;
}

/* Say how many service lines were left out, once their second is over. */
static void svc_log_summary(uint64_t quiet)
{
	if (quiet)
		log_debug("%" PRIu64
		          " more services crossed the links in that second (%d "
		          "logged a second at most)",
		          quiet, SVC_LOG_PER_S);
}

/* Run the engine's due work and re-arm the timer for its next deadline. */
static void run_engine(struct daemon *d)
{
	uint64_t now = mono_ms();
	uint64_t next = proxy_run(d->proxy, now);

	svc_log_summary(log_limit_flush(&d->svc_log));

	if (next == d->deadline && evtimer_pending(d->timer, NULL))
		return;
	d->deadline = next;
	evtimer_del(d->timer);
	if (next == UINT64_MAX)
		return;
	mono_arm(d->timer, next > now ? next - now : 0);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	(void)fd;
	(void)what;
	d->deadline = UINT64_MAX;
	run_engine(d);
}

/* ---- proxy I/O ---- */

static int io_lan_send(void *arg, unsigned ifindex, int af, const struct sockaddr *dst,
                       const uint8_t *buf, size_t len)
{
	struct daemon *d = arg;
	return lan_send(d->lan, (int)ifindex, af, dst, buf, len);
}

static size_t io_lan_mtu(void *arg, unsigned ifindex, int af)
{
	struct daemon *d = arg;
	int mtu = lan_mtu(d->lan, (int)ifindex, af);
	return mtu > 0 ? (size_t)mtu : 0;
}

static int io_peer_records(void *arg, unsigned peer, const char *origin, unsigned hops,
                           const ldns_rr *const *rrs, size_t n)
{
	struct daemon *d = arg;
	unsigned id = mgr_of_remote(d, peer);
	if (!id)
		return -ENOENT;
	return peer_send_records(d->peers, id, origin, hops, rrs, n);
}

static int io_peer_questions(void *arg, unsigned peer, const ldns_rr *const *qs, size_t n)
{
	struct daemon *d = arg;
	unsigned id = mgr_of_remote(d, peer);
	if (!id)
		return -ENOENT;
	return peer_send_questions(d->peers, id, qs, n);
}

/* Services crossing a link, at -v: "Printer A" (_ipp._tcp) exported to brooklyn. */
static void io_service_event(void *arg, unsigned peer, enum proxy_service_event ev,
                             const ldns_rdf *instance)
{
	struct daemon *d = arg;
	struct dnssd_svcname sn;
	static const char *const what[][2] = {
	    [PROXY_SVC_EXPORTED] = {"exported to", ""},
	    [PROXY_SVC_UNEXPORTED] = {"withdrawn from", " (goodbye sent)"},
	    [PROXY_SVC_IMPORTED] = {"imported from", ""},
	    [PROXY_SVC_UNIMPORTED] = {"withdrawn by", " (goodbye received)"},
	};

	if (peer >= policy_config_npeers(d->cfg) ||
	    dnssd_svcname_parse(instance, &sn) < 0 || sn.kind != DNSSD_NAME_INSTANCE)
		return;
	uint64_t quiet = 0;
	enum log_limit_verdict v = log_limit_pass(&d->svc_log, &quiet);
	svc_log_summary(quiet);
	if (v == LOG_LIMIT_QUIET)
		return;
	/* The label is any UTF-8 a responder chose: keep control bytes out of the log. */
	log_clean(sn.instance, LOG_CLEAN_CONTROL);
	log_debug("service \"%s\" (%s) %s %s%s", sn.instance, sn.service, what[ev][0],
	          policy_peer_name(policy_config_peer(d->cfg, peer)), what[ev][1]);
}

/* ---- Avahi (avahi.publish, avahi.browse) ---- */

static int io_service_set(void *arg, const char *key, const struct dnssd_service *svc)
{
	struct daemon *d = arg;
	int rc = avh_service_set(d->avh, key, svc);
	if (rc < 0)
		log_warnx("avahi: cannot publish %s: %s", key, strerror(-rc));
	return rc;
}

static int io_service_remove(void *arg, const char *key)
{
	struct daemon *d = arg;
	return avh_service_remove(d->avh, key);
}

/* Without avahi-daemon, the engine announces and answers for what was imported. */
static void on_avahi_running(void *arg, int running)
{
	struct daemon *d = arg;
	if (!d->avahi_publish)
		return;
	proxy_set_external(d->proxy, running != 0, mono_ms());
	if (!running)
		log_info("imported services are announced by sitecastd until "
		         "avahi-daemon returns");
	run_engine(d);
}

/*
 * Avahi renamed an imported service or the address records of an imported host on
 * a collision: the engine follows. It may come from within io_service_set (a local
 * service holds the name already), that is from within the engine: the engine's
 * rename calls only note the name, nothing is run here.
 */
typedef int engine_rename_fn(struct proxy *p, const char *from, const char *name,
                             uint64_t now_ms);

static void avahi_renamed(struct daemon *d, engine_rename_fn *fn, const char *what,
                          const char *from, const char *name)
{
	int rc = fn(d->proxy, from, name, mono_ms());
	if (rc < 0)
		log_warnx("avahi: rename of %s%s to \"%s\" not taken: %s", what, from, name,
		          strerror(-rc));
}

static void on_avahi_renamed(void *arg, const char *key, const char *name)
{
	avahi_renamed(arg, proxy_service_renamed, "", key, name);
}

static void on_avahi_host_renamed(void *arg, const char *host, const char *name)
{
	avahi_renamed(arg, proxy_host_renamed, "host ", host, name);
}

/* What Avahi's browsers find joins what is heard on the LAN, on the interfaces
 * served (the gateway's own services are found there too). */
static void on_avahi_found(void *arg, const struct avh_found *f)
{
	struct daemon *d = arg;

	if (f->ifindex <= 0)
		return;
	/* Every TXT string is handed on; what the engine cannot take it refuses. */
	int rc = proxy_local_service(d->proxy, (unsigned)f->ifindex, &f->svc,
	                             f->event == AVH_REMOVED, mono_ms());
	if (rc < 0 && rc != -ENOENT)
		log_debug("avahi: service \"%s\" (%s) not taken: %s", f->svc.name,
		          f->svc.type, strerror(-rc));
	run_engine(d);
}

static int start_avahi(struct daemon *d, const struct policy_config *cfg)
{
	struct avh_callbacks cbs = {.running = on_avahi_running,
	                            .renamed = on_avahi_renamed,
	                            .host_renamed = on_avahi_host_renamed};

	if (!policy_config_avahi_publish(cfg) && !policy_config_avahi_browse(cfg))
		return 0;
	d->avahi_publish = policy_config_avahi_publish(cfg);
	d->avh = avh_new(d->base, &cbs, d);
	if (!d->avh) {
		log_warnx("cannot start the Avahi client: out of memory");
		return -1;
	}
	if (policy_config_avahi_browse(cfg))
		avh_browse_start(d->avh, on_avahi_found);
	return 0;
}

/* ---- LAN events ---- */

static void on_lan_packet(void *arg, const struct lan_pkt *pkt)
{
	struct daemon *d = arg;
	proxy_lan_input(d->proxy, (unsigned)pkt->ifindex,
	                (const struct sockaddr *)&pkt->src, pkt->multicast != 0,
	                pkt->data, pkt->len, mono_ms());
	run_engine(d);
}

static void on_lan_iface(void *arg, int ifindex, const char *name, int up)
{
	struct daemon *d = arg;
	if (up) {
		int rc = proxy_add_interface(d->proxy, (unsigned)ifindex, name, mono_ms());
		if (rc < 0 && rc != -EEXIST)
			log_warnx("interface %s: cannot serve it: %s", name,
			          strerror(-rc));
		else
			log_info("interface %s (index %d) up", name, ifindex);
	} else {
		proxy_remove_interface(d->proxy, (unsigned)ifindex);
		log_info("interface %s (index %d) down", name, ifindex);
	}
	run_engine(d);
}

static void add_present_iface(void *arg, int ifindex, const char *name, int up)
{
	if (ifindex > 0 && up)
		on_lan_iface(arg, ifindex, name, 1);
}

/* ---- peer events ---- */

static void on_peer_up(void *arg, unsigned id, const char *name)
{
	struct daemon *d = arg;
	int i = remote_of_mgr(d, id);
	(void)name;
	if (i < 0)
		return;
	proxy_peer_up(d->proxy, (unsigned)i, mono_ms());
	run_engine(d);
}

static void on_peer_down(void *arg, unsigned id, const char *name, const char *reason)
{
	struct daemon *d = arg;
	int i = remote_of_mgr(d, id);
	(void)name;
	(void)reason;
	if (i < 0)
		return;
	proxy_peer_down(d->proxy, (unsigned)i, mono_ms());
	run_engine(d);
}

static void on_peer_records(void *arg, unsigned id, const char *origin, unsigned hops,
                            ldns_rr **rrs, size_t n)
{
	struct daemon *d = arg;
	int i = remote_of_mgr(d, id);
	if (i < 0)
		return;
	proxy_peer_records(d->proxy, (unsigned)i, origin, hops, rrs, n, mono_ms());
	run_engine(d);
}

/* A withdrawal is a goodbye for each record: the engine handles TTL 0 as such. */
static void on_peer_withdraw(void *arg, unsigned id, const char *origin, ldns_rr **rrs,
                             size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rrs[i])
			ldns_rr_set_ttl(rrs[i], 0);
	on_peer_records(arg, id, origin, 0, rrs, n);
}

static void on_peer_questions(void *arg, unsigned id, ldns_rr **qs, size_t n)
{
	struct daemon *d = arg;
	int i = remote_of_mgr(d, id);
	if (i < 0)
		return;
	proxy_peer_questions(d->proxy, (unsigned)i, qs, n, mono_ms());
	run_engine(d);
}

/* ---- start, reload, stop ---- */

static int start_listener(struct daemon *d, const struct policy_config *cfg)
{
	const char *host = policy_config_listen_host(cfg);
	if (!host) {
		peer_mgr_unlisten(d->peers);
		return 0;
	}
	int rc = peer_mgr_listen(d->peers, host, policy_config_listen_port(cfg));
	if (rc < 0) {
		bool v6 = strchr(host, ':') != NULL;
		log_warnx("cannot listen on %s%s%s:%u: %s", v6 ? "[" : "", host,
		          v6 ? "]" : "", policy_config_listen_port(cfg), strerror(-rc));
	}
	return rc;
}

static bool same_str(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * limits.peer-timeout: a link silent that long is declared dead; keepalives go
 * every third of it, so that a lost keepalive does not drop a live link.
 */
static void apply_peer_timeout(struct daemon *d, const struct policy_config *cfg)
{
	struct peer_tuning t;
	peer_mgr_get_tuning(d->peers, &t);
	t.dead_ms = policy_config_peer_timeout(cfg) * 1000u;
	t.keepalive_ms = t.dead_ms / 3;
	peer_mgr_set_tuning(d->peers, &t);
}

static void wad_run(void *arg)
{
	run_engine(arg);
}

/* Read dns.tsig.secret-file of cfg into a new buffer; NULL (logged) when it cannot. */
static struct cfgfile_secret *read_tsig(const struct policy_config *cfg)
{
	const char *path = policy_dns_tsig_secret_file(policy_config_dns(cfg));
	struct cfgfile_secret *s = calloc(1, sizeof(*s));
	char why[256];
	if (!s) {
		log_warnx("dns: out of memory");
		return NULL;
	}
	int rc = cfgfile_read_tsig_secret(path, s, why, sizeof(why));
	if (rc < 0) {
		log_warnx("dns: cannot read the TSIG secret file %s: %s", path, why);
		explicit_bzero(s, sizeof(*s));
		free(s);
		return NULL;
	}
	return s;
}

static void free_tsig(struct cfgfile_secret *s)
{
	if (s) {
		explicit_bzero(s, sizeof(*s));
		free(s);
	}
}

/* Wide-area DNS-SD for cfg: started, kept with new settings, re-made or stopped. */
static int apply_dns(struct daemon *d, const struct policy_config *cfg,
                     struct cfgfile_secret *tsig)
{
	const struct policy_dns *nd = policy_config_dns(cfg);
	if (d->wad && nd && tsig && d->tsig && strcmp(tsig->b64, d->tsig->b64) == 0 &&
	    policy_dns_server_equal(policy_config_dns(d->cfg), nd)) {
		free_tsig(tsig);
		return wad_reconfigure(d->wad, cfg);
	}
	if (d->ctl)
		ctl_set_dns(d->ctl, NULL);
	wad_free(d->wad);
	d->wad = NULL;
	free_tsig(d->tsig);
	d->tsig = NULL;
	if (!nd)
		return 0;
	d->tsig = tsig;
	d->wad = wad_new(d->base, d->proxy, cfg, tsig, wad_run, d);
	if (!d->wad) {
		log_warnx("dns: cannot start: %s", strerror(errno));
		return -1;
	}
	if (d->ctl)
		ctl_set_dns(d->ctl, d->wad);
	log_info("dns: publishing into %s and importing %zu domain(s) through %s:%u",
	         policy_dns_domain(nd), policy_dns_nimports(nd),
	         policy_dns_server_host(nd), policy_dns_server_port(nd));
	return 0;
}

static void reload(struct daemon *d)
{
	struct policy_config *cfg;
	struct policy_errors *errs;
	const char *path = d->config_path;
	int rc = cfgfile_load(path, &cfgfile_check, &cfg, &errs);

	bool denied = rc == -EACCES;
	for (size_t i = 0; i < policy_errors_count(errs); i++) {
		const char *e = policy_errors_get(errs, i);
		log_warnx("%s", e);
		denied = denied || strstr(e, strerror(EACCES)) != NULL;
	}
	if (rc < 0 && policy_errors_count(errs) == 0)
		log_warnx("%s: %s", path, strerror(-rc));
	policy_errors_free(errs);
	if (rc < 0 && denied && d->drop) {
		log_warnx("configuration reload refused: user %s may not read a file "
		          "above (the configuration and the key file must be readable "
		          "by it); the running configuration stays",
		          d->user);
		return;
	}
	if (rc < 0) {
		log_warnx("configuration reload refused: %s is not valid; the running "
		          "configuration stays",
		          path);
		return;
	}
	if (strcmp(policy_config_site(cfg), policy_config_site(d->cfg)) != 0 ||
	    !same_str(policy_config_key(cfg), policy_config_key(d->cfg)) ||
	    !same_str(policy_config_user(cfg), policy_config_user(d->cfg))) {
		log_warnx("configuration reload refused: changing site, key or user "
		          "needs a restart");
		policy_config_free(cfg);
		return;
	}
	/* The TSIG secret is read before anything changes, so that a bad one refuses. */
	struct cfgfile_secret *tsig = NULL;
	if (policy_config_dns(cfg) && !(tsig = read_tsig(cfg))) {
		log_warnx("configuration reload refused: the running configuration stays");
		policy_config_free(cfg);
		return;
	}
	if (policy_config_avahi_publish(cfg) != policy_config_avahi_publish(d->cfg) ||
	    policy_config_avahi_browse(cfg) != policy_config_avahi_browse(d->cfg))
		log_warnx("avahi: changes of avahi.publish and avahi.browse take effect "
		          "at the next start");
	/* New interfaces are served from now on; removed ones need a restart. */
	for (size_t i = 0; i < policy_config_ninterfaces(cfg); i++) {
		const char *name = policy_config_interface(cfg, i);
		int r = lan_add_interface(d->lan, name);
		if (r < 0 && r != -EEXIST)
			log_warnx("interface %s: %s", name, strerror(-r));
	}
	if (proxy_reconfigure(d->proxy, cfg, mono_ms()) < 0) {
		log_warnx("configuration reload failed: out of memory; the running "
		          "configuration stays");
		free_tsig(tsig);
		policy_config_free(cfg);
		return;
	}
	/* Added remotes take the new settings before the old configuration goes. */
	if (apply_dns(d, cfg, tsig) < 0)
		log_warnx("dns: configuration reload: wide-area DNS-SD not fully applied");
	/*
	 * Kept peers keep their manager ids: map them for the new configuration
	 * before the manager closes changed links (their on_down must reach the
	 * engine under the new ids), then again for the peers it adds.
	 */
	int mapped = remote_map_build(d, cfg);
	apply_peer_timeout(d, cfg);
	peer_mgr_set_peers(d->peers, cfg);
	if (mapped < 0 || remote_map_build(d, cfg) < 0)
		log_warnx("configuration reload: out of memory mapping peers");
	if (!same_str(policy_config_listen_host(cfg),
	              policy_config_listen_host(d->cfg)) ||
	    policy_config_listen_port(cfg) != policy_config_listen_port(d->cfg))
		start_listener(d, cfg);
	ctl_set_config(d->ctl, cfg);
	policy_config_free(d->cfg);
	d->cfg = cfg;
	log_info("configuration reloaded from %s", path);
	lan_foreach_interface(d->lan, add_present_iface, d);
	run_engine(d);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	(void)what;
	if (sig == SIGHUP) {
		log_info("SIGHUP: reloading the configuration");
		reload(d);
		return;
	}
	log_info("%s: sending goodbyes and stopping",
	         sig == SIGTERM ? "SIGTERM" : "SIGINT");
	proxy_shutdown(d->proxy, mono_ms());
	event_base_loopbreak(d->base);
}

/*
 * The configured user is looked up before anything is opened, so that a user
 * that does not exist stops the start before any packet is sent.
 */
static int lookup_user(struct daemon *d, const char *user)
{
	if (!user || geteuid() != 0)
		return 0;
	errno = 0;
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		if (errno)
			log_warn("cannot drop privileges: cannot look up user '%s'",
			         user);
		else
			log_warnx("cannot drop privileges: no user '%s' (user: in %s)",
			          user, d->config_path);
		return -1;
	}
	d->user = strdup(user);
	if (!d->user) {
		log_warnx("cannot drop privileges: out of memory");
		return -1;
	}
	d->drop = true;
	d->uid = pw->pw_uid;
	d->gid = pw->pw_gid;
	return 0;
}

/* Become the configured user for good, once the sockets are bound and the key read. */
static int drop_privileges(struct daemon *d)
{
	if (!d->drop)
		return 0;
	int rc = ctl_chown(d->ctl, d->uid, d->gid);
	if (rc < 0)
		log_warnx("control socket: cannot give it to user '%s': %s", d->user,
		          strerror(-rc));
	if (initgroups(d->user, d->gid) < 0 || setresgid(d->gid, d->gid, d->gid) < 0 ||
	    setresuid(d->uid, d->uid, d->uid) < 0) {
		log_warn("cannot drop privileges to user '%s'", d->user);
		return -1;
	}
	/* Make sure there is no way back. */
	if (setuid(0) == 0 || geteuid() != d->uid || getegid() != d->gid) {
		log_warnx("cannot drop privileges to user '%s': root could be regained",
		          d->user);
		return -1;
	}
	log_info("running as user %s (uid %u, gid %u)", d->user, (unsigned)d->uid,
	         (unsigned)d->gid);
	/* SIGHUP re-reads both as this user: say now, not at the first reload. */
	const char *files[] = {d->config_path, policy_config_key(d->cfg)};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i] && access(files[i], R_OK) < 0)
			log_warn("user %s cannot read %s; configuration reloads will "
			         "be refused until it can",
			         d->user, files[i]);
	return 0;
}

static int start(struct daemon *d)
{
	const struct policy_config *cfg = d->cfg;
	int rc;

	if (lookup_user(d, policy_config_user(cfg)) < 0)
		return -1;
	rc = tls_ctx_new(policy_config_key(cfg), &d->tls);
	if (rc < 0) {
		log_warnx("cannot load key %s: %s", policy_config_key(cfg),
		          tls_strerror(rc));
		return -1;
	}
	d->base = event_base_new();
	if (!d->base) {
		log_warnx("cannot create the event loop");
		return -1;
	}
	d->timer = evtimer_new(d->base, on_timer, d);
	d->deadline = UINT64_MAX;

	struct proxy_io io = {
	    .arg = d,
	    .lan_send = io_lan_send,
	    .lan_mtu = io_lan_mtu,
	    .peer_send_records = io_peer_records,
	    .peer_send_questions = io_peer_questions,
	    /* Only -v logs services: without it the engine keeps no state for them. */
	    .service_event = log_getverbose() >= 1 ? io_service_event : NULL,
	};
	if (policy_config_avahi_publish(cfg)) {
		io.service_set = io_service_set;
		io.service_remove = io_service_remove;
	}
	d->proxy = proxy_new(cfg, &io);
	if (!d->proxy) {
		log_warnx("cannot start the proxy engine: %s",
		          strerror(errno ? errno : ENOMEM));
		return -1;
	}

	d->lan = lan_new(d->base, on_lan_packet, d);
	if (!d->lan) {
		log_warn("cannot open the mDNS sockets on port 5353");
		return -1;
	}
	for (size_t i = 0; i < policy_config_ninterfaces(cfg); i++) {
		const char *name = policy_config_interface(cfg, i);
		rc = lan_add_interface(d->lan, name);
		if (rc == -ENODEV) {
			log_warnx("interface %s does not exist", name);
			return -1;
		}
		if (rc < 0 && rc != -EEXIST) {
			log_warnx("interface %s: %s", name, strerror(-rc));
			return -1;
		}
	}

	struct peer_callbacks cb = {
	    .on_up = on_peer_up,
	    .on_down = on_peer_down,
	    .on_records = on_peer_records,
	    .on_withdraw = on_peer_withdraw,
	    .on_questions = on_peer_questions,
	};
	d->peers = peer_mgr_new(d->base, d->tls, policy_config_site(cfg), &cb, d);
	if (!d->peers) {
		log_warnx("cannot start the peer links: out of memory");
		return -1;
	}
	apply_peer_timeout(d, cfg);
	if (start_listener(d, cfg) < 0)
		return -1;

	d->ctl =
	    ctl_new(d->base, policy_config_control(cfg), cfg, d->lan, d->peers, d->proxy);
	if (!d->ctl)
		return -1;

	/* The secret is read while the file may still be root's only. */
	struct cfgfile_secret *tsig = NULL;
	if (policy_config_dns(cfg) && !(tsig = read_tsig(cfg)))
		return -1;

	if (drop_privileges(d) < 0) {
		free_tsig(tsig);
		return -1;
	}

	/* Links are dialed only now, so no peer traffic arrives before we are ready for
	 * it. */
	if (peer_mgr_set_peers(d->peers, cfg) < 0 || remote_map_build(d, cfg) < 0) {
		log_warnx("cannot set up the peer links: out of memory");
		return -1;
	}
	lan_set_iface_cb(d->lan, on_lan_iface, d);
	lan_foreach_interface(d->lan, add_present_iface, d);
	if (start_avahi(d, cfg) < 0) {
		free_tsig(tsig);
		return -1;
	}
	if (tsig && apply_dns(d, cfg, tsig) < 0)
		return -1;

	d->sighup = evsignal_new(d->base, SIGHUP, on_signal, d);
	d->sigterm = evsignal_new(d->base, SIGTERM, on_signal, d);
	d->sigint = evsignal_new(d->base, SIGINT, on_signal, d);
	evsignal_add(d->sighup, NULL);
	evsignal_add(d->sigterm, NULL);
	evsignal_add(d->sigint, NULL);
	return 0;
}

static void stop(struct daemon *d)
{
	/* Avahi withdraws what it published (what proxy_shutdown left, if anything). */
	avh_free(d->avh);
	ctl_free(d->ctl);
	/* Before the LAN goes: what it imported leaves the LAN with goodbyes. */
	wad_free(d->wad);
	free_tsig(d->tsig);
	peer_mgr_free(d->peers);
	lan_free(d->lan);
	proxy_free(d->proxy);
	if (d->timer)
		event_free(d->timer);
	if (d->sighup)
		event_free(d->sighup);
	if (d->sigterm)
		event_free(d->sigterm);
	if (d->sigint)
		event_free(d->sigint);
	if (d->base)
		event_base_free(d->base);
	SSL_CTX_free(d->tls);
	policy_config_free(d->cfg);
	free(d->user);
	free(d->config_path);
	free(d->mgr_of_remote);
	free(d->remote_of_mgr);
}

int daemon_run(struct policy_config *cfg, const struct options *opt)
{
	struct daemon d = {
	    .cfg = cfg, .opt = opt, .svc_log = LOG_LIMIT_INIT(SVC_LOG_PER_S, 1)};

	signal(SIGPIPE, SIG_IGN);
	d.config_path = realpath(opt->config_path, NULL);
	if (!d.config_path && !(d.config_path = strdup(opt->config_path))) {
		log_warnx("out of memory");
		policy_config_free(cfg);
		return 1;
	}
	/* Until it detaches, whoever started it reads why a start fails on stderr. */
	if (!opt->foreground)
		log_init(1, opt->verbose, "sitecastd");
	if (start(&d) < 0) {
		stop(&d);
		return 1;
	}
	if (!opt->foreground) {
		if (daemon(0, 0) < 0) {
			log_warn("cannot go to the background");
			stop(&d);
			return 1;
		}
		/* libevent's epoll and signal pipes survive fork only after a reinit. */
		event_reinit(d.base);
		log_init(0, opt->verbose, "sitecastd");
	}
	log_info("site %s: serving %zu interface(s), %zu peer(s)",
	         policy_config_site(d.cfg), policy_config_ninterfaces(d.cfg),
	         policy_config_npeers(d.cfg));
#ifdef HAVE_SYSTEMD
	sd_notify(0, "READY=1");
#endif
	run_engine(&d);
	event_base_dispatch(d.base);
#ifdef HAVE_SYSTEMD
	sd_notify(0, "STOPPING=1");
#endif
	stop(&d);
	log_info("stopped");
	return d.exit_status;
}
