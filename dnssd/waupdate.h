/*
 * waupdate.h: RFC 2136 UPDATE and query messages signed with TSIG (RFC 8945),
 * and reading the server's answers. I/O-free: bytes in, bytes out.
 *
 * Ownership: dnssd_wa_msg_free() frees what dnssd_wa_update()/dnssd_wa_query()
 * return; struct dnssd_wa_key is the caller's; strings returned by
 * dnssd_wa_error_str() live in the caller's buffer.
 */
#ifndef SITECAST_DNSSD_WAUPDATE_H
#define SITECAST_DNSSD_WAUPDATE_H

#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

struct dnssd_wa_key {
	char name[256];     /* key name, presentation form ("manhattan-key") */
	char algorithm[32]; /* "hmac-sha256" | "hmac-sha384" | "hmac-sha512" */
	char secret[512];   /* base64, as keymgr -t / tsig-keygen print it */
};

/*
 * dnssd_wa_algorithm_known: 0 for a name DESIGN.md offers (hmac-sha256,
 * hmac-sha384, hmac-sha512), else -ENOTSUP.
 * dnssd_wa_algorithm_ok: 0 when the installed ldns can also sign with it;
 * -ENOTSUP for an unknown name, -ENOSYS for a known one this ldns cannot sign
 * (ldns 1.8.3 cannot sign hmac-sha384). The configuration check refuses both.
 * A message listing the names is in dnssd_wa_algorithm_help().
 */
int dnssd_wa_algorithm_known(const char *algorithm);
int dnssd_wa_algorithm_ok(const char *algorithm);
const char *dnssd_wa_algorithm_help(void);

/* A signed request: its wire form, and what its answer is checked with. */
struct dnssd_wa_msg {
	uint8_t *wire;
	size_t len;
	uint16_t id;
	ldns_rdf *mac; /* the request's MAC, the answer's TSIG covers it */
};
void dnssd_wa_msg_free(struct dnssd_wa_msg *m);

/*
 * An UPDATE of zone: delete each record of del (one RR: class NONE, TTL 0,
 * never a whole RRset), then add each of add. Either list may be NULL.
 * Signed with key (NULL: unsigned). Returns 0 and sets *out, -EINVAL (bad
 * zone, key), -EMSGSIZE (the message could pass 65535 bytes: split the lists)
 * or -ENOMEM.
 */
int dnssd_wa_update(const char *zone, const ldns_rr_list *add, const ldns_rr_list *del,
                    uint16_t id, const struct dnssd_wa_key *key,
                    struct dnssd_wa_msg **out);

/* A query for name/type (SOA, AXFR, IXFR...) signed with key (NULL: unsigned). */
int dnssd_wa_query(const char *name, ldns_rr_type type, uint16_t id,
                   const struct dnssd_wa_key *key, struct dnssd_wa_msg **out);

/* An answer as far as the client cares. */
struct dnssd_wa_answer {
	int rcode;      /* LDNS_RCODE_* */
	int tsig_error; /* from the answer's TSIG (BADSIG 16, BADKEY 17, BADTIME 18), 0 */
	int signed_ok;  /* 1 when a TSIG was present and verified with key */
	ldns_pkt *pkt;  /* owned by the answer: dnssd_wa_answer_clear() */
};

/*
 * Parse an answer to req (its id must match), verify its TSIG with key
 * (first: 1 for the first message of a transfer or any single answer, 0
 * for the following messages of a transfer, whose TSIG covers only the
 * timers and the previous MAC; prev_mac is then the previous message's).
 * Returns 0 (a->rcode tells the server's answer; an answer that should be
 * signed but is not, or whose TSIG does not verify, is -EBADMSG unless its
 * rcode is NOTAUTH, which servers send unsigned for a key they do not
 * know), -EPROTO (malformed or wrong id), -ENOMEM.
 */
int dnssd_wa_answer_parse(const uint8_t *wire, size_t len, uint16_t id,
                          const struct dnssd_wa_key *key, const ldns_rdf *prev_mac,
                          int first, struct dnssd_wa_answer *a);
void dnssd_wa_answer_clear(struct dnssd_wa_answer *a);

/* The MAC of a parsed answer's TSIG (for the next message of a transfer); NULL. */
const ldns_rdf *dnssd_wa_answer_mac(const struct dnssd_wa_answer *a);

/*
 * A log-friendly text for rcode and TSIG error, with what they usually mean:
 * "NOTAUTH, TSIG BADKEY: wrong secret or a name outside the key's grant".
 * Writes into buf (n bytes) and returns buf.
 */
const char *dnssd_wa_error_str(int rcode, int tsig_error, char *buf, size_t n);

#endif
