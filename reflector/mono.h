/*
 * mono.h: the daemon's one clock, CLOCK_MONOTONIC in milliseconds.
 *
 * The engine is fed this time (daemon.c), the control socket compares the
 * engine's record times with it (ctl.c), the wide-area domain's timers, the peer
 * links' dead-peer check, the log limiter and the foreground log's time stamps
 * run on it, so all of them must read the same clock.
 *
 * Delays on the event loop are counted in the same milliseconds: mono_tv()
 * turns them into libevent's struct timeval and mono_arm() arms an event with
 * one, so no module converts by hand. Nothing here allocates; the event is the
 * caller's.
 */
#ifndef SITECAST_REFLECTOR_MONO_H
#define SITECAST_REFLECTOR_MONO_H

#include <stdint.h>
#include <sys/time.h>
#include <time.h>

#include <event2/event.h>

static inline uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A delay of ms milliseconds as a struct timeval. */
static inline struct timeval mono_tv(uint64_t ms)
{
	return (struct timeval){.tv_sec = (time_t)(ms / 1000),
	                        .tv_usec = (suseconds_t)(ms % 1000) * 1000};
}

/* ev (a timer, or an I/O event's timeout) due ms milliseconds from now: event_add(). */
static inline int mono_arm(struct event *ev, uint64_t ms)
{
	struct timeval tv = mono_tv(ms);
	return event_add(ev, &tv);
}

#endif
