/*
 * wadomain_int.h: the state of reflector/wadomain.c, shared with its status
 * and metrics writer reflector/wadomain_report.c and with nothing else.
 *
 * Ownership: as in wadomain.h; everything here belongs to the struct wad.
 */
#ifndef SITECAST_REFLECTOR_WADOMAIN_INT_H
#define SITECAST_REFLECTOR_WADOMAIN_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <ldns/ldns.h>

#include "dnssd/wapublish.h"

struct event;
struct event_base;
struct proxy;
struct policy_config;
struct policy_dns;
struct policy_dns_import;
struct dnsc;

struct wad_export {
	long id; /* engine remote id, < 0: none */
	bool up;
	uint64_t up_at;
	time_t since; /* wall clock of the last change of up, for status */
	struct dnssd_wa_local *local;
	ldns_rr_list *have;     /* owned records the server holds */
	ldns_rr_list *rejected; /* records the server would not take (SERVFAIL alone) */
	bool dirty, xfr_busy, need_xfr;
	struct event *flush; /* batching and retry timer */
	struct event *retry; /* the transfer's retry timer */
	uint64_t backoff_ms;
	struct dnssd_wa_queue *queue; /* the UPDATEs of the round under way */
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

#endif
