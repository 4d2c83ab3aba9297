/*
 * lan.h: mDNS sockets on the site's LAN interfaces.
 *
 * One IPv4 and one IPv6 UDP socket bound to port 5353 (SO_REUSEADDR, so that an
 * avahi-daemon on the same gateway keeps working; see lan.c for why not
 * SO_REUSEPORT), shared by
 * all configured interfaces: each interface joins 224.0.0.251 and ff02::fb, and
 * IP_PKTINFO / IPV6_PKTINFO tell on which interface, from whom and to which
 * destination each datagram arrived. A NETLINK_ROUTE socket on the same event loop
 * keeps the interfaces' state, MTU, addresses and on-link prefixes current, and the
 * groups are joined again when an interface comes back up, is re-created under a
 * new index or gains its first address.
 *
 * Before a datagram reaches the callback it is dropped (and counted) when it was
 * longer than LAN_MAX_DATAGRAM, arrived on an interface that was not added, comes
 * from one of this host's own addresses, or comes from an off-link source (IPv4:
 * outside every subnet of the arrival interface, 169.254/16 excepted; IPv6: not
 * link-local and outside every prefix of the arrival interface). The module does
 * not look inside the payload: mDNS checks belong to the caller.
 *
 * Unicast datagrams to port 5353 (answers to QU questions, legacy unicast) reach
 * only one of the programs sharing the port: Linux hands them to the socket bound
 * last. Multicast reaches every program that joined the group on that interface.
 *
 * The module never forwards anything by itself: it sends only what lan_send() is
 * given, on the interface it names. Callers must never send a record back to the
 * interface (or site) it was learned from; the proxy enforces that.
 *
 * Ownership: struct lan owns its sockets, events and interface table; everything a
 * callback receives (struct lan_pkt and the strings in it) belongs to the module
 * and is valid only during that call. The event_base is the caller's and must
 * outlive the lan. Not thread-safe; all calls from the event loop's thread.
 */
#ifndef SITECAST_LAN_H
#define SITECAST_LAN_H

#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct lan;

#define LAN_MDNS_PORT 5353
/* No mDNS datagram is ever received or sent larger than this (RFC 6762 §17). */
#define LAN_MAX_DATAGRAM 9000

struct lan_pkt {
	int ifindex;
	const char *ifname;
	int af; /* AF_INET or AF_INET6 */
	/* Sender address and port; sin6_scope_id is the arrival interface. */
	struct sockaddr_storage src;
	socklen_t srclen;
	/* Destination (group or this host's unicast address) and port 5353. */
	struct sockaddr_storage dst;
	socklen_t dstlen;
	int multicast; /* dst is a multicast group */
	const uint8_t *data;
	size_t len;
};

/* Called once per accepted datagram. It may call lan_send() but not lan_free(). */
typedef void (*lan_recv_cb)(void *arg, const struct lan_pkt *pkt);

/*
 * Called when a configured interface becomes usable (up, running, groups joined:
 * up = 1) or stops being usable (down or removed: up = 0), so that the caller can
 * announce again on it (RFC 6762 §8.3) or forget what it sent there. ifindex is the
 * index the interface has (up = 1) or had (up = 0); an interface re-created under a
 * new index reports the old one down, then the new one up. The callback may call
 * lan_send() but neither lan_add_interface() nor lan_free().
 */
typedef void (*lan_iface_cb)(void *arg, int ifindex, const char *name, int up);

struct lan_stats {
	uint64_t packets_in; /* accepted and passed to the callback */
	uint64_t bytes_in;
	uint64_t packets_out; /* sent without error */
	uint64_t bytes_out;
	uint64_t drop_own;       /* source is one of this host's addresses */
	uint64_t drop_offlink;   /* source not on the arrival interface's link */
	uint64_t drop_truncated; /* datagram longer than LAN_MAX_DATAGRAM */
	uint64_t drop_ifnotconf; /* arrived on an interface that was not added */
	uint64_t drop_overflow;  /* lost in the kernel's receive queue */
	uint64_t send_errors;
	uint64_t rejoins; /* group memberships (re)established after a change */
};

/*
 * Opens the sockets (port 5353, IPv4 and, where the kernel has it, IPv6) and the
 * netlink socket, and reads the current interfaces and addresses. Returns NULL with
 * errno set on failure (EADDRINUSE when another program holds port 5353 without
 * SO_REUSEADDR, EACCES without privileges for port 5353).
 */
struct lan *lan_new(struct event_base *base, lan_recv_cb cb, void *arg);
void lan_free(struct lan *lan);

/* Optional; replaces any earlier one. */
void lan_set_iface_cb(struct lan *lan, lan_iface_cb cb, void *arg);

/*
 * Serves the interface NAME from now on: joins both groups on it if it is up.
 * Returns 0, -ENODEV when no such interface exists (now), -EEXIST when it was
 * already added, -ENOMEM. A failure to join one family (IPv6 disabled on the
 * interface, say) is logged, not returned: the other family still works.
 */
int lan_add_interface(struct lan *lan, const char *name);

/*
 * Sends one datagram from port 5353 on interface IFINDEX (which must have been
 * added), with the interface's own address as source and TTL / hop limit 255.
 * dst NULL sends to the mDNS group of family AF; otherwise dst is a sockaddr_in or
 * sockaddr_in6 of family AF (a link-local IPv6 destination without scope is sent on
 * IFINDEX). Returns 0, or a negative errno: -EINVAL or -EAFNOSUPPORT (bad
 * arguments), -ENODEV (interface not added or absent now), -EMSGSIZE (longer than
 * lan_mtu()), -EADDRNOTAVAIL (no usable address of that family on the interface),
 * or the error of sendmsg() (-ENETDOWN, -EAGAIN when the socket buffer is full...).
 * All but the first three are counted in send_errors and logged (rate-limited);
 * none is fatal. Nothing is queued: a datagram that could not be sent is lost.
 */
int lan_send(struct lan *lan, int ifindex, int af, const struct sockaddr *dst,
             const uint8_t *buf, size_t len);

/*
 * Largest mDNS payload for one datagram of family AF on IFINDEX: the interface MTU
 * minus the IP and UDP headers, at most LAN_MAX_DATAGRAM minus those headers.
 * Returns a positive size, or -ENODEV / -EAFNOSUPPORT.
 */
int lan_mtu(struct lan *lan, int ifindex, int af);

/*
 * Copies one of the interface's own addresses of family AF into OUT (the caller's):
 * for IPv4 the primary address, for IPv6 the link-local address when there is one
 * (with sin6_scope_id set), else another. Port is 5353. Tentative addresses are
 * skipped. Returns 0, -ENODEV or -EADDRNOTAVAIL.
 */
int lan_interface_addr(struct lan *lan, int ifindex, int af,
                       struct sockaddr_storage *out);

/*
 * Calls FN for every added interface, in the order they were added. ifindex is 0
 * while the interface does not exist; up is 1 when it is up, running and joined.
 * NAME belongs to the module. FN must not add interfaces.
 */
void lan_foreach_interface(struct lan *lan,
                           void (*fn)(void *arg, int ifindex, const char *name, int up),
                           void *arg);

/* Name of an added interface by index, or NULL; owned by the module. */
const char *lan_interface_name(struct lan *lan, int ifindex);

void lan_stats(const struct lan *lan, struct lan_stats *out);

#endif
