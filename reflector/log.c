/* log.c: stderr or syslog output for the daemon (see log.h). */
#include "config.h"

#include "reflector/log.h"
#include "reflector/mono.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

static int log_foreground = 1;
static int log_journal; /* stderr is the systemd journal's stream */
static int log_verbose;

/*
 * systemd sets JOURNAL_STREAM to the device and inode of the stream it gave
 * the service as stdout/stderr (systemd.exec(5)). Lines on it may start with
 * a priority, "<3>", which the journal takes as the line's priority
 * (sd-daemon(3)); the journal stamps lines with the time itself.
 */
static int stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void log_init(int foreground, int verbosity, const char *ident)
{
	log_foreground = foreground;
	log_journal = foreground && stderr_is_journal();
	log_verbose = verbosity;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_errline(const char *fmt, ...)
{
	va_list ap;
	if (stderr_is_journal())
		fprintf(stderr, "<%d>", LOG_ERR);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void log_setverbose(int verbosity)
{
	log_verbose = verbosity;
}

int log_getverbose(void)
{
	return log_verbose;
}

__attribute__((format(printf, 2, 0))) static void vlog(int pri, const char *fmt, va_list ap,
							   const char *suffix)
{
	char line[2048];
	int n = vsnprintf(line, sizeof(line), fmt, ap);

	if (n < 0)
		return;
	if (suffix && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t)n, ": %s", suffix);
	if (log_journal) {
		fprintf(stderr, "<%d>%s\n", pri, line);
		fflush(stderr);
	} else if (log_foreground) {
		/* Monotonic seconds (mono.h) make test logs easy to correlate. */
		uint64_t now = mono_ms();
		fprintf(stderr, "[%" PRIu64 ".%03u] %s\n", now / 1000,
		        (unsigned)(now % 1000), line);
		fflush(stderr);
	} else {
		syslog(pri, "%s", line);
	}
}

#define LOG_BODY(pri, suffix)                                                                  \
	do {                                                                                   \
		va_list ap;                                                                    \
		va_start(ap, fmt);                                                             \
		vlog(pri, fmt, ap, suffix);                                                    \
		va_end(ap);                                                                    \
	} while (0)

void log_warn(const char *fmt, ...)
{
	const char *err = strerror(errno);
	LOG_BODY(LOG_WARNING, err);
}

void log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_WARNING, NULL);
}

void log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_INFO, NULL);
}

void log_debug(const char *fmt, ...)
{
	if (log_verbose < 1)
		return;
	LOG_BODY(LOG_DEBUG, NULL);
}

void log_trace(const char *fmt, ...)
{
	if (log_verbose < 2)
		return;
	LOG_BODY(LOG_DEBUG, NULL);
}

enum log_limit_verdict log_limit_pass_at(struct log_limit *ll, int64_t now_ms,
                                         uint64_t *suppressed)
{
	if (!ll->started || now_ms - ll->start_ms >= (int64_t)ll->window_s * 1000) {
		ll->started = 1;
		ll->start_ms = now_ms;
		ll->lines = 0;
	}
	unsigned burst = ll->burst ? ll->burst : 1;
	if (ll->lines >= burst) {
		ll->quiet++;
		return LOG_LIMIT_QUIET;
	}
	ll->lines++;
	if (suppressed)
		*suppressed = ll->quiet;
	ll->quiet = 0;
	return ll->lines == burst ? LOG_LIMIT_LAST : LOG_LIMIT_PASS;
}

enum log_limit_verdict log_limit_pass(struct log_limit *ll, uint64_t *suppressed)
{
	return log_limit_pass_at(ll, (int64_t)mono_ms(), suppressed);
}

uint64_t log_limit_flush_at(struct log_limit *ll, int64_t now_ms)
{
	if (!ll->started || now_ms - ll->start_ms < (int64_t)ll->window_s * 1000)
		return 0;
	uint64_t quiet = ll->quiet;
	ll->quiet = 0;
	return quiet;
}

uint64_t log_limit_flush(struct log_limit *ll)
{
	return log_limit_flush_at(ll, (int64_t)mono_ms());
}

__attribute__((format(printf, 3, 0))) static void
vlog_limited(struct log_limit *ll, const char *err, const char *fmt, va_list ap)
{
	uint64_t quiet = 0;
	if (log_limit_pass(ll, &quiet) == LOG_LIMIT_QUIET)
		return;
	char line[1024];
	vsnprintf(line, sizeof(line), fmt, ap);
	char tail[64] = "";
	if (quiet)
		snprintf(tail, sizeof(tail), " (%" PRIu64 " more not shown)", quiet);
	if (err)
		log_warnx("%s: %s%s", line, err, tail);
	else
		log_warnx("%s%s", line, tail);
}

void log_limit_warnx(struct log_limit *ll, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog_limited(ll, NULL, fmt, ap);
	va_end(ap);
}

void log_limit_warn(struct log_limit *ll, const char *fmt, ...)
{
	const char *err = strerror(errno);
	va_list ap;
	va_start(ap, fmt);
	vlog_limited(ll, err, fmt, ap);
	va_end(ap);
}

char *log_clean(char *s, enum log_clean_mode mode)
{
	for (char *c = s; c && *c; c++) {
		unsigned char ch = (unsigned char)*c;
		if (ch < 0x20 || ch == 0x7f || (ch > 0x7f && mode == LOG_CLEAN_ASCII))
			*c = '?';
	}
	return s;
}

void fatal(const char *fmt, ...)
{
	const char *err = strerror(errno);
	LOG_BODY(LOG_CRIT, err);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, NULL);
	exit(1);
}
