// SPDX-License-Identifier: GPL-3.0-or-later
#include "limit.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "parse.h"

#define DEFAULT_BUCKETS 65536

void xd_limit_defaults(struct xd_limit_settings *s)
{
	memset(s, 0, sizeof(*s));
	xd_rrl_rates(s->rate, 1);
	s->window = XD_RRL_DEFAULT_WINDOW;
	s->slip = XD_RRL_DEFAULT_SLIP;
	s->v4_prefix = XD_RRL_DEFAULT_V4_PREFIX;
	s->v6_prefix = XD_RRL_DEFAULT_V6_PREFIX;
	s->buckets = DEFAULT_BUCKETS;
}

/* The settings that are a number: where each goes, its range. */
static const struct {
	const char *name;
	int cls; /* a rate's class, or -1 */
	size_t off; /* otherwise: a field of struct xd_limit_settings */
	bool byte;
	unsigned long min, max;
} numbers[] = {
	{ "rrl-responses-per-second", XD_RRL_POSITIVE, 0, false, 0,
	  XD_RRL_RATE_MAX },
	{ "rrl-nodata-per-second", XD_RRL_NODATA, 0, false, 0,
	  XD_RRL_RATE_MAX },
	{ "rrl-nxdomains-per-second", XD_RRL_NXDOMAIN, 0, false, 0,
	  XD_RRL_RATE_MAX },
	{ "rrl-referrals-per-second", XD_RRL_REFERRAL, 0, false, 0,
	  XD_RRL_RATE_MAX },
	{ "rrl-errors-per-second", XD_RRL_ERROR, 0, false, 0, XD_RRL_RATE_MAX },
	{ "rrl-window", -1, offsetof(struct xd_limit_settings, window), false,
	  1, 3600 },
	{ "rrl-slip", -1, offsetof(struct xd_limit_settings, slip), false, 0,
	  10 },
	{ "rrl-ipv4-prefix-length", -1,
	  offsetof(struct xd_limit_settings, v4_prefix), true, 0, 32 },
	{ "rrl-ipv6-prefix-length", -1,
	  offsetof(struct xd_limit_settings, v6_prefix), true, 0, 128 },
	{ "rrl-table", -1, offsetof(struct xd_limit_settings, buckets), false,
	  1024, 1u << 24 },
};

int xd_limit_set(struct xd_limit_settings *s, const char *name, const char *val,
		 char *why, size_t len)
{
	bool on;

	if (!strcmp(name, "rrl") || !strcmp(name, "rrl-log-only")) {
		if (xd_parse_bool(val, &on) < 0) {
			snprintf(why, len, "%s is on or off, not '%s'", name,
				 val);
			return -1;
		}
		if (name[3])
			s->log_only = on;
		else
			xd_rrl_rates(s->rate, on);
		return 0;
	}
	if (!strcmp(name, "rrl-exempt")) {
		if (s->nexempt >= XD_LIMIT_EXEMPT_MAX) {
			snprintf(why, len, "at most %d rrl-exempt prefixes",
				 XD_LIMIT_EXEMPT_MAX);
			return -1;
		}
		if (xd_parse_prefix(val, &s->exempt[s->nexempt]) < 0) {
			snprintf(why, len,
				 "rrl-exempt wants an address with an optional "
				 "/LENGTH, not '%s'",
				 val);
			return -1;
		}
		s->nexempt++;
		return 0;
	}
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		if (strcmp(name, numbers[i].name))
			continue;
		unsigned long v;
		if (xd_parse_number(val, numbers[i].min, numbers[i].max, &v) <
		    0) {
			snprintf(why, len,
				 "%s wants a number from %lu to %lu, not '%s'",
				 name, numbers[i].min, numbers[i].max, val);
			return -1;
		}
		int c = numbers[i].cls;
		if (c == XD_RRL_POSITIVE) /* and the classes after it */
			for (int k = XD_RRL_POSITIVE; k <= XD_RRL_ERROR; k++)
				s->rate[k] = (uint32_t)v;
		else if (c >= 0)
			s->rate[c] = (uint32_t)v;
		else if (numbers[i].byte)
			*((uint8_t *)s + numbers[i].off) = (uint8_t)v;
		else
			memcpy((uint8_t *)s + numbers[i].off,
			       &(uint32_t){ (uint32_t)v }, 4);
		return 0;
	}
	return -2;
}

static uint64_t coarse_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

int xd_limit_init(struct xd_limiter *l, const struct xd_limit_settings *s)
{
	memset(l, 0, sizeof(*l));
	l->set = *s;
	uint32_t n = 1024;
	while (n < s->buckets)
		n <<= 1;
	l->set.buckets = n;
	l->table = calloc(n, sizeof(*l->table));
	if (!l->table)
		return -ENOMEM;
	if (getrandom(&l->seed, sizeof(l->seed), 0) != sizeof(l->seed))
		l->seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull;
	for (int c = 0; c < XD_RRL_CLASSES; c++)
		l->k[c] = xd_rrl_credit(s->rate[c], 1000);
	for (int i = 0; i < XD_LIMIT_LOCKS; i++)
		pthread_mutex_init(&l->locks[i], NULL);
	l->now_ms = coarse_ms;
	return 0;
}

void xd_limit_free(struct xd_limiter *l)
{
	if (!l->table)
		return;
	for (int i = 0; i < XD_LIMIT_LOCKS; i++)
		pthread_mutex_destroy(&l->locks[i]);
	free(l->table);
	l->table = NULL;
}

bool xd_limit_on(const struct xd_limiter *l)
{
	for (int c = 0; c < XD_RRL_CLASSES; c++)
		if (c != XD_RRL_PASSED && l->set.rate[c])
			return true;
	return false;
}

/* Does prefix k hold addr (16 bytes, IPv4 mapped)? */
static bool prefix_holds(const struct xd_prefix *k, const uint8_t addr[16])
{
	uint32_t bits = k->prefixlen, whole = bits / 8;

	if (memcmp(k->addr, addr, whole))
		return false;
	if (bits % 8 == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff00 >> (bits % 8));
	return (k->addr[whole] & mask) == (addr[whole] & mask);
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

enum xd_limit_verdict xd_limit_check(struct xd_limiter *l,
				     const struct sockaddr_storage *client,
				     unsigned cls, uint64_t key)
{
	const struct xd_limit_settings *s = &l->set;
	uint8_t addr[16] = { 0 };
	uint32_t plen;

	if (cls >= XD_RRL_CLASSES || cls == XD_RRL_PASSED || !s->rate[cls] ||
	    !l->table)
		return XD_LIMIT_SEND;
	if (client->ss_family == AF_INET) {
		addr[10] = addr[11] = 0xff;
		memcpy(addr + 12,
		       &((const struct sockaddr_in *)client)->sin_addr, 4);
		plen = 96u + s->v4_prefix;
	} else if (client->ss_family == AF_INET6) {
		memcpy(addr, &((const struct sockaddr_in6 *)client)->sin6_addr,
		       16);
		plen = s->v6_prefix;
	} else {
		return XD_LIMIT_SEND;
	}
	uint64_t tag =
		xd_rrl_tag(l->seed, be64(addr), be64(addr + 8), plen, cls, key);
	uint32_t i0 = (uint32_t)(tag >> 32) & (s->buckets - 1);
	pthread_mutex_t *lock = &l->locks[(i0 >> 1) % XD_LIMIT_LOCKS];
	struct xd_rrl_bucket *b;

	pthread_mutex_lock(lock);
	int over = xd_rrl_spend(&l->table[i0], &l->table[i0 ^ 1], tag,
				l->now_ms(), 1000, l->k[cls], s->rate[cls],
				s->window, &b);
	/* The exempt prefixes looked at only for what is over, as the
	 * program does; only what is limited is counted. */
	bool exempt = false;
	for (size_t i = 0; over && i < s->nexempt && !exempt; i++)
		exempt = prefix_holds(&s->exempt[i], addr);
	uint32_t n = over && !exempt && !s->log_only && cls < XD_RRL_ERROR ?
			     ++b->limited :
			     0;
	pthread_mutex_unlock(lock);
	if (!over || exempt)
		return XD_LIMIT_SEND;
	if (s->log_only)
		return XD_LIMIT_LOG_ONLY;
	if (cls < XD_RRL_ERROR && xd_rrl_slips(s->slip, n))
		return XD_LIMIT_SLIP;
	return XD_LIMIT_DROP;
}
