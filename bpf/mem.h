/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Loads and stores of packet and map bytes, each one instruction. */
#ifndef XDPDNS_BPF_MEM_H
#define XDPDNS_BPF_MEM_H

#include <linux/types.h>

/*
 * 8-byte loads and stores in one instruction, aligned or not: clang would
 * split a possibly unaligned access into eight byte accesses, which the
 * target's CPUs (and the verifier, without strict alignment) do not need.
 */
static __always_inline __u64 load64(const void *p)
{
	__u64 v;

	asm volatile("%0 = *(u64 *)(%1 + 0)" : "=r"(v) : "r"(p));
	return v;
}

static __always_inline __u16 load16(const void *p)
{
	__u16 v;

	asm volatile("%0 = *(u16 *)(%1 + 0)" : "=r"(v) : "r"(p));
	return v;
}

static __always_inline void store64(void *p, __u64 v)
{
	asm volatile("*(u64 *)(%0 + 0) = %1" ::"r"(p), "r"(v) : "memory");
}

/*
 * The same at a constant offset from p, folded into the instruction (the
 * functions above take the address whole: one more register copy and
 * add for each).
 */
#define LOAD_AT(size, p, off)                                \
	({                                                   \
		__u##size v_;                                \
		asm volatile("%0 = *(u" #size " *)(%1 + %2)" \
			     : "=r"(v_)                      \
			     : "r"(p), "i"(off));            \
		v_;                                          \
	})
#define STORE64_AT(p, off, v)                                            \
	asm volatile("*(u64 *)(%0 + %1) = %2" ::"r"(p), "i"(off), "r"(v) \
		     : "memory")

static __always_inline __u32 load32(const void *p)
{
	__u32 v;

	asm volatile("%0 = *(u32 *)(%1 + 0)" : "=r"(v) : "r"(p));
	return v;
}

/* Ones' complement sums, folded to 16 bits: of at most 65537 16-bit
 * words (under 2^32), and of any 64-bit sum. */
static __always_inline __u16 csum_fold32(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

#endif
