/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * xdpdns-server's response rate limiting: the XDP program's semantics
 * (one routine decides for both: xd_rrl_spend() in bpf/xdpdns.h), the
 * same settings by the same names and defaults, for every UDP response
 * the server sends, so that no query it is handed, for whatever reason,
 * makes it a reflector. A table of its own: its clock is not the
 * program's (jiffies), and its keys are the engine's, not the program's
 * generation-bound template numbers. TCP is never limited (its handshake
 * proves the source), nor is a client with a valid cookie of ours.
 */
#ifndef XDPDNS_LIMIT_H
#define XDPDNS_LIMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "parse.h"
#include "xdpdns.h"

#define XD_LIMIT_EXEMPT_MAX 64
#define XD_LIMIT_LOCKS 256

struct xd_limit_settings {
	uint32_t rate[XD_RRL_CLASSES]; /* XD_RRL_PASSED is the program's */
	uint32_t window, slip;
	uint8_t v4_prefix, v6_prefix;
	bool log_only;
	uint32_t buckets; /* a power of two */
	struct xd_prefix exempt[XD_LIMIT_EXEMPT_MAX];
	size_t nexempt;
};

/* What to do with a response. */
enum xd_limit_verdict {
	XD_LIMIT_SEND,
	XD_LIMIT_DROP,
	XD_LIMIT_SLIP, /* send it as TC=1 with no records */
	XD_LIMIT_LOG_ONLY, /* over, but sent: rrl-log-only */
};

struct xd_limiter {
	struct xd_limit_settings set;
	struct xd_rrl_bucket *table;
	uint64_t seed;
	uint64_t k[XD_RRL_CLASSES]; /* xd_rrl_credit() of each rate */
	pthread_mutex_t locks[XD_LIMIT_LOCKS]; /* by bucket pair */
	/* Milliseconds of a steady clock; a test may put its own. */
	uint64_t (*now_ms)(void);
};

/* The defaults: the program's (bpf/xdpdns.h), 65536 buckets. */
void xd_limit_defaults(struct xd_limit_settings *s);

/*
 * Setting name (as the loader's config keys: rrl, rrl-*-per-second,
 * rrl-window, rrl-slip, rrl-ipv4-prefix-length, rrl-ipv6-prefix-length,
 * rrl-log-only, plus rrl-exempt and rrl-table) to val. Returns 0, -1 for
 * a bad value (why says what is wanted), -2 when name is not one.
 */
int xd_limit_set(struct xd_limit_settings *s, const char *name, const char *val,
		 char *why, size_t len);

/* A limiter with settings s; -ENOMEM, or 0. */
int xd_limit_init(struct xd_limiter *l, const struct xd_limit_settings *s);
void xd_limit_free(struct xd_limiter *l);

/* Whether any rate is on. */
bool xd_limit_on(const struct xd_limiter *l);

/*
 * The verdict on a response of class cls (XD_RRL_*, not PASSED) keyed by
 * key, to client. Thread-safe.
 */
enum xd_limit_verdict xd_limit_check(struct xd_limiter *l,
				     const struct sockaddr_storage *client,
				     unsigned cls, uint64_t key);

#endif
