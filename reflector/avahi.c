/* avahi.c: publisher and browser over avahi-client, on the daemon's libevent loop. */
#include "config.h"

#include "reflector/avahi.h"
#include "reflector/log.h"

#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/address.h>
#include <avahi-common/alternative.h>
#include <avahi-common/domain.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/strlst.h>
#include <avahi-common/watch.h>

#include <event2/event.h>

/* Seconds between attempts while D-Bus itself cannot be reached. */
#define RETRY_SEC 5
/* After a reconnection, browse results not seen again within this are gone. */
#define RECONCILE_SEC 10
/* Resolvers open at once: each is a D-Bus object of ours in avahi-daemon, which
 * caps them per client (objects-per-client-max, 1024 by default). */
#define MAX_RESOLVERS 32
/* Renames tried for one name before giving up. */
#define MAX_RENAMES 32

/* NO_COOKIE: the TXT strings stay those of the origin. */
#define PUB_FLAGS (AVAHI_PUBLISH_USE_MULTICAST | AVAHI_PUBLISH_NO_COOKIE)
#define SUB_FLAGS AVAHI_PUBLISH_USE_MULTICAST
#define ADDR_FLAGS (AVAHI_PUBLISH_USE_MULTICAST | AVAHI_PUBLISH_NO_REVERSE)

/* ---------------------------------------------------------------- poll adapter */

/*
 * Avahi may free a watch or timeout from inside its own callback: the libevent
 * event goes at once (no further calls), the struct after the callback returns.
 */
struct AvahiWatch {
	struct avh_poll *p;
	struct event *ev;
	int fd;
	AvahiWatchEvent want;
	AvahiWatchEvent got;
	AvahiWatchCallback cb;
	void *userdata;
	int in_cb;
	int dead;
	LIST_ENTRY(AvahiWatch) link;
};

struct AvahiTimeout {
	struct avh_poll *p;
	struct event *ev;
	AvahiTimeoutCallback cb;
	void *userdata;
	int in_cb;
	int dead;
	LIST_ENTRY(AvahiTimeout) link;
};

struct avh_poll {
	AvahiPoll api;
	struct event_base *base;
	LIST_HEAD(, AvahiWatch) watches;
	LIST_HEAD(, AvahiTimeout) timeouts;
};

static void watch_cb(evutil_socket_t fd, short what, void *arg)
{
	AvahiWatch *w = arg;
	AvahiWatchEvent got = 0;

	(void)fd;
	if (what & EV_READ)
		got |= AVAHI_WATCH_IN;
	if (what & EV_WRITE)
		got |= AVAHI_WATCH_OUT;
	w->got = got;
	w->in_cb = 1;
	w->cb(w, w->fd, got, w->userdata);
	w->in_cb = 0;
	w->got = 0;
	if (w->dead)
		free(w);
}

static int watch_arm(AvahiWatch *w)
{
	short f = 0;

	if (w->want & AVAHI_WATCH_IN)
		f |= EV_READ;
	if (w->want & AVAHI_WATCH_OUT)
		f |= EV_WRITE;
	event_del(w->ev);
	if (!f)
		return 0;
	if (event_assign(w->ev, w->p->base, w->fd, f | EV_PERSIST, watch_cb, w) < 0)
		return -1;
	return event_add(w->ev, NULL);
}

static AvahiWatch *watch_new(const AvahiPoll *api, int fd, AvahiWatchEvent event,
                             AvahiWatchCallback cb, void *userdata)
{
	struct avh_poll *p = api->userdata;
	AvahiWatch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->p = p;
	w->fd = fd;
	w->want = event;
	w->cb = cb;
	w->userdata = userdata;
	w->ev = event_new(p->base, fd, EV_PERSIST, watch_cb, w);
	if (!w->ev || watch_arm(w) < 0) {
		if (w->ev)
			event_free(w->ev);
		free(w);
		return NULL;
	}
	LIST_INSERT_HEAD(&p->watches, w, link);
	return w;
}

static void watch_update(AvahiWatch *w, AvahiWatchEvent event)
{
	w->want = event;
	if (watch_arm(w) < 0)
		log_warnx("avahi: cannot watch descriptor %d", w->fd);
}

static AvahiWatchEvent watch_get_events(AvahiWatch *w)
{
	return w->in_cb ? w->got : 0;
}

static void watch_free(AvahiWatch *w)
{
	LIST_REMOVE(w, link);
	event_free(w->ev);
	w->ev = NULL;
	if (w->in_cb)
		w->dead = 1;
	else
		free(w);
}

static void timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	AvahiTimeout *t = arg;

	(void)fd;
	(void)what;
	t->in_cb = 1;
	t->cb(t, t->userdata);
	t->in_cb = 0;
	if (t->dead)
		free(t);
}

/* Avahi gives absolute times on the gettimeofday clock; libevent wants a delay. */
static void timeout_arm(AvahiTimeout *t, const struct timeval *tv)
{
	struct timeval now, delay = {0, 0}, at;

	evtimer_del(t->ev);
	if (!tv)
		return;
	at.tv_sec = tv->tv_sec + tv->tv_usec / 1000000;
	at.tv_usec = tv->tv_usec % 1000000;
	gettimeofday(&now, NULL);
	if (timercmp(&at, &now, >))
		timersub(&at, &now, &delay);
	evtimer_add(t->ev, &delay);
}

static AvahiTimeout *timeout_new(const AvahiPoll *api, const struct timeval *tv,
                                 AvahiTimeoutCallback cb, void *userdata)
{
	struct avh_poll *p = api->userdata;
	AvahiTimeout *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->p = p;
	t->cb = cb;
	t->userdata = userdata;
	t->ev = evtimer_new(p->base, timeout_cb, t);
	if (!t->ev) {
		free(t);
		return NULL;
	}
	LIST_INSERT_HEAD(&p->timeouts, t, link);
	timeout_arm(t, tv);
	return t;
}

static void timeout_update(AvahiTimeout *t, const struct timeval *tv)
{
	timeout_arm(t, tv);
}

static void timeout_free(AvahiTimeout *t)
{
	LIST_REMOVE(t, link);
	event_free(t->ev);
	t->ev = NULL;
	if (t->in_cb)
		t->dead = 1;
	else
		free(t);
}

struct avh_poll *avh_poll_new(struct event_base *base)
{
	struct avh_poll *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->base = base;
	LIST_INIT(&p->watches);
	LIST_INIT(&p->timeouts);
	p->api.userdata = p;
	p->api.watch_new = watch_new;
	p->api.watch_update = watch_update;
	p->api.watch_get_events = watch_get_events;
	p->api.watch_free = watch_free;
	p->api.timeout_new = timeout_new;
	p->api.timeout_update = timeout_update;
	p->api.timeout_free = timeout_free;
	return p;
}

const struct AvahiPoll *avh_poll_api(struct avh_poll *p)
{
	return &p->api;
}

void avh_poll_free(struct avh_poll *p)
{
	if (!p)
		return;
	while (!LIST_EMPTY(&p->watches))
		watch_free(LIST_FIRST(&p->watches));
	while (!LIST_EMPTY(&p->timeouts))
		timeout_free(LIST_FIRST(&p->timeouts));
	free(p);
}

/* ---------------------------------------------------------------- state */

/* A service as set by the owner, deep-copied. */
struct svc {
	char *name;
	char *type;
	char *domain;
	char *host;
	uint16_t port;
	AvahiStringList *txt; /* head is the last TXT string */
	char **subtypes;      /* full form: "_x._sub._ipp._tcp" */
	size_t nsubtypes;
	struct dnssd_addr *addrs;
	size_t naddrs;
};

struct host {
	struct avh *avh;
	char *name;    /* as the services name it */
	char *pubname; /* as published (differs after a collision) */
	struct dnssd_addr *addrs;
	size_t naddrs;
	unsigned refs;
	AvahiEntryGroup *group;
	TAILQ_ENTRY(host) link;
};

struct pub {
	struct avh *avh;
	char *key;
	struct svc s;
	char *pubname;
	struct host *host;
	AvahiEntryGroup *group;
	int live;        /* in the group and committed */
	int established; /* Avahi says so */
	TAILQ_ENTRY(pub) link;
};

struct btype {
	char *type;
	char *domain;
	AvahiServiceBrowser *sb;
	TAILQ_ENTRY(btype) link;
};

/* One service seen by the browser, on one interface and protocol. */
struct bent {
	struct avh *avh;
	AvahiIfIndex ifindex;
	AvahiProtocol proto;
	char *name;
	char *type;
	char *domain;
	AvahiServiceResolver *res;
	int queued;
	int stale; /* from before a reconnection, not seen since */
	int local;
	int delivered;
	char *host; /* last reported */
	AvahiAddress addr;
	uint16_t port;
	AvahiStringList *txt;
	TAILQ_ENTRY(bent) link;
	TAILQ_ENTRY(bent) qlink;
};

struct avh {
	struct event_base *base;
	struct avh_poll *poll;
	struct avh_callbacks cbs;
	void *arg;
	AvahiClient *client;
	int running;
	int missing; /* the line saying so was logged */
	int was_connected;
	struct event *retry;
	struct event *reconcile;
	TAILQ_HEAD(, pub) pubs;
	void *pub_tree;
	TAILQ_HEAD(, host) hosts;
	void *host_tree;
	avh_found_fn *found;
	AvahiServiceTypeBrowser *stb;
	TAILQ_HEAD(, btype) types;
	TAILQ_HEAD(, bent) bents;
	void *bent_tree;
	TAILQ_HEAD(, bent) queue;
	unsigned resolving;
	struct avh_stats st;
};

/*
 * Names come from other sites and the LAN: no control characters into the log.
 * They are the published names, so the log gets a copy in buf (cut to n - 1 bytes).
 */
static const char *clean(const char *s, char *buf, size_t n)
{
	if (!s)
		return "(null)";
	snprintf(buf, n, "%s", s);
	return log_clean(buf, LOG_CLEAN_CONTROL);
}

/* ---------------------------------------------------------------- services, copied */

static void svc_clear(struct svc *s)
{
	size_t i;

	free(s->name);
	free(s->type);
	free(s->domain);
	free(s->host);
	avahi_string_list_free(s->txt);
	for (i = 0; i < s->nsubtypes; i++)
		free(s->subtypes[i]);
	free(s->subtypes);
	free(s->addrs);
	memset(s, 0, sizeof(*s));
}

static int svc_copy(struct svc *d, const struct dnssd_service *s)
{
	size_t i;

	memset(d, 0, sizeof(*d));
	d->name = strdup(s->name);
	d->type = strdup(s->type);
	d->domain = strdup(s->domain ? s->domain : "local");
	d->host = strdup(s->host);
	d->port = s->port;
	if (!d->name || !d->type || !d->domain || !d->host)
		goto nomem;
	/* avahi-client puts the last string of a list first on the wire. */
	for (i = 0; i < s->ntxt; i++) {
		const uint8_t *t = s->txt[i].len ? s->txt[i].data : (const uint8_t *)"";
		AvahiStringList *l =
		    avahi_string_list_add_arbitrary(d->txt, t, s->txt[i].len);

		if (!l)
			goto nomem;
		d->txt = l;
	}
	if (s->nsubtypes) {
		d->subtypes = calloc(s->nsubtypes, sizeof(*d->subtypes));
		if (!d->subtypes)
			goto nomem;
		for (i = 0; i < s->nsubtypes; i++) {
			const char *sub = s->subtypes[i];
			char *full;

			if (strstr(sub, "._sub."))
				full = strdup(sub);
			else if (asprintf(&full, "%s._sub.%s", sub, s->type) < 0)
				full = NULL;
			if (!full)
				goto nomem;
			d->subtypes[d->nsubtypes++] = full;
		}
	}
	if (s->naddrs) {
		d->addrs = calloc(s->naddrs, sizeof(*d->addrs));
		if (!d->addrs)
			goto nomem;
		memcpy(d->addrs, s->addrs, s->naddrs * sizeof(*d->addrs));
		d->naddrs = s->naddrs;
	}
	return 0;
nomem:
	svc_clear(d);
	return -ENOMEM;
}

static int svc_valid(const struct svc *s)
{
	size_t i;

	if (!avahi_is_valid_service_name(s->name) ||
	    !avahi_is_valid_service_type_strict(s->type) ||
	    !avahi_is_valid_domain_name(s->domain) || !avahi_is_valid_fqdn(s->host))
		return 0;
	for (i = 0; i < s->nsubtypes; i++)
		if (!avahi_is_valid_service_subtype(s->subtypes[i]))
			return 0;
	for (i = 0; i < s->naddrs; i++)
		if (s->addrs[i].af != AF_INET && s->addrs[i].af != AF_INET6)
			return 0;
	return 1;
}

static int addrs_equal(const struct dnssd_addr *a, size_t na, const struct dnssd_addr *b,
                       size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (a[i].af != b[i].af ||
		    memcmp(a[i].a, b[i].a, a[i].af == AF_INET ? 4 : 16))
			return 0;
	return 1;
}

static int subtypes_equal(const struct svc *a, const struct svc *b)
{
	size_t i;

	if (a->nsubtypes != b->nsubtypes)
		return 0;
	for (i = 0; i < a->nsubtypes; i++)
		if (strcasecmp(a->subtypes[i], b->subtypes[i]))
			return 0;
	return 1;
}

static void to_avahi_addr(const struct dnssd_addr *in, AvahiAddress *out)
{
	memset(out, 0, sizeof(*out));
	if (in->af == AF_INET) {
		out->proto = AVAHI_PROTO_INET;
		memcpy(&out->data.ipv4.address, in->a, 4);
	} else {
		out->proto = AVAHI_PROTO_INET6;
		memcpy(out->data.ipv6.address, in->a, 16);
	}
}

/* ---------------------------------------------------------------- lookup tables */

static int pub_cmp(const void *x, const void *y)
{
	return strcmp(((const struct pub *)x)->key, ((const struct pub *)y)->key);
}

static int host_cmp(const void *x, const void *y)
{
	return strcasecmp(((const struct host *)x)->name, ((const struct host *)y)->name);
}

static int bent_cmp(const void *x, const void *y)
{
	const struct bent *a = x, *b = y;
	int c;

	if (a->ifindex != b->ifindex)
		return a->ifindex < b->ifindex ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if ((c = strcmp(a->name, b->name)))
		return c;
	if ((c = strcasecmp(a->type, b->type)))
		return c;
	return strcasecmp(a->domain, b->domain);
}

static struct pub *pub_find(const struct avh *a, const char *key)
{
	struct pub k = {.key = (char *)key};
	void *const *n = tfind(&k, &a->pub_tree, pub_cmp);

	return n ? *n : NULL;
}

static struct host *host_find(const struct avh *a, const char *name)
{
	struct host k = {.name = (char *)name};
	void *const *n = tfind(&k, &a->host_tree, host_cmp);

	return n ? *n : NULL;
}

/* ---------------------------------------------------------------- hosts */

static void pub_publish(struct avh *a, struct pub *p);

static void host_group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state, void *arg);

static void host_rename(struct avh *a, struct host *h, const char *why)
{
	const char *dot = strchr(h->pubname, '.');
	size_t n = dot ? (size_t)(dot - h->pubname) : strlen(h->pubname);
	char *label = strndup(h->pubname, n), *alt = NULL, *name = NULL;
	char b1[256], b2[256];

	if (label)
		alt = avahi_alternative_host_name(label);
	if (alt && asprintf(&name, "%s%s", alt, dot ? dot : "") < 0)
		name = NULL;
	free(label);
	avahi_free(alt);
	if (!name) {
		log_warnx("avahi: out of memory renaming host %s",
		          clean(h->pubname, b1, sizeof(b1)));
		return;
	}
	log_warnx("host %s collides %s; published as %s",
	          clean(h->pubname, b1, sizeof(b1)), why, clean(name, b2, sizeof(b2)));
	free(h->pubname);
	h->pubname = name;
	a->st.collisions++;
	if (a->cbs.host_renamed)
		a->cbs.host_renamed(a->arg, h->name, h->pubname);
}

/* (Re)registers the host's address records; returns 1 if the host was renamed. */
static int host_publish(struct avh *a, struct host *h)
{
	char b[256];
	int renamed = 0, tries, r = 0;
	size_t i, added = 0;

	if (!a->running)
		return 0;
	if (h->group)
		avahi_entry_group_reset(h->group);
	if (!h->naddrs)
		return 0;
	if (!h->group &&
	    !(h->group = avahi_entry_group_new(a->client, host_group_cb, h))) {
		log_warnx("avahi: cannot create a group for host %s: %s",
		          clean(h->pubname, b, sizeof(b)),
		          avahi_strerror(avahi_client_errno(a->client)));
		return 0;
	}
	for (tries = 0; tries < MAX_RENAMES; tries++) {
		added = 0;
		for (i = 0; i < h->naddrs; i++) {
			AvahiAddress aa;

			to_avahi_addr(&h->addrs[i], &aa);
			r = avahi_entry_group_add_address(h->group, AVAHI_IF_UNSPEC,
			                                  AVAHI_PROTO_UNSPEC, ADDR_FLAGS,
			                                  h->pubname, &aa);
			if (r == AVAHI_ERR_COLLISION)
				break;
			if (r < 0)
				log_warnx(
				    "avahi: cannot publish an address of host %s: %s",
				    clean(h->pubname, b, sizeof(b)), avahi_strerror(r));
			else
				added++;
		}
		if (r != AVAHI_ERR_COLLISION)
			break;
		/* Taken by another program (or this host itself) on this machine. */
		avahi_entry_group_reset(h->group);
		host_rename(a, h, "with a local name");
		renamed = 1;
	}
	if (added && (r = avahi_entry_group_commit(h->group)) < 0)
		log_warnx("avahi: cannot publish host %s: %s",
		          clean(h->pubname, b, sizeof(b)), avahi_strerror(r));
	return renamed;
}

/* The services on h point at its published name: follow a rename. */
static void host_republish_services(struct avh *a, struct host *h)
{
	struct pub *p;

	for (p = TAILQ_FIRST(&a->pubs); p; p = TAILQ_NEXT(p, link))
		if (p->host == h)
			pub_publish(a, p);
}

static void host_group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state, void *arg)
{
	struct host *h = arg;
	struct avh *a = h->avh;
	char b[256];

	(void)g;
	switch (state) {
	case AVAHI_ENTRY_GROUP_COLLISION:
		host_rename(a, h, "on the LAN");
		host_publish(a, h);
		host_republish_services(a, h);
		break;
	case AVAHI_ENTRY_GROUP_FAILURE:
		log_warnx("avahi: cannot publish host %s: %s",
		          clean(h->pubname, b, sizeof(b)),
		          avahi_strerror(avahi_client_errno(a->client)));
		break;
	case AVAHI_ENTRY_GROUP_ESTABLISHED:
		log_debug("avahi: host %s established", clean(h->pubname, b, sizeof(b)));
		break;
	default:
		break;
	}
}

static struct host *host_ref(struct avh *a, const char *name)
{
	struct host *h = host_find(a, name);

	if (h) {
		h->refs++;
		return h;
	}
	if (!(h = calloc(1, sizeof(*h))))
		return NULL;
	h->avh = a;
	h->name = strdup(name);
	h->pubname = strdup(name);
	if (!h->name || !h->pubname || !tsearch(h, &a->host_tree, host_cmp)) {
		free(h->name);
		free(h->pubname);
		free(h);
		return NULL;
	}
	h->refs = 1;
	TAILQ_INSERT_TAIL(&a->hosts, h, link);
	a->st.hosts++;
	return h;
}

static void host_unref(struct avh *a, struct host *h)
{
	if (!h || --h->refs > 0)
		return;
	if (h->group)
		avahi_entry_group_free(h->group);
	tdelete(h, &a->host_tree, host_cmp);
	TAILQ_REMOVE(&a->hosts, h, link);
	a->st.hosts--;
	free(h->name);
	free(h->pubname);
	free(h->addrs);
	free(h);
}

/* Returns 1 if the addresses changed, -ENOMEM. */
static int host_set_addrs(struct host *h, const struct dnssd_addr *addrs, size_t n)
{
	struct dnssd_addr *c = NULL;

	if (addrs_equal(h->addrs, h->naddrs, addrs, n))
		return 0;
	if (n) {
		if (!(c = calloc(n, sizeof(*c))))
			return -ENOMEM;
		memcpy(c, addrs, n * sizeof(*c));
	}
	free(h->addrs);
	h->addrs = c;
	h->naddrs = n;
	return 1;
}

/* ---------------------------------------------------------------- services */

static void pub_group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state, void *arg);

static int pub_rename(struct avh *a, struct pub *p, const char *why)
{
	char *alt = avahi_alternative_service_name(p->pubname);
	char *name = alt ? strdup(alt) : NULL;
	char b1[256], b2[256];

	avahi_free(alt);
	if (!name) {
		log_warnx("avahi: out of memory renaming %s",
		          clean(p->pubname, b1, sizeof(b1)));
		return -ENOMEM;
	}
	log_warnx("service \"%s\" collides %s; published as \"%s\"",
	          clean(p->pubname, b1, sizeof(b1)), why, clean(name, b2, sizeof(b2)));
	free(p->pubname);
	p->pubname = name;
	a->st.collisions++;
	if (a->cbs.renamed)
		a->cbs.renamed(a->arg, p->key, p->pubname);
	return 0;
}

/* Resets the group and registers the service afresh under p->pubname. */
static void pub_publish(struct avh *a, struct pub *p)
{
	char b[256];
	int r = 0, tries;
	size_t i;

	p->live = 0;
	p->established = 0;
	if (!a->running)
		return;
	if (p->group)
		avahi_entry_group_reset(p->group);
	else if (!(p->group = avahi_entry_group_new(a->client, pub_group_cb, p))) {
		log_warnx("avahi: cannot create a group for \"%s\": %s",
		          clean(p->pubname, b, sizeof(b)),
		          avahi_strerror(avahi_client_errno(a->client)));
		return;
	}
	for (tries = 0; tries < MAX_RENAMES; tries++) {
		r = avahi_entry_group_add_service_strlst(
		    p->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, PUB_FLAGS, p->pubname,
		    p->s.type, p->s.domain, p->host->pubname, p->s.port, p->s.txt);
		/* Another program on this machine has the name. */
		if (r != AVAHI_ERR_COLLISION ||
		    pub_rename(a, p, "with a local service") < 0)
			break;
	}
	if (r < 0) {
		log_warnx("avahi: cannot publish \"%s\": %s",
		          clean(p->pubname, b, sizeof(b)), avahi_strerror(r));
		avahi_entry_group_reset(p->group);
		return;
	}
	for (i = 0; i < p->s.nsubtypes; i++) {
		r = avahi_entry_group_add_service_subtype(
		    p->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, SUB_FLAGS, p->pubname,
		    p->s.type, p->s.domain, p->s.subtypes[i]);
		if (r < 0) {
			char b2[256];

			log_warnx("avahi: cannot publish subtype %s of \"%s\": %s",
			          clean(p->s.subtypes[i], b2, sizeof(b2)),
			          clean(p->pubname, b, sizeof(b)), avahi_strerror(r));
		}
	}
	if ((r = avahi_entry_group_commit(p->group)) < 0) {
		log_warnx("avahi: cannot publish \"%s\": %s",
		          clean(p->pubname, b, sizeof(b)), avahi_strerror(r));
		return;
	}
	p->live = 1;
}

static void pub_group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state, void *arg)
{
	struct pub *p = arg;
	struct avh *a = p->avh;
	char b[256];

	(void)g;
	switch (state) {
	case AVAHI_ENTRY_GROUP_ESTABLISHED:
		if (!p->established)
			log_debug("avahi: \"%s\" published",
			          clean(p->pubname, b, sizeof(b)));
		p->established = 1;
		break;
	case AVAHI_ENTRY_GROUP_COLLISION:
		/* Avahi has withdrawn the entries: the same group, another name. */
		p->established = 0;
		if (pub_rename(a, p, "on the LAN") == 0)
			pub_publish(a, p);
		break;
	case AVAHI_ENTRY_GROUP_FAILURE:
		p->established = 0;
		log_warnx("avahi: cannot publish \"%s\": %s",
		          clean(p->pubname, b, sizeof(b)),
		          avahi_strerror(avahi_client_errno(a->client)));
		break;
	default:
		break;
	}
}

/*
 * A change of TXT only, in place (no goodbye and probe for the rest). Other changes
 * reset the group: avahi-daemon 0.8 refuses AVAHI_PUBLISH_UPDATE of a whole service
 * in a committed group (its PTR records are added without the flag).
 */
static int pub_update_txt(struct avh *a, struct pub *p)
{
	int r, st;

	if (!a->running || !p->live || !p->group)
		return -1;
	st = avahi_entry_group_get_state(p->group);
	if (st != AVAHI_ENTRY_GROUP_ESTABLISHED && st != AVAHI_ENTRY_GROUP_REGISTERING)
		return -1;
	r = avahi_entry_group_update_service_txt_strlst(
	    p->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, PUB_FLAGS, p->pubname,
	    p->s.type, p->s.domain, p->s.txt);
	if (r < 0) {
		char b[256];

		log_debug("avahi: cannot update the TXT of \"%s\": %s",
		          clean(p->pubname, b, sizeof(b)), avahi_strerror(r));
		return -1;
	}
	return 0;
}

static void pub_free(struct avh *a, struct pub *p)
{
	if (p->group)
		avahi_entry_group_free(p->group);
	host_unref(a, p->host);
	svc_clear(&p->s);
	free(p->pubname);
	free(p->key);
	free(p);
}

int avh_service_set(struct avh *a, const char *key, const struct dnssd_service *svc)
{
	struct svc ns;
	struct pub *p;
	struct host *h;
	size_t i;
	int r, host_changed, change = 0;

	if (!key || !svc || !svc->name || !svc->type || !svc->host ||
	    (svc->ntxt && !svc->txt) || (svc->nsubtypes && !svc->subtypes) ||
	    (svc->naddrs && !svc->addrs))
		return -EINVAL;
	for (i = 0; i < svc->ntxt; i++)
		if (svc->txt[i].len > 255 || (svc->txt[i].len && !svc->txt[i].data))
			return -EINVAL;
	if ((r = svc_copy(&ns, svc)) < 0)
		return r;
	if (!svc_valid(&ns)) {
		svc_clear(&ns);
		return -EINVAL;
	}

	if (!(p = pub_find(a, key))) {
		if (!(p = calloc(1, sizeof(*p))))
			goto nomem;
		p->avh = a;
		p->key = strdup(key);
		p->pubname = strdup(ns.name);
		p->host = host_ref(a, ns.host);
		r = p->host ? host_set_addrs(p->host, ns.addrs, ns.naddrs) : -ENOMEM;
		if (!p->key || !p->pubname || r < 0 ||
		    !tsearch(p, &a->pub_tree, pub_cmp)) {
			host_unref(a, p->host);
			free(p->key);
			free(p->pubname);
			free(p);
			goto nomem;
		}
		p->s = ns;
		TAILQ_INSERT_TAIL(&a->pubs, p, link);
		a->st.services++;
		if ((p->host->refs == 1 || r > 0) && host_publish(a, p->host))
			host_republish_services(a, p->host); /* renamed: p among them */
		else
			pub_publish(a, p);
		return 0;
	}

	/* What changed decides how: nothing, the TXT strings only, or the rest. */
	host_changed = strcasecmp(p->s.host, ns.host) != 0;
	if (strcmp(p->s.name, ns.name) || host_changed || p->s.port != ns.port ||
	    strcmp(p->s.type, ns.type) || strcasecmp(p->s.domain, ns.domain) ||
	    !subtypes_equal(&p->s, &ns))
		change = 2;
	else if (!avahi_string_list_equal(p->s.txt, ns.txt))
		change = 1;
	if (strcmp(p->s.name, ns.name)) {
		char *n = strdup(ns.name);

		if (!n)
			goto nomem;
		free(p->pubname);
		p->pubname = n;
	}
	h = p->host;
	if (host_changed) {
		struct host *nh = host_ref(a, ns.host);

		if (!nh)
			goto nomem;
		p->host = nh;
		host_unref(a, h);
		h = nh;
	}
	if ((r = host_set_addrs(h, ns.addrs, ns.naddrs)) < 0)
		goto nomem;
	svc_clear(&p->s);
	p->s = ns;
	if ((r > 0 || (host_changed && h->refs == 1)) && host_publish(a, h)) {
		host_republish_services(a, h); /* renamed: p among them */
		return 0;
	}
	if (change == 1 && pub_update_txt(a, p) == 0) {
		a->st.txt_updates++;
	} else if (change) {
		a->st.republished++;
		pub_publish(a, p);
	}
	return 0;
nomem:
	svc_clear(&ns);
	return -ENOMEM;
}

int avh_service_remove(struct avh *a, const char *key)
{
	struct pub *p = pub_find(a, key);

	if (!p)
		return -ENOENT;
	tdelete(p, &a->pub_tree, pub_cmp);
	TAILQ_REMOVE(&a->pubs, p, link);
	a->st.services--;
	pub_free(a, p);
	return 0;
}

const char *avh_service_name(const struct avh *a, const char *key)
{
	const struct pub *p = pub_find(a, key);

	return p ? p->pubname : NULL;
}

/* ---------------------------------------------------------------- browsing */

/* The strings of l into *out (caller frees), pointing into l. 0 or -ENOMEM. */
static int txt_report(const AvahiStringList *l, struct dnssd_txt **out, size_t *n)
{
	const AvahiStringList *i;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	for (i = l; i; i = i->next)
		k++;
	if (!k)
		return 0;
	if (!(*out = calloc(k, sizeof(**out))))
		return -ENOMEM;
	for (i = l; i; i = i->next) {
		(*out)[*n].data = i->text;
		(*out)[*n].len = i->size;
		(*n)++;
	}
	return 0;
}

static void bent_report(struct avh *a, struct bent *e, enum avh_event ev)
{
	struct avh_found f;
	struct dnssd_txt *txt;
	struct dnssd_addr addr = {0};

	if (!a->found)
		return;
	memset(&f, 0, sizeof(f));
	f.event = ev;
	f.ifindex = e->ifindex;
	f.af = e->proto == AVAHI_PROTO_INET6 ? AF_INET6 : AF_INET;
	if (e->addr.proto == AVAHI_PROTO_INET6) {
		addr.af = AF_INET6;
		memcpy(addr.a, e->addr.data.ipv6.address, 16);
	} else {
		addr.af = AF_INET;
		memcpy(addr.a, &e->addr.data.ipv4.address, 4);
	}
	f.svc = (struct dnssd_service){
	    .name = e->name,
	    .type = e->type,
	    .domain = e->domain,
	    .host = e->host,
	    .port = e->port,
	    .addrs = &addr,
	    .naddrs = 1,
	};
	/* Resolvers hand the strings over in wire order. */
	if (txt_report(e->txt, &txt, &f.svc.ntxt) < 0) {
		log_warnx("avahi: out of memory reporting service %s", e->type);
		return;
	}
	f.svc.txt = txt;
	f.local = e->local;
	if (ev == AVH_NEW)
		a->st.found++;
	a->found(a->arg, &f);
	free(txt);
}

static void bent_unqueue(struct avh *a, struct bent *e)
{
	if (e->queued) {
		TAILQ_REMOVE(&a->queue, e, qlink);
		e->queued = 0;
	}
	if (e->res) {
		avahi_service_resolver_free(e->res);
		e->res = NULL;
		a->resolving--;
	}
}

/* Forgets e, telling the owner it is gone if it was reported. */
static void bent_drop(struct avh *a, struct bent *e, int report)
{
	bent_unqueue(a, e);
	tdelete(e, &a->bent_tree, bent_cmp);
	TAILQ_REMOVE(&a->bents, e, link);
	if (report && e->delivered)
		bent_report(a, e, AVH_REMOVED);
	free(e->name);
	free(e->type);
	free(e->domain);
	free(e->host);
	avahi_string_list_free(e->txt);
	free(e);
}

static void res_cb(AvahiServiceResolver *r, AvahiIfIndex ifindex, AvahiProtocol proto,
                   AvahiResolverEvent event, const char *name, const char *type,
                   const char *domain, const char *host, const AvahiAddress *addr,
                   uint16_t port, AvahiStringList *txt, AvahiLookupResultFlags flags,
                   void *arg);

static void resolve_pump(struct avh *a)
{
	char b[256];

	while (a->running && a->resolving < MAX_RESOLVERS && !TAILQ_EMPTY(&a->queue)) {
		struct bent *e = TAILQ_FIRST(&a->queue);

		TAILQ_REMOVE(&a->queue, e, qlink);
		e->queued = 0;
		/* Addresses of the family the service was found over (A over IPv4). */
		e->res = avahi_service_resolver_new(
		    a->client, e->ifindex, e->proto, e->name, e->type, e->domain,
		    e->proto, AVAHI_LOOKUP_USE_MULTICAST, res_cb, e);
		if (!e->res) {
			log_debug("avahi: cannot resolve \"%s\": %s",
			          clean(e->name, b, sizeof(b)),
			          avahi_strerror(avahi_client_errno(a->client)));
			continue;
		}
		a->resolving++;
	}
}

static void res_cb(AvahiServiceResolver *r, AvahiIfIndex ifindex, AvahiProtocol proto,
                   AvahiResolverEvent event, const char *name, const char *type,
                   const char *domain, const char *host, const AvahiAddress *addr,
                   uint16_t port, AvahiStringList *txt, AvahiLookupResultFlags flags,
                   void *arg)
{
	struct bent *e = arg;
	struct avh *a = e->avh;
	char b[256];

	(void)ifindex;
	(void)proto;
	(void)type;
	(void)domain;
	/* One answer is enough: later changes come from the browser and the LAN. */
	avahi_service_resolver_free(r);
	e->res = NULL;
	a->resolving--;
	if (event != AVAHI_RESOLVER_FOUND) {
		log_debug("avahi: cannot resolve \"%s\": %s", clean(name, b, sizeof(b)),
		          avahi_strerror(avahi_client_errno(a->client)));
	} else if (flags & AVAHI_LOOKUP_RESULT_OUR_OWN) {
		bent_drop(a, e, 1);
	} else if (host && addr) {
		if (e->delivered && !strcmp(e->host, host) &&
		    avahi_address_cmp(&e->addr, addr) == 0 && e->port == port &&
		    avahi_string_list_equal(e->txt, txt)) {
			a->st.duplicates++;
		} else {
			char *h = strdup(host);
			AvahiStringList *t = avahi_string_list_copy(txt);

			if (!h || (txt && !t)) {
				free(h);
				avahi_string_list_free(t);
			} else {
				free(e->host);
				avahi_string_list_free(e->txt);
				e->host = h;
				e->txt = t;
				e->addr = *addr;
				e->port = port;
				e->delivered = 1;
				bent_report(a, e, AVH_NEW);
			}
		}
	}
	resolve_pump(a);
}

static void sb_cb(AvahiServiceBrowser *b, AvahiIfIndex ifindex, AvahiProtocol proto,
                  AvahiBrowserEvent event, const char *name, const char *type,
                  const char *domain, AvahiLookupResultFlags flags, void *arg)
{
	struct avh *a = arg;
	struct bent k = {.ifindex = ifindex,
	                 .proto = proto,
	                 .name = (char *)name,
	                 .type = (char *)type,
	                 .domain = (char *)domain};
	struct bent *e;
	void **n;
	char buf[256];

	(void)b;
	if (event == AVAHI_BROWSER_FAILURE) {
		log_debug("avahi: browsing %s failed: %s", clean(type, buf, sizeof(buf)),
		          avahi_strerror(avahi_client_errno(a->client)));
		return;
	}
	if (event != AVAHI_BROWSER_NEW && event != AVAHI_BROWSER_REMOVE)
		return;
	if (!name || !type || !domain)
		return;
	n = tfind(&k, &a->bent_tree, bent_cmp);
	e = n ? *n : NULL;
	if (event == AVAHI_BROWSER_REMOVE) {
		if (e)
			bent_drop(a, e, 1);
		return;
	}
	/* What this client publishes is not the site's: never send it back. */
	if (flags & AVAHI_LOOKUP_RESULT_OUR_OWN)
		return;
	if (!e) {
		if (!(e = calloc(1, sizeof(*e))))
			return;
		e->avh = a;
		e->ifindex = ifindex;
		e->proto = proto;
		e->name = strdup(name);
		e->type = strdup(type);
		e->domain = strdup(domain);
		if (!e->name || !e->type || !e->domain ||
		    !tsearch(e, &a->bent_tree, bent_cmp)) {
			free(e->name);
			free(e->type);
			free(e->domain);
			free(e);
			return;
		}
		TAILQ_INSERT_TAIL(&a->bents, e, link);
	}
	e->stale = 0;
	e->local = !!(flags & AVAHI_LOOKUP_RESULT_LOCAL);
	if (!e->queued && !e->res) {
		TAILQ_INSERT_TAIL(&a->queue, e, qlink);
		e->queued = 1;
	}
	resolve_pump(a);
}

static void stb_cb(AvahiServiceTypeBrowser *b, AvahiIfIndex ifindex, AvahiProtocol proto,
                   AvahiBrowserEvent event, const char *type, const char *domain,
                   AvahiLookupResultFlags flags, void *arg)
{
	struct avh *a = arg;
	struct btype *t;
	char buf[256];

	(void)b;
	(void)ifindex;
	(void)proto;
	(void)flags;
	if (event == AVAHI_BROWSER_FAILURE) {
		log_warnx("avahi: browsing service types failed: %s",
		          avahi_strerror(avahi_client_errno(a->client)));
		return;
	}
	/* A type that goes: its browser reports its services' removal. */
	if (event != AVAHI_BROWSER_NEW || !type || !domain)
		return;
	for (t = TAILQ_FIRST(&a->types); t; t = TAILQ_NEXT(t, link))
		if (!strcasecmp(t->type, type) && !strcasecmp(t->domain, domain))
			return;
	if (!(t = calloc(1, sizeof(*t))))
		return;
	t->type = strdup(type);
	t->domain = strdup(domain);
	if (t->type && t->domain)
		t->sb = avahi_service_browser_new(a->client, AVAHI_IF_UNSPEC,
		                                  AVAHI_PROTO_UNSPEC, type, domain,
		                                  AVAHI_LOOKUP_USE_MULTICAST, sb_cb, a);
	if (!t->sb) {
		log_warnx("avahi: cannot browse %s: %s", clean(type, buf, sizeof(buf)),
		          avahi_strerror(avahi_client_errno(a->client)));
		free(t->type);
		free(t->domain);
		free(t);
		return;
	}
	log_debug("avahi: browsing %s", clean(type, buf, sizeof(buf)));
	TAILQ_INSERT_TAIL(&a->types, t, link);
}

static void browse_open(struct avh *a)
{
	if (!a->found || !a->running || a->stb)
		return;
	a->stb = avahi_service_type_browser_new(a->client, AVAHI_IF_UNSPEC,
	                                        AVAHI_PROTO_UNSPEC, "local",
	                                        AVAHI_LOOKUP_USE_MULTICAST, stb_cb, a);
	if (!a->stb)
		log_warnx("avahi: cannot browse service types: %s",
		          avahi_strerror(avahi_client_errno(a->client)));
}

/* Frees the browsers and resolvers (the client's objects), keeps what was found. */
static void browse_close(struct avh *a)
{
	struct btype *t;
	struct bent *e;

	for (e = TAILQ_FIRST(&a->bents); e; e = TAILQ_NEXT(e, link))
		bent_unqueue(a, e);
	while ((t = TAILQ_FIRST(&a->types))) {
		TAILQ_REMOVE(&a->types, t, link);
		avahi_service_browser_free(t->sb);
		free(t->type);
		free(t->domain);
		free(t);
	}
	if (a->stb)
		avahi_service_type_browser_free(a->stb);
	a->stb = NULL;
}

static void reconcile_cb(evutil_socket_t fd, short what, void *arg)
{
	struct avh *a = arg;
	struct bent *e, *next;

	(void)fd;
	(void)what;
	for (e = TAILQ_FIRST(&a->bents); e; e = next) {
		next = TAILQ_NEXT(e, link);
		if (e->stale)
			bent_drop(a, e, 1);
	}
}

int avh_browse_start(struct avh *a, avh_found_fn *fn)
{
	if (a->found)
		return -EALREADY;
	a->found = fn;
	browse_open(a);
	return 0;
}

void avh_browse_stop(struct avh *a)
{
	if (!a)
		return;
	browse_close(a);
	while (!TAILQ_EMPTY(&a->bents))
		bent_drop(a, TAILQ_FIRST(&a->bents), 0);
	evtimer_del(a->reconcile);
	a->found = NULL;
}

/* ---------------------------------------------------------------- the connection */

static void set_missing(struct avh *a, const char *why)
{
	if (!a->missing) {
		a->missing = 1;
		log_warnx("avahi-daemon is not running; will publish when it returns");
	}
	log_debug("avahi: %s", why);
}

static void set_running(struct avh *a, int running)
{
	if (a->running == running)
		return;
	a->running = running;
	if (a->cbs.running)
		a->cbs.running(a->arg, running);
}

/* Drops every object of the client (about to be freed); the desired state stays. */
static void forget_client(struct avh *a)
{
	struct pub *p;
	struct host *h;
	struct bent *e, *next;

	for (p = TAILQ_FIRST(&a->pubs); p; p = TAILQ_NEXT(p, link)) {
		if (p->group)
			avahi_entry_group_free(p->group);
		p->group = NULL;
		p->live = 0;
		p->established = 0;
	}
	for (h = TAILQ_FIRST(&a->hosts); h; h = TAILQ_NEXT(h, link)) {
		if (h->group)
			avahi_entry_group_free(h->group);
		h->group = NULL;
	}
	browse_close(a);
	/* Reported services stay reported until the new browsers have had their say. */
	for (e = TAILQ_FIRST(&a->bents); e; e = next) {
		next = TAILQ_NEXT(e, link);
		if (e->delivered)
			e->stale = 1;
		else
			bent_drop(a, e, 0);
	}
}

static void client_cb(AvahiClient *c, AvahiClientState state, void *arg);

static void connect_client(struct avh *a)
{
	int err = 0;
	struct timeval tv = {RETRY_SEC, 0};

	a->client = avahi_client_new(avh_poll_api(a->poll), AVAHI_CLIENT_NO_FAIL,
	                             client_cb, a, &err);
	if (!a->client) {
		set_missing(a, avahi_strerror(err));
		evtimer_add(a->retry, &tv);
	}
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct avh *a = arg;

	(void)fd;
	(void)what;
	if (a->client) {
		forget_client(a);
		avahi_client_free(a->client);
		a->client = NULL;
	}
	connect_client(a);
}

static void publish_all(struct avh *a)
{
	struct host *h;
	struct pub *p;

	for (h = TAILQ_FIRST(&a->hosts); h; h = TAILQ_NEXT(h, link))
		host_publish(a, h);
	for (p = TAILQ_FIRST(&a->pubs); p; p = TAILQ_NEXT(p, link))
		pub_publish(a, p);
}

static void withdraw_all(struct avh *a)
{
	struct host *h;
	struct pub *p;

	for (p = TAILQ_FIRST(&a->pubs); p; p = TAILQ_NEXT(p, link)) {
		if (p->group)
			avahi_entry_group_reset(p->group);
		p->live = 0;
		p->established = 0;
	}
	for (h = TAILQ_FIRST(&a->hosts); h; h = TAILQ_NEXT(h, link))
		if (h->group)
			avahi_entry_group_reset(h->group);
}

static void client_cb(AvahiClient *c, AvahiClientState state, void *arg)
{
	struct avh *a = arg;
	struct timeval now = {0, 0}, later = {RETRY_SEC, 0}, grace = {RECONCILE_SEC, 0};
	int err;

	/* The first call can come from inside avahi_client_new, before it returns. */
	a->client = c;
	switch (state) {
	case AVAHI_CLIENT_S_RUNNING:
		if (a->missing)
			log_info("avahi-daemon is running; publishing %u services",
			         a->st.services);
		a->missing = 0;
		if (a->was_connected) {
			a->st.reconnects++;
			if (!TAILQ_EMPTY(&a->bents))
				evtimer_add(a->reconcile, &grace);
		}
		a->was_connected = 1;
		set_running(a, 1);
		publish_all(a);
		browse_open(a);
		break;
	case AVAHI_CLIENT_S_REGISTERING:
	case AVAHI_CLIENT_S_COLLISION:
		/* The daemon's own host name is being (re)established: wait for RUNNING.
		 */
		withdraw_all(a);
		set_running(a, 0);
		break;
	case AVAHI_CLIENT_CONNECTING:
		set_running(a, 0);
		set_missing(a, "waiting for avahi-daemon");
		break;
	case AVAHI_CLIENT_FAILURE:
		set_running(a, 0);
		err = avahi_client_errno(c);
		set_missing(a, avahi_strerror(err));
		/* Not from inside the client's own D-Bus dispatch: from the loop. */
		evtimer_add(a->retry, err == AVAHI_ERR_DISCONNECTED ? &now : &later);
		break;
	}
}

struct avh *avh_new(struct event_base *base, const struct avh_callbacks *cbs, void *arg)
{
	struct avh *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->base = base;
	if (cbs)
		a->cbs = *cbs;
	a->arg = arg;
	TAILQ_INIT(&a->pubs);
	TAILQ_INIT(&a->hosts);
	TAILQ_INIT(&a->types);
	TAILQ_INIT(&a->bents);
	TAILQ_INIT(&a->queue);
	a->poll = avh_poll_new(base);
	a->retry = evtimer_new(base, retry_cb, a);
	a->reconcile = evtimer_new(base, reconcile_cb, a);
	if (!a->poll || !a->retry || !a->reconcile) {
		avh_poll_free(a->poll);
		if (a->retry)
			event_free(a->retry);
		if (a->reconcile)
			event_free(a->reconcile);
		free(a);
		errno = ENOMEM;
		return NULL;
	}
	connect_client(a);
	return a;
}

void avh_free(struct avh *a)
{
	struct pub *p;

	if (!a)
		return;
	avh_browse_stop(a);
	while ((p = TAILQ_FIRST(&a->pubs))) {
		tdelete(p, &a->pub_tree, pub_cmp);
		TAILQ_REMOVE(&a->pubs, p, link);
		pub_free(a, p);
	}
	/* Freeing the client drops its groups: avahi-daemon sends the goodbyes. */
	if (a->client)
		avahi_client_free(a->client);
	event_free(a->retry);
	event_free(a->reconcile);
	avh_poll_free(a->poll);
	free(a);
}

void avh_get_stats(const struct avh *a, struct avh_stats *st)
{
	const struct pub *p;

	*st = a->st;
	st->running = a->running;
	st->established = 0;
	for (p = TAILQ_FIRST(&a->pubs); p; p = TAILQ_NEXT(p, link))
		if (p->established)
			st->established++;
}
