/* wadomain.c: this site's domain on the DNS server, and other sites' (see wadomain.h). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "dnssd/name.h"
#include "dnssd/rrkey.h"
#include "dnssd/vec.h"
#include "dnssd/waupdate.h"
#include "dnssd/waxfr.h"
#include "dnssd/wazone.h"
#include "engine/proxy.h"
#include "engine/remote.h"
#include "policy/config.h"
#include "reflector/cfgfile.h"
#include "reflector/dnsclient.h"
#include "reflector/log.h"
#include "reflector/report.h"
#include "reflector/wadomain.h"

/* Changes are collected this long before an UPDATE goes (well within a second). */
#define WAD_BATCH_MS 250
/*
 * After the server comes up, deletions wait this long: the LAN is browsed
 * again at the same time, and what it still has must not be deleted and
 * re-added while its answers arrive.
 */
#define WAD_SETTLE_MS 3000
/* Records per UPDATE to start with; a message over 64 KB is split further. */
#define WAD_BATCH_RECORDS 1000
/* Backoff of UPDATEs and transfers the server refused. */
#define WAD_RETRY_MIN_MS 1000
#define WAD_RETRY_MAX_MS 60000
/* The name of the export remote: not a site name, so never one of a peer. */
#define WAD_EXPORT_REMOTE "(dns)"

/* A record this site has for the domain, as the engine gave it (.local names). */
struct lrec {
	uint64_t hash;
	ldns_rr *rr;
	size_t len;
	uint8_t key[];
};

struct batch {
	ldns_rr_list *add, *del;
};

struct wad_export {
	long id; /* engine remote id, < 0: none */
	bool up;
	uint64_t up_at;
	time_t since; /* wall clock of the last change of up, for status */
	struct dnssd_table local;
	uint64_t seed;      /* of local's hashes (dnssd_hash_seed differs at each call) */
	ldns_rr_list *have; /* owned records the server holds */
	ldns_rr_list *rejected; /* records the server would not take (SERVFAIL alone) */
	bool dirty, xfr_busy, need_xfr;
	struct event *flush; /* batching and retry timer */
	struct event *retry; /* the transfer's retry timer */
	uint64_t backoff_ms;
	struct batch *batches; /* of the round under way */
	size_t nbatches, capbatches;
	bool inflight;
	char last_error[256];
	time_t error_since;
	uint64_t updates_sent, updates_failed, records_added, records_deleted;
	uint64_t gen; /* changes of have: a transfer older than the last is not used */
	/* Knot folds names to lower case: seen once by reading a published name back */
	ldns_rr *case_sample;
	bool case_checked;
};

struct wad_import {
	struct wad *w;
	char site[40];
	char domain[256];
	const struct policy_dns_import *cfg;
	long id;
	bool up;
	time_t since;
	ldns_rr_list *imported; /* what was last given to the engine (.local names) */
	uint32_t min_ttl;
	uint64_t fed_at;
	bool seen; /* in the configuration being applied (wad_reconfigure) */
};

struct wad {
	struct event_base *base;
	struct proxy *proxy;
	const struct policy_config *cfg;
	const struct policy_dns *dns;
	void (*run)(void *arg);
	void *run_arg;
	struct dnsc *dnsc;
	char zone[256], domain[256];
	struct wad_export ex;
	struct wad_import **imports;
	size_t nimports, capimports;
	/* the zone's serial, polled for the imports */
	struct event *poll;
	bool poll_busy, have_serial;
	uint32_t serial;
	uint64_t polls, transfers;
	uint64_t xfr_gen; /* ex.gen when the poll's transfer was asked for */
	char import_error[256];
	time_t import_error_since;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void arm(struct event *ev, uint64_t ms)
{
	struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
	                     .tv_usec = (suseconds_t)(ms % 1000) * 1000};
	evtimer_add(ev, &tv);
}

static void run_engine(struct wad *w)
{
	if (w->run)
		w->run(w->run_arg);
}

/* "NOTAUTH (TSIG BADKEY: ...)" for an answer, or the errno text for no answer. */
static void result_text(const struct dnsc_result *r, char *buf, size_t n)
{
	if (r->err)
		snprintf(buf, n, "%s",
		         r->err == -EBADMSG ? "answer not signed with the key"
		                            : strerror(-r->err));
	else
		dnssd_wa_error_str(r->rcode, r->tsig_error, buf, n);
}

/* ------------------------------------------------------------ local records */

static bool lrec_eq(const void *item, const void *key)
{
	const struct lrec *a = item;
	const struct dnssd_rrkey *k = key;
	return a->len == k->len && memcmp(a->key, k->buf, k->len) == 0;
}

static void local_clear(struct wad_export *ex)
{
	for (size_t i = 0; ex->local.slots && i <= ex->local.mask; i++) {
		struct lrec *r = ex->local.slots[i].item;
		if (r) {
			ldns_rr_free(r->rr);
			free(r);
		}
	}
	dnssd_table_reset(&ex->local);
}

/* A record from the engine: kept, replaced (new spelling or TTL) or (TTL 0) dropped. */
static int local_put(struct wad_export *ex, const ldns_rr *rr)
{
	struct dnssd_rrkey k;
	dnssd_rrkey_init(&k);
	int rc = dnssd_rrkey_build(&k, rr);
	if (rc < 0)
		goto out;
	uint64_t h = dnssd_hash(k.buf, k.len, ex->seed);
	struct lrec *r = dnssd_table_find(&ex->local, h, lrec_eq, &k);
	if (ldns_rr_ttl(rr) == 0) {
		if (r) {
			dnssd_table_remove(&ex->local, h, r);
			ldns_rr_free(r->rr);
			free(r);
		}
		goto out;
	}
	ldns_rr *c = ldns_rr_clone(rr);
	if (!c) {
		rc = -ENOMEM;
		goto out;
	}
	if (r) {
		ldns_rr_free(r->rr);
		r->rr = c;
		goto out;
	}
	if (!(r = malloc(sizeof(*r) + k.len))) {
		ldns_rr_free(c);
		rc = -ENOMEM;
		goto out;
	}
	r->hash = h;
	r->rr = c;
	r->len = k.len;
	memcpy(r->key, k.buf, k.len);
	if ((rc = dnssd_table_insert(&ex->local, h, r)) < 0) {
		ldns_rr_free(c);
		free(r);
	}
out:
	dnssd_rrkey_fini(&k);
	return rc;
}

/* The local records as a list that only points at them (ldns_rr_list_free()). */
static ldns_rr_list *local_list(const struct wad_export *ex)
{
	ldns_rr_list *l = ldns_rr_list_new();
	for (size_t i = 0; l && ex->local.slots && i <= ex->local.mask; i++) {
		struct lrec *r = ex->local.slots[i].item;
		if (r && !ldns_rr_list_push_rr(l, r->rr)) {
			ldns_rr_list_free(l);
			return NULL;
		}
	}
	return l;
}

/* ------------------------------------------------------------ record lists */

static int rr_cmp_ptr(const void *a, const void *b)
{
	return dnssd_wa_rr_cmp(*(ldns_rr *const *)a, *(ldns_rr *const *)b);
}

/*
 * have after an UPDATE that took add and del: del's records out, add's in. In
 * one sorted pass, since have may hold the whole domain.
 */
static int have_apply(ldns_rr_list **have, const ldns_rr_list *add,
                      const ldns_rr_list *del)
{
	size_t nh = ldns_rr_list_rr_count(*have),
	       nd = del ? ldns_rr_list_rr_count(del) : 0;
	size_t na = add ? ldns_rr_list_rr_count(add) : 0;
	ldns_rr **dv = malloc((nd ? nd : 1) * sizeof(*dv));
	ldns_rr_list *n = ldns_rr_list_new();
	int rc = 0;
	if (!dv || !n) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nd; i++)
		dv[i] = ldns_rr_list_rr(del, i);
	qsort(dv, nd, sizeof(*dv), rr_cmp_ptr);
	for (size_t i = 0; i < nh && rc == 0; i++) {
		ldns_rr *rr = ldns_rr_list_rr(*have, i);
		if (nd && bsearch(&rr, dv, nd, sizeof(*dv), rr_cmp_ptr)) {
			ldns_rr_free(rr);
			continue;
		}
		if (!ldns_rr_list_push_rr(n, rr)) {
			ldns_rr_free(rr);
			rc = -ENOMEM;
		}
	}
	for (size_t i = 0; i < na && rc == 0; i++) {
		ldns_rr *c = ldns_rr_clone(ldns_rr_list_rr(add, i));
		if (!c || !ldns_rr_list_push_rr(n, c)) {
			ldns_rr_free(c);
			rc = -ENOMEM;
		}
	}
	/* have's records now belong to n (or were freed): only the old array goes */
	ldns_rr_list_set_rr_count(*have, 0);
	ldns_rr_list_free(*have);
	*have = n;
	n = NULL;
out:
	free(dv);
	ldns_rr_list_free(n);
	return rc;
}

/* ------------------------------------------------------------ export */

static void ex_schedule(struct wad *w, uint64_t ms);
static void poll_schedule(struct wad *w);
static void ex_flush(struct wad *w);
static void ex_transfer(struct wad *w);

static void ex_set_error(struct wad *w, const char *what, const struct dnsc_result *r)
{
	struct wad_export *ex = &w->ex;
	char text[200], line[256];
	result_text(r, text, sizeof(text));
	snprintf(line, sizeof(line), "%s: %s", what, text);
	/* One line per failure, not one per retry of the same failure. */
	if (strcmp(line, ex->last_error) != 0)
		log_warnx("dns: %s for %s refused by %s: %s", what, w->domain,
		          dnsc_server(w->dnsc), text);
	if (!ex->last_error[0] || strcmp(line, ex->last_error) != 0)
		ex->error_since = time(NULL);
	snprintf(ex->last_error, sizeof(ex->last_error), "%s", line);
}

static void ex_clear_error(struct wad *w)
{
	struct wad_export *ex = &w->ex;
	/* A refusal that ends is worth a line; the end of an outage has its own. */
	if (ex->last_error[0] && strncmp(ex->last_error, "server unreachable", 18) != 0)
		log_info("dns: %s accepted by %s again", w->domain, dnsc_server(w->dnsc));
	ex->last_error[0] = 0;
	ex->backoff_ms = WAD_RETRY_MIN_MS;
}

static uint64_t ex_backoff(struct wad_export *ex)
{
	uint64_t b = ex->backoff_ms;
	ex->backoff_ms = b * 2 > WAD_RETRY_MAX_MS ? WAD_RETRY_MAX_MS : b * 2;
	return b;
}

static void batches_free(struct wad_export *ex)
{
	for (size_t i = 0; i < ex->nbatches; i++) {
		ldns_rr_list_deep_free(ex->batches[i].add);
		ldns_rr_list_deep_free(ex->batches[i].del);
	}
	ex->nbatches = 0;
	ex->inflight = false;
}

/* The records of l from i on, at most n, as a new list of copies. */
static ldns_rr_list *slice(const ldns_rr_list *l, size_t i, size_t n)
{
	ldns_rr_list *s = ldns_rr_list_new();
	size_t end = l ? ldns_rr_list_rr_count(l) : 0;
	if (i + n < end)
		end = i + n;
	for (; s && i < end; i++) {
		ldns_rr *c = ldns_rr_clone(ldns_rr_list_rr(l, i));
		if (!c || !ldns_rr_list_push_rr(s, c)) {
			ldns_rr_free(c);
			ldns_rr_list_deep_free(s);
			return NULL;
		}
	}
	return s;
}

static size_t batch_size(const struct batch *b)
{
	return (b->add ? ldns_rr_list_rr_count(b->add) : 0) +
	       (b->del ? ldns_rr_list_rr_count(b->del) : 0);
}

/* Replace batch i by its two halves (deletions and additions kept in order). */
static int batch_split(struct wad_export *ex, size_t i)
{
	if (dnssd_grow((void **)&ex->batches, &ex->capbatches, ex->nbatches + 1,
	               sizeof(*ex->batches)) < 0)
		return -ENOMEM;
	struct batch b = ex->batches[i];
	size_t nd = b.del ? ldns_rr_list_rr_count(b.del) : 0;
	size_t na = b.add ? ldns_rr_list_rr_count(b.add) : 0;
	size_t half = (nd + na) / 2;
	struct batch x, y;
	if (half <= nd) {
		x = (struct batch){NULL, slice(b.del, 0, half)};
		y = (struct batch){slice(b.add, 0, na), slice(b.del, half, nd)};
	} else {
		x = (struct batch){slice(b.add, 0, half - nd), slice(b.del, 0, nd)};
		y = (struct batch){slice(b.add, half - nd, na), NULL};
	}
	if ((half <= nd ? !x.del || !y.add || !y.del : !x.add || !x.del || !y.add)) {
		ldns_rr_list_deep_free(x.add);
		ldns_rr_list_deep_free(x.del);
		ldns_rr_list_deep_free(y.add);
		ldns_rr_list_deep_free(y.del);
		return -ENOMEM;
	}
	memmove(&ex->batches[i + 2], &ex->batches[i + 1],
	        (ex->nbatches - i - 1) * sizeof(*ex->batches));
	ex->batches[i] = x;
	ex->batches[i + 1] = y;
	ex->nbatches++;
	ldns_rr_list_deep_free(b.add);
	ldns_rr_list_deep_free(b.del);
	return 0;
}

static bool has_upper(const ldns_rdf *name)
{
	const uint8_t *d = ldns_rdf_data(name);
	for (size_t i = 0; i < ldns_rdf_size(name); i++)
		if (dnssd_lower(d[i]) != d[i])
			return true;
	return false;
}

static void on_update(void *arg, const struct dnsc_result *r);

/* Send the first batch of the round, or end the round. */
static void ex_send_next(struct wad *w)
{
	struct wad_export *ex = &w->ex;
	while (ex->nbatches) {
		struct batch *b = &ex->batches[0];
		struct dnssd_wa_msg *m = NULL;
		int rc = dnssd_wa_update(w->zone, b->add, b->del, dnsc_next_id(w->dnsc),
		                         dnsc_key(w->dnsc), &m);
		if (rc == -EMSGSIZE && batch_size(b) > 1 && batch_split(ex, 0) == 0)
			continue;
		if (rc < 0) {
			log_warnx("dns: cannot build an UPDATE for %s: %s", w->domain,
			          strerror(-rc));
			batches_free(ex);
			ex_schedule(w, ex_backoff(ex));
			return;
		}
		rc = dnsc_send(w->dnsc, DNSC_SINGLE, m, on_update, w);
		if (rc < 0) {
			/* down: the server's return brings a transfer and a new round */
			batches_free(ex);
			return;
		}
		ex->inflight = true;
		ex->updates_sent++;
		return;
	}
	/* Round done. Knot folds names: read one back once to know (and say so). */
	if (ex->case_sample && !ex->case_checked && !ex->xfr_busy) {
		ex->need_xfr = true;
		ex_transfer(w);
	}
	if (ex->dirty)
		ex_schedule(w, WAD_BATCH_MS);
}

static void log_rejected(struct wad *w, const ldns_rr_list *l)
{
	for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);
		char *owner = ldns_rdf2str(ldns_rr_owner(rr));
		char *type = ldns_rr_type2str(ldns_rr_get_type(rr));
		log_warnx("dns: %s refuses a record of the RRset %s %s (SERVFAIL): with "
		          "BIND 9.18 an RRset holds at most max-records-per-type records "
		          "(100 by default); raise it (max-records-per-type 0; for no "
		          "limit) in the zone or options block. The other records are "
		          "published",
		          dnsc_server(w->dnsc), owner ? owner : "?", type ? type : "?");
		free(owner);
		free(type);
	}
}

static bool same_rrset(const ldns_rr *a, const ldns_rr *b)
{
	return ldns_rr_get_type(a) == ldns_rr_get_type(b) &&
	       ldns_dname_compare(ldns_rr_owner(a), ldns_rr_owner(b)) == 0;
}

/* Whether held has a record of the RRset of add's (one) record. */
static bool same_rrset_held(const ldns_rr_list *held, const ldns_rr_list *add)
{
	if (!add || ldns_rr_list_rr_count(add) != 1)
		return false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(held); i++)
		if (same_rrset(ldns_rr_list_rr(held, i), ldns_rr_list_rr(add, 0)))
			return true;
	return false;
}

/*
 * Records refused for want of room in their RRset may go in once a record of that
 * RRset was deleted: they are tried again (and logged again if refused again).
 */
static void forgive_rejected(struct wad_export *ex, const ldns_rr_list *del)
{
	size_t n = ldns_rr_list_rr_count(ex->rejected), k = 0;
	for (size_t i = 0; i < n; i++) {
		ldns_rr *rr = ldns_rr_list_rr(ex->rejected, i);
		bool freed = false;
		for (size_t j = 0; del && j < ldns_rr_list_rr_count(del) && !freed; j++) {
			freed = same_rrset(ldns_rr_list_rr(del, j), rr);
		}
		if (freed) {
			ldns_rr_free(rr);
			ex->dirty = true;
		} else {
			ldns_rr_list_set_rr(ex->rejected, rr, k++);
		}
	}
	ldns_rr_list_set_rr_count(ex->rejected, k);
}

/* The first batch is done with (sent, or given up): drop it, send the next. */
static void batch_done(struct wad *w)
{
	struct wad_export *ex = &w->ex;
	struct batch *b = &ex->batches[0];
	ldns_rr_list_deep_free(b->add);
	ldns_rr_list_deep_free(b->del);
	memmove(&ex->batches[0], &ex->batches[1],
	        (--ex->nbatches) * sizeof(*ex->batches));
	ex_send_next(w);
}

static void on_update(void *arg, const struct dnsc_result *r)
{
	struct wad *w = arg;
	struct wad_export *ex = &w->ex;
	ex->inflight = false;
	if (!ex->nbatches)
		return;
	struct batch *b = &ex->batches[0];
	if (r->err == 0 && r->rcode == LDNS_RCODE_NOERROR && r->tsig_error == 0) {
		ex_clear_error(w);
		ex->gen++;
		if (have_apply(&ex->have, b->add, b->del) < 0)
			ex->need_xfr = true; /* lost track: read the domain again */
		forgive_rejected(ex, b->del);
		ex->records_added += b->add ? ldns_rr_list_rr_count(b->add) : 0;
		ex->records_deleted += b->del ? ldns_rr_list_rr_count(b->del) : 0;
		for (size_t i = 0;
		     !ex->case_sample && b->add && i < ldns_rr_list_rr_count(b->add); i++)
			if (has_upper(ldns_rr_owner(ldns_rr_list_rr(b->add, i))))
				ex->case_sample =
				    ldns_rr_clone(ldns_rr_list_rr(b->add, i));
		batch_done(w);
		return;
	}
	ex->updates_failed++;
	if (r->err == 0 && r->rcode == LDNS_RCODE_SERVFAIL) {
		/* All or nothing: halve until the records that cannot go in are alone. */
		if (batch_size(b) > 1 && batch_split(ex, 0) == 0) {
			ex_send_next(w);
			return;
		}
		if (batch_size(b) == 1) {
			/* One line per RRset, however many of its records do not fit. */
			if (!same_rrset_held(ex->rejected, b->add))
				log_rejected(w, b->add);
			for (size_t i = 0; b->add && i < ldns_rr_list_rr_count(b->add);
			     i++) {
				ldns_rr *c = ldns_rr_clone(ldns_rr_list_rr(b->add, i));
				if (c && !ldns_rr_list_push_rr(ex->rejected, c))
					ldns_rr_free(c);
			}
			if (b->del && ldns_rr_list_rr_count(b->del))
				ex_set_error(w, "UPDATE", r);
			batch_done(w);
			return;
		}
	}
	batches_free(ex);
	if (r->err == -ETIMEDOUT || r->err == -ECONNRESET || r->err == -ECONNREFUSED ||
	    r->err == -ENOTCONN || dnsc_is_down(w->dnsc))
		return; /* the server is down: its return brings a transfer */
	ex_set_error(w, "UPDATE", r);
	ex->dirty = true;
	ex_schedule(w, ex_backoff(ex));
}

/* Bring the server to what the domain should hold. */
static void ex_flush(struct wad *w)
{
	struct wad_export *ex = &w->ex;
	if (!ex->up || ex->inflight || ex->nbatches || ex->xfr_busy)
		return;
	if (ex->need_xfr) {
		ex_transfer(w);
		return;
	}
	ex->dirty = false;
	ldns_rr_list *local = local_list(ex), *want = NULL, *add = NULL, *del = NULL;
	int rc = local ? dnssd_wa_export(local, w->domain, w->zone,
	                                 policy_dns_ttl(w->dns), &want)
	               : -ENOMEM;
	ldns_rr_list_free(local);
	log_trace("dns: %s: %zu local records, %zu wanted, %zu held", w->domain,
	          ex->local.count, want ? ldns_rr_list_rr_count(want) : 0,
	          ldns_rr_list_rr_count(ex->have));
	if (rc == 0)
		rc = dnssd_wa_diff(want, ex->have, w->domain, w->zone, &add, &del);
	ldns_rr_list_deep_free(want);
	if (rc < 0) {
		log_warnx("dns: cannot work out the changes of %s: %s", w->domain,
		          strerror(-rc));
		ex->dirty = true;
		ex_schedule(w, ex_backoff(ex));
		goto out;
	}
	/* What the server would not take stays out, rather than fail again. */
	size_t nrej = ldns_rr_list_rr_count(ex->rejected);
	ldns_rr **rej = nrej ? malloc(nrej * sizeof(*rej)) : NULL;
	if (rej) {
		for (size_t i = 0; i < nrej; i++)
			rej[i] = ldns_rr_list_rr(ex->rejected, i);
		qsort(rej, nrej, sizeof(*rej), rr_cmp_ptr);
		ldns_rr_list *keep = ldns_rr_list_new();
		for (size_t i = 0; keep && i < ldns_rr_list_rr_count(add); i++) {
			ldns_rr *rr = ldns_rr_list_rr(add, i);
			if (bsearch(&rr, rej, nrej, sizeof(*rej), rr_cmp_ptr) ||
			    !ldns_rr_list_push_rr(keep, rr))
				ldns_rr_free(rr);
		}
		if (keep) {
			ldns_rr_list_set_rr_count(add, 0);
			ldns_rr_list_free(add);
			add = keep;
		}
		free(rej);
	}
	/* Right after coming up, deletions wait for the LAN to answer again. */
	uint64_t now = mono_ms();
	if (ldns_rr_list_rr_count(del) && now < ex->up_at + WAD_SETTLE_MS) {
		ldns_rr_list_deep_free(del);
		del = ldns_rr_list_new();
		ex->dirty = true;
		ex_schedule(w, ex->up_at + WAD_SETTLE_MS - now);
	}
	size_t nd = del ? ldns_rr_list_rr_count(del) : 0, na = ldns_rr_list_rr_count(add);
	if (nd + na)
		log_debug("dns: %s: %zu records to add, %zu to delete", w->domain, na,
		          nd);
	/* Deletions first, so that a replaced record never meets a limit beside its old
	 * copy. */
	for (size_t s0 = 0; s0 < nd + na; s0 += WAD_BATCH_RECORDS) {
		size_t e =
		    s0 + WAD_BATCH_RECORDS < nd + na ? s0 + WAD_BATCH_RECORDS : nd + na;
		struct batch b = {NULL, NULL};
		bool ok = true;
		if (s0 < nd)
			ok = (b.del = slice(del, s0, (e < nd ? e : nd) - s0)) != NULL;
		if (ok && e > nd) {
			size_t a0 = s0 > nd ? s0 - nd : 0;
			ok = (b.add = slice(add, a0, e - nd - a0)) != NULL;
		}
		if (!ok || dnssd_grow((void **)&ex->batches, &ex->capbatches,
		                      ex->nbatches + 1, sizeof(*ex->batches)) < 0) {
			ldns_rr_list_deep_free(b.add);
			ldns_rr_list_deep_free(b.del);
			batches_free(ex);
			ex->dirty = true;
			ex_schedule(w, ex_backoff(ex));
			goto out;
		}
		ex->batches[ex->nbatches++] = b;
	}
	ex_send_next(w);
out:
	ldns_rr_list_deep_free(add);
	ldns_rr_list_deep_free(del);
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ex_flush(arg);
}

static void ex_schedule(struct wad *w, uint64_t ms)
{
	if (!evtimer_pending(w->ex.flush, NULL))
		arm(w->ex.flush, ms);
}

/* The sample published with capitals, as the transfer has it: folded or not. */
static void ex_check_case(struct wad *w, const ldns_rr_list *zone)
{
	struct wad_export *ex = &w->ex;
	for (size_t i = 0; i < ldns_rr_list_rr_count(zone); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(zone, i);
		if (dnssd_wa_rr_cmp(rr, ex->case_sample) != 0)
			continue;
		const ldns_rdf *a = ldns_rr_owner(rr),
		               *b = ldns_rr_owner(ex->case_sample);
		if (ldns_rdf_size(a) == ldns_rdf_size(b) &&
		    memcmp(ldns_rdf_data(a), ldns_rdf_data(b), ldns_rdf_size(a)) != 0)
			log_info(
			    "dns: %s stores names in lower case (as Knot DNS does): "
			    "instance names of %s show in lower case at sites and "
			    "clients reading it; use a server that keeps case (BIND) "
			    "where people read them",
			    dnsc_server(w->dnsc), w->domain);
		return;
	}
}

/* Copies of the records of zone this gateway owns; NULL on ENOMEM. */
static ldns_rr_list *owned_of(const struct wad *w, const ldns_rr_list *zone)
{
	ldns_rr_list *owned = ldns_rr_list_new();
	ldns_rdf *dom = ldns_dname_new_frm_str(w->domain),
	         *zn = ldns_dname_new_frm_str(w->zone);
	bool ok = owned && dom && zn;
	for (size_t i = 0; ok && i < ldns_rr_list_rr_count(zone); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(zone, i);
		if (!dnssd_wa_owned(rr, dom, zn))
			continue;
		ldns_rr *c = ldns_rr_clone(rr);
		ok = c && ldns_rr_list_push_rr(owned, c);
		if (!ok)
			ldns_rr_free(c);
	}
	ldns_rdf_deep_free(dom);
	ldns_rdf_deep_free(zn);
	if (!ok) {
		ldns_rr_list_deep_free(owned);
		return NULL;
	}
	return owned;
}

/* Whether a and b hold the same records (as DNS compares them), in any order. */
static bool same_records(const ldns_rr_list *a, const ldns_rr_list *b)
{
	size_t n = ldns_rr_list_rr_count(a);
	if (n != ldns_rr_list_rr_count(b))
		return false;
	ldns_rr **va = malloc((n ? n : 1) * sizeof(*va)),
	        **vb = malloc((n ? n : 1) * sizeof(*vb));
	bool same = va && vb;
	for (size_t i = 0; same && i < n; i++) {
		va[i] = ldns_rr_list_rr(a, i);
		vb[i] = ldns_rr_list_rr(b, i);
	}
	if (same) {
		qsort(va, n, sizeof(*va), rr_cmp_ptr);
		qsort(vb, n, sizeof(*vb), rr_cmp_ptr);
	}
	for (size_t i = 0; same && i < n; i++)
		same = dnssd_wa_rr_cmp(va[i], vb[i]) == 0;
	free(va);
	free(vb);
	return same;
}

/*
 * The zone as a poll read it: if what this gateway holds there is not what it
 * thinks (a server restarted on an older zone file, someone else's edit), the
 * next round brings it back. Only when no change of its own happened since the
 * transfer was asked for.
 */
static void ex_reconcile(struct wad *w, const ldns_rr_list *zone)
{
	struct wad_export *ex = &w->ex;
	if (!ex->up || ex->inflight || ex->nbatches || ex->xfr_busy ||
	    ex->gen != w->xfr_gen)
		return;
	ldns_rr_list *owned = owned_of(w, zone);
	if (!owned)
		return;
	if (same_records(owned, ex->have)) {
		ldns_rr_list_deep_free(owned);
		return;
	}
	log_info(
	    "dns: %s holds %zu records of %s, not the %zu published: bringing it back",
	    dnsc_server(w->dnsc), ldns_rr_list_rr_count(owned), w->domain,
	    ldns_rr_list_rr_count(ex->have));
	ldns_rr_list_deep_free(ex->have);
	ex->have = owned;
	ex->gen++;
	ex->dirty = true;
	ex_schedule(w, WAD_BATCH_MS);
}

static void on_export_xfr(void *arg, const struct dnsc_result *r)
{
	struct wad *w = arg;
	struct wad_export *ex = &w->ex;
	ex->xfr_busy = false;
	if (r->err || !r->xfr) {
		if (r->err == -ETIMEDOUT || r->err == -ECONNRESET ||
		    r->err == -ECONNREFUSED || dnsc_is_down(w->dnsc))
			return;
		ex_set_error(w, "AXFR", r);
		arm(ex->retry, ex_backoff(ex));
		return;
	}
	ldns_rr_list *zone = dnssd_wa_xfr_take(r->xfr);
	ldns_rr_list *owned = zone ? owned_of(w, zone) : NULL;
	if (!owned) {
		ldns_rr_list_deep_free(zone);
		arm(ex->retry, ex_backoff(ex));
		return;
	}
	if (ex->case_sample && !ex->case_checked) {
		ex_check_case(w, zone);
		ex->case_checked = true; /* once, found or not */
	}
	ldns_rr_list_deep_free(zone);
	ex->gen++;
	ldns_rr_list_deep_free(ex->have);
	ex->have = owned;
	ex->need_xfr = false;
	ex_clear_error(w);
	if (!ex->up) {
		ex->up = true;
		ex->up_at = mono_ms();
		ex->since = time(NULL);
		log_info("dns: %s up: %zu records of %s held there by this gateway "
		         "(zone serial %u)",
		         dnsc_server(w->dnsc), ldns_rr_list_rr_count(owned), w->domain,
		         (unsigned)dnssd_wa_xfr_serial(r->xfr));
		/* The engine sends the whole allowed set again: start from it alone. */
		local_clear(ex);
		proxy_peer_up(w->proxy, (unsigned)ex->id, mono_ms());
		run_engine(w);
		if (!w->poll_busy && !evtimer_pending(w->poll, NULL))
			poll_schedule(w);
	}
	ex->dirty = true;
	ex_schedule(w, WAD_BATCH_MS);
}

static void ex_transfer(struct wad *w)
{
	struct wad_export *ex = &w->ex;
	struct dnssd_wa_msg *m = NULL;
	if (ex->xfr_busy)
		return;
	int rc = dnssd_wa_query(w->zone, LDNS_RR_TYPE_AXFR, dnsc_next_id(w->dnsc),
	                        dnsc_key(w->dnsc), &m);
	if (rc == 0)
		rc = dnsc_send(w->dnsc, DNSC_XFR, m, on_export_xfr, w);
	if (rc == -ENOTCONN)
		return;
	if (rc < 0) {
		arm(ex->retry, ex_backoff(ex));
		return;
	}
	ex->xfr_busy = true;
}

static void on_ex_retry(evutil_socket_t fd, short what, void *arg)
{
	struct wad *w = arg;
	(void)fd;
	(void)what;
	if (!dnsc_is_down(w->dnsc))
		ex_transfer(w);
}

/* proxy_remote_ops.send_records of the export remote: kept, sent within a second. */
static int ex_records(void *arg, unsigned id, const char *origin, unsigned hops,
                      const ldns_rr *const *rrs, size_t n)
{
	struct wad *w = arg;
	int rc = 0;
	(void)id;
	(void)origin;
	(void)hops;
	for (size_t i = 0; i < n; i++)
		if (rrs[i]) {
			if (log_getverbose() >= 2) {
				char *t = ldns_rr2str(rrs[i]);
				log_trace("dns: from the engine: %s", t ? t : "?");
				free(t);
			}
			int r = local_put(&w->ex, rrs[i]);
			rc = rc ? rc : r;
		}
	w->ex.dirty = true;
	if (w->ex.up)
		ex_schedule(w, WAD_BATCH_MS);
	return rc;
}

static struct proxy_remote_cfg ex_cfg(const struct policy_dns *d)
{
	return (struct proxy_remote_cfg){
	    .name = WAD_EXPORT_REMOTE,
	    .export_rules = policy_dns_export(d),
	    .addrmap = policy_dns_addrmap(d),
	    .keep_linklocal = policy_dns_keep_linklocal(d),
	};
}

/* ------------------------------------------------------------ import */

static struct proxy_remote_cfg im_cfg(const struct policy_dns_import *im)
{
	return (struct proxy_remote_cfg){
	    .name = policy_dns_import_site(im),
	    .import_rules = policy_dns_import_rules(im),
	};
}

static void im_free(struct wad *w, struct wad_import *im)
{
	if (!im)
		return;
	if (im->id >= 0)
		proxy_remove_remote(w->proxy, (unsigned)im->id, mono_ms());
	ldns_rr_list_deep_free(im->imported);
	free(im);
}

static struct wad_import *im_new(struct wad *w, const struct policy_dns_import *c)
{
	struct wad_import *im = calloc(1, sizeof(*im));
	if (!im)
		return NULL;
	im->w = w;
	im->id = -1;
	im->cfg = c;
	snprintf(im->site, sizeof(im->site), "%s", policy_dns_import_site(c));
	snprintf(im->domain, sizeof(im->domain), "%s", policy_dns_import_domain(c));
	struct proxy_remote_cfg rc = im_cfg(c);
	static const struct proxy_remote_ops ops = {0};
	long id = proxy_add_remote(w->proxy, &rc, &ops, im, mono_ms());
	if (id < 0) {
		log_warnx("dns: cannot import %s: %s", im->domain, strerror((int)-id));
		free(im);
		errno = (int)-id;
		return NULL;
	}
	im->id = id;
	/* The zone's transfer is what is read: a domain elsewhere is never found in it.
	 */
	size_t dl = strlen(im->domain), zl = strlen(w->zone);
	if (!(dl == zl && strcmp(im->domain, w->zone) == 0) &&
	    !(dl > zl && im->domain[dl - zl - 1] == '.' &&
	      strcmp(im->domain + dl - zl, w->zone) == 0))
		log_warnx(
		    "dns: imported domain %s is not inside the zone %s: nothing of it "
		    "will be found",
		    im->domain, w->zone);
	return im;
}

/* Give the engine rrs (copies: the engine only reads them) of im's site. */
static void im_feed(struct wad *w, struct wad_import *im, const ldns_rr_list *l)
{
	size_t n = l ? ldns_rr_list_rr_count(l) : 0;
	if (!n)
		return;
	ldns_rr **v = malloc(n * sizeof(*v));
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = ldns_rr_list_rr(l, i);
	proxy_peer_records(w->proxy, (unsigned)im->id, im->site, 0, v, n, mono_ms());
	free(v);
}

static void im_set_up(struct wad *w, struct wad_import *im, bool up)
{
	if (im->up == up)
		return;
	im->up = up;
	im->since = time(NULL);
	if (up)
		proxy_peer_up(w->proxy, (unsigned)im->id, mono_ms());
	else
		proxy_peer_down(w->proxy, (unsigned)im->id, mono_ms());
}

/* The domain's records in the transferred zone: news and refreshes, goodbyes. */
static void im_apply(struct wad *w, struct wad_import *im, const ldns_rr_list *zone)
{
	ldns_rr_list *now = NULL;
	if (dnssd_wa_import(zone, im->domain, &now) < 0)
		return;
	im_set_up(w, im, true);
	size_t nn = ldns_rr_list_rr_count(now), no = ldns_rr_list_rr_count(im->imported);
	ldns_rr **v = malloc((nn ? nn : 1) * sizeof(*v));
	ldns_rr_list *gone = ldns_rr_list_new();
	if (v && gone) {
		for (size_t i = 0; i < nn; i++)
			v[i] = ldns_rr_list_rr(now, i);
		qsort(v, nn, sizeof(*v), rr_cmp_ptr);
		for (size_t i = 0; i < no; i++) {
			ldns_rr *rr = ldns_rr_list_rr(im->imported, i);
			if (nn && bsearch(&rr, v, nn, sizeof(*v), rr_cmp_ptr))
				continue;
			ldns_rr *c = ldns_rr_clone(rr);
			if (c) {
				ldns_rr_set_ttl(c, 0);
				if (!ldns_rr_list_push_rr(gone, c))
					ldns_rr_free(c);
			}
		}
		im_feed(w, im, gone);
	}
	free(v);
	ldns_rr_list_deep_free(gone);
	im_feed(w, im, now);
	uint32_t min = UINT32_MAX;
	for (size_t i = 0; i < nn; i++)
		if (ldns_rr_ttl(ldns_rr_list_rr(now, i)) < min)
			min = ldns_rr_ttl(ldns_rr_list_rr(now, i));
	im->min_ttl = min == UINT32_MAX ? 0 : min;
	im->fed_at = mono_ms();
	ldns_rr_list_deep_free(im->imported);
	im->imported = now;
}

/* Nothing changed: what was imported is given again before its TTL runs out. */
static void im_refresh(struct wad *w, struct wad_import *im)
{
	uint64_t now = mono_ms();
	if (!im->up || !im->imported || now < im->fed_at + (uint64_t)im->min_ttl * 500)
		return;
	im_feed(w, im, im->imported);
	im->fed_at = now;
}

static void im_error(struct wad *w, const char *what, const struct dnsc_result *r)
{
	char text[200], line[256];
	result_text(r, text, sizeof(text));
	snprintf(line, sizeof(line), "%s: %s", what, text);
	if (strcmp(line, w->import_error) != 0 && w->nimports) {
		log_warnx("dns: %s of %s refused by %s: %s", what, w->zone,
		          dnsc_server(w->dnsc), text);
		w->import_error_since = time(NULL);
	}
	snprintf(w->import_error, sizeof(w->import_error), "%s", line);
	for (size_t i = 0; i < w->nimports; i++)
		im_set_up(w, w->imports[i], false);
}

static void poll_schedule(struct wad *w)
{
	evtimer_del(w->poll);
	/* The export is checked too: a server restarted on an old zone is noticed. */
	if (w->nimports || w->ex.up)
		arm(w->poll, (uint64_t)policy_dns_poll(w->dns) * 1000);
}

static bool conn_err(const struct dnsc_result *r)
{
	return r->err == -ETIMEDOUT || r->err == -ECONNRESET || r->err == -ECONNREFUSED;
}

static void on_import_xfr(void *arg, const struct dnsc_result *r)
{
	struct wad *w = arg;
	w->poll_busy = false;
	if (r->err || !r->xfr) {
		if (!conn_err(r) && !dnsc_is_down(w->dnsc))
			im_error(w, "AXFR", r);
		poll_schedule(w);
		return;
	}
	w->transfers++;
	w->import_error[0] = 0;
	ldns_rr_list *zone = dnssd_wa_xfr_take(r->xfr);
	w->serial = dnssd_wa_xfr_serial(r->xfr);
	w->have_serial = true;
	for (size_t i = 0; zone && i < w->nimports; i++)
		im_apply(w, w->imports[i], zone);
	if (zone)
		ex_reconcile(w, zone);
	ldns_rr_list_deep_free(zone);
	run_engine(w);
	poll_schedule(w);
}

static void im_transfer(struct wad *w)
{
	struct dnssd_wa_msg *m = NULL;
	int rc = dnssd_wa_query(w->zone, LDNS_RR_TYPE_AXFR, dnsc_next_id(w->dnsc),
	                        dnsc_key(w->dnsc), &m);
	if (rc == 0)
		rc = dnsc_send(w->dnsc, DNSC_XFR, m, on_import_xfr, w);
	w->xfr_gen = w->ex.gen;
	if (rc < 0) {
		w->poll_busy = false;
		if (rc != -ENOTCONN)
			poll_schedule(w);
		return;
	}
	w->poll_busy = true;
}

static void on_soa(void *arg, const struct dnsc_result *r)
{
	struct wad *w = arg;
	uint32_t serial;
	w->poll_busy = false;
	if (r->err || r->rcode != LDNS_RCODE_NOERROR) {
		if (!conn_err(r) && !dnsc_is_down(w->dnsc))
			im_error(w, "SOA query", r);
		poll_schedule(w);
		return;
	}
	if (dnssd_wa_soa_serial(r->answer, &serial) < 0) {
		poll_schedule(w);
		return;
	}
	if (!w->have_serial || serial != w->serial) {
		im_transfer(w);
		return;
	}
	for (size_t i = 0; i < w->nimports; i++)
		im_refresh(w, w->imports[i]);
	run_engine(w);
	poll_schedule(w);
}

static void poll_now(struct wad *w)
{
	struct dnssd_wa_msg *m = NULL;
	if ((!w->nimports && !w->ex.up) || w->poll_busy || dnsc_is_down(w->dnsc))
		return;
	evtimer_del(w->poll);
	w->polls++;
	int rc = dnssd_wa_query(w->zone, LDNS_RR_TYPE_SOA, dnsc_next_id(w->dnsc),
	                        dnsc_key(w->dnsc), &m);
	if (rc == 0)
		rc = dnsc_send(w->dnsc, DNSC_SINGLE, m, on_soa, w);
	if (rc < 0) {
		if (rc != -ENOTCONN)
			poll_schedule(w);
		return;
	}
	w->poll_busy = true;
}

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	poll_now(arg);
}

/* ------------------------------------------------------------ server state */

static void on_server_up(void *arg)
{
	struct wad *w = arg;
	log_info("dns: %s reachable", dnsc_server(w->dnsc));
	w->ex.backoff_ms = WAD_RETRY_MIN_MS;
	ex_transfer(w);
	w->have_serial = false; /* read everything again after an outage */
	poll_now(w);
}

static void on_server_down(void *arg, int err)
{
	struct wad *w = arg;
	struct wad_export *ex = &w->ex;
	log_warnx("dns: %s unreachable: %s; nothing is lost, retrying with backoff",
	          dnsc_server(w->dnsc), strerror(-err));
	snprintf(ex->last_error, sizeof(ex->last_error), "server unreachable: %s",
	         strerror(-err));
	ex->error_since = time(NULL);
	batches_free(ex);
	ex->xfr_busy = false;
	w->poll_busy = false;
	if (ex->up) {
		ex->up = false;
		ex->since = time(NULL);
		proxy_peer_down(w->proxy, (unsigned)ex->id, mono_ms());
	}
	for (size_t i = 0; i < w->nimports; i++)
		im_set_up(w, w->imports[i], false);
	run_engine(w);
}

/* ------------------------------------------------------------ life cycle */

static int imports_sync(struct wad *w, const struct policy_dns *d)
{
	for (size_t i = 0; i < w->nimports; i++)
		w->imports[i]->seen = false;
	for (size_t j = 0; j < policy_dns_nimports(d); j++) {
		const struct policy_dns_import *c = policy_dns_import(d, j);
		struct wad_import *im = NULL;
		for (size_t i = 0; i < w->nimports && !im; i++)
			if (strcmp(w->imports[i]->site, policy_dns_import_site(c)) == 0 &&
			    strcmp(w->imports[i]->domain, policy_dns_import_domain(c)) ==
			        0)
				im = w->imports[i];
		if (im) {
			struct proxy_remote_cfg rc = im_cfg(c);
			im->cfg = c;
			im->seen = true;
			if (proxy_update_remote(w->proxy, (unsigned)im->id, &rc,
			                        mono_ms()) < 0)
				return -ENOMEM;
			continue;
		}
		if (dnssd_grow((void **)&w->imports, &w->capimports, w->nimports + 1,
		               sizeof(*w->imports)) < 0)
			return -ENOMEM;
		if (!(im = im_new(w, c)))
			continue; /* logged */
		im->seen = true;
		w->imports[w->nimports++] = im;
		w->have_serial = false; /* the new domain is read at the next poll */
	}
	size_t k = 0;
	for (size_t i = 0; i < w->nimports; i++) {
		if (w->imports[i]->seen)
			w->imports[k++] = w->imports[i];
		else
			im_free(w, w->imports[i]);
	}
	w->nimports = k;
	return 0;
}

struct wad *wad_new(struct event_base *base, struct proxy *p,
                    const struct policy_config *cfg, const struct cfgfile_secret *secret,
                    void (*run)(void *arg), void *arg)
{
	const struct policy_dns *d = policy_config_dns(cfg);
	struct wad *w = calloc(1, sizeof(*w));
	struct dnssd_wa_key key = {0};
	if (!w || !d) {
		free(w);
		errno = d ? ENOMEM : EINVAL;
		return NULL;
	}
	w->base = base;
	w->proxy = p;
	w->cfg = cfg;
	w->dns = d;
	w->run = run;
	w->run_arg = arg;
	w->ex.id = -1;
	w->ex.backoff_ms = WAD_RETRY_MIN_MS;
	snprintf(w->zone, sizeof(w->zone), "%s", policy_dns_zone(d));
	snprintf(w->domain, sizeof(w->domain), "%s", policy_dns_domain(d));
	snprintf(key.name, sizeof(key.name), "%s", policy_dns_tsig_name(d));
	snprintf(key.algorithm, sizeof(key.algorithm), "%s",
	         policy_dns_tsig_algorithm_name(d));
	snprintf(key.secret, sizeof(key.secret), "%s", secret->b64);
	struct dnsc_events ev = {.up = on_server_up, .down = on_server_down};
	int err = ENOMEM;
	w->ex.seed = dnssd_hash_seed(&w->ex.local);
	if (dnssd_table_init(&w->ex.local) < 0 || !(w->ex.have = ldns_rr_list_new()) ||
	    !(w->ex.rejected = ldns_rr_list_new()) ||
	    !(w->ex.flush = evtimer_new(base, on_flush, w)) ||
	    !(w->ex.retry = evtimer_new(base, on_ex_retry, w)) ||
	    !(w->poll = evtimer_new(base, on_poll, w)))
		goto fail;
	w->dnsc = dnsc_new(base, policy_dns_server_host(d), policy_dns_server_port(d),
	                   &key, &ev, w);
	if (!w->dnsc) {
		err = errno;
		goto fail;
	}
	struct proxy_remote_cfg rc = ex_cfg(d);
	struct proxy_remote_ops ops = {.send_records = ex_records};
	long id = proxy_add_remote(p, &rc, &ops, w, mono_ms());
	if (id < 0) {
		err = (int)-id;
		goto fail;
	}
	w->ex.id = id;
	if (imports_sync(w, d) < 0)
		goto fail;
	explicit_bzero(&key, sizeof(key));
	/* The first request connects; its success is the first events.up. */
	ex_transfer(w);
	poll_now(w);
	return w;
fail:
	explicit_bzero(&key, sizeof(key));
	wad_free(w);
	errno = err;
	return NULL;
}

void wad_free(struct wad *w)
{
	if (!w)
		return;
	dnsc_free(w->dnsc);
	for (size_t i = 0; i < w->nimports; i++)
		im_free(w, w->imports[i]);
	free(w->imports);
	if (w->ex.id >= 0)
		proxy_remove_remote(w->proxy, (unsigned)w->ex.id, mono_ms());
	batches_free(&w->ex);
	free(w->ex.batches);
	local_clear(&w->ex);
	dnssd_table_fini(&w->ex.local);
	ldns_rr_list_deep_free(w->ex.have);
	ldns_rr_list_deep_free(w->ex.rejected);
	ldns_rr_free(w->ex.case_sample);
	if (w->ex.flush)
		event_free(w->ex.flush);
	if (w->ex.retry)
		event_free(w->ex.retry);
	if (w->poll)
		event_free(w->poll);
	free(w);
}

int wad_reconfigure(struct wad *w, const struct policy_config *cfg)
{
	const struct policy_dns *d = policy_config_dns(cfg);
	if (!d)
		return -EINVAL;
	struct proxy_remote_cfg rc = ex_cfg(d);
	if (proxy_update_remote(w->proxy, (unsigned)w->ex.id, &rc, mono_ms()) < 0)
		return -ENOMEM;
	w->cfg = cfg;
	w->dns = d;
	int r = imports_sync(w, d);
	/* New TTL or rules: the next round works it out. */
	w->ex.dirty = true;
	if (w->ex.up)
		ex_schedule(w, WAD_BATCH_MS);
	if (!w->poll_busy)
		poll_now(w);
	return r;
}

/* ------------------------------------------------------------ status */

void wad_report(const struct wad *w, FILE *f, int json)
{
	const struct wad_export *ex = &w->ex;
	char since[32], esince[32];
	size_t published = ldns_rr_list_rr_count(ex->have);
	struct dnsc_stats cs;
	dnsc_get_stats(w->dnsc, &cs);
	report_time(ex->since, since, sizeof(since));
	report_time(ex->error_since, esince, sizeof(esince));
	if (json) {
		fprintf(f, ",\"dns\":{\"server\":");
		report_json_str(f, dnsc_server(w->dnsc));
		fprintf(f, ",\"zone\":");
		report_json_str(f, w->zone);
		fprintf(f, ",\"domain\":");
		report_json_str(f, w->domain);
		fprintf(f, ",\"state\":\"%s\",\"since\":\"%s\"", ex->up ? "up" : "down",
		        since);
		fprintf(f, ",\"last_error\":");
		report_json_str(f, ex->last_error);
		fprintf(f,
		        ",\"error_since\":\"%s\",\"records_published\":%zu,"
		        "\"records_rejected\":%zu,\"updates_sent\":%llu,"
		        "\"updates_failed\":%llu,\"requests\":%llu,\"bytes_out\":%llu,"
		        "\"bytes_in\":%llu,\"polls\":%llu,\"transfers\":%llu,"
		        "\"serial\":%llu,\"imports\":[",
		        ex->last_error[0] ? esince : "never", published,
		        ldns_rr_list_rr_count(ex->rejected),
		        (unsigned long long)ex->updates_sent,
		        (unsigned long long)ex->updates_failed,
		        (unsigned long long)cs.requests, (unsigned long long)cs.bytes_out,
		        (unsigned long long)cs.bytes_in, (unsigned long long)w->polls,
		        (unsigned long long)w->transfers,
		        w->have_serial ? (unsigned long long)w->serial : 0ULL);
		for (size_t i = 0; i < w->nimports; i++) {
			const struct wad_import *im = w->imports[i];
			fprintf(f, "%s{\"site\":", i ? "," : "");
			report_json_str(f, im->site);
			fprintf(f, ",\"domain\":");
			report_json_str(f, im->domain);
			fprintf(
			    f,
			    ",\"state\":\"%s\",\"serial\":%llu,\"records_imported\":%zu}",
			    im->up ? "up" : "down",
			    w->have_serial ? (unsigned long long)w->serial : 0ULL,
			    im->imported ? ldns_rr_list_rr_count(im->imported) : 0);
		}
		fprintf(f, "],\"import_error\":");
		report_json_str(f, w->import_error);
		fprintf(f, "}");
		return;
	}
	fprintf(f, "dns: server %s, zone %s\n", dnsc_server(w->dnsc), w->zone);
	fprintf(f, "  export %s: %s since %s, %zu records published", w->domain,
	        ex->up ? "up" : "down", since, published);
	if (ldns_rr_list_rr_count(ex->rejected))
		fprintf(f, " (%zu refused by the server)",
		        ldns_rr_list_rr_count(ex->rejected));
	fprintf(f, ", updates sent %llu failed %llu\n",
	        (unsigned long long)ex->updates_sent,
	        (unsigned long long)ex->updates_failed);
	if (ex->last_error[0])
		fprintf(f, "  last error (since %s): %s\n", esince, ex->last_error);
	for (size_t i = 0; i < w->nimports; i++) {
		const struct wad_import *im = w->imports[i];
		fprintf(f, "  import %s (%s): %s, serial %llu, %zu records imported\n",
		        im->site, im->domain, im->up ? "up" : "down",
		        w->have_serial ? (unsigned long long)w->serial : 0ULL,
		        im->imported ? ldns_rr_list_rr_count(im->imported) : 0);
	}
	if (w->import_error[0])
		fprintf(f, "  import error: %s\n", w->import_error);
	fprintf(f,
	        "  requests %llu, bytes out %llu in %llu, polls %llu, transfers %llu\n",
	        (unsigned long long)cs.requests, (unsigned long long)cs.bytes_out,
	        (unsigned long long)cs.bytes_in, (unsigned long long)w->polls,
	        (unsigned long long)w->transfers);
}

void wad_metrics(const struct wad *w, FILE *f)
{
	const struct wad_export *ex = &w->ex;
	struct dnsc_stats cs;
	dnsc_get_stats(w->dnsc, &cs);
	report_prom_single(
	    f, "sitecast_dns_up", "gauge",
	    "Whether the DNS server took this site's domain (1) or not (0).", ex->up);
	report_prom_single(f, "sitecast_dns_records_published", "gauge",
	                   "Records this gateway holds in its domain on the DNS server.",
	                   ldns_rr_list_rr_count(ex->have));
	report_prom_single(f, "sitecast_dns_records_rejected", "gauge",
	                   "Records the DNS server would not take (SERVFAIL alone).",
	                   ldns_rr_list_rr_count(ex->rejected));
	report_prom_single(f, "sitecast_dns_updates_total", "counter",
	                   "UPDATE messages sent.", ex->updates_sent);
	report_prom_single(f, "sitecast_dns_updates_failed_total", "counter",
	                   "UPDATE messages refused or unanswered.", ex->updates_failed);
	report_prom_single(f, "sitecast_dns_requests_total", "counter",
	                   "Messages sent to the DNS server (UPDATE, SOA, AXFR).",
	                   cs.requests);
	report_prom_single(
	    f, "sitecast_dns_bytes_out_total", "counter",
	    "Bytes sent to the DNS server (DNS messages with their TCP length).",
	    cs.bytes_out);
	report_prom_single(f, "sitecast_dns_bytes_in_total", "counter",
	                   "Bytes received from the DNS server.", cs.bytes_in);
	report_prom_single(f, "sitecast_dns_polls_total", "counter",
	                   "SOA serial queries for the imported domains.", w->polls);
	report_prom_single(f, "sitecast_dns_transfers_total", "counter",
	                   "Zone transfers for the imported domains.", w->transfers);
	fprintf(f,
	        "# HELP sitecast_dns_import_up Whether the imported domain is read (1) "
	        "or not (0).\n# TYPE sitecast_dns_import_up gauge\n");
	for (size_t i = 0; i < w->nimports; i++)
		fprintf(f, "sitecast_dns_import_up{site=\"%s\"} %d\n",
		        w->imports[i]->site, w->imports[i]->up ? 1 : 0);
	fprintf(f, "# HELP sitecast_dns_import_records Records of the imported domain "
	           "given to this LAN.\n# TYPE sitecast_dns_import_records gauge\n");
	for (size_t i = 0; i < w->nimports; i++)
		fprintf(f, "sitecast_dns_import_records{site=\"%s\"} %zu\n",
		        w->imports[i]->site,
		        w->imports[i]->imported
		            ? ldns_rr_list_rr_count(w->imports[i]->imported)
		            : 0);
}
