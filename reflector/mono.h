/*
 * mono.h: the daemon's one clock, CLOCK_MONOTONIC in milliseconds.
 *
 * The engine is fed this time (daemon.c), the control socket compares the
 * engine's record times with it (ctl.c), the wide-area domain's timers, the peer
 * links' dead-peer check, the log limiter and the foreground log's time stamps
 * run on it, so all of them must read the same clock.
 */
#ifndef SITECAST_REFLECTOR_MONO_H
#define SITECAST_REFLECTOR_MONO_H

#include <stdint.h>
#include <time.h>

static inline uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#endif
