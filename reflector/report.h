/*
 * report.h: the one writer of JSON strings and Prometheus text lines for the
 * control socket's answers (status, services, explain, metrics), so that every
 * module escapes the same way.
 *
 * Ownership: nothing is allocated; the FILE and the strings are the caller's.
 */
#ifndef SITECAST_REFLECTOR_REPORT_H
#define SITECAST_REFLECTOR_REPORT_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

/* s as a JSON string (NULL: ""): quote and backslash escaped, control bytes \u00XX. */
void report_json_str(FILE *f, const char *s);
/* A JSON string of raw DNS label bytes: what is not UTF-8 becomes U+FFFD. */
void report_json_label(FILE *f, const char *s);
/* report_json_label(), or null for NULL. */
void report_json_str_or_null(FILE *f, const char *s);

/* A Prometheus label value, quoted: backslash, double quote and line feed escaped. */
void report_prom_label(FILE *f, const char *s);
/* The # HELP and # TYPE lines of a family. */
void report_prom_head(FILE *f, const char *name, const char *type, const char *help);
/* One sample: name n, or with label (not NULL) name{label="value"} n. */
void report_prom_value(FILE *f, const char *name, const char *label, const char *value,
                       unsigned long long n);
/* A family of one unlabelled sample. */
void report_prom_single(FILE *f, const char *name, const char *type, const char *help,
                        unsigned long long n);

/* t as UTC "2026-12-04T21:15:24Z" into buf, or "never" for 0 (or a time that
 * does not fit buf). */
void report_time(time_t t, char *buf, size_t len);

#endif
