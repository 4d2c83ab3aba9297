/* wadomain.c: this site's domain on the DNS server, and other sites' (see wadomain.h). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "dnssd/vec.h"
#include "dnssd/wapublish.h"
#include "dnssd/waupdate.h"
#include "dnssd/waxfr.h"
#include "dnssd/wazone.h"
#include "engine/proxy.h"
#include "engine/remote.h"
#include "policy/config.h"
#include "reflector/backoff.h"
#include "reflector/cfgfile.h"
#include "reflector/dnsclient.h"
#include "reflector/log.h"
#include "reflector/wadomain.h"
#include "reflector/wadomain_int.h"
#include "reflector/mono.h"

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
	return backoff_next(&ex->backoff_ms, WAD_RETRY_MIN_MS, WAD_RETRY_MAX_MS);
}

static void batches_free(struct wad_export *ex)
{
	dnssd_wa_queue_clear(ex->queue);
	ex->inflight = false;
}

static void on_update(void *arg, const struct dnsc_result *r);

/* Send the first batch of the round, or end the round. */
static void ex_send_next(struct wad *w)
{
	struct wad_export *ex = &w->ex;
	if (dnssd_wa_queue_len(ex->queue)) {
		struct dnssd_wa_msg *m = NULL;
		int rc = dnssd_wa_queue_message(ex->queue, w->zone, dnsc_next_id(w->dnsc),
		                                dnsc_key(w->dnsc), &m);
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

static void on_update(void *arg, const struct dnsc_result *r)
{
	struct wad *w = arg;
	struct wad_export *ex = &w->ex;
	ex->inflight = false;
	const struct dnssd_wa_batch *b = dnssd_wa_queue_head(ex->queue);
	if (!b)
		return;
	if (r->err == 0 && r->rcode == LDNS_RCODE_NOERROR && r->tsig_error == 0) {
		ex_clear_error(w);
		ex->gen++;
		if (dnssd_wa_have_apply(&ex->have, b->add, b->del) < 0)
			ex->need_xfr = true; /* lost track: read the domain again */
		/* Refused for want of room in their RRset: tried again once it has some.
		 */
		if (dnssd_wa_rejected_forgive(ex->rejected, b->del))
			ex->dirty = true;
		ex->records_added += b->add ? ldns_rr_list_rr_count(b->add) : 0;
		ex->records_deleted += b->del ? ldns_rr_list_rr_count(b->del) : 0;
		for (size_t i = 0;
		     !ex->case_sample && b->add && i < ldns_rr_list_rr_count(b->add); i++)
			if (dnssd_wa_has_upper(ldns_rr_owner(ldns_rr_list_rr(b->add, i))))
				ex->case_sample =
				    ldns_rr_clone(ldns_rr_list_rr(b->add, i));
		dnssd_wa_queue_pop(ex->queue);
		ex_send_next(w);
		return;
	}
	ex->updates_failed++;
	if (r->err == 0 && r->rcode == LDNS_RCODE_SERVFAIL) {
		/* All or nothing: halve until the records that cannot go in are alone. */
		if (dnssd_wa_batch_size(b) > 1 && dnssd_wa_queue_split(ex->queue) == 0) {
			ex_send_next(w);
			return;
		}
		b = dnssd_wa_queue_head(ex->queue); /* the split may have moved it */
		if (dnssd_wa_batch_size(b) == 1) {
			if (dnssd_wa_rejected_add(ex->rejected, b->add) == 1)
				log_rejected(w, b->add);
			if (b->del && ldns_rr_list_rr_count(b->del))
				ex_set_error(w, "UPDATE", r);
			dnssd_wa_queue_pop(ex->queue);
			ex_send_next(w);
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
	if (!ex->up || ex->inflight || dnssd_wa_queue_len(ex->queue) || ex->xfr_busy)
		return;
	if (ex->need_xfr) {
		ex_transfer(w);
		return;
	}
	ex->dirty = false;
	ldns_rr_list *local = dnssd_wa_local_list(ex->local), *want = NULL, *add = NULL,
	             *del = NULL;
	int rc = local ? dnssd_wa_export(local, w->domain, w->zone,
	                                 policy_dns_ttl(w->dns), &want)
	               : -ENOMEM;
	ldns_rr_list_free(local);
	log_trace("dns: %s: %zu local records, %zu wanted, %zu held", w->domain,
	          dnssd_wa_local_count(ex->local), want ? ldns_rr_list_rr_count(want) : 0,
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
	if (dnssd_wa_rejected_filter(ex->rejected, &add) < 0)
		log_debug("dns: %s: out of memory leaving out refused records",
		          w->domain);
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
	if (dnssd_wa_queue_fill(ex->queue, add, del, WAD_BATCH_RECORDS) < 0) {
		batches_free(ex);
		ex->dirty = true;
		ex_schedule(w, ex_backoff(ex));
		goto out;
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
		mono_arm(w->ex.flush, ms);
}

/* The sample published with capitals, as the transfer has it: folded or not. */
static void ex_check_case(struct wad *w, const ldns_rr_list *zone)
{
	if (dnssd_wa_case_folded(zone, w->ex.case_sample) == 1)
		log_info("dns: %s stores names in lower case (as Knot DNS does): "
		         "instance names of %s show in lower case at sites and "
		         "clients reading it; use a server that keeps case (BIND) "
		         "where people read them",
		         dnsc_server(w->dnsc), w->domain);
}

/* Copies of the records of zone this gateway owns; NULL on ENOMEM. */
static ldns_rr_list *owned_of(const struct wad *w, const ldns_rr_list *zone)
{
	ldns_rr_list *owned = NULL;
	return dnssd_wa_owned_of(zone, w->domain, w->zone, &owned) == 0 ? owned : NULL;
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
	if (!ex->up || ex->inflight || dnssd_wa_queue_len(ex->queue) || ex->xfr_busy ||
	    ex->gen != w->xfr_gen)
		return;
	ldns_rr_list *owned = owned_of(w, zone);
	if (!owned)
		return;
	if (dnssd_wa_same_records(owned, ex->have)) {
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
		mono_arm(ex->retry, ex_backoff(ex));
		return;
	}
	ldns_rr_list *zone = dnssd_wa_xfr_take(r->xfr);
	ldns_rr_list *owned = zone ? owned_of(w, zone) : NULL;
	if (!owned) {
		ldns_rr_list_deep_free(zone);
		mono_arm(ex->retry, ex_backoff(ex));
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
		dnssd_wa_local_clear(ex->local);
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
		mono_arm(ex->retry, ex_backoff(ex));
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
			int r = dnssd_wa_local_put(w->ex.local, rrs[i]);
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
	size_t nn = ldns_rr_list_rr_count(now);
	ldns_rr_list *gone = NULL;
	if (dnssd_wa_gone(im->imported, now, &gone) == 0)
		im_feed(w, im, gone);
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
		mono_arm(w->poll, (uint64_t)policy_dns_poll(w->dns) * 1000);
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
	if (!(w->ex.local = dnssd_wa_local_new()) ||
	    !(w->ex.queue = dnssd_wa_queue_new()) || !(w->ex.have = ldns_rr_list_new()) ||
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
	dnssd_wa_queue_free(w->ex.queue);
	dnssd_wa_local_free(w->ex.local);
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
