/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * xdpdns-server's counters of what its limits did: connections refused
 * or closed, replies the kernel would not send. One struct for the whole
 * server, counted from every worker; each kind is logged at most once a
 * minute, with how many since its last line, so that an attack shows in
 * the log without flooding it. The names are what an export of metrics
 * will use.
 */
#ifndef XDPDNS_COUNTERS_H
#define XDPDNS_COUNTERS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

enum srv_event {
	SRV_TCP_REFUSED_CLIENT, /* its client at --tcp-max-per-client */
	SRV_TCP_REFUSED_FULL, /* at --tcp-max, no idle connection to close */
	SRV_TCP_REFUSED_MEMORY, /* at --tcp-memory */
	SRV_TCP_CLOSED_FOR_NEW, /* idle, closed for a new one at --tcp-max */
	SRV_TCP_CLOSED_MSG_TIMEOUT, /* a query not whole in time */
	SRV_TCP_PAUSED_OUTPUT, /* reading stopped: replies left unread */
	SRV_TCP_CLOSED_OUTPUT, /* replies left unread for --tcp-idle */
	SRV_TCP_CLOSED_MEMORY, /* closed to free buffers at --tcp-memory */
	SRV_UDP_SEND_FAILED, /* a reply the kernel refused (sendmmsg) */
	SRV_RRL_DROPPED, /* a UDP response over its rate, not sent */
	SRV_RRL_SLIPPED, /* one sent as TC=1 without records instead */
	SRV_RRL_LOG_ONLY, /* one rrl-log-only let through */
	SRV_EVENTS
};

/* The minimum time between two log lines of one kind. */
#define SRV_LOG_INTERVAL_MS 60000

struct srv_stats {
	atomic_ullong count[SRV_EVENTS];
	atomic_ullong logged[SRV_EVENTS]; /* count at its last log line */
	atomic_llong log_at[SRV_EVENTS]; /* when (ms, srv_now_ms()) */
	bool log; /* false: count only (--quiet) */
	const char *prog; /* the name log lines start with */
};

/* A monotonic clock in milliseconds, for deadlines and the log. */
static inline int64_t srv_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void srv_stats_init(struct srv_stats *s, const char *prog, bool log);

/* n events of kind e at now (ms); logs the kind when its minute is up. */
void srv_stats_add(struct srv_stats *s, enum srv_event e, unsigned long n,
		   int64_t now);

/* Logs the kinds counted since their last line whose minute is up. */
void srv_stats_report(struct srv_stats *s, int64_t now);

/* What kind e counts, for log lines and metrics. */
const char *srv_event_name(enum srv_event e);

#endif
