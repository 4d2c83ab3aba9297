/*
 * report.h: pieces of the status reports (sitecastctl status and the like)
 * that every report writes the same way.
 *
 * Ownership: nothing is allocated; output goes to the caller's stream or buffer.
 */
#ifndef SITECAST_REFLECTOR_REPORT_H
#define SITECAST_REFLECTOR_REPORT_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

/* s as a JSON string, quotes included; NULL is "". Control bytes are \u escapes. */
void report_json_str(FILE *f, const char *s);

/* t as UTC "2026-12-04T21:15:24Z" into buf, or "never" for 0 (or a time that
 * does not format). */
void report_time(time_t t, char *buf, size_t len);

/*
 * A Prometheus text-format family of one unlabelled sample: its HELP and TYPE
 * lines, then "name value".
 */
void report_prom_single(FILE *f, const char *name, const char *type, const char *help,
                        unsigned long long v);

#endif
