/*
 * rules.c: compiled allow/deny rule sets.
 *
 * Each glob is compiled once, when its rule is added, into a token array over
 * Unicode code points, plus a fast path when the pattern allows one: a literal
 * (hashed, for service types), a prefix ("Conference*"), a suffix ("*._tcp"),
 * everything ("*"), or else a literal start checked byte-wise before the
 * general matcher runs. Rules with a literal service type are indexed by it,
 * so policy_decide() visits only the rules that can match the subject's type,
 * in order, and never allocates.
 *
 * Case folding of instance names uses the small table in fold_unicode(), the
 * simple case folds (Unicode CaseFolding.txt, status C/S) of Latin-1
 * Supplement, Latin Extended-A, Latin Extended Additional, Greek, Cyrillic and
 * fullwidth Latin letters. It is deliberately independent of the process
 * locale: towlower() follows LC_CTYPE, which library code cannot count on.
 */
#include <config.h> /* the build configuration, not policy/config.h */

#include "policy/rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "dnssd/name.h"
#include "dnssd/svcname.h"
#include "dnssd/vec.h"

enum fold { FOLD_NONE, FOLD_ASCII, FOLD_UNICODE };

/* Bytes that are not valid UTF-8 decode to this plus the byte value: never a letter. */
#define RAW_BYTE 0x110000u

enum tok_kind { T_CHAR, T_ANY, T_STAR, T_CLASS };

struct tok {
	uint8_t kind;
	uint8_t negate;   /* T_CLASS */
	uint16_t nranges; /* T_CLASS: pairs in glob.ranges starting at c */
	uint32_t c;       /* T_CHAR: folded code point; T_CLASS: first pair index */
};

enum fast { F_GENERAL, F_ALL, F_LITERAL, F_PREFIX, F_SUFFIX };

struct glob {
	uint8_t fast;
	uint8_t fold;
	uint32_t hash; /* F_LITERAL: of lit, for service types */
	/*
	 * lit: the literal part, ASCII-folded unless FOLD_NONE (for F_GENERAL, the
	 * literal characters before the first wildcard, lead_toks tokens).
	 */
	size_t litlen;
	char *lit;
	size_t lead_toks;
	struct tok *toks;
	size_t ntoks;
	uint32_t *ranges; /* [lo, hi] pairs of code points */
	size_t nranges;
};

enum key { K_SERVICE = 1, K_INSTANCE = 2, K_HOST = 4, K_ADDRESS = 8 };

struct rule {
	uint8_t keys;
	uint8_t action;
	bool service_sub; /* service mentions "_sub": also try "sub._sub.type" */
	bool has_parent;  /* parent: what follows "._sub." in the service pattern */
	uint32_t line; /* of its entry in the ruleset's file, 0 unknown (fills padding) */
	struct glob service;
	struct glob parent;
	struct glob instance;
	struct glob host;
	struct dnssd_cidr address;
};

/*
 * The index policy_decide() walks: rules whose service key is a plain literal
 * type sit in a hash table by that type, every other rule in `generic`. A
 * decision visits, in rule order, only the rules of its own service type and
 * the generic ones, so long lists of per-type rules cost little.
 */
struct rule_index {
	uint32_t *bucket;  /* tsize chain heads: rule index + 1, 0 for none */
	uint32_t *next;    /* per rule: the next rule of its bucket + 1, ascending */
	uint32_t *generic; /* indices of the other rules, ascending */
	size_t ngeneric, tsize;
};

struct policy_ruleset {
	char *name;
	char *file; /* where the rules were written, or NULL */
	struct rule *rules;
	size_t n, cap;
	struct rule_index ix;
};

/* ------------------------------------------------------------------ characters */

static inline uint32_t ascii_lower(uint32_t c)
{
	return c < 0x80 ? dnssd_lower((uint8_t)c) : c;
}

/* Greek letters whose fold is not at a fixed distance. */
static const uint16_t greek[][2] = {
    {0x37f, 0x3f3}, {0x386, 0x3ac}, {0x38c, 0x3cc}, {0x38e, 0x3cd}, {0x38f, 0x3ce},
    {0x3c2, 0x3c3}, {0x3cf, 0x3d7}, {0x3d0, 0x3b2}, {0x3d1, 0x3b8}, {0x3d5, 0x3c6},
    {0x3d6, 0x3c0}, {0x3f0, 0x3ba}, {0x3f1, 0x3c1}, {0x3f4, 0x3b8}, {0x3f5, 0x3b5},
    {0x3f7, 0x3f8}, {0x3f9, 0x3f2}, {0x3fa, 0x3fb},
};

static uint32_t fold_unicode(uint32_t c)
{
	if (c < 0x80)
		return ascii_lower(c);
	if (c < 0x100) {
		if (c >= 0xc0 && c <= 0xde && c != 0xd7)
			return c + 32;
		return c == 0xb5 ? 0x3bc : c;
	}
	if (c < 0x180) { /* Latin Extended-A: upper/lower pairs */
		if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149)
			return c;
		if (c == 0x178)
			return 0xff;
		if (c == 0x17f)
			return 's';
		if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
			return (c & 1) ? c + 1 : c;
		return (c & 1) ? c : c + 1;
	}
	if (c >= 0x370 && c < 0x400) { /* Greek */
		if (c >= 0x391 && c <= 0x3ab && c != 0x3a2)
			return c + 32;
		if (c >= 0x388 && c <= 0x38a)
			return c + 37;
		if (c >= 0x3d8 && c <= 0x3ef)
			return (c & 1) ? c : c + 1;
		if (c >= 0x3fd)
			return c - 130;
		for (size_t i = 0; i < sizeof(greek) / sizeof(greek[0]); i++)
			if (greek[i][0] == c)
				return greek[i][1];
		return c;
	}
	if (c >= 0x400 && c < 0x530) { /* Cyrillic and Cyrillic Supplement */
		if (c < 0x410)
			return c + 80;
		if (c < 0x430)
			return c + 32;
		if ((c >= 0x460 && c <= 0x481) || (c >= 0x48a && c <= 0x4bf) ||
		    c >= 0x4d0)
			return (c & 1) ? c : c + 1;
		if (c == 0x4c0)
			return 0x4cf;
		if (c >= 0x4c1 && c <= 0x4ce)
			return (c & 1) ? c + 1 : c;
		return c;
	}
	if (c >= 0x1e00 && c <= 0x1eff) { /* Latin Extended Additional */
		if (c == 0x1e9e)
			return 0xdf;
		if (c <= 0x1e95 || c >= 0x1ea0)
			return (c & 1) ? c : c + 1;
		return c;
	}
	if (c >= 0xff21 && c <= 0xff3a)
		return c + 32;
	return c;
}

static inline uint32_t fold_cp(uint32_t c, unsigned f)
{
	if (f == FOLD_NONE)
		return c;
	if (f == FOLD_ASCII || c < 0x80)
		return ascii_lower(c);
	return fold_unicode(c);
}

/* Decode one character of s[*i..len); invalid sequences yield RAW_BYTE + byte. */
static uint32_t utf8_next(const char *str, size_t len, size_t *i)
{
	const uint8_t *s = (const uint8_t *)str + *i;
	/* Refuses overlong forms, surrogates and values past U+10FFFF. */
	size_t n = dnssd_utf8_seq(s, len - *i);
	if (n == 0) {
		(*i)++;
		return RAW_BYTE + s[0];
	}
	uint32_t c = n == 1 ? s[0] : s[0] & (0x7fu >> n);
	for (size_t k = 1; k < n; k++)
		c = c << 6 | (s[k] & 0x3fu);
	*i += n;
	return c;
}

static uint32_t hash_ascii_lower(const char *s, size_t n)
{
	return dnssd_hash_lower32(DNSSD_HASH32_INIT, s, n);
}

/* lit is already folded; the text is folded as it is compared. */
static bool bytes_eq(const char *lit, const char *text, size_t n, unsigned f)
{
	if (f == FOLD_NONE)
		return memcmp(lit, text, n) == 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)lit[i] != ascii_lower((unsigned char)text[i]))
			return false;
	return true;
}

/* ------------------------------------------------------------------ compiling */

static void glob_free(struct glob *g)
{
	free(g->lit);
	free(g->toks);
	free(g->ranges);
	memset(g, 0, sizeof(*g));
}

static int push_tok(struct glob *g, size_t *cap, struct tok t)
{
	if (dnssd_grow((void **)&g->toks, cap, g->ntoks + 1, sizeof(*g->toks)) < 0)
		return -ENOMEM;
	g->toks[g->ntoks++] = t;
	return 0;
}

static int push_range(struct glob *g, size_t *cap, uint32_t lo, uint32_t hi)
{
	/* A range is two code points: lo, hi. */
	if (dnssd_grow((void **)&g->ranges, cap, g->nranges + 1, 2 * sizeof(*g->ranges)) < 0)
		return -ENOMEM;
	g->ranges[2 * g->nranges] = lo;
	g->ranges[2 * g->nranges + 1] = hi;
	g->nranges++;
	return 0;
}

/* Store a class range; with folding, also its folded image when that is a range too. */
static int class_range(struct glob *g, size_t *cap, uint32_t lo, uint32_t hi, unsigned f)
{
	int r;
	uint32_t flo = fold_cp(lo, f), fhi = fold_cp(hi, f);

	if (lo == hi)
		return push_range(g, cap, flo, flo);
	if ((r = push_range(g, cap, lo, hi)) < 0)
		return r;
	if ((flo != lo || fhi != hi) && flo <= fhi && fhi - flo == hi - lo)
		return push_range(g, cap, flo, fhi);
	return 0;
}

/* Literal bytes of the pattern (escapes removed) for the byte fast paths. */
static int set_lit(struct glob *g, const char *pat, size_t len, size_t from, size_t to)
{
	size_t n = 0;
	char *lit = malloc(to - from + 1);

	if (!lit)
		return -ENOMEM;
	for (size_t i = from; i < to && i < len; i++) {
		if (pat[i] == '\\')
			i++;
		lit[n++] = g->fold == FOLD_NONE
		               ? pat[i]
		               : (char)ascii_lower((unsigned char)pat[i]);
	}
	lit[n] = '\0';
	g->lit = lit;
	g->litlen = n;
	g->hash = hash_ascii_lower(lit, n);
	return 0;
}

static bool utf8_valid(const char *s, size_t len)
{
	for (size_t i = 0; i < len;)
		if (utf8_next(s, len, &i) >= RAW_BYTE)
			return false;
	return true;
}

static int glob_compile(struct glob *g, const char *pat, unsigned f, const char **why)
{
	size_t len = strlen(pat), tcap = 0, rcap = 0, i = 0;
	size_t first_star = SIZE_MAX, star_end = 0, nstars = 0, nchars = 0, star_tok = 0;
	size_t lead_end = 0, lead_toks = 0;
	int r;

	memset(g, 0, sizeof(*g));
	g->fold = (uint8_t)f;
	if (len == 0) {
		*why = "empty pattern";
		return -EINVAL;
	}
	if (!utf8_valid(pat, len)) {
		*why = "pattern is not valid UTF-8";
		return -EINVAL;
	}
	while (i < len) {
		struct tok t = {0};
		size_t at = i;
		uint32_t c = utf8_next(pat, len, &i);

		if (c == '*') {
			star_end = i;
			if (g->ntoks && g->toks[g->ntoks - 1].kind == T_STAR)
				continue;
			t.kind = T_STAR;
			if (first_star == SIZE_MAX) {
				first_star = at;
				star_tok = g->ntoks;
			}
			nstars++;
		} else if (c == '?') {
			t.kind = T_ANY;
		} else if (c == '[') {
			bool first = true;
			t.kind = T_CLASS;
			t.c = (uint32_t)g->nranges;
			if (i < len && (pat[i] == '!' || pat[i] == '^')) {
				t.negate = 1;
				i++;
			}
			for (;;) {
				uint32_t lo, hi;
				if (i >= len) {
					*why = "unterminated character class";
					goto fail;
				}
				if (pat[i] == ']' && !first) {
					i++;
					break;
				}
				first = false;
				if (pat[i] == '\\' && ++i >= len) {
					*why = "unterminated character class";
					goto fail;
				}
				lo = hi = utf8_next(pat, len, &i);
				if (i + 1 < len && pat[i] == '-' && pat[i + 1] != ']') {
					i++;
					if (pat[i] == '\\' && ++i >= len) {
						*why = "unterminated character class";
						goto fail;
					}
					hi = utf8_next(pat, len, &i);
					if (hi < lo) {
						*why =
						    "reversed range in character class";
						goto fail;
					}
				}
				if ((r = class_range(g, &rcap, lo, hi, f)) < 0)
					goto fail_errno;
			}
			if (g->nranges - t.c > UINT16_MAX) {
				*why = "character class too long";
				goto fail;
			}
			t.nranges = (uint16_t)(g->nranges - t.c);
		} else {
			if (c == '\\') {
				if (i >= len) {
					*why = "trailing backslash";
					goto fail;
				}
				c = utf8_next(pat, len, &i);
			}
			t.kind = T_CHAR;
			t.c = fold_cp(c, f);
			nchars++;
			if (lead_toks == g->ntoks) {
				lead_toks++;
				lead_end = i;
			}
		}
		if ((r = push_tok(g, &tcap, t)) < 0)
			goto fail_errno;
	}

	/* Fast paths: only literal characters around at most one star. */
	g->fast = F_GENERAL;
	if (nchars + nstars == g->ntoks && nstars <= 1) {
		if (nstars == 0)
			g->fast = F_LITERAL;
		else if (g->ntoks == 1)
			g->fast = F_ALL;
		else if (star_tok == g->ntoks - 1)
			g->fast = F_PREFIX;
		else if (star_tok == 0)
			g->fast = F_SUFFIX;
		if (g->fast == F_LITERAL)
			r = set_lit(g, pat, len, 0, len);
		else if (g->fast == F_PREFIX)
			r = set_lit(g, pat, len, 0, first_star);
		else if (g->fast == F_SUFFIX)
			r = set_lit(g, pat, len, star_end, len);
		else
			r = 0;
		if (r < 0)
			goto fail_errno;
	}
	/* Byte-wise, a general glob can reject most texts on its literal start. */
	if (g->fast == F_GENERAL && f != FOLD_UNICODE && lead_toks > 0) {
		if ((r = set_lit(g, pat, len, 0, lead_end)) < 0)
			goto fail_errno;
		g->lead_toks = lead_toks;
	}
	return 0;
fail:
	glob_free(g);
	return -EINVAL;
fail_errno:
	glob_free(g);
	*why = "out of memory";
	return r;
}

/* ------------------------------------------------------------------ matching */

static bool class_has(const struct glob *g, const struct tok *t, uint32_t c)
{
	const uint32_t *rg = g->ranges + 2 * (size_t)t->c;
	uint32_t fc = fold_cp(c, g->fold);

	for (size_t k = 0; k < t->nranges; k++)
		if ((c >= rg[2 * k] && c <= rg[2 * k + 1]) ||
		    (fc >= rg[2 * k] && fc <= rg[2 * k + 1]))
			return true;
	return false;
}

static bool tok_match(const struct glob *g, const struct tok *t, uint32_t c)
{
	switch (t->kind) {
	case T_ANY:
		return true;
	case T_CHAR:
		return fold_cp(c, g->fold) == t->c;
	case T_CLASS:
		return class_has(g, t, c) != (t->negate != 0);
	default:
		return false;
	}
}

/* Tokens from `from` on against text from byte ti: single-backtrack star matching. */
static bool match_toks(const struct glob *g, size_t from, const char *text, size_t len,
                       size_t ti)
{
	size_t pi = from, star_pi = SIZE_MAX, star_ti = 0;

	while (ti < len || pi < g->ntoks) {
		if (pi < g->ntoks) {
			const struct tok *t = &g->toks[pi];
			if (t->kind == T_STAR) {
				star_pi = pi++;
				star_ti = ti;
				continue;
			}
			if (ti < len) {
				size_t nti = ti;
				uint32_t c = utf8_next(text, len, &nti);
				if (tok_match(g, t, c)) {
					pi++;
					ti = nti;
					continue;
				}
			}
		}
		if (star_pi == SIZE_MAX || star_ti >= len)
			return false;
		utf8_next(text, len, &star_ti);
		ti = star_ti;
		pi = star_pi + 1;
	}
	return true;
}

/* Unicode-folded prefix: the literal tokens before the star match the start of text. */
static bool match_prefix_cp(const struct glob *g, const char *text, size_t len)
{
	size_t ti = 0;
	for (size_t pi = 0; pi < g->ntoks && g->toks[pi].kind == T_CHAR; pi++) {
		if (ti >= len)
			return false;
		if (fold_cp(utf8_next(text, len, &ti), g->fold) != g->toks[pi].c)
			return false;
	}
	return true;
}

static bool glob_match(const struct glob *g, const char *text, size_t len)
{
	/* Byte comparisons are exact for ASCII folding: it never changes a length. */
	bool bytes = g->fold != FOLD_UNICODE;

	switch (g->fast) {
	case F_ALL:
		return true;
	case F_LITERAL:
		if (bytes)
			return len == g->litlen && bytes_eq(g->lit, text, len, g->fold);
		break;
	case F_PREFIX:
		if (bytes)
			return len >= g->litlen &&
			       bytes_eq(g->lit, text, g->litlen, g->fold);
		return match_prefix_cp(g, text, len);
	case F_SUFFIX:
		if (bytes)
			return len >= g->litlen &&
			       bytes_eq(g->lit, text + len - g->litlen, g->litlen,
			                g->fold);
		break;
	default:
		if (g->lead_toks) {
			if (len < g->litlen ||
			    !bytes_eq(g->lit, text, g->litlen, g->fold))
				return false;
			return match_toks(g, g->lead_toks, text, len, g->litlen);
		}
		break;
	}
	return match_toks(g, 0, text, len, 0);
}

bool policy_glob_match(const char *pattern, const char *text, bool fold)
{
	struct glob g;
	const char *why;
	bool m;

	if (!pattern || !text)
		return false;
	if (glob_compile(&g, pattern, fold ? FOLD_UNICODE : FOLD_NONE, &why) < 0)
		return false;
	m = glob_match(&g, text, strlen(text));
	glob_free(&g);
	return m;
}

/* ------------------------------------------------------------------ rule sets */

struct policy_ruleset *policy_ruleset_new(const char *name)
{
	struct policy_ruleset *rs = calloc(1, sizeof(*rs));
	if (!rs)
		return NULL;
	if (name && !(rs->name = strdup(name))) {
		free(rs);
		return NULL;
	}
	return rs;
}

static void rule_free(struct rule *r)
{
	glob_free(&r->service);
	glob_free(&r->parent);
	glob_free(&r->instance);
	glob_free(&r->host);
}

void policy_ruleset_free(struct policy_ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++)
		rule_free(&rs->rules[i]);
	free(rs->rules);
	free(rs->ix.bucket);
	free(rs->ix.next);
	free(rs->ix.generic);
	free(rs->name);
	free(rs->file);
	free(rs);
}

const char *policy_ruleset_name(const struct policy_ruleset *rs)
{
	return rs ? rs->name : NULL;
}

size_t policy_ruleset_count(const struct policy_ruleset *rs)
{
	return rs ? rs->n : 0;
}

int policy_ruleset_set_file(struct policy_ruleset *rs, const char *file)
{
	char *f = NULL;
	if (!rs)
		return -EINVAL;
	if (file && !(f = strdup(file)))
		return -ENOMEM;
	free(rs->file);
	rs->file = f;
	return 0;
}

const char *policy_ruleset_file(const struct policy_ruleset *rs)
{
	return rs ? rs->file : NULL;
}

unsigned policy_ruleset_rule_line(const struct policy_ruleset *rs, size_t i)
{
	return rs && i < rs->n ? rs->rules[i].line : 0;
}

enum policy_action policy_ruleset_rule_action(const struct policy_ruleset *rs, size_t i)
{
	return rs && i < rs->n ? (enum policy_action)rs->rules[i].action : POLICY_DENY;
}

static bool indexed(const struct rule *r)
{
	return (r->keys & K_SERVICE) && r->service.fast == F_LITERAL && !r->service_sub;
}

/* Rebuild the index for all rules; the old one stays when memory runs out. */
static int index_build(struct policy_ruleset *rs)
{
	struct rule_index ix = {0};
	size_t nlit = 0;

	if (rs->n >= UINT32_MAX)
		return -ENOMEM;
	for (size_t i = 0; i < rs->n; i++)
		nlit += indexed(&rs->rules[i]);
	ix.tsize = 8;
	while (ix.tsize < 2 * nlit)
		ix.tsize *= 2;
	ix.bucket = calloc(ix.tsize, sizeof(*ix.bucket));
	ix.next = calloc(rs->n, sizeof(*ix.next));
	ix.generic = calloc(rs->n - nlit + 1, sizeof(*ix.generic));
	if (!ix.bucket || !ix.next || !ix.generic) {
		free(ix.bucket);
		free(ix.next);
		free(ix.generic);
		return -ENOMEM;
	}
	/* Backwards, pushing at the heads, leaves every chain in rule order. */
	for (size_t i = rs->n; i-- > 0;) {
		const struct rule *r = &rs->rules[i];
		if (indexed(r)) {
			uint32_t *head = &ix.bucket[r->service.hash & (ix.tsize - 1)];
			ix.next[i] = *head;
			*head = (uint32_t)i + 1;
		}
	}
	for (size_t i = 0; i < rs->n; i++)
		if (!indexed(&rs->rules[i]))
			ix.generic[ix.ngeneric++] = (uint32_t)i;
	free(rs->ix.bucket);
	free(rs->ix.next);
	free(rs->ix.generic);
	rs->ix = ix;
	return 0;
}

static bool mentions_sub(const char *pat)
{
	for (const char *p = pat; *p; p++)
		if (p[0] == '_' && dnssd_lower((uint8_t)p[1]) == 's' &&
		    dnssd_lower((uint8_t)p[2]) == 'u' &&
		    dnssd_lower((uint8_t)p[3]) == 'b')
			return true;
	return false;
}

int policy_ruleset_add(struct policy_ruleset *rs, enum policy_action action,
                       const struct policy_match *m, const char **why)
{
	return policy_ruleset_add_at(rs, action, m, 0, why);
}

int policy_ruleset_add_at(struct policy_ruleset *rs, enum policy_action action,
                          const struct policy_match *m, unsigned line, const char **why)
{
	struct rule r;
	const char *dummy;
	int err = 0;

	if (!why)
		why = &dummy;
	if (!rs || !m || (action != POLICY_ALLOW && action != POLICY_DENY)) {
		*why = "invalid argument";
		return -EINVAL;
	}
	memset(&r, 0, sizeof(r));
	r.action = (uint8_t)action;
	r.line = line;
	if (m->service) {
		if ((err = glob_compile(&r.service, m->service, FOLD_ASCII, why)) < 0)
			goto fail;
		r.keys |= K_SERVICE;
		r.service_sub = mentions_sub(m->service);
		const char *sub = r.service_sub ? strcasestr(m->service, "._sub.") : NULL;
		if (sub && sub[6]) {
			if ((err = glob_compile(&r.parent, sub + 6, FOLD_ASCII, why)) < 0)
				goto fail;
			r.has_parent = true;
		}
	}
	if (m->instance) {
		if ((err = glob_compile(&r.instance, m->instance, FOLD_UNICODE, why)) < 0)
			goto fail;
		r.keys |= K_INSTANCE;
	}
	if (m->host) {
		if ((err = glob_compile(&r.host, m->host, FOLD_ASCII, why)) < 0)
			goto fail;
		r.keys |= K_HOST;
	}
	if (m->address) {
		const struct dnssd_cidr *c = m->address;
		if (!((c->af == AF_INET && c->plen <= 32) ||
		      (c->af == AF_INET6 && c->plen <= 128))) {
			*why = "bad address prefix";
			err = -EINVAL;
			goto fail;
		}
		r.address = *c;
		r.keys |= K_ADDRESS;
	}
	if (dnssd_grow((void **)&rs->rules, &rs->cap, rs->n + 1, sizeof(*rs->rules)) < 0) {
		*why = "out of memory";
		err = -ENOMEM;
		goto fail;
	}
	rs->rules[rs->n++] = r;
	if ((err = index_build(rs)) < 0) {
		rs->n--;
		*why = "out of memory";
		goto fail;
	}
	return 0;
fail:
	rule_free(&r);
	return err;
}

/* ------------------------------------------------------------------ deciding */

/* The subject with what every rule needs computed once per decision. */
struct prepared {
	const struct policy_subject *s;
	size_t svc_len, inst_len, host_len;
	uint32_t svc_hash;
	bool any;     /* policy_decide_any_instance(): unknown fields may match */
	int full_len; /* "sub._sub.type": -1 not built yet, 0 none */
	char full[64 + 6 + 130];
};

static void prepare(struct prepared *p, const struct policy_subject *s, bool any)
{
	p->s = s;
	p->any = any;
	p->svc_len = s->service ? strlen(s->service) : 0;
	p->svc_hash = s->service ? hash_ascii_lower(s->service, p->svc_len) : 0;
	p->inst_len = p->host_len = SIZE_MAX; /* measured when a rule needs them */
	p->full_len = s->subtype && s->service ? -1 : 0;
}

static size_t instance_len(struct prepared *p)
{
	if (p->inst_len == SIZE_MAX)
		p->inst_len = strlen(p->s->instance);
	return p->inst_len;
}

/* The host as rules see it: a full name is tolerated, without "." and ".local". */
static size_t host_len(struct prepared *p)
{
	const char *h = p->s->host;
	size_t n;

	if (p->host_len != SIZE_MAX)
		return p->host_len;
	n = strlen(h);
	if (n && h[n - 1] == '.')
		n--;
	if (n > 6 && h[n - 6] == '.' && strncasecmp(h + n - 5, "local", 5) == 0)
		n -= 6;
	return p->host_len = n;
}

static bool service_match(const struct rule *r, struct prepared *p)
{
	const struct glob *g = &r->service;

	if (g->fast == F_LITERAL) {
		if (g->hash == p->svc_hash && g->litlen == p->svc_len &&
		    bytes_eq(g->lit, p->s->service, p->svc_len, FOLD_ASCII))
			return true;
	} else if (glob_match(g, p->s->service, p->svc_len)) {
		return true;
	}
	if (!r->service_sub || p->full_len == 0)
		return false;
	if (p->full_len < 0) {
		int n = snprintf(p->full, sizeof(p->full), "%s._sub.%s", p->s->subtype,
		                 p->s->service);
		p->full_len = (n > 0 && (size_t)n < sizeof(p->full)) ? n : 0;
		if (p->full_len == 0)
			return false;
	}
	return glob_match(g, p->full, (size_t)p->full_len);
}

static bool address_match(const struct rule *r, const struct policy_subject *s,
                          bool *unknown)
{
	if (s->addr_af && s->addr)
		return dnssd_cidr_contains(&r->address, s->addr_af, s->addr);
	if (s->sender_af && s->sender)
		return dnssd_cidr_contains(&r->address, s->sender_af, s->sender);
	*unknown = true;
	return false;
}

enum { NO_MATCH, MATCH, MAYBE };

/* Whether r matches; MAYBE when it would only fail on fields the subject lacks. */
static int rule_match(const struct rule *r, struct prepared *p)
{
	const struct policy_subject *s = p->s;
	bool unknown = false;

	if (r->keys & K_SERVICE) {
		if (!s->service)
			unknown = true;
		else if (!service_match(r, p)) {
			/* A rule for one subtype might match an instance of unknown
			 * subtype. */
			if (!(p->any && r->service_sub && !s->subtype))
				return NO_MATCH;
			if (r->has_parent &&
			    !glob_match(&r->parent, s->service, p->svc_len))
				return NO_MATCH;
			unknown = true;
		}
	}
	if (r->keys & K_INSTANCE) {
		if (!s->instance)
			unknown = true;
		else if (!glob_match(&r->instance, s->instance, instance_len(p)))
			return NO_MATCH;
	}
	if (r->keys & K_HOST) {
		if (!s->host)
			unknown = true;
		else if (!glob_match(&r->host, s->host, host_len(p)))
			return NO_MATCH;
	}
	if ((r->keys & K_ADDRESS) && !address_match(r, s, &unknown) && !unknown)
		return NO_MATCH;
	return unknown ? MAYBE : MATCH;
}

/*
 * The index of the first rule that matches, or SIZE_MAX. Inlined into both
 * callers: policy_decide() stays as it was, the explanation costs nothing there.
 */
static inline size_t decide_index(const struct policy_ruleset *rs,
                                  const struct policy_subject *s)
{
	struct prepared p;

	if (rs->n == 0)
		return SIZE_MAX;
	prepare(&p, s, false);
	/* Literal-type rules can only match a known type, and only their own. */
	uint32_t lit = s->service ? rs->ix.bucket[p.svc_hash & (rs->ix.tsize - 1)] : 0;
	size_t g = 0;
	for (;;) {
		size_t li = lit ? lit - 1 : SIZE_MAX;
		size_t gi = g < rs->ix.ngeneric ? rs->ix.generic[g] : SIZE_MAX;
		size_t i;
		if (li < gi) {
			i = li;
			lit = rs->ix.next[li];
		} else if (gi != SIZE_MAX) {
			i = gi;
			g++;
		} else {
			return SIZE_MAX;
		}
		if (rule_match(&rs->rules[i], &p) == MATCH)
			return i;
	}
}

enum policy_action policy_decide(const struct policy_ruleset *rs,
                                 const struct policy_subject *s)
{
	if (!rs || !s)
		return POLICY_DENY;
	size_t i = decide_index(rs, s);
	return i == SIZE_MAX ? POLICY_DENY : (enum policy_action)rs->rules[i].action;
}

enum policy_action policy_decide_explain(const struct policy_ruleset *rs,
                                         const struct policy_subject *s,
                                         struct policy_explain *ex)
{
	size_t i = rs && s ? decide_index(rs, s) : SIZE_MAX;
	enum policy_action a =
	    i == SIZE_MAX ? POLICY_DENY : (enum policy_action)rs->rules[i].action;

	if (ex) {
		ex->action = a;
		ex->rule = i == SIZE_MAX ? POLICY_NO_RULE : i;
		ex->file = rs ? rs->file : NULL;
		ex->line = i == SIZE_MAX ? 0 : rs->rules[i].line;
	}
	return a;
}

int policy_explain_format(const struct policy_ruleset *rs,
                          const struct policy_explain *ex, char *buf, size_t size)
{
	const char *verb = ex->action == POLICY_ALLOW ? "allow" : "deny";
	const char *set = rs && rs->name ? rs->name : "inline";

	if (ex->rule == POLICY_NO_RULE)
		return snprintf(buf, size, "deny: no rule matched (rule set %s)", set);
	if (ex->file && ex->line)
		return snprintf(buf, size, "%s: rule %zu of rule set %s at %s:%u", verb,
		                ex->rule + 1, set, ex->file, ex->line);
	return snprintf(buf, size, "%s: rule %zu of rule set %s", verb, ex->rule + 1,
	                set);
}

enum policy_action policy_decide_any_instance(const struct policy_ruleset *rs,
                                              const struct policy_subject *s)
{
	struct prepared p;

	if (!rs || !s)
		return POLICY_DENY;
	prepare(&p, s, true);
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->rules[i];
		int m = rule_match(r, &p);
		if (m == MATCH)
			return (enum policy_action)r->action;
		/* A conditional allow lets some instances through; a conditional deny
		 * stops only some, so the rules after it still count. */
		if (m == MAYBE && r->action == POLICY_ALLOW)
			return POLICY_ALLOW;
	}
	return POLICY_DENY;
}

bool policy_host_named(const struct policy_ruleset *rs, const char *host, int af,
                       const uint8_t *addr)
{
	struct policy_subject s = {.host = host, .addr_af = addr ? af : 0, .addr = addr};
	struct prepared p;

	if (!rs || !host)
		return false;
	prepare(&p, &s, false);
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->rules[i];
		if (rule_match(r, &p) == MATCH)
			return r->action == POLICY_ALLOW && (r->keys & K_HOST);
	}
	return false;
}
