/*
 * plaincopy: a blind mDNS repeater between two sites, the baseline the benchmarks
 * compare sitecastd with (tests/bench/run).
 *
 *   plaincopy IFACE listen ADDR:PORT
 *   plaincopy IFACE connect ADDR:PORT
 *
 * One runs on each gateway. Every IPv4 mDNS datagram received on IFACE is written,
 * as it is, to a TCP connection to the other gateway, preceded by its length
 * (2 bytes, network order); every datagram read from the connection is multicast
 * on IFACE from port 5353 with TTL 255. Nothing is decoded, filtered or remembered,
 * which is what mdns-repeater or multicast-relay do over a tunnel. It stops at
 * SIGTERM or when the connection closes; exits 0, or 1 on a setup error.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "plaincopy: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void parse_addr(const char *arg, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(arg, ':');
	if (!colon || (size_t)(colon - arg) >= sizeof(host)) {
		fprintf(stderr, "plaincopy: bad address %s\n", arg);
		exit(1);
	}
	memcpy(host, arg, (size_t)(colon - arg));
	host[colon - arg] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
		fprintf(stderr, "plaincopy: bad address %s\n", arg);
		exit(1);
	}
}

static int open_tcp(const char *mode, const char *arg)
{
	struct sockaddr_in sa;
	int one = 1, fd;
	parse_addr(arg, &sa);
	if (strcmp(mode, "listen") == 0) {
		int lfd = socket(AF_INET, SOCK_STREAM, 0);
		if (lfd < 0)
			die("socket");
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    listen(lfd, 1) < 0)
			die("listen");
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			die("accept");
		close(lfd);
	} else if (strcmp(mode, "connect") == 0) {
		for (int i = 0;; i++) {
			if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
				die("socket");
			if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
				break;
			if (i == 100)
				die("connect");
			close(fd);
			usleep(100000);
		}
	} else {
		fprintf(stderr, "plaincopy: mode must be listen or connect\n");
		exit(1);
	}
	return fd;
}

static int open_udp(const char *ifname, struct sockaddr_in *group)
{
	unsigned idx = if_nametoindex(ifname);
	int one = 1, ttl = 255, zero = 0, fd;
	struct sockaddr_in any = {.sin_family = AF_INET, .sin_port = htons(5353)};
	if (!idx)
		die(ifname);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&any, sizeof(any)) < 0)
		die("bind port 5353");
	struct ip_mreqn m = {.imr_ifindex = (int)idx};
	inet_pton(AF_INET, "224.0.0.251", &m.imr_multiaddr);
	if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m)) < 0)
		die("join 224.0.0.251");
	struct ip_mreqn out = {.imr_ifindex = (int)idx};
	setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &out, sizeof(out));
	setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
	/* Loop off: what it multicasts does not come back to be copied again. */
	setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof(zero));
	int size = 1 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	memset(group, 0, sizeof(*group));
	group->sin_family = AF_INET;
	group->sin_port = htons(5353);
	inet_pton(AF_INET, "224.0.0.251", &group->sin_addr);
	return fd;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: plaincopy IFACE listen|connect ADDR:PORT\n");
		return 1;
	}
	struct sigaction sa = {.sa_handler = on_term};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct sockaddr_in group;
	int ufd = open_udp(argv[1], &group);
	int tfd = open_tcp(argv[2], argv[3]);
	printf("connected\n");
	fflush(stdout);

	static uint8_t in[65536 + 2], stream[1 << 17];
	size_t have = 0;
	struct pollfd p[2] = {{.fd = ufd, .events = POLLIN},
	                      {.fd = tfd, .events = POLLIN}};
	while (!stop) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (p[0].revents & POLLIN) {
			ssize_t n = recv(ufd, in + 2, sizeof(in) - 2, MSG_DONTWAIT);
			if (n > 0 && n <= 65535) {
				in[0] = (uint8_t)(n >> 8);
				in[1] = (uint8_t)n;
				if (write_all(tfd, in, (size_t)n + 2) < 0)
					break;
			}
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(tfd, stream + have, sizeof(stream) - have);
			if (n <= 0)
				break;
			have += (size_t)n;
			size_t off = 0;
			while (have - off >= 2) {
				size_t len = (size_t)stream[off] << 8 | stream[off + 1];
				if (have - off < 2 + len)
					break;
				sendto(ufd, stream + off + 2, len, 0,
				       (struct sockaddr *)&group, sizeof(group));
				off += 2 + len;
			}
			memmove(stream, stream + off, have - off);
			have -= off;
		}
	}
	close(tfd);
	close(ufd);
	return 0;
}
