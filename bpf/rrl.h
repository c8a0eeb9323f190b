/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Response rate limiting as BIND does it, and the shedding of queries
 * passed to userspace: a bucket per (client prefix, class, name or zone)
 * whose balance earns `rate` responses a second, pays one per response,
 * may fall to -window x rate, and limits while it is below zero.
 */
#ifndef XDPDNS_BPF_RRL_H
#define XDPDNS_BPF_RRL_H

#include "maps.h"
#include "stats.h"

enum { RRL_ANSWER, RRL_DROP, RRL_SLIP };

/* The kernel's tick rate, from its configuration (libbpf fills it in;
 * 0 where the kernel's configuration cannot be read). */
extern const unsigned int CONFIG_HZ __kconfig __weak;

/* The limiter's clock and its ticks a second: jiffies, or milliseconds
 * of the coarse clock where HZ is unknown. The branch is decided when
 * the program is loaded. */
static __always_inline __u64 rrl_now(void)
{
	if (CONFIG_HZ)
		return bpf_jiffies64();
	return bpf_ktime_get_coarse_ns() / 1000000;
}

static __always_inline __u64 rrl_hz(void)
{
	return CONFIG_HZ ? CONFIG_HZ : 1000;
}

/* A 64-bit finaliser (the multiply-xorshift of splitmix64's output). */
static __always_inline __u64 rrl_mix(__u64 x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ull;
	x ^= x >> 27;
	x *= 0x81dadef4bc2dd44dull;
	x ^= x >> 33;
	return x;
}

/*
 * What to do with a response (or passed query) of class cls keyed by id
 * for the client of the packet being answered (its parse in s, the
 * settings in cfg): RRL_ANSWER, RRL_DROP or RRL_SLIP. One subprogram,
 * called from every place that needs it.
 */
static __noinline int rrl_check(struct xdp_md *ctx, struct xd_scratch *s,
				const struct xd_config *cfg, __u32 cls,
				__u64 id)
{
	if (!s || !cfg || cls >= XD_RRL_CLASSES)
		return RRL_ANSWER;
	__u64 rate = cfg->rrl_rate[cls];
	if (!rate)
		return RRL_ANSWER;
	if (rate > 1000000)
		rate = 1000000;
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	const struct pkt *p = &s->pk;
	struct xd_rrl_exempt_key ek = { .prefixlen = 128 };
	__u32 plen;
	if (p->ipv6) {
		__u8 *ip = data + ((p->l3 + 8) & 0xff);
		if ((void *)(ip + 16) > end)
			return RRL_ANSWER;
		__builtin_memcpy(ek.addr, ip, 16);
		plen = cfg->rrl_v6_prefix;
	} else {
		__u8 *ip = data + ((p->l3 + 12) & 0xff);
		if ((void *)(ip + 4) > end)
			return RRL_ANSWER;
		ek.addr[10] = ek.addr[11] = 0xff;
		__builtin_memcpy(ek.addr + 12, ip, 4);
		plen = 96 + (__u32)cfg->rrl_v4_prefix;
	}
	/* The bucket's tag: the address cut to the prefix, the class and
	 * the id, hashed with the table's seed. */
	__u64 a0, a1;
	__builtin_memcpy(&a0, ek.addr, 8);
	__builtin_memcpy(&a1, ek.addr + 8, 8);
	a0 = __builtin_bswap64(a0);
	a1 = __builtin_bswap64(a1);
	if (plen < 64) {
		a0 = plen ? a0 & ~0ull << (64 - plen) : 0;
		a1 = 0;
	} else if (plen < 128) {
		a1 = plen > 64 ? a1 & ~0ull << (128 - plen) : 0;
	}
	__u64 h = rrl_mix(cfg->rrl_seed ^ a0) ^ a1;
	h = rrl_mix(h) ^ id;
	h = rrl_mix(h ^ (__u64)cls << 56);
	__u64 tag = h | 1;

	__u32 i0 = (__u32)(h >> 32) & cfg->rrl_mask, i1 = i0 ^ 1;
	struct xd_rrl_bucket *b = bpf_map_lookup_elem(&xd_rrl, &i0);
	struct xd_rrl_bucket *b1 = bpf_map_lookup_elem(&xd_rrl, &i1);
	if (!b || !b1)
		return RRL_ANSWER;
	__u64 now = rrl_now(), hz = rrl_hz();
	__s64 full = (__s64)(rate * 1000);
	__u64 k = s->rrl_k[cls];
	if (s->rrl_rate_seen[cls] != rate) {
		k = (rate * 1000 << 30) / hz;
		s->rrl_k[cls] = k;
		s->rrl_rate_seen[cls] = (__u32)rate;
	}
	if (b->tag != tag) {
		if (b1->tag == tag) {
			b = b1;
		} else {
			/* A new bucket, in the slot idle longer. */
			if (b1->last < b->last)
				b = b1;
			b->tag = tag;
			b->balance = full - 1000;
			b->last = now;
			b->limited = 0;
			b->frac = 0;
			return RRL_ANSWER;
		}
	}
	/* Credit since the last response, in thousandths of a response:
	 * ticks elapsed x k, k = rate x 1000 x 2^30 / HZ, the remainder kept
	 * in the bucket, whole seconds as a second's worth each (a division
	 * only after a second idle). Idle longer than the window and one
	 * second: every debt forgiven, as BIND does. A tick's resolution is
	 * enough (nothing is lost to rounding), and reading the tick
	 * counter costs a fraction of a clock's read. */
	__u64 el = now - b->last;
	if ((__s64)el < 0)
		el = 0;
	b->last = now;
	__s64 floor = -(__s64)cfg->rrl_window * full;
	__s64 bal;
	if (el > ((__u64)cfg->rrl_window + 1) * hz) {
		b->frac = 0;
		b->limited = 0;
		bal = full;
	} else {
		__u64 secs = 0;
		if (el >= hz) {
			secs = el / hz;
			el -= secs * hz;
		}
		__u64 credit = el * k + b->frac;
		b->frac = (__u32)(credit & ((1u << 30) - 1));
		bal = b->balance + (__s64)secs * full + (__s64)(credit >> 30);
	}
	if (bal > full)
		bal = full;
	bal -= 1000;
	if (bal < floor)
		bal = floor;
	b->balance = bal;
	if (bal >= 0) {
		/* Out of debt: the slip count starts again. */
		if (b->limited)
			b->limited = 0;
		return RRL_ANSWER;
	}

	/* Limited, unless the client is exempt or only counted. */
	if (bpf_map_lookup_elem(&xd_rrl_exempt, &ek))
		return RRL_ANSWER;
	if (cfg->rrl_log_only) {
		count(FIELD(seen_rrl_log_only));
		return RRL_ANSWER;
	}
	if (cls >= XD_RRL_ERROR)
		return RRL_DROP;
	__u32 slip = cfg->rrl_slip, n = ++b->limited;
	return slip && n % slip == 0 ? RRL_SLIP : RRL_DROP;
}

/* The verdict `otherwise`, unless the client's prefix is over the rate of
 * class cls: then dropped and counted as field dropf. (The query's parse
 * is in s, the settings in cfg; the subprogram is called only when the
 * class has a rate, so the limiter costs nothing while it is off.) */
#define LIMITED(cls, dropf, otherwise)                          \
	({                                                      \
		int _v;                                         \
		if (cfg->rrl_rate[cls] &&                       \
		    rrl_check(ctx, s, cfg, cls, 0) == RRL_DROP) \
			_v = DROP(dropf);                       \
		else                                            \
			_v = (otherwise);                       \
		_v;                                             \
	})

/* Pass a query to userspace, unless its prefix passes too many. */
#define PASS_Q(f) LIMITED(XD_RRL_PASSED, drop_pass_limit, PASS(f))

/* Pass a query that xdpdns-server will answer with an error (REFUSED,
 * NOTIMP, FORMERR, BADVERS): limited first as error responses are, per
 * prefix, dropped when over (never slipped), then as any passed query. */
#define PASS_E(f) LIMITED(XD_RRL_ERROR, drop_rrl_error, PASS_Q(f))

#endif
