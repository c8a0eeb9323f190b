/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * DNS cookies in the reply (RFC 7873, server cookies as RFC 9018 says):
 * the OPT record the reply ends with, and the check of the client's own
 * server cookie, which exempts it from rate limiting.
 */
#ifndef XDPDNS_BPF_COOKIE_H
#define XDPDNS_BPF_COOKIE_H

#include "maps.h"
#include "mem.h"
#include "stats.h"
#include "verifier.h"

/* SipHash-2-4 of len (at most 32) bytes of s->ck.msg: one subprogram. */
static __noinline __u64 cookie_hash(const __u8 *key, const __u8 *msg, __u32 len)
{
	if (len > 32)
		return 0;
	return xd_siphash24(key, msg, len);
}

/*
 * The reply's OPT record in s->r.opt (s->r.optlen bytes, sum in s->r.osum):
 * our size and DO; with a cookie in the query, a COOKIE option with the
 * client cookie and a server cookie (RFC 9018): the client's own when it
 * is ours, made with the current secret and under half an hour old, a
 * fresh one otherwise. Mirrors cookie_reply() in lib/engine/answer.c.
 */
static __always_inline int make_opt(struct xdp_md *ctx, struct xd_scratch *s,
				    const struct xd_config *cfg)
{
	struct pkt *p = &s->pk;
	__u8 *o = s->r.opt;
	__u64 udp = cfg->edns_udp;
	__u64 rec = (__u64)XD_TYPE_OPT << 16 | (udp >> 8) << 24 |
		    (udp & 0xff) << 32 | (__u64)(p->do_bit ? 0x80 : 0) << 56;

	store64(o, rec);
	store64(o + 8, 0);
	if (!p->cookie) {
		/* The record alone: its sum is its first word's. */
		s->r.optlen = XD_OPT_RR_LEN;
		s->r.osum = csum_fold((rec & 0xffffffff) + (rec >> 32));
		return 0;
	}
	store64(o + 16, 0);
	store64(o + 24, 0);
	store64(o + 32, 0);
	/* The client's address: the cookie is bound to it. */
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 iplen = p->ipv6 ? 16 : 4;
	__u8 *ip = data + ((p->l3 + (p->ipv6 ? 8 : 12)) & XD_BOUND_HDR);
	if ((void *)(ip + 16) > end)
		return -1;
	/* The wall clock's second, read once a tick per CPU: a
	 * clock read and a division cost more than the hash. */
	__u64 j = bpf_jiffies64();
	if (s->ck.jiffies != j || s->ck.offset != cfg->clock_offset_ns) {
		s->ck.offset = cfg->clock_offset_ns;
		s->ck.now = (bpf_ktime_get_boot_ns() + s->ck.offset) /
			    1000000000ull;
		s->ck.jiffies = j;
	}
	__u64 now = s->ck.now;
	store64(s->ck.msg, load64(s->ck.cookie));
	store64(s->ck.msg + 16, load64(ip));
	store64(s->ck.msg + 24, load64(ip + 8));
	int reuse = 0;
	if (p->cookie == 2 && s->ck.cookie[8] == 1) {
		__u8 *sc = s->ck.cookie + 8;
		__u32 ts = (__u32)sc[4] << 24 | (__u32)sc[5] << 16 |
			   (__u32)sc[6] << 8 | sc[7];
		__s32 age = (__s32)((__u32)now - ts);
		if (age <= XD_COOKIE_PAST && age >= -XD_COOKIE_FUTURE) {
			store64(s->ck.msg + 8, load64(sc));
			__u64 want = load64(sc + 8);
			if (cookie_hash(cfg->cookie_secret, s->ck.msg,
					16 + iplen) == want) {
				s->r.cookie_valid = 1;
				count(FIELD(seen_cookie_valid));
				reuse = age < XD_COOKIE_RENEW;
			} else if ((cfg->cookie_flags & XD_CK_PREVIOUS) &&
				   cookie_hash(cfg->cookie_previous, s->ck.msg,
					       16 + iplen) == want) {
				s->r.cookie_valid = 1;
				count(FIELD(seen_cookie_valid));
			}
		}
	}
	o[10] = 28;
	o[12] = XD_OPT_COOKIE;
	o[14] = XD_COOKIE_CLIENT + XD_COOKIE_SERVER;
	store64(o + 15, load64(s->ck.cookie));
	if (reuse) {
		store64(o + 23, load64(s->ck.cookie + 8));
		store64(o + 31, load64(s->ck.cookie + 16));
	} else {
		__u32 t = (__u32)now;
		__u64 head = 1 | (__u64)(t >> 24) << 32 |
			     (__u64)((t >> 16) & 0xff) << 40 |
			     (__u64)((t >> 8) & 0xff) << 48 |
			     (__u64)(t & 0xff) << 56;
		store64(s->ck.msg + 8, head);
		store64(o + 23, head);
		store64(o + 31,
			cookie_hash(cfg->cookie_secret, s->ck.msg, 16 + iplen));
	}
	o[39] = 0;
	s->r.optlen = XD_OPT_RR_LEN + 28;
	/* Its sum, as native 16-bit words from its first byte: five words
	 * hold the record and the cookie. */
	__u64 sum = 0;
	for (int i = 0; i < 5; i++) {
		__u64 w = load64(o + 8 * i);
		sum += (w & 0xffffffff) + (w >> 32);
	}
	s->r.osum = csum_fold(sum);
	return 0;
}

#endif
