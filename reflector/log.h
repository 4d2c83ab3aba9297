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
#include <stdint.h>

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
/*
 * A rate limit for one kind of log line: at most burst lines in a window of
 * window_s seconds of CLOCK_MONOTONIC, the window starting with the first line
 * after the last window ended. What is not logged is counted, and the next
 * line that passes is told how many, so a flood shows in the log as one line
 * and a count instead of thousands of lines. Set burst and window_s (or use
 * LOG_LIMIT_INIT); the other fields are log.c's.
 */
struct log_limit {
	unsigned burst;
	unsigned window_s;
	int started;
	int64_t start_ms; /* CLOCK_MONOTONIC */
	unsigned lines; /* passed in this window */
	uint64_t quiet; /* refused since the last line that passed */
};
#define LOG_LIMIT_INIT(burst_, window_s_) {.burst = (burst_), .window_s = (window_s_)}

enum log_limit_verdict {
	LOG_LIMIT_QUIET = 0, /* do not log this one (it is counted) */
	LOG_LIMIT_PASS = 1,  /* log it */
	LOG_LIMIT_LAST = 2,  /* log it; it is the window's last (say so) */
};

/*
 * Whether one more line of this kind may be logged now. On a line that may,
 * *suppressed (not NULL) is set to how many were refused since the last one
 * that passed, and the count starts again.
 */
enum log_limit_verdict log_limit_pass(struct log_limit *ll, uint64_t *suppressed);
/* The same at a given time (milliseconds on the monotonic clock): for tests. */
enum log_limit_verdict log_limit_pass_at(struct log_limit *ll, int64_t now_ms,
                                         uint64_t *suppressed);

/*
 * Once the window is over, how many lines it refused (and that count starts
 * again): for a summary line when no new line would carry the count. 0 while
 * the window lasts or when nothing was refused.
 */
uint64_t log_limit_flush(struct log_limit *ll);
uint64_t log_limit_flush_at(struct log_limit *ll, int64_t now_ms);

/*
 * log_warnx() / log_warn() through ll: nothing when ll refuses the line,
 * otherwise the line with " (N more not shown)" when N were refused before it.
 */
void log_limit_warnx(struct log_limit *ll, const char *fmt, ...) LOG_FMT(2, 3);
void log_limit_warn(struct log_limit *ll, const char *fmt, ...) LOG_FMT(2, 3);

/*
 * Text that others chose (DNS labels, a peer's BYE reason) made safe for a log
 * line or a terminal, in place: each byte that could break the line or reach a
 * terminal as an escape becomes '?'. LOG_CLEAN_CONTROL replaces control bytes
 * (below 0x20, and 0x7f) and keeps UTF-8, as names are shown; LOG_CLEAN_ASCII
 * replaces every byte outside printable ASCII, for text no name is made of.
 * Returns s; NULL is left as it is.
 */
enum log_clean_mode {
	LOG_CLEAN_CONTROL,
	LOG_CLEAN_ASCII,
};
char *log_clean(char *s, enum log_clean_mode mode);

void fatal(const char *fmt, ...) LOG_FMT(1, 2) __attribute__((noreturn));
void fatalx(const char *fmt, ...) LOG_FMT(1, 2) __attribute__((noreturn));

#endif
