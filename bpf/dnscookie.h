/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * DNS server cookies (RFC 7873), made as RFC 9018 says: one routine for
 * the XDP program and the answer engine, so that both give the same
 * bytes. Pure functions of their arguments.
 */
#ifndef XDPDNS_DNSCOOKIE_H
#define XDPDNS_DNSCOOKIE_H

#include <linux/types.h>

/*
 * SipHash-2-4 (Aumasson and Bernstein), as RFC 9018 uses it for server
 * cookies: the XDP program and xdpdns-server compute them with this one
 * routine, at most 32 bytes of msg: a word at a time (in the program, the
 * last one loaded whole and masked), byte by byte in userspace.
 */
#define XD_SIP_ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define XD_SIP_ROUND(v0, v1, v2, v3)           \
	do {                                   \
		v0 += v1;                      \
		v1 = XD_SIP_ROTL(v1, 13) ^ v0; \
		v0 = XD_SIP_ROTL(v0, 32);      \
		v2 += v3;                      \
		v3 = XD_SIP_ROTL(v3, 16) ^ v2; \
		v0 += v3;                      \
		v3 = XD_SIP_ROTL(v3, 21) ^ v0; \
		v2 += v1;                      \
		v1 = XD_SIP_ROTL(v1, 17) ^ v2; \
		v2 = XD_SIP_ROTL(v2, 32);      \
	} while (0)

static inline __u64 xd_le64(const __u8 *p)
{
	__u64 v = 0;
#ifdef __bpf__
	/* One load: the program runs little endian, unaligned loads work. */
	asm volatile("%0 = *(u64 *)(%1 + 0)" : "=r"(v) : "r"(p));
#else
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
#endif
	return v;
}

static inline __u64 xd_siphash24(const __u8 key[16], const __u8 *msg, __u32 len)
{
	__u64 k0 = xd_le64(key), k1 = xd_le64(key + 8);
	__u64 v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
	__u64 v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
	__u32 whole = len & ~7u;

	for (__u32 at = 0; at < whole && at < 64; at += 8) {
		__u64 m = xd_le64(msg + at);
		v3 ^= m;
		XD_SIP_ROUND(v0, v1, v2, v3);
		XD_SIP_ROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	__u64 last = (__u64)(len & 0xff) << 56;
#ifdef __bpf__
	/* One load, the bytes past the message masked off: the program's
	 * buffers have room for a whole word past any message it hashes. */
	if (len & 7)
		last |= xd_le64(msg + whole) & ((1ull << (8 * (len & 7))) - 1);
#else
	for (__u32 i = 0; i < (len & 7); i++)
		last |= (__u64)msg[whole + i] << (8 * i);
#endif
	v3 ^= last;
	XD_SIP_ROUND(v0, v1, v2, v3);
	XD_SIP_ROUND(v0, v1, v2, v3);
	v0 ^= last;
	v2 ^= 0xff;
	XD_SIP_ROUND(v0, v1, v2, v3);
	XD_SIP_ROUND(v0, v1, v2, v3);
	XD_SIP_ROUND(v0, v1, v2, v3);
	XD_SIP_ROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

#define XD_COOKIE_CLIENT 8
#define XD_COOKIE_SERVER 16 /* RFC 9018 version 1 */
#define XD_COOKIE_PAST 3600 /* RFC 9018 4.3: valid an hour back */
#define XD_COOKIE_FUTURE 300 /* and five minutes ahead */
#define XD_COOKIE_RENEW 1800 /* older than this: a fresh one is sent */

/*
 * RFC 9018 server cookie for client cookie cc, at time ts, for the
 * client's address (4 or 16 bytes): version 1, three reserved bytes (as
 * given: zero when making one, as received when checking one), the
 * timestamp, and SipHash-2-4 of all that with the client's address,
 * keyed by the secret.
 */
static inline void xd_server_cookie(const __u8 secret[16], const __u8 cc[8],
				    const __u8 head[8], const __u8 *ip,
				    __u32 iplen, __u8 out[16])
{
	__u8 msg[8 + 8 + 16];
	__u32 n = 0;

	for (int i = 0; i < 8; i++)
		msg[n++] = cc[i];
	for (int i = 0; i < 8; i++)
		msg[n++] = head[i];
	for (__u32 i = 0; i < iplen && i < 16; i++)
		msg[n++] = ip[i];
	__u64 h = xd_siphash24(secret, msg, n);
	for (int i = 0; i < 8; i++)
		out[i] = head[i];
	for (int i = 0; i < 8; i++)
		out[8 + i] = (__u8)(h >> (8 * i));
}

#endif
