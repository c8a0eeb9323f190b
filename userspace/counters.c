// SPDX-License-Identifier: GPL-3.0-or-later
#include "counters.h"

#include "cli.h"

static const char *const names[SRV_EVENTS] = {
	[SRV_TCP_REFUSED_CLIENT] = "tcp_refused_client",
	[SRV_TCP_REFUSED_FULL] = "tcp_refused_full",
	[SRV_TCP_REFUSED_MEMORY] = "tcp_refused_memory",
	[SRV_TCP_CLOSED_FOR_NEW] = "tcp_closed_for_new",
	[SRV_TCP_CLOSED_MSG_TIMEOUT] = "tcp_closed_msg_timeout",
	[SRV_TCP_PAUSED_OUTPUT] = "tcp_paused_output",
	[SRV_TCP_CLOSED_OUTPUT] = "tcp_closed_output",
	[SRV_TCP_CLOSED_MEMORY] = "tcp_closed_memory",
	[SRV_UDP_SEND_FAILED] = "udp_send_failed",
	[SRV_RRL_DROPPED] = "rrl_dropped",
	[SRV_RRL_SLIPPED] = "rrl_slipped",
	[SRV_RRL_LOG_ONLY] = "rrl_log_only",
};

/* What a log line says after the count. */
static const char *const texts[SRV_EVENTS] = {
	[SRV_TCP_REFUSED_CLIENT] = "TCP connection(s) refused: their client "
				   "was at --tcp-max-per-client",
	[SRV_TCP_REFUSED_FULL] = "TCP connection(s) refused: at --tcp-max "
				 "with no idle connection to close",
	[SRV_TCP_REFUSED_MEMORY] = "TCP connection(s) refused: TCP buffers "
				   "at --tcp-memory",
	[SRV_TCP_CLOSED_FOR_NEW] = "idle TCP connection(s) closed for new "
				   "ones at --tcp-max",
	[SRV_TCP_CLOSED_MSG_TIMEOUT] = "TCP connection(s) closed: a query not "
				       "whole within --tcp-msg-timeout",
	[SRV_TCP_PAUSED_OUTPUT] = "TCP connection(s) no longer read: their "
				  "unread replies over --tcp-output-max",
	[SRV_TCP_CLOSED_OUTPUT] = "TCP connection(s) closed: replies left "
				  "unread for --tcp-idle",
	[SRV_TCP_CLOSED_MEMORY] = "TCP connection(s) closed to free buffers "
				  "at --tcp-memory",
	[SRV_UDP_SEND_FAILED] = "UDP replies the kernel refused to send "
				"(such as to an unroutable source)",
	[SRV_RRL_DROPPED] = "UDP responses over their rate limit, dropped",
	[SRV_RRL_SLIPPED] = "UDP responses over their rate limit, sent as "
			    "TC=1 without records (slipped)",
	[SRV_RRL_LOG_ONLY] = "UDP responses over their rate limit, sent "
			     "(rrl-log-only)",
};

void srv_stats_init(struct srv_stats *s, const char *prog, bool log)
{
	for (int e = 0; e < SRV_EVENTS; e++) {
		atomic_init(&s->count[e], 0);
		atomic_init(&s->logged[e], 0);
		atomic_init(&s->log_at[e], 0);
	}
	s->prog = prog;
	s->log = log;
}

const char *srv_event_name(enum srv_event e)
{
	return e < SRV_EVENTS ? names[e] : "?";
}

static void report_one(struct srv_stats *s, enum srv_event e, int64_t now)
{
	unsigned long long n = atomic_load(&s->count[e]);
	unsigned long long was = atomic_load(&s->logged[e]);
	long long at = atomic_load(&s->log_at[e]);

	if (n == was || (at && now - at < SRV_LOG_INTERVAL_MS))
		return;
	/* The worker that moves the time on writes the line; the others,
	 * counting at the same moment, leave it to that one. */
	if (!atomic_compare_exchange_strong(&s->log_at[e], &at, now))
		return;
	atomic_store(&s->logged[e], n);
	if (!s->log)
		return;
	if (at)
		xd_log(s->prog, "%llu %s in the last %lld s", n - was, texts[e],
		       (long long)(now - at) / 1000);
	else
		xd_log(s->prog, "%llu %s", n - was, texts[e]);
}

void srv_stats_add(struct srv_stats *s, enum srv_event e, unsigned long n,
		   int64_t now)
{
	atomic_fetch_add(&s->count[e], n);
	report_one(s, e, now);
}

void srv_stats_report(struct srv_stats *s, int64_t now)
{
	for (int e = 0; e < SRV_EVENTS; e++)
		report_one(s, (enum srv_event)e, now);
}
