/*
 * bench_proxy: the proxy engine alone, with the network swapped out and the clock
 * simulated, for what the namespace figures of tests/bench/run cannot take apart.
 *
 *   bench_proxy memory [SERVICES]
 *       Heap the engine holds for SERVICES (default 10000) printer services, each
 *       announced as PTR, SRV, TXT and A: at the exporting site A (learned from its
 *       LAN, sent to its peer) and, separately, at the importing site B (learned from
 *       its peer, announced on its LAN). Peak and final heap in use (malloc's own
 *       count, mallinfo2), per record, and the CPU time per announcement.
 *   bench_proxy replay FILE [PASSES]
 *       CPU time per datagram of site A's engine (peer up) over a LAN workload
 *       recorded with `tests/net/flood -w FILE ...`, replayed PASSES times (default
 *       3) at the pace it was recorded (-r of flood, 2000 packets/s assumed).
 *
 * Both engines run with the configuration of the network scenarios: the "offices"
 * rule set, the address map 192.168.1.0/24 -> 10.101.1.0/24.
 */
#include <config.h>

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "dnssd/msg.h"
#include "policy/config.h"
#include "engine/proxy.h"

#define IFINDEX 2
#define REPLAY_RATE 2000
#define FP "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

static char key_file[] = "/tmp/bench-proxy-key.XXXXXX";
static uint64_t now = 1000000;
static uint64_t lan_out_packets, lan_out_bytes, peer_out_records;
static size_t heap_peak;

static void die(const char *what)
{
	fprintf(stderr, "bench_proxy: %s\n", what);
	unlink(key_file);
	exit(1);
}

static size_t heap_now(void)
{
	struct mallinfo2 mi = mallinfo2();
	size_t h = mi.uordblks + mi.hblkhd;
	if (h > heap_peak)
		heap_peak = h;
	return h;
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------- the engines */

static int io_lan_send(void *arg, unsigned ifindex, int af, const struct sockaddr *dst,
                       const uint8_t *buf, size_t len)
{
	(void)arg, (void)ifindex, (void)af, (void)dst, (void)buf;
	lan_out_packets++;
	lan_out_bytes += len;
	return 0;
}

static int io_peer_records(void *arg, unsigned peer_id, const char *origin, unsigned hops,
                           const ldns_rr *const *rrs, size_t n)
{
	(void)arg, (void)peer_id, (void)origin, (void)hops, (void)rrs;
	peer_out_records += n;
	return 0;
}

static int io_peer_questions(void *arg, unsigned peer_id, const ldns_rr *const *qs,
                             size_t n)
{
	(void)arg, (void)peer_id, (void)qs, (void)n;
	return 0;
}

static struct policy_config *config(const char *site, const char *peer, unsigned n)
{
	char text[2048];
	struct policy_config *cfg = NULL;
	struct policy_errors *errs = NULL;
	snprintf(text, sizeof(text),
	         "site: %s\n"
	         "interfaces: [eth0]\n"
	         "key: %s\n"
	         "peers:\n"
	         "  - name: %s\n"
	         "    fingerprint: \"" FP "\"\n"
	         "    export: offices\n"
	         "    import: offices\n"
	         "    addresses:\n"
	         "      map:\n"
	         "        - { from: 192.168.%u.0/24, to: 10.101.%u.0/24 }\n"
	         "policy:\n"
	         "  offices:\n"
	         "    - deny:  { service: _ipp._tcp, instance: \"Secret*\" }\n"
	         "    - allow: { service: _ipp._tcp }\n"
	         "    - deny:  { service: _ssh._tcp }\n"
	         "limits:\n"
	         "  max-records-per-peer: 100000\n",
	         site, key_file, peer, n, n);
	if (policy_config_load_buffer(site, text, strlen(text), &cfg, &errs) < 0) {
		for (size_t i = 0; errs && i < policy_errors_count(errs); i++)
			fprintf(stderr, "%s\n", policy_errors_get(errs, i));
		die("configuration refused");
	}
	policy_errors_free(errs);
	return cfg;
}

static struct proxy *engine(const struct policy_config *cfg)
{
	struct proxy_io io = {
	    .lan_send = io_lan_send,
	    .peer_send_records = io_peer_records,
	    .peer_send_questions = io_peer_questions,
	};
	struct proxy *p = proxy_new(cfg, &io);
	if (!p || proxy_add_interface(p, IFINDEX, "eth0", now) < 0)
		die("proxy_new failed");
	proxy_peer_up(p, 0, now);
	return p;
}

/* Advance the clock to t, running the engine at each of its deadlines. */
static uint64_t deadline;
static void advance_to(struct proxy *p, uint64_t t)
{
	while (deadline <= t) {
		now = deadline > now ? deadline : now;
		deadline = proxy_run(p, now);
	}
	now = t;
}

/* ---------------------------------------------------------------- memory */

static ldns_rr *mkrr(const char *text, bool flush)
{
	ldns_rr *rr = NULL;
	if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) != LDNS_STATUS_OK)
		die(text);
	if (flush)
		ldns_rr_set_class(rr, ldns_rr_get_class(rr) | DNSSD_CLASS_TOPBIT);
	return rr;
}

/* Printer i as its responder announces it (net: 192.168 or, mapped, 10.101). */
static void service(unsigned i, const char *net, ldns_rr *rrs[4])
{
	char t[1024];
	snprintf(t, sizeof(t),
	         "_ipp._tcp.local. 4500 IN PTR Printer\\ %u._ipp._tcp.local.", i);
	rrs[0] = mkrr(t, false);
	snprintf(t, sizeof(t),
	         "Printer\\ %u._ipp._tcp.local. 120 IN SRV 0 0 631 printer%u.local.", i,
	         i);
	rrs[1] = mkrr(t, true);
	snprintf(
	    t, sizeof(t),
	    "Printer\\ %u._ipp._tcp.local. 4500 IN TXT \"txtvers=1\" \"rp=ipp/print\" "
	    "\"ty=Office Printer Model %u\" "
	    "\"pdl=application/pdf,image/urf,image/pwg-raster\" "
	    "\"UUID=6c8a2e10-9c1b-4f7a-8000-%012x\" \"note=Floor %u\"",
	    i, i % 50, i, i % 7);
	rrs[2] = mkrr(t, true);
	snprintf(t, sizeof(t), "printer%u.local. 120 IN A %s.1.%u", i, net, 1 + i % 250);
	rrs[3] = mkrr(t, true);
}

static void report(const char *side, size_t base, size_t end, unsigned services,
                   double cpu)
{
	double rec = 4.0 * services;
	printf("%-4s heap peak %6.1f MiB, after %6.1f MiB (%4.0f bytes/record); "
	       "%5.1f us CPU per announcement\n",
	       side, (double)(heap_peak - base) / 1048576, (double)(end - base) / 1048576,
	       (double)(end - base) / rec, cpu * 1e6 / services);
}

static void memory(unsigned services)
{
	/* A: announcements on its LAN, 1,000 a second, exported to B. */
	struct policy_config *ca = config("manhattan", "brooklyn", 1);
	heap_peak = 0;
	size_t base = heap_now();
	struct proxy *a = engine(ca);
	deadline = proxy_run(a, now);
	struct sockaddr_in src = {.sin_family = AF_INET, .sin_port = htons(5353)};
	double cpu = 0;
	for (unsigned i = 0; i < services; i++) {
		ldns_rr *rrs[4];
		ldns_pkt *pkt = ldns_pkt_new();
		uint8_t *wire;
		size_t len;
		service(i, "192.168", rrs);
		ldns_pkt_set_qr(pkt, true);
		ldns_pkt_set_aa(pkt, true);
		for (int k = 0; k < 4; k++)
			ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rrs[k]);
		if (ldns_pkt2wire(&wire, pkt, &len) != LDNS_STATUS_OK)
			die("ldns_pkt2wire failed");
		ldns_pkt_free(pkt);
		src.sin_addr.s_addr = htonl(0xc0a80100u + 10 + i % 200);
		double t0 = cpu_s();
		advance_to(a, now + 1);
		proxy_lan_input(a, IFINDEX, (struct sockaddr *)&src, true, wire, len,
		                now);
		deadline = proxy_run(a, now);
		cpu += cpu_s() - t0;
		free(wire);
		if (i % 64 == 0)
			heap_now();
	}
	advance_to(a, now + 3000);
	if (peer_out_records < 4ull * services)
		die("A did not export every record");
	report("A", base, heap_now(), services, cpu);
	proxy_free(a);
	policy_config_free(ca);

	/* B: the same records as A sends them, 16 services a frame, 1,000 services a
	 * second. */
	struct policy_config *cb = config("brooklyn", "manhattan", 2);
	heap_peak = 0;
	base = heap_now();
	struct proxy *b = engine(cb);
	deadline = proxy_run(b, now);
	cpu = 0;
	for (unsigned i = 0; i < services; i += 16) {
		ldns_rr *rrs[64];
		size_t n = 0;
		for (unsigned j = i; j < i + 16 && j < services; j++, n += 4)
			service(j, "10.101", rrs + n);
		double t0 = cpu_s();
		advance_to(b, now + 16);
		proxy_peer_records(b, 0, "manhattan", 0, rrs, n, now);
		deadline = proxy_run(b, now);
		cpu += cpu_s() - t0;
		for (size_t k = 0; k < n; k++)
			ldns_rr_free(rrs[k]);
		heap_now();
	}
	double t0 = cpu_s();
	advance_to(b, now + 3000);
	cpu += cpu_s() - t0;
	struct proxy_stats st;
	proxy_get_stats(b, &st);
	if (st.remote_records != 4ull * services)
		die("B did not keep every record");
	report("B", base, heap_now(), services, cpu);
	printf("B announced them in %llu datagrams, %llu bytes\n",
	       (unsigned long long)lan_out_packets, (unsigned long long)lan_out_bytes);
	proxy_free(b);
	policy_config_free(cb);
}

/* ---------------------------------------------------------------- replay */

static void replay(const char *file, unsigned passes)
{
	FILE *f = fopen(file, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0, got;
	if (!f)
		die("cannot open the workload file");
	do {
		if (len == cap && !(data = realloc(data, cap = cap ? cap * 2 : 1 << 20)))
			die("out of memory");
		got = fread(data + len, 1, cap - len, f);
		len += got;
	} while (got);
	fclose(f);

	struct policy_config *ca = config("manhattan", "brooklyn", 1);
	struct proxy *a = engine(ca);
	deadline = proxy_run(a, now);
	uint64_t packets = 0, us_per_2 = 1000000 / REPLAY_RATE;
	double cpu = 0, first = 0;
	for (unsigned pass = 0; pass <= passes; pass++) {
		double t0 = cpu_s();
		for (size_t off = 0; off + 6 <= len;) {
			struct sockaddr_in src = {.sin_family = AF_INET,
			                          .sin_port = htons(5353)};
			size_t n = (size_t)data[off + 4] << 8 | data[off + 5];
			if (off + 6 + n > len)
				die("truncated workload file");
			memcpy(&src.sin_addr, data + off, 4);
			/* The clock in microseconds, the engine's in milliseconds. */
			static uint64_t us;
			us += us_per_2;
			advance_to(a, 1000000 + us / 1000);
			proxy_lan_input(a, IFINDEX, (struct sockaddr *)&src, true,
			                data + off + 6, n, now);
			deadline = proxy_run(a, now);
			off += 6 + n;
			if (pass)
				packets++;
		}
		if (pass)
			cpu += cpu_s() - t0;
		else
			first = cpu_s() - t0;
	}
	struct proxy_stats st;
	proxy_get_stats(a, &st);
	printf("replay: %llu datagrams, %.2f us CPU each (first pass, services new: "
	       "%.2f us); exported %llu records, sent %llu datagrams on the LAN\n",
	       (unsigned long long)packets, cpu * 1e6 / (double)packets,
	       first * 1e6 * passes / (double)packets,
	       (unsigned long long)peer_out_records,
	       (unsigned long long)st.lan_packets_out);
	/* what the engine did not take in, beside the figure: a shortcut is not one */
	unsigned long long decode = 0;
	for (size_t i = 0; i < DNSSD_R_MAX; i++)
		decode += st.decode_drops[i];
	printf("replay: dropped undecoded %llu; by the engine:", decode);
	for (int i = 0; i < PROXY_DROP_MAX; i++)
		printf(" %s %llu", proxy_drop_str((enum proxy_drop)i),
		       (unsigned long long)st.drops[i]);
	printf("\n");
	proxy_free(a);
	policy_config_free(ca);
	free(data);
}

int main(int argc, char **argv)
{
	int fd = mkstemp(key_file);
	if (fd < 0)
		die("mkstemp failed");
	/* The engine never reads the key: the configuration only wants the file. */
	if (write(fd, "key\n", 4) != 4)
		die("write failed");
	close(fd);
	if (argc >= 2 && strcmp(argv[1], "memory") == 0) {
		memory(argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 10000);
	} else if (argc >= 3 && strcmp(argv[1], "replay") == 0) {
		replay(argv[2], argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 3);
	} else {
		fprintf(stderr,
		        "usage: bench_proxy memory [SERVICES] | replay FILE [PASSES]\n");
		unlink(key_file);
		return 2;
	}
	unlink(key_file);
	return 0;
}
