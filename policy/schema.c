/* schema.c: YAML to node tree with libyaml, and the schema-driven walk (see schema.h). */
#include <config.h> /* the build configuration, not policy/config.h */

#include "policy/schema.h"
#include "dnssd/name.h"
#include "dnssd/svcname.h"
#include "dnssd/vec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* ------------------------------------------------------------------ errors */

struct error_line {
	char *text;
	struct schema_pos pos;
	size_t seq;
};

struct policy_errors {
	struct error_line *v;
	size_t n, cap;
	size_t dropped;
	struct schema_pos first_dropped;
	bool finished;
};

struct schema_ctx {
	char *name;
	struct policy_errors *errs;
	bool oom;
};

struct policy_errors *schema_errors_new(void)
{
	return calloc(1, sizeof(struct policy_errors));
}

size_t policy_errors_count(const struct policy_errors *e)
{
	return e ? e->n : 0;
}

const char *policy_errors_get(const struct policy_errors *e, size_t i)
{
	if (!e || i >= e->n)
		return NULL;
	return e->v[i].text;
}

void policy_errors_free(struct policy_errors *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i].text);
	free(e->v);
	free(e);
}

struct schema_ctx *schema_ctx_new(const char *name, struct policy_errors *errs)
{
	struct schema_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	ctx->name = strdup(name ? name : "(config)");
	if (!ctx->name) {
		free(ctx);
		return NULL;
	}
	ctx->errs = errs;
	return ctx;
}

void schema_ctx_free(struct schema_ctx *ctx)
{
	if (!ctx)
		return;
	free(ctx->name);
	free(ctx);
}

const char *schema_ctx_name(const struct schema_ctx *ctx)
{
	return ctx->name;
}

size_t schema_nerrors(const struct schema_ctx *ctx)
{
	return ctx->errs->n + ctx->errs->dropped;
}

bool schema_oom(const struct schema_ctx *ctx)
{
	return ctx->oom;
}

void schema_set_oom(struct schema_ctx *ctx)
{
	ctx->oom = true;
}

static char *format_line(const char *name, struct schema_pos pos, const char *fmt,
                         va_list ap) __attribute__((format(printf, 3, 0)));
static char *format_line(const char *name, struct schema_pos pos, const char *fmt,
                         va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	unsigned line = pos.line ? pos.line : 1, col = pos.line ? pos.col : 1;
	size_t need = strlen(name) + strlen(msg) + 32;
	char *text = malloc(need);
	if (text)
		snprintf(text, need, "%s:%u:%u: %s", name, line, col, msg);
	return text;
}

/* Append one formatted line; the list grows as needed. */
static void append_line(struct schema_ctx *ctx, struct schema_pos pos, const char *fmt,
                        va_list ap) __attribute__((format(printf, 3, 0)));
static void append_line(struct schema_ctx *ctx, struct schema_pos pos, const char *fmt,
                        va_list ap)
{
	struct policy_errors *e = ctx->errs;
	if (dnssd_grow((void **)&e->v, &e->cap, e->n + 1, sizeof(*e->v)) < 0) {
		ctx->oom = true;
		return;
	}
	char *text = format_line(ctx->name, pos, fmt, ap);
	if (!text) {
		ctx->oom = true;
		return;
	}
	e->v[e->n] = (struct error_line){.text = text, .pos = pos, .seq = e->n};
	e->n++;
}

void schema_error(struct schema_ctx *ctx, struct schema_pos pos, const char *fmt, ...)
{
	struct policy_errors *e = ctx->errs;

	if (e->n >= SCHEMA_MAX_ERRORS) {
		if (!e->dropped++)
			e->first_dropped = pos;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	append_line(ctx, pos, fmt, ap);
	va_end(ap);
}

static int cmp_error(const void *a, const void *b)
{
	const struct error_line *x = a, *y = b;
	if (x->pos.line != y->pos.line)
		return x->pos.line < y->pos.line ? -1 : 1;
	if (x->pos.col != y->pos.col)
		return x->pos.col < y->pos.col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The closing lines, past the error limit. */
static void add_final(struct schema_ctx *ctx, struct schema_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_final(struct schema_ctx *ctx, struct schema_pos pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	append_line(ctx, pos, fmt, ap);
	va_end(ap);
}

void schema_finish(struct schema_ctx *ctx)
{
	struct policy_errors *e = ctx->errs;
	if (e->finished)
		return;
	e->finished = true;
	if (e->n > 1)
		qsort(e->v, e->n, sizeof(*e->v), cmp_error);
	if (e->dropped)
		add_final(ctx, e->first_dropped, "too many errors: %zu more not shown",
		          e->dropped);
	if (ctx->oom)
		add_final(ctx, (struct schema_pos){0, 0}, "out of memory");
}

/* ------------------------------------------------------------------ text helpers */

const char *schema_quote(char *buf, size_t size, const char *s, size_t len)
{
	/* Room for the longest escape and "..." keeps the loop's checks simple. */
	const size_t limit = 60;
	size_t o = 0;

	if (size < 8) {
		if (size)
			buf[0] = '\0';
		return buf;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		bool cont = (c & 0xc0) == 0x80;
		if (!cont && (o >= limit || o + 8 >= size)) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			snprintf(buf + o, size - o, "\\x%02x", c);
			o += 4;
		} else if (o + 4 < size) {
			buf[o++] = (char)c;
		}
	}
	buf[o] = '\0';
	return buf;
}

/* Suggestions match keys ignoring ASCII case and '_' for '-' (a common slip). */
static int fold(unsigned char c)
{
	return c == '_' ? '-' : dnssd_lower(c);
}

/* Optimal string alignment distance over short strings (both at most 64 bytes). */
static size_t osa_distance(const char *a, size_t la, const char *b, size_t lb)
{
	size_t d[66][66];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = fold((unsigned char)a[i - 1]) !=
			              fold((unsigned char)b[j - 1]);
			size_t v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 &&
			    fold((unsigned char)a[i - 1]) ==
			        fold((unsigned char)b[j - 2]) &&
			    fold((unsigned char)a[i - 2]) ==
			        fold((unsigned char)b[j - 1]) &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

const char *schema_suggest(const char *word, size_t len, const char *const *cands,
                           size_t n)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX;

	if (len > 64)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t lc = strlen(cands[i]);
		if (lc > 64 || (lc > len ? lc - len : len - lc) > 2)
			continue;
		size_t d = osa_distance(word, len, cands[i], lc);
		/* Short keys tolerate one edit, longer ones two. */
		size_t allowed = lc / 3 < 1 ? 1 : lc / 3 > 2 ? 2 : lc / 3;
		if (d <= allowed && d < best_d) {
			best = cands[i];
			best_d = d;
		}
	}
	return best;
}

/* ------------------------------------------------------------------ input checks */

/* Position of byte offset off, counting lines and characters as libyaml does. */
static struct schema_pos offset_pos(const char *buf, size_t len, size_t off)
{
	const unsigned char *s = (const unsigned char *)buf;
	struct schema_pos p = {1, 1};
	size_t i = 0;

	if (len >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)
		i = 3;
	while (i < off && i < len) {
		size_t n = dnssd_utf8_seq(s + i, len - i);
		if (!n)
			n = 1;
		if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n') {
			n = 2;
		}
		if (s[i] == '\n' || s[i] == '\r' ||
		    (n == 2 && s[i] == 0xc2 && s[i + 1] == 0x85) ||
		    (n == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 &&
		     (s[i + 2] & 0xfe) == 0xa8)) {
			p.line++;
			p.col = 1;
		} else {
			p.col++;
		}
		i += n;
	}
	return p;
}

/* ------------------------------------------------------------------ node tree */

enum node_kind { NODE_SCALAR, NODE_SEQ, NODE_MAP, NODE_ALIAS };

struct schema_node {
	enum node_kind kind;
	struct schema_pos pos;
	bool plain;
	char *text; /* scalars */
	size_t len;
	struct schema_node **kid; /* SEQ: items; MAP: key, value, key, value... */
	size_t n, cap;
};

void schema_node_free(struct schema_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		schema_node_free(n->kid[i]);
	free(n->kid);
	free(n->text);
	free(n);
}

static struct schema_pos mark_pos(yaml_mark_t m)
{
	return (struct schema_pos){(unsigned)m.line + 1, (unsigned)m.column + 1};
}

static int node_add(struct schema_node *parent, struct schema_node *kid)
{
	if (dnssd_grow((void **)&parent->kid, &parent->cap, parent->n + 1,
	               sizeof(*parent->kid)) < 0)
		return -ENOMEM;
	parent->kid[parent->n++] = kid;
	return 0;
}

static void parser_error(struct schema_ctx *ctx, const yaml_parser_t *p, const char *buf,
                         size_t len)
{
	const char *problem = p->problem ? p->problem : "cannot parse";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		ctx->oom = true;
		break;
	case YAML_READER_ERROR:
		schema_error(ctx, offset_pos(buf, len, p->problem_offset), "%s", problem);
		break;
	default:
		if (p->context)
			schema_error(ctx, mark_pos(p->problem_mark),
			             "syntax error: %s (%s at line %u)", problem,
			             p->context, (unsigned)p->context_mark.line + 1);
		else
			schema_error(ctx, mark_pos(p->problem_mark), "syntax error: %s",
			             problem);
		break;
	}
}

/* Report anchors and tags on a node; the node itself is still used. */
static void node_props(struct schema_ctx *ctx, const yaml_event_t *ev,
                       const yaml_char_t *anchor, const yaml_char_t *tag)
{
	if (anchor)
		schema_error(ctx, mark_pos(ev->start_mark),
		             "anchors and aliases are not supported");
	if (tag)
		schema_error(ctx, mark_pos(ev->start_mark), "tags are not supported");
}

int schema_parse(struct schema_ctx *ctx, const char *buf, size_t len,
                 struct schema_node **root)
{
	struct schema_node *stack[SCHEMA_MAX_DEPTH];
	size_t depth = 0;
	unsigned docs = 0;
	int rc = 0;

	*root = NULL;
	if (len > SCHEMA_MAX_SIZE) {
		schema_error(ctx, (struct schema_pos){1, 1},
		             "the file is too large (%zu bytes; at most %d)", len,
		             SCHEMA_MAX_SIZE);
		return -EINVAL;
	}
	for (size_t i = 0; i < len;) {
		size_t n = dnssd_utf8_seq((const uint8_t *)buf + i, len - i);
		if (!n) {
			schema_error(ctx, offset_pos(buf, len, i),
			             "the file is not valid UTF-8");
			return -EINVAL;
		}
		i += n;
	}

	yaml_parser_t p;
	if (!yaml_parser_initialize(&p)) {
		ctx->oom = true;
		return -ENOMEM;
	}
	/* Checked UTF-8 cannot look like UTF-16 to libyaml, which then skips a UTF-8 BOM.
	 */
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);

	for (bool done = false; !done;) {
		yaml_event_t ev;
		struct schema_node *node = NULL;
		bool want = false;

		if (!yaml_parser_parse(&p, &ev)) {
			parser_error(ctx, &p, buf, len);
			rc = p.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				schema_error(ctx, mark_pos(ev.start_mark),
				             "only one YAML document is allowed");
				done = true;
			}
			break;
		case YAML_SCALAR_EVENT:
			node_props(ctx, &ev, ev.data.scalar.anchor, ev.data.scalar.tag);
			want = true;
			node = calloc(1, sizeof(*node));
			if (node) {
				node->kind = NODE_SCALAR;
				node->plain =
				    ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
				node->len = ev.data.scalar.length;
				node->text = malloc(node->len + 1);
				if (node->text) {
					memcpy(node->text, ev.data.scalar.value,
					       node->len);
					node->text[node->len] = '\0';
				}
			}
			break;
		case YAML_ALIAS_EVENT:
			schema_error(ctx, mark_pos(ev.start_mark),
			             "anchors and aliases are not supported");
			want = true;
			node = calloc(1, sizeof(*node));
			if (node)
				node->kind = NODE_ALIAS;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth == SCHEMA_MAX_DEPTH) {
				schema_error(ctx, mark_pos(ev.start_mark),
				             "nesting is too deep (at most %d levels)",
				             SCHEMA_MAX_DEPTH);
				rc = -EINVAL;
				done = true;
				break;
			}
			if (ev.type == YAML_SEQUENCE_START_EVENT)
				node_props(ctx, &ev, ev.data.sequence_start.anchor,
				           ev.data.sequence_start.tag);
			else
				node_props(ctx, &ev, ev.data.mapping_start.anchor,
				           ev.data.mapping_start.tag);
			want = true;
			node = calloc(1, sizeof(*node));
			if (node)
				node->kind = ev.type == YAML_SEQUENCE_START_EVENT
				                 ? NODE_SEQ
				                 : NODE_MAP;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth)
				depth--;
			break;
		default:
			break;
		}
		if (want && !node) {
			ctx->oom = true;
			rc = -ENOMEM;
			done = true;
		} else if (node) {
			bool nest = node->kind == NODE_SEQ || node->kind == NODE_MAP;
			node->pos = mark_pos(ev.start_mark);
			if (node->kind == NODE_SCALAR && !node->text) {
				free(node);
				ctx->oom = true;
				rc = -ENOMEM;
				done = true;
			} else if (depth == 0 && !*root) {
				*root = node;
				if (nest)
					stack[depth++] = node;
			} else if (depth == 0 || node_add(stack[depth - 1], node) < 0) {
				/* depth 0 with a root already cannot happen within one
				 * document. */
				schema_node_free(node);
				ctx->oom = true;
				rc = -ENOMEM;
				done = true;
			} else if (nest) {
				stack[depth++] = node;
			}
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (rc < 0) {
		schema_node_free(*root);
		*root = NULL;
	}
	return rc;
}

/* ------------------------------------------------------------------ the walk */

#define AT(base, off) ((void *)((char *)(base) + (off)))

static bool is_null(const struct schema_node *n)
{
	if (n->kind != NODE_SCALAR || !n->plain)
		return false;
	return n->len == 0 || !strcmp(n->text, "~") || !strcmp(n->text, "null") ||
	       !strcmp(n->text, "Null") || !strcmp(n->text, "NULL");
}

static bool kind_ok(enum schema_type t, const struct schema_node *n)
{
	switch (t) {
	case SCHEMA_STR:
	case SCHEMA_BOOL:
	case SCHEMA_UINT:
		return n->kind == NODE_SCALAR;
	case SCHEMA_MAP:
	case SCHEMA_DICT:
		return n->kind == NODE_MAP;
	case SCHEMA_LIST:
		return n->kind == NODE_SEQ;
	}
	return false;
}

static const char *default_what(enum schema_type t)
{
	switch (t) {
	case SCHEMA_STR:
		return "a string";
	case SCHEMA_BOOL:
		return "true or false";
	case SCHEMA_UINT:
		return "an integer";
	case SCHEMA_LIST:
		return "a list";
	case SCHEMA_MAP:
	case SCHEMA_DICT:
		return "a mapping";
	}
	return "a value";
}

static void type_error(struct schema_ctx *ctx, const struct schema_item *it,
                       const struct schema_node *n, const char *name, bool in_list)
{
	char q[SCHEMA_QUOTE_MAX];
	const char *what = it->what ? it->what : default_what(it->type);
	const char *prep = in_list ? "in" : "for";

	schema_quote(q, sizeof(q), name, strlen(name));
	if (it->type == SCHEMA_UINT && !it->what)
		schema_error(ctx, n->pos, "expected an integer from %u to %u %s '%s'",
		             it->min, it->max, prep, q);
	else
		schema_error(ctx, n->pos, "expected %s %s '%s'", what, prep, q);
}

static bool store_str(struct schema_ctx *ctx, struct schema_str *s, const char *text,
                      size_t len, struct schema_pos pos)
{
	char *v = malloc(len + 1);
	if (!v) {
		ctx->oom = true;
		return false;
	}
	memcpy(v, text, len);
	v[len] = '\0';
	free(s->v);
	s->v = v;
	s->len = len;
	s->pos = pos;
	return true;
}

static bool parse_uint(const struct schema_node *n, uint32_t min, uint32_t max,
                       uint32_t *out)
{
	uint64_t v = 0;

	if (!n->plain || n->len == 0 || n->len > 10 || (n->len > 1 && n->text[0] == '0'))
		return false;
	for (size_t i = 0; i < n->len; i++) {
		if (n->text[i] < '0' || n->text[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(n->text[i] - '0');
	}
	if (v < min || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

static void apply_default(struct schema_ctx *ctx, const struct schema_item *it,
                          void *base)
{
	switch (it->type) {
	case SCHEMA_STR:
		if (it->def)
			store_str(ctx, AT(base, it->offset), it->def, strlen(it->def),
			          (struct schema_pos){0, 0});
		break;
	case SCHEMA_BOOL:
		*(bool *)AT(base, it->offset) = it->def_num != 0;
		break;
	case SCHEMA_UINT:
		*(uint32_t *)AT(base, it->offset) = it->def_num;
		break;
	case SCHEMA_MAP:
		for (const struct schema_item *s = it->sub; s->key; s++)
			if (!(s->flags & SCHEMA_REQUIRED))
				apply_default(ctx, s, AT(base, it->offset));
		break;
	case SCHEMA_LIST:
	case SCHEMA_DICT:
		break;
	}
}

static void walk_value(struct schema_ctx *ctx, const struct schema_item *it,
                       const struct schema_node *n, void *base, const char *name,
                       bool in_list);

static bool key_ok(struct schema_ctx *ctx, const struct schema_node *key)
{
	if (key->kind == NODE_ALIAS)
		return false;
	if (key->kind != NODE_SCALAR || is_null(key) ||
	    memchr(key->text, '\0', key->len)) {
		schema_error(ctx, key->pos, "keys must be strings");
		return false;
	}
	return true;
}

static void unknown_key(struct schema_ctx *ctx, const struct schema_item *items,
                        const struct schema_node *key)
{
	const char *cands[SCHEMA_MAX_KEYS];
	size_t n = 0;
	char q[SCHEMA_QUOTE_MAX];

	if (schema_nerrors(ctx) >= SCHEMA_MAX_ERRORS) {
		schema_error(ctx, key->pos, "unknown key");
		return;
	}
	for (const struct schema_item *s = items; s->key && n < SCHEMA_MAX_KEYS; s++)
		cands[n++] = s->key;
	const char *best = schema_suggest(key->text, key->len, cands, n);
	schema_quote(q, sizeof(q), key->text, key->len);
	if (best)
		schema_error(ctx, key->pos, "unknown key '%s' (did you mean '%s'?)", q,
		             best);
	else
		schema_error(ctx, key->pos, "unknown key '%s'", q);
}

static void walk_map(struct schema_ctx *ctx, const struct schema_item *items,
                     const struct schema_node *n, void *obj)
{
	const struct schema_node *seen[SCHEMA_MAX_KEYS] = {0};
	size_t nitems = 0;

	while (items[nitems].key && nitems < SCHEMA_MAX_KEYS)
		nitems++;
	for (size_t i = 0; i + 1 < n->n; i += 2) {
		const struct schema_node *key = n->kid[i], *val = n->kid[i + 1];
		size_t j;

		if (!key_ok(ctx, key))
			continue;
		for (j = 0; j < nitems; j++)
			if (strlen(items[j].key) == key->len &&
			    !memcmp(items[j].key, key->text, key->len))
				break;
		if (j == nitems) {
			unknown_key(ctx, items, key);
			continue;
		}
		if (seen[j]) {
			schema_error(ctx, key->pos,
			             "duplicate key '%s' (first at line %u)",
			             items[j].key, seen[j]->pos.line);
			continue;
		}
		seen[j] = key;
		walk_value(ctx, &items[j], val, obj, items[j].key, false);
	}
	for (size_t j = 0; j < nitems; j++) {
		if (seen[j])
			continue;
		if (items[j].flags & SCHEMA_REQUIRED)
			schema_error(ctx, n->pos, "missing required key '%s'",
			             items[j].key);
		else
			apply_default(ctx, &items[j], obj);
	}
}

static void walk_list(struct schema_ctx *ctx, const struct schema_item *it,
                      const struct schema_node *n, void *base, const char *name)
{
	size_t count = it->type == SCHEMA_DICT ? n->n / 2 : n->n;
	char *arr = NULL;
	char q[SCHEMA_QUOTE_MAX];

	if (count) {
		arr = calloc(count, it->elem_size);
		if (!arr) {
			ctx->oom = true;
			return;
		}
	}
	*(void **)AT(base, it->offset) = arr;
	*(size_t *)AT(base, it->count_offset) = count;
	if (count < it->min) {
		schema_quote(q, sizeof(q), name, strlen(name));
		if (it->min == 1)
			schema_error(ctx, n->pos, "'%s' must not be empty", q);
		else
			schema_error(ctx, n->pos, "'%s' needs at least %u entries", q,
			             it->min);
	}
	for (size_t i = 0; i < count; i++) {
		void *elem = arr + i * it->elem_size;
		if (it->type == SCHEMA_LIST) {
			walk_value(ctx, it->sub, n->kid[i], elem, name, true);
			continue;
		}
		const struct schema_node *key = n->kid[2 * i], *val = n->kid[2 * i + 1];
		if (!key_ok(ctx, key))
			continue;
		struct schema_str *ks = AT(elem, it->name_offset);
		if (!store_str(ctx, ks, key->text, key->len, key->pos))
			continue;
		walk_value(ctx, it->sub, val, elem, ks->v, false);
	}
	if (it->type == SCHEMA_DICT)
		schema_check_unique(ctx, arr, count, it->elem_size, it->name_offset,
		                    "key");
}

static void walk_value(struct schema_ctx *ctx, const struct schema_item *it,
                       const struct schema_node *n, void *base, const char *name,
                       bool in_list)
{
	char q[SCHEMA_QUOTE_MAX];

	/* Recorded before any check: the key was there, even with a bad value. */
	if (it->flags & SCHEMA_POS)
		*(struct schema_pos *)AT(base, it->pos_offset) = n->pos;
	if (n->kind == NODE_ALIAS)
		return;
	if (is_null(n) && !it->what) {
		schema_quote(q, sizeof(q), name, strlen(name));
		if (in_list)
			schema_error(ctx, n->pos, "empty entry in '%s'", q);
		else
			schema_error(ctx, n->pos, "missing value for '%s'", q);
		return;
	}
	if (is_null(n) || !kind_ok(it->type, n)) {
		if (is_null(n) || !it->alt || !kind_ok(it->alt->type, n)) {
			type_error(ctx, it, n, name, in_list);
			return;
		}
		it = it->alt;
		if (it->flags & SCHEMA_POS)
			*(struct schema_pos *)AT(base, it->pos_offset) = n->pos;
	}

	switch (it->type) {
	case SCHEMA_STR:
		if (memchr(n->text, '\0', n->len)) {
			schema_quote(q, sizeof(q), name, strlen(name));
			schema_error(ctx, n->pos,
			             "NUL characters are not allowed %s '%s'",
			             in_list ? "in" : "for", q);
			return;
		}
		if (!store_str(ctx, AT(base, it->offset), n->text, n->len, n->pos))
			return;
		break;
	case SCHEMA_BOOL:
		if (n->plain && !strcmp(n->text, "true")) {
			*(bool *)AT(base, it->offset) = true;
		} else if (n->plain && !strcmp(n->text, "false")) {
			*(bool *)AT(base, it->offset) = false;
		} else {
			type_error(ctx, it, n, name, in_list);
			return;
		}
		break;
	case SCHEMA_UINT:
		if (!parse_uint(n, it->min, it->max, AT(base, it->offset))) {
			type_error(ctx, it, n, name, in_list);
			return;
		}
		break;
	case SCHEMA_MAP:
		walk_map(ctx, it->sub, n, AT(base, it->offset));
		break;
	case SCHEMA_LIST:
	case SCHEMA_DICT:
		walk_list(ctx, it, n, base, name);
		break;
	}
	if (it->check && !ctx->oom)
		it->check(ctx, it, n->pos, base);
}

void schema_load(struct schema_ctx *ctx, const struct schema_item *item,
                 const struct schema_node *root, void *obj)
{
	if (!root || is_null(root)) {
		schema_error(ctx, (struct schema_pos){1, 1},
		             "the configuration is empty");
		return;
	}
	if (root->kind == NODE_ALIAS)
		return;
	if (root->kind != NODE_MAP) {
		schema_error(ctx, root->pos,
		             "the configuration must be a mapping of keys to values");
		return;
	}
	walk_value(ctx, item, root, obj, "", false);
}

void schema_free(const struct schema_item *it, void *base)
{
	if (!base)
		return;
	switch (it->type) {
	case SCHEMA_STR: {
		struct schema_str *s = AT(base, it->offset);
		free(s->v);
		s->v = NULL;
		break;
	}
	case SCHEMA_BOOL:
	case SCHEMA_UINT:
		break;
	case SCHEMA_MAP:
		for (const struct schema_item *s = it->sub; s->key; s++)
			schema_free(s, AT(base, it->offset));
		break;
	case SCHEMA_LIST:
	case SCHEMA_DICT: {
		char *arr = *(void **)AT(base, it->offset);
		size_t n = *(size_t *)AT(base, it->count_offset);
		for (size_t i = 0; i < n; i++) {
			void *elem = arr + i * it->elem_size;
			schema_free(it->sub, elem);
			if (it->type == SCHEMA_DICT)
				free(((struct schema_str *)AT(elem, it->name_offset))->v);
		}
		free(arr);
		*(void **)AT(base, it->offset) = NULL;
		*(size_t *)AT(base, it->count_offset) = 0;
		break;
	}
	}
	if (it->alt)
		schema_free(it->alt, base);
}

/* ------------------------------------------------------------------ uniqueness */

struct uniq {
	const struct schema_str *s;
	size_t idx;
};

static int cmp_uniq(const void *a, const void *b)
{
	const struct uniq *x = a, *y = b;
	size_t l = x->s->len < y->s->len ? x->s->len : y->s->len;
	int c = memcmp(x->s->v, y->s->v, l);
	if (c)
		return c;
	if (x->s->len != y->s->len)
		return x->s->len < y->s->len ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

void schema_check_unique(struct schema_ctx *ctx, const void *array, size_t n,
                         size_t elem_size, size_t str_offset, const char *noun)
{
	struct uniq *u;
	size_t m = 0;
	char q[SCHEMA_QUOTE_MAX];

	if (n < 2)
		return;
	u = malloc(n * sizeof(*u));
	if (!u) {
		ctx->oom = true;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct schema_str *s =
		    (const struct schema_str *)((const char *)array + i * elem_size +
		                                str_offset);
		if (s->v)
			u[m++] = (struct uniq){s, i};
	}
	qsort(u, m, sizeof(*u), cmp_uniq);
	for (size_t i = 1, first = 0; i < m; i++) {
		const struct schema_str *a = u[first].s, *b = u[i].s;
		if (a->len != b->len || memcmp(a->v, b->v, a->len)) {
			first = i;
			continue;
		}
		schema_error(ctx, b->pos, "duplicate %s '%s' (first at line %u)", noun,
		             schema_quote(q, sizeof(q), b->v, b->len), a->pos.line);
	}
	free(u);
}
