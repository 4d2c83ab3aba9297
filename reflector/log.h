/*
 * log.h: the daemon's one logging interface.
 *
 * In the foreground (log_init(1, ...)) lines go to stderr, each with its
 * priority as "<N>" when stderr is the systemd journal's stream (so that
 * journalctl -p works), else after a monotonic time stamp; otherwise to
 * syslog. log_warn() appends strerror(errno),
 * log_warnx() does not; fatal()/fatalx() log and exit 1 and belong to main only.
 * No function here allocates memory that the caller must free.
 */
#ifndef SITECAST_LOG_H
#define SITECAST_LOG_H

#include <stdarg.h>

#define LOG_FMT(a, b) __attribute__((format(printf, a, b)))

/* foreground: 1 for stderr, 0 for syslog. verbosity: 0 (info) and up (-v count). */
void log_init(int foreground, int verbosity, const char *ident);
void log_setverbose(int verbosity);
int log_getverbose(void);

/*
 * One line on stderr as it is (the FILE:LINE:COLUMN lines of a configuration
 * that does not load), marked as an error when stderr is the journal. Needs
 * no log_init().
 */
void log_errline(const char *fmt, ...) LOG_FMT(1, 2);

void log_warn(const char *fmt, ...) LOG_FMT(1, 2);
void log_warnx(const char *fmt, ...) LOG_FMT(1, 2);
void log_info(const char *fmt, ...) LOG_FMT(1, 2);
/* Shown with -v. */
void log_debug(const char *fmt, ...) LOG_FMT(1, 2);
/* Shown with -vv: per-packet detail. */
void log_trace(const char *fmt, ...) LOG_FMT(1, 2);
void fatal(const char *fmt, ...) LOG_FMT(1, 2) __attribute__((noreturn));
void fatalx(const char *fmt, ...) LOG_FMT(1, 2) __attribute__((noreturn));

#endif
