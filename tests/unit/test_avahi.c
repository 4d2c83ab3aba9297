/*
 * test_avahi.c: the AvahiPoll adapter over libevent, as avahi-client drives it:
 * watches on descriptors, timeouts at absolute gettimeofday times, and objects freed
 * or changed from inside their own callbacks. (Publishing and browsing need a real
 * avahi-daemon: tests/net/avahi_client.sh.)
 */
#include "config.h"

#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <avahi-common/watch.h>
#include <event2/event.h>

#include "reflector/avahi.h"
#include "tests/unit/unit.h"

static struct event_base *base;
static struct avh_poll *poll_;
static const AvahiPoll *api;

static void setup(void)
{
	base = event_base_new();
	CU_ASSERT_FATAL(base != NULL);
	poll_ = avh_poll_new(base);
	CU_ASSERT_FATAL(poll_ != NULL);
	api = avh_poll_api(poll_);
}

static void teardown(void)
{
	avh_poll_free(poll_);
	event_base_free(base);
}

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

/* Runs the loop for ms milliseconds. */
static void run_for(int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	struct event *stop = evtimer_new(base, stop_cb, base);

	evtimer_add(stop, &tv);
	event_base_dispatch(base);
	event_free(stop);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* An absolute time ms from now on the gettimeofday clock, as Avahi gives them. */
static struct timeval in_ms(int ms)
{
	struct timeval tv, d = {ms / 1000, (ms % 1000) * 1000}, r;

	gettimeofday(&tv, NULL);
	timeradd(&tv, &d, &r);
	return r;
}

struct wstate {
	int calls;
	int fd;
	AvahiWatchEvent last;
	AvahiWatchEvent seen_inside;
	int free_self;
	int drain;
};

static void watch_cb(AvahiWatch *w, int fd, AvahiWatchEvent ev, void *ud)
{
	struct wstate *s = ud;
	char c;

	s->calls++;
	s->fd = fd;
	s->last = ev;
	s->seen_inside = api->watch_get_events(w);
	if (s->drain && read(fd, &c, 1) < 0)
		CU_FAIL("read");
	if (s->free_self)
		api->watch_free(w);
}

static void test_watch_readable(void)
{
	struct wstate s = {.drain = 1};
	int p[2];
	AvahiWatch *w;

	setup();
	CU_ASSERT_FATAL(pipe(p) == 0);
	w = api->watch_new(api, p[0], AVAHI_WATCH_IN, watch_cb, &s);
	CU_ASSERT_FATAL(w != NULL);
	run_for(20);
	CU_ASSERT_EQUAL(s.calls, 0);
	CU_ASSERT_EQUAL(write(p[1], "x", 1), 1);
	run_for(20);
	CU_ASSERT_EQUAL(s.calls, 1);
	CU_ASSERT_EQUAL(s.fd, p[0]);
	CU_ASSERT_EQUAL(s.last, AVAHI_WATCH_IN);
	CU_ASSERT_EQUAL(s.seen_inside, AVAHI_WATCH_IN);
	/* Outside a callback nothing has happened. */
	CU_ASSERT_EQUAL(api->watch_get_events(w), 0);
	api->watch_free(w);
	close(p[0]);
	close(p[1]);
	teardown();
}

static void test_watch_writable_and_update(void)
{
	struct wstate s = {0};
	int p[2];
	AvahiWatch *w;

	setup();
	CU_ASSERT_FATAL(pipe(p) == 0);
	w = api->watch_new(api, p[1], AVAHI_WATCH_OUT, watch_cb, &s);
	CU_ASSERT_FATAL(w != NULL);
	run_for(10);
	CU_ASSERT(s.calls >= 1);
	CU_ASSERT_EQUAL(s.last, AVAHI_WATCH_OUT);
	/* No events wanted: no calls, though the pipe stays writable. */
	api->watch_update(w, 0);
	s.calls = 0;
	run_for(20);
	CU_ASSERT_EQUAL(s.calls, 0);
	/* Wanted again, as input on the write end: never readable. */
	api->watch_update(w, AVAHI_WATCH_IN);
	run_for(20);
	CU_ASSERT_EQUAL(s.calls, 0);
	api->watch_update(w, AVAHI_WATCH_OUT);
	run_for(10);
	CU_ASSERT(s.calls >= 1);
	api->watch_free(w);
	close(p[0]);
	close(p[1]);
	teardown();
}

/* Freed inside its own callback with data still unread: never called again. */
static void test_watch_free_in_callback(void)
{
	struct wstate s = {.free_self = 1};
	int p[2];

	setup();
	CU_ASSERT_FATAL(pipe(p) == 0);
	CU_ASSERT_FATAL(api->watch_new(api, p[0], AVAHI_WATCH_IN, watch_cb, &s) != NULL);
	CU_ASSERT_EQUAL(write(p[1], "xy", 2), 2);
	run_for(30);
	CU_ASSERT_EQUAL(s.calls, 1);
	close(p[0]);
	close(p[1]);
	teardown();
}

struct tstate {
	int calls;
	double at[8];
	int rearm; /* times to re-arm from inside the callback */
	int free_self;
	AvahiTimeout *victim; /* freed from inside the callback */
};

static void timeout_cb(AvahiTimeout *t, void *ud)
{
	struct tstate *s = ud;

	if (s->calls < 8)
		s->at[s->calls] = now_ms();
	s->calls++;
	if (s->victim) {
		api->timeout_free(s->victim);
		s->victim = NULL;
	}
	if (s->rearm > 0) {
		struct timeval tv = in_ms(10);

		s->rearm--;
		api->timeout_update(t, &tv);
	}
	if (s->free_self)
		api->timeout_free(t);
}

static void test_timeout_absolute(void)
{
	struct tstate s = {0};
	struct timeval tv = in_ms(100);
	double t0 = now_ms();
	AvahiTimeout *t;

	setup();
	t = api->timeout_new(api, &tv, timeout_cb, &s);
	CU_ASSERT_FATAL(t != NULL);
	run_for(60);
	CU_ASSERT_EQUAL(s.calls, 0);
	run_for(100);
	CU_ASSERT_EQUAL(s.calls, 1);
	CU_ASSERT(s.at[0] - t0 >= 95);
	/* Once fired, it stays off until updated. */
	run_for(50);
	CU_ASSERT_EQUAL(s.calls, 1);
	api->timeout_free(t);
	teardown();
}

static void test_timeout_disabled_and_past(void)
{
	struct tstate s = {0};
	struct timeval past = {0, 0}, soon;
	AvahiTimeout *t;

	setup();
	t = api->timeout_new(api, NULL, timeout_cb, &s);
	CU_ASSERT_FATAL(t != NULL);
	run_for(30);
	CU_ASSERT_EQUAL(s.calls, 0);
	/* A time already past (Avahi's "dispatch now" is {0, 0}) fires at once. */
	api->timeout_update(t, &past);
	run_for(5);
	CU_ASSERT_EQUAL(s.calls, 1);
	/* Updated to later, then disabled before it is due. */
	soon = in_ms(20);
	api->timeout_update(t, &soon);
	api->timeout_update(t, NULL);
	run_for(40);
	CU_ASSERT_EQUAL(s.calls, 1);
	api->timeout_free(t);
	teardown();
}

static void test_timeout_rearm_and_free_in_callback(void)
{
	struct tstate s = {.rearm = 2, .free_self = 0}, other = {0},
	              self = {.free_self = 1};
	struct timeval now = in_ms(0), later = in_ms(30);
	AvahiTimeout *t, *v;

	setup();
	t = api->timeout_new(api, &now, timeout_cb, &s);
	CU_ASSERT_FATAL(t != NULL);
	run_for(60);
	CU_ASSERT_EQUAL(s.calls, 3);
	api->timeout_free(t);

	/* One frees itself; another frees a third one, pending. */
	CU_ASSERT_FATAL(api->timeout_new(api, &now, timeout_cb, &self) != NULL);
	v = api->timeout_new(api, &later, timeout_cb, &other);
	s = (struct tstate){.victim = v};
	t = api->timeout_new(api, &now, timeout_cb, &s);
	run_for(60);
	CU_ASSERT_EQUAL(self.calls, 1);
	CU_ASSERT_EQUAL(s.calls, 1);
	CU_ASSERT_EQUAL(other.calls, 0);
	api->timeout_free(t);
	teardown();
}

/* What Avahi leaves is freed with the adapter (checked by LeakSanitizer). */
static void test_poll_free_leftovers(void)
{
	struct wstate ws = {0};
	struct tstate ts = {0};
	struct timeval tv = in_ms(1000);
	int p[2];

	setup();
	CU_ASSERT_FATAL(pipe(p) == 0);
	CU_ASSERT(api->watch_new(api, p[0], AVAHI_WATCH_IN, watch_cb, &ws) != NULL);
	CU_ASSERT(api->timeout_new(api, &tv, timeout_cb, &ts) != NULL);
	teardown();
	close(p[0]);
	close(p[1]);
}

static CU_TestInfo poll_tests[] = {
    {"watch: readable pipe, events inside the callback only", test_watch_readable},
    {"watch: writable, updated to nothing and back", test_watch_writable_and_update},
    {"watch: freed inside its callback", test_watch_free_in_callback},
    {"timeout: absolute time, fires once", test_timeout_absolute},
    {"timeout: NULL disables, past fires at once", test_timeout_disabled_and_past},
    {"timeout: re-armed and freed inside callbacks",
     test_timeout_rearm_and_free_in_callback},
    {"poll: freed with objects left", test_poll_free_leftovers},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"avahi poll adapter", NULL, NULL, NULL, NULL, poll_tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
