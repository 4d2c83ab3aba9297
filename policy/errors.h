/*
 * errors.h: the list of "FILE:LINE:COLUMN: message" lines that loading a
 * configuration produces (see config.h), filled by the schema walk (schema.h).
 *
 * Ownership: the loaders allocate the list; policy_errors_free() frees it
 * (NULL is safe). The strings policy_errors_get() returns belong to the list.
 */
#ifndef SITECAST_POLICY_ERRORS_H
#define SITECAST_POLICY_ERRORS_H

#include <stddef.h>

struct policy_errors;

size_t policy_errors_count(const struct policy_errors *e);
/* The i-th error line, "FILE:LINE:COLUMN: message", without newline; NULL past the end.
 */
const char *policy_errors_get(const struct policy_errors *e, size_t i);
void policy_errors_free(struct policy_errors *e);

#endif
