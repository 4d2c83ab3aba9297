/* report.c: JSON strings and Prometheus lines (see report.h). */
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "dnssd/svcname.h"
#include "reflector/report.h"

void report_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

void report_json_label(FILE *f, const char *s)
{
	fputc('"', f);
	for (size_t n = s ? strlen(s) : 0; n > 0;) {
		unsigned char ch = (unsigned char)*s;
		size_t k = dnssd_utf8_seq((const uint8_t *)s, n);
		if (k == 0) {
			fputs("\\ufffd", f);
			k = 1;
		} else if (ch == '"' || ch == '\\') {
			fprintf(f, "\\%c", ch);
		} else if (ch < 0x20 || ch == 0x7f) {
			fprintf(f, "\\u%04x", ch);
		} else {
			fwrite(s, 1, k, f);
		}
		s += k;
		n -= k;
	}
	fputc('"', f);
}

void report_json_str_or_null(FILE *f, const char *s)
{
	if (s)
		report_json_label(f, s);
	else
		fputs("null", f);
}

void report_prom_label(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

void report_prom_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void report_prom_value(FILE *f, const char *name, const char *label, const char *value,
                       unsigned long long n)
{
	fputs(name, f);
	if (label) {
		fprintf(f, "{%s=", label);
		report_prom_label(f, value);
		fputc('}', f);
	}
	fprintf(f, " %llu\n", n);
}

void report_prom_single(FILE *f, const char *name, const char *type, const char *help,
                        unsigned long long n)
{
	report_prom_head(f, name, type, help);
	report_prom_value(f, name, NULL, NULL, n);
}

void report_time(time_t t, char *buf, size_t len)
{
	struct tm tm;
	if (t == 0 || !gmtime_r(&t, &tm) ||
	    !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "never");
}
