/* wadomain_report.c: the dns part of sitecastctl status and metrics (see wadomain.h). */
#include <config.h>

#include <stdio.h>
#include <time.h>

#include <ldns/ldns.h>

#include "reflector/dnsclient.h"
#include "reflector/report.h"
#include "reflector/wadomain.h"
#include "reflector/wadomain_int.h"

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
	report_prom_head(f, "sitecast_dns_import_up", "gauge",
	                 "Whether the imported domain is read (1) or not (0).");
	for (size_t i = 0; i < w->nimports; i++)
		report_prom_value(f, "sitecast_dns_import_up", "site",
		                  w->imports[i]->site, w->imports[i]->up ? 1 : 0);
	report_prom_head(f, "sitecast_dns_import_records", "gauge",
	                 "Records of the imported domain given to this LAN.");
	for (size_t i = 0; i < w->nimports; i++)
		report_prom_value(f, "sitecast_dns_import_records", "site",
		                  w->imports[i]->site,
		                  w->imports[i]->imported
		                      ? ldns_rr_list_rr_count(w->imports[i]->imported)
		                      : 0);
}
