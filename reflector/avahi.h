/*
 * avahi.h: working with the gateway's avahi-daemon through avahi-client.
 *
 * Two halves, one connection:
 *  - a publisher: each remote service the owner imports becomes one Avahi entry
 *    group (service, subtypes), and the address records of its host one more group
 *    per host name, shared by the services on that host; Avahi then probes,
 *    resolves conflicts, answers and sends the goodbyes;
 *  - a browser: service type and service browsers with resolvers report what the
 *    site's LAN offers, without the services published here.
 *
 * Everything runs from the owner's libevent loop through an AvahiPoll adapter (no
 * second loop, no thread). The desired state lives in this module, independent of
 * the daemon: when avahi-daemon is missing (at start, or killed), calls still succeed
 * and are kept; one log line says so, and everything is published again, and the
 * browsers started again, when it returns. avahi-client calls block on D-Bus while
 * they wait for the daemon's reply (local, short).
 *
 * Names: service instances, types, domains and host names are UTF-8 C strings as
 * Avahi takes them (unescaped instance labels, "_ipp._tcp", "local",
 * "printer-manhattan.local").
 *
 * Services are published on every interface and protocol avahi-daemon serves (its
 * allow-interfaces decides). Each entry group is one object of this client in the
 * daemon, which caps them (objects-per-client-max, 1024 by default): raise it for
 * more than about a thousand published services and hosts. A name renamed after a
 * collision keeps its new name (also across daemon restarts) until it is set again
 * under another name.
 */
#ifndef SITECAST_AVAHI_H
#define SITECAST_AVAHI_H

#include <stddef.h>
#include <stdint.h>

#include "dnssd/service.h"

struct event_base;
struct AvahiPoll;

struct avh;

enum avh_event {
	AVH_NEW = 1,     /* found, or found again with other data */
	AVH_REMOVED = 2, /* gone; the fields are those last reported */
};

/*
 * A service the browser found, resolved. Pointers are valid during the callback
 * only. af is the protocol it was found over (AF_INET / AF_INET6); the same service
 * is reported once per interface and protocol. svc holds the address it resolved
 * to (naddrs 1), of the same family (an IPv6 link-local address belongs to
 * ifindex), and no subtypes. local: published by another program on this host
 * (services published through this module are never reported).
 */
struct avh_found {
	enum avh_event event;
	int ifindex;
	int af;
	struct dnssd_service svc;
	int local;
};

typedef void avh_found_fn(void *arg, const struct avh_found *f);

/*
 * What the owner hears about, all optional (NULL). Called from the event loop; they
 * may call avh_service_set / avh_service_remove, not avh_free or avh_browse_stop.
 */
struct avh_callbacks {
	/* The service set under key is now published as name (after a collision). */
	void (*renamed)(void *arg, const char *key, const char *name);
	/* Host host's address records are now published under name (collision). */
	void (*host_renamed)(void *arg, const char *host, const char *name);
	/* avahi-daemon became usable (1) or stopped being so (0). */
	void (*running)(void *arg, int running);
};

struct avh_stats {
	int running;          /* connected to a running avahi-daemon */
	unsigned services;    /* services set */
	unsigned established; /* of which Avahi reports established */
	unsigned hosts;       /* host names with address records */
	unsigned collisions;  /* renames after collisions */
	unsigned txt_updates; /* changes of TXT only, applied as TXT updates */
	unsigned republished; /* changes applied by resetting the group */
	unsigned reconnects;  /* new connections after losing the daemon */
	unsigned found;       /* browse: services reported */
	unsigned duplicates;  /* browse: resolutions with nothing new, not reported */
};

/*
 * A new publisher / browser on base: connects to avahi-daemon (if it is not there
 * yet, keeps trying). cbs is copied; arg is passed to every callback. Returns NULL
 * only when out of memory. The caller owns the result: avh_free.
 */
struct avh *avh_new(struct event_base *base, const struct avh_callbacks *cbs, void *arg);

/* Withdraws everything published (Avahi sends the goodbyes) and frees. NULL is fine. */
void avh_free(struct avh *avh);

/*
 * Publishes svc (dnssd/service.h; domain NULL for "local"; subtypes as
 * "_universal" or in full "_universal._sub._ipp._tcp"; the addresses are the
 * host's: the last service set for a host decides them) under the owner's key
 * (any string, unique per service), or updates the service already set under key:
 * a change of TXT only is an in-place TXT update, any other change resets and
 * re-registers the group (goodbyes, probes). svc is only read during the call
 * (copied). Returns 0 (also while avahi-daemon is away: it is published when it
 * returns), -EINVAL for a name, type, host, subtype, TXT string or address Avahi
 * would refuse, -ENOMEM.
 */
int avh_service_set(struct avh *avh, const char *key, const struct dnssd_service *svc);

/* Withdraws the service set under key (goodbyes). 0, or -ENOENT. */
int avh_service_remove(struct avh *avh, const char *key);

/* The instance name the service under key is published as (differs from the one
 * set after a collision), or NULL. Owned by avh; valid until the next call. */
const char *avh_service_name(const struct avh *avh, const char *key);

/*
 * Starts browsing the "local" domain on every interface and protocol Avahi serves,
 * reporting to fn(arg, ...) (arg from avh_new). Each service is reported once when
 * resolved (AVH_NEW), again only if a later resolution gives other data, and
 * AVH_REMOVED when it goes. Survives avahi-daemon restarts: services that have not
 * come back some seconds after the daemon did are reported removed.
 * Returns 0, -EALREADY if browsing.
 */
int avh_browse_start(struct avh *avh, avh_found_fn *fn);

/* Stops browsing and forgets what was found (no AVH_REMOVED reported). */
void avh_browse_stop(struct avh *avh);

void avh_get_stats(const struct avh *avh, struct avh_stats *st);

/*
 * The AvahiPoll adapter on its own: Avahi's watches and timeouts as libevent events
 * on base. avh_poll_api's result is valid until avh_poll_free, which must come after
 * every Avahi object using it is freed (it frees what Avahi left).
 */
struct avh_poll;
struct avh_poll *avh_poll_new(struct event_base *base);
const struct AvahiPoll *avh_poll_api(struct avh_poll *p);
void avh_poll_free(struct avh_poll *p);

#endif
