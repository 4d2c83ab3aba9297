/* ctl.c: the control socket and the status report (see ctl.h). */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "policy/config.h"
#include "reflector/ctl.h"
#include "reflector/ctl_req.h"
#include "reflector/lan.h"
#include "reflector/log.h"
#include "reflector/peer.h"
#include "reflector/report.h"
#include "dnssd/svcname.h"
#include "dnssd/vec.h"
#include "reflector/wadomain.h"
#include "reflector/mono.h"
#include "engine/proxy.h"

#define CTL_CLIENT_TIMEOUT_S 2
#define CTL_MAX_CLIENTS 8

struct ctl_client {
	struct ctl_client *next;
	struct ctl *ctl;
	int fd;
	struct event *ev;
	char req[CTL_REQ_MAX + 1];
	size_t len;
};

struct ctl {
	struct event_base *base;
	const struct policy_config *cfg;
	struct lan *lan;
	struct peer_mgr *peers;
	struct proxy *proxy;
	char *path;
	char *dir; /* the socket's directory when ctl_new() made it, else NULL */
	int fd;
	struct event *ev;
	struct ctl_client *clients_head;
	unsigned clients;
	const struct wad *wad; /* wide-area DNS-SD, NULL without dns */
};

/* ---- report ---- */

struct report {
	const struct ctl *ctl;
	FILE *f;
	int json;
	int first;
};

/*
 * The counters each peer link keeps in and out, in the order every view gives them:
 * status JSON "word_in"/"word_out", status text "word in X out Y", metrics
 * sitecast_peer_word_in_total / _out_total.
 */
static const struct peer_counter {
	const char *word;
	size_t in, out; /* offsets of uint64_t in struct peer_stats */
	const char *help_in, *help_out;
} peer_counters[] = {
    {"records", offsetof(struct peer_stats, records_in),
     offsetof(struct peer_stats, records_out), "Records received in RECORDS frames.",
     "Records sent in RECORDS frames."},
    {"withdrawn", offsetof(struct peer_stats, withdrawn_in),
     offsetof(struct peer_stats, withdrawn_out), "Records withdrawn by the peer.",
     "Records withdrawn towards the peer."},
    {"questions", offsetof(struct peer_stats, questions_in),
     offsetof(struct peer_stats, questions_out), "Questions received from the peer.",
     "Questions sent to the peer."},
    {"bytes", offsetof(struct peer_stats, bytes_in), offsetof(struct peer_stats, bytes_out),
     "Peer-link frame bytes received (TLS overhead not counted).",
     "Peer-link frame bytes sent (TLS overhead not counted)."},
};
#define NPEER_COUNTERS (sizeof(peer_counters) / sizeof(peer_counters[0]))

static unsigned long long peer_counter(const struct peer_stats *st, size_t off)
{
	uint64_t v;
	memcpy(&v, (const char *)st + off, sizeof(v));
	return (unsigned long long)v;
}

/* The engine's side of the configured peer named name (its remote id is its index in
 * the configuration); zeroed when no such peer is configured. */
static void engine_peer_stats(const struct ctl *c, const char *name,
                              struct proxy_peer_stats *ps)
{
	memset(ps, 0, sizeof(*ps));
	for (size_t i = 0; i < policy_config_npeers(c->cfg); i++)
		if (strcmp(policy_peer_name(policy_config_peer(c->cfg, i)), name) == 0) {
			if (proxy_get_peer_stats(c->proxy, (unsigned)i, ps) < 0)
				memset(ps, 0, sizeof(*ps));
			return;
		}
}

static void report_peer(void *arg, const struct peer_stats *st)
{
	struct report *r = arg;
	FILE *f = r->f;
	char since[32];
	struct proxy_peer_stats ps;

	report_time(st->since, since, sizeof(since));
	engine_peer_stats(r->ctl, st->name, &ps);
	if (r->json) {
		fprintf(f, "%s{\"name\":", r->first ? "" : ",");
		report_json_str(f, st->name);
		fprintf(
		    f, ",\"state\":\"%s\",\"since\":\"%s\",\"incoming\":%s,\"address\":",
		    peer_state_name(st->state), since, st->incoming ? "true" : "false");
		report_json_str(f, st->address);
		fprintf(f, ",\"last_error\":");
		report_json_str(f, st->last_error);
		/* A link that is up keeps the error of an attempt before it: say so. */
		fprintf(f, ",\"last_error_before_up\":%s",
		        st->state == PEER_UP && st->last_error[0] ? "true" : "false");
		for (size_t k = 0; k < NPEER_COUNTERS; k++)
			fprintf(f, ",\"%s_in\":%llu,\"%s_out\":%llu", peer_counters[k].word,
			        peer_counter(st, peer_counters[k].in), peer_counters[k].word,
			        peer_counter(st, peer_counters[k].out));
		fprintf(f, ",\"cached\":%zu,\"grace\":%s}", ps.cached,
		        ps.grace_running ? "true" : "false");
	} else {
		fprintf(f, "  %-20s %-10s since %s%s%s%s\n", st->name,
		        peer_state_name(st->state), since,
		        st->address[0] ? (st->incoming ? " from " : " to ") : "",
		        st->address,
		        ps.grace_running ? " (records kept: grace period)" : "");
		/* two lines: records, withdrawn and questions; then bytes and the cache */
		for (size_t k = 0; k < NPEER_COUNTERS; k++)
			fprintf(f, "%s%s in %llu out %llu",
			        k == 0 ? "    " : k == NPEER_COUNTERS - 1 ? "\n    " : ", ",
			        peer_counters[k].word, peer_counter(st, peer_counters[k].in),
			        peer_counter(st, peer_counters[k].out));
		fprintf(f, ", cached from it %zu\n", ps.cached);
		if (st->last_error[0])
			fprintf(f, "    last error%s: %s\n",
			        st->state == PEER_UP ? " before up" : "", st->last_error);
	}
	r->first = 0;
}

static void report_iface(void *arg, int ifindex, const char *name, int up)
{
	struct report *r = arg;
	if (r->json)
		fprintf(r->f, "%s{\"name\":\"%s\",\"index\":%d,\"up\":%s}",
		        r->first ? "" : ",", name, ifindex, up ? "true" : "false");
	else
		fprintf(r->f, " %s(%s)", name, up ? "up" : "down");
	r->first = 0;
}

/* Drops by reason: the LAN module's, the decoder's, the engine's. */
struct ctl_drop {
	const char *name;
	unsigned long long n;
};
#define CTL_DROPS_MAX (5 + DNSSD_R_MAX + PROXY_DROP_MAX)

static size_t ctl_drops(const struct lan_stats *ls, const struct proxy_stats *ps,
                        struct ctl_drop *d)
{
	size_t nd = 0;
	d[nd++] = (struct ctl_drop){"own", ls->drop_own};
	d[nd++] = (struct ctl_drop){"off-link", ls->drop_offlink};
	d[nd++] = (struct ctl_drop){"oversize", ls->drop_truncated};
	d[nd++] = (struct ctl_drop){"other-interface", ls->drop_ifnotconf};
	d[nd++] = (struct ctl_drop){"receive-overflow", ls->drop_overflow};
	for (int i = 1; i < DNSSD_R_MAX; i++)
		d[nd++] = (struct ctl_drop){dnssd_reason_str((enum dnssd_reason)i),
		                            ps->decode_drops[i]};
	for (int i = 0; i < PROXY_DROP_MAX; i++)
		d[nd++] = (struct ctl_drop){proxy_drop_str((enum proxy_drop)i),
		                            ps->drops[i]};
	return nd;
}

/* The dns section (wadomain.c writes it): after the counters, in both forms. */
static void report_dns(const struct ctl *c, FILE *f, int json)
{
	if (c->wad)
		wad_report(c->wad, f, json);
}

char *ctl_status(const struct ctl *c, int json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct report r = {.ctl = c, .f = f, .json = json, .first = 1};
	struct proxy_stats ps;
	struct lan_stats ls;
	struct peer_mgr_stats ms;

	if (!f)
		return NULL;
	proxy_get_stats(c->proxy, &ps);
	lan_stats(c->lan, &ls);
	peer_mgr_get_stats(c->peers, &ms);

	struct ctl_drop drops[CTL_DROPS_MAX];
	size_t nd = ctl_drops(&ls, &ps, drops);

	if (json) {
		fprintf(f, "{\"site\":");
		report_json_str(f, policy_config_site(c->cfg));
		fprintf(f, ",\"interfaces\":[");
		lan_foreach_interface(c->lan, report_iface, &r);
		fprintf(f, "],\"peers\":[");
		r.first = 1;
		peer_mgr_foreach(c->peers, report_peer, &r);
		fprintf(f,
		        "],\"cache\":{\"local\":%zu,\"remote\":%zu},"
		        "\"counters\":{\"packets_in\":%llu,\"packets_out\":%llu,"
		        "\"bytes_in\":%llu,\"bytes_out\":%llu,\"send_errors\":%llu,"
		        "\"answers_multicast\":%llu,\"answers_unicast\":%llu,"
		        "\"questions_forwarded\":%llu,"
		        "\"shed_questions\":%llu,\"shed_recovered\":%llu,"
		        "\"connections_refused\":%llu,\"connections_overflow\":%llu},"
		        "\"dropped\":{",
		        ps.local_records, ps.remote_records,
		        (unsigned long long)ls.packets_in,
		        (unsigned long long)ls.packets_out,
		        (unsigned long long)ls.bytes_in, (unsigned long long)ls.bytes_out,
		        (unsigned long long)ls.send_errors,
		        (unsigned long long)ps.answers_multicast,
		        (unsigned long long)ps.answers_unicast,
		        (unsigned long long)ps.questions_forwarded,
		        (unsigned long long)ps.shed_questions,
		        (unsigned long long)ps.shed_recovered,
		        (unsigned long long)ms.refused, (unsigned long long)ms.overflow);
		for (size_t i = 0; i < nd; i++)
			fprintf(f, "%s\"%s\":%llu", i ? "," : "", drops[i].name,
			        drops[i].n);
		fprintf(f, "}");
		report_dns(c, f, json);
		fprintf(f, "}\n");
	} else {
		fprintf(f, "site %s\ninterfaces:", policy_config_site(c->cfg));
		lan_foreach_interface(c->lan, report_iface, &r);
		fprintf(f, "\npeers:\n");
		peer_mgr_foreach(c->peers, report_peer, &r);
		fprintf(f, "cache: %zu local records, %zu remote records\n",
		        ps.local_records, ps.remote_records);
		fprintf(f,
		        "packets: in %llu out %llu, bytes in %llu out %llu, send errors "
		        "%llu\n",
		        (unsigned long long)ls.packets_in,
		        (unsigned long long)ls.packets_out,
		        (unsigned long long)ls.bytes_in, (unsigned long long)ls.bytes_out,
		        (unsigned long long)ls.send_errors);
		fprintf(f,
		        "answers from cache: multicast %llu unicast %llu; questions "
		        "forwarded %llu\n",
		        (unsigned long long)ps.answers_multicast,
		        (unsigned long long)ps.answers_unicast,
		        (unsigned long long)ps.questions_forwarded);
		fprintf(f,
		        "shed LAN responses asked for again: questions %llu, records "
		        "recovered %llu\n",
		        (unsigned long long)ps.shed_questions,
		        (unsigned long long)ps.shed_recovered);
		fprintf(
		    f,
		    "peer connections refused %llu, closed at once (too many) %llu%s%s\n",
		    (unsigned long long)ms.refused, (unsigned long long)ms.overflow,
		    ms.last_refused[0] ? "; last refused: " : "", ms.last_refused);
		fprintf(f, "dropped:");
		int any = 0;
		for (size_t i = 0; i < nd; i++)
			if (drops[i].n) {
				fprintf(f, "%s %s %llu", any ? "," : "", drops[i].name,
				        drops[i].n);
				any = 1;
			}
		fprintf(f, "%s\n", any ? "" : " none");
		report_dns(c, f, json);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- metrics (Prometheus text exposition format 0.0.4) ---- */

struct metrics_peer {
	struct peer_stats st;
	size_t cached;
};

struct metrics_peers {
	const struct ctl *ctl;
	struct metrics_peer *v;
	size_t n, cap;
	int oom;
};

static void metrics_peer(void *arg, const struct peer_stats *st)
{
	struct metrics_peers *m = arg;
	struct proxy_peer_stats ps;
	if (dnssd_grow((void **)&m->v, &m->cap, m->n + 1, sizeof(*m->v)) < 0) {
		m->oom = 1;
		return;
	}
	engine_peer_stats(m->ctl, st->name, &ps);
	m->v[m->n++] = (struct metrics_peer){*st, ps.cached};
}

struct metrics_ifaces {
	FILE *f;
};

static void metrics_iface(void *arg, int ifindex, const char *name, int up)
{
	struct metrics_ifaces *m = arg;
	(void)ifindex;
	report_prom_value(m->f, "sitecast_interface_up", "interface", name, up ? 1 : 0);
}

/* A counter family with one sample per peer: the uint64_t at off of its stats. */
static void metrics_peer_counter(FILE *f, const struct metrics_peers *mp, const char *name,
                                 const char *help, size_t off)
{
	report_prom_head(f, name, "counter", help);
	for (size_t i = 0; i < mp->n; i++)
		report_prom_value(f, name, "peer", mp->v[i].st.name,
		                  peer_counter(&mp->v[i].st, off));
}

/* A family of two samples, one count split by a label: its name given once. */
static void metrics_split(FILE *f, const char *name, const char *type, const char *help,
                          const char *label, const char *a, unsigned long long na,
                          const char *b, unsigned long long nb)
{
	report_prom_head(f, name, type, help);
	report_prom_value(f, name, label, a, na);
	report_prom_value(f, name, label, b, nb);
}

char *ctl_metrics(const struct ctl *c)
{
	char *buf = NULL;
	size_t len = 0;
	struct proxy_stats ps;
	struct lan_stats ls;
	struct peer_mgr_stats ms;
	struct metrics_peers mp = {.ctl = c};
	FILE *f;

	proxy_get_stats(c->proxy, &ps);
	lan_stats(c->lan, &ls);
	peer_mgr_get_stats(c->peers, &ms);
	peer_mgr_foreach(c->peers, metrics_peer, &mp);
	if (mp.oom || !(f = open_memstream(&buf, &len))) {
		free(mp.v);
		return NULL;
	}

	/* Every sample of a family follows its HELP and TYPE lines, so the peers are
	 * walked once per family. */
	report_prom_head(f, "sitecast_peer_up", "gauge",
	                 "Whether the link to the peer is up (1) or not (0).");
	for (size_t i = 0; i < mp.n; i++)
		report_prom_value(f, "sitecast_peer_up", "peer", mp.v[i].st.name,
		                  mp.v[i].st.state == PEER_UP);
	for (size_t k = 0; k < NPEER_COUNTERS; k++) {
		const struct peer_counter *pc = &peer_counters[k];
		char name[64];
		snprintf(name, sizeof(name), "sitecast_peer_%s_in_total", pc->word);
		metrics_peer_counter(f, &mp, name, pc->help_in, pc->in);
		snprintf(name, sizeof(name), "sitecast_peer_%s_out_total", pc->word);
		metrics_peer_counter(f, &mp, name, pc->help_out, pc->out);
	}
	metrics_peer_counter(f, &mp, "sitecast_peer_link_ups_total",
	                     "Times the link to the peer came up.",
	                     offsetof(struct peer_stats, ups));
	report_prom_head(f, "sitecast_peer_cached_records", "gauge",
	                 "Records from the peer held in the cache.");
	for (size_t i = 0; i < mp.n; i++)
		report_prom_value(f, "sitecast_peer_cached_records", "peer",
		                  mp.v[i].st.name, mp.v[i].cached);

	metrics_split(f, "sitecast_cache_records", "gauge",
	              "Records in the cache, by origin (this LAN or other sites).",
	              "origin", "local", ps.local_records, "remote", ps.remote_records);

	report_prom_head(f, "sitecast_interface_up", "gauge",
	                 "Whether the LAN interface is up (1) or not (0).");
	struct metrics_ifaces mi = {.f = f};
	lan_foreach_interface(c->lan, metrics_iface, &mi);

	static const char *const lan_names[][2] = {
	    {"sitecast_lan_packets_in_total", "mDNS packets received on the LAN."},
	    {"sitecast_lan_packets_out_total", "mDNS packets sent on the LAN."},
	    {"sitecast_lan_bytes_in_total", "mDNS bytes received on the LAN."},
	    {"sitecast_lan_bytes_out_total", "mDNS bytes sent on the LAN."},
	    {"sitecast_lan_send_errors_total", "mDNS packets that could not be sent."},
	};
	const unsigned long long lan_v[] = {ls.packets_in, ls.packets_out, ls.bytes_in,
	                                    ls.bytes_out, ls.send_errors};
	for (size_t k = 0; k < 5; k++)
		report_prom_single(f, lan_names[k][0], "counter", lan_names[k][1],
		                   lan_v[k]);
	metrics_split(f, "sitecast_cache_answers_total", "counter",
	              "Questions answered from the cache, by kind of answer.", "kind",
	              "multicast", ps.answers_multicast, "unicast", ps.answers_unicast);
	const struct {
		const char *name, *type, *help;
		unsigned long long v;
	} singles[] = {
	    {"sitecast_questions_forwarded_total", "counter",
	     "LAN questions forwarded to other sites.", ps.questions_forwarded},
	    {"sitecast_lan_shed_questions_total", "counter",
	     "Questions asked on the LAN for responses shed over a budget.",
	     ps.shed_questions},
	    {"sitecast_lan_shed_recovered_total", "counter",
	     "Records new in the cache in answer to those questions.", ps.shed_recovered},
	    {"sitecast_peer_connections_refused_total", "counter",
	     "Peer links refused (key, site name, TLS or HELLO).", ms.refused},
	    {"sitecast_peer_connections_overflow_total", "counter",
	     "Incoming connections closed at once: too many pending.", ms.overflow},
	    {"sitecast_peer_connections_pending", "gauge",
	     "Incoming connections not yet authenticated.", ms.pending},
	};
	for (size_t k = 0; k < sizeof(singles) / sizeof(singles[0]); k++)
		report_prom_single(f, singles[k].name, singles[k].type, singles[k].help,
		                   singles[k].v);

	struct ctl_drop drops[CTL_DROPS_MAX];
	size_t nd = ctl_drops(&ls, &ps, drops);
	report_prom_head(f, "sitecast_dropped_total", "counter",
	                 "Packets and records dropped, by reason.");
	for (size_t i = 0; i < nd; i++)
		report_prom_value(f, "sitecast_dropped_total", "reason", drops[i].name,
		                  drops[i].n);

	if (c->wad)
		wad_metrics(c->wad, f);

	free(mp.v);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- services and explain ---- */

/* Characters a terminal shows for s: UTF-8 continuation bytes take no column. */
static size_t text_width(const char *s)
{
	size_t w = 0;
	for (; s && *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* s padded with spaces to width columns, then two more (last: none). */
static void pad(FILE *f, const char *s, size_t width, bool last)
{
	fputs(s ? s : "", f);
	for (size_t w = text_width(s); !last && w < width + 2; w++)
		fputc(' ', f);
}

/*
 * Control bytes in names (a DNS label may hold any byte) shown as '?' in text, so
 * that a name cannot break a line of the answer or reach a terminal as escapes.
 */
static void view_clean(struct proxy_view *v)
{
	for (size_t i = 0; i < v->n; i++) {
		log_clean(v->v[i].name, LOG_CLEAN_CONTROL);
		log_clean(v->v[i].origin_name, LOG_CLEAN_CONTROL);
		log_clean(v->v[i].lan_name, LOG_CLEAN_CONTROL);
	}
}

/* The addresses of a service, comma-separated, into buf. */
static void fmt_addrs(const struct proxy_view_service *s, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < s->naddrs && off + 1 < len; i++) {
		char a[INET6_ADDRSTRLEN];
		if (!inet_ntop(s->addrs[i].af, s->addrs[i].a, a, sizeof(a)))
			continue;
		int n = snprintf(buf + off, len - off, "%s%s", off ? "," : "", a);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
}

static const char *remote_kind(const struct proxy_decision *d)
{
	return d->peer ? "peer" : "dns";
}

/* What decided, for a person: the rule by FILE:LINE, "no rule matched" or none. */
static void fmt_rule(const struct proxy_decision *d, char *buf, size_t len)
{
	if (!d->rules)
		snprintf(buf, len, "deny: no %s rule set configured (default: nothing)",
		         d->import ? "import" : "export");
	else
		policy_explain_format(d->rules, &d->ex, buf, len);
}

/* "exported", "allowed, link down" or "not exported" (the same for imports). */
static const char *decision_word(const struct proxy_decision *d)
{
	if (d->ex.action != POLICY_ALLOW)
		return d->import ? "not imported" : "not exported";
	if (!d->up)
		return "allowed, link down";
	return d->import ? "imported" : "exported";
}

static void json_decision(FILE *f, const struct proxy_decision *d)
{
	char why[512];
	fmt_rule(d, why, sizeof(why));
	fprintf(f, "{\"remote\":");
	report_json_label(f, d->remote);
	fprintf(f, ",\"kind\":\"%s\",\"up\":%s,\"direction\":\"%s\",\"decision\":\"%s\"",
	        remote_kind(d), d->up ? "true" : "false", d->import ? "import" : "export",
	        d->ex.action == POLICY_ALLOW ? "allow" : "deny");
	fprintf(f, ",\"%s\":%s,\"rule_set\":", d->import ? "imported" : "exported",
	        d->ex.action == POLICY_ALLOW && d->up ? "true" : "false");
	if (d->rules)
		report_json_str_or_null(f, policy_ruleset_name(d->rules)
		                               ? policy_ruleset_name(d->rules)
		                               : "inline");
	else
		fputs("null", f);
	if (d->ex.rule == POLICY_NO_RULE)
		fputs(",\"rule\":null,\"file\":null,\"line\":null", f);
	else {
		fprintf(f, ",\"rule\":%zu,\"file\":", d->ex.rule + 1);
		report_json_str_or_null(f, d->ex.file);
		if (d->ex.line)
			fprintf(f, ",\"line\":%u", d->ex.line);
		else
			fputs(",\"line\":null", f);
	}
	fprintf(f, ",\"why\":");
	report_json_label(f, why);
	fputc('}', f);
}

static void json_service(FILE *f, const struct proxy_view_service *s, uint64_t now)
{
	fprintf(f, "{\"name\":");
	report_json_label(f, s->name);
	fprintf(f, ",\"type\":");
	report_json_label(f, s->type);
	fprintf(f, ",\"domain\":");
	report_json_label(f, s->domain);
	fprintf(f, ",\"known\":%s,\"host\":", s->known ? "true" : "false");
	report_json_str_or_null(f, s->host);
	if (s->host)
		fprintf(f, ",\"port\":%u", s->port);
	else
		fputs(",\"port\":null", f);
	fputs(",\"addresses\":[", f);
	for (size_t i = 0; i < s->naddrs; i++) {
		char a[INET6_ADDRSTRLEN];
		if (!inet_ntop(s->addrs[i].af, s->addrs[i].a, a, sizeof(a)))
			continue;
		fprintf(f, "%s\"%s\"", i ? "," : "", a);
	}
	fputc(']', f);
	if (s->known)
		fprintf(f, ",\"last_seen_s\":%llu,\"ttl\":%u",
		        (unsigned long long)(now > s->seen_ms ? (now - s->seen_ms) / 1000
		                                              : 0),
		        s->ttl_left);
	if (s->local) {
		fputs(",\"exports\":[", f);
		for (size_t i = 0; i < s->ndec; i++) {
			if (i)
				fputc(',', f);
			json_decision(f, &s->dec[i]);
		}
		fputc(']', f);
	} else {
		fputs(",\"origin\":", f);
		report_json_label(f, s->origin);
		fputs(",\"origin_name\":", f);
		report_json_label(f, s->origin_name);
		fputs(",\"origin_host\":", f);
		report_json_str_or_null(f, s->origin_host);
		fputs(",\"lan_name\":", f);
		if (s->lan_name)
			report_json_label(f, s->lan_name);
		else
			fputs("null", f);
		fputs(",\"import\":", f);
		if (s->ndec)
			json_decision(f, &s->dec[0]);
		else
			fputs("null", f);
	}
	fputc('}', f);
}

/* Column widths of the service tables. */
enum { COL_NAME, COL_TYPE, COL_HOST, COL_PORT, COL_ADDR, COL_ORIGIN, COL_THERE, NCOL };

static void row_cells(const struct proxy_view_service *s, char *port, char *addrs,
                      size_t alen, const char *cell[NCOL])
{
	snprintf(port, 8, "%u", s->port);
	fmt_addrs(s, addrs, alen);
	cell[COL_NAME] = s->name;
	cell[COL_TYPE] = s->type;
	cell[COL_HOST] = s->host;
	cell[COL_PORT] = port;
	cell[COL_ADDR] = addrs[0] ? addrs : "-";
	cell[COL_ORIGIN] = s->origin;
	cell[COL_THERE] = s->origin_name;
}

static void services_table(FILE *f, const struct proxy_view *v, bool local, uint64_t now)
{
	static const char *const head[NCOL] = {"SERVICE",   "TYPE",   "HOST",      "PORT",
	                                       "ADDRESSES", "ORIGIN", "NAME THERE"};
	size_t w[NCOL], ncol = local ? COL_ADDR + 1 : NCOL, rows = 0;
	char port[8], addrs[512];
	const char *cell[NCOL];

	for (size_t k = 0; k < NCOL; k++)
		w[k] = text_width(head[k]);
	for (size_t i = 0; i < v->n; i++) {
		if (v->v[i].local != local)
			continue;
		rows++;
		row_cells(&v->v[i], port, addrs, sizeof(addrs), cell);
		for (size_t k = 0; k < ncol; k++)
			if (text_width(cell[k]) > w[k])
				w[k] = text_width(cell[k]);
	}
	fprintf(f, "%s services%s:%s\n", local ? "local" : "remote",
	        local ? " (this site's LAN)" : " (from other sites)",
	        rows ? "" : " none");
	if (!rows)
		return;
	fputs("  ", f);
	for (size_t k = 0; k < ncol; k++)
		pad(f, head[k], w[k], local && k + 1 == ncol);
	fputs(local ? "\n" : "SEEN\n", f);
	for (size_t i = 0; i < v->n; i++) {
		const struct proxy_view_service *s = &v->v[i];
		if (s->local != local)
			continue;
		row_cells(s, port, addrs, sizeof(addrs), cell);
		fputs("  ", f);
		for (size_t k = 0; k < ncol; k++)
			pad(f, cell[k], w[k], local && k + 1 == ncol);
		if (!local)
			fprintf(f, "%llu s ago",
			        (unsigned long long)(now > s->seen_ms
			                                 ? (now - s->seen_ms) / 1000
			                                 : 0));
		fputc('\n', f);
		if (s->lan_name)
			fprintf(f, "    on this LAN as \"%s\": Avahi renamed it on a name "
			           "collision\n",
			        s->lan_name);
		for (size_t j = 0; j < s->ndec; j++) {
			char why[512];
			const struct proxy_decision *d = &s->dec[j];
			fmt_rule(d, why, sizeof(why));
			fprintf(f, "    %s %s (%s, %s): %s; %s\n",
			        d->import ? "from" : "to", d->remote, remote_kind(d),
			        d->up ? "up" : "down", decision_word(d), why);
		}
	}
}

char *ctl_services(const struct ctl *c, int json)
{
	char *buf = NULL;
	size_t len = 0;
	struct proxy_view *v;
	uint64_t now = mono_ms();
	FILE *f;

	if (proxy_view_services(c->proxy, now, &v) < 0)
		return NULL;
	if (!(f = open_memstream(&buf, &len))) {
		proxy_view_free(v);
		return NULL;
	}
	if (json) {
		fputs("{\"site\":", f);
		report_json_label(f, policy_config_site(c->cfg));
		for (int local = 1; local >= 0; local--) {
			int first = 1;
			fprintf(f, ",\"%s\":[", local ? "local" : "remote");
			for (size_t i = 0; i < v->n; i++) {
				if (v->v[i].local != local)
					continue;
				if (!first)
					fputc(',', f);
				json_service(f, &v->v[i], now);
				first = 0;
			}
			fputc(']', f);
		}
		fputs("}\n", f);
	} else {
		view_clean(v);
		fprintf(f, "site %s\n", policy_config_site(c->cfg));
		services_table(f, v, true, now);
		services_table(f, v, false, now);
	}
	proxy_view_free(v);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The full name of a view entry as named here, and at its origin. */
static void explain_text(FILE *f, const struct proxy_view_service *s)
{
	char addrs[512];
	fmt_addrs(s, addrs, sizeof(addrs));
	if (s->local) {
		fprintf(f, "%s.%s.%s: %s", s->name, s->type, s->domain,
		        s->known ? "a service of this site's LAN"
		                 : "as a service of this site's LAN");
	} else {
		fprintf(f, "%s.%s.%s: %s %s (%s, %s), named \"%s.%s.%s\" there", s->name,
		        s->type, s->domain, s->known ? "from" : "as a service of",
		        s->origin, s->ndec ? remote_kind(&s->dec[0]) : "peer",
		        s->ndec && s->dec[0].up ? "up" : "down", s->origin_name, s->type,
		        s->domain);
	}
	if (s->host)
		fprintf(f, ", host %s port %u%s%s", s->host, s->port,
		        addrs[0] ? ", " : "", addrs);
	fputc('\n', f);
	for (size_t j = 0; j < s->ndec; j++) {
		char why[512];
		const struct proxy_decision *d = &s->dec[j];
		fmt_rule(d, why, sizeof(why));
		fprintf(f, "  %s %s %s (%s, %s): %s\n", d->import ? "import" : "export",
		        d->import ? "from" : "to", d->remote, remote_kind(d),
		        d->up ? "up" : "down", why);
	}
	if (s->local && !s->ndec)
		fputs("  no peer or domain to export to\n", f);
}

char *ctl_explain(const struct ctl *c, const char *name, int json)
{
	char *buf = NULL;
	size_t len = 0;
	ldns_rdf *dn = NULL;
	struct proxy_view *v = NULL;
	uint64_t now = mono_ms();
	FILE *f;
	char shown[CTL_REQ_MAX + 1];

	snprintf(shown, sizeof(shown), "%s", name);
	log_clean(shown, LOG_CLEAN_CONTROL);
	if (proxy_view_parse_name(name, &dn) < 0) {
		char *out;
		if (asprintf(&out,
		             "error: \"%s\" is not a service instance name such as "
		             "\"Printer A._ipp._tcp.local\"\n",
		             shown) < 0)
			return NULL;
		return out;
	}
	int rc = proxy_view_explain(c->proxy, dn, now, &v);
	ldns_rdf_deep_free(dn);
	if (rc < 0 || !(f = open_memstream(&buf, &len))) {
		proxy_view_free(v);
		return NULL;
	}
	bool known = v->n > 0 && v->v[0].known;
	/* The first line is the error the client reports; what the rules would
	 * decide follows it. */
	if (!known)
		fprintf(
		    f,
		    "error: no service named \"%s\" is known here; what the rules would "
		    "decide about it (host and sender unknown):\n",
		    shown);
	if (json) {
		fputs("{\"name\":", f);
		report_json_label(f, name);
		fprintf(f, ",\"known\":%s,\"services\":[", known ? "true" : "false");
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				fputc(',', f);
			fprintf(f, "{\"local\":%s,\"service\":",
			        v->v[i].local ? "true" : "false");
			json_service(f, &v->v[i], now);
			fputc('}', f);
		}
		fputs("]}\n", f);
	} else {
		view_clean(v);
		for (size_t i = 0; i < v->n; i++)
			explain_text(f, &v->v[i]);
	}
	proxy_view_free(v);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- socket ---- */

static void client_free(struct ctl_client *cl)
{
	for (struct ctl_client **pp = &cl->ctl->clients_head; *pp; pp = &(*pp)->next)
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	cl->ctl->clients--;
	event_free(cl->ev);
	close(cl->fd);
	free(cl);
}

static void client_answer(struct ctl_client *cl)
{
	struct ctl_req req;
	const char *err;
	char *out = NULL;
	int rc = ctl_req_parse(cl->req, cl->len, &req, &err);
	if (rc < 0) {
		if (asprintf(&out, "error: %s\n", err) < 0)
			out = NULL;
	} else {
		switch (req.type) {
		case CTL_REQ_STATUS:
			out = ctl_status(cl->ctl, req.json);
			break;
		case CTL_REQ_METRICS:
			out = ctl_metrics(cl->ctl);
			break;
		case CTL_REQ_SERVICES:
			out = ctl_services(cl->ctl, req.json);
			break;
		case CTL_REQ_EXPLAIN:
			out = ctl_explain(cl->ctl, req.arg, req.json);
			break;
		}
		if (!out && asprintf(&out, "error: out of memory\n") < 0)
			out = NULL;
	}
	if (!out)
		return;
	/* The report is small; a client that does not read within the timeout loses it.
	 */
	struct timeval tv = {.tv_sec = CTL_CLIENT_TIMEOUT_S};
	setsockopt(cl->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	int fl = fcntl(cl->fd, F_GETFL);
	fcntl(cl->fd, F_SETFL, fl & ~O_NONBLOCK);
	size_t len = strlen(out), off = 0;
	while (off < len) {
		ssize_t w = send(cl->fd, out + off, len - off, MSG_NOSIGNAL);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(out);
}

static void on_client(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_client *cl = arg;
	if (what & EV_TIMEOUT) {
		client_free(cl);
		return;
	}
	ssize_t n = recv(fd, cl->req + cl->len, sizeof(cl->req) - 1 - cl->len, 0);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		/* A request without its line end is answered when the client has
		 * finished sending (shutdown of its side). */
		if (n == 0 && cl->len > 0)
			client_answer(cl);
		client_free(cl);
		return;
	}
	cl->len += (size_t)n;
	cl->req[cl->len] = '\0';
	if (!memchr(cl->req, '\n', cl->len) && cl->len < sizeof(cl->req) - 1)
		return;
	client_answer(cl);
	client_free(cl);
}

static void on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct ctl *c = arg;
	(void)what;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	if (c->clients >= CTL_MAX_CLIENTS) {
		close(cfd);
		return;
	}
	struct ctl_client *cl = calloc(1, sizeof(*cl));
	if (!cl) {
		close(cfd);
		return;
	}
	cl->ctl = c;
	cl->fd = cfd;
	cl->ev = event_new(c->base, cfd, EV_READ | EV_PERSIST, on_client, cl);
	struct timeval tv = {.tv_sec = CTL_CLIENT_TIMEOUT_S};
	if (!cl->ev || event_add(cl->ev, &tv) < 0) {
		if (cl->ev)
			event_free(cl->ev);
		close(cfd);
		free(cl);
		return;
	}
	cl->next = c->clients_head;
	c->clients_head = cl;
	c->clients++;
}

struct ctl *ctl_new(struct event_base *base, const char *path,
                    const struct policy_config *cfg, struct lan *lan,
                    struct peer_mgr *peers, struct proxy *proxy)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct ctl *c;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("control socket path %s is too long", path);
		return NULL;
	}
	strcpy(sun.sun_path, path);
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->base = base;
	c->cfg = cfg;
	c->lan = lan;
	c->peers = peers;
	c->proxy = proxy;
	c->fd = -1;
	c->path = strdup(path);
	if (!c->path)
		goto fail;

	/* The directory is ours to make (/run/sitecast); its parent must exist. */
	char *dir = strdup(path);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0750) == 0) {
			c->dir = dir;
			dir = NULL;
		} else if (errno != EEXIST) {
			log_warn("cannot create %s", dir);
		}
	}
	free(dir);

	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		log_warn("control socket %s", path);
		goto fail;
	}
	/* A socket file left by a daemon that died is replaced; a live daemon's is not.
	 */
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		close(probe);
		log_warnx("control socket %s is in use by another sitecastd", path);
		goto fail;
	}
	if (probe >= 0)
		close(probe);
	unlink(path);
	mode_t old = umask(0177);
	int rc = bind(c->fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc < 0) {
		log_warn("cannot bind control socket %s", path);
		goto fail;
	}
	if (chmod(path, 0600) < 0 || listen(c->fd, 8) < 0) {
		log_warn("control socket %s", path);
		goto fail;
	}
	c->ev = event_new(base, c->fd, EV_READ | EV_PERSIST, on_accept, c);
	if (!c->ev || event_add(c->ev, NULL) < 0)
		goto fail;
	return c;
fail:
	if (c->fd >= 0)
		close(c->fd);
	if (c->dir)
		rmdir(c->dir);
	free(c->dir);
	free(c->path);
	free(c);
	return NULL;
}

int ctl_chown(struct ctl *c, uid_t uid, gid_t gid)
{
	if (chown(c->path, uid, gid) < 0)
		return -errno;
	if (c->dir && chown(c->dir, uid, gid) < 0)
		return -errno;
	return 0;
}

void ctl_set_config(struct ctl *c, const struct policy_config *cfg)
{
	if (c)
		c->cfg = cfg;
}

void ctl_set_dns(struct ctl *c, const struct wad *w)
{
	c->wad = w;
}

void ctl_free(struct ctl *c)
{
	if (!c)
		return;
	while (c->clients_head)
		client_free(c->clients_head);
	if (c->ev)
		event_free(c->ev);
	if (c->fd >= 0)
		close(c->fd);
	/* After a drop of privileges this works when the directory was ours (see
	 * ctl_chown()); otherwise the file stays and the next start replaces it. */
	if (unlink(c->path) < 0 && errno != ENOENT)
		log_debug("control socket %s not removed: %s", c->path, strerror(errno));
	if (c->dir)
		rmdir(c->dir);
	free(c->dir);
	free(c->path);
	free(c);
}
