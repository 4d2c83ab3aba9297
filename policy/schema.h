/*
 * schema.h: a declarative schema for YAML files, with FILE:LINE:COLUMN errors.
 *
 * A file is parsed with libyaml into a small tree of nodes (anchors, aliases,
 * tags, a second document and nesting deeper than SCHEMA_MAX_DEPTH are refused),
 * then walked against a table of schema items that says, for each key, its
 * type, whether it is required, its default, its bounds, a validator and,
 * for mappings and lists, the nested items. Values land in caller-defined
 * structs at the offsets the items give, so the only code a caller writes
 * is the table and the validators for what a type alone cannot say.
 *
 * The walk goes on after an error so that one load reports every problem it
 * can find: unknown keys (with the nearest valid key suggested), duplicate
 * keys, missing required keys, wrong types, values out of bounds.
 *
 * Field types: SCHEMA_STR stores a struct schema_str; SCHEMA_BOOL a bool;
 * SCHEMA_UINT a uint32_t; SCHEMA_MAP walks the nested items over the object
 * at `offset` (0 keeps them in the same struct); SCHEMA_LIST stores an array
 * pointer (void *) at `offset` and its length (size_t) at `count_offset`,
 * each element of `elem_size` bytes walked with the single item `sub`;
 * SCHEMA_DICT does the same for a mapping whose keys are names chosen by the
 * user, each element's key going to a struct schema_str at `name_offset`.
 *
 * Ownership: everything the walk stores is allocated; schema_free() releases
 * it given the same item. Trees from schema_parse() are freed with
 * schema_node_free(). The context's errors belong to the struct policy_errors
 * it was created with.
 */
#ifndef SITECAST_POLICY_SCHEMA_H
#define SITECAST_POLICY_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/errors.h"

/* Larger inputs are refused before parsing (config.h's POLICY_CONFIG_MAX_SIZE). */
#define SCHEMA_MAX_SIZE (1024 * 1024)
/* Deepest nesting of mappings and lists accepted. */
#define SCHEMA_MAX_DEPTH 32
/* Errors kept per load; a last line says when more were dropped. */
#define SCHEMA_MAX_ERRORS 100
/* Most keys in one mapping item list. */
#define SCHEMA_MAX_KEYS 32

/* A position in the file, 1-based; line 0 means "not in the file" (a default). */
struct schema_pos {
	unsigned line;
	unsigned col;
};

/* A string value: NUL-terminated (embedded NULs are refused) and where it was. */
struct schema_str {
	char *v;
	size_t len;
	struct schema_pos pos;
};

enum schema_type {
	SCHEMA_STR,
	SCHEMA_BOOL,
	SCHEMA_UINT,
	SCHEMA_MAP,
	SCHEMA_LIST,
	SCHEMA_DICT,
};

#define SCHEMA_REQUIRED 0x1u
/* Store the value's position as a struct schema_pos at pos_offset. */
#define SCHEMA_POS 0x2u

struct schema_ctx;
struct schema_node;
struct schema_item;

/*
 * Called after a value was stored (for SCHEMA_MAP, after its keys were
 * walked and defaulted). base is the object holding the field (the field is
 * at base + item->offset); pos is the value's position. A validator reports
 * problems with schema_error() and may store what it derived at aux_offset.
 */
typedef void (*schema_check_fn)(struct schema_ctx *ctx, const struct schema_item *it,
                                struct schema_pos pos, void *base);

struct schema_item {
	const char *key; /* NULL ends a list of items */
	enum schema_type type;
	unsigned flags; /* SCHEMA_REQUIRED, SCHEMA_POS */
	size_t offset;
	const char *def;   /* SCHEMA_STR default (copied), or NULL */
	uint32_t def_num;  /* SCHEMA_UINT / SCHEMA_BOOL default */
	uint32_t min, max; /* SCHEMA_UINT bounds; SCHEMA_LIST fewest entries in min */
	schema_check_fn check;
	const struct schema_item *sub; /* MAP: items; LIST / DICT: the element item */
	size_t elem_size;              /* LIST / DICT */
	size_t count_offset;           /* LIST / DICT */
	size_t name_offset;            /* DICT: the element's key */
	size_t pos_offset;             /* with SCHEMA_POS */
	size_t aux_offset;             /* for the validator's own use */
	/* Another item for the same key, used when the value is of its kind instead. */
	const struct schema_item *alt;
	/* What a wrong-type error says is expected, e.g. "a list of rules". */
	const char *what;
};

/* An empty error list, for the policy_config_load_buffer*() to hand out (policy_errors_free()). */
struct policy_errors *schema_errors_new(void);

/* A context collects errors for one file; name is FILE in the messages. */
struct schema_ctx *schema_ctx_new(const char *name, struct policy_errors *errs);
void schema_ctx_free(struct schema_ctx *ctx);
const char *schema_ctx_name(const struct schema_ctx *ctx);
/* Errors reported so far, and whether memory ran out (then loading fails with -ENOMEM).
 */
size_t schema_nerrors(const struct schema_ctx *ctx);
bool schema_oom(const struct schema_ctx *ctx);
void schema_set_oom(struct schema_ctx *ctx);

/* Report "NAME:LINE:COLUMN: message"; pos line 0 is printed as 1:1. */
void schema_error(struct schema_ctx *ctx, struct schema_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * Sort the errors by position (stable) and add the line saying that errors
 * were dropped, if they were. Call once, when loading is over.
 */
void schema_finish(struct schema_ctx *ctx);

/*
 * A value made printable for a message: control characters as \xNN, cut to
 * about 60 bytes on a UTF-8 boundary with "..." after. Returns buf.
 */
const char *schema_quote(char *buf, size_t size, const char *s, size_t len);
#define SCHEMA_QUOTE_MAX 80

/*
 * The candidate nearest to word (edit distance with transpositions, '_' and
 * '-' alike, case ignored), or NULL when none is close enough to suggest.
 */
const char *schema_suggest(const char *word, size_t len, const char *const *cands,
                           size_t n);

/*
 * Parse buf: checks size and UTF-8, then builds the tree. Returns 0 with
 * *root set when the tree is complete (NULL for an empty document), or
 * -EINVAL / -ENOMEM when it could not be built (errors reported).
 */
int schema_parse(struct schema_ctx *ctx, const char *buf, size_t len,
                 struct schema_node **root);
void schema_node_free(struct schema_node *n);

/* Walk root against item (a SCHEMA_MAP), storing into obj. */
void schema_load(struct schema_ctx *ctx, const struct schema_item *item,
                 const struct schema_node *root, void *obj);
/* Free what schema_load() stored into obj. */
void schema_free(const struct schema_item *item, void *obj);

/*
 * Report each element of an array whose string at str_offset repeats an
 * earlier one: "duplicate NOUN 'x' (first at line N)" at the later one.
 * Elements whose string is NULL are skipped. O(n log n).
 */
void schema_check_unique(struct schema_ctx *ctx, const void *array, size_t n,
                         size_t elem_size, size_t str_offset, const char *noun);

#endif
