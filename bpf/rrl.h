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

/*
 * What to do with a response (or passed query) of class cls keyed by id
 * for the client of the packet being answered: RRL_ANSWER, RRL_DROP or
 * RRL_SLIP. One subprogram, called from every place that needs it.
 */
static __noinline int rrl_check(struct xdp_md *ctx, __u32 cls, __u64 id)
{
	__u32 zero = 0;
	struct xd_scratch *s = bpf_map_lookup_elem(&xd_scratch, &zero);
	const struct xd_config *cfg = bpf_map_lookup_elem(&xd_config, &zero);

	if (!s || !cfg || cls >= XD_RRL_CLASSES)
		return RRL_ANSWER;
	__u64 rate = cfg->rrl_rate[cls];
	if (!rate)
		return RRL_ANSWER;
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
	/* The bucket's key: the address cut to the prefix. */
	struct xd_rrl_key k = { .cls = cls, .id = id };
	__builtin_memcpy(k.addr, ek.addr, 16);
#pragma unroll
	for (int i = 0; i < 16; i++) {
		__u32 first = 8 * (__u32)i;
		if (plen <= first)
			k.addr[i] = 0;
		else if (plen < first + 8)
			k.addr[i] &= (__u8)(0xff00 >> (plen - first));
	}

	__u64 now = bpf_ktime_get_ns();
	__s64 full = (__s64)(rate * 1000);
	struct xd_rrl_bucket *b = bpf_map_lookup_elem(&xd_rrl, &k);
	if (!b) {
		struct xd_rrl_bucket nb = { .balance = full - 1000,
					    .last_ns = now };
		bpf_map_update_elem(&xd_rrl, &k, &nb, BPF_ANY);
		return RRL_ANSWER;
	}
	/* Credit since the last response: rate thousandths a millisecond,
	 * up to one second's worth. */
	__u64 ms = (now - b->last_ns) / 1000000;
	if (ms > 1000)
		ms = 1000;
	b->last_ns = now;
	__s64 bal = b->balance + (__s64)(ms * rate);
	if (bal > full)
		bal = full;
	bal -= 1000;
	__s64 floor = -(__s64)cfg->rrl_window * full;
	if (bal < floor)
		bal = floor;
	b->balance = bal;
	if (bal >= 0)
		return RRL_ANSWER;

	/* Limited, unless the client is exempt or only counted. */
	if (bpf_map_lookup_elem(&xd_rrl_exempt, &ek))
		return RRL_ANSWER;
	if (cfg->rrl_log_only) {
		count(FIELD(seen_rrl_log_only));
		return RRL_ANSWER;
	}
	if (cls == XD_RRL_PASSED)
		return RRL_DROP;
	__u32 slip = cfg->rrl_slip, n = ++b->limited;
	return slip && n % slip == 0 ? RRL_SLIP : RRL_DROP;
}

/* Pass a query to userspace, unless its prefix passes too many. */
#define PASS_Q(f)                                                   \
	({                                                          \
		int _v = XDP_PASS;                                  \
		if (rrl_check(ctx, XD_RRL_PASSED, 0) == RRL_DROP) { \
			count(FIELD(drop_pass_limit));              \
			_v = XDP_DROP;                              \
		} else {                                            \
			count(FIELD(f));                            \
		}                                                   \
		_v;                                                 \
	})

#endif
