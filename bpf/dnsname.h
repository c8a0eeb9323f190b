/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Wire-form names, for the XDP program and the answer engine alike. */
#ifndef XDPDNS_DNSNAME_H
#define XDPDNS_DNSNAME_H

#include <linux/types.h>

/* ASCII letters to lowercase in 8 bytes of a wire-form name at once:
 * label length bytes (0..63) are never letters. */
static inline __u64 xd_lower8(__u64 x)
{
	const __u64 ones = 0x0101010101010101ull, high = ones * 0x80;
	__u64 low7 = x & ~high;
	__u64 ge_a = (low7 + ones * (0x80 - 'A')) & high;
	__u64 gt_z = (low7 + ones * (0x80 - 'Z' - 1)) & high;
	__u64 upper = ge_a & ~gt_z & ~x & high;

	return x | (upper >> 2);
}

#endif
