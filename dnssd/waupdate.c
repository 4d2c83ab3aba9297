/* waupdate.c: UPDATE and queries signed with TSIG, answers checked. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnssd/waupdate.h"

#define TSIG_FUDGE 300

static const char *const algorithms[] = {"hmac-sha256", "hmac-sha384", "hmac-sha512"};

/*
 * Whether the ldns we run with can sign with algorithm: ldns up to 1.8.3 knows
 * hmac-sha384 by name but its tsig.c does not map it to a digest, so signing
 * fails ("Unknown cryptographic algorithm", leaking what it had built). That
 * path is not tried: the version says it.
 */
static bool ldns_can_sign(const char *algorithm)
{
	unsigned a = 0, b = 0, c = 0;
	if (strcasecmp(algorithm, "hmac-sha384") != 0)
		return true;
	if (sscanf(ldns_version(), "%u.%u.%u", &a, &b, &c) < 2)
		return false;
	return a > 1 || (a == 1 && (b > 8 || (b == 8 && c > 3)));
}

int dnssd_wa_algorithm_known(const char *algorithm)
{
	for (size_t i = 0; algorithm && i < sizeof(algorithms) / sizeof(algorithms[0]);
	     i++)
		if (strcasecmp(algorithm, algorithms[i]) == 0)
			return 0;
	return -ENOTSUP;
}

int dnssd_wa_algorithm_ok(const char *algorithm)
{
	if (dnssd_wa_algorithm_known(algorithm) != 0)
		return -ENOTSUP;
	return ldns_can_sign(algorithm) ? 0 : -ENOSYS;
}

const char *dnssd_wa_algorithm_help(void)
{
	return "TSIG algorithm must be hmac-sha256, hmac-sha384 or hmac-sha512";
}

void dnssd_wa_msg_free(struct dnssd_wa_msg *m)
{
	if (!m)
		return;
	free(m->wire);
	ldns_rdf_deep_free(m->mac);
	free(m);
}

/* Bytes a TSIG record may take: two names of up to 255 bytes, a 64-byte MAC,
 * the fixed fields. */
#define WA_TSIG_ROOM 620

/* Sign p with key (if any) and put its wire form into a new message. */
static int finish(ldns_pkt *p, const struct dnssd_wa_key *key, struct dnssd_wa_msg **out)
{
	struct dnssd_wa_msg *m = calloc(1, sizeof(*m));
	int rc = 0;
	if (!m)
		return -ENOMEM;
	m->id = ldns_pkt_id(p);
	if (key) {
		char alg[40];
		/*
		 * ldns' signing asserts (aborts) on a packet over its 64 KB buffer:
		 * measure first, with room for the TSIG record (names, MAC, fields).
		 */
		if (ldns_pkt2wire(&m->wire, p, &m->len) != LDNS_STATUS_OK) {
			rc = -ENOMEM;
			goto fail;
		}
		free(m->wire);
		m->wire = NULL;
		if (m->len > 65535 - WA_TSIG_ROOM) {
			rc = -EMSGSIZE;
			goto fail;
		}
		if (dnssd_wa_algorithm_ok(key->algorithm) != 0 || !key->name[0] ||
		    !key->secret[0]) {
			rc = -EINVAL;
			goto fail;
		}
		snprintf(alg, sizeof(alg), "%s.", key->algorithm);
		if (ldns_pkt_tsig_sign(p, key->name, key->secret, TSIG_FUDGE, alg,
		                       NULL) != LDNS_STATUS_OK) {
			rc = -EINVAL; /* a secret that is not base64 */
			goto fail;
		}
		m->mac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(p), 3));
		if (!m->mac) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	if (ldns_pkt2wire(&m->wire, p, &m->len) != LDNS_STATUS_OK) {
		rc = -ENOMEM;
		goto fail;
	}
	if (m->len > 65535) {
		rc = -EMSGSIZE;
		goto fail;
	}
	*out = m;
	return 0;
fail:
	dnssd_wa_msg_free(m);
	return rc;
}

/* A copy of rr as RFC 2136 §2.5.4 "delete an RR from an RRset": class NONE, TTL 0. */
static ldns_rr *as_delete(const ldns_rr *rr)
{
	ldns_rr *c = ldns_rr_clone(rr);
	if (c) {
		ldns_rr_set_class(c, LDNS_RR_CLASS_NONE);
		ldns_rr_set_ttl(c, 0);
	}
	return c;
}

int dnssd_wa_update(const char *zone, const ldns_rr_list *add, const ldns_rr_list *del,
                    uint16_t id, const struct dnssd_wa_key *key,
                    struct dnssd_wa_msg **out)
{
	ldns_rdf *zn = NULL;
	ldns_rr_list *up = ldns_rr_list_new();
	ldns_pkt *p = NULL;
	int rc = 0;

	*out = NULL;
	if (!up)
		return -ENOMEM;
	if (!zone || ldns_str2rdf_dname(&zn, zone) != LDNS_STATUS_OK) {
		rc = -EINVAL;
		goto done;
	}
	for (size_t i = 0; del && i < ldns_rr_list_rr_count(del); i++) {
		ldns_rr *c = as_delete(ldns_rr_list_rr(del, i));
		if (!c || !ldns_rr_list_push_rr(up, c)) {
			ldns_rr_free(c);
			rc = -ENOMEM;
			goto done;
		}
	}
	for (size_t i = 0; add && i < ldns_rr_list_rr_count(add); i++) {
		ldns_rr *c = ldns_rr_clone(ldns_rr_list_rr(add, i));
		if (c)
			ldns_rr_set_class(c, LDNS_RR_CLASS_IN);
		if (!c || !ldns_rr_list_push_rr(up, c)) {
			ldns_rr_free(c);
			rc = -ENOMEM;
			goto done;
		}
	}
	/* The packet takes zn and a copy of up (ldns_update_pkt_new clones the list). */
	p = ldns_update_pkt_new(zn, LDNS_RR_CLASS_IN, NULL, up, NULL);
	zn = NULL;
	if (!p) {
		rc = -ENOMEM;
		goto done;
	}
	ldns_pkt_set_id(p, id);
	rc = finish(p, key, out);
done:
	ldns_pkt_free(p);
	ldns_rdf_deep_free(zn);
	ldns_rr_list_deep_free(up);
	return rc;
}

int dnssd_wa_query(const char *name, ldns_rr_type type, uint16_t id,
                   const struct dnssd_wa_key *key, struct dnssd_wa_msg **out)
{
	ldns_rdf *n = NULL;
	*out = NULL;
	if (!name || ldns_str2rdf_dname(&n, name) != LDNS_STATUS_OK)
		return -EINVAL;
	ldns_pkt *p = ldns_pkt_query_new(n, type, LDNS_RR_CLASS_IN, 0); /* takes n */
	if (!p)
		return -ENOMEM;
	ldns_pkt_set_id(p, id);
	int rc = finish(p, key, out);
	ldns_pkt_free(p);
	return rc;
}

int dnssd_wa_answer_parse(const uint8_t *wire, size_t len, uint16_t id,
                          const struct dnssd_wa_key *key, const ldns_rdf *prev_mac,
                          int first, struct dnssd_wa_answer *a)
{
	memset(a, 0, sizeof(*a));
	if (!wire || len < LDNS_HEADER_SIZE)
		return -EPROTO;
	if (ldns_wire2pkt(&a->pkt, wire, len) != LDNS_STATUS_OK)
		return -EPROTO;
	if (ldns_pkt_id(a->pkt) != id || !ldns_pkt_qr(a->pkt)) {
		dnssd_wa_answer_clear(a);
		return -EPROTO;
	}
	a->rcode = ldns_pkt_get_rcode(a->pkt);
	const ldns_rr *t = ldns_pkt_tsig(a->pkt);
	if (t && ldns_rr_rd_count(t) >= 6) {
		const ldns_rdf *e = ldns_rr_rdf(t, 5);
		if (e && ldns_rdf_size(e) == 2)
			a->tsig_error = ldns_rdf2native_int16(e);
	}
	if (!key)
		return 0;
	if (t && a->tsig_error == 0 &&
	    ldns_pkt_tsig_verify_next(a->pkt, wire, len, key->name, key->secret, prev_mac,
	                              first ? 0 : 1))
		a->signed_ok = 1;
	/*
	 * Following messages of a transfer may go unsigned (RFC 8945 §5.3.1);
	 * ldns cannot carry the digest across them, so they are accepted only
	 * because the last one must be signed (the caller checks that).
	 */
	if (!a->signed_ok && !(t == NULL && !first) && a->rcode != LDNS_RCODE_NOTAUTH) {
		dnssd_wa_answer_clear(a);
		return -EBADMSG;
	}
	return 0;
}

void dnssd_wa_answer_clear(struct dnssd_wa_answer *a)
{
	if (!a)
		return;
	ldns_pkt_free(a->pkt);
	a->pkt = NULL;
}

const ldns_rdf *dnssd_wa_answer_mac(const struct dnssd_wa_answer *a)
{
	const ldns_rr *t = a && a->pkt ? ldns_pkt_tsig(a->pkt) : NULL;
	return t && ldns_rr_rd_count(t) > 3 ? ldns_rr_rdf(t, 3) : NULL;
}

static const char *rcode_name(int rcode)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
	                                    "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
	                                    "NXRRSET", "NOTAUTH", "NOTZONE"};
	if (rcode >= 0 && (size_t)rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	return NULL;
}

const char *dnssd_wa_error_str(int rcode, int tsig_error, char *buf, size_t n)
{
	char rc[24];
	const char *rn = rcode_name(rcode);
	if (!rn) {
		snprintf(rc, sizeof(rc), "RCODE%d", rcode);
		rn = rc;
	}
	const char *tn = NULL, *why = NULL;
	switch (tsig_error) {
	case 0:
		break;
	case 16:
		tn = "BADSIG";
		why = "wrong secret";
		break;
	case 17:
		tn = "BADKEY";
		/* Knot answers a name outside update-owner-name like a wrong secret. */
		why = "wrong secret or a name outside the key's grant";
		break;
	case 18:
		tn = "BADTIME";
		why = "the clocks of this gateway and the server differ";
		break;
	case 22:
		tn = "BADTRUNC";
		break;
	default:
		break;
	}
	if (!why) {
		switch (rcode) {
		case LDNS_RCODE_NOTAUTH:
			why =
			    "wrong key name or secret, or a name outside the key's grant";
			break;
		case LDNS_RCODE_REFUSED:
			why = "the server's policy does not allow this key that change "
			      "or transfer";
			break;
		case LDNS_RCODE_NOTZONE:
			why = "a name outside the zone";
			break;
		case LDNS_RCODE_SERVFAIL:
			why = "server failure (BIND: an RRset over max-records-per-type)";
			break;
		default:
			break;
		}
	}
	if (tn)
		snprintf(buf, n, "%s, TSIG %s%s%s", rn, tn, why ? ": " : "",
		         why ? why : "");
	else if (tsig_error)
		snprintf(buf, n, "%s, TSIG error %d", rn, tsig_error);
	else
		snprintf(buf, n, "%s%s%s", rn, why ? ": " : "", why ? why : "");
	return buf;
}
