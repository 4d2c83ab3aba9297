/* lan.c: mDNS sockets on the LAN interfaces, kept current through netlink (see lan.h). */
#include "config.h"

#include "reflector/lan.h"
#include "dnssd/addrmap.h"
#include "dnssd/vec.h"
#include "reflector/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#define HDR4 (20 + 8)
#define HDR6 (40 + 8)
/* Datagrams handled per readiness callback, so that one busy socket cannot starve
 * the rest of the event loop. */
#define RECV_BURST 64
#define NL_BUFSIZE 65536
#define NL_SYNC_TIMEOUT_MS 5000
#define LOG_INTERVAL_S 10

static const uint8_t group4[4] = {224, 0, 0, 251};
static const uint8_t group6[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0,
                                   0,    0,    0, 0, 0, 0, 0, 0xfb};

/* Every link of the host, as netlink reports it. */
struct link {
	int index;
	unsigned flags;
	unsigned mtu;
	unsigned gen;
	char name[IFNAMSIZ];
};

/* Every address of the host; the own-address check needs all of them, the
 * on-link check those of the arrival interface. */
struct addr {
	int index;
	int af;
	uint8_t plen;
	uint32_t flags;
	unsigned gen;
	uint8_t local[16];  /* the address itself */
	uint8_t prefix[16]; /* IFA_ADDRESS: differs from local on point-to-point links */
};

/* A configured interface. Allocated one by one so that names handed to callbacks
 * stay put when the table grows. */
struct iface {
	char name[IFNAMSIZ];
	int index; /* 0 while absent */
	int last_index;
	bool usable;
	bool joined4, joined6;
	bool had4, had6;
};

struct lan {
	struct event_base *base;
	lan_recv_cb cb;
	void *cb_arg;
	lan_iface_cb iface_cb;
	void *iface_cb_arg;

	int fd4, fd6, nlfd;
	struct event *ev4, *ev6, *evnl;
	uint32_t ovfl4, ovfl6; /* last SO_RXQ_OVFL values seen */

	struct link *links;
	size_t nlinks, caplinks;
	struct addr *addrs;
	size_t naddrs, capaddrs;
	struct iface **ifaces;
	size_t nifaces, capifaces;

	/* Netlink dump state: one dump at a time; gen marks what a dump refreshed. */
	uint32_t nl_seq;
	uint32_t dump_seq;
	int dump_type; /* RTM_GETLINK, RTM_GETADDR, or 0 when idle */
	bool resync_again;
	bool nl_lost; /* the kernel dropped notifications (ENOBUFS) */
	unsigned gen;
	uint8_t *nlbuf;

	/* One warning per LOG_INTERVAL_S for each kind of failure. */
	struct log_limit rl_send, rl_nl, rl_recv;
	struct lan_stats st;
	uint8_t buf[LAN_MAX_DATAGRAM];
};

static size_t alen(int af)
{
	return af == AF_INET ? 4 : 16;
}

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned plen, size_t len)
{
	if (plen > len * 8)
		plen = (unsigned)len * 8;
	size_t full = plen / 8;
	if (memcmp(a, b, full) != 0)
		return false;
	unsigned rest = plen % 8;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

static bool addr_usable(const struct addr *a)
{
	return !(a->flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED));
}

static struct link *link_by_index(struct lan *lan, int index)
{
	for (size_t i = 0; i < lan->nlinks; i++)
		if (lan->links[i].index == index)
			return &lan->links[i];
	return NULL;
}

static struct link *link_by_name(struct lan *lan, const char *name)
{
	for (size_t i = 0; i < lan->nlinks; i++)
		if (strcmp(lan->links[i].name, name) == 0)
			return &lan->links[i];
	return NULL;
}

static struct iface *iface_by_index(struct lan *lan, int index)
{
	if (index <= 0)
		return NULL;
	for (size_t i = 0; i < lan->nifaces; i++)
		if (lan->ifaces[i]->index == index)
			return lan->ifaces[i];
	return NULL;
}

static bool has_addr(struct lan *lan, int index, int af)
{
	for (size_t i = 0; i < lan->naddrs; i++)
		if (lan->addrs[i].index == index && lan->addrs[i].af == af)
			return true;
	return false;
}

/* ------------------------------------------------------------ group membership */

static int membership(struct lan *lan, int af, int index, bool join)
{
	int rc;

	if (af == AF_INET) {
		struct ip_mreqn mr;
		memset(&mr, 0, sizeof(mr));
		memcpy(&mr.imr_multiaddr, group4, 4);
		mr.imr_ifindex = index;
		rc = setsockopt(lan->fd4, IPPROTO_IP,
		                join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &mr,
		                sizeof(mr));
	} else {
		if (lan->fd6 < 0)
			return -EAFNOSUPPORT;
		struct ipv6_mreq mr;
		memset(&mr, 0, sizeof(mr));
		memcpy(&mr.ipv6mr_multiaddr, group6, 16);
		mr.ipv6mr_interface = (unsigned)index;
		rc = setsockopt(lan->fd6, IPPROTO_IPV6,
		                join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, &mr,
		                sizeof(mr));
	}
	if (rc < 0 && join && errno == EADDRINUSE)
		return 0;
	return rc < 0 ? -errno : 0;
}

/* Leaving first makes a join after a down/up or a re-created interface take effect
 * whatever the kernel kept of the old membership. */
static bool rejoin(struct lan *lan, struct iface *ifc, int af)
{
	(void)membership(lan, af, ifc->index, false);
	int rc = membership(lan, af, ifc->index, true);
	if (rc < 0) {
		if (rc != -EAFNOSUPPORT)
			log_warnx("%s: cannot join %s: %s", ifc->name,
			          af == AF_INET ? "224.0.0.251" : "ff02::fb",
			          strerror(-rc));
		return false;
	}
	lan->st.rejoins++;
	return true;
}

/* Brings one configured interface in line with what netlink last said about it. */
static void reconcile(struct lan *lan, struct iface *ifc)
{
	struct link *l = link_by_name(lan, ifc->name);
	int index = l ? l->index : 0;
	bool usable = l && (l->flags & IFF_UP) && (l->flags & IFF_RUNNING);
	bool was_usable = ifc->usable;
	bool moved = index != ifc->index;
	int old_index = ifc->index;

	if (moved && ifc->index > 0) {
		if (ifc->joined4)
			(void)membership(lan, AF_INET, ifc->index, false);
		if (ifc->joined6)
			(void)membership(lan, AF_INET6, ifc->index, false);
		ifc->joined4 = ifc->joined6 = false;
		if (index > 0)
			log_info("%s: now interface index %d (was %d)", ifc->name, index,
			         ifc->index);
		else
			log_info("%s: interface removed", ifc->name);
	}
	if (index > 0)
		ifc->last_index = index;
	ifc->index = index;

	bool has4 = index > 0 && has_addr(lan, index, AF_INET);
	bool has6 = index > 0 && has_addr(lan, index, AF_INET6);
	if (usable) {
		bool again = !was_usable || moved;
		bool j4 = again || (has4 && !ifc->had4);
		bool j6 = again || (has6 && !ifc->had6);
		if (j4)
			ifc->joined4 = rejoin(lan, ifc, AF_INET);
		if (j6)
			ifc->joined6 = rejoin(lan, ifc, AF_INET6);
		if (j4 || j6)
			log_info("%s: up (index %d), mDNS groups joined:%s%s", ifc->name,
			         index, ifc->joined4 ? " 224.0.0.251" : "",
			         ifc->joined6 ? " ff02::fb" : "");
	} else if (was_usable && index > 0) {
		log_info("%s: down", ifc->name);
	}
	ifc->had4 = has4;
	ifc->had6 = has6;
	ifc->usable = usable;

	if (!lan->iface_cb)
		return;
	if (was_usable && (!usable || moved))
		lan->iface_cb(lan->iface_cb_arg, old_index, ifc->name, 0);
	if (usable && (!was_usable || moved))
		lan->iface_cb(lan->iface_cb_arg, index, ifc->name, 1);
}

static void reconcile_all(struct lan *lan)
{
	for (size_t i = 0; i < lan->nifaces; i++)
		reconcile(lan, lan->ifaces[i]);
}

/* ------------------------------------------------------------ netlink */

static void nl_link(struct lan *lan, const struct nlmsghdr *nh)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(nh);
	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return;
	/* Bridge port notifications (AF_BRIDGE) also come as RTM_NEWLINK/DELLINK: a
	 * port leaving its bridge is not the link going away. */
	if (ifi->ifi_family != AF_UNSPEC)
		return;

	if (nh->nlmsg_type == RTM_DELLINK) {
		for (size_t i = 0; i < lan->nlinks; i++) {
			if (lan->links[i].index == ifi->ifi_index) {
				lan->links[i] = lan->links[--lan->nlinks];
				break;
			}
		}
		for (size_t i = 0; i < lan->naddrs;) {
			if (lan->addrs[i].index == ifi->ifi_index)
				lan->addrs[i] = lan->addrs[--lan->naddrs];
			else
				i++;
		}
		return;
	}

	const char *name = NULL;
	size_t namelen = 0;
	unsigned mtu = 0;
	int len = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi)));
	for (const struct rtattr *rta = IFLA_RTA(ifi); RTA_OK(rta, len);
	     rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == IFLA_IFNAME) {
			name = RTA_DATA(rta);
			namelen = strnlen(name, RTA_PAYLOAD(rta));
		} else if (rta->rta_type == IFLA_MTU && RTA_PAYLOAD(rta) >= 4) {
			memcpy(&mtu, RTA_DATA(rta), 4);
		}
	}

	struct link *l = link_by_index(lan, ifi->ifi_index);
	if (!l) {
		if (!name || namelen == 0 || namelen >= IFNAMSIZ)
			return;
		if (dnssd_grow((void **)&lan->links, &lan->caplinks, lan->nlinks + 1,
		               sizeof(*l)) < 0)
			return;
		l = &lan->links[lan->nlinks++];
		memset(l, 0, sizeof(*l));
		l->index = ifi->ifi_index;
	}
	if (name && namelen > 0 && namelen < IFNAMSIZ) {
		memcpy(l->name, name, namelen);
		l->name[namelen] = '\0';
	}
	l->flags = ifi->ifi_flags;
	if (mtu)
		l->mtu = mtu;
	l->gen = lan->gen;
}

static void nl_addr(struct lan *lan, const struct nlmsghdr *nh)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return;

	struct addr a;
	memset(&a, 0, sizeof(a));
	a.index = (int)ifa->ifa_index;
	a.af = ifa->ifa_family;
	a.plen = ifa->ifa_prefixlen;
	a.flags = ifa->ifa_flags;
	a.gen = lan->gen;
	size_t n = alen(a.af);
	bool have_local = false, have_address = false;

	int len = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifa)));
	for (const struct rtattr *rta = IFA_RTA(ifa); RTA_OK(rta, len);
	     rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == IFA_LOCAL && RTA_PAYLOAD(rta) >= n) {
			memcpy(a.local, RTA_DATA(rta), n);
			have_local = true;
		} else if (rta->rta_type == IFA_ADDRESS && RTA_PAYLOAD(rta) >= n) {
			memcpy(a.prefix, RTA_DATA(rta), n);
			have_address = true;
		} else if (rta->rta_type == IFA_FLAGS && RTA_PAYLOAD(rta) >= 4) {
			memcpy(&a.flags, RTA_DATA(rta), 4);
		}
	}
	if (!have_local && !have_address)
		return;
	if (!have_local)
		memcpy(a.local, a.prefix, n);
	if (!have_address)
		memcpy(a.prefix, a.local, n);

	size_t i;
	for (i = 0; i < lan->naddrs; i++) {
		const struct addr *b = &lan->addrs[i];
		if (b->index == a.index && b->af == a.af && b->plen == a.plen &&
		    memcmp(b->local, a.local, n) == 0)
			break;
	}
	if (nh->nlmsg_type == RTM_DELADDR) {
		if (i < lan->naddrs)
			lan->addrs[i] = lan->addrs[--lan->naddrs];
		return;
	}
	if (i == lan->naddrs) {
		if (dnssd_grow((void **)&lan->addrs, &lan->capaddrs, lan->naddrs + 1,
		               sizeof(a)) < 0)
			return;
		lan->naddrs++;
	}
	lan->addrs[i] = a;
}

static int nl_request(struct lan *lan, int type)
{
	struct {
		struct nlmsghdr nh;
		union {
			struct ifinfomsg ifi;
			struct ifaddrmsg ifa;
		} u;
	} req;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_type = (uint16_t)type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = ++lan->nl_seq;
	if (type == RTM_GETLINK) {
		req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.u.ifi));
		req.u.ifi.ifi_family = AF_UNSPEC;
	} else {
		req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.u.ifa));
		req.u.ifa.ifa_family = AF_UNSPEC;
	}
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	if (sendto(lan->nlfd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa,
	           sizeof(sa)) < 0)
		return -errno;
	lan->dump_seq = req.nh.nlmsg_seq;
	lan->dump_type = type;
	return 0;
}

/* A full resync: links, then addresses; entries that no dump refreshed are gone. */
static int nl_resync(struct lan *lan)
{
	if (lan->dump_type) {
		lan->resync_again = true;
		return 0;
	}
	lan->gen++;
	return nl_request(lan, RTM_GETLINK);
}

static void nl_dump_done(struct lan *lan)
{
	if (lan->dump_type == RTM_GETLINK) {
		for (size_t i = 0; i < lan->nlinks;) {
			if (lan->links[i].gen != lan->gen)
				lan->links[i] = lan->links[--lan->nlinks];
			else
				i++;
		}
		if (nl_request(lan, RTM_GETADDR) < 0) {
			lan->dump_type = 0;
			lan->resync_again = true;
		}
		return;
	}
	for (size_t i = 0; i < lan->naddrs;) {
		if (lan->addrs[i].gen != lan->gen)
			lan->addrs[i] = lan->addrs[--lan->naddrs];
		else
			i++;
	}
	lan->dump_type = 0;
	if (lan->resync_again) {
		lan->resync_again = false;
		(void)nl_resync(lan);
	}
}

/* NLMSG_OK, without its comparison of signed and unsigned. */
static bool nl_ok(const struct nlmsghdr *nh, int len)
{
	return len >= (int)sizeof(*nh) && nh->nlmsg_len >= sizeof(*nh) &&
	       nh->nlmsg_len <= (unsigned)len;
}

static void nl_process(struct lan *lan, const uint8_t *buf, size_t n)
{
	int len = (int)n;
	for (const struct nlmsghdr *nh = (const struct nlmsghdr *)buf; nl_ok(nh, len);
	     nh = NLMSG_NEXT(nh, len)) {
		bool ours = lan->dump_type && nh->nlmsg_seq == lan->dump_seq;
		if (ours && (nh->nlmsg_flags & NLM_F_DUMP_INTR))
			lan->resync_again = true;
		switch (nh->nlmsg_type) {
		case NLMSG_DONE:
			if (ours)
				nl_dump_done(lan);
			break;
		case NLMSG_ERROR:
			if (ours) {
				const struct nlmsgerr *e = NLMSG_DATA(nh);
				if (nh->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error)
					log_warnx("netlink dump failed: %s",
					          strerror(-e->error));
				lan->dump_type = 0;
				lan->resync_again = false;
			}
			break;
		case RTM_NEWLINK:
		case RTM_DELLINK:
			nl_link(lan, nh);
			break;
		case RTM_NEWADDR:
		case RTM_DELADDR:
			nl_addr(lan, nh);
			break;
		default:
			break;
		}
	}
}

/*
 * Reads what is queued on the netlink socket. Returns 0, -EAGAIN when nothing is
 * left, -ENOBUFS when notifications were lost (lan->nl_lost set), or another error.
 */
static int nl_read_once(struct lan *lan)
{
	struct sockaddr_nl sa;
	struct iovec iov = {.iov_base = lan->nlbuf, .iov_len = NL_BUFSIZE};
	struct msghdr msg = {
	    .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n = recvmsg(lan->nlfd, &msg, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return -EAGAIN;
		if (errno == ENOBUFS)
			lan->nl_lost = true;
		return -errno;
	}
	if (msg.msg_flags & MSG_TRUNC) {
		lan->nl_lost = true;
		return -ENOBUFS;
	}
	if (sa.nl_pid != 0) /* only the kernel speaks here */
		return 0;
	nl_process(lan, lan->nlbuf, (size_t)n);
	return 0;
}

static int nl_socket(void)
{
	int fd =
	    socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	int size = 1 << 20;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK,
	                         .nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR |
	                                      RTMGRP_IPV6_IFADDR};
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

static void nl_cb(evutil_socket_t fd, short what, void *arg);

/*
 * After lost notifications, what is still queued is older than any new dump and
 * would mark entries fresh that are gone: start over on a new socket, then dump.
 */
static int nl_restart(struct lan *lan)
{
	int fd = nl_socket();
	if (fd < 0)
		return fd;
	if (lan->evnl) {
		event_free(lan->evnl);
		lan->evnl = NULL;
	}
	close(lan->nlfd);
	lan->nlfd = fd;
	lan->nl_lost = false;
	lan->dump_type = 0;
	lan->resync_again = false;
	return nl_resync(lan);
}

static void nl_drain(struct lan *lan)
{
	int rc;
	unsigned guard = 0;
	while ((rc = nl_read_once(lan)) == 0 && ++guard < 1000)
		;
	if (lan->nl_lost) {
		log_limit_warnx(&lan->rl_nl,
		                "netlink: notifications lost, reading interfaces again");
		rc = nl_restart(lan);
		if (rc == 0) {
			lan->evnl = event_new(lan->base, lan->nlfd, EV_READ | EV_PERSIST,
			                      nl_cb, lan);
			if (!lan->evnl || event_add(lan->evnl, NULL) < 0)
				rc = -ENOMEM;
		}
		if (rc < 0)
			log_warnx(
			    "netlink: cannot start over (%s): interface changes are no "
			    "longer followed",
			    strerror(-rc));
	} else if (rc < 0 && rc != -EAGAIN) {
		log_limit_warnx(&lan->rl_nl, "netlink: %s", strerror(-rc));
	}
	reconcile_all(lan);
}

static void nl_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	nl_drain(arg);
}

/* The first dump, before the event loop runs: lan_new() returns a complete table. */
static int nl_sync(struct lan *lan)
{
	int rc = nl_resync(lan);
	for (int attempts = 0; rc == 0 && lan->dump_type;) {
		struct pollfd pfd = {.fd = lan->nlfd, .events = POLLIN};
		rc = poll(&pfd, 1, NL_SYNC_TIMEOUT_MS);
		if (rc < 0 && errno == EINTR) {
			rc = 0;
			continue;
		}
		if (rc <= 0)
			return rc < 0 ? -errno : -ETIMEDOUT;
		rc = nl_read_once(lan);
		if (rc == -EAGAIN)
			rc = 0;
		else if (lan->nl_lost && ++attempts < 3)
			rc = nl_restart(lan);
	}
	return rc;
}

static int nl_open(struct lan *lan)
{
	lan->nlfd = nl_socket();
	if (lan->nlfd < 0)
		return lan->nlfd;
	return nl_sync(lan);
}

/* ------------------------------------------------------------ mDNS sockets */

static int setint(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val)) < 0 ? -errno : 0;
}

static int open_socket(int af, int *out)
{
	int fd = socket(af, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDP);
	if (fd < 0)
		return -errno;
	int rc = 0;
	/*
	 * SO_REUSEADDR on both sides is what lets Avahi (which sets it) and us share
	 * port 5353. Not SO_REUSEPORT: Avahi sets that too, and with the same user the
	 * two sockets would form one reuseport group, in which Linux spreads multicast
	 * arriving on an interface only Avahi joined between both sockets, so Avahi
	 * would lose packets there to us.
	 */
	if ((rc = setint(fd, SOL_SOCKET, SO_REUSEADDR, 1)) < 0)
		goto fail;
	(void)setint(fd, SOL_SOCKET, SO_RXQ_OVFL, 1);
	(void)setint(fd, SOL_SOCKET, SO_RCVBUF, 1 << 20);
	if (af == AF_INET) {
		struct sockaddr_in sin = {.sin_family = AF_INET,
		                          .sin_port = htons(LAN_MDNS_PORT),
		                          .sin_addr.s_addr = htonl(INADDR_ANY)};
		if ((rc = setint(fd, IPPROTO_IP, IP_PKTINFO, 1)) < 0 ||
		    (rc = setint(fd, IPPROTO_IP, IP_MULTICAST_TTL, 255)) < 0 ||
		    (rc = setint(fd, IPPROTO_IP, IP_TTL, 255)) < 0 ||
		    (rc = setint(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0)) < 0)
			goto fail;
		/* Only groups joined by this socket, on the interfaces it joined them on;
		 * by default Linux delivers every group any socket of the host joined. */
		(void)setint(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0);
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
			rc = -errno;
			goto fail;
		}
	} else {
		struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6,
		                            .sin6_port = htons(LAN_MDNS_PORT),
		                            .sin6_addr = IN6ADDR_ANY_INIT};
		if ((rc = setint(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1)) < 0 ||
		    (rc = setint(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)) < 0 ||
		    (rc = setint(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255)) < 0 ||
		    (rc = setint(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255)) < 0 ||
		    (rc = setint(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0)) < 0)
			goto fail;
		(void)setint(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0);
		if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0) {
			rc = -errno;
			goto fail;
		}
	}
	*out = fd;
	return 0;
fail:
	close(fd);
	return rc;
}

static bool is_own(struct lan *lan, int af, const uint8_t *a, int index)
{
	size_t n = alen(af);
	bool ll = af == AF_INET6 && dnssd_addr_is_linklocal(AF_INET6, a);
	for (size_t i = 0; i < lan->naddrs; i++) {
		const struct addr *b = &lan->addrs[i];
		/* Link-local addresses repeat across links: only the arrival link's
		 * count. */
		if (b->af == af && memcmp(b->local, a, n) == 0 &&
		    (!ll || b->index == index))
			return true;
	}
	return false;
}

static bool is_onlink(struct lan *lan, int af, const uint8_t *a, int index)
{
	if (dnssd_addr_is_linklocal(af, a))
		return true;
	size_t n = alen(af);
	for (size_t i = 0; i < lan->naddrs; i++) {
		const struct addr *b = &lan->addrs[i];
		if (b->index != index || b->af != af || b->plen >= n * 8)
			continue;
		if (prefix_match(a, b->prefix, b->plen, n))
			return true;
	}
	return false;
}

static void recv_one_socket(struct lan *lan, int af)
{
	int fd = af == AF_INET ? lan->fd4 : lan->fd6;
	uint32_t *ovfl = af == AF_INET ? &lan->ovfl4 : &lan->ovfl6;

	for (int burst = 0; burst < RECV_BURST; burst++) {
		struct sockaddr_storage src;
		union {
			struct cmsghdr align;
			uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			          CMSG_SPACE(sizeof(uint32_t)) + 64];
		} ctl;
		struct iovec iov = {.iov_base = lan->buf, .iov_len = sizeof(lan->buf)};
		struct msghdr msg = {.msg_name = &src,
		                     .msg_namelen = sizeof(src),
		                     .msg_iov = &iov,
		                     .msg_iovlen = 1,
		                     .msg_control = ctl.b,
		                     .msg_controllen = sizeof(ctl.b)};
		ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_limit_warn(&lan->rl_recv, "mDNS receive (%s)",
				               af == AF_INET ? "IPv4" : "IPv6");
			return;
		}

		struct lan_pkt p;
		memset(&p, 0, sizeof(p));
		p.af = af;
		const uint8_t *dst = NULL;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c;
		     c = CMSG_NXTHDR(&msg, c)) {
			if (af == AF_INET && c->cmsg_level == IPPROTO_IP &&
			    c->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;
				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				p.ifindex = pi.ipi_ifindex;
				struct sockaddr_in *d = (struct sockaddr_in *)&p.dst;
				d->sin_family = AF_INET;
				d->sin_port = htons(LAN_MDNS_PORT);
				d->sin_addr = pi.ipi_addr;
				p.dstlen = sizeof(*d);
				dst = (const uint8_t *)&d->sin_addr;
			} else if (af == AF_INET6 && c->cmsg_level == IPPROTO_IPV6 &&
			           c->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;
				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				p.ifindex = (int)pi.ipi6_ifindex;
				struct sockaddr_in6 *d = (struct sockaddr_in6 *)&p.dst;
				d->sin6_family = AF_INET6;
				d->sin6_port = htons(LAN_MDNS_PORT);
				d->sin6_addr = pi.ipi6_addr;
				p.dstlen = sizeof(*d);
				dst = (const uint8_t *)&d->sin6_addr;
				if (IN6_IS_ADDR_MC_LINKLOCAL(&d->sin6_addr) ||
				    IN6_IS_ADDR_LINKLOCAL(&d->sin6_addr))
					d->sin6_scope_id = (uint32_t)p.ifindex;
			} else if (c->cmsg_level == SOL_SOCKET &&
			           c->cmsg_type == SO_RXQ_OVFL) {
				uint32_t v;
				memcpy(&v, CMSG_DATA(c), sizeof(v));
				lan->st.drop_overflow += (uint32_t)(v - *ovfl);
				*ovfl = v;
			}
		}

		if (msg.msg_flags & MSG_TRUNC) {
			lan->st.drop_truncated++;
			log_trace("mDNS: dropped datagram over %d bytes",
			          LAN_MAX_DATAGRAM);
			continue;
		}
		struct iface *ifc = iface_by_index(lan, p.ifindex);
		if (!dst || !ifc) {
			lan->st.drop_ifnotconf++;
			continue;
		}
		const uint8_t *sa;
		if (af == AF_INET) {
			if (src.ss_family != AF_INET)
				continue;
			sa = (const uint8_t *)&((struct sockaddr_in *)&src)->sin_addr;
			p.srclen = sizeof(struct sockaddr_in);
			p.multicast = dst[0] >= 224 && dst[0] <= 239;
		} else {
			if (src.ss_family != AF_INET6)
				continue;
			sa = (const uint8_t *)&((struct sockaddr_in6 *)&src)->sin6_addr;
			p.srclen = sizeof(struct sockaddr_in6);
			p.multicast = dst[0] == 0xff;
		}
		if (is_own(lan, af, sa, p.ifindex)) {
			lan->st.drop_own++;
			continue;
		}
		if (!is_onlink(lan, af, sa, p.ifindex)) {
			lan->st.drop_offlink++;
			if (log_getverbose() >= 2) {
				char s[INET6_ADDRSTRLEN];
				inet_ntop(af, sa, s, sizeof(s));
				log_trace("%s: dropped mDNS from off-link %s", ifc->name,
				          s);
			}
			continue;
		}
		memcpy(&p.src, &src, p.srclen);
		p.ifname = ifc->name;
		p.data = lan->buf;
		p.len = (size_t)n;
		lan->st.packets_in++;
		lan->st.bytes_in += (uint64_t)n;
		lan->cb(lan->cb_arg, &p);
	}
}

static void recv_cb4(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	recv_one_socket(arg, AF_INET);
}

static void recv_cb6(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	recv_one_socket(arg, AF_INET6);
}

/* ------------------------------------------------------------ public */

struct lan *lan_new(struct event_base *base, lan_recv_cb cb, void *arg)
{
	if (!base || !cb) {
		errno = EINVAL;
		return NULL;
	}
	struct lan *lan = calloc(1, sizeof(*lan));
	if (!lan)
		return NULL;
	lan->base = base;
	lan->cb = cb;
	lan->cb_arg = arg;
	lan->fd4 = lan->fd6 = lan->nlfd = -1;
	lan->rl_send = lan->rl_nl = lan->rl_recv =
	    (struct log_limit)LOG_LIMIT_INIT(1, LOG_INTERVAL_S);
	int rc = -ENOMEM;

	lan->nlbuf = malloc(NL_BUFSIZE);
	if (!lan->nlbuf)
		goto fail;
	if ((rc = nl_open(lan)) < 0)
		goto fail;
	if ((rc = open_socket(AF_INET, &lan->fd4)) < 0)
		goto fail;
	rc = open_socket(AF_INET6, &lan->fd6);
	if (rc == -EAFNOSUPPORT)
		log_warnx("IPv6 is not available: mDNS over IPv4 only");
	else if (rc < 0)
		goto fail;

	rc = -ENOMEM;
	lan->evnl = event_new(base, lan->nlfd, EV_READ | EV_PERSIST, nl_cb, lan);
	lan->ev4 = event_new(base, lan->fd4, EV_READ | EV_PERSIST, recv_cb4, lan);
	if (!lan->evnl || !lan->ev4 || event_add(lan->evnl, NULL) < 0 ||
	    event_add(lan->ev4, NULL) < 0)
		goto fail;
	if (lan->fd6 >= 0) {
		lan->ev6 = event_new(base, lan->fd6, EV_READ | EV_PERSIST, recv_cb6, lan);
		if (!lan->ev6 || event_add(lan->ev6, NULL) < 0)
			goto fail;
	}
	return lan;
fail:
	lan_free(lan);
	errno = -rc;
	return NULL;
}

void lan_free(struct lan *lan)
{
	if (!lan)
		return;
	if (lan->ev4)
		event_free(lan->ev4);
	if (lan->ev6)
		event_free(lan->ev6);
	if (lan->evnl)
		event_free(lan->evnl);
	if (lan->fd4 >= 0)
		close(lan->fd4);
	if (lan->fd6 >= 0)
		close(lan->fd6);
	if (lan->nlfd >= 0)
		close(lan->nlfd);
	for (size_t i = 0; i < lan->nifaces; i++)
		free(lan->ifaces[i]);
	free(lan->ifaces);
	free(lan->links);
	free(lan->addrs);
	free(lan->nlbuf);
	free(lan);
}

void lan_set_iface_cb(struct lan *lan, lan_iface_cb cb, void *arg)
{
	lan->iface_cb = cb;
	lan->iface_cb_arg = arg;
}

int lan_add_interface(struct lan *lan, const char *name)
{
	if (!name || strlen(name) == 0 || strlen(name) >= IFNAMSIZ)
		return -ENODEV;
	for (size_t i = 0; i < lan->nifaces; i++)
		if (strcmp(lan->ifaces[i]->name, name) == 0)
			return -EEXIST;
	/* Catch up with changes made since the last pass of the event loop. */
	nl_drain(lan);
	if (!link_by_name(lan, name))
		return -ENODEV;

	if (dnssd_grow((void **)&lan->ifaces, &lan->capifaces, lan->nifaces + 1,
	               sizeof(*lan->ifaces)) < 0)
		return -ENOMEM;
	struct iface *ifc = calloc(1, sizeof(*ifc));
	if (!ifc)
		return -ENOMEM;
	memcpy(ifc->name, name, strlen(name) + 1);
	lan->ifaces[lan->nifaces++] = ifc;
	reconcile(lan, ifc);
	if (!ifc->usable)
		log_info("%s: not up yet; mDNS groups will be joined when it is", name);
	return 0;
}

/* Picks the source address for a datagram to DST (NULL: the group). */
static const struct addr *pick_source(struct lan *lan, int index, int af,
                                      const uint8_t *dst)
{
	const struct addr *best = NULL;
	int best_score = -1;
	size_t n = alen(af);

	for (size_t i = 0; i < lan->naddrs; i++) {
		const struct addr *a = &lan->addrs[i];
		if (a->index != index || a->af != af || !addr_usable(a))
			continue;
		int score = 1;
		if (af == AF_INET) {
			if (!(a->flags & IFA_F_SECONDARY))
				score += 1;
			if (dst && prefix_match(dst, a->prefix, a->plen, n))
				score += 4;
		} else {
			bool ll = dnssd_addr_is_linklocal(AF_INET6, a->local);
			if (!dst || dnssd_addr_is_linklocal(AF_INET6, dst) || dst[0] == 0xff)
				score += ll ? 4 : 0;
			else if (!ll && prefix_match(dst, a->prefix, a->plen, n))
				score += 4;
			else if (ll)
				score += 2;
			if (a->flags & IFA_F_DEPRECATED)
				score -= 1;
		}
		if (score > best_score) {
			best = a;
			best_score = score;
		}
	}
	return best;
}

static int send_failed(struct lan *lan, const char *ifname, int af, int err)
{
	lan->st.send_errors++;
	log_limit_warnx(&lan->rl_send, "%s: mDNS send (%s) failed: %s", ifname,
	                af == AF_INET ? "IPv4" : "IPv6", strerror(err));
	return -err;
}

int lan_send(struct lan *lan, int ifindex, int af, const struct sockaddr *dst,
             const uint8_t *buf, size_t len)
{
	if (af != AF_INET && af != AF_INET6)
		return -EAFNOSUPPORT;
	if (!buf || len == 0 || (dst && dst->sa_family != af))
		return -EINVAL;
	struct iface *ifc = iface_by_index(lan, ifindex);
	if (!ifc)
		return -ENODEV;
	if (af == AF_INET6 && lan->fd6 < 0)
		return send_failed(lan, ifc->name, af, EAFNOSUPPORT);
	int mtu = lan_mtu(lan, ifindex, af);
	if (mtu < 0)
		return send_failed(lan, ifc->name, af, -mtu);
	if (len > (size_t)mtu)
		return send_failed(lan, ifc->name, af, EMSGSIZE);

	struct sockaddr_storage to;
	socklen_t tolen;
	const uint8_t *dsta;
	memset(&to, 0, sizeof(to));
	if (af == AF_INET) {
		struct sockaddr_in *t = (struct sockaddr_in *)&to;
		if (dst)
			memcpy(t, dst, sizeof(*t));
		else {
			t->sin_family = AF_INET;
			t->sin_port = htons(LAN_MDNS_PORT);
			memcpy(&t->sin_addr, group4, 4);
		}
		tolen = sizeof(*t);
		dsta = (const uint8_t *)&t->sin_addr;
	} else {
		struct sockaddr_in6 *t = (struct sockaddr_in6 *)&to;
		if (dst)
			memcpy(t, dst, sizeof(*t));
		else {
			t->sin6_family = AF_INET6;
			t->sin6_port = htons(LAN_MDNS_PORT);
			memcpy(&t->sin6_addr, group6, 16);
		}
		if ((IN6_IS_ADDR_LINKLOCAL(&t->sin6_addr) ||
		     IN6_IS_ADDR_MC_LINKLOCAL(&t->sin6_addr)) &&
		    t->sin6_scope_id == 0)
			t->sin6_scope_id = (uint32_t)ifindex;
		tolen = sizeof(*t);
		dsta = (const uint8_t *)&t->sin6_addr;
	}

	const struct addr *src = pick_source(lan, ifindex, af, dst ? dsta : NULL);
	if (!src)
		return send_failed(lan, ifc->name, af, EADDRNOTAVAIL);

	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_name = &to,
	                     .msg_namelen = tolen,
	                     .msg_iov = &iov,
	                     .msg_iovlen = 1,
	                     .msg_control = ctl.b};
	struct cmsghdr *c = (struct cmsghdr *)ctl.b;
	if (af == AF_INET) {
		struct in_pktinfo pi;
		memset(&pi, 0, sizeof(pi));
		pi.ipi_ifindex = ifindex;
		memcpy(&pi.ipi_spec_dst, src->local, 4);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		msg.msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		struct in6_pktinfo pi;
		memset(&pi, 0, sizeof(pi));
		pi.ipi6_ifindex = (unsigned)ifindex;
		memcpy(&pi.ipi6_addr, src->local, 16);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		msg.msg_controllen = CMSG_SPACE(sizeof(pi));
	}

	ssize_t n = sendmsg(af == AF_INET ? lan->fd4 : lan->fd6, &msg,
	                    MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return send_failed(lan, ifc->name, af, errno);
	lan->st.packets_out++;
	lan->st.bytes_out += len;
	return 0;
}

int lan_mtu(struct lan *lan, int ifindex, int af)
{
	if (af != AF_INET && af != AF_INET6)
		return -EAFNOSUPPORT;
	struct link *l = ifindex > 0 ? link_by_index(lan, ifindex) : NULL;
	if (!l || l->mtu == 0)
		return -ENODEV;
	int hdr = af == AF_INET ? HDR4 : HDR6;
	int mtu = l->mtu > LAN_MAX_DATAGRAM ? LAN_MAX_DATAGRAM : (int)l->mtu;
	return mtu > hdr ? mtu - hdr : -EMSGSIZE;
}

int lan_interface_addr(struct lan *lan, int ifindex, int af, struct sockaddr_storage *out)
{
	if (af != AF_INET && af != AF_INET6)
		return -EAFNOSUPPORT;
	if (ifindex <= 0 || !link_by_index(lan, ifindex))
		return -ENODEV;
	const struct addr *a = pick_source(lan, ifindex, af, NULL);
	if (!a)
		return -EADDRNOTAVAIL;
	memset(out, 0, sizeof(*out));
	if (af == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)out;
		s->sin_family = AF_INET;
		s->sin_port = htons(LAN_MDNS_PORT);
		memcpy(&s->sin_addr, a->local, 4);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)out;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(LAN_MDNS_PORT);
		memcpy(&s->sin6_addr, a->local, 16);
		if (dnssd_addr_is_linklocal(AF_INET6, a->local))
			s->sin6_scope_id = (uint32_t)ifindex;
	}
	return 0;
}

void lan_foreach_interface(struct lan *lan,
                           void (*fn)(void *arg, int ifindex, const char *name, int up),
                           void *arg)
{
	for (size_t i = 0; i < lan->nifaces; i++) {
		const struct iface *ifc = lan->ifaces[i];
		fn(arg, ifc->index, ifc->name, ifc->usable);
	}
}

const char *lan_interface_name(struct lan *lan, int ifindex)
{
	const struct iface *ifc = iface_by_index(lan, ifindex);
	return ifc ? ifc->name : NULL;
}

void lan_stats(const struct lan *lan, struct lan_stats *out)
{
	*out = lan->st;
}
