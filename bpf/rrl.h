/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Response rate limiting as BIND does it, and the shedding of queries
 * passed to userspace: a bucket per (client prefix, class, name or zone)
 * whose balance earns `rate` responses a second, pays one per response,
 * may fall to -window x rate, and limits while it is below zero (the
 * arithmetic is xd_rrl_spend(), shared with xdpdns-server).
 */
#ifndef XDPDNS_BPF_RRL_H
#define XDPDNS_BPF_RRL_H

#include "maps.h"
#include "stats.h"
#include "verifier.h"

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

/*
 * What to do with a response (or passed query) of class cls keyed by id
 * for the client of the packet being answered (its parse in scratch
 * memory): RRL_ANSWER, RRL_DROP or RRL_SLIP. A global function: the
 * verifier checks it once, not at each of the many places that call it.
 */
__noinline int xd_limit(struct xdp_md *ctx, __u64 cls, __u64 id)
{
	__u32 zero = 0;
	struct xd_scratch *s = bpf_map_lookup_elem(&xd_scratch, &zero);
	const struct xd_config *cfg = bpf_map_lookup_elem(&xd_config, &zero);

	if (!s || !cfg || cls >= XD_RRL_CLASSES)
		return RRL_ANSWER;
	__u64 rate = cfg->rrl_rate[cls];
	if (!rate)
		return RRL_ANSWER;
	if (rate > XD_RRL_RATE_MAX)
		rate = XD_RRL_RATE_MAX;
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	const struct pkt *p = &s->pk;
	struct xd_rrl_exempt_key ek = { .prefixlen = 128 };
	__u32 plen;
	if (p->ipv6) {
		__u8 *ip = data + ((p->l3 + 8) & XD_BOUND_HDR);
		if ((void *)(ip + 16) > end)
			return RRL_ANSWER;
		__builtin_memcpy(ek.addr, ip, 16);
		plen = cfg->rrl_v6_prefix;
	} else {
		__u8 *ip = data + ((p->l3 + 12) & XD_BOUND_HDR);
		if ((void *)(ip + 4) > end)
			return RRL_ANSWER;
		ek.addr[10] = ek.addr[11] = 0xff;
		__builtin_memcpy(ek.addr + 12, ip, 4);
		plen = 96 + (__u32)cfg->rrl_v4_prefix;
	}
	__u64 a0, a1;
	__builtin_memcpy(&a0, ek.addr, 8);
	__builtin_memcpy(&a1, ek.addr + 8, 8);
	__u64 tag = xd_rrl_tag(cfg->rrl_seed, __builtin_bswap64(a0),
			       __builtin_bswap64(a1), plen, cls, id);

	__u32 i0 = (__u32)(tag >> 32) & cfg->rrl_mask, i1 = i0 ^ 1;
	struct xd_rrl_bucket *b0 = bpf_map_lookup_elem(&xd_rrl, &i0);
	struct xd_rrl_bucket *b1 = bpf_map_lookup_elem(&xd_rrl, &i1);
	if (!b0 || !b1)
		return RRL_ANSWER;
	/* The credit a tick earns, computed once per CPU when the rate
	 * changes, not once per query. */
	__u64 hz = rrl_hz(), k = s->rrl.k[cls];
	if (s->rrl.rate_seen[cls] != rate) {
		k = xd_rrl_credit(rate, hz);
		s->rrl.k[cls] = k;
		s->rrl.rate_seen[cls] = (__u32)rate;
	}
	struct xd_rrl_bucket *b;
	if (!xd_rrl_spend(b0, b1, tag, rrl_now(), hz, k, rate, cfg->rrl_window,
			  &b))
		return RRL_ANSWER;

	/* Limited, unless the client is exempt or only counted. */
	if (bpf_map_lookup_elem(&xd_rrl_exempt, &ek))
		return RRL_ANSWER;
	if (cfg->rrl_log_only) {
		count(FIELD(seen_rrl_log_only));
		return RRL_ANSWER;
	}
	if (cls >= XD_RRL_ERROR)
		return RRL_DROP;
	return xd_rrl_slips(cfg->rrl_slip, ++b->limited) ? RRL_SLIP : RRL_DROP;
}

/*
 * Hand a query to the kernel stack (xdpdns-server), counted as field,
 * unless its client's prefix is over a limit: with error set (the server
 * will answer it with an error: REFUSED, NOTIMP, FORMERR, BADVERS), first
 * the error responses' rate, per prefix, then, for every query, the rate
 * of queries a prefix may pass. Over either, it is dropped and counted
 * as such (drop_rrl_error, drop_pass_limit). Every pass of something
 * that may be a DNS query over UDP leaves through here; only what is not
 * one (pass_not_dns) and TCP, whose handshake proves the source and
 * whose segments must not be lost mid-connection (the server limits its
 * connections), do not. The parse's l3 and ipv6 must be set.
 */
__noinline __attribute__((cold, section(".text"))) int
xd_pass_query(struct xdp_md *ctx, __u64 field, __u32 error)
{
	__u32 zero = 0;
	const struct xd_config *cfg = bpf_map_lookup_elem(&xd_config, &zero);

	if (cfg && error && cfg->rrl_rate[XD_RRL_ERROR] &&
	    xd_limit(ctx, XD_RRL_ERROR, 0) == RRL_DROP) {
		count(FIELD(drop_rrl_error));
		return XDP_DROP;
	}
	if (cfg && cfg->rrl_rate[XD_RRL_PASSED] &&
	    xd_limit(ctx, XD_RRL_PASSED, 0) == RRL_DROP) {
		count(FIELD(drop_pass_limit));
		return XDP_DROP;
	}
	barrier_var(field); /* keeps count()'s bound for the verifier */
	count(field);
	return XDP_PASS;
}

/* Pass a query, limited as any passed query. */
#define PASS_Q(ctx, f) xd_pass_query(ctx, FIELD(f), 0)

/* Pass a query that xdpdns-server will answer with an error: limited as
 * error responses are (dropped when over, never slipped), then as any
 * passed query. */
#define PASS_E(ctx, f) xd_pass_query(ctx, FIELD(f), 1)

#endif
